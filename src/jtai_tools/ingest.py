"""Reports into the database: the storage policy of a batch, as a library function.

:func:`ingest` expands the inputs, hashes each file once (in this process,
reading it in chunks), skips files whose content is already stored, extracts
the rest in bounded worker processes (:func:`jtai_tools.extract.extract_batch`)
and stores each report as it arrives. A second file of a report stored in the
same batch (a text copy of a PDF: same id) does not replace it; it is
recorded as another source. It returns a :class:`BatchResult` that a notebook
can read and the command line prints; nothing already stored is lost when a
file fails.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .extract import DEFAULT_TIMEOUT, Outcome, default_jobs, extract_batch, find_inputs
from .models import Report
from .read import InputError, printable, size_limit
from .store import Store, StoreError, report_rows

#: Status of a file recorded as another source of a report stored earlier in the batch.
SAME_REPORT = "same report as another file"


@dataclass
class BatchResult:
    """What one batch did: each file's outcome in input order, problems, counts."""

    files: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def failed(self) -> int:
        """Files that failed, plus inputs that named nothing readable."""
        return self.counts.get("failed", 0) + sum(problem.fatal for problem in self.problems)

    @property
    def reports(self) -> list[Report]:
        """The reports extracted (kept only when ``ingest(keep_reports=True)``)."""
        return [o.report for o in self.outcomes if o.report is not None and o.status != "failed"]

    @property
    def exit_code(self) -> int:
        """130 when interrupted, 1 when anything failed, else 0."""
        return 130 if self.interrupted else 1 if self.failed else 0

    def summary(self) -> str:
        """One closing line: files, then how many of each status, then input problems."""
        done = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items()))
        problems = self.failed - self.counts.get("failed", 0)
        return (f"{self.files} file(s): {done or 'nothing to do'}"
                + (f"; {problems} input problem(s)" if problems else ""))


def ingest(
    paths: Iterable[str | Path],
    store: Store | None,
    jobs: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    *,
    max_memory: int | None = None,
    force: bool = False,
    keep_other: bool = False,
    keep_reports: bool = False,
    on_inputs: Callable[[int, list[InputError]], None] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> BatchResult:
    """Extract files, folders or globs into ``store`` (``None``: extract only).

    ``jobs`` worker processes (default: one per core) each have ``max_memory``
    bytes and each file ``timeout`` seconds. Content already stored is skipped
    unless ``force`` or ``keep_reports`` (which keeps every report on its
    outcome, for JSON output). ``on_inputs(files, problems)`` is called once the
    inputs are expanded and ``on_outcome`` after each file, for progress; an
    interrupt (Ctrl-C) ends the batch with what was stored so far.
    """
    files, problems = find_inputs(paths)
    result = BatchResult(files=len(files), problems=problems)
    if on_inputs is not None:
        on_inputs(len(files), problems)
    first_of: dict[str, str] = {}  # report id -> the file it was first stored from
    try:
        for outcome in _outcomes(files, store, jobs or default_jobs(), timeout, max_memory,
                                 skip=store is not None and not (force or keep_reports),
                                 keep_other=keep_other,
                                 as_rows=store is not None and not keep_reports):
            if store is not None and (outcome.report is not None or outcome.rows is not None):
                _store(store, outcome, first_of)
            outcome.rows = None
            if not keep_reports:
                outcome.report = None  # the batch holds no reports it will not print
            result.counts[outcome.status] = result.counts.get(outcome.status, 0) + 1
            result.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    except KeyboardInterrupt:
        result.interrupted = True
    return result


def _outcomes(files: list[Path], store: Store | None, jobs: int, timeout: float | None,
              max_memory: int | None, *, skip: bool, keep_other: bool, as_rows: bool
              ) -> Iterable[Outcome]:
    """Every file's outcome in input order: stored content skipped, the rest extracted.

    Files are hashed here only when the database holds a source one of them
    could be: into a new database each worker hashes the bytes it reads
    anyway, and this process, which also stores every report, reads no file.
    """
    digests: dict[str, str] = {}
    known: dict[str, Outcome] = {}
    if skip and store is not None and store.has_sources():
        for path in files:
            digest = file_sha256(path)
            if digest is None:
                continue  # the worker says what is wrong with the file
            report_id = store.known_sha256(digest)
            if report_id:
                known[str(path)] = Outcome(path=str(path), status="skipped", report_id=report_id)
            else:
                digests[str(path)] = digest
    todo = [path for path in files if str(path) not in known]
    extracted = iter(extract_batch(todo, jobs=jobs, timeout=timeout, max_memory=max_memory,
                                   keep_other=keep_other, digests=digests, as_rows=as_rows))
    for path in files:
        yield known.get(str(path)) or next(extracted)


def file_sha256(path: Path) -> str | None:
    """The file's SHA-256, read in chunks; ``None`` when it cannot be read or is too large.

    A file larger than any report is not hashed: the reader refuses it.
    """
    try:
        if os.stat(path).st_size > size_limit(path):
            return None
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def _store(store: Store, outcome: Outcome, first_of: dict[str, str]) -> None:
    """Store one extracted report (or its rows) and set the outcome's status (and note or
    error)."""
    rows = outcome.rows
    where = rows.source_path if rows else outcome.report.source.path if outcome.report else ""
    try:
        if rows is None:
            assert outcome.report is not None
            rows = report_rows(outcome.report)
        first = first_of.get(rows.id)
        if first is not None:
            store.add_source(rows)
            outcome.status = SAME_REPORT
            outcome.note = printable(f"{rows.source_path}: same report as {first} "
                                     f"({rows.id}); recorded as another source of it")
            return
        first_of[rows.id] = rows.source_path
        outcome.status = store.save_rows(rows)
    except (StoreError, sqlite3.Error, OSError, ValueError) as exc:
        outcome.status = "failed"
        outcome.error = printable(f"{where}: could not be stored ({exc})")
