"""The SQLite store: round trips, replacement with history, schema handling, and
robustness of ``jtai extract`` under concurrent writers and SIGKILL."""

from __future__ import annotations

import copy as copy_module
import dataclasses
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.cli_runner import JTAI
from fixtures.store_reports import sample_reports
from jtai_tools.models import Fieldwork, Report, report_from_dict, to_dict
from jtai_tools.query import open_db
from jtai_tools.store import (
    SCHEMA_VERSION,
    Store,
    StoreError,
    _write_report,
    record_digest,
    report_rows,
    write_transaction,
)


def _changed(report: Report, **source: object) -> Report:
    """A deep copy of ``report`` with a different source (same id)."""
    copy = copy_module.deepcopy(report)
    copy.source = dataclasses.replace(report.source, **source)
    return copy


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "jtai.db"


def test_reports_round_trip_exactly(db_path: Path) -> None:
    reports = sample_reports()
    with Store(db_path) as store:
        assert [store.save(r) for r in reports] == ["stored"] * len(reports)
        back = store.reports()
    assert [to_dict(r) for r in back] == sorted((to_dict(r) for r in reports),
                                                key=lambda d: d["id"])


def test_saving_the_same_record_again_is_unchanged_but_new_content_updates(
        db_path: Path) -> None:
    report = sample_reports()[1]
    with Store(db_path) as store:
        assert store.save(report) == "stored"
        assert store.save(report) == "unchanged"
        # same source file, better extraction (e.g. ``--force`` after an upgrade)
        report.findings[0].themes.append("leadership-governance")
        assert store.save(report) == "updated"
        assert "leadership-governance" in store.report(report.id).findings[0].themes


def test_changed_source_replaces_record_and_keeps_history(db_path: Path) -> None:
    old = sample_reports()[1]
    new = _changed(old, sha256="sha-new", path="reports/new.txt")
    new.findings = new.findings[:2]
    with Store(db_path) as store:
        store.save(old)
        assert store.save(new) == "updated"
        assert store.report_ids().count(old.id) == 1
        assert len(store.report(old.id).findings) == 2
        assert {h["sha256"] for h in store.history(old.id)} == {old.source.sha256, "sha-new"}
        assert store.known_sha256(old.source.sha256) == old.id  # the earlier version
        assert store.known_sha256("sha-new") == old.id
        assert store.known_sha256("sha-never-seen") is None
        rows = store.conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0]
    assert rows == 2
    with open_db(db_path) as db:  # the full-text index forgot the replaced findings
        assert db.search("Operation Encompass").empty


def test_same_report_from_text_and_pdf_is_one_report(db_path: Path) -> None:
    text = sample_reports()[1]
    pdf = _changed(text, sha256="sha-pdf", path="reports/sutton.pdf", format="pdf")
    with Store(db_path) as store:
        assert store.save(text) == "stored"
        assert store.save(pdf) == "updated"
        assert store.report_ids() == [text.id]
        assert store.report(text.id).source.format == "pdf"
        assert store.known_sha256(text.source.sha256) == text.id
        assert store.known_sha256("sha-pdf") == text.id


def test_content_that_now_reads_as_another_report_replaces_the_stale_one(
        db_path: Path) -> None:
    report = sample_reports()[0]
    renamed = dataclasses.replace(report, id="sutton-2017-02-13-ilacs")
    with Store(db_path) as store:
        store.save(report)
        assert store.save(renamed) == "stored"
        assert store.report_ids() == ["sutton-2017-02-13-ilacs"]
        assert store.known_sha256(report.source.sha256) == "sutton-2017-02-13-ilacs"


