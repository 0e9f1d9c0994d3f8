"""`jtai extract` and `jtai retag`: reports into the database, and tagging them again."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import extract as extract_mod
from ..models import Report, to_dict
from ..store import DEFAULT_DB, Store, StoreError
from .common import (
    DbOption,
    ModelOption,
    _open_store,
    _say,
    _tagger_or_exit,
    app,
    err,
)


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

    Each file that cannot be read gets one line on stderr naming it and the
    problem; the other files are still extracted and stored, and the exit
    code is 1. Files whose content is already stored are skipped (--force
    extracts them again). A database that cannot be opened exits with 2.
    """
    if codebook is not None or model is not None:
        extract_mod.use_tagger(_tagger_or_exit(codebook, model))
        force = True  # stored tags came from another codebook or model
    targets = paths or [str(reports or extract_mod.reports_dir())]
    files, problems = extract_mod.find_inputs(targets)
    for problem in problems:
        _say("error" if problem.fatal else "warning", problem)
    batch = _Batch(store=None if no_store else _open_store(db), keep_records=as_json)
    batch.failed = sum(problem.fatal for problem in problems)

    def skip(path: Path) -> str | None:
        if batch.store is None or force or as_json:
            return None
        digest = _file_sha256(path)
        return batch.store.known_sha256(digest) if digest else None

    interrupted = False
    try:
        with _progress() as progress:
            task = progress.add_task("extracting", total=len(files))
            for outcome in extract_mod.extract_batch(
                files, jobs=jobs, skip=skip, timeout=timeout or None
            ):
                progress.advance(task)
                batch.take(outcome)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if batch.store is not None:
            batch.store.close()
    if as_json:
        _write_json_records(batch.records)
    _say("interrupted" if interrupted else "", batch.summary(len(files)))
    if interrupted:
        raise typer.Exit(130)
    if batch.failed:
        raise typer.Exit(1)


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


@dataclass
class _Batch:
    """What one ``jtai extract`` run did: per-status counts, failures, records for --json."""

    store: Store | None
    keep_records: bool = False
    failed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    records: list[dict] = field(default_factory=list)
    stored_from: dict[str, str] = field(default_factory=dict)  # report id -> first file

    def take(self, outcome: extract_mod.Outcome) -> None:
        """Report one file's outcome, store its report, and count it."""
        status = outcome.status
        if outcome.error:
            _say("error", outcome.error)
        for warning in outcome.warnings:
            _say("warning", warning)
        if outcome.report is not None:
            if self.store is not None:
                status = _save_report(self.store, outcome.report, self.stored_from)
            if self.keep_records and status != "failed":
                self.records.append(to_dict(outcome.report))
        self.failed += status == "failed"
        self.counts[status] = self.counts.get(status, 0) + 1

    def summary(self, files: int) -> str:
        """The closing line: files, then how many of each status, then input problems."""
        done = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items()))
        problems = self.failed - self.counts.get("failed", 0)
        return (f"{files} file(s): {done or 'nothing to do'}"
                + (f"; {problems} input problem(s)" if problems else ""))


def _save_report(store: Store, report: Report, stored_from: dict[str, str]) -> str:
    """Store one extracted report and return its status for the batch summary.

    A second file of a report this batch already stored (a text copy of a
    PDF: same id) does not replace it; it is recorded as another source.
    """
    try:
        first = stored_from.get(report.id)
        if first is not None:
            store.add_source(report)
            _say("note", f"{report.source.path}: same report as {first} ({report.id}); "
                        "recorded as another source of it")
            return "same report as another file"
        stored_from[report.id] = report.source.path
        return store.save(report)
    except (StoreError, sqlite3.Error, OSError, ValueError) as exc:
        _say("error", f"{report.source.path}: could not be stored ({exc})")
        return "failed"


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


