"""ingest(): the storage policy of a batch, called as a notebook would."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from jtai_tools.extract import default_jobs
from jtai_tools.ingest import SAME_REPORT, file_sha256, ingest
from jtai_tools.store import Store


@pytest.fixture()
def letters(tmp_path: Path, reports_dir: Path) -> Path:
    folder = tmp_path / "letters"
    folder.mkdir()
    for name in ("lewisham-2023-01-31-jtai.txt", "sutton-2023-09-01-jtai.txt"):
        (folder / name).write_text((reports_dir / "text" / name).read_text(encoding="utf-8"))
    (folder / "sutton-copy.txt").write_text(
        (reports_dir / "text" / "sutton-2023-09-01-jtai.txt").read_text(encoding="utf-8")
        + "\n")  # other bytes, same report
    (folder / "empty.pdf").write_bytes(b"")
    return folder


def test_stores_skips_and_records_copies(letters: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "jtai.db") as store:
        first = ingest([letters], store, jobs=2)
        assert first.counts == {"failed": 1, "stored": 2, SAME_REPORT: 1}
        assert first.exit_code == 1
        copy = next(o for o in first.outcomes if o.path.endswith("sutton-copy.txt"))
        assert copy.note and "same report as" in copy.note
        assert all(o.report is None for o in first.outcomes)  # none kept unless asked
        assert sorted(store.report_ids()) == ["lewisham-2023-01-31-jtai",
                                              "sutton-2023-09-01-jtai"]

        again = ingest([letters], store, jobs=1)
        assert again.counts == {"failed": 1, "skipped": 3}
        assert again.summary() == "4 file(s): 1 failed, 3 skipped"

        forced = ingest([letters], store, keep_reports=True)
        assert "skipped" not in forced.counts
        assert sorted(r.id for r in forced.reports) == [
            "lewisham-2023-01-31-jtai", "sutton-2023-09-01-jtai", "sutton-2023-09-01-jtai"]


def test_files_are_hashed_by_the_workers_when_the_database_knows_no_source(
        letters: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Into a new database nothing can be skipped: the batch process reads no file, and the
    sources stored carry their content's hash all the same."""
    import jtai_tools.ingest as ingest_module

    def not_here(path: Path) -> str | None:
        raise AssertionError(f"{path} hashed by the batch process")

    monkeypatch.setattr(ingest_module, "file_sha256", not_here)
    with Store(tmp_path / "jtai.db") as store:
        assert not store.has_sources()
        assert ingest([letters], store, jobs=2).counts == {"failed": 1, "stored": 2,
                                                           SAME_REPORT: 1}
        assert store.has_sources()
        stored = dict(store.conn.execute("SELECT path, sha256 FROM source_history"))
    assert len(stored) == 3
    for path, sha256 in stored.items():
        assert sha256 == hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_without_a_store_nothing_is_skipped_or_written(letters: Path) -> None:
    result = ingest([letters / "sutton-2023-09-01-jtai.txt"], None, keep_reports=True)
    assert result.counts == {"extracted": 1}
    assert result.reports[0].id == "sutton-2023-09-01-jtai"


def test_input_problems_count_as_failures(tmp_path: Path) -> None:
    result = ingest([tmp_path / "missing.pdf"], None)
    assert result.files == 0 and result.failed == 1 and result.exit_code == 1
    assert result.summary() == "0 file(s): nothing to do; 1 input problem(s)"


def test_file_hash_is_read_in_chunks_and_large_files_are_not_hashed(tmp_path: Path) -> None:
    small = tmp_path / "a.txt"
    small.write_bytes(b"x" * 3_000_000)
    assert file_sha256(small) == hashlib.sha256(small.read_bytes()).hexdigest()
    big = tmp_path / "big.txt"
    with open(big, "wb") as handle:
        handle.truncate(10**9)
    assert file_sha256(big) is None
    assert file_sha256(tmp_path / "gone.txt") is None


def test_default_jobs_is_the_number_of_cores() -> None:
    assert default_jobs() == len(os.sched_getaffinity(0))


def _dump(db: Path) -> list[tuple[object, ...]]:
    """Every stored row but the time of saving, table by table, with finding ids."""
    with Store(db) as store:
        conn = store.conn
        rows: list[tuple[object, ...]] = []
        for table, order in (("reports", "id"), ("sections", "report_id, position"),
                             ("findings", "id"), ("finding_themes", "finding_id, theme"),
                             ("finding_agencies", "finding_id, agency"),
                             ("finding_evidence", "finding_id, position")):
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")
                       if r[1] != "extracted_at"]
            rows += conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"
                                 ).fetchall()
        return rows


def test_rows_built_in_workers_store_what_saving_each_report_stores(
        letters: Path, tmp_path: Path) -> None:
    """Workers hand back rows (not reports) and the store gives findings their ids itself:
    the database is the one saving each extracted report in order gives, with 1 or 2 jobs."""
    with Store(tmp_path / "reports.db") as store:
        kept = ingest([letters], None, keep_reports=True)
        for report in kept.reports:
            if report.id not in store.report_ids():
                store.save(report)
    for jobs in (1, 2):
        with Store(tmp_path / f"rows{jobs}.db") as store:
            ingest([letters], store, jobs=jobs)
        assert _dump(tmp_path / f"rows{jobs}.db") == _dump(tmp_path / "reports.db")
