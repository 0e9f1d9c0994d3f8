"""The extraction pipeline, top-down: read → clean → sections → metadata → tag.

``extract_file`` turns one file into a :class:`~jtai_tools.models.Report`;
``find_inputs`` expands files, folders and globs into the files to read;
``extract_batch`` runs many files (in parallel with ``jobs``), skipping files
whose content is already stored, and reports each outcome so that a bad file
never stops the batch.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .clean import clean_document
from .metadata import read_metadata
from .models import Report, Source
from .read import SUPPORTED_SUFFIXES, InputError, read_document
from .sections import build_findings, split_sections
from .tag import Tagger

REPORTS_ENV = "JTAI_REPORTS"
DEFAULT_REPORTS_DIR = Path("data/reports")


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
    """Worker entry point: never raises, so one bad file cannot end a batch."""
    try:
        report = extract_file(path)
    except InputError as exc:
        return Outcome(path=path, status="failed", error=str(exc))
    except Exception as exc:  # a bug must not take the batch down; say which file
        return Outcome(path=path, status="failed", error=f"{path}: internal error: {exc!r}")
    return Outcome(path=path, status="extracted", report=report, report_id=report.id,
                   warnings=report.warnings)


def extract_batch(
    paths: list[Path],
    jobs: int = 1,
    skip: Callable[[Path], str | None] | None = None,
) -> Iterator[Outcome]:
    """Extract many files, yielding one :class:`Outcome` per file in input order.

    ``skip(path)`` returns a stored report id when the file's content is
    already stored; such files are not extracted again.
    """
    todo: list[str] = []
    done: dict[str, Outcome] = {}
    for path in paths:
        known = skip(path) if skip else None
        if known:
            done[str(path)] = Outcome(path=str(path), status="skipped", report_id=known)
        else:
            todo.append(str(path))
    if jobs > 1 and len(todo) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_extract_one, p): p for p in todo}
            results = {futures[f]: f.result() for f in as_completed(futures)}
        done.update(results)
        yield from (done[str(p)] for p in paths)
        return
    for path in paths:
        key = str(path)
        yield done[key] if key in done else _extract_one(key)
