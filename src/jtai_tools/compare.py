"""Comparing areas with each other, with benchmarks, and one area's reports across years.

Comparisons quote like with like:

- **Rates, not raw counts.** Per theme and column: the share of the column's
  findings that raise it, the share of its concern findings, and the number
  of its reports that raise it, each share with a Wilson score interval;
  the counts stay beside them. A column built from fewer than
  ``small_reports`` reports is flagged.
- **Coverage.** ``data/compare.toml`` says which themes each inspection type
  (and JTAI focus) looks at. A theme a report's inspection does not look at
  is ``not covered`` there: it is never "resolved" by a later inspection
  that did not examine it, nor counted as a gap of an area whose reports
  never looked.
- **One inspection type at a time.** :func:`compare_areas` and
  :func:`benchmark` build one table per inspection type by default; mixing
  types is asked for, and said.

:func:`compare_areas` answers "what do inspectors say about Sutton that they
also say about Lewisham?"; :func:`benchmark` sets an area beside its DfE
statistical neighbours, its region or England (every other area stored);
:func:`compare_reports` answers "did it get better?" between two of an
area's reports, and which improvement points came back (same theme, same
cohort, similar words, with the score's parts).

A ``mixed`` finding ("X is good, but Y is not") counts once as a concern and
once as a strength. All SQL is in :mod:`jtai_tools.query`.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .areas import benchmark_group, facts_for
from .query import (
    AreaError,
    Database,
    Filters,
    QueryError,
    ReportRef,
    ThemeCount,
    resolve_target,
)

#: Characters of context kept on each side of the evidence in a quote.
QUOTE_CONTEXT = 80


# -- settings from data/compare.toml -----------------------------------------

@dataclass(frozen=True, slots=True)
class Coverage:
    """Which themes one kind of inspection looks at (see ``data/compare.toml``)."""

    scope: str  # "all", "listed" or "raised"
    covers: frozenset[str] = frozenset()
    not_covered: frozenset[str] = frozenset()
    focus: tuple[tuple[str, frozenset[str]], ...] = ()  # (words, not covered)

    def covered(self, theme: str, focus: str | None, raised: bool) -> bool:
        """Whether a report of this kind (with this focus) looked at ``theme``.

        ``raised`` (the report has findings on the theme) counts only for a
        ``raised`` scope: a JTAI letter that mentions a child in care in
        passing has still not inspected services for children in care.
        """
        if self.scope == "raised":
            return raised
        if self.scope == "listed":
            return theme in self.covers
        excluded = self.not_covered
        lowered = (focus or "").lower()
        for words, focus_excluded in self.focus:
            if words in lowered:
                excluded = focus_excluded
                break
        return theme not in excluded


@dataclass(frozen=True, slots=True)
class CompareSettings:
    """``data/compare.toml``: thresholds, coverage per inspection type, cohort terms."""

    small_reports: int
    wilson_z: float
    recurring_min_score: float
    recurring_min_words: float
    coverage: dict[str, Coverage]
    cohorts: dict[str, re.Pattern[str]]

    def coverage_of(self, inspection_type: str) -> Coverage:
        """The coverage of a type; a type the file does not list counts what it raises."""
        return self.coverage.get(inspection_type, Coverage("raised"))


@lru_cache(maxsize=1)
def compare_settings() -> CompareSettings:
    """``data/compare.toml`` read once per process."""
    text = resources.files("jtai_tools").joinpath("data/compare.toml").read_text("utf-8")
    data = tomllib.loads(text)
    limits = data["thresholds"]
    coverage = {
        kind: Coverage(
            scope=spec["scope"],
            covers=frozenset(spec.get("covers", ())),
            not_covered=frozenset(spec.get("not_covered", ())),
            focus=tuple((f["match"].lower(), frozenset(f.get("not_covered", ())))
                        for f in spec.get("focus", ())),
        )
        for kind, spec in data["coverage"].items()
    }
    cohorts = {name: _terms_pattern(terms) for name, terms in data["cohorts"].items()}
    return CompareSettings(int(limits["small_reports"]), float(limits["wilson_z"]),
                           float(limits["recurring_min_score"]),
                           float(limits["recurring_min_words"]), coverage, cohorts)


def _terms_pattern(terms: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive whole-word pattern for a cohort's terms (``word*``: a prefix)."""
    parts = [re.escape(t.rstrip("*")) + (r"\w*" if t.endswith("*") else "") for t in terms]
    return re.compile(r"\b(?:" + "|".join(sorted(set(parts), key=lambda p: (-len(p), p)))
                      + r")\b", re.IGNORECASE)


