"""Render stage: a self-contained HTML report and a heatmap image of themes.

People would rather look than read a long table, so the report opens with a
heatmap of themes against areas (or, for one area, against its inspections
over the years). A cell's colour says only the balance of what inspectors
said, on a diverging scale from all strengths (blue) through even (pale) to
all concerns (red); a separate bar says how much: the theme's share of each
report's tagged findings, averaged over the column's reports, so one long
report cannot make its area look busy. Filters by inspection type and years
recompute the cells in the page. Below come the findings of each theme with
their evidence words highlighted, the improvement points that recur across an
area's inspections, and the metadata of every report.

The page is built from a Jinja2 template (``data/report.html.j2``) beside
``report.css`` and ``report.js``, with autoescaping on: everything taken from
report text is escaped by the template engine, never by hand. The page
carries its styles and script inline and loads nothing at view time, so it
can be mailed or put on a shared drive. More than :data:`MAX_AREAS_PER_PAGE`
areas give an index page (the heatmap with a selectable area list) and one
page per area, instead of one page of every finding.

:func:`heatmap_image` draws the same heatmap with matplotlib for slides and
board papers, byte for byte the same for the same input.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2
from markupsafe import Markup, escape

from .compare import ReportComparison, compare_reports
from .corpus import (
    Corpus,
    CorpusError,
    UnknownAreaError,
    area_label,
    codebook_themes,
    report_date,
    theme_labels,
)
from .corpus import load_corpus as load_selection
from .models import INSPECTION_TYPES, Report
from .query import Database, open_db

__all__ = [
    "Corpus", "RenderError", "UnknownAreaError", "area_label", "codebook_themes", "theme_labels",
]

ImageFormat = Literal["png", "svg"]

#: What render errors were called before the selection moved to :mod:`jtai_tools.corpus`.
RenderError = CorpusError

#: Inspection types as printed in headings (ids are lower-case in the data).
TYPE_LABELS: dict[str, str] = {
    "jtai": "JTAI",
    "ilacs": "ILACS",
    "sif": "SIF",
    "focused-visit": "Focused visit",
    "monitoring-visit": "Monitoring visit",
    "area-send": "Area SEND",
    "child-protection": "Child protection inspection",
    "looked-after-children": "Looked after children inspection",
    "other": "Other",
}
assert set(TYPE_LABELS) == set(INSPECTION_TYPES)

#: The ends and middle of the diverging balance scale (ColorBrewer RdBu), and the
#: colours of cells whose findings are all neutral and of empty cells.
CONCERN_RGB = (0.698, 0.094, 0.169)
STRENGTH_RGB = (0.129, 0.400, 0.675)
EVEN_RGB = (0.969, 0.969, 0.969)
NEUTRAL_RGB = (0.78, 0.76, 0.70)
EMPTY_RGB = (1.0, 1.0, 1.0)

#: More areas than this are written as an index page and one page per area.
MAX_AREAS_PER_PAGE = 8


# --------------------------------------------------------------------------- loading


def load_corpus(db: str | Path, areas: Sequence[str] = ()) -> Corpus:
    """The selection of :func:`jtai_tools.corpus.load_corpus`, with each area's
    consecutive inspections compared for the recurring improvement points."""
    corpus = load_selection(db, areas)
    with open_db(db) as database:
        corpus.recurring = {
            area: recurring_points(
                database, [r.id for r in corpus.reports if r.area.name == area and r.findings]
            )
            for area in dict.fromkeys(r.area.name for r in corpus.reports)
        }
    return corpus


def recurring_points(database: Database, report_ids: Sequence[str]) -> list[ReportComparison]:
    """Each consecutive pair of one area's inspections compared, oldest first.

    Which improvement points came back is matched by meaning rather than
    exact words, as ``jtai compare AREA@YEAR AREA@YEAR`` does.
    """
    return [compare_reports(database, earlier, later)
            for earlier, later in itertools.pairwise(report_ids)]


# --------------------------------------------------------------------------- heatmap


@dataclass(slots=True)
class Column:
    """One heatmap column: an area, or one inspection of a single area."""

    key: str
    label: str
    report_ids: tuple[str, ...]
    #: what the column covers, e.g. "3 reports, 2017-2023"
    note: str = ""


@dataclass(slots=True)
class Heatmap:
    """Counts and per-report shares per theme (row) and column.

    ``cells[(theme, key)]`` lists the positions of the cell's findings in
    ``Corpus.findings``; ``share[(theme, key)]`` is the theme's share of each
    report's tagged findings, averaged over the column's reports that have any.
    """

    themes: list[str]
    columns: list[Column]
    concern: dict[tuple[str, str], int]
    strength: dict[tuple[str, str], int]
    cells: dict[tuple[str, str], list[int]]
    title: str
    share: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def max_total(self) -> int:
        return max((len(v) for v in self.cells.values()), default=0)

    @property
    def max_share(self) -> float:
        return max(self.share.values(), default=0.0)

    def total(self, theme: str, key: str) -> int:
        return len(self.cells.get((theme, key), []))


def _years(reports: Sequence[Report]) -> str:
    years = sorted({d[:4] for r in reports if (d := report_date(r))})
    if not years:
        return "undated"
    return years[0] if len(years) == 1 else f"{years[0]}\u2013{years[-1]}"


def report_label(report: Report) -> str:
    """A report as a column or heading names it: its sortable date and type."""
    return " ".join(x for x in (report_date(report) or "undated",
                                TYPE_LABELS.get(report.inspection_type, "")) if x)


def _columns(corpus: Corpus) -> tuple[list[Column], str]:
    """Areas as columns, or one area's inspections when the corpus holds one area."""
    areas = list(dict.fromkeys(r.area.name for r in corpus.reports))
    if len(areas) == 1:
        columns = [Column(r.id, report_label(r), (r.id,), f"{len(r.findings)} findings")
                   for r in corpus.reports]
        return columns, f"Themes across {area_label(areas[0])}'s inspections"
    columns = []
    for area in areas:
        reports = [r for r in corpus.reports if r.area.name == area]
        note = f"{len(reports)} report{'s' if len(reports) != 1 else ''}, {_years(reports)}"
        columns.append(Column(_slug(area), area_label(area), tuple(r.id for r in reports), note))
    return columns, "Themes by area"


