"""Store stage: extracted reports kept in an embedded SQLite database.

One row per report in ``reports``, with its ``sections``, ``findings``,
``finding_themes``, ``finding_agencies`` and ``finding_evidence`` in their own
tables so that comparisons and theme tables are SQL aggregations rather than
Python loops. ``findings_fts`` is an FTS5 index over finding text, kept in
step with ``findings``: each report's findings are indexed in the transaction
that stores them, and a trigger removes deleted findings from the index.
``source_history`` records every source file content (sha256) that produced a
report, and when it was first and last seen, so re-extracting an updated report
replaces the record but keeps its history.

Robustness: the database runs in WAL mode with a busy timeout, and each
:meth:`Store.save` is one ``BEGIN IMMEDIATE`` transaction, so several
``jtai extract`` processes can write at once, and a process killed mid-batch
leaves every report it saved complete and every other report absent.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from .errors import UsageError
from .models import (
    Area,
    Evidence,
    Fieldwork,
    Finding,
    Report,
    Section,
    Source,
    report_from_dict,
    sortable_date,
    to_dict,
)

T = TypeVar("T")

DEFAULT_DB = Path("jtai.db")

#: Bumped whenever the schema changes; older databases are migrated on open.
SCHEMA_VERSION = 6

BUSY_TIMEOUT_S = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    id              TEXT PRIMARY KEY,
    area            TEXT NOT NULL,
    area_full_name  TEXT,
    inspection_type TEXT NOT NULL,
    date            TEXT,
    sort_date       TEXT,
    date_source     TEXT,
    year            INTEGER,
    fieldwork_start TEXT,
    fieldwork_end   TEXT,
    inspectorates   TEXT NOT NULL DEFAULT '[]',
    jtai_focus      TEXT,
    judgements      TEXT NOT NULL DEFAULT '{}',
    lead_inspector  TEXT,
    copyright_year  INTEGER,
    source_path     TEXT NOT NULL,
    source_sha256   TEXT NOT NULL,
    source_format   TEXT NOT NULL,
    source_pages    INTEGER NOT NULL,
    warnings        TEXT NOT NULL DEFAULT '[]',
    record_sha256   TEXT NOT NULL,
    extracted_at    TEXT
);
CREATE INDEX IF NOT EXISTS reports_area ON reports(area, sort_date);
CREATE INDEX IF NOT EXISTS reports_type ON reports(inspection_type, year);
CREATE INDEX IF NOT EXISTS reports_sha ON reports(source_sha256);

CREATE TABLE IF NOT EXISTS sections (
    report_id  TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    heading    TEXT NOT NULL,
    paragraphs TEXT NOT NULL DEFAULT '[]',
    items      TEXT NOT NULL DEFAULT '[]',
    page       INTEGER,
    groups     TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (report_id, position)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS findings (
    id              INTEGER PRIMARY KEY,
    report_id       TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    section_kind    TEXT NOT NULL,
    section_heading TEXT NOT NULL,
    finding_index   INTEGER NOT NULL,
    text            TEXT NOT NULL,
    polarity        TEXT NOT NULL,
    UNIQUE (report_id, position)
);
CREATE INDEX IF NOT EXISTS findings_section ON findings(section_kind);

-- report_id and polarity repeat the finding's, so that theme tables aggregate
-- from this table's index alone (written in the same transaction as findings)
CREATE TABLE IF NOT EXISTS finding_themes (
    finding_id INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    theme      TEXT NOT NULL,
    position   INTEGER NOT NULL,
    evidence   TEXT,
    report_id  TEXT NOT NULL,
    polarity   TEXT NOT NULL,
    PRIMARY KEY (finding_id, theme)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS finding_themes_theme ON finding_themes(theme, finding_id);
CREATE INDEX IF NOT EXISTS finding_themes_report
    ON finding_themes(report_id, theme, polarity);

CREATE TABLE IF NOT EXISTS finding_agencies (
    finding_id INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    agency     TEXT NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (finding_id, agency)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS finding_evidence (
    finding_id INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    label      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    text       TEXT NOT NULL,
    start      INTEGER NOT NULL,
    "end"      INTEGER NOT NULL,
    PRIMARY KEY (finding_id, position)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS source_history (
    report_id  TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    path       TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    PRIMARY KEY (report_id, sha256)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS source_history_sha ON source_history(sha256);

-- findings are indexed by the store itself, one statement per report (_write_rows):
-- an insert trigger, run once a finding, costs the batch about as much CPU again
-- as every other insert together
CREATE VIRTUAL TABLE IF NOT EXISTS findings_fts USING fts5(
    text, content='findings', content_rowid='id', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS findings_fts_delete AFTER DELETE ON findings BEGIN
    INSERT INTO findings_fts(findings_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
"""