def cohorts_of(text: str) -> frozenset[str]:
    """The cohorts a point names ("care leavers", "children subject to police protection"...)."""
    return frozenset(name for name, pattern in compare_settings().cohorts.items()
                     if pattern.search(text))


#: Back-compatible names for the recurrence thresholds.
RECURRING_MIN_SCORE = compare_settings().recurring_min_score
RECURRING_MIN_WORDS = compare_settings().recurring_min_words


def report_covers(report: ReportRef, theme: str, raised: bool) -> bool:
    """Whether ``report``'s inspection looked at ``theme`` (``raised``: it has findings on it)."""
    return compare_settings().coverage_of(report.inspection_type).covered(
        theme, report.jtai_focus, raised)


# -- rates --------------------------------------------------------------------

def wilson_interval(successes: int, total: int, z: float | None = None
                    ) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes / total`` (None when ``total`` is 0).

    A closed formula, written out rather than pulling in scipy or
    statsmodels for one line. Findings cluster within reports, so read the
    interval as a lower bound on the real uncertainty.
    """
    if total <= 0:
        return None
    z = compare_settings().wilson_z if z is None else z
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(slots=True)
class ThemeRate:
    """One theme in one column: counts, shares with their intervals, and coverage.

    ``share`` is the theme's findings over the column's findings,
    ``concern_share`` its concern findings over the column's concern findings,
    ``report_share`` the reports raising it over the column's reports (of
    those that cover it). ``covered`` is False when no report of the column
    looked at the theme; the shares are then None.
    """

    theme: str
    findings: int
    concerns: int
    strengths: int
    reports: int
    covering_reports: int
    share: float | None
    concern_share: float | None
    report_share: float | None
    share_interval: tuple[float, float] | None
    concern_interval: tuple[float, float] | None
    report_interval: tuple[float, float] | None
    covered: bool


@dataclass(slots=True)
class Column:
    """A set of reports compared as one: an area's reports of one type, or a benchmark group.

    ``label`` states what went in ("sutton · sif · 1 report, 2017"); ``small``
    flags a column of fewer than ``small_reports`` reports.
    """

    name: str
    inspection_type: str | None
    reports: list[str]
    years: list[int]
    types: dict[str, int]
    findings: int
    concerns: int
    small: bool
    rates: dict[str, ThemeRate]
    areas: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        kinds = self.inspection_type or " + ".join(f"{n} {t}" for t, n in self.types.items())
        count = f"{len(self.reports)} report{'s' if len(self.reports) != 1 else ''}"
        return f"{self.name} \u00b7 {kinds} \u00b7 {count}, {year_span(self.years)}" + (
            " (few reports)" if self.small else "")

    def rate(self, theme: str) -> ThemeRate:
        """The theme's rate (a zero rate, covered or not as the reports say, when absent)."""
        return self.rates[theme]


def as_data(record: Any) -> Any:
    """A comparison as plain JSON-ready data, like :func:`dataclasses.asdict`, with each
    :class:`Column`'s ``label`` (a property, which ``asdict`` leaves out) added."""
    if isinstance(record, Column):
        return {**{f.name: as_data(getattr(record, f.name)) for f in fields(record)},
                "label": record.label}
    if is_dataclass(record) and not isinstance(record, type):
        return {f.name: as_data(getattr(record, f.name)) for f in fields(record)}
    if isinstance(record, dict):
        return {key: as_data(value) for key, value in record.items()}
    if isinstance(record, list | tuple):
        return type(record)(as_data(value) for value in record)
    return record


def year_span(years: Sequence[int]) -> str:
    """"2017", "2017-2023" or "undated"."""
    if not years:
        return "undated"
    return str(years[0]) if years[0] == years[-1] else f"{years[0]}-{years[-1]}"


#: Theme counts keyed by report id, then theme (see :func:`by_report`).
CountIndex = dict[str, dict[str, ThemeCount]]


def by_report(counts: Iterable[ThemeCount]) -> CountIndex:
    """Theme counts keyed by report and theme, built once for every column of a comparison."""
    index: CountIndex = {}
    for count in counts:
        index.setdefault(count.report_id, {})[count.theme] = count
    return index


