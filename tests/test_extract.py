"""Finding inputs, report ids and batches that survive bad files, hangs and hostile names."""

from __future__ import annotations

import os
import re
import resource
import time
from pathlib import Path

import pytest

import pdfgen
from jtai_tools.extract import (
    MAX_SLUG,
    extract_batch,
    extract_file,
    find_inputs,
    report_id,
)
from jtai_tools.models import Report
from jtai_tools.store import Store

REPORT_TEXT = (
    "Joint targeted area inspection of the multi-agency response to children\n"
    "Areas for improvement\n"
    "Leaders should improve the quality of plans for children.\n"
)


def _text_report(path: Path, extra: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(REPORT_TEXT + extra, encoding="utf-8")
    return path


# --- find_inputs -------------------------------------------------------------------------


def test_folder_with_symlink_loop_lists_each_file_once(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    a = _text_report(root / "a.txt")
    (root / "sub").mkdir()
    b = pdfgen.write_pdf(root / "sub" / "b.pdf")
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "sub" / "again").symlink_to(root / "sub", target_is_directory=True)
    files, problems = find_inputs([root])
    assert files == [a, b]
    assert problems, "the loop must be reported"
    assert sorted(p.path for p in problems) == [str(root / "sub" / "again"),
                                                str(root / "sub" / "loop")]
    assert all(not p.fatal and "symlink loop" in p.problem for p in problems)
    assert all("\n" not in str(p) for p in problems)


def test_folders_skip_other_suffixes_and_hidden_files_but_named_files_are_tried(
    tmp_path: Path,
) -> None:
    a = _text_report(tmp_path / "A.TXT")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / ".hidden.txt").write_text("x")
    files, problems = find_inputs([tmp_path])
    assert (files, problems) == ([a], [])
    files, problems = find_inputs([tmp_path / "notes.docx"])
    assert (files, problems) == ([tmp_path / "notes.docx"], [])


def test_missing_path_and_unmatched_glob_are_fatal_problems(tmp_path: Path) -> None:
    files, problems = find_inputs([tmp_path / "gone.pdf", str(tmp_path / "*.pdf")])
    assert files == []
    assert [p.fatal for p in problems] == [True, True]
    assert "no such file or folder" in problems[0].problem
    assert "no file matches this pattern" in problems[1].problem


def test_empty_folder_is_reported(tmp_path: Path) -> None:
    (tmp_path / "x.pdf").mkdir()
    files, problems = find_inputs([tmp_path / "x.pdf"])
    assert files == []
    assert len(problems) == 1 and "no report files" in problems[0].problem


def test_glob_and_literal_names_with_glob_characters(tmp_path: Path) -> None:
    odd = _text_report(tmp_path / "report [final].txt")
    plain = _text_report(tmp_path / "b.txt")
    assert find_inputs([odd]) == ([odd], [])
    files, problems = find_inputs([str(tmp_path / "*.txt"), str(plain)])
    assert (files, problems) == ([plain, odd], [])


def test_same_file_through_a_linked_folder_is_read_once(tmp_path: Path) -> None:
    real = _text_report(tmp_path / "real" / "a.txt")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    files, problems = find_inputs([tmp_path])
    assert problems == []
    assert [os.path.realpath(f) for f in files] == [os.path.realpath(real)]


# --- report ids --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "area",
    ["../../etc", "a/b", "..", ".", "", "   ", "/", "\\..\\windows", "Öland/..", "東京",
     "~root", "-rf", "a\x00b", "x" * 1000, "..\n../passwd", "CON", ".hidden"],
)
@pytest.mark.parametrize("date", [None, "2023-09-01", "../..", "2023/09/01"])
def test_report_id_cannot_leave_an_output_folder(
    tmp_path: Path, area: str, date: str | None
) -> None:
    for kind in ("jtai", "../x", ""):
        rid = report_id(area, date, kind)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rid), rid
        assert len(rid) <= MAX_SLUG + 60
        target = (tmp_path / f"{rid}.json").resolve()
        assert target.parent == tmp_path.resolve()


def test_report_id_is_readable() -> None:
    assert report_id("Sutton", "2023-09-01", "jtai") == "sutton-2023-09-01-jtai"
    assert report_id("Bournemouth, Christchurch and Poole", None, "focused-visit") == (
        "bournemouth-christchurch-and-poole-undated-focused-visit")
    assert report_id("Rapport d'été", "2023-01-02", "other") == "rapport-d-ete-2023-01-02-other"
    assert report_id("東京", None, "ilacs") == "unknown-undated-ilacs"
    # documents that are not reports, with no area or date, are told apart by content
    assert report_id("", None, "other", "ab12cd34ef") == "unknown-undated-other-ab12cd34"
    assert report_id("", None, "other", "99ffee00aa") == "unknown-undated-other-99ffee00"
    assert report_id("Sutton", "2019-06-29", "other", "ab12cd34ef") == "sutton-2019-06-29-other"
    assert report_id("Sutton", None, "other", "ab12cd34ef") == "sutton-undated-other-ab12cd34"