class StoreError(UsageError):
    """The database file cannot be used (not SQLite, newer schema, missing)."""


def connect(path: str | Path, *, create: bool = True) -> sqlite3.Connection:
    """A connection in autocommit mode with WAL, a busy timeout and foreign keys on.

    Autocommit (``isolation_level=None``) lets the store issue ``BEGIN
    IMMEDIATE`` itself: taking the write lock at the start of a save avoids
    the lock-upgrade deadlock two deferred transactions can hit.
    """
    path = Path(path)
    if not create and not path.exists():
        raise StoreError(f"{path}: no such database (run `jtai extract` first)")
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open database ({exc})") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path}: not a jtai database ({exc})") from exc
    return conn


def _retry_busy(action: Callable[[], T], attempts: int = 50) -> T:
    """Run ``action``, retrying while another process holds a lock.

    Switching to WAL can report SQLITE_BUSY without consulting the busy
    handler while another connection is creating the database.
    """
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable: the last attempt returns or raises")


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error."""
    _retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def ensure_schema(conn: sqlite3.Connection, path: str | Path = "") -> None:
    """Create or migrate the schema; safe when several processes open a new file at once."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: database schema version {version} is newer than this jtai "
            f"understands ({SCHEMA_VERSION}); upgrade jtai"
        )
    with write_transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:  # another process created it meanwhile
            return
        if version in (2, 3, 4, 5):  # the same tables, a few columns short: filled in place
            _migrate_in_place(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if version:
            _add_report_columns(conn)
        legacy = _legacy_rows(conn) if version == 0 else _rebuild_rows(conn)
        for statement in _statements(_SCHEMA):
            conn.execute(statement)
        for data in legacy:
            report = report_from_dict(data)
            _write_report(conn, report, _now())
            if version == 0:  # the first layout kept no history
                _note_source(conn, report, _now())
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _statements(script: str) -> list[str]:
    """Split the schema into statements (triggers keep their inner semicolons)."""
    out: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                out.append(buffer.strip())
            buffer = ""
    return out


#: Columns added since schema version 2, per table, with their types: version 3
#: added the reports' sortable date, its source and the lead inspector, version 4
#: the sub-heading of each list item, version 5 the copyright year. Version 6
#: added no column: it indexes findings without an insert trigger (see
#: :data:`_SCHEMA`) and serialises the record digest anew.
_ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("reports", "sort_date", "TEXT"),
    ("reports", "date_source", "TEXT"),
    ("reports", "lead_inspector", "TEXT"),
    ("sections", "groups", "TEXT NOT NULL DEFAULT '[]'"),
    ("reports", "copyright_year", "INTEGER"),
)


