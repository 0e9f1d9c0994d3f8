"""The extract group (``extract``, ``retag``) on real files and a real database, in-process.

One test runs a separate process: Ctrl-C must reach the command and its
workers as a signal, which only a process of its own can receive.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import pdfgen
from fixtures.cli_runner import JTAI, CliResult, run_cli
from jtai_tools.model import MODEL_FILE
from jtai_tools.store import Store

REPORT_TEXT = (
    "Joint targeted area inspection of the multi-agency response to children\n"
    "Areas for improvement\n"
    "Leaders should improve the quality of plans for children.\n"
)


def jtai(*args: str | Path, cwd: Path) -> CliResult:
    """``jtai ARGS`` run in-process from ``cwd``, output piped as in a script or CI."""
    return run_cli(*args, cwd=cwd)


def lines(stream: str, prefix: str) -> list[str]:
    return [line for line in stream.splitlines() if line.startswith(prefix)]


def assert_clean(result: CliResult) -> None:
    assert "Traceback" not in result.stderr + result.stdout
    assert "━" not in result.stderr and "extracting" not in result.stderr  # no progress bar


def corpus_text(reports_dir: Path, name: str) -> str:
    return (reports_dir / "text" / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, reports_dir: Path) -> dict[str, Path]:
    """A folder as users have them: real reports beside every kind of broken input."""
    root = tmp_path_factory.mktemp("mixed")
    files = pdfgen.write_broken_inputs(root / "inbox")
    good = root / "inbox" / "good"
    good.mkdir()
    files["good_pdf"] = pdfgen.pdf_from_text(
        good / "rapport d'été 2023.pdf", corpus_text(reports_dir, "sutton-2023-09-01-jtai.txt"))
    files["good_txt"] = good / "lewisham report.txt"
    files["good_txt"].write_text(corpus_text(reports_dir, "lewisham-2023-01-31-jtai.txt"))
    files["latin1"] = good / "café.md"
    files["latin1"].write_bytes(
        (corpus_text(reports_dir, "surrey-2023-05-02-jtai.md") + "\nCafé – résumé d’été\n")
        .encode("cp1252", "replace"))
    (good / "loop").symlink_to(root / "inbox", target_is_directory=True)
    return files


BAD = ("empty", "truncated", "encrypted", "image_only", "html_as_pdf", "junk_txt", "dangling_link")


def test_broken_inputs_get_one_line_each_and_good_ones_are_stored(
    mixed: dict[str, Path], tmp_path: Path, reports_dir: Path
) -> None:
    db = tmp_path / "jtai.db"
    earlier = tmp_path / "earlier.txt"
    earlier.write_text(corpus_text(reports_dir, "sutton-2017-02-13-sif.txt"))
    first = jtai("extract", earlier, "--db", db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    with Store(db) as store:
        before = {r.id: r for r in store.reports()}
    assert len(before) == 1

    result = jtai("extract", mixed["empty"].parent, "--db", db, cwd=tmp_path)
    assert_clean(result)
    assert result.returncode == 1
    errors = lines(result.stderr, "error: ")
    for name in BAD:
        own = [e for e in errors if e.startswith(f"error: {mixed[name]}: ")]
        assert len(own) == 1, (name, result.stderr)
    corrupt = [e for e in errors if e.startswith(f"error: {mixed['corrupt_xref']}: ")]
    assert len(errors) == len(BAD) + len(corrupt)
    assert all("damaged" in e for e in corrupt)
    assert "OCR" in next(e for e in errors if str(mixed["image_only"]) in e)
    warnings = lines(result.stderr, "warning: ")
    assert any(w.startswith(f"warning: {mixed['latin1']}: ") and "Windows-1252" in w
               for w in warnings)
    assert any("symlink loop" in w and w.startswith(f"warning: {mixed['good_pdf'].parent}/loop")
               for w in warnings)

    with Store(db) as store:
        after = {r.id: r for r in store.reports()}
        stored = {name for name in ("good_pdf", "good_txt", "latin1", "encrypted_empty_password")
                  if store.known_sha256(hashlib.sha256(mixed[name].read_bytes()).hexdigest())}
    assert before.keys() <= after.keys()  # nothing stored earlier was lost
    for rid, report in before.items():
        assert after[rid] == report
    assert stored == {"good_pdf", "good_txt", "latin1", "encrypted_empty_password"}
    assert {"sutton-2023-09-01-jtai", "lewisham-2023-01-31-jtai", "surrey-2023-05-02-jtai"} <= (
        after.keys())


def test_rerun_skips_unchanged_content(mixed: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "jtai.db"
    good = mixed["good_pdf"].parent
    first = jtai("extract", good, "--db", db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "3 file(s)" in first.stderr and "skipped" not in first.stderr
    second = jtai("extract", good, "--db", db, cwd=tmp_path)
    assert_clean(second)
    assert second.returncode == 0
    assert lines(second.stderr, "3 file(s): ") == ["3 file(s): 3 skipped"]
    forced = jtai("extract", good, "--db", db, "--force", cwd=tmp_path)
    assert forced.returncode == 0
    assert "skipped" not in forced.stderr and "unchanged" in forced.stderr


def test_json_is_a_valid_array_and_the_same_with_two_jobs(
    mixed: dict[str, Path], tmp_path: Path
) -> None:
    folder = mixed["empty"].parent
    one = jtai("extract", folder, "--json", "--no-store", "--jobs", "1", cwd=tmp_path)
    two = jtai("extract", folder, "--json", "--no-store", "--jobs", "2", cwd=tmp_path)
    for result in (one, two):
        assert_clean(result)
        assert result.returncode == 1
    records = json.loads(one.stdout)
    assert isinstance(records, list) and len(records) >= 4
    assert {r["source"]["path"] for r in records} >= {
        str(mixed[n]) for n in ("good_pdf", "good_txt", "latin1", "encrypted_empty_password")}
    assert one.stdout == two.stdout  # same records, same order, same bytes
    assert one.stderr == two.stderr


def test_missing_path_and_unmatched_glob(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(REPORT_TEXT)
    result = jtai("extract", tmp_path / "nope.pdf", str(tmp_path / "*.pdf"), good,
                  "--db", tmp_path / "db", cwd=tmp_path)
    assert_clean(result)
    assert result.returncode == 1
    assert lines(result.stderr, "error: ") == [
        f"error: {tmp_path / 'nope.pdf'}: no such file or folder",
        f"error: {tmp_path / '*.pdf'}: no file matches this pattern",
    ]
    with Store(tmp_path / "db") as store:
        assert len(store.reports()) == 1


def test_hostile_and_long_file_names_stay_on_one_line(tmp_path: Path) -> None:
    folder = tmp_path / ("a-very-long-folder-name-" * 4)
    folder.mkdir()
    (folder / "bad\nerror: forged line [bold]x[red] :smile:.pdf").write_bytes(b"")
    result = jtai("extract", folder, "--no-store", cwd=tmp_path)
    assert_clean(result)
    assert result.returncode == 1
    errors = lines(result.stderr, "error: ")
    assert errors == [
        f"error: {folder}/bad\\nerror: forged line [bold]x[red] :smile:.pdf: empty file (0 bytes)"
    ]
    assert len(result.stderr.splitlines()) == 2  # the error and the summary


def test_database_that_cannot_be_opened(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(REPORT_TEXT)
    (tmp_path / "db.sqlite").write_bytes(b"this is not a database" * 100)
    result = jtai("extract", good, "--db", tmp_path / "db.sqlite", cwd=tmp_path)
    assert_clean(result)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: {tmp_path / 'db.sqlite'}: ")


def test_whole_corpus_extracts_and_stores_one_report_per_id(
    reports_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "corpus.db"
    result = jtai("extract", reports_dir, "--db", db, "--json", "--jobs", "2", cwd=tmp_path)
    assert_clean(result)
    assert result.returncode == 0, result.stderr
    assert not lines(result.stderr, "error: ")
    records = json.loads(result.stdout)
    files = [p for p in reports_dir.rglob("*") if p.suffix in {".pdf", ".txt", ".md"}]
    assert len(records) == len(files)
    with Store(db) as store:
        stored = [r.id for r in store.reports()]
    assert sorted(stored) == sorted({r["id"] for r in records})


def test_two_files_of_one_report_keep_the_first_and_record_both(
    reports_dir: Path, tmp_path: Path
) -> None:
    """A PDF and a text copy of the same letter are one report, stored once."""
    folder = tmp_path / "letters"
    folder.mkdir()
    text = corpus_text(reports_dir, "lewisham-2023-01-31-jtai.txt")
    pdfgen.pdf_from_text(folder / "a-letter.pdf", text)
    (folder / "b-letter.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "jtai.db"
    result = jtai("extract", folder, "--db", db, cwd=tmp_path)
    assert_clean(result)
    assert result.returncode == 0, result.stderr
    (note,) = lines(result.stderr, "note: ")
    assert "b-letter.txt: same report as" in note and "a-letter.pdf" in note
    with Store(db) as store:
        (report,) = store.reports()
        assert report.source.format == "pdf"
        assert {Path(h["path"]).name for h in store.history(report.id)} == {
            "a-letter.pdf", "b-letter.txt"}
    again = jtai("extract", folder, "--db", db, cwd=tmp_path)
    assert again.returncode == 0 and "2 skipped" in again.stderr


def test_garbage_is_refused_unless_kept_and_arrangements_stay_other(
    reports_dir: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello world\nsome words that are not a report\nnothing to see\n")
    db = tmp_path / "jtai.db"
    refused = jtai("extract", junk, "--db", db, cwd=tmp_path)
    assert_clean(refused)
    assert refused.returncode == 1
    assert lines(refused.stderr, "error: ") == [
        f"error: {junk}: not a report: no inspection title, no area and no sections; "
        "not stored"]
    with Store(db) as store:
        assert store.reports() == []

    kept = jtai("extract", junk, "--db", db, "--keep-other", cwd=tmp_path)
    assert kept.returncode == 0, kept.stderr
    arrangements = reports_dir / "text" / "sutton-2019-06-29-lscp-arrangements.txt"
    other = jtai("extract", arrangements, "--db", db, cwd=tmp_path)
    assert other.returncode == 0, other.stderr
    assert any("not an inspection report" in w and "kept as type other" in w
               for w in lines(other.stderr, "warning: "))
    with Store(db) as store:
        assert sorted((r.inspection_type, r.area.name) for r in store.reports()) == [
            ("other", "sutton"), ("other", "unknown")]


def test_jobs_default_to_the_cores_and_memory_takes_units(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(REPORT_TEXT)
    result = jtai("extract", good, "--no-store", "--max-memory", "1.5GB", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    wrong = jtai("extract", good, "--no-store", "--max-memory", "lots", cwd=tmp_path)
    assert wrong.returncode == 2
    assert "'lots' is not a size" in wrong.stderr


def test_ctrl_c_stops_the_workers_and_keeps_what_was_stored(
    reports_dir: Path, tmp_path: Path
) -> None:
    # A separate process: SIGINT goes to its process group, workers included.
    db = tmp_path / "jtai.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JTAI_", "FORCE_COLOR"))}
    process = subprocess.Popen(
        [*JTAI, "extract", reports_dir / "pdf", "--db", db,
         "--jobs", "2"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists():
            with contextlib.suppress(sqlite3.Error), Store(db) as store:
                if store.report_ids():
                    break
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1].startswith("interrupted: ")
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # no worker is left behind
    with Store(db) as store:
        assert store.integrity_check() == "ok" and store.report_ids()


def test_retag_tags_stored_reports_again_without_their_files(
        sample_db: Path, small_model_dir: Path) -> None:
    with Store(sample_db) as store:
        before = {r.id: [f.themes for f in r.findings] for r in store.reports()}
    result = run_cli("retag", "--db", sample_db, "--model", small_model_dir)
    assert result.returncode == 0, result.stderr
    assert f"{len(before)} report(s) tagged again" in result.stdout + result.stderr
    with Store(sample_db) as store:
        after = {r.id: [f.themes for f in r.findings] for r in store.reports()}
        assert store.integrity_check() == "ok"
    assert set(after) == set(before)
    assert after != before  # the small model tags differently from the rules that stored them


def test_retag_with_a_broken_model_changes_nothing(sample_db: Path, tmp_path: Path) -> None:
    before = sample_db.read_bytes()
    (tmp_path / MODEL_FILE).write_text("{}", encoding="utf-8")
    result = run_cli("retag", "--db", sample_db, "--model", tmp_path)
    assert result.returncode == 2
    assert "not a jtai model file" in result.stderr
    assert sample_db.read_bytes() == before
