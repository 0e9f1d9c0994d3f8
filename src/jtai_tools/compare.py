"""Comparing areas with each other, and one area's reports across years.

:func:`compare_areas` answers "what do inspectors say about Sutton that they
also say about Lewisham?": a theme x area table of concern and strength
counts (SQL aggregation), the themes raised as concerns for only one area and
the shared ones, and for each theme a short quote per area, cut around the
words that made the tag.

:func:`compare_reports` answers "did it get better?": per theme whether a
concern is new, persisting or resolved between an earlier and a later report,
and which improvement points came back: each later point is paired with the
earlier point whose content-word lemmas and themes it shares most, weighting
rare words and themes above common ones ("suitable accommodation" says more
than "quality" or "children"), and reported with its score.

A ``mixed`` finding ("X is good, but Y is not") counts once as a concern and
once as a strength.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from .query import AreaError, Database, Filters, QueryError

#: Section kinds whose items are improvement points.
IMPROVEMENT_KINDS: tuple[str, ...] = ("improve", "recommendations")
#: Similarity (0-100) from which a later improvement point counts as recurring.
RECURRING_MIN_SCORE = 45.0
#: Word similarity (0-100) a recurring point needs whatever its themes: sharing
#: themes alone makes two points about the same topic, not the same point.
RECURRING_MIN_WORDS = 15.0
#: Characters of context kept on each side of the evidence in a quote.
QUOTE_CONTEXT = 80



def sql_list(values: Sequence[str]) -> str:
    """A parenthesised list of SQL string literals for ``IN``.

    Python's tuple repr is not SQL: a one-item tuple keeps its trailing
    comma and a quote inside a value is escaped the Python way.
    """
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


_CONCERN = sql_list(("concern", "mixed"))
_STRENGTH = sql_list(("strength", "mixed"))
_IMPROVEMENT = sql_list(IMPROVEMENT_KINDS)


@dataclass(slots=True)
class Quote:
    """A short extract of one finding, around the words that tagged the theme."""

    report_id: str
    section_kind: str
    polarity: str
    text: str


@dataclass(slots=True)
class ThemeCounts:
    """One theme's concern and strength counts per area, and a quote per area."""

    theme: str
    concern: dict[str, int]
    strength: dict[str, int]
    quotes: dict[str, Quote] = field(default_factory=dict)


@dataclass(slots=True)
class AreaComparison:
    """What :func:`compare_areas` found: areas in the order named, their reports, the
    themes (most concerns first), themes raised as concerns for one area only, and
    those raised for every area."""

    areas: list[str]
    reports: dict[str, list[str]]
    themes: list[ThemeCounts]
    only: dict[str, list[str]]
    shared: list[str]
    type: str | None = None
    since: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return asdict(self)


@dataclass(slots=True)
class ThemeChange:
    """A theme's concern count in the earlier and later report and what that means."""

    theme: str
    earlier: int
    later: int
    status: str  # "new", "persisting", "resolved"


@dataclass(slots=True)
class Recurrence:
    """A later improvement point matched to the most similar earlier one."""

    later: str
    earlier: str
    score: float
    themes: list[str]
    words: float = 0.0
    theme_score: float = 0.0


@dataclass(slots=True)
class ReportComparison:
    """What :func:`compare_reports` found between an earlier and a later report."""

    earlier: str
    later: str
    changes: list[ThemeChange]
    recurring: list[Recurrence]
    min_score: float
    lemmatiser: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return asdict(self)


# -- areas ----------------------------------------------------------------