def _add_report_columns(conn: sqlite3.Connection) -> None:
    """Give older tables the columns that :func:`load_reports` reads.

    They start empty; what follows derives the sortable date again from the
    stored date and fieldwork.
    """
    for table, name, kind in _ADDED_COLUMNS:
        present = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if name not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _migrate_in_place(conn: sqlite3.Connection) -> None:
    """Versions 2 to 5 to the current one: add the columns since (see
    :data:`_ADDED_COLUMNS`) and drop the findings' insert trigger.

    No table changes otherwise, so only the reports' rows are updated
    (the sortable date derived from the stored date and fieldwork, and the
    record digest recomputed so that re-saving an unchanged report still
    reads as unchanged) instead of re-writing every finding.
    """
    _add_report_columns(conn)
    conn.execute("DROP INDEX IF EXISTS reports_area")
    conn.execute("DROP TRIGGER IF EXISTS findings_fts_insert")  # the store indexes them now
    for statement in _statements(_SCHEMA):
        conn.execute(statement)
    for report in load_reports(conn, None):
        sort_date, date_source = sortable_date(report.date, report.fieldwork)
        conn.execute("UPDATE reports SET sort_date = ?, date_source = ?, record_sha256 = ?"
                     " WHERE id = ?", (sort_date, date_source, record_digest(report), report.id))


def _rebuild_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Reports of an older versioned schema, read out before its tables are dropped.

    The database is a cache of extraction output, so the simplest correct
    migration is to re-write every report under the new schema.
    """
    rows = [to_dict(r) for r in load_reports(conn, None)]
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    ).fetchall():
        conn.execute(f'DROP TRIGGER IF EXISTS "{name}"')
    for table in ("findings_fts", "finding_evidence", "finding_agencies", "finding_themes",
                  "findings", "sections", "reports"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    return rows


def _legacy_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Reports kept by the first, one-JSON-row-per-report layout, which is then dropped."""
    columns = [r[1] for r in conn.execute("PRAGMA table_info(reports)")]
    if columns != ["id", "sha256", "data"]:
        return []
    rows = [json.loads(r[0]) for r in conn.execute("SELECT data FROM reports ORDER BY id")]
    conn.execute("DROP TABLE reports")
    return rows


