"""The ``jtai`` command line: parses arguments, calls the library, renders the answer.

Exit codes: see ``jtai_tools.errors.EXIT_CODES`` (shown by ``jtai --help``).

The commands live one group a module (``extract``, ``tagging``, ``database``,
``outputs``) over the shared app and helpers of ``common``. A command run by
name imports only its own group, so ``jtai list`` does not load the PDF
reader, the worker pool or the tagger's modules; ``jtai --help`` (or any
other first argument) imports them all. ``app`` (for tests and embedding)
is the app with every group registered.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

__all__ = ["GROUPS", "app", "main"]

#: The command-line modules, and the commands each registers (checked by a test).
GROUPS: dict[str, tuple[str, ...]] = {
    "database": ("compare", "table", "search", "show", "list", "grades"),
    "extract": ("extract", "retag"),
    "outputs": ("report", "export"),
    "tagging": ("eval", "themes", "train"),
}


def _load(groups: tuple[str, ...] | list[str]) -> typer.Typer:
    """The app with the given command groups registered (importing a group registers it)."""
    for group in groups:
        importlib.import_module(f"{__name__}.{group}")
    from .common import app

    return app


def _groups_for(argv: list[str]) -> list[str]:
    """The one group that holds the command named first, else every group."""
    name = argv[0] if argv else ""
    chosen = [group for group, commands in GROUPS.items() if name in commands]
    return chosen or list(GROUPS)


def __getattr__(name: str) -> object:
    if name == "app":
        return _load(list(GROUPS))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """The ``jtai`` entry point."""
    _load(_groups_for(sys.argv[1:]))()