def compare_areas(
    db: Database,
    areas: Sequence[str],
    type: str | None = None,
    since: str | int | None = None,
) -> AreaComparison:
    """Compare two or more areas' findings theme by theme (names resolved fuzzily)."""
    resolved: list[str] = []
    for name in areas:
        area = db.resolve_area(name)
        if area not in resolved:
            resolved.append(area)
    if len(resolved) < 2:
        raise QueryError("compare needs at least two different areas")
    filters = Filters(resolved, type, since)
    where, params = filters.report_sql()
    reports: dict[str, list[str]] = {a: [] for a in resolved}
    for rid, area in db.conn.execute(
        f"SELECT r.id, r.area FROM reports r WHERE {where}"
        " ORDER BY r.area, r.sort_date, r.id", params,
    ):
        reports[area].append(rid)
    missing = [a for a, ids in reports.items() if not ids]
    if missing:
        raise AreaError(missing[0], f"no reports for {', '.join(missing)} with these filters"
                        f"{_filter_text(type, since)}", [])
    rows = db.conn.execute(
        "SELECT r.area, t.theme,"
        f" SUM(f.polarity IN {_CONCERN}), SUM(f.polarity IN {_STRENGTH})"
        " FROM finding_themes t JOIN findings f ON f.id = t.finding_id"
        f" JOIN reports r ON r.id = f.report_id WHERE {where}"
        " GROUP BY r.area, t.theme", params,
    ).fetchall()
    table: dict[str, ThemeCounts] = {}
    for area, theme, concern, strength in rows:
        counts = table.setdefault(theme, ThemeCounts(theme, dict.fromkeys(resolved, 0),
                                                     dict.fromkeys(resolved, 0)))
        counts.concern[area] = int(concern)
        counts.strength[area] = int(strength)
    for (area, theme), quote in _quotes(db, where, params).items():
        if theme in table:
            table[theme].quotes[area] = quote
    themes = sorted(table.values(), key=lambda t: (-sum(t.concern.values()), t.theme))
    raised = {a: {t.theme for t in themes if t.concern[a]} for a in resolved}
    only = {a: sorted(raised[a] - set().union(*(raised[b] for b in resolved if b != a)))
            for a in resolved}
    shared = sorted(set.intersection(*raised.values()))
    return AreaComparison(resolved, reports, themes, only, shared, type,
                          None if since is None else str(since))


def _filter_text(type: str | None, since: str | int | None) -> str:
    """" (type jtai, since 2020)" for messages, so the user sees why nothing matched."""
    parts = ([f"type {type}"] if type else []) + ([f"since {since}"] if since else [])
    return f" ({', '.join(parts)})" if parts else ""


def _quotes(db: Database, where: str, params: list[Any]) -> dict[tuple[str, str], Quote]:
    """Per (area, theme) the most telling finding: a concern first, from an improvement
    list first, where the theme comes first among the finding's themes (what the
    finding is mainly about), from the latest report first."""
    rows = db.conn.execute(
        "SELECT area, theme, report_id, section_kind, polarity, text, ev_start, ev_end FROM ("
        " SELECT r.area, t.theme, f.report_id, f.section_kind, f.polarity, f.text,"
        "  (SELECT e.start FROM finding_evidence e WHERE e.finding_id = f.id AND"
        "   e.kind = 'theme' AND e.label = t.theme ORDER BY e.position LIMIT 1) AS ev_start,"
        "  (SELECT e.\"end\" FROM finding_evidence e WHERE e.finding_id = f.id AND"
        "   e.kind = 'theme' AND e.label = t.theme ORDER BY e.position LIMIT 1) AS ev_end,"
        "  ROW_NUMBER() OVER (PARTITION BY r.area, t.theme ORDER BY"
        f"   f.polarity NOT IN {_CONCERN}, f.section_kind NOT IN {_IMPROVEMENT},"
        "   t.position, r.sort_date DESC, f.report_id, f.position) AS n"
        " FROM finding_themes t JOIN findings f ON f.id = t.finding_id"
        f" JOIN reports r ON r.id = f.report_id WHERE {where}"
        ") WHERE n = 1", params,
    ).fetchall()
    return {
        (area, theme): Quote(rid, kind, polarity, excerpt(text, start, end))
        for area, theme, rid, kind, polarity, text, start, end in rows
    }


def excerpt(text: str, start: int | None, end: int | None, context: int = QUOTE_CONTEXT) -> str:
    """The text around ``[start:end]``, cut at word boundaries, with … where cut."""
    if start is None or end is None or not 0 <= start <= end <= len(text):
        start, end = 0, 0
    if len(text) <= 2 * context + (end - start):
        return text
    left = max(0, start - context)
    right = min(len(text), end + context)
    if left > 0:
        space = text.find(" ", left)
        left = space + 1 if 0 <= space < start else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space > end else right
    return ("…" if left > 0 else "") + text[left:right].strip() + ("…" if right < len(text) else "")


# -- years ----------------------------------------------------------------

_REF = re.compile(r"^(?P<area>.+?)@(?P<date>\d{4}(?:-\d{2}(?:-\d{2})?)?)$")