# --- extract_file ------------------------------------------------------------------------


def test_extract_file_on_a_generated_pdf(tmp_path: Path) -> None:
    path = pdfgen.write_pdf(tmp_path / "rapport d'été 2023.pdf", page_count=4, lines_per_page=6)
    report = extract_file(path)
    assert isinstance(report, Report)
    assert report.source.path == str(path)
    assert report.source.format == "pdf" and report.source.pages == 4
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", report.id)


def test_undecodable_file_name_is_stored_as_valid_text(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/bad-\xff-name.txt"
    with open(raw, "wb") as handle:
        handle.write(REPORT_TEXT.encode())
    path = Path(os.fsdecode(raw))
    report = extract_file(path)
    assert "\ufffd" in report.source.path
    report.source.path.encode("utf-8")  # no lone surrogates left
    with Store(tmp_path / "db.sqlite") as store:
        assert store.save(report) == "stored"
        assert [r.source.path for r in store.reports()] == [report.source.path]


# --- extract_batch -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("batch")
    files = pdfgen.write_broken_inputs(folder / "broken")
    files["good_pdf"] = pdfgen.write_pdf(folder / "good.pdf", pdfgen.report_pages(2))
    files["good_txt"] = _text_report(folder / "good.txt")
    files["long"] = pdfgen.write_pdf(folder / "long.pdf", pdfgen.report_pages(1000, 30))
    return files


def test_slow_file_times_out_and_the_next_files_still_run(batch_files: dict[str, Path]) -> None:
    """The limit sits between the small files (hundredths of a second) and the
    1,000-page PDF (whose text layer alone takes most of a second to read)."""
    paths = [batch_files["long"], batch_files["good_pdf"], batch_files["good_txt"]]
    started = time.monotonic()
    outcomes = list(extract_batch(paths, jobs=1, timeout=0.3))
    assert time.monotonic() - started < 30
    assert [o.path for o in outcomes] == [str(p) for p in paths]
    slow, *rest = outcomes
    assert slow.status == "failed" and slow.report is None
    assert slow.error == (
        f"{paths[0]}: took longer than 0.3 s, the time limit for one file; skipped")
    assert "--" not in slow.error  # the library names no command-line flag
    assert [(o.status, o.error) for o in rest] == [("extracted", None), ("extracted", None)]
    assert all(o.report is not None for o in rest)


def test_files_over_a_tiny_limit_fail_alone_and_keep_their_place(
    batch_files: dict[str, Path],
) -> None:
    paths = [batch_files["long"], batch_files["good_txt"], batch_files["long"]]
    outcomes = list(extract_batch(paths, jobs=2, timeout=0.05))
    assert [o.path for o in outcomes] == [str(p) for p in paths]
    for slow in (outcomes[0], outcomes[2]):
        assert slow.status == "failed" and "took longer than 0.05 s" in (slow.error or "")


def test_thousand_page_pdf_extracts_within_the_default_limit(batch_files: dict[str, Path]) -> None:
    (outcome,) = extract_batch([batch_files["long"]], jobs=1)
    assert outcome.status == "extracted", outcome.error
    assert outcome.report is not None and outcome.report.source.pages == 1000
    # Loose sanity only (figures belong in benchmarks): the worker stayed under 2 GiB.
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kib < 2 * 1024 * 1024


def test_bad_files_fail_alone_in_input_order(batch_files: dict[str, Path]) -> None:
    paths = sorted(p for name, p in batch_files.items() if name != "long")
    for jobs, timeout in ((1, None), (2, 60.0)):
        outcomes = list(extract_batch(paths, jobs=jobs, timeout=timeout))
        assert [o.path for o in outcomes] == [str(p) for p in paths]
        by_path = {o.path: o for o in outcomes}
        for name in ("empty", "truncated", "encrypted", "image_only", "html_as_pdf", "junk_txt",
                     "folder_as_pdf", "dangling_link"):
            outcome = by_path[str(batch_files[name])]
            assert outcome.status == "failed", name
            assert outcome.error and outcome.error.startswith(f"{batch_files[name]}: "), name
            assert "\n" not in outcome.error and "Traceback" not in outcome.error
            assert "internal error" not in outcome.error, outcome.error
        for name in ("good_pdf", "good_txt", "encrypted_empty_password"):
            assert by_path[str(batch_files[name])].status == "extracted", name
        corrupt = by_path[str(batch_files["corrupt_xref"])]
        assert corrupt.status == "extracted" or "damaged" in (corrupt.error or "")


def test_parallel_batch_gives_the_same_reports(batch_files: dict[str, Path]) -> None:
    paths = [batch_files[n] for n in ("good_txt", "good_pdf", "encrypted_empty_password", "empty")]
    one = list(extract_batch(paths, jobs=1, timeout=None))
    two = list(extract_batch(paths, jobs=2, timeout=60))
    assert [(o.path, o.status, o.report_id, o.error) for o in one] == [
        (o.path, o.status, o.report_id, o.error) for o in two]
    assert [o.report for o in one] == [o.report for o in two]
