"""The ``jtai`` command line: parses arguments, calls the library, renders the answer.

Exit codes: see ``jtai_tools.errors.EXIT_CODES`` (shown by ``jtai --help``).

The commands live one group a module (``extract``, ``tagging``, ``database``,
``outputs``) over the shared app and helpers of ``common``.
"""

from __future__ import annotations

from . import database, extract, outputs, tagging  # noqa: F401  (they register the commands)
from .common import app

__all__ = ["app", "main"]


def main() -> None:
    """The ``jtai`` entry point."""
    app()
