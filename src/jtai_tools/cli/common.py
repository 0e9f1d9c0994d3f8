"""Shared pieces of the command line: the app, consoles, options, and helpers every command uses."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from .. import __version__

# Modules that load spaCy, pandas or matplotlib (tag, evaluate, tables, render,
# export) are imported inside the commands that need them, so that the other
# commands start quickly.
from ..codebook import Codebook, CodebookError, load_codebook
from ..errors import JtaiError, exit_codes_text, printable
from ..models import INSPECTION_TYPES
from ..query import Database, QueryError, open_db, resolve_name
from ..store import Store, StoreError

if TYPE_CHECKING:
    from ..tag import Tagger

class _JtaiGroup(TyperGroup):
    """The command group: a library error ends any command the same way.

    One line on stderr (``error: FILE: what is wrong``) and the error's own
    exit code (:data:`jtai_tools.errors.EXIT_CODES`), never a traceback.
    """

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click Context
        try:
            return super().invoke(ctx)
        except JtaiError as exc:
            _say("error", exc)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_JtaiGroup,
    add_completion=False,
    no_args_is_help=True,
    help=(
        "Extract, tag and compare English children's safeguarding inspection reports.\n\n"
        f"Exit codes: {exit_codes_text()}."
    ),
    rich_markup_mode=None,
)

def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"jtai {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True,
                           help="Print the version and exit.")
    ] = False,
) -> None:
    """Extract, tag and compare English children's safeguarding inspection reports."""


DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="JTAI_DB", help="SQLite database file.", show_default=True),
]


def _console(stderr: bool = False) -> Console:
    """A console that is plain when piped and honours NO_COLOR."""
    return Console(
        stderr=stderr,
        no_color=bool(os.environ.get("NO_COLOR")),
        highlight=False,
        soft_wrap=not sys.stdout.isatty(),
    )


out = _console()
err = _console(stderr=True)



def _say(kind: str, message: object) -> None:
    """One line on stderr, whatever the message holds (no markup, wrapping or emoji)."""
    line = f"{kind}: {message}" if kind else str(message)
    err.print(printable(line), markup=False, emoji=False, highlight=False, soft_wrap=True)


ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="A model directory made by `jtai train` "
                 "(default: the model that ships with jtai)."),
]


def _tagger_or_exit(codebook: Path | None, model: Path | None, rules_only: bool = False
                    ) -> Tagger:
    """A tagger with the user's codebook and model; a bad file is one line and exit 2."""
    from ..model import load_model
    from ..tag import SHIPPED, Tagger  # loads spaCy

    try:
        book = load_codebook(codebook)
        chosen = None if rules_only else load_model(model) if model is not None else SHIPPED
        return Tagger(book, model=chosen)
    except (CodebookError, JtaiError) as exc:
        _say("error", exc)
        raise typer.Exit(2) from None


def _open_store(db: Path) -> Store:
    """The database to store into; one that cannot be opened is one line and exit 2."""
    try:
        return Store(db)
    except (StoreError, sqlite3.Error, OSError) as exc:
        _say("error", exc if str(db) in str(exc) else f"{db}: cannot open database ({exc})")
        raise typer.Exit(2) from None



# -- tagging: eval, themes -------------------------------------------------




class TagFormat(StrEnum):
    """Output formats of the tagging commands."""
    text = "text"
    json = "json"


def _load_codebook_or_exit(path: Path | None) -> Codebook:
    """The codebook to tag with; a bad file prints one line and exits 2."""
    try:
        return load_codebook(path)
    except CodebookError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None


# -- the database: compare, table, search, show, list ------------------------

OutputFileOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="File to write.")]
CheckOption = Annotated[
    bool, typer.Option("--check", help="Exit 1 with a diff when --output differs from "
                                       "what would be written.")]
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help="text (a table on a terminal), or json.")
]
AreaFilter = Annotated[str | None, typer.Option("--area", help="Only this area (fuzzy).")]
TypeFilter = Annotated[
    str | None, typer.Option("--type", help="Only this inspection type (jtai, ilacs, sif...).")
]
SinceFilter = Annotated[
    str | None, typer.Option("--since", help="Only reports from this year or date on.")
]