def resolve_report(db: Database, ref: str, type: str | None = None) -> str:
    """A report id for ``ref``: a stored id, or ``AREA@YEAR`` / ``AREA@YYYY-MM-DD``.

    Raises :class:`QueryError` (an :class:`AreaError` for a bad area) when
    nothing, or more than one report, matches.
    """
    if db.report(ref) is not None:
        return ref
    match = _REF.match(ref)
    if not match:
        raise QueryError(f"{ref!r}: expected a report id or AREA@YEAR (e.g. sutton@2017)")
    area = db.resolve_area(match["area"])
    date = match["date"]
    sql = ("SELECT id FROM reports WHERE area = ? AND COALESCE(sort_date, '') LIKE ?"
           + (" AND inspection_type = ?" if type else "") + " ORDER BY id")
    params = [area, date + "%", *([type] if type else [])]
    ids = [r[0] for r in db.conn.execute(sql, params)]
    if len(date) == 4 and not ids:  # undated reports count by the year of their fieldwork
        ids = [r[0] for r in db.conn.execute(
            "SELECT id FROM reports WHERE area = ? AND year = ?"
            + (" AND inspection_type = ?" if type else "") + " ORDER BY id",
            [area, int(date), *([type] if type else [])])]
    if not ids:
        stored = [r[0] for r in db.conn.execute(
            "SELECT id FROM reports WHERE area = ? ORDER BY date, id", (area,))]
        raise QueryError(f"no {area} report dated {date}{_filter_text(type, None)};"
                         f" {area} has: {', '.join(stored) or 'none'}")
    if len(ids) > 1:
        raise QueryError(f"{ref!r} matches {len(ids)} reports: {', '.join(ids)};"
                         " give a full date, --type or a report id")
    return ids[0]


def compare_reports(
    db: Database,
    first: str,
    second: str,
    type: str | None = None,
    min_score: float = RECURRING_MIN_SCORE,
) -> ReportComparison:
    """Compare two reports (refs as for :func:`resolve_report`), earlier one first."""
    ids = [resolve_report(db, first, type), resolve_report(db, second, type)]
    if ids[0] == ids[1]:
        raise QueryError(f"both references name the same report, {ids[0]}")
    dated = {rid: row for rid, *row in db.conn.execute(
        "SELECT id, COALESCE(sort_date, ''), id FROM reports WHERE id IN (?, ?)", ids)}
    earlier, later = sorted(ids, key=lambda rid: tuple(dated[rid]))
    before, after = _concerns(db, earlier), _concerns(db, later)
    changes = []
    for theme in sorted(set(before) | set(after)):
        b, a = before.get(theme, 0), after.get(theme, 0)
        status = "persisting" if b and a else ("new" if a else "resolved")
        changes.append(ThemeChange(theme, b, a, status))
    order = {"persisting": 0, "new": 1, "resolved": 2}
    changes.sort(key=lambda c: (order[c.status], -(c.earlier + c.later), c.theme))
    points = _points(db, earlier), _points(db, later)
    words = {w for side in points for text, _ in side for w in lemma_key(text).split()}
    recurring = match_points(*points, min_score, rarity(db, words))
    return ReportComparison(earlier, later, changes, recurring, min_score, lemmatiser_name())


def _concerns(db: Database, report_id: str) -> dict[str, int]:
    """Findings raising each theme as a concern (mixed included) in one report."""
    rows = db.conn.execute(
        "SELECT t.theme, COUNT(*) FROM finding_themes t JOIN findings f ON f.id = t.finding_id"
        f" WHERE f.report_id = ? AND f.polarity IN {_CONCERN} GROUP BY t.theme", (report_id,))
    return {theme: int(n) for theme, n in rows}


def _points(db: Database, report_id: str) -> list[tuple[str, list[str]]]:
    """A report's improvement points (text, themes): its improvement-list items, or, when
    it has no such list, its concern findings."""
    rows = db.conn.execute(
        "SELECT f.text, (SELECT group_concat(theme, ' ') FROM (SELECT theme FROM"
        " finding_themes t WHERE t.finding_id = f.id ORDER BY t.position)),"
        f" f.section_kind IN {_IMPROVEMENT}"
        f" FROM findings f WHERE f.report_id = ? AND (f.section_kind IN {_IMPROVEMENT}"
        f" OR f.polarity IN {_CONCERN}) ORDER BY f.position", (report_id,)).fetchall()
    listed = [(text, (themes or "").split()) for text, themes, is_list in rows if is_list]
    return listed or [(text, (themes or "").split()) for text, themes, _ in rows]


@dataclass(slots=True)
class Rarity:
    """How telling a word or a theme is: its inverse document frequency over stored findings.

    Two points that share "return home interviews" are more alike than two
    that share "quality" and "children"; without counts every word weighs 1.
    """

    total: int = 0
    words: dict[str, int] = field(default_factory=dict)
    themes: dict[str, int] = field(default_factory=dict)

    def word(self, word: str) -> float:
        return _idf(self.total, self.words.get(word)) if self.total else 1.0

    def theme(self, theme: str) -> float:
        return _idf(self.total, self.themes.get(theme)) if self.total else 1.0