def _now() -> str:
    """UTC to the second: what ``source_history`` and ``extracted_at`` record."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_YEAR = re.compile(r"^(\d{4})")


def report_year(report: Report) -> int | None:
    """The year a report belongs to: the year of its sortable date (printed, else fieldwork)."""
    sort_date, _ = sortable_date(report.date, report.fieldwork)
    match = _YEAR.match(sort_date or "")
    return int(match.group(1)) if match else None


def record_digest(report: Report) -> str:
    """A digest of everything stored for a report, to tell a real update from a re-save."""
    return report_rows(report).record_sha256


#: The :mod:`marshal` format a report's rows are serialised in, for the record
#: digest and for the trip from a worker to the batch process. Version 2 writes
#: every value in full, by its type and value alone; later versions mark shared
#: and interned objects, which would tie the bytes to how the rows were built
#: rather than to what they hold.
_ROWS_MARSHAL_VERSION = 2


def _rows_payload(*tables: tuple[Any, ...] | list[tuple[Any, ...]]) -> bytes:
    """A report's rows as bytes (every value stored for it but its digest and the time it was
    saved), the same bytes in every process and every run.

    The rows are plain tuples of strings, numbers and ``None``, which
    :mod:`marshal` serialises in compiled code at about three times the speed
    of the JSON encoder; its format keeps tuples and lists apart, so the rows
    read back are the rows written.
    """
    return marshal.dumps(tables, _ROWS_MARSHAL_VERSION)


def _delete_report(conn: sqlite3.Connection, report_id: str) -> None:
    """Remove a report and everything hanging off it (children first, for the FTS trigger)."""
    ids = "SELECT id FROM findings WHERE report_id = ?"
    for table in ("finding_themes", "finding_agencies", "finding_evidence"):
        conn.execute(f"DELETE FROM {table} WHERE finding_id IN ({ids})", (report_id,))
    conn.execute("DELETE FROM findings WHERE report_id = ?", (report_id,))
    conn.execute("DELETE FROM sections WHERE report_id = ?", (report_id,))
    conn.execute("DELETE FROM reports WHERE id = ?", (report_id,))


class RowTables(NamedTuple):
    """A report's rows, table by table, as :meth:`Store.save_rows` inserts them.

    The theme, agency and evidence rows name their finding by its position in
    the report (their first field): findings get their database ids when inserted.
    """

    report: tuple[Any, ...]  # the ``reports`` row but ``record_sha256`` and ``extracted_at``
    sections: list[tuple[Any, ...]]
    findings: list[tuple[Any, ...]]
    themes: list[tuple[Any, ...]]
    agencies: list[tuple[Any, ...]]
    evidence: list[tuple[Any, ...]]


@dataclass(slots=True)
class ReportRows:
    """A report as the rows the store inserts, built where it was extracted.

    A worker process builds them (:func:`report_rows`) so that the process
    that owns the database only inserts them, and the record digest is
    computed beside the extraction, on every core. The tables travel as the
    bytes the digest is taken of (``payload``), which the worker has made
    anyway: one bytes object crosses a process boundary for almost nothing,
    where the tuples cost the worker a pickling and the batch process an
    unpickling. The batch process reads the tables (:meth:`tables`) only to
    insert them; a second file of a report it stored already (the same id)
    needs only the first four fields.
    """

    id: str
    source_path: str
    source_sha256: str
    record_sha256: str
    payload: bytes  # the tables, serialised by :func:`_rows_payload`

    def tables(self) -> RowTables:
        """The rows themselves, read back from ``payload``."""
        return RowTables._make(marshal.loads(self.payload))


#: ``json.dumps(value, ensure_ascii=False)`` (and with ``sort_keys``): the same
#: text from encoders made once, where ``json.dumps`` with any option makes a
#: new encoder on every call, a dozen times a report.
_json_text = json.JSONEncoder(ensure_ascii=False).encode
_json_sorted_text = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def report_rows(report: Report) -> ReportRows:
    """Every row :meth:`Store.save_rows` writes for ``report``."""
    sort_date, date_source = sortable_date(report.date, report.fieldwork)
    row = (
        report.id, report.area.name, report.area.full_name, report.inspection_type,
        report.date, sort_date, date_source, report_year(report), report.fieldwork.start,
        report.fieldwork.end, _json_text(report.inspectorates),
        report.jtai_focus, _json_sorted_text(report.judgements),
        report.lead_inspector, report.copyright_year, report.source.path, report.source.sha256,
        report.source.format, report.source.pages,
        _json_text(report.warnings),
    )
    sections = [
        (report.id, pos, s.kind, s.heading, _json_text(s.paragraphs), _json_text(s.items),
         s.page, _json_text(s.groups))
        for pos, s in enumerate(report.sections)
    ]
    listed = list(enumerate(report.findings))
    findings = [(report.id, pos, f.section_kind, f.section_heading, f.index, f.text, f.polarity)
                for pos, f in listed]
    agencies = [(pos, a, i) for pos, f in listed for i, a in enumerate(f.agencies)]
    evidence = [(pos, i, e.label, e.kind, e.text, e.start, e.end)
                for pos, f in listed for i, e in enumerate(f.evidence)]
    first_text = _first_theme_evidence(evidence)
    themes = [(pos, t, i, first_text.get((pos, t)), report.id, f.polarity)
              for pos, f in listed for i, t in enumerate(f.themes)]
    payload = _rows_payload(row, sections, findings, themes, agencies, evidence)
    return ReportRows(report.id, report.source.path, report.source.sha256,
                      hashlib.sha256(payload).hexdigest(), payload)


def _first_theme_evidence(evidence: list[tuple[Any, ...]]) -> dict[tuple[int, str], str]:
    """(finding position, theme) -> the text of the theme's first evidence in that finding.

    One pass over the report's evidence rows, last to first, so the first wins.
    """
    return {(row[0], row[2]): row[4] for row in reversed(evidence) if row[3] == "theme"}


def _write_report(conn: sqlite3.Connection, report: Report, now: str) -> None:
    """Insert a report's rows (the caller holds the transaction and removed any old copy)."""
    _write_rows(conn, report_rows(report), now)


