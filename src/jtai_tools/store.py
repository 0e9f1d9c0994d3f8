"""Store stage: reports kept in an embedded SQLite database.

PLACEHOLDER schema (one JSON row per report); the full store has tables for
reports, sections, findings, tags and source history, with FTS5 search.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from .models import Report, report_from_dict, to_dict

DEFAULT_DB = Path("jtai.db")


class Store:
    """A jtai database. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path = DEFAULT_DB) -> None:
        self.path = Path(path)
        self.conn = sqlite3.connect(self.path, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS reports (id TEXT PRIMARY KEY, sha256 TEXT, data TEXT)"
        )

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def known_sha256(self, sha256: str) -> str | None:
        """The id of the report stored from content with this hash, if any."""
        row = self.conn.execute("SELECT id FROM reports WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def save(self, report: Report) -> str:
        """Store a report atomically; returns "stored", "updated" or "unchanged"."""
        with self.conn:
            row = self.conn.execute(
                "SELECT sha256 FROM reports WHERE id = ?", (report.id,)
            ).fetchone()
            if row and row[0] == report.source.sha256:
                return "unchanged"
            self.conn.execute(
                "INSERT OR REPLACE INTO reports VALUES (?, ?, ?)",
                (report.id, report.source.sha256, json.dumps(to_dict(report), sort_keys=True)),
            )
        return "updated" if row else "stored"

    def reports(self) -> list[Report]:
        rows = self.conn.execute("SELECT data FROM reports ORDER BY id").fetchall()
        return [report_from_dict(json.loads(r[0])) for r in rows]
