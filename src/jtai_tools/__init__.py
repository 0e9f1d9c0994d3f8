"""jtai: extract, tag and compare English children's safeguarding inspection reports.

The pipeline, one module a stage: :mod:`read` → :mod:`clean` → :mod:`sections`
→ :mod:`metadata` → :mod:`tag` → :mod:`store`; :mod:`extract` runs it, and
:mod:`query`, :mod:`compare`, :mod:`tables`, :mod:`render` and :mod:`export`
answer questions over the database.

    from jtai_tools import extract_file, open_db
    report = extract_file("letter.pdf")
    open_db("jtai.db").theme_table(by="area")

The names below load their modules on first use, so that a command which
only reads the database does not pay for loading spaCy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "extract_file": "extract",
    "open_db": "query",
    "Finding": "models",
    "Report": "models",
    "Section": "models",
}

__all__ = ["Finding", "Report", "Section", "extract_file", "open_db"]

if TYPE_CHECKING:
    from .extract import extract_file
    from .models import Finding, Report, Section
    from .query import open_db


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