@dataclass(slots=True)
class ReportCounts:
    """Per report: tagged findings, and (concern, strength, total) per theme."""

    tagged: dict[str, int] = field(default_factory=dict)
    by_theme: dict[str, dict[str, list[int]]] = field(default_factory=dict)


def report_counts(corpus: Corpus) -> ReportCounts:
    """Counts per report and theme: what the heatmap and the page's filters sum.

    A mixed finding counts once as a concern and once as a strength.
    """
    counts = ReportCounts({r.id: 0 for r in corpus.reports})
    frame = corpus.findings
    for report_id, themes, pol in zip(frame["report_id"], frame["themes"], frame["polarity"],
                                      strict=True):
        if themes:
            counts.tagged[report_id] = counts.tagged.get(report_id, 0) + 1
        for theme in themes:
            cell = counts.by_theme.setdefault(theme, {}).setdefault(report_id, [0, 0, 0])
            cell[0] += pol in ("concern", "mixed")
            cell[1] += pol in ("strength", "mixed")
            cell[2] += 1
    return counts


def mean_share(counts: ReportCounts, theme: str, report_ids: Sequence[str]) -> float:
    """The theme's share of each report's tagged findings, averaged over the reports
    that have tagged findings (0 when none has): a per-report normalisation."""
    shares = [counts.by_theme.get(theme, {}).get(rid, [0, 0, 0])[2] / counts.tagged[rid]
              for rid in report_ids if counts.tagged.get(rid)]
    return sum(shares) / len(shares) if shares else 0.0


