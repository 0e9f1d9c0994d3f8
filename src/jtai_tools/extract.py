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
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING

from .clean import clean_document
from .metadata import read_metadata
from .models import Report, Source, sortable_date
from .read import SUPPORTED_SUFFIXES, InputError, printable, read_document
from .sections import build_findings, split_sections

if TYPE_CHECKING:  # spaCy loads with the tagger: only when something is tagged
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


def use_tagger(tagger: Tagger | None) -> None:
    """Make ``tagger`` the one extraction uses in this process and the workers it forks.

    ``None`` goes back to the tagger with the built-in codebook. This is how
    ``--codebook`` reaches every worker without sending a tagger between processes.
    """
    global _tagger
    _tagger = tagger


def active_tagger() -> Tagger:
    """The tagger set with :func:`use_tagger`, else the built-in codebook's."""
    if _tagger is not None:
        return _tagger
    from .tag import default_tagger

    return default_tagger()


def extract_file(path: str | Path, tagger: Tagger | None = None) -> Report:
    """Extract one report file; raises :class:`InputError` when the file cannot be read."""
    raw = read_document(path)
    raw.path = _storable(raw.path)  # later stages quote it; the database needs valid text
    blocks = clean_document(raw)
    sections = split_sections(blocks)
    meta = read_metadata(raw, blocks, sections)
    findings = build_findings(sections)
    (tagger or active_tagger()).tag(findings, inspection_type=meta.inspection_type)
    warnings = [_storable(w) for w in (*raw.warnings, *meta.warnings)]
    if meta.inspection_type != "other" and not any(
        s.kind in ("improve", "recommendations") for s in sections
    ):
        warnings.append(f"{raw.path}: no improvement list or recommendations found")
    return Report(
        id=report_id(meta.area.name, sortable_date(meta.date, meta.fieldwork)[0],
                     meta.inspection_type),
        source=Source(path=raw.path, sha256=raw.sha256, format=raw.format, pages=raw.page_count),
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
        lead_inspector=meta.lead_inspector,
    )


#: Longest area part of a report id, so an id always makes a valid file name.
MAX_SLUG = 60


def report_id(area: str, date: str | None, inspection_type: str) -> str:
    """A stable, readable id such as ``sutton-2023-09-01-jtai``.

    Every part is slugged, so only lower-case ASCII letters, digits and
    hyphens survive (accents are dropped, "Öland" gives "oland"): an id taken
    from document text can never name a path outside an output folder, hide a
    file (no leading dot) or be too long for a file name.
    """
    area_slug = _slug(area)[:MAX_SLUG].strip("-") or "unknown"
    date_slug = _slug(date or "")[:20].strip("-") or "undated"
    type_slug = _slug(inspection_type)[:30].strip("-") or "other"
    return f"{area_slug}-{date_slug}-{type_slug}"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _storable(text: str) -> str:
    """A path as valid Unicode: bytes that were not UTF-8 in a file name become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def reports_dir() -> Path:
    """Where reports are read from when no path is given: ``$JTAI_REPORTS`` or data/reports."""
    return Path(os.environ.get(REPORTS_ENV) or DEFAULT_REPORTS_DIR)


def find_inputs(targets: Iterable[str | Path]) -> tuple[list[Path], list[InputError]]:
    """Expand files, folders (recursively) and globs into report files, sorted and unique.

    Folders yield only files with a supported suffix; a file named directly is
    always tried. A path that exists is taken as it is even when it looks like
    a glob ("report [final].pdf"). Unreadable folders are reported as problems;
    a symlink loop is reported as a notice (``fatal=False``) and not followed.
    A file reached twice through folder links is read once.
    """
    found: dict[str, Path] = {}
    real_seen: set[str] = set()
    problems: list[InputError] = []
    for target in targets:
        target = str(target)
        literal = os.path.lexists(target) or not glob.has_magic(target)
        matches = [target] if literal else sorted(glob.glob(target, recursive=True))
        if not matches:
            problems.append(InputError(target, "no file matches this pattern"))
        for match in matches:
            path = Path(match)
            if path.is_dir():
                files = list(_walk(path, problems))
                if not files:
                    suffixes = ", ".join(sorted(SUPPORTED_SUFFIXES))
                    problems.append(InputError(path, f"folder has no report files ({suffixes})"))
                for file in files:
                    real = os.path.realpath(file)
                    if real not in real_seen:
                        real_seen.add(real)
                        found.setdefault(str(file), file)
            elif path.exists() or path.is_symlink():
                real_seen.add(os.path.realpath(path))
                found.setdefault(str(path), path)
            else:
                problems.append(InputError(path, "no such file or folder"))
    return [found[key] for key in sorted(found)], problems


def _walk(folder: Path, problems: list[InputError]) -> Iterator[Path]:
    """Report files under ``folder``, following folder links but never round a loop.

    A link back to the folder itself or to a folder above it is a loop: it is
    reported once, as a notice, and not entered. A folder reached a second
    time by another link is not listed again (silently: that is no problem).
    """
    seen: set[tuple[int, int]] = set()

    def on_error(exc: OSError) -> None:
        problems.append(InputError(exc.filename or folder, f"cannot be read ({exc.strerror})"))

    for root, dirs, files in os.walk(folder, followlinks=True, onerror=on_error):
        try:
            stat = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        key = (stat.st_dev, stat.st_ino)
        if key in seen:
            dirs[:] = []
            continue
        seen.add(key)
        real_root = os.path.realpath(root)
        kept = []
        for name in sorted(dirs):
            link = os.path.join(root, name)
            target = os.path.realpath(link)
            if os.path.islink(link) and os.path.commonpath([target, real_root]) == target:
                problems.append(InputError(
                    link, "symlink loop (links back to a folder above it); not followed",
                    fatal=False))
            else:
                kept.append(name)
        dirs[:] = kept
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
        return Outcome(path=path, status="failed",
                       error=printable(f"{path}: too deeply nested to read"))
    except Exception as exc:  # a bug must not take the batch down; say which file
        return Outcome(path=path, status="failed",
                       error=printable(f"{path}: internal error: {exc!r}"))
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
    active_tagger()
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
                        error=printable(f"{worker.path}: took longer than {timeout:g} s; "
                                        "skipped (raise the limit with --timeout)"),
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

    def __init__(self, context: mp.context.ForkContext) -> None:
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
            outcome: Outcome = self.connection.recv()
            return outcome
        except (EOFError, OSError):
            self.process.join(1)
            code = self.process.exitcode
            return Outcome(path=path, status="failed", error=printable(
                f"{path}: the reader crashed on this file (exit code {code})"))

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
