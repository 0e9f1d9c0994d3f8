"""Reading a jtai database from Python: reports, findings, theme tables and search as DataFrames.

For notebooks::

    from jtai_tools.query import open_db
    db = open_db("jtai.db")
    db.findings(area="sutton", theme="strategy-meetings")
    db.theme_table(by="area-year", polarity="concern")
    db.search("Operation Encompass", area="sutton")

The ``jtai`` commands call these same functions, so what a notebook shows and
what the command line prints always agree. Filters are applied in SQL (with
the indexes the store creates) so that a database of thousands of reports
answers quickly.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from .errors import UsageError
from .models import POLARITIES, Report
from .store import DEFAULT_DB, load_report, load_reports, open_connection, report_ids

if TYPE_CHECKING:  # pandas is imported when a DataFrame is built: `jtai compare` needs none
    import pandas as pd

#: A fuzzy area match must score at least this (0-100) to be taken ...
AREA_MIN_SCORE = 80.0
#: ... and beat the runner-up by this much, or the name is ambiguous.
AREA_MARGIN = 4.0

_HIT_OPEN, _HIT_CLOSE = "\x02", "\x03"

#: Keys of :meth:`Database.report_rows`, the columns of :meth:`Database.reports`.
REPORT_COLUMNS: tuple[str, ...] = (
    "report_id", "area", "area_full_name", "inspection_type", "date", "sort_date",
    "date_source", "year", "fieldwork_start", "fieldwork_end", "jtai_focus", "lead_inspector",
    "pages", "source_format", "source_path", "findings",
)
#: Orders of :meth:`Database.report_rows`.
_REPORT_ORDER: dict[str, str] = {
    "area": "r.area, r.sort_date IS NULL, r.sort_date, r.id",
    "date": "r.sort_date IS NULL, r.sort_date, r.area, r.id",
}
#: Keys of :meth:`Database.search_rows`, the columns of :meth:`Database.search`.
SEARCH_COLUMNS: tuple[str, ...] = (
    "report_id", "area", "inspection_type", "date", "section_kind", "section_heading",
    "finding_index", "text", "hits", "score", "themes",
)


class QueryError(UsageError, ValueError):
    """A query that cannot be answered as asked (unknown area, bad search syntax...)."""


class AreaError(QueryError):
    """An area name that matches no area, or more than one, in the database."""

    def __init__(self, name: str, message: str, candidates: Sequence[str]) -> None:
        self.name = name
        self.candidates = list(candidates)
        super().__init__(message)


class SearchSyntaxError(QueryError):
    """A search query that the full-text index cannot parse."""


#: Polarities that count a finding as a concern, and as a strength: a ``mixed``
#: finding ("X is good, but Y is not") counts once as each.
CONCERN_POLARITIES: tuple[str, ...] = ("concern", "mixed")
STRENGTH_POLARITIES: tuple[str, ...] = ("strength", "mixed")

#: What a theme table can be grouped by, and the report columns each grouping uses.
_GROUP_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "area": [("area", "r.area")],
    "year": [("year", "r.year")],
    "type": [("inspection_type", "r.inspection_type")],
    "area-year": [("area", "r.area"), ("year", "r.year")],
}
GROUPINGS: tuple[str, ...] = tuple(_GROUP_COLUMNS)


def sql_list(values: Sequence[str]) -> str:
    """A parenthesised list of SQL string literals for ``IN``.

    Python's tuple repr is not SQL: a one-item tuple keeps its trailing
    comma and a quote inside a value is escaped the Python way.
    """
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


_CONCERN = sql_list(CONCERN_POLARITIES)
_STRENGTH = sql_list(STRENGTH_POLARITIES)


def improvement_sql() -> str:
    """The section kinds of improvement points (``data/sections.toml``) as an SQL list.

    Read when a query first needs it, not on import: the quick commands that
    never ask (list, show, search) start without the data files.
    """
    from .vocab import section_roles

    return sql_list(section_roles().improvement)


@dataclass(frozen=True, slots=True)
class ReportRef:
    """A stored report's facts that comparisons need, without its findings.

    ``findings`` and ``concerns`` count all its findings and those raising a
    concern (mixed included): the denominators of its theme rates.
    """

    id: str
    area: str
    inspection_type: str
    date: str | None
    sort_date: str | None
    date_source: str | None
    year: int | None
    jtai_focus: str | None
    findings: int
    concerns: int


@dataclass(frozen=True, slots=True)
class ThemeCount:
    """One report's findings tagged with one theme: all, concerns and strengths."""

    report_id: str
    theme: str
    findings: int
    concerns: int
    strengths: int