def build_heatmap(corpus: Corpus) -> Heatmap:
    """Concern and strength counts and shares per theme and column, most-mentioned first."""
    columns, title = _columns(corpus)
    column_of = {rid: c.key for c in columns for rid in c.report_ids}
    cells: dict[tuple[str, str], list[int]] = {}
    concern: dict[tuple[str, str], int] = {}
    strength: dict[tuple[str, str], int] = {}
    frame = corpus.findings
    for row, (report_id, themes, pol) in enumerate(
        zip(frame["report_id"], frame["themes"], frame["polarity"], strict=True)
    ):
        key = column_of[report_id]
        for theme in themes:
            cell = (theme, key)
            cells.setdefault(cell, []).append(row)
            concern[cell] = concern.get(cell, 0) + (pol in ("concern", "mixed"))
            strength[cell] = strength.get(cell, 0) + (pol in ("strength", "mixed"))
    totals: dict[str, int] = {}
    for (theme, _), rows in cells.items():
        totals[theme] = totals.get(theme, 0) + len(rows)
    themes = sorted(totals, key=lambda t: (-totals[t], t))
    counts = report_counts(corpus)
    share = {(theme, c.key): mean_share(counts, theme, c.report_ids)
             for theme, c in itertools.product(themes, columns) if (theme, c.key) in cells}
    return Heatmap(themes, columns, concern, strength, cells, title, share)


def _mix(a: tuple[float, ...], b: tuple[float, ...], t: float) -> tuple[float, float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def cell_colour(concern: int, strength: int, total: int = 1) -> tuple[float, ...]:
    """RGB in 0..1 on a diverging scale of balance alone: blue for strengths, red for concerns.

    The balance is (concerns - strengths) / (concerns + strengths); an even
    split is pale, and cells whose findings are all neutral have a colour of
    their own. How many findings there are is not in the colour (the cell's
    bar shows it), so 175 | 134 and 102 | 204 no longer look alike.
    """
    if total == 0:
        return EMPTY_RGB
    judged = concern + strength
    if not judged:
        return NEUTRAL_RGB
    balance = (concern - strength) / judged
    return _mix(EVEN_RGB, CONCERN_RGB if balance > 0 else STRENGTH_RGB, abs(balance))


def _hex(rgb: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _ink(rgb: tuple[float, ...]) -> str:
    """Black or white text, whichever reads better on the cell colour."""
    luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    return "#000000" if luminance > 0.5 else "#ffffff"


# --------------------------------------------------------------------------- html pieces


def _slug(*parts: str) -> str:
    return "--".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)


def highlight(text: str, evidence: Sequence[dict[str, Any]], titles: bool = True) -> Markup:
    """The finding text, escaped, with its evidence words wrapped in ``<mark>``.

    Offsets outside the text are ignored; overlapping spans are merged so the
    markup stays well nested, and the merged mark lists every label (as its
    title, unless ``titles`` is false: under a theme's heading the label is
    that theme).
    """
    spans = sorted(
        (int(e["start"]), int(e["end"]), str(e.get("kind", "")), str(e.get("label", "")))
        for e in evidence
        if 0 <= int(e["start"]) < int(e["end"]) <= len(text)
    )
    merged: list[list[Any]] = []
    for start, end, kind, label in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].add(kind)
            merged[-1][3].add(label)
        else:
            merged.append([start, end, {kind}, {label}])
    out, pos = Markup(), 0
    for start, end, kinds, labels in merged:
        # a theme's words are plain marks; other kinds get a class (kinds are data too)
        classes = " ".join(f"ev-{_slug(k)}" for k in sorted(kinds - {"theme"}))
        title = ", ".join(sorted(labels)) if titles else ""
        out += escape(text[pos:start]) + Markup("<mark{}{}>{}</mark>").format(
            Markup(' class="{}"').format(classes) if classes else "",
            Markup(' title="{}"').format(title) if title else "", text[start:end])
        pos = end
    return out + escape(text[pos:])


def _cell_view(heat: Heatmap, corpus: Corpus, theme: str, col: Column,
               link: str | None) -> dict[str, Any]:
    """What the template needs of one heatmap cell."""
    total = heat.total(theme, col.key)
    c = heat.concern.get((theme, col.key), 0)
    s = heat.strength.get((theme, col.key), 0)
    share = heat.share.get((theme, col.key), 0.0)
    rgb = cell_colour(c, s, total)
    cid = _slug("cell", theme, col.key)
    tip = (f"{corpus.label(theme)} – {col.label}: {total} findings, {c} concerns, "
           f"{s} strengths; {share:.0%} of a report's tagged findings")
    return {
        "id": cid, "col": col.key, "total": total, "text": f"{c} | {s}", "tip": tip,
        "style": f"background:{_hex(rgb)};color:{_ink(rgb)}",
        "bar": round(100 * share / heat.max_share, 1) if heat.max_share else 0,
        "href": link or f"#{cid}",
    }