def build_column(name: str, inspection_type: str | None, refs: Sequence[ReportRef],
                 per_report: CountIndex, themes: Iterable[str]) -> Column:
    """Rates of every theme in ``themes`` over ``refs`` (``per_report`` may hold others)."""
    settings = compare_settings()
    findings = sum(r.findings for r in refs)
    concerns = sum(r.concerns for r in refs)
    rates = {}
    for theme in themes:
        got = [per_report.get(r.id, {}).get(theme) for r in refs]
        covering = [r for r, c in zip(refs, got, strict=True)
                    if report_covers(r, theme, c is not None)]
        raised = [c for c in got if c is not None]
        n = sum(c.findings for c in raised)
        n_concern = sum(c.concerns for c in raised)
        covered_findings = sum(r.findings for r in covering)
        covered_concerns = sum(r.concerns for r in covering)
        rates[theme] = ThemeRate(
            theme, n, n_concern, sum(c.strengths for c in raised), len(raised), len(covering),
            _share(n, covered_findings), _share(n_concern, covered_concerns),
            _share(len(raised), len(covering)),
            wilson_interval(n, covered_findings), wilson_interval(n_concern, covered_concerns),
            wilson_interval(len(raised), len(covering)), bool(covering),
        )
    types: dict[str, int] = {}
    for r in refs:
        types[r.inspection_type] = types.get(r.inspection_type, 0) + 1
    return Column(
        name, inspection_type, [r.id for r in refs],
        sorted({r.year for r in refs if r.year is not None}), types, findings, concerns,
        len(refs) < settings.small_reports, rates, sorted({r.area for r in refs}),
    )


# -- areas ----------------------------------------------------------------------

@dataclass(slots=True)
class Quote:
    """A short extract of one finding, around the words that tagged the theme."""

    report_id: str
    section_kind: str
    polarity: str
    text: str