def _write_rows(conn: sqlite3.Connection, rows: ReportRows, now: str) -> None:
    """Insert prepared rows (the caller holds the transaction and removed any old copy).

    Findings are given ids explicitly, one past the largest stored, in report
    order: the ids SQLite would give them one insert at a time, so that every
    table can be written with one ``executemany``. The rows name a finding by
    its position; the statements add the first id to it (an integer written
    into the SQL), so the rows go to SQLite as they came from the worker,
    never built again in Python. The findings' text is indexed for search
    by one statement at the end.
    """
    tables = rows.tables()
    conn.execute(
        "INSERT INTO reports (id, area, area_full_name, inspection_type, date, sort_date,"
        " date_source, year, fieldwork_start, fieldwork_end, inspectorates, jtai_focus,"
        " judgements, lead_inspector, copyright_year, source_path, source_sha256,"
        " source_format, source_pages, warnings, record_sha256, extracted_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*tables.report, rows.record_sha256, now),
    )
    conn.executemany(
        "INSERT INTO sections (report_id, position, kind, heading, paragraphs, items, page,"
        " groups) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", tables.sections)
    if not tables.findings:
        return
    first = int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM findings").fetchone()[0])
    conn.executemany(
        "INSERT INTO findings (id, report_id, position, section_kind, section_heading,"
        f" finding_index, text, polarity) VALUES (?2 + {first}, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        tables.findings)
    conn.executemany(
        "INSERT OR IGNORE INTO finding_themes (finding_id, theme, position, evidence,"
        f" report_id, polarity) VALUES (?1 + {first}, ?2, ?3, ?4, ?5, ?6)",
        tables.themes)
    conn.executemany(
        "INSERT OR IGNORE INTO finding_agencies (finding_id, agency, position)"
        f" VALUES (?1 + {first}, ?2, ?3)",
        tables.agencies)
    conn.executemany(
        'INSERT INTO finding_evidence (finding_id, position, label, kind, text, start, "end")'
        f" VALUES (?1 + {first}, ?2, ?3, ?4, ?5, ?6, ?7)",
        tables.evidence)
    conn.execute("INSERT INTO findings_fts (rowid, text)"
                 " SELECT id, text FROM findings WHERE report_id = ?", (rows.id,))


def _note_source(conn: sqlite3.Connection, report: Report | ReportRows, now: str) -> None:
    report_id, sha256, path = _source_of(report)
    conn.execute(
        "INSERT INTO source_history (report_id, sha256, path, first_seen, last_seen)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (report_id, sha256)"
        " DO UPDATE SET path = excluded.path, last_seen = excluded.last_seen",
        (report_id, sha256, path, now, now),
    )


def _source_of(report: Report | ReportRows) -> tuple[str, str, str]:
    """A report's id, source hash and source path, from the report or its rows."""
    if isinstance(report, ReportRows):
        return report.id, report.source_sha256, report.source_path
    return report.id, report.source.sha256, report.source.path


def open_connection(path: str | Path, *, create: bool = True) -> sqlite3.Connection:
    """A connection to a database whose schema is current (created or migrated if needed).

    Shared by :class:`Store` and :func:`jtai_tools.query.open_db` so that a
    file that is not a jtai database, or one written by a newer jtai, is
    refused the same way (:class:`StoreError`) whichever opens it.
    """
    conn = connect(path, create=create)
    try:
        ensure_schema(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path}: not a jtai database ({exc})") from exc
    except BaseException:
        conn.close()
        raise
    return conn


def report_ids(conn: sqlite3.Connection) -> list[str]:
    """Ids of the stored reports, sorted."""
    return [r[0] for r in conn.execute("SELECT id FROM reports ORDER BY id")]


def load_report(conn: sqlite3.Connection, report_id: str) -> Report | None:
    """One stored report rebuilt as a :class:`Report`, or None."""
    found = load_reports(conn, [report_id])
    return found[0] if found else None


class Store:
    """A jtai database. Use as a context manager or call :meth:`close`.

    Opening creates the file and schema when needed (and migrates older
    layouts); raises :class:`StoreError` when the file is not a usable database.
    """

    def __init__(self, path: str | Path = DEFAULT_DB) -> None:
        self.path = Path(path)
        self.conn = open_connection(self.path)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (what leaving the ``with`` block does)."""
        self.conn.close()

    def known_sha256(self, sha256: str) -> str | None:
        """The id of the report stored from content with this hash (current or earlier version).

        A stored report is preferred to a history entry whose report has gone.
        """
        row = self.conn.execute(
            "SELECT h.report_id FROM source_history h LEFT JOIN reports r ON r.id = h.report_id"
            " WHERE h.sha256 = ? ORDER BY r.id IS NULL, h.report_id LIMIT 1",
            (sha256,),
        ).fetchone()
        return row[0] if row else None

    def has_sources(self) -> bool:
        """Whether any source file has been recorded (else no content can be known yet)."""
        return self.conn.execute("SELECT 1 FROM source_history LIMIT 1").fetchone() is not None

    def save(self, report: Report) -> str:
        """Store a report in one transaction; returns "stored", "updated" or "unchanged".

        A report with the same id replaces the stored one (its source goes
        into ``source_history`` beside the earlier ones). A stored report with
        another id whose current source is the same content is dropped: the
        same file now reads differently (e.g. better metadata gave a new id).
        """
        return self.save_rows(report_rows(report))

    def save_rows(self, rows: ReportRows) -> str:
        """:meth:`save` for a report's prepared rows (see :func:`report_rows`)."""
        now = _now()
        with write_transaction(self.conn) as conn:
            row = conn.execute(
                "SELECT record_sha256 FROM reports WHERE id = ?", (rows.id,)
            ).fetchone()
            _note_source(conn, rows, now)
            if row and row[0] == rows.record_sha256:
                return "unchanged"
            stale = conn.execute(
                "SELECT id FROM reports WHERE source_sha256 = ? AND id != ?",
                (rows.source_sha256, rows.id),
            ).fetchall()
            for (stale_id,) in stale:
                _delete_report(conn, stale_id)
                conn.execute("DELETE FROM source_history WHERE report_id = ?", (stale_id,))
            if row:
                _delete_report(conn, rows.id)
            _write_rows(conn, rows, now)
        return "updated" if row else "stored"

    def add_source(self, report: Report | ReportRows) -> None:
        """Record ``report``'s file as another source of the stored report with its id.

        For a second file of the same report in one batch (a text copy of a
        stored PDF): the stored record stays as it is, and a later run skips
        both files by their content.
        """
        with write_transaction(self.conn) as conn:
            _note_source(conn, report, _now())

    def delete(self, report_id: str) -> bool:
        """Remove one report (its source history stays); True when it existed."""
        with write_transaction(self.conn) as conn:
            found = conn.execute("SELECT 1 FROM reports WHERE id = ?", (report_id,)).fetchone()
            _delete_report(conn, report_id)
        return found is not None

    def report_ids(self) -> list[str]:
        """Ids of the stored reports, sorted."""
        return report_ids(self.conn)

    def report(self, report_id: str) -> Report | None:
        """One stored report rebuilt as a :class:`Report`, or None."""
        return load_report(self.conn, report_id)

    def reports(self) -> list[Report]:
        """Every stored report, ordered by id."""
        return load_reports(self.conn, None)

    def history(self, report_id: str) -> list[dict[str, str]]:
        """Source versions seen for a report, oldest first."""
        rows = self.conn.execute(
            "SELECT sha256, path, first_seen, last_seen FROM source_history"
            " WHERE report_id = ? ORDER BY first_seen, sha256",
            (report_id,),
        ).fetchall()
        return [dict(zip(("sha256", "path", "first_seen", "last_seen"), r, strict=True))
                for r in rows]

    def integrity_check(self) -> str:
        """SQLite's own check of the file: "ok" when it is sound."""
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])