def _finding_view(finding: dict[str, Any], theme: str) -> dict[str, Any]:
    """One finding as a theme's list shows it: its text with that theme's evidence words
    marked, its polarity, agencies and section.

    Only the theme's own evidence is marked (a finding is listed once per theme), and the
    report is named once for all its findings in a group: this keeps a page of three busy
    areas, some 5,000 listed findings, under 2 MB.
    """
    evidence = [e for e in finding["evidence"] if e["kind"] == "theme" and e["label"] == theme]
    section = str(finding["section_kind"]).replace("-", " ")
    return {
        "polarity": str(finding["polarity"]),
        "text": highlight(str(finding["text"]), evidence, titles=False),
        "meta": " · ".join(x for x in (", ".join(finding["agencies"]), section) if x),
    }


def _theme_views(heat: Heatmap, corpus: Corpus) -> list[dict[str, Any]]:
    """Per theme, per column, per report: the findings listed (reports oldest first)."""
    index = {r.id: i for i, r in enumerate(corpus.reports)}
    labels = {r.id: report_label(r) for r in corpus.reports}
    records = corpus.findings.to_dict("records")
    themes = []
    for theme in heat.themes:
        groups = []
        for col in heat.columns:
            if (theme, col.key) not in heat.cells:
                continue
            parts: dict[str, list[dict[str, Any]]] = {}
            for i in heat.cells[(theme, col.key)]:
                parts.setdefault(records[i]["report_id"], []).append(
                    _finding_view(records[i], theme))
            groups.append({
                "id": _slug("cell", theme, col.key), "label": col.label,
                "title": f"{corpus.label(theme)} – {col.label}",
                "parts": [{"report": index[rid], "label": labels[rid], "findings": found}
                          for rid, found in sorted(parts.items(), key=lambda p: index[p[0]])],
                # a column of one report is labelled by the report already
                "named": len(col.report_ids) > 1,
            })
        themes.append({"id": theme, "anchor": _slug("theme", theme),
                       "label": corpus.label(theme), "groups": groups})
    return themes


def _heatmap_view(heat: Heatmap, corpus: Corpus,
                  links: dict[str, str] | None = None) -> dict[str, Any]:
    """Rows of cells for the template; ``links`` sends a column's cells to another page."""
    rows = []
    for theme in heat.themes:
        cells = []
        for col in heat.columns:
            link = f"{links[col.key]}#{_slug('theme', theme)}" if links else None
            cells.append(_cell_view(heat, corpus, theme, col, link))
        rows.append({"theme": theme, "label": corpus.label(theme),
                     "anchor": None if links else f"#{_slug('theme', theme)}", "cells": cells})
    return {"title": heat.title, "columns": heat.columns, "rows": rows,
            "max_share": heat.max_share}


def _comparison_view(comparison: ReportComparison, by_id: dict[str, Report],
                     corpus: Corpus) -> dict[str, Any]:
    """Two inspections: the concerns in both, and the points that came back."""

    def name(report_id: str) -> str:
        report = by_id.get(report_id)
        return report_label(report) if report else report_id

    later = by_id.get(comparison.later)
    return {
        "title": f"{name(comparison.earlier)} → {name(comparison.later)}",
        "type": later.inspection_type if later else "",
        "year": (report_date(later) or "")[:4] if later else "",
        "persisting": ", ".join(corpus.label(c.theme) for c in comparison.changes
                                if c.status == "persisting") or "none",
        "points": [{"later": p.later, "earlier": p.earlier, "score": f"{p.score:.0f}",
                    "themes": ", ".join(corpus.label(t) for t in p.themes)}
                   for p in comparison.recurring],
    }


def _recurring_views(corpus: Corpus) -> list[dict[str, Any]]:
    by_id = {r.id: r for r in corpus.reports}
    return [{"label": area_label(area),
             "comparisons": [_comparison_view(c, by_id, corpus)
                             for c in corpus.recurring.get(area, [])]}
            for area in dict.fromkeys(r.area.name for r in corpus.reports)]


