"""The extraction pipeline, top-down: read → clean → sections → metadata → tag.

``extract_file`` turns one file into a :class:`~jtai_tools.models.Report`;
``find_inputs`` expands files, folders and globs into the files to read;
``extract_batch`` runs many files (in parallel with ``jobs``), skipping files
whose content is already stored, and reports each outcome so that a bad file
never stops the batch.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import multiprocessing as mp
import os
import re
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from .clean import clean_document
from .metadata import read_metadata
from .models import Report, Source
from .read import SUPPORTED_SUFFIXES, InputError, read_document
from .sections import build_findings, split_sections
from .tag import Tagger

REPORTS_ENV = "JTAI_REPORTS"
DEFAULT_REPORTS_DIR = Path("data/reports")
#: Seconds one file may take before it is given up (a 1,000-page PDF takes well under this).
DEFAULT_TIMEOUT = 300.0


@dataclass(slots=True)
class Outcome:
    """What happened to one input file in a batch."""

    path: str
    status: str  # "stored", "updated", "unchanged", "skipped", "failed", "extracted"
    report: Report | None = None
    report_id: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


_tagger: Tagger | None = None


def default_tagger() -> Tagger:
    """One tagger per process: building the spaCy matchers is the costly part."""
    global _tagger
    if _tagger is None:
        _tagger = Tagger()
    return _tagger


def extract_file(path: str | Path, tagger: Tagger | None = None) -> Report:
    """Extract one report file; raises :class:`InputError` when the file cannot be read."""
    raw = read_document(path)
    blocks = clean_document(raw)
    sections = split_sections(blocks)
    meta = read_metadata(raw, blocks, sections)
    findings = build_findings(sections)
    (tagger or default_tagger()).tag(findings)
    warnings = [*raw.warnings, *meta.warnings]
    if meta.inspection_type != "other" and not any(
        s.kind in ("improve", "recommendations") for s in sections
    ):
        warnings.append(f"{path}: no improvement list or recommendations found")
    return Report(
        id=report_id(meta.area.name, meta.date or meta.fieldwork.end, meta.inspection_type),
        source=Source(path=str(path), sha256=raw.sha256, format=raw.format, pages=raw.page_count),
        area=meta.area,
        inspection_type=meta.inspection_type,
        date=meta.date,
        fieldwork=meta.fieldwork,
        inspectorates=meta.inspectorates,
        jtai_focus=meta.jtai_focus,
        judgements=meta.judgements,
        sections=sections,
        findings=findings,
        warnings=warnings,
    )


def report_id(area: str, date: str | None, inspection_type: str) -> str:
    """A stable, readable id such as ``sutton-2023-09-01-jtai``.

    Only lower-case letters, digits and hyphens survive, so an id taken from
    document text can never name a path outside an output folder.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", area.lower()).strip("-") or "unknown"
    return f"{slug}-{date or 'undated'}-{inspection_type}"


def reports_dir() -> Path:
    """Where reports are read from when no path is given: ``$JTAI_REPORTS`` or data/reports."""
    return Path(os.environ.get(REPORTS_ENV) or DEFAULT_REPORTS_DIR)


def find_inputs(targets: Iterable[str | Path]) -> tuple[list[Path], list[InputError]]:
    """Expand files, folders (recursively) and globs into report files, sorted and unique.

    Folders yield only files with a supported suffix; a file named directly is
    always tried. Symlink loops and unreadable folders are reported, not followed.
    """
    found: dict[str, Path] = {}
    problems: list[InputError] = []
    for target in targets:
        target = str(target)
        matches = sorted(glob.glob(target, recursive=True)) if glob.has_magic(target) else [target]
        if not matches:
            problems.append(InputError(target, "no file matches this pattern"))
        for match in matches:
            path = Path(match)
            if path.is_dir():
                for file in _walk(path, problems):
                    found.setdefault(str(file), file)
            elif path.exists() or path.is_symlink():
                found.setdefault(str(path), path)
            else:
                problems.append(InputError(path, "no such file or folder"))
    return [found[key] for key in sorted(found)], problems


def _walk(folder: Path, problems: list[InputError]) -> Iterator[Path]:
    seen: set[tuple[int, int]] = set()

    def on_error(exc: OSError) -> None:
        problems.append(InputError(exc.filename or folder, f"cannot be read ({exc.strerror})"))

    for root, dirs, files in os.walk(folder, followlinks=True, onerror=on_error):
        try:
            stat = os.stat(root)
        except OSError:
            continue
        key = (stat.st_dev, stat.st_ino)
        if key in seen:
            problems.append(InputError(root, "symlink loop; folder skipped"))
            dirs[:] = []
            continue
        seen.add(key)
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.suffix.lower() in SUPPORTED_SUFFIXES and not name.startswith("."):
                yield path