@dataclass(slots=True)
class ComparisonGroup:
    """One table of a comparison: the areas' columns for one inspection type (or all mixed).

    ``themes`` are ordered by concern share (highest first); ``only`` lists,
    per area, the themes raised as concerns there and covered but not raised
    as concerns by every other column; ``shared`` the themes every column
    raises as concerns; ``absent`` the areas named that have no report of
    this type.
    """

    inspection_type: str | None
    columns: list[Column]
    themes: list[str]
    only: dict[str, list[str]]
    shared: list[str]
    quotes: dict[str, dict[str, Quote]]
    absent: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AreaComparison:
    """What :func:`compare_areas` found: the areas in the order named, their reports,
    and one group per inspection type (or one mixed group, with ``mixed`` set)."""

    areas: list[str]
    reports: dict[str, list[str]]
    groups: list[ComparisonGroup]
    mixed: bool
    type: str | None = None
    since: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``, every column with its label."""
        return as_data(self)


def compare_areas(
    db: Database,
    areas: Sequence[str],
    type: str | None = None,
    since: str | int | None = None,
    mix_types: bool = False,
) -> AreaComparison:
    """Compare two or more areas theme by theme (names resolved fuzzily).

    One group per inspection type the areas' reports have (only ``type``
    when given); with ``mix_types`` one group over all their reports.
    """
    resolved: list[str] = []
    for name in areas:
        area = db.resolve_area(name)
        if area not in resolved:
            resolved.append(area)
    if len(resolved) < 2:
        raise QueryError("compare needs at least two different areas")
    filters = Filters(resolved, type, since)
    refs = db.report_refs(filters)
    reports: dict[str, list[str]] = {a: [r.id for r in refs if r.area == a] for a in resolved}
    missing = [a for a, ids in reports.items() if not ids]
    if missing:
        raise AreaError(missing[0], f"no reports for {', '.join(missing)} with these filters"
                        f"{_filter_text(type, since)}", [])
    counts = by_report(db.theme_counts(filters))
    quotes = _quotes(db, filters, not mix_types)
    groups = []
    for kind, members in _by_type(refs, mix_types):
        present = [a for a in resolved if any(r.area == a for r in members)]
        columns = [build_column(a, kind, [r for r in members if r.area == a], counts,
                                _themes_of(counts, members)) for a in present]
        groups.append(_group(kind, columns, quotes, [a for a in resolved if a not in present]))
    return AreaComparison(resolved, reports, groups, mix_types, type,
                          None if since is None else str(since))


def _by_type(refs: Sequence[ReportRef], mix_types: bool
             ) -> list[tuple[str | None, list[ReportRef]]]:
    """The reports split by inspection type (in order of first appearance by date), or
    all together as one mixed group."""
    if mix_types:
        return [(None, list(refs))]
    kinds = sorted({r.inspection_type for r in refs},
                   key=lambda k: min((r.sort_date or "9999", r.id) for r in refs
                                     if r.inspection_type == k))
    return [(k, [r for r in refs if r.inspection_type == k]) for k in kinds]


def _themes_of(counts: CountIndex, refs: Sequence[ReportRef]) -> list[str]:
    """The themes raised by any of ``refs``, sorted."""
    return sorted({theme for r in refs for theme in counts.get(r.id, {})})


def _group(kind: str | None, columns: list[Column],
           quotes: dict[tuple[str, str | None, str], Quote], absent: list[str]
           ) -> ComparisonGroup:
    """Order the themes, find the concerns one area alone has and those all share."""
    themes = sorted(
        {t for c in columns for t in c.rates},
        key=lambda t: (-sum(c.rates[t].concern_share or 0.0 for c in columns), t),
    )
    raised = {c.name: {t for t in themes if c.rates[t].concerns} for c in columns}
    only = {}
    for column in columns:
        others = [c for c in columns if c is not column]
        only[column.name] = [
            t for t in themes if t in raised[column.name]
            and all(c.rates[t].covered and t not in raised[c.name] for c in others)
        ]
    shared = sorted(set.intersection(*raised.values())) if raised else []
    by_theme: dict[str, dict[str, Quote]] = {}
    for column in columns:
        for theme in themes:
            quote = quotes.get((column.name, kind, theme))
            if quote is not None:
                by_theme.setdefault(theme, {})[column.name] = quote
    return ComparisonGroup(kind, columns, themes, only, shared,
                           {t: by_theme[t] for t in themes if t in by_theme}, absent)


def _filter_text(type: str | None, since: str | int | None) -> str:
    """" (type jtai, since 2020)" for messages, so the user sees why nothing matched."""
    parts = ([f"type {type}"] if type else []) + ([f"since {since}"] if since else [])
    return f" ({', '.join(parts)})" if parts else ""


def _quotes(db: Database, filters: Filters, by_type: bool
            ) -> dict[tuple[str, str | None, str], Quote]:
    """Per (area, inspection type or None, theme) the most telling finding, cut around
    the tagging words."""
    return {
        (row.area, row.inspection_type, row.theme): Quote(
            row.report_id, row.section_kind, row.polarity, excerpt(row.text, row.start, row.end))
        for row in db.theme_quotes(filters, by_type)
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


# -- benchmarks -------------------------------------------------------------------

@dataclass(slots=True)
class BenchmarkRow:
    """One theme: the area's rate, the benchmark's, and the differences (area minus benchmark)."""

    theme: str
    area: ThemeRate
    benchmark: ThemeRate
    difference: float | None
    concern_difference: float | None


@dataclass(slots=True)
class BenchmarkGroup:
    """One inspection type (or all mixed): the area's column, the pooled benchmark column,
    each member area's own column, and the theme rows (largest concern difference first)."""

    inspection_type: str | None
    area: Column
    benchmark: Column
    members: list[Column]
    rows: list[BenchmarkRow]


