"""The extraction pipeline, top-down: read → clean → sections → metadata → tag.

``extract_file`` turns one file into a :class:`~jtai_tools.models.Report`;
``find_inputs`` expands files, folders and globs into the files to read;
``extract_batch`` runs many files in worker processes (``jobs`` of them), each
with a memory and a time limit, and reports each outcome so that a bad or
hostile file never stops the batch. What is stored, and what is skipped, is
decided by :func:`jtai_tools.ingest.ingest`.
"""

from __future__ import annotations

import contextlib
import gc
import glob
import multiprocessing as mp
import os
import re
import resource
import signal
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .clean import clean_document
from .metadata import read_metadata
from .models import Report, Source, sortable_date
from .read import SUPPORTED_SUFFIXES, InputError, human_size, printable, read_document
from .sections import build_findings, split_sections
from .vocab import section_roles

if TYPE_CHECKING:  # spaCy loads with the tagger: only when something is tagged
    from .store import ReportRows
    from .tag import Tagger

REPORTS_ENV = "JTAI_REPORTS"
DEFAULT_REPORTS_DIR = Path("data/reports")
#: Seconds one file may take before it is given up (a 1,000-page PDF takes a few).
DEFAULT_TIMEOUT = 120.0


@dataclass(slots=True)
class Outcome:
    """What happened to one input file in a batch."""

    path: str
    status: str  # "stored", "updated", "unchanged", "skipped", "failed", "extracted"
    report: Report | None = None
    #: The report as the store's rows, when the batch only stores it (see ``extract_batch``).
    rows: ReportRows | None = None
    report_id: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    note: str | None = None


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


def extract_file(path: str | Path, tagger: Tagger | None = None, *,
                 sha256: str | None = None) -> Report:
    """Extract one report file; raises :class:`InputError` when the file cannot be read.

    ``sha256`` is the file's content hash when the caller has computed it.
    """
    raw = read_document(path, sha256=sha256)
    raw.path = _storable(raw.path)  # later stages quote it; the database needs valid text
    blocks = clean_document(raw)
    sections = split_sections(blocks)
    meta = read_metadata(raw, blocks, sections)
    findings = build_findings(sections)
    (tagger or active_tagger()).tag(findings, inspection_type=meta.inspection_type)
    warnings = [_storable(w) for w in (*raw.warnings, *meta.warnings)]
    if meta.inspection_type != "other" and not any(
        s.kind in section_roles().improvement for s in sections
    ):
        warnings.append(f"{raw.path}: no improvement list or recommendations found")
    return Report(
        id=report_id(meta.area.name, sortable_date(meta.date, meta.fieldwork)[0],
                     meta.inspection_type, raw.sha256),
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
        copyright_year=meta.copyright_year,
    )


#: Longest area part of a report id, so an id always makes a valid file name.
MAX_SLUG = 60


def report_id(area: str, date: str | None, inspection_type: str,
              content_sha256: str | None = None) -> str:
    """A stable, readable id such as ``sutton-2023-09-01-jtai``.

    Every part is slugged, so only lower-case ASCII letters, digits and
    hyphens survive (accents are dropped, "Öland" gives "oland"): an id taken
    from document text can never name a path outside an output folder, hide a
    file (no leading dot) or be too long for a file name. A document that is
    not an inspection report and names no area or no date would share
    ``unknown-undated-other`` with every other such file, and be stored over
    them; it gets the first 8 hex digits of its content's SHA-256 appended.
    """
    area_slug = _slug(area)[:MAX_SLUG].strip("-") or "unknown"
    date_slug = _slug(date or "")[:20].strip("-") or "undated"
    type_slug = _slug(inspection_type)[:30].strip("-") or "other"
    rid = f"{area_slug}-{date_slug}-{type_slug}"
    vague = (area_slug == "unknown" or date_slug == "undated") and type_slug == "other"
    return f"{rid}-{_slug(content_sha256)[:8]}" if vague and content_sha256 else rid


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