def _idf(total: int, count: int | None) -> float:
    """Smoothed inverse document frequency; the +0.1 keeps a word in every finding above 0."""
    return math.log((total + 1) / ((count or 0) + 1)) + 0.1


def rarity(db: Database, words: set[str]) -> Rarity:
    """Finding counts for ``words`` (through the full-text index) and for every theme."""
    total = db.conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0]
    counts = {}
    for word in sorted(words):
        counts[word] = db.conn.execute(
            "SELECT COUNT(*) FROM findings_fts WHERE findings_fts MATCH ?", (f'"{word}"',)
        ).fetchone()[0]
    themes = dict(db.conn.execute("SELECT theme, COUNT(*) FROM finding_themes GROUP BY theme"))
    return Rarity(total, counts, themes)


def match_points(
    earlier: list[tuple[str, list[str]]],
    later: list[tuple[str, list[str]]],
    min_score: float = RECURRING_MIN_SCORE,
    weights: Rarity | None = None,
) -> list[Recurrence]:
    """Each later point paired with its most similar earlier point, when similar enough.

    The score (0-100) is the mean of the rarity-weighted overlap of the two
    points' content-word lemmas and of their themes (or the word overlap
    alone when neither has themes); a pair also needs
    :data:`RECURRING_MIN_WORDS` of word overlap. Best matches first.
    """
    if not earlier or not later:
        return []
    weights = weights or Rarity()
    before = [(set(lemma_key(text).split()), set(themes)) for text, themes in earlier]
    found = []
    for text, themes in later:
        words = set(lemma_key(text).split())
        scored = [
            _pair_score(words, set(themes), other_words, other_themes, weights)
            for other_words, other_themes in before
        ]
        best = max(range(len(scored)), key=lambda i: (scored[i][0], -i))
        score, word_score, theme_score = scored[best]
        if score >= min_score and word_score >= RECURRING_MIN_WORDS:
            found.append(Recurrence(
                text, earlier[best][0], round(score, 1),
                sorted(set(themes) | set(earlier[best][1])),
                round(word_score, 1), round(theme_score, 1),
            ))
    found.sort(key=lambda r: (-r.score, r.later))
    return found


def _pair_score(
    words: set[str], themes: set[str], other_words: set[str], other_themes: set[str],
    weights: Rarity,
) -> tuple[float, float, float]:
    """(score, word overlap, theme overlap) of two points, each 0-100."""
    word_score = weighted_overlap(words, other_words, weights.word)
    if not themes and not other_themes:
        return word_score, word_score, 0.0
    theme_score = weighted_overlap(themes, other_themes, weights.theme)
    return (word_score + theme_score) / 2, word_score, theme_score


def weighted_overlap(a: set[str], b: set[str], weight: Callable[[str], float]) -> float:
    """0-100: the weighted Dice coefficient of two sets (100 when they are the same)."""
    total = sum(weight(x) for x in a) + sum(weight(x) for x in b)
    if not total:
        return 0.0
    return 200 * sum(weight(x) for x in a & b) / total


@lru_cache(maxsize=1)
def _nlp() -> Any:
    """The shared spaCy pipeline (lookup lemmas), or None when it cannot be built."""
    try:
        from .nlp import get_nlp

        return get_nlp()
    except Exception:  # no pipeline: fall back to the plain normaliser below
        return None


def lemmatiser_name() -> str:
    """Which word normaliser scored recurrences, reported with the scores."""
    return "spacy-lookup-lemmas" if _nlp() is not None else "lowercase-words"


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "been", "by", "do", "does", "for", "from", "has",
    "have", "in", "into", "is", "it", "its", "not", "of", "on", "or", "so", "that", "the",
    "their", "them", "they", "this", "to", "was", "were", "which", "with", "all", "ensure",
})


@lru_cache(maxsize=4096)
def lemma_key(text: str) -> str:
    """The content words of a text as lower-case lemmas, in order, space-separated.

    "Ensure" is dropped too: recommendations open with it, and it says nothing
    about what is to be improved.
    """
    nlp = _nlp()
    if nlp is None:
        words = _WORD.findall(text.lower())
    else:
        # lower-cased first: the lookup table is keyed on lower-case words
        words = [t.lemma_.lower() for t in nlp(text.lower())
                 if not (t.is_punct or t.is_space or t.is_stop)]
    return " ".join(w for w in words if w not in _STOP and _WORD.fullmatch(w))