def test_schema_is_versioned_and_wal(db_path: Path) -> None:
    with Store(db_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.integrity_check() == "ok"


def test_newer_schema_is_refused_with_a_clear_error(db_path: Path) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(db_path)


def test_a_file_that_is_not_a_database_is_refused(db_path: Path) -> None:
    db_path.write_text("these are not the bytes of an SQLite database\n" * 20)
    with pytest.raises(StoreError, match=str(db_path)):
        Store(db_path)


def test_one_row_per_report_layout_is_migrated(db_path: Path) -> None:
    reports = sample_reports()
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE reports (id TEXT PRIMARY KEY, sha256 TEXT, data TEXT)")
    conn.executemany("INSERT INTO reports VALUES (?, ?, ?)",
                     [(r.id, r.source.sha256, json.dumps(to_dict(r))) for r in reports])
    conn.commit()
    conn.close()
    with Store(db_path) as store:
        assert [r.id for r in store.reports()] == sorted(r.id for r in reports)
        assert store.known_sha256(reports[0].source.sha256) == reports[0].id
        assert store.report(reports[1].id).findings == reports[1].findings


def test_schema_2_database_is_migrated_with_sortable_dates(db_path: Path) -> None:
    reports = sample_reports()
    undated = dataclasses.replace(reports[0], id="sutton-2021-03-05-ilacs", date=None,
                                  fieldwork=Fieldwork("2021-02-22", "2021-03-05"))
    with Store(db_path) as store:
        for report in (undated, *reports[1:]):
            store.save(report)
    conn = sqlite3.connect(db_path)  # back to the version 2 layout, which had none of these
    conn.execute("DROP INDEX reports_area")
    for column in ("sort_date", "date_source", "lead_inspector"):
        conn.execute(f"ALTER TABLE reports DROP COLUMN {column}")
    conn.execute("ALTER TABLE sections DROP COLUMN groups")
    conn.execute("CREATE INDEX reports_area ON reports(area, date)")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with Store(db_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        rows = dict(store.conn.execute("SELECT id, sort_date || ' ' || date_source FROM reports"))
        assert rows["sutton-2021-03-05-ilacs"] == "2021-03-05 fieldwork-end"
        assert store.report(reports[1].id) == reports[1]
        assert store.report(undated.id).sort_date == "2021-03-05"
        # filled in place, digest included: saving the same report again changes nothing
        assert store.save(reports[1]) == "unchanged"
        assert store.integrity_check() == "ok"


def _search_index_is_sound(conn: sqlite3.Connection) -> bool:
    """FTS5's own check of the index against the findings it indexes (raises when not)."""
    conn.execute("INSERT INTO findings_fts (findings_fts, rank) VALUES ('integrity-check', 1)")
    return True


def _indexed(conn: sqlite3.Connection, word: str) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT rowid FROM findings_fts WHERE findings_fts MATCH ? ORDER BY rowid", (word,))]


def test_every_finding_is_indexed_once_through_saves_updates_and_deletes(db_path: Path) -> None:
    reports = sample_reports()
    with Store(db_path) as store:
        for report in reports:
            store.save(report)
        store.save(_changed(reports[0], sha256="another-content"))
        store.delete(reports[1].id)
        conn = store.conn
        assert _search_index_is_sound(conn)
        texts = dict(conn.execute("SELECT id, text FROM findings"))
        count = conn.execute("SELECT COUNT(*) FROM findings_fts").fetchone()[0]
        assert count == len(texts) > 0
        word = next(iter(texts.values())).split()[0]
        assert _indexed(conn, f'"{word}"') == sorted(
            i for i, t in texts.items() if word.lower() in t.lower())


def test_schema_5_database_drops_the_insert_trigger_and_keeps_its_index(db_path: Path) -> None:
    reports = sample_reports()
    with Store(db_path) as store:
        store.save(reports[0])
    conn = sqlite3.connect(db_path)  # version 5 indexed findings by a trigger
    conn.execute("CREATE TRIGGER findings_fts_insert AFTER INSERT ON findings BEGIN"
                 " INSERT INTO findings_fts(rowid, text) VALUES (new.id, new.text); END")
    conn.execute("UPDATE reports SET record_sha256 = 'a digest of the JSON rows'")
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    with Store(db_path) as store:
        triggers = [r[0] for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")]
        assert triggers == ["findings_fts_delete"]
        assert store.save(reports[0]) == "unchanged"  # the digest was computed again
        assert store.save(reports[1]) == "stored"
        assert _search_index_is_sound(store.conn)
        assert store.conn.execute("SELECT COUNT(*) FROM findings_fts").fetchone()[0] == \
            len(reports[0].findings) + len(reports[1].findings)


def test_list_sub_headings_round_trip(db_path: Path) -> None:
    report = copy_module.deepcopy(sample_reports()[0])
    section = next(s for s in report.sections if s.items)
    section.groups = ["Quality of practice"] * (len(section.items) - 1) + [None]
    with Store(db_path) as store:
        store.save(report)
        assert store.report(report.id) == report
        assert store.report(report.id).sections[0].groups == section.groups


def test_sortable_date_is_printed_else_fieldwork(db_path: Path) -> None:
    base = sample_reports()[1]
    cases = {
        "printed": (base.date, base.fieldwork, base.date),
        "fieldwork-end": (None, Fieldwork("2022-01-10", "2022-01-21"), "2022-01-21"),
        "fieldwork-start": (None, Fieldwork("2022-01-10", None), "2022-01-10"),
    }
    with Store(db_path) as store:
        for source, (date, fieldwork, expected) in cases.items():
            report = dataclasses.replace(base, id=f"case-{source}", date=date,
                                         fieldwork=fieldwork, lead_inspector="Jane Doe",
                                         source=dataclasses.replace(base.source, sha256=source))
            assert (report.sort_date, report.date_source) == (expected, source)
            assert to_dict(report)["sort_date"] == expected
            store.save(report)
            assert store.report(report.id) == report
        none = dataclasses.replace(base, id="case-none", date=None, fieldwork=Fieldwork())
        assert (none.sort_date, none.date_source) == (None, None)
        stored = store.conn.execute(
            "SELECT sort_date, date_source, year, lead_inspector FROM reports WHERE id = ?",
            ("case-fieldwork-end",)).fetchone()
        assert stored == ("2022-01-21", "fieldwork-end", 2022, "Jane Doe")
    assert report_from_dict(json.loads(json.dumps(to_dict(report)))) == report


def test_a_failed_save_leaves_the_previous_record(db_path: Path) -> None:
    report = sample_reports()[1]
    with Store(db_path) as store:
        store.save(report)
        broken = _changed(report, sha256="sha-broken")
        broken.findings[3].text = None  # type: ignore[assignment]  # NOT NULL fails mid-save
        with pytest.raises(sqlite3.IntegrityError):
            store.save(broken)
        assert store.report(report.id) == report
        assert store.known_sha256("sha-broken") is None


# -- jtai extract as separate processes -----------------------------------

def _subset(reports_dir: Path) -> list[Path]:
    """A few text reports and PDFs, including a text/PDF twin of one letter."""
    texts = sorted((reports_dir / "text").glob("*.txt"))[:3]
    pdfs = sorted((reports_dir / "pdf").glob("*.pdf"))
    twins = [reports_dir / "pdf" / (t.stem + ".pdf") for t in texts]
    chosen = texts + [p for p in twins if p.exists()] + pdfs[:3]
    return sorted(set(chosen))


def _extract(db: Path, files: list[Path], *extra: str) -> subprocess.Popen[bytes]:
    """``jtai extract`` as a process of its own: two of them write one database at once."""
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.Popen([*JTAI, "extract", *map(str, files), "--db", str(db), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _rows(db: Path) -> dict[str, str]:
    """report id -> digest of its stored record, read with plain sqlite3."""
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT id, record_sha256 FROM reports"))
    finally:
        conn.close()


def _finished(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, stderr = proc.communicate(timeout=600)
    return proc.returncode, stderr.decode()


def test_two_concurrent_extract_runs_both_succeed(reports_dir: Path, tmp_path: Path) -> None:
    files = _subset(reports_dir)
    reference = tmp_path / "sequential.db"
    assert _finished(_extract(reference, files))[0] == 0
    shared = tmp_path / "shared.db"
    first, second = _extract(shared, files), _extract(shared, files)
    for proc in (first, second):
        code, stderr = _finished(proc)
        assert code == 0, stderr
    assert set(_rows(shared)) == set(_rows(reference))
    with Store(shared) as store:
        assert store.integrity_check() == "ok"
        ids = store.conn.execute("SELECT id FROM reports").fetchall()
        assert len(ids) == len(set(ids))
        for path in files:  # every input is known, so a third run extracts nothing
            assert store.known_sha256(_sha256(path)) is not None
    code, stderr = _finished(_extract(shared, files))
    assert code == 0 and "skipped" in stderr


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sigkill_mid_batch_leaves_a_consistent_database(reports_dir: Path,
                                                        tmp_path: Path) -> None:
    files = sorted((reports_dir / "pdf").glob("*.pdf")) + sorted((reports_dir / "text").glob("*"))
    reference = tmp_path / "reference.db"
    assert _finished(_extract(reference, files))[0] == 0
    expected = _rows(reference)
    killed_mid_batch = False
    for attempt in range(3):
        db = tmp_path / f"killed-{attempt}.db"
        proc = _extract(db, files)
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if db.exists() and _count_quietly(db) >= 1:
                break
            time.sleep(0.005)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            partial = _rows(db)
            killed_mid_batch = len(partial) < len(expected)
            # what was saved before the kill is complete and correct
            assert all(expected.get(rid) == digest for rid, digest in partial.items()
                       if rid in expected and _source_is_current(reference, db, rid))
        else:
            proc.communicate()
        assert _finished(_extract(db, files))[0] == 0
        assert _rows(db) == expected
        with Store(db) as store:
            assert store.integrity_check() == "ok"
        if killed_mid_batch:
            break
    assert killed_mid_batch, "extraction always finished before it could be killed"


def _count_quietly(db: Path) -> int:
    try:
        conn = sqlite3.connect(db, timeout=0.1)
        try:
            return conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _source_is_current(reference: Path, db: Path, rid: str) -> bool:
    """True when both databases hold the report from the same source file (a report
    read from a text file and its PDF twin differ until the later one is saved)."""
    def source(path: Path) -> str:
        conn = sqlite3.connect(path)
        try:
            return conn.execute("SELECT source_sha256 FROM reports WHERE id = ?",
                                (rid,)).fetchone()[0]
        finally:
            conn.close()
    return source(reference) == source(db)


def test_reextracting_a_changed_report_replaces_it_and_keeps_both_versions(
        reports_dir: Path, tmp_path: Path) -> None:
    original = sorted((reports_dir / "text").glob("*.txt"))[0]
    copy = tmp_path / original.name
    shutil.copyfile(original, copy)
    db = tmp_path / "jtai.db"
    assert _finished(_extract(db, [copy]))[0] == 0
    (report_id,) = _rows(db)
    first_sha = _sha256(copy)
    copy.write_text(copy.read_text(encoding="utf-8") + "\nA correction was published.\n",
                    encoding="utf-8")
    code, stderr = _finished(_extract(db, [copy]))
    assert code == 0 and "updated" in stderr, stderr
    with Store(db) as store:
        assert store.report_ids() == [report_id]
        assert store.report(report_id).source.sha256 == _sha256(copy)
        assert {h["sha256"] for h in store.history(report_id)} == {first_sha, _sha256(copy)}


def test_another_source_of_a_stored_report_leaves_the_record_alone(db_path: Path) -> None:
    report = sample_reports()[0]
    copy = _changed(report, sha256="text-copy", path="letters/copy.txt", format="text")
    with Store(db_path) as store:
        store.save(report)
        store.add_source(copy)
        assert store.reports()[0] == report
        assert store.known_sha256("text-copy") == report.id
        assert {h["sha256"] for h in store.history(report.id)} == {
            report.source.sha256, "text-copy"}


def test_readers_are_not_blocked_by_a_writer_in_the_middle_of_a_save(db_path: Path) -> None:
    """WAL: ``jtai table``/``search`` answer from the last commit while ``extract`` writes."""
    reports = sample_reports()
    with Store(db_path) as store:
        for report in reports[:-1]:
            store.save(report)
    writer = Store(db_path)
    try:
        with write_transaction(writer.conn) as conn:  # holds the write lock, uncommitted
            _write_report(conn, reports[-1], "2024-01-01T00:00:00Z")
            started = time.perf_counter()
            with open_db(db_path) as db:
                assert reports[-1].id not in db.report_ids()
                assert len(db.theme_table(by="area")) > 0
                assert len(db.search("strategy meetings")) > 0
            assert time.perf_counter() - started < 5  # not the 60 s busy timeout
        with open_db(db_path) as db:
            assert reports[-1].id in db.report_ids()
    finally:
        writer.close()


def test_rows_get_the_finding_ids_sqlite_gives_one_insert_at_a_time(db_path: Path) -> None:
    first, second = sample_reports()[:2]
    with Store(db_path) as store:
        store.save(first)
        store.save(second)
        store.delete(second.id)
        assert store.save(second) == "stored"
        ids = [r[0] for r in store.conn.execute("SELECT id FROM findings ORDER BY id")]
        themes = store.conn.execute("SELECT COUNT(*) FROM finding_themes t JOIN findings f"
                                    " ON f.id = t.finding_id").fetchone()[0]
    count = len(first.findings) + len(second.findings)
    assert ids == list(range(1, count + 1))
    assert themes == sum(len(f.themes) for f in (*first.findings, *second.findings))


def test_saving_rows_is_saving_the_report(db_path: Path) -> None:
    report = sample_reports()[1]
    rows = report_rows(report)
    assert rows.record_sha256 == record_digest(report)
    with Store(db_path) as store:
        assert store.save_rows(rows) == "stored"
        assert store.save(report) == "unchanged"
        assert to_dict(store.report(report.id)) == to_dict(report)


def test_record_digest_is_the_same_in_another_process_and_follows_every_table() -> None:
    report = sample_reports()[1]
    digest = record_digest(report)
    script = ("import sys; sys.path.insert(0, 'tests')\n"
              "from fixtures.store_reports import sample_reports\n"
              "from jtai_tools.store import record_digest\n"
              "print(record_digest(sample_reports()[1]))")
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert other.stdout.strip() == digest
    assert record_digest(report_from_dict(json.loads(json.dumps(to_dict(report))))) == digest
    finding = next(f for f in report.findings if f.evidence and f.themes)
    edits = [
        lambda r: setattr(r, "jtai_focus", (r.jtai_focus or "") + "x"),
        lambda r: r.sections[0].paragraphs.append("x"),
        lambda r: setattr(r.findings[0], "text", r.findings[0].text + "x"),
        lambda r: r.findings[report.findings.index(finding)].themes.append("not-a-theme"),
        lambda r: r.findings[0].agencies.append("police"),
        lambda r: setattr(r.findings[report.findings.index(finding)].evidence[0], "end", -1),
    ]
    for edit in edits:
        copy = copy_module.deepcopy(report)
        edit(copy)
        assert record_digest(copy) != digest
