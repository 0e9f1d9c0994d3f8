"""The ``jtai`` command line: parses arguments, calls the library, renders the answer.

Exit codes (all commands): 0 success; 1 some input failed, a check failed or
a score was below its minimum; 2 wrong usage (unknown option, unknown area or
report).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import extract as extract_mod
from .models import to_dict
from .store import DEFAULT_DB, Store

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=(
        "Extract, tag and compare English children's safeguarding inspection reports.\n\n"
        "Exit codes: 0 success; 1 some input failed, a check failed or a score was "
        "below its minimum; 2 wrong usage (unknown option, area or report)."
    ),
    rich_markup_mode=None,
)

@app.callback()
def _root() -> None:
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


def _file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@app.command()
def extract(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Report files, folders (searched recursively) or globs."),
    ] = None,
    reports: Annotated[
        Path | None,
        typer.Option(
            "--reports",
            envvar=extract_mod.REPORTS_ENV,
            help="Folder of reports, used when no PATHS are given (default data/reports).",
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: Annotated[
        bool, typer.Option("--json", help="Write the records as a JSON array to stdout.")
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Parallel workers.")] = 1,
    force: Annotated[
        bool, typer.Option("--force", help="Extract again even when the content is stored.")
    ] = False,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not write to the database.")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0, help="Seconds one file may take (0: no limit)."),
    ] = extract_mod.DEFAULT_TIMEOUT,
) -> None:
    """Extract reports into the database (and optionally print them as JSON)."""
    targets = paths or [str(reports or extract_mod.reports_dir())]
    files, problems = extract_mod.find_inputs(targets)
    failed = len(problems)
    for problem in problems:
        err.print(f"error: {problem}", markup=False)
    store = None if no_store else Store(db)
    records: list[dict] = []
    counts: dict[str, int] = {}

    def skip(path: Path) -> str | None:
        if store is None or force or as_json:
            return None
        digest = _file_sha256(path)
        return store.known_sha256(digest) if digest else None

    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    try:
        with progress:
            task = progress.add_task("extracting", total=len(files))
            for outcome in extract_mod.extract_batch(
                files, jobs=jobs, skip=skip, timeout=timeout or None
            ):
                progress.advance(task)
                status = outcome.status
                if outcome.error:
                    failed += 1
                    err.print(f"error: {outcome.error}", markup=False)
                for warning in outcome.warnings:
                    err.print(f"warning: {warning}", markup=False)
                if outcome.report is not None:
                    if store is not None:
                        status = store.save(outcome.report)
                    if as_json:
                        records.append(to_dict(outcome.report))
                counts[status] = counts.get(status, 0) + 1
    finally:
        if store is not None:
            store.close()
    if as_json:
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    err.print(f"{len(files)} file(s): {summary or 'nothing to do'}"
              + (f"; {failed} failed" if failed and 'failed' not in counts else ""),
              markup=False)
    if failed:
        raise typer.Exit(1)


# --- commands added by the tagging stage (themes, eval) go below this line ---


# --- commands added by the store/query stage (compare, table, search, show, list) ---


# --- commands added by the render/export stage (report, export) ---


def main() -> None:
    app()


if __name__ == "__main__":
    main()