@dataclass(slots=True)
class Benchmark:
    """What :func:`benchmark` found: the area, what it is set against, and which of the
    group's areas the database holds reports for (``present``) or not (``missing``)."""

    area: str
    against: str
    description: str
    present: list[str]
    missing: list[str]
    groups: list[BenchmarkGroup]
    mixed: bool
    type: str | None = None
    since: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``: the area's, the pooled and each member's
        column, each with its label."""
        return as_data(self)


def benchmark(
    db: Database,
    area: str,
    against: str = "neighbours",
    type: str | None = None,
    since: str | int | None = None,
    mix_types: bool = False,
) -> Benchmark:
    """An area's theme rates beside the same rates pooled over a comparison group.

    ``against`` is ``neighbours`` (its ten DfE statistical neighbours),
    ``region`` (the other areas of its region) or ``england`` (every other
    area stored). Pooled rates weigh each finding (and each report) once.
    One group per inspection type the area has, unless ``mix_types``. Each
    member area's own column is given for neighbours and region (England's
    members are only named, in ``present``).
    """
    name = db.resolve_area(area)
    try:
        description, group = benchmark_group(name, against)
    except KeyError:
        raise QueryError(f"no reference facts for {name} (region, statistical neighbours):"
                         " benchmark it against england") from None
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    stored = db.areas()
    wanted = [a for a in stored if a != name] if group is None else group
    present = [a for a in wanted if a in stored]
    missing = [] if group is None else [a for a in group if a not in stored]
    own = db.report_refs(Filters(name, type, since))
    if not own:
        raise AreaError(name, f"no reports for {name} with these filters"
                        f"{_filter_text(type, since)}", [])
    # England is every report: unfiltered, the counts come from an index alone
    scope = None if group is None else [name, *present]
    others = [r for r in db.report_refs(Filters(scope, type, since)) if r.area != name]
    counts = by_report(db.theme_counts(Filters(scope, type, since)))
    groups = []
    for kind, members in _by_type(own, mix_types):
        kind_others = [r for r in others if kind is None or r.inspection_type == kind]
        themes = _themes_of(counts, [*members, *kind_others])
        mine = build_column(name, kind, members, counts, themes)
        pooled = build_column(against, kind, kind_others, counts, themes)
        per_area: dict[str, list[ReportRef]] = {}
        for ref in kind_others:
            per_area.setdefault(ref.area, []).append(ref)
        member_columns = [] if group is None else [
            build_column(a, kind, per_area[a], counts, themes) for a in present if a in per_area]
        rows = [BenchmarkRow(t, mine.rates[t], pooled.rates[t],
                             _difference(mine.rates[t].share, pooled.rates[t].share),
                             _difference(mine.rates[t].concern_share,
                                         pooled.rates[t].concern_share))
                for t in themes]
        rows.sort(key=lambda r: (-(r.concern_difference or 0.0), r.theme))
        groups.append(BenchmarkGroup(kind, mine, pooled, member_columns, rows))
    return Benchmark(name, against, description, present, missing, groups, mix_types, type,
                     None if since is None else str(since))


def _difference(mine: float | None, theirs: float | None) -> float | None:
    return None if mine is None or theirs is None else round(mine - theirs, 4)


def area_region(name: str) -> str | None:
    """The region of an area, for labels (None when the reference table lacks it)."""
    facts = facts_for(name)
    return facts.region if facts else None


# -- years ------------------------------------------------------------------------

#: What a theme's change between two reports can be.
STATUSES: tuple[str, ...] = ("persisting", "new", "resolved", "not covered",
                             "not covered earlier")


@dataclass(slots=True)
class ThemeChange:
    """A theme's concern findings in the earlier and later report and what that means.

    ``status``: ``persisting`` (concerns in both), ``new`` (only later, and the
    earlier inspection looked at it), ``resolved`` (only earlier, and the later
    inspection looked at it), ``not covered`` (only earlier, and the later
    inspection does not look at the theme), ``not covered earlier`` (only
    later, and the earlier inspection did not look at it). The shares are of
    each report's concern findings.
    """

    theme: str
    earlier: int
    later: int
    status: str
    earlier_share: float | None = None
    later_share: float | None = None


@dataclass(slots=True)
class Recurrence:
    """A later improvement point matched to the most similar earlier one about the same thing.

    The score's parts: ``words`` (rarity-weighted word overlap), ``theme_score``
    (theme overlap) and ``cohorts`` (the cohorts both name, which must agree).
    """

    later: str
    earlier: str
    score: float
    themes: list[str]
    words: float = 0.0
    theme_score: float = 0.0
    cohorts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ReportComparison:
    """What :func:`compare_reports` found between an earlier and a later report."""

    earlier: str
    later: str
    changes: list[ThemeChange]
    recurring: list[Recurrence]
    min_score: float
    lemmatiser: str
    earlier_type: str = ""
    later_type: str = ""
    earlier_date: str | None = None
    later_date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return asdict(self)


def resolve_report(db: Database, ref: str, type: str | None = None) -> str:
    """A report id for ``ref``: a stored id, or ``AREA@YEAR`` / ``AREA@YYYY-MM-DD``
    (see :func:`jtai_tools.query.resolve_target`)."""
    target = resolve_target(db, ref, type)
    if target.report_id is None:
        raise QueryError(f"{ref!r}: expected a report id or AREA@YEAR (e.g. sutton@2017)")
    return target.report_id


def compare_reports(
    db: Database,
    first: str,
    second: str,
    type: str | None = None,
    min_score: float | None = None,
) -> ReportComparison:
    """Compare two reports (refs as for :func:`resolve_report`), earlier one first."""
    min_score = compare_settings().recurring_min_score if min_score is None else min_score
    ids = [resolve_report(db, first, type), resolve_report(db, second, type)]
    if ids[0] == ids[1]:
        raise QueryError(f"both references name the same report, {ids[0]}")
    refs = {r.id: r for r in db.report_refs() if r.id in ids}
    earlier, later = sorted((refs[i] for i in ids), key=lambda r: (r.sort_date or "", r.id))
    counts = by_report(db.theme_counts(Filters(sorted({earlier.area, later.area}))))
    before, after = counts.get(earlier.id, {}), counts.get(later.id, {})
    changes = [
        _change(theme, earlier, later, before.get(theme), after.get(theme))
        for theme in sorted(set(before) | set(after))
        if (before.get(theme) and before[theme].concerns)
        or (after.get(theme) and after[theme].concerns)
    ]
    order = {status: i for i, status in enumerate(STATUSES)}
    changes.sort(key=lambda c: (order[c.status], -(c.earlier + c.later), c.theme))
    points = db.improvement_points(earlier.id), db.improvement_points(later.id)
    words = {w for side in points for text, _ in side for w in lemma_key(text).split()}
    recurring = match_points(*points, min_score, rarity(db, words))
    return ReportComparison(earlier.id, later.id, changes, recurring, min_score,
                            lemmatiser_name(), earlier.inspection_type, later.inspection_type,
                            earlier.sort_date, later.sort_date)


def _change(theme: str, earlier: ReportRef, later: ReportRef, before: ThemeCount | None,
            after: ThemeCount | None) -> ThemeChange:
    """A theme's status between two reports, taking account of what each inspection covers."""
    b = before.concerns if before else 0
    a = after.concerns if after else 0
    if b and a:
        status = "persisting"
    elif a:
        status = "new" if report_covers(earlier, theme, before is not None) else (
            "not covered earlier")
    else:
        status = "resolved" if report_covers(later, theme, after is not None) else "not covered"
    return ThemeChange(theme, b, a, status, _share(b, earlier.concerns),
                       _share(a, later.concerns))


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
    return Rarity(db.finding_total(), db.word_finding_counts(words), db.theme_finding_counts())