def load_reports(conn: sqlite3.Connection, ids: list[str] | None) -> list[Report]:
    """Rebuild reports (all, or the given ids) from their rows, ordered by id."""
    if ids is None:
        where, params = "", []
    else:
        where, params = f"WHERE id IN ({','.join('?' * len(ids))})", list(ids)
    report_rows = conn.execute(
        "SELECT id, area, area_full_name, inspection_type, date, fieldwork_start,"
        " fieldwork_end, inspectorates, jtai_focus, judgements, lead_inspector, copyright_year,"
        " source_path, source_sha256, source_format, source_pages, warnings"
        f" FROM reports {where} ORDER BY id",
        params,
    ).fetchall()
    if not report_rows:
        return []
    # the same filter, applied to tables keyed by report_id
    rfilter = "" if ids is None else f"WHERE report_id IN ({','.join('?' * len(ids))})"
    sections: dict[str, list[Section]] = {}
    for rid, kind, heading, paragraphs, items, page, groups in conn.execute(
        "SELECT report_id, kind, heading, paragraphs, items, page, groups FROM sections"
        f" {rfilter} ORDER BY report_id, position",
        params,
    ):
        sections.setdefault(rid, []).append(
            Section(kind, heading, json.loads(paragraphs), json.loads(items), page,
                    json.loads(groups))
        )
    findings = _load_findings(conn, rfilter, params)
    out = []
    for row in report_rows:
        (rid, area, full, itype, date, fw_start, fw_end, insp, focus, judgements, lead,
         copyright_year, path, sha, fmt, pages, warnings) = row
        out.append(Report(
            id=rid,
            source=Source(path=path, sha256=sha, format=fmt, pages=pages),
            area=Area(area, full),
            inspection_type=itype,
            date=date,
            fieldwork=Fieldwork(fw_start, fw_end),
            inspectorates=json.loads(insp),
            jtai_focus=focus,
            judgements=json.loads(judgements),
            sections=sections.get(rid, []),
            findings=findings.get(rid, []),
            warnings=json.loads(warnings),
            lead_inspector=lead,
            copyright_year=copyright_year,
        ))
    return out