def _report_views(corpus: Corpus) -> list[dict[str, Any]]:
    return [{
        "anchor": _slug("report", r.id), "id": r.id, "area": r.area.full_name or r.area.name,
        "type": r.inspection_type,
        "type_label": TYPE_LABELS.get(r.inspection_type, r.inspection_type),
        "year": (report_date(r) or "")[:4], "date": r.date or "",
        "fieldwork": " to ".join(x for x in (r.fieldwork.start, r.fieldwork.end) if x),
        "inspectorates": ", ".join(r.inspectorates), "focus": r.jtai_focus or "",
        "judgements": [(k.replace("_", " "), v) for k, v in sorted(r.judgements.items())],
        "findings": len(r.findings),
    } for r in corpus.reports]


def filter_data(corpus: Corpus, heat: Heatmap) -> dict[str, Any]:
    """What the page's script needs to recompute cells for a type or year filter."""
    counts = report_counts(corpus)
    return {
        "order": [r.id for r in corpus.reports],
        "columns": {c.key: list(c.report_ids) for c in heat.columns},
        "reports": {r.id: {"type": r.inspection_type, "year": (report_date(r) or "")[:4],
                           "tagged": counts.tagged.get(r.id, 0)} for r in corpus.reports},
        "counts": {t: counts.by_theme.get(t, {}) for t in heat.themes},
        "labels": {t: corpus.label(t) for t in heat.themes},
        "colours": {"concern": CONCERN_RGB, "strength": STRENGTH_RGB, "even": EVEN_RGB,
                    "neutral": NEUTRAL_RGB, "empty": EMPTY_RGB},
    }


def _json_script(data: object) -> Markup:
    """JSON safe inside ``<script type="application/json">``: no ``<`` can close the element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _filters_view(corpus: Corpus) -> dict[str, Any]:
    types = sorted({r.inspection_type for r in corpus.reports},
                   key=list(TYPE_LABELS).index)
    years = sorted({d[:4] for r in corpus.reports if (d := report_date(r))})
    return {"types": [(t, TYPE_LABELS[t]) for t in types], "years": years}


# --------------------------------------------------------------------------- pages


@cache
def _environment() -> jinja2.Environment:
    """The template environment: autoescaping on, templates and assets from ``data/``."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("jtai_tools", "data"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _asset(name: str) -> Markup:
    """report.css or report.js, to inline in the page (our own files, not report text)."""
    loader = _environment().loader
    assert loader is not None
    source, _, _ = loader.get_source(_environment(), name)
    return Markup(source)


def _summary(corpus: Corpus) -> str:
    tagged = int(corpus.findings["themes"].map(bool).sum()) if len(corpus.findings) else 0
    return (f"{len(corpus.reports)} report(s), {len(corpus.findings)} finding(s), "
            f"{tagged} with at least one theme.")


def _page(corpus: Corpus, kind: str, heat: Heatmap, **extra: Any) -> str:
    areas = list(dict.fromkeys(r.area.name for r in corpus.reports))
    names = ", ".join(map(area_label, areas)) if len(areas) <= MAX_AREAS_PER_PAGE else (
        f"{len(areas)} areas")
    return _environment().get_template("report.html.j2").render(
        kind=kind, title=f"Inspection themes: {names}", summary=_summary(corpus),
        filters=_filters_view(corpus), data=_json_script(filter_data(corpus, heat)),
        css=_asset("report.css"), js=_asset("report.js"), **extra,
    )


def render_html(corpus: Corpus, home: str | None = None) -> str:
    """The whole report as one HTML page with inline styles and script.

    ``home`` links the page back to an index page (see :func:`write_report`).
    """
    heat = build_heatmap(corpus)
    return _page(corpus, "report", heat, heatmap=_heatmap_view(heat, corpus),
                 themes=_theme_views(heat, corpus), recurring=_recurring_views(corpus),
                 reports=_report_views(corpus), index=None, home=home)


def area_page_name(area: str) -> str:
    """The file name of one area's page beside the index page."""
    return f"{_slug(area) or 'area'}.html"