@dataclass(frozen=True, slots=True)
class QuoteRow:
    """The finding that best illustrates a theme for an area, with the evidence offsets."""

    area: str
    inspection_type: str | None
    theme: str
    report_id: str
    section_kind: str
    polarity: str
    text: str
    start: int | None
    end: int | None


@dataclass(frozen=True, slots=True)
class Target:
    """What a name typed on the command line means: one report, or an area's reports.

    ``report_id`` is None for an area. ``typed`` is what was typed, and
    ``fuzzy`` says the area was read from a near spelling ("suton" as sutton),
    which a command says on stderr.
    """

    typed: str
    area: str
    report_id: str | None = None
    fuzzy: bool = False

    @property
    def is_report(self) -> bool:
        return self.report_id is not None


@dataclass(frozen=True, slots=True)
class Filters:
    """The report filters shared by every query (all optional).

    ``since`` is a year (``2020``) or an ISO date prefix (``2020-06``),
    compared with the report's sortable date (printed, else end of fieldwork).
    """

    area: str | Sequence[str] | None = None
    type: str | None = None
    since: str | int | None = None
    section: str | None = None
    theme: str | None = None

    def report_sql(self, alias: str = "r") -> tuple[str, list[Any]]:
        """SQL conditions (joined with AND, always at least ``1``) on the reports table."""
        where: list[str] = ["1"]
        params: list[Any] = []
        if self.area:
            areas = [self.area] if isinstance(self.area, str) else list(self.area)
            where.append(f"{alias}.area IN ({','.join('?' * len(areas))})")
            params += areas
        if self.type:
            where.append(f"{alias}.inspection_type = ?")
            params.append(self.type)
        if self.since is not None and str(self.since).strip():
            since = str(self.since).strip()
            if re.fullmatch(r"\d{4}", since):
                where.append(f"{alias}.year >= ?")
                params.append(int(since))
            elif re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", since):
                where.append(f"{alias}.sort_date >= ?")
                params.append(since)
            else:
                raise QueryError(
                    f"--since {since!r}: expected a year (2020) or a date (2020-06-01)"
                )
        return " AND ".join(where), params

    def finding_sql(self, alias: str = "f") -> tuple[str, list[Any]]:
        """SQL conditions on the findings table (section kind, theme)."""
        where, params = ["1"], []
        if self.section:
            where.append(f"{alias}.section_kind = ?")
            params.append(self.section)
        if self.theme:
            where.append(
                f"EXISTS (SELECT 1 FROM finding_themes t WHERE t.finding_id = {alias}.id"
                " AND t.theme = ?)"
            )
            params.append(self.theme)
        return " AND ".join(where), params


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A full-text search: the words as typed, its filters, and whether FTS5 takes it as written."""

    text: str
    filters: Filters = field(default_factory=Filters)
    raw: bool = False


@dataclass(slots=True)
class Database:
    """An open jtai database; every query method returns a DataFrame or records."""

    path: Path
    conn: sqlite3.Connection
    _areas: list[str] | None = field(default=None, repr=False)
    #: Called with (typed, area) when a typed area name is read as a different one
    #: ("suton" as sutton), once per name, so that a caller can say so.
    on_fuzzy: Callable[[str, str], None] | None = field(default=None, repr=False)
    _told: set[str] = field(default_factory=set, repr=False)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (what leaving the ``with`` block does)."""
        self.conn.close()

    # -- areas and reports -------------------------------------------------

    def areas(self) -> list[str]:
        """Area names in the database, sorted."""
        if self._areas is None:
            self._areas = [
                r[0] for r in self.conn.execute("SELECT DISTINCT area FROM reports ORDER BY area")
            ]
        return self._areas

    def resolve_area(self, name: str) -> str:
        """The database's area for a typed name: exact, else the one clear fuzzy match.

        "lewisam" finds lewisham; "north" with both north-tyneside and
        north-somerset stored is ambiguous. Raises :class:`AreaError` naming the
        closest areas. A fuzzy reading is passed to :attr:`on_fuzzy`.
        """
        area = resolve_name(name, self.areas())
        if self.on_fuzzy is not None and _normal(name) != _normal(area) and name not in self._told:
            self._told.add(name)
            self.on_fuzzy(name, area)
        return area

    def _resolved(self, area: str | Sequence[str] | None) -> str | list[str] | None:
        if area is None:
            return None
        if isinstance(area, str):
            return self.resolve_area(area)
        return [self.resolve_area(a) for a in area]

    def report_rows(
        self,
        area: str | Sequence[str] | None = None,
        type: str | None = None,
        since: str | int | None = None,
        order: str = "area",
    ) -> list[dict[str, Any]]:
        """One dict per stored report (keys :data:`REPORT_COLUMNS`), without pandas.

        ``order`` is ``"area"`` (area, then sortable date) or ``"date"``
        (sortable date, undated last, then area); ties go by id.
        """
        where, params = Filters(self._resolved(area), type, since).report_sql()
        by = _REPORT_ORDER.get(order)
        if by is None:
            raise QueryError(f"order {order!r}: expected one of {', '.join(_REPORT_ORDER)}")
        rows = self.conn.execute(
            "SELECT r.id, r.area, r.area_full_name, r.inspection_type, r.date, r.sort_date,"
            " r.date_source, r.year, r.fieldwork_start, r.fieldwork_end, r.jtai_focus,"
            " r.lead_inspector, r.source_pages, r.source_format, r.source_path,"
            " (SELECT COUNT(*) FROM findings f WHERE f.report_id = r.id) AS findings"
            f" FROM reports r WHERE {where} ORDER BY {by}",
            params,
        ).fetchall()
        return [dict(zip(REPORT_COLUMNS, row, strict=True)) for row in rows]

    def reports(
        self,
        area: str | Sequence[str] | None = None,
        type: str | None = None,
        since: str | int | None = None,
    ) -> pd.DataFrame:
        """One row per stored report, ordered by area, sortable date and id."""
        import pandas as pd

        frame = pd.DataFrame(self.report_rows(area, type, since), columns=list(REPORT_COLUMNS))
        frame["year"] = frame["year"].astype("Int64")
        return frame

    def graded_reports(self, types: Sequence[str],
                       area: str | Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Reports of the graded inspection types with their judgements, by area then
        newest first (keys: report_id, area, area_full_name, inspection_type, date,
        sort_date, fieldwork_start, fieldwork_end, lead_inspector, judgements)."""
        where, params = Filters(self._resolved(area)).report_sql()
        rows = self.conn.execute(
            "SELECT r.id, r.area, r.area_full_name, r.inspection_type, r.date, r.sort_date,"
            " r.fieldwork_start, r.fieldwork_end, r.lead_inspector, r.judgements FROM reports r"
            f" WHERE {where} AND r.inspection_type IN ({','.join('?' * len(types))})"
            " ORDER BY r.area, r.sort_date IS NULL, r.sort_date DESC, r.id DESC",
            [*params, *types],
        ).fetchall()
        keys = ("report_id", "area", "area_full_name", "inspection_type", "date", "sort_date",
                "fieldwork_start", "fieldwork_end", "lead_inspector")
        return [{**dict(zip(keys, row[:-1], strict=True)), "judgements": json.loads(row[-1])}
                for row in rows]

    def report(self, report_id: str) -> Report | None:
        """One stored report, or None."""
        return load_report(self.conn, report_id)

    def report_ids(self) -> list[str]:
        """Ids of the stored reports, sorted."""
        return report_ids(self.conn)

    def load_reports(self, ids: Sequence[str]) -> list[Report]:
        """Whole stored reports (sections and findings), in sortable-date order."""
        found = load_reports(self.conn, list(ids))
        order = {r.id: (r.sort_date is None, r.sort_date or "", r.id) for r in found}
        return sorted(found, key=lambda r: order[r.id])

    # -- what comparisons read ------------------------------------------------

    def report_refs(self, filters: Filters | None = None) -> list[ReportRef]:
        """The reports the filters select, by area then sortable date (undated last)."""
        where, params = (filters or Filters()).report_sql()
        rows = self.conn.execute(
            "SELECT r.id, r.area, r.inspection_type, r.date, r.sort_date, r.date_source,"
            " r.year, r.jtai_focus,"
            " (SELECT COUNT(*) FROM findings f WHERE f.report_id = r.id),"
            f" (SELECT COUNT(*) FROM findings f WHERE f.report_id = r.id"
            f"  AND f.polarity IN {_CONCERN})"
            f" FROM reports r WHERE {where}"
            " ORDER BY r.area, r.sort_date IS NULL, r.sort_date, r.id", params,
        ).fetchall()
        return [ReportRef(*row) for row in rows]

    def theme_counts(self, filters: Filters | None = None) -> list[ThemeCount]:
        """Per report and theme, the findings tagged with it (all, concerns, strengths).

        Read from the ``finding_themes_report`` index alone, so it stays fast
        over every report in the database.
        """
        where, params = (filters or Filters()).report_sql()
        rwhere = _in_reports("t", where)
        rows = self.conn.execute(
            "SELECT t.report_id, t.theme, COUNT(*),"
            f" SUM(t.polarity IN {_CONCERN}), SUM(t.polarity IN {_STRENGTH})"
            f" FROM finding_themes t WHERE {rwhere}"
            " GROUP BY t.report_id, t.theme ORDER BY t.report_id, t.theme",
            [] if where == "1" else params,
        ).fetchall()
        return [ThemeCount(rid, theme, int(n), int(c), int(st)) for rid, theme, n, c, st in rows]

    def theme_quotes(self, filters: Filters, by_type: bool = False) -> list[QuoteRow]:
        """Per (area, theme) the most telling finding: a concern first, from an improvement
        list first, where the theme comes first among the finding's themes (what the
        finding is mainly about), from the latest report first. With ``by_type``, one
        per (area, inspection type, theme)."""
        where, params = filters.report_sql()
        kind = "r.inspection_type" if by_type else "NULL"
        rows = self.conn.execute(
            "SELECT area, kind, theme, report_id, section_kind, polarity, text, ev_start, ev_end"
            f" FROM (SELECT r.area, {kind} AS kind, t.theme, f.report_id, f.section_kind,"
            " f.polarity, f.text,"
            "  (SELECT e.start FROM finding_evidence e WHERE e.finding_id = f.id AND"
            "   e.kind = 'theme' AND e.label = t.theme ORDER BY e.position LIMIT 1) AS ev_start,"
            "  (SELECT e.\"end\" FROM finding_evidence e WHERE e.finding_id = f.id AND"
            "   e.kind = 'theme' AND e.label = t.theme ORDER BY e.position LIMIT 1) AS ev_end,"
            f"  ROW_NUMBER() OVER (PARTITION BY r.area, {kind}, t.theme ORDER BY"
            f"   f.polarity NOT IN {_CONCERN}, f.section_kind NOT IN {improvement_sql()},"
            "   t.position, r.sort_date DESC, f.report_id, f.position) AS n"
            " FROM finding_themes t JOIN findings f ON f.id = t.finding_id"
            f" JOIN reports r ON r.id = f.report_id WHERE {where}"
            ") WHERE n = 1 ORDER BY area, kind, theme", params,
        ).fetchall()
        return [QuoteRow(*row) for row in rows]

    def improvement_points(self, report_id: str) -> list[tuple[str, list[str]]]:
        """A report's improvement points (text, themes): its improvement-list items, or,
        when it has no such list, its concern findings."""
        improvement = improvement_sql()
        rows = self.conn.execute(
            "SELECT f.text, (SELECT group_concat(theme, ' ') FROM (SELECT theme FROM"
            " finding_themes t WHERE t.finding_id = f.id ORDER BY t.position)),"
            f" f.section_kind IN {improvement}"
            f" FROM findings f WHERE f.report_id = ? AND (f.section_kind IN {improvement}"
            f" OR f.polarity IN {_CONCERN}) ORDER BY f.position", (report_id,)).fetchall()
        listed = [(text, (themes or "").split()) for text, themes, is_list in rows if is_list]
        return listed or [(text, (themes or "").split()) for text, themes, _ in rows]

    def finding_total(self) -> int:
        """How many findings the database holds."""
        return int(self.conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0])

    def word_finding_counts(self, words: set[str]) -> dict[str, int]:
        """For each word, how many findings hold it (through the full-text index)."""
        return {
            word: int(self.conn.execute(
                "SELECT COUNT(*) FROM findings_fts WHERE findings_fts MATCH ?",
                ('"' + word.replace('"', '""') + '"',),
            ).fetchone()[0])
            for word in sorted(words)
        }

    def themes(self) -> list[str]:
        """The themes the stored findings carry, sorted."""
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT theme FROM finding_themes ORDER BY theme")]

    def theme_finding_counts(self) -> dict[str, int]:
        """For each theme, how many findings carry it."""
        return {theme: int(n) for theme, n in self.conn.execute(
            "SELECT theme, COUNT(*) FROM finding_themes GROUP BY theme")}

    def reports_dated(self, area: str, date: str, type: str | None = None) -> list[str]:
        """Ids of an area's reports whose printed date, sortable date or fieldwork
        (either end) starts with ``date`` (a year, a month or a day), or, for a
        year, with no printed date and that year's copyright line ("© Crown
        copyright 2022": all an ILACS since 2019 prints of its publication), in
        date order."""
        like = date + "%"
        year = int(date) if re.fullmatch(r"\d{4}", date) else None
        rows = self.conn.execute(
            "SELECT id FROM reports WHERE area = ?"
            " AND (sort_date LIKE ? OR date LIKE ? OR fieldwork_end LIKE ?"
            "  OR fieldwork_start LIKE ? OR (date IS NULL AND copyright_year = ?))"
            + (" AND inspection_type = ?" if type else "")
            + " ORDER BY sort_date IS NULL, sort_date, id",
            [area, like, like, like, like, year, *([type] if type else [])],
        )
        return [r[0] for r in rows]

    def report_sort_date(self, report_id: str) -> str | None:
        """The sortable date of a stored report (None when undated or unknown)."""
        row = self.conn.execute("SELECT sort_date FROM reports WHERE id = ?",
                                (report_id,)).fetchone()
        return row[0] if row else None

    def report_area(self, report_id: str) -> str | None:
        """The area of a stored report, or None when no report has this id."""
        row = self.conn.execute("SELECT area FROM reports WHERE id = ?", (report_id,)).fetchone()
        return row[0] if row else None

    # -- findings ---------------------------------------------------------

    def findings(
        self,
        area: str | Sequence[str] | None = None,
        type: str | None = None,
        since: str | int | None = None,
        section: str | None = None,
        theme: str | None = None,
    ) -> pd.DataFrame:
        """One row per finding, in report and document order.

        Columns: report_id, area, inspection_type, date, year, section_kind,
        section_heading, finding_index, text, polarity, themes (tuple of ids),
        agencies (tuple), evidence (list of dicts).
        """
        import pandas as pd

        filters = Filters(self._resolved(area), type, since, section, theme)
        rwhere, rparams = filters.report_sql()
        fwhere, fparams = filters.finding_sql()
        rows = self.conn.execute(
            "SELECT f.id, f.report_id, r.area, r.inspection_type, r.date, r.year,"
            " f.section_kind, f.section_heading, f.finding_index, f.text, f.polarity"
            " FROM findings f JOIN reports r ON r.id = f.report_id"
            f" WHERE {rwhere} AND {fwhere} ORDER BY f.report_id, f.position",
            rparams + fparams,
        ).fetchall()
        ids = [r[0] for r in rows]
        themes, agencies, evidence = self._tags(ids)
        records = [
            {
                "report_id": r[1], "area": r[2], "inspection_type": r[3], "date": r[4],
                "year": r[5], "section_kind": r[6], "section_heading": r[7],
                "finding_index": r[8], "text": r[9], "polarity": r[10],
                "themes": tuple(themes.get(r[0], ())), "agencies": tuple(agencies.get(r[0], ())),
                "evidence": evidence.get(r[0], []),
            }
            for r in rows
        ]
        columns = ["report_id", "area", "inspection_type", "date", "year", "section_kind",
                   "section_heading", "finding_index", "text", "polarity", "themes", "agencies",
                   "evidence"]
        frame = pd.DataFrame(records, columns=columns)
        frame["year"] = frame["year"].astype("Int64")
        return frame

    def _tags(self, ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list[str]],
                                             dict[int, list[dict[str, Any]]]]:
        """Themes, agencies and evidence of the given findings, in their stored order.

        The ids go through a temporary table and ``finding_id IN (SELECT ...)``:
        written as a join, SQLite scans every tag of the database instead of
        looking each finding up by its key.
        """
        themes: dict[int, list[str]] = {}
        agencies: dict[int, list[str]] = {}
        evidence: dict[int, list[dict[str, Any]]] = {}
        if not ids:
            return themes, agencies, evidence
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id INTEGER PRIMARY KEY)")
        self.conn.execute("DELETE FROM temp.wanted")
        self.conn.executemany("INSERT INTO temp.wanted VALUES (?)", [(i,) for i in ids])
        for fid, theme in self.conn.execute(
            "SELECT finding_id, theme FROM finding_themes"
            " WHERE finding_id IN (SELECT id FROM temp.wanted) ORDER BY finding_id, position"
        ):
            themes.setdefault(fid, []).append(theme)
        for fid, agency in self.conn.execute(
            "SELECT finding_id, agency FROM finding_agencies"
            " WHERE finding_id IN (SELECT id FROM temp.wanted) ORDER BY finding_id, position"
        ):
            agencies.setdefault(fid, []).append(agency)
        for fid, label, kind, text, start, end in self.conn.execute(
            'SELECT finding_id, label, kind, text, start, "end" FROM finding_evidence'
            " WHERE finding_id IN (SELECT id FROM temp.wanted) ORDER BY finding_id, position"
        ):
            evidence.setdefault(fid, []).append(
                {"label": label, "kind": kind, "text": text, "start": start, "end": end}
            )
        self.conn.execute("DELETE FROM temp.wanted")
        return themes, agencies, evidence

    # -- tables and search ------------------------------------------------

    def theme_table(
        self,
        by: str = "area",
        polarity: str | None = None,
        area: str | Sequence[str] | None = None,
        type: str | None = None,
        since: str | int | None = None,
    ) -> pd.DataFrame:
        """Findings per theme per group (area, year, type or area-year).

        Columns: the group column(s); ``theme``; ``findings`` (findings tagged
        with the theme); per polarity ``concern``, ``strength``, ``mixed``,
        ``neutral`` (only the chosen one with ``polarity``); ``reports``
        (reports in the group raising the theme); ``group_reports`` (reports in
        the group); ``share`` (reports / group_reports). Rows are sorted by
        group (missing years last) then theme, so renderings are reproducible
        (see :mod:`tables`).
        """
        return _theme_table(self.conn, by, polarity,
                            Filters(self._resolved(area), type, since))

    def search(
        self,
        query: str,
        area: str | Sequence[str] | None = None,
        type: str | None = None,
        since: str | int | None = None,
        section: str | None = None,
        theme: str | None = None,
        limit: int | None = 20,
        raw: bool = False,
    ) -> pd.DataFrame:
        """Full-text search over findings, best match first (bm25).

        Words are matched with stemming ("meeting" finds "meetings"); "quoted
        phrases", OR, NOT and a trailing * (prefix) work. Everything else is
        quoted, so punctuation in the query is never a syntax error; with
        ``raw=True`` the query goes to FTS5 as written. Columns: report_id,
        area, inspection_type, date, section_kind, section_heading,
        finding_index, text, hits (tuple of (start, end) offsets), score
        (higher is better), themes.
        """
        import pandas as pd

        search = SearchQuery(query, Filters(area, type, since, section, theme), raw)
        return pd.DataFrame(self.search_rows(search, limit), columns=list(SEARCH_COLUMNS))

    def _search_sql(self, search: SearchQuery) -> tuple[str, list[Any]]:
        """The FROM and WHERE of a search, and its parameters (the query checked first)."""
        match = search.text if search.raw else fts_query(search.text)
        filters = dataclasses.replace(search.filters, area=self._resolved(search.filters.area))
        rwhere, rparams = filters.report_sql()
        fwhere, fparams = filters.finding_sql()
        self._check_match(search.text, match)
        return (" FROM findings_fts JOIN findings f ON f.id = findings_fts.rowid"
                " JOIN reports r ON r.id = f.report_id"
                f" WHERE findings_fts MATCH ? AND {rwhere} AND {fwhere}",
                [match, *rparams, *fparams])

    def search_rows(self, search: SearchQuery, limit: int | None = 20) -> list[dict[str, Any]]:
        """The hits of :meth:`search` as dicts (keys :data:`SEARCH_COLUMNS`), without pandas."""
        body, params = self._search_sql(search)
        rows = self.conn.execute(
            "SELECT f.id, f.report_id, r.area, r.inspection_type, r.date, f.section_kind,"
            " f.section_heading, f.finding_index,"
            f" highlight(findings_fts, 0, '{_HIT_OPEN}', '{_HIT_CLOSE}'),"
            f" bm25(findings_fts) AS rank{body}"
            " ORDER BY rank, f.report_id, f.position" + (" LIMIT ?" if limit else ""),
            params + ([limit] if limit else []),
        ).fetchall()
        themes, _, _ = self._tags([r[0] for r in rows])
        records = []
        for r in rows:
            text, hits = split_highlight(r[8])
            records.append({
                "report_id": r[1], "area": r[2], "inspection_type": r[3], "date": r[4],
                "section_kind": r[5], "section_heading": r[6], "finding_index": r[7],
                "text": text, "hits": hits, "score": round(-float(r[9]), 4),
                "themes": tuple(themes.get(r[0], ())),
            })
        return records

    def search_count(self, search: SearchQuery) -> int:
        """How many findings a search matches in all (what a limit leaves out included)."""
        body, params = self._search_sql(search)
        return int(self.conn.execute(f"SELECT COUNT(*){body}", params).fetchone()[0])

    def _check_match(self, query: str, match: str) -> None:
        """Raise :class:`SearchSyntaxError` when FTS5 cannot parse ``match``.

        The expression is tried alone, so that every error it raises is about
        the query (FTS5 words them many ways: "syntax error", "no such column",
        "unterminated string", "unknown special query"...), while an error of
        the full search still surfaces as what it is.
        """
        try:
            self.conn.execute(
                "SELECT rowid FROM findings_fts WHERE findings_fts MATCH ? LIMIT 1", (match,)
            ).fetchall()
        except sqlite3.OperationalError as exc:
            if any(word in str(exc) for word in ("locked", "busy", "no such table")):
                raise
            reason = str(exc).rstrip(": ")  # "unknown special query: " ends bare
            raise SearchSyntaxError(f"cannot search for {query!r}: {reason}") from None


def _theme_table(conn: sqlite3.Connection, by: str, polarity: str | None,
                 filters: Filters) -> pd.DataFrame:
    """One SQL aggregation over ``finding_themes`` (fast on thousands of reports)."""
    import pandas as pd

    if by not in _GROUP_COLUMNS:
        raise QueryError(f"grouping {by!r}: expected one of {', '.join(GROUPINGS)}")
    if polarity is not None and polarity not in POLARITIES:
        raise QueryError(f"polarity {polarity!r}: expected one of {', '.join(POLARITIES)}")
    groups = _GROUP_COLUMNS[by]
    names = [name for name, _ in groups]
    exprs = ", ".join(expr for _, expr in groups)
    where, params = filters.report_sql()
    polarities = [polarity] if polarity else list(POLARITIES)
    # Two steps: per (report, theme) straight from the finding_themes_report index,
    # then per group over those few rows; "reports" is then a plain COUNT.
    inner_counts = ", ".join(f"SUM(t.polarity = '{p}') AS {_sql_name(p)}" for p in polarities)
    outer_counts = ", ".join(f"SUM(p.{_sql_name(p)})" for p in polarities)
    pwhere = "t.polarity = ?" if polarity else "1"
    rwhere = _in_reports("t", where)
    # sorted by SQLite (byte order of UTF-8 is code point order, as Python sorts),
    # missing years last
    order = ", ".join(f"{expr} IS NULL, {expr}" for _, expr in groups)
    rows = conn.execute(
        f"SELECT {exprs}, p.theme, SUM(p.n), {outer_counts}, COUNT(*) FROM ("
        f" SELECT t.report_id, t.theme, COUNT(*) AS n, {inner_counts}"
        f" FROM finding_themes t WHERE {pwhere} AND {rwhere}"
        " GROUP BY t.report_id, t.theme"
        f") p JOIN reports r ON r.id = p.report_id GROUP BY {exprs}, p.theme"
        f" ORDER BY {order}, p.theme",
        [*([polarity] if polarity else []), *([] if where == "1" else params)],
    ).fetchall()
    sizes = {
        tuple(r[:-1]): r[-1]
        for r in conn.execute(
            f"SELECT {exprs}, COUNT(*) FROM reports r WHERE {where} GROUP BY {exprs}", params
        )
    }
    columns = [*names, "theme", "findings", *polarities, "reports", "group_reports", "share"]
    records = []
    for row in rows:
        key = tuple(row[: len(names)])
        reports = row[-1]
        total = sizes.get(key, 0)
        records.append([*row, total, round(reports / total, 3) if total else 0.0])
    frame = pd.DataFrame(records, columns=columns)
    for col in ["findings", *polarities, "reports", "group_reports"]:
        frame[col] = frame[col].astype("int64")
    if "year" in frame:
        frame["year"] = frame["year"].astype("Int64")
    return frame


def _in_reports(alias: str, where: str) -> str:
    """A condition keeping rows of a report_id-keyed table to the reports ``where`` selects
    ("1" when it selects every report, so the index alone answers)."""
    if where == "1":
        return "1"
    return f"{alias}.report_id IN (SELECT r.id FROM reports r WHERE {where})"


def _sql_name(polarity: str) -> str:
    """A column alias for a polarity (aliases cannot hold "-")."""
    return "n_" + polarity.replace("-", "_")


_REF = re.compile(r"^(?P<area>.+?)@(?P<date>\d{4}(?:-\d{2}(?:-\d{2})?)?)$")


def resolve_target(db: Database, text: str, type: str | None = None) -> Target:
    """What ``text`` names: a stored report id, ``AREA@YEAR`` (or ``AREA@YYYY-MM[-DD]``),
    or an area.

    ``AREA@2022`` matches a report printed in 2022, or without a printed
    date whose fieldwork fell in 2022; when several match, the one whose
    sortable date is in that year is taken if it is the only one. Raises
    :class:`QueryError` (an :class:`AreaError` for an area) when nothing, or
    more than one report, matches.
    """
    area = db.report_area(text)
    if area is not None:
        return Target(text, area, text)
    match = _REF.match(text)
    if match is None:
        if "@" in text:
            raise QueryError(f"{text!r}: expected a report id or AREA@YEAR (e.g. sutton@2017)")
        area = db.resolve_area(text)
        return Target(text, area, None, _normal(area) != _normal(text))
    area = db.resolve_area(match["area"])
    date = match["date"]
    ids = db.reports_dated(area, date, type)
    if len(ids) > 1:
        by_sort = [rid for rid in ids
                   if (db.report_sort_date(rid) or "").startswith(date)]
        ids = by_sort if len(by_sort) == 1 else ids
    if not ids:
        stored = [r.id for r in db.report_refs(Filters(area))]
        kind = f" {type}" if type else ""
        raise QueryError(f"no {area}{kind} report dated {date};"
                         f" {area} has: {', '.join(stored) or 'none'}")
    if len(ids) > 1:
        raise QueryError(f"{text!r} matches {len(ids)} reports: {', '.join(ids)};"
                         " give a full date, an inspection type or a report id")
    return Target(text, area, ids[0], _normal(area) != _normal(match["area"]))


def open_db(path: str | Path = DEFAULT_DB) -> Database:
    """Open an existing jtai database (raises :class:`StoreError` when missing or unusable)."""
    path = Path(path)
    return Database(path, open_connection(path, create=False))


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def resolve_name(name: str, choices: Sequence[str], what: str = "area") -> str:
    """The one choice that ``name`` means: exact (ignoring case and punctuation), else fuzzy."""
    wanted = _normal(name)
    if not wanted:
        raise AreaError(name, f"empty {what} name", [])
    if not choices:
        held = "reports" if what == "area" else f"{what}s"
        raise AreaError(name, f"unknown {what} {name!r}: the database holds no {held}", [])
    normal = {_normal(c): c for c in choices}
    if wanted in normal:
        return normal[wanted]
    scored = process.extract(wanted, list(normal), scorer=fuzz.WRatio, limit=5)
    close = [normal[c] for c, score, _ in scored if score >= 60]
    listing = ", ".join(close) if close else "none close; known: " + ", ".join(choices[:10])
    if not scored or scored[0][1] < AREA_MIN_SCORE:
        where = "closest in the database" if what == "area" else "closest known"
        raise AreaError(name, f"unknown {what} {name!r}; {where}: {listing}", close)
    best = scored[0][1]
    tied = [normal[c] for c, score, _ in scored if score > best - AREA_MARGIN]
    if len(tied) > 1:
        raise AreaError(name, f"ambiguous {what} {name!r}: could be {', '.join(tied)}", tied)
    return normal[scored[0][0]]


_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_OPERATORS = frozenset({"OR", "AND", "NOT"})


def fts_query(text: str) -> str:
    """Turn what a user typed into a safe FTS5 query.

    Every word and "phrase" is quoted (so ``-``, ``:``, ``(``, ``NEAR`` and
    column-like ``word:`` are plain text); OR/AND/NOT between terms stay
    operators and a trailing ``*`` stays a prefix search.
    """
    if text.count('"') % 2:
        raise SearchSyntaxError(f"cannot search for {text!r}: a double quote is not closed")
    parts: list[str] = []
    for phrase, word in _TOKEN.findall(text):
        if word in _OPERATORS:
            parts.append(word)
            continue
        term = phrase if phrase else word
        prefix = not phrase and term.endswith("*") and len(term) > 1
        term = term.rstrip("*") if prefix else term
        if re.search(r"\w", term):
            parts.append('"' + term.replace('"', '""') + '"' + ("*" if prefix else ""))
    cleaned = _join_operators(text, parts)
    if not cleaned:
        raise SearchSyntaxError(f"cannot search for {text!r}: no words to look for")
    return " ".join(cleaned)


def _join_operators(text: str, parts: list[str]) -> list[str]:
    """Quoted terms with at most one operator between two of them.

    FTS5's NOT is binary ("a NOT b"): a NOT with no words before it, or after
    OR, would have to be dropped, and that searches for the opposite of what
    was asked, so it is refused. "AND NOT" is NOT; a repeated operator counts
    once; a dangling AND/OR at either end is ignored.
    """
    out: list[str] = []
    for part in parts:
        if part not in _OPERATORS:
            out.append(part)
        elif not out or out[-1] not in _OPERATORS:
            if part == "NOT" and not out:
                raise SearchSyntaxError(f"cannot search for {text!r}: NOT needs words before "
                                        'it, as in "meetings NOT strategy"')
            if out:
                out.append(part)
        elif part == "NOT" and out[-1] == "OR":
            raise SearchSyntaxError(f"cannot search for {text!r}: OR NOT cannot be searched; "
                                    "search the two parts separately")
        elif part == "NOT":
            out[-1] = "NOT"  # "a AND NOT b" is "a NOT b"
    while out and out[-1] in _OPERATORS:
        out.pop()
    return out


def split_highlight(marked: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Plain text and (start, end) offsets of the hits from FTS5 ``highlight()`` output."""
    text: list[str] = []
    hits: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for piece in re.split(f"([{_HIT_OPEN}{_HIT_CLOSE}])", marked):
        if piece == _HIT_OPEN:
            start = length
        elif piece == _HIT_CLOSE:
            if start is not None and length > start:
                if hits and not "".join(text)[hits[-1][1]:start].strip():
                    start = hits.pop()[0]  # "Operation Encompass" is one hit, not two
                hits.append((start, length))
            start = None
        else:
            text.append(piece)
            length += len(piece)
    return "".join(text), tuple(hits)