def _query_failure(exc: Exception) -> typer.Exit:
    """One line on stderr: a bad query or unknown area is wrong usage (2), a bad file is 1."""
    err.print(f"error: {exc}", markup=False)
    return typer.Exit(1 if isinstance(exc, StoreError) else 2)


def _open_db(db: Path) -> Database:
    """The query database at ``db``; a missing or unusable file exits with one line."""
    if not db.exists():
        err.print(f"error: {db}: no such database (run `jtai extract` first, or pass --db)",
                  markup=False)
        raise typer.Exit(2)
    try:
        database = open_db(db)
    except StoreError as exc:
        raise _query_failure(exc) from None
    database.on_fuzzy = _say_reading
    return database


def _say_reading(typed: str, area: str) -> None:
    """One line on stderr when a typed area is read as another name ("suton" as sutton)."""
    _say("", f"reading {typed!r} as {area}")


@contextmanager
def _database(db: Path, *errors: type[Exception]) -> Iterator[Database]:
    """The database for one command, closed after it. A query error (or one of
    ``errors``) becomes one line on stderr and the exit code of :func:`_query_failure`."""
    database = _open_db(db)
    caught: tuple[type[Exception], ...] = (QueryError, *errors)
    try:
        yield database
    except caught as exc:
        raise _query_failure(exc) from None
    finally:
        database.close()


def _check_format(fmt: str, allowed: tuple[str, ...]) -> str:
    """``fmt`` when it is one of ``allowed``; otherwise one line and exit 2."""
    if fmt not in allowed:
        err.print(f"error: unknown format {fmt!r} (use {', '.join(allowed)})", markup=False)
        raise typer.Exit(2)
    return fmt


def _check_choice(value: str | None, choices: list[str], what: str) -> str | None:
    """An option value from a known list, typos resolved fuzzily; exits 2 when unclear."""
    if value is None:
        return None
    try:
        return resolve_name(value, sorted(set(choices)), what=what)
    except QueryError as exc:
        raise _query_failure(exc) from None


def _known_themes(database: Database) -> list[str]:
    """Themes a --theme may name: those stored, and the codebook's."""
    return database.themes() + [t.id for t in load_codebook().themes]


def _section_kinds() -> tuple[str, ...]:
    """The section kinds (``data/sections.toml``), read only when a --section is given."""
    from ..vocab import section_roles

    return section_roles().kinds


def _filters(database: Database, type_: str | None, section: str | None = None,
             theme: str | None = None) -> tuple[str | None, str | None, str | None]:
    """--type, --section and --theme resolved like areas (typos forgiven, else exit 2)."""
    return (
        _check_choice(type_, list(INSPECTION_TYPES), "inspection type"),
        _check_choice(section, list(_section_kinds()), "section kind")
        if section is not None else None,
        # the codebook loads spaCy's pattern checks: only when a theme is asked for
        _check_choice(theme, _known_themes(database), "theme") if theme else None,
    )


def _txt(value: object) -> str:
    """A cell as text: missing values (None, NaN, NA) are empty."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, int):
        return str(value)
    from ..tables import cell_text  # a value from a DataFrame: pandas is loaded already

    return cell_text(value)


def _print_rows(columns: list[str], rows: list[list[str]], title: str | None = None) -> None:
    """A rich table on a terminal; tab-separated lines (header first) when piped."""
    if out.is_terminal:
        table = Table(*columns, title=title, title_justify="left", header_style="bold")
        for row in rows:
            table.add_row(*row)
        out.print(table)
        return
    lines = [title] if title else []
    lines += ["\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row)
              for row in [columns, *rows]]
    out.file.write("".join(line + "\n" for line in lines))  # rich would expand the tabs


def _print_json(payload: object) -> None:
    """Indented JSON on stdout, non-ASCII kept as is (report text is English with symbols)."""
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