def not_a_report(report: Report) -> str | None:
    """Why an extracted document is garbage rather than a report, or ``None``.

    A file with no inspection title, no area and no recognised section is
    nothing an analyst could use; storing it as type ``other`` would only hide
    the problem. A real document of the family (a partnership's arrangements,
    which names its area) is still kept as ``other`` with its warning.
    """
    if (report.inspection_type == "other" and report.area.name == UNKNOWN_AREA
            and all(section.kind == "other" for section in report.sections)):
        return "not a report: no inspection title, no area and no sections; not stored"
    return None


#: The area name metadata gives a document that names none.
UNKNOWN_AREA = "unknown"


def default_jobs() -> int:
    """Worker processes by default: one per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


#: The least and the most memory one worker is given by default (bytes).
MIN_WORKER_MEMORY = 256 * 1024**2
MAX_WORKER_MEMORY = 1024**3


def default_max_memory(jobs: int) -> int:
    """Memory one worker may use by default: 1 GiB, less on a machine without 2 GiB per worker."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return MAX_WORKER_MEMORY
    return max(MIN_WORKER_MEMORY, min(MAX_WORKER_MEMORY, total // (2 * max(jobs, 1))))


def _extract_one(path: str, sha256: str | None = None, keep_other: bool = False,
                 as_rows: bool = False) -> Outcome:
    """Extract one file and never raise, so one bad file cannot end a batch.

    ``as_rows`` hands the report back as the store's rows rather than as a
    :class:`Report` (see :func:`extract_batch`).
    """
    try:
        report = extract_file(path, sha256=sha256)
    except InputError as exc:
        return Outcome(path=path, status="failed", error=str(exc))
    except RecursionError:
        return Outcome(path=path, status="failed",
                       error=printable(f"{path}: too deeply nested to read"))
    except MemoryError:
        return Outcome(path=path, status="failed", error=printable(
            f"{path}: needs more memory than the limit for one file"
            f"{_memory_limit_text()}; skipped"))
    except Exception as exc:  # a bug must not take the batch down; say which file
        return Outcome(path=path, status="failed",
                       error=printable(f"{path}: internal error: {exc!r}"))
    refused = None if keep_other else not_a_report(report)
    if refused:
        return Outcome(path=path, status="failed", error=printable(f"{report.source.path}: "
                                                                   f"{refused}"))
    if as_rows:
        from .store import report_rows

        return Outcome(path=path, status="extracted", rows=report_rows(report),
                       report_id=report.id, warnings=report.warnings)
    return Outcome(path=path, status="extracted", report=report, report_id=report.id,
                   warnings=report.warnings)


def extract_batch(
    paths: Sequence[str | Path],
    jobs: int = 1,
    timeout: float | None = DEFAULT_TIMEOUT,
    *,
    max_memory: int | None = None,
    keep_other: bool = False,
    digests: Mapping[str, str] | None = None,
    as_rows: bool = False,
) -> Iterator[Outcome]:
    """Extract many files in worker processes, yielding one :class:`Outcome` per file in order.

    Each worker may map ``max_memory`` bytes beyond what it maps at start
    (default :func:`default_max_memory`) and each file ``timeout`` seconds; a file over
    either, or one that crashes the PDF library, costs only itself: its
    worker is replaced and the batch goes on. ``digests`` maps a path to its
    content hash when the caller has already hashed it (each file is hashed
    once). ``keep_other`` keeps documents :func:`not_a_report` refuses.
    ``as_rows`` gives each outcome the rows the store inserts
    (:func:`jtai_tools.store.report_rows`, built in the worker) instead of
    the report: the batch process then only inserts them, which is what lets
    a batch that stores scale with its workers.
    """
    names = [str(path) for path in paths]
    if not names:
        return iter(())
    jobs = max(1, min(jobs, len(names)))
    memory = max_memory or default_max_memory(jobs)
    return _run_in_workers(names, digests or {}, jobs, timeout, memory, (keep_other, as_rows))


def _run_in_workers(paths: list[str], digests: Mapping[str, str], jobs: int,
                    timeout: float | None, max_memory: int, options: tuple[bool, bool]
                    ) -> Iterator[Outcome]:
    """Files through a pebble process pool, a few ahead of the one being yielded.

    pebble (rather than ``concurrent.futures``) because it kills and replaces
    the one worker whose file runs over its time limit, where the standard
    pool can only be torn down whole. The tagger is built before the workers
    fork, so they share it instead of each loading spaCy again. At most
    ``_AHEAD`` files per worker are in flight, so memory stays bounded
    however long the list of paths is.
    """
    from pebble import ProcessPool

    active_tagger()
    pool = ProcessPool(max_workers=jobs, initializer=_limit_worker, initargs=(max_memory,),
                       context=mp.get_context("fork"))
    pending: deque[tuple[str, Future[Outcome]]] = deque()
    queue = iter(paths)
    try:
        for path in queue:
            pending.append((path, pool.schedule(_extract_one, (path, digests.get(path),
                                                               *options), timeout=timeout)))
            if len(pending) >= jobs * _AHEAD:
                break
        while pending:
            path, future = pending.popleft()
            next_path = next(queue, None)
            if next_path is not None:
                pending.append((next_path, pool.schedule(
                    _extract_one, (next_path, digests.get(next_path), *options),
                    timeout=timeout)))
            yield _outcome_of(path, future, timeout, max_memory)
    finally:
        if pending:  # left early (an interrupt): do not wait for the rest
            pool.stop()
        else:
            pool.close()
        pool.join()


#: Files handed out per worker beyond the one being read.
_AHEAD = 4


def _outcome_of(path: str, future: Future[Outcome], timeout: float | None,
                max_memory: int) -> Outcome:
    """The worker's outcome, or one line saying why the worker gave none."""
    from pebble import ProcessExpired

    try:
        return future.result()
    except TimeoutError:
        error = (f"{path}: took longer than {timeout:g} s, the time limit for one file; "
                 "skipped")
    except ProcessExpired as exc:
        error = (f"{path}: the reader stopped on this file ({_how_it_ended(exc.exitcode)}); "
                 f"it may need more than the {human_size(max_memory)} memory limit "
                 "for one file; skipped")
    except Exception as exc:  # a result that could not be sent back
        error = f"{path}: internal error: {exc!r}"
    return Outcome(path=path, status="failed", error=printable(error))


def _how_it_ended(exitcode: int | None) -> str:
    """ "killed by SIGABRT" or "exit code 3", for a worker that died."""
    if exitcode is not None and exitcode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"


_worker_memory: int | None = None


#: The garbage collector's thresholds in a worker: a youngest generation of 20,000
#: allocations rather than 700. Extraction makes millions of short-lived objects
#: (lines, tokens, hits), nearly none in reference cycles, so the default thresholds
#: ran collections that found almost nothing: about 6% of a worker's time, measured
#: on 130 reports of the development pool. The cycles there are still collected, a
#: little later, within the worker's memory limit.
WORKER_GC_THRESHOLDS = (20_000, 20, 20)


def _limit_worker(max_memory: int) -> None:
    """Start a worker: ignore Ctrl-C (the batch handles it), freeze what it inherits and cap
    its address space.

    The cap is what the worker maps when it starts (the program and the tagger
    it shares with the batch process, about 330 MB) plus ``max_memory`` for
    reading one file: a bigger tagger does not eat into what a file may use.
    A file past it fails with MemoryError, or pdfium aborts: either way only
    that file is lost.
    """
    global _worker_memory
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Everything the worker inherits (the tagger's vocabulary, matchers and model) lives
    # as long as the worker: frozen, the garbage collector no longer walks it at every
    # full collection, which cost a tenth of the extraction.
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLDS)
    limit = _mapped_bytes() + max_memory
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    _worker_memory = max_memory


def _mapped_bytes() -> int:
    """This process's address space (VmSize), or 0 where /proc is not there."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _memory_limit_text() -> str:
    return f" ({human_size(_worker_memory)})" if _worker_memory else ""