def _extract_one(path: str) -> Outcome:
    """Extract one file and never raise, so one bad file cannot end a batch."""
    try:
        report = extract_file(path)
    except InputError as exc:
        return Outcome(path=path, status="failed", error=str(exc))
    except RecursionError:
        return Outcome(path=path, status="failed", error=f"{path}: too deeply nested to read")
    except Exception as exc:  # a bug must not take the batch down; say which file
        return Outcome(path=path, status="failed", error=f"{path}: internal error: {exc!r}")
    return Outcome(path=path, status="extracted", report=report, report_id=report.id,
                   warnings=report.warnings)


def extract_batch(
    paths: list[Path],
    jobs: int = 1,
    skip: Callable[[Path], str | None] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Iterator[Outcome]:
    """Extract many files, yielding one :class:`Outcome` per file, in input order.

    ``skip(path)`` returns a stored report id when the file's content is
    already stored; such files are not extracted again. With a ``timeout``
    (seconds per file) or more than one job, files are extracted in worker
    processes, so a file that hangs or crashes the PDF library costs only
    itself; without either, they are extracted in this process.
    """
    todo: list[str] = []
    skipped: dict[str, Outcome] = {}
    for path in paths:
        known = skip(path) if skip else None
        if known:
            skipped[str(path)] = Outcome(path=str(path), status="skipped", report_id=known)
        else:
            todo.append(str(path))
    if todo and (timeout or jobs > 1):
        results = _run_in_workers(todo, min(jobs, len(todo)), timeout)
    else:
        results = (_extract_one(path) for path in todo)
    pending: dict[str, Outcome] = {}
    order = iter(str(p) for p in paths)
    next_key = next(order, None)
    for outcome in results:
        pending[outcome.path] = outcome
        while next_key is not None and (next_key in skipped or next_key in pending):
            yield skipped.pop(next_key) if next_key in skipped else pending.pop(next_key)
            next_key = next(order, None)
    while next_key is not None:
        yield skipped.pop(next_key)
        next_key = next(order, None)


def _run_in_workers(paths: list[str], jobs: int, timeout: float | None) -> Iterator[Outcome]:
    """Hand files to worker processes; a worker over its time limit is killed and replaced.

    The tagger is built before the workers fork, so they share it instead of
    each loading spaCy again.
    """
    default_tagger()
    context = mp.get_context("fork")
    queue = list(reversed(paths))
    workers: list[_Worker] = []
    try:
        for _ in range(jobs):
            workers.append(_Worker(context))
        for worker in workers:
            if queue:
                worker.give(queue.pop())
        while any(w.busy for w in workers):
            busy = [w for w in workers if w.busy]
            wait_for = None
            if timeout:
                wait_for = max(0.0, min(w.started + timeout for w in busy) - time.monotonic())
            ready = wait(
                [w.connection for w in busy], timeout=wait_for
            )
            for worker in busy:
                outcome: Outcome | None = None
                if worker.connection in ready:
                    outcome = worker.receive()
                elif timeout and time.monotonic() - worker.started >= timeout:
                    outcome = Outcome(
                        path=worker.path or "",
                        status="failed",
                        error=f"{worker.path}: took longer than {timeout:g} s; "
                        "skipped (raise the limit with --timeout)",
                    )
                    worker.kill()
                if outcome is None:
                    continue
                if not worker.alive:
                    workers.remove(worker)
                    worker = _Worker(context)
                    workers.append(worker)
                if queue:
                    worker.give(queue.pop())
                yield outcome
    finally:
        for worker in workers:
            worker.stop()


class _Worker:
    """One extraction process, fed one path at a time through a pipe."""

    def __init__(self, context: mp.context.BaseContext) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.path: str | None = None
        self.started = 0.0

    @property
    def busy(self) -> bool:
        return self.path is not None

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def give(self, path: str) -> None:
        self.path = path
        self.started = time.monotonic()
        self.connection.send(path)

    def receive(self) -> Outcome:
        path, self.path = self.path or "", None
        try:
            return self.connection.recv()
        except (EOFError, OSError):
            self.process.join(1)
            code = self.process.exitcode
            return Outcome(path=path, status="failed",
                          error=f"{path}: the reader crashed on this file (exit code {code})")

    def kill(self) -> None:
        self.path = None
        self.process.kill()
        self.process.join()

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.connection.send(None)
            self.process.join(2)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
        self.connection.close()


def _worker_main(connection: Connection) -> None:
    """Worker loop: extract each path sent until ``None`` arrives or the parent goes away."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            path = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if path is None:
            return
        connection.send(_extract_one(path))


def _die_with_parent() -> None:
    """Ask Linux to end this worker when the batch process dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
