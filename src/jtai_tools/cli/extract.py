"""`jtai extract` and `jtai retag`: reports into the database, and tagging them again."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import extract as extract_mod
from ..ingest import ingest
from ..models import to_dict
from ..read import InputError
from ..store import DEFAULT_DB
from .common import (
    DbOption,
    ModelOption,
    _open_store,
    _say,
    _tagger_or_exit,
    app,
    err,
)


def _memory_size(text: str) -> int:
    """A size such as "512", "512MB", "1.5GB" or "1GiB" in bytes (a bare number is MB)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*", text.lower())
    if not match:
        raise typer.BadParameter(f"{text!r} is not a size (use e.g. 512MB or 1GB)")
    number, unit = float(match.group(1)), match.group(2).rstrip("b") or "m"
    base = 1024 if unit.endswith("i") else 1000
    power = "kmgt".index(unit[0]) + 1
    return int(number * base**power)


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
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Worker processes (default: one per core)."),
    ] = None,
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
    max_memory: Annotated[
        str | None,
        typer.Option("--max-memory", help="Memory a worker may use to read one file, e.g. 512MB "
                     "or 2GB (default: 1 GiB, less on a machine with little memory)."),
    ] = None,
    keep_other: Annotated[
        bool,
        typer.Option("--keep-other", help="Store files with no inspection title, area or "
                     "sections as type other instead of refusing them."),
    ] = False,
    codebook: Annotated[
        Path | None,
        typer.Option(
            "--codebook",
            help="Your own codebook (TOML) that adds to or replaces the built-in themes; "
            "stored reports are tagged again with it.",
        ),
    ] = None,
    model: ModelOption = None,
) -> None:
    """Extract reports into the database (and optionally print them as JSON).

    Each file is read in a worker process with a memory and a time limit.
    Each file that cannot be read, or is not a report, gets one line on stderr
    naming it and the problem; the other files are still extracted and
    stored, and the exit code is 1. Files whose content is already stored are
    skipped (--force extracts them again). A database that cannot be opened
    exits with 2.
    """
    memory = _memory_size(max_memory) if max_memory is not None else None
    if codebook is not None or model is not None:
        extract_mod.use_tagger(_tagger_or_exit(codebook, model))
        force = True  # stored tags came from another codebook or model
    targets = paths or [str(reports or extract_mod.reports_dir())]
    store = None if no_store else _open_store(db)
    try:
        with _progress() as progress:
            task = progress.add_task("extracting", total=None)

            def started(files: int, problems: list[InputError]) -> None:
                progress.update(task, total=files)
                for problem in problems:
                    _say("error" if problem.fatal else "warning", problem)

            def done(outcome: extract_mod.Outcome) -> None:
                progress.advance(task)
                _print_outcome(outcome)

            result = ingest(targets, store, jobs, timeout or None, max_memory=memory,
                            force=force, keep_other=keep_other, keep_reports=as_json,
                            on_inputs=started, on_outcome=done)
    finally:
        if store is not None:
            store.close()
    if as_json:
        _write_json_records([to_dict(report) for report in result.reports])
    _say("interrupted" if result.interrupted else "", result.summary())
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _print_outcome(outcome: extract_mod.Outcome) -> None:
    """One file's error, warnings and note, a line each."""
    if outcome.error:
        _say("error", outcome.error)
    for warning in outcome.warnings:
        _say("warning", warning)
    if outcome.note:
        _say("note", outcome.note)


def _progress() -> Progress:
    """A progress bar on stderr for a terminal; nothing when stderr is piped."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _write_json_records(records: list[dict]) -> None:
    """The records as a JSON array on stdout; a reader that went away (``| head``) is fine."""
    text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    try:
        sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@app.command("retag")
def retag_command(
    db: DbOption = DEFAULT_DB,
    codebook: Annotated[
        Path | None,
        typer.Option("--codebook", help="Codebook TOML adding or replacing themes."),
    ] = None,
    model: ModelOption = None,
    reports: Annotated[
        list[str] | None, typer.Argument(help="Report ids (default: every stored report).")
    ] = None,
) -> None:
    """Tag stored reports again (new model or codebook) without reading their files again.

    Each report is re-tagged and saved in its own transaction.
    """
    from ..retag import retag

    tagger = _tagger_or_exit(codebook, model)
    if not db.exists():
        _say("error", f"{db}: no such database (run `jtai extract` first)")
        raise typer.Exit(2)
    store = _open_store(db)
    try:
        known = set(store.report_ids())
        unknown = [r for r in reports or [] if r not in known]
        if unknown:
            _say("error", f"no report {unknown[0]!r} in {db}")
            raise typer.Exit(2)
        result = retag(store, tagger, reports or None)
    finally:
        store.close()
    done = ", ".join(f"{n} {status}" for status, n in sorted(result.counts.items()))
    _say("", f"{result.total} report(s) tagged again: {done or 'nothing stored'}")