def render_index(corpus: Corpus, folder: str) -> str:
    """The page for many areas: the heatmap with a selectable area list, each area's
    cells linking to its own page in ``folder`` (relative to the index)."""
    heat = build_heatmap(corpus)
    links = {c.key: f"{folder}/{area_page_name(c.label)}" for c in heat.columns}
    areas = [{"key": c.key, "label": c.label, "note": c.note, "href": links[c.key],
              "shown": i < MAX_AREAS_PER_PAGE} for i, c in enumerate(heat.columns)]
    return _page(corpus, "index", heat, heatmap=_heatmap_view(heat, corpus, links),
                 themes=[], recurring=[], reports=_report_views(corpus), index=areas, home=None)


def subset(corpus: Corpus, area: str) -> Corpus:
    """The part of ``corpus`` about one area."""
    reports = [r for r in corpus.reports if r.area.name == area]
    findings = corpus.findings[corpus.findings["area"] == area].reset_index(drop=True)
    return Corpus(reports, findings, corpus.labels, [area], corpus.db,
                  {area: corpus.recurring.get(area, [])})


def write_report(corpus: Corpus, output: Path, fmt: str = "html") -> list[Path]:
    """Write the HTML page (or the index and one page per area), or the heatmap image.

    Returns every file written, the one named ``output`` first.
    """
    if fmt in ("png", "svg"):
        output.write_bytes(heatmap_image(corpus, fmt))  # type: ignore[arg-type]
        return [output]
    if fmt != "html":
        raise RenderError(f"unknown format {fmt!r} (use html, png or svg)")
    areas = list(dict.fromkeys(r.area.name for r in corpus.reports))
    if len(areas) <= MAX_AREAS_PER_PAGE:
        output.write_text(render_html(corpus), encoding="utf-8")
        return [output]
    folder = output.with_name(output.stem + "-areas")
    folder.mkdir(exist_ok=True)
    output.write_text(render_index(corpus, folder.name), encoding="utf-8")
    written = [output]
    for area in areas:
        page = folder / area_page_name(area_label(area))
        page.write_text(render_html(subset(corpus, area), home=f"../{output.name}"),
                        encoding="utf-8")
        written.append(page)
    return written


# --------------------------------------------------------------------------- image


def heatmap_image(corpus: Corpus, fmt: ImageFormat = "png") -> bytes:
    """The heatmap alone as PNG or SVG, the same bytes for the same input."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    heat = build_heatmap(corpus)
    themes = heat.themes or ["(no themes tagged)"]
    n_rows, n_cols = len(themes), max(len(heat.columns), 1)
    # labels come from documents: "$...$" in an area name is text, not mathtext
    with matplotlib.rc_context({"svg.hashsalt": "jtai", "svg.fonttype": "none",
                                "font.family": "DejaVu Sans", "font.size": 9,
                                "text.parse_math": False}):
        # the Agg canvas is attached to this figure only: no global backend switch, so
        # a notebook's own plotting is left alone
        fig = Figure(figsize=(3.6 + 1.2 * n_cols, 1.2 + 0.32 * n_rows), dpi=150)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        image = [[cell_colour(heat.concern.get((t, c.key), 0), heat.strength.get((t, c.key), 0),
                              heat.total(t, c.key))
                  for c in heat.columns] or [EMPTY_RGB] for t in themes]
        ax.imshow(image, aspect="auto", interpolation="nearest")
        for y, theme in enumerate(themes):
            for x, col in enumerate(heat.columns):
                total = heat.total(theme, col.key)
                if total:
                    rgb = image[y][x]
                    text = f"{heat.concern.get((theme, col.key), 0)} | " \
                           f"{heat.strength.get((theme, col.key), 0)}"
                    ax.text(x, y, text, ha="center", va="center", color=_ink(rgb), fontsize=8)
        ax.set_xticks(range(len(heat.columns)), [c.label for c in heat.columns],
                      rotation=30, ha="right")
        ax.set_yticks(range(n_rows), [corpus.label(t) for t in themes])
        fig.suptitle(f"{heat.title}\n(each cell: concerns | strengths; red mostly concerns, "
                     "blue mostly strengths, pale even)", x=0.02, ha="left", fontsize=10)
        ax.tick_params(length=0)
        ax.set_xticks([x - 0.5 for x in range(1, n_cols)], minor=True)
        ax.set_yticks([y - 0.5 for y in range(1, n_rows)], minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="minor", length=0)
        fig.tight_layout()
        buffer = io.BytesIO()
        if fmt == "svg":
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        else:
            fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