def _load_findings(conn: sqlite3.Connection, rfilter: str, params: list[str]
                   ) -> dict[str, list[Finding]]:
    by_id: dict[int, Finding] = {}
    per_report: dict[str, list[Finding]] = {}
    for fid, rid, kind, heading, index, text, polarity in conn.execute(
        "SELECT id, report_id, section_kind, section_heading, finding_index, text, polarity"
        f" FROM findings {rfilter} ORDER BY report_id, position",
        params,
    ):
        finding = Finding(kind, heading, text, index, polarity=polarity)
        by_id[fid] = finding
        per_report.setdefault(rid, []).append(finding)
    if not by_id:
        return per_report
    sub = f"SELECT id FROM findings {rfilter}"
    for fid, theme in conn.execute(
        f"SELECT finding_id, theme FROM finding_themes WHERE finding_id IN ({sub})"
        " ORDER BY finding_id, position", params,
    ):
        by_id[fid].themes.append(theme)
    for fid, agency in conn.execute(
        f"SELECT finding_id, agency FROM finding_agencies WHERE finding_id IN ({sub})"
        " ORDER BY finding_id, position", params,
    ):
        by_id[fid].agencies.append(agency)
    for fid, label, kind, text, start, end in conn.execute(
        'SELECT finding_id, label, kind, text, start, "end" FROM finding_evidence'
        f" WHERE finding_id IN ({sub}) ORDER BY finding_id, position", params,
    ):
        by_id[fid].evidence.append(Evidence(label, kind, text, start, end))
    return per_report