def match_points(
    earlier: list[tuple[str, list[str]]],
    later: list[tuple[str, list[str]]],
    min_score: float | None = None,
    weights: Rarity | None = None,
) -> list[Recurrence]:
    """Each later point paired with its most similar earlier point about the same thing.

    Two points can pair only when they share a theme (or neither has one)
    and name the same cohort (or neither names one: see ``[cohorts]`` in
    ``data/compare.toml``). The score (0-100) is then the mean of the
    rarity-weighted overlap of the two points' content-word lemmas and of
    their themes (or the word overlap alone when neither has themes); a pair
    also needs the configured minimum word overlap. Best matches first.
    """
    settings = compare_settings()
    min_score = settings.recurring_min_score if min_score is None else min_score
    if not earlier or not later:
        return []
    weights = weights or Rarity()
    before = [(set(lemma_key(text).split()), set(themes), cohorts_of(text))
              for text, themes in earlier]
    found = []
    for text, themes in later:
        words, cohorts = set(lemma_key(text).split()), cohorts_of(text)
        scored = [
            _pair_score(words, set(themes), other_words, other_themes, weights)
            if _same_subject(set(themes), other_themes, cohorts, other_cohorts)
            else (-1.0, 0.0, 0.0)
            for other_words, other_themes, other_cohorts in before
        ]
        best = max(range(len(scored)), key=lambda i: (scored[i][0], -i))
        score, word_score, theme_score = scored[best]
        if score >= min_score and word_score >= settings.recurring_min_words:
            found.append(Recurrence(
                text, earlier[best][0], round(score, 1),
                sorted(set(themes) | set(earlier[best][1])),
                round(word_score, 1), round(theme_score, 1), sorted(cohorts),
            ))
    found.sort(key=lambda r: (-r.score, r.later))
    return found


def _same_subject(themes: set[str], other_themes: set[str], cohorts: frozenset[str],
                  other_cohorts: frozenset[str]) -> bool:
    """Whether two points can be about the same thing: a shared theme (or no themes on
    either) and the same cohorts named (or none on either)."""
    if (themes or other_themes) and not themes & other_themes:
        return False
    return cohorts == other_cohorts


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
