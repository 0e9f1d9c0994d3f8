"""Render stage: a self-contained HTML report and a heatmap image of themes.

People would rather look than read a long table, so the report opens with a
heatmap of themes against areas (or, for one area, against its inspections
over the years); each cell is coloured by its concern and strength counts and
opens the findings behind it. Below come the findings of each theme with
their evidence words highlighted, the improvement points that recur across an
area's inspections, and the metadata of every report.

The page carries its styles and script inline and loads nothing at view time,
so it can be mailed or put on a shared drive. Everything taken from report
text is escaped. :func:`heatmap_image` draws the same heatmap with matplotlib
for slides and board papers, byte for byte the same for the same input.
"""

from __future__ import annotations

import html
import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .codebook import CodebookError, load_codebook
from .compare import ReportComparison, compare_reports
from .models import INSPECTION_TYPES, Report
from .query import AreaError, Database, open_db
from .store import StoreError, load_reports

ImageFormat = Literal["png", "svg"]

#: Inspection types as printed in headings (ids are lower-case in the data).
TYPE_LABELS: dict[str, str] = {
    "jtai": "JTAI",
    "ilacs": "ILACS",
    "sif": "SIF",
    "focused-visit": "Focused visit",
    "monitoring-visit": "Monitoring visit",
    "area-send": "Area SEND",
    "other": "Other",
}
assert set(TYPE_LABELS) == set(INSPECTION_TYPES)

#: The end colours of the heatmap: all concerns, all strengths, and balanced/neutral.
CONCERN_RGB = (0.698, 0.094, 0.169)
STRENGTH_RGB = (0.129, 0.400, 0.675)
BALANCED_RGB = (0.45, 0.40, 0.55)
EMPTY_RGB = (0.96, 0.96, 0.96)

class RenderError(ValueError):
    """Bad input for a render (no database, empty database): one line for the user."""


class UnknownAreaError(RenderError):
    """An area named on the command line that the database does not hold (a usage error)."""


@dataclass(slots=True)
class Corpus:
    """The reports chosen for a render and their findings, one row a finding."""

    reports: list[Report]
    findings: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    areas: list[str] = field(default_factory=list)
    db: Path | None = None
    #: area → each pair of its consecutive inspections (with findings) compared
    recurring: dict[str, list[ReportComparison]] = field(default_factory=dict)

    def label(self, theme: str) -> str:
        """A theme's label from the codebook, or its id when the codebook lacks it."""
        return self.labels.get(theme, theme)


@dataclass(slots=True)
class Column:
    """One heatmap column: an area, or one inspection of a single area."""

    key: str
    label: str
    report_ids: tuple[str, ...]


@dataclass(slots=True)
class Heatmap:
    """Counts per theme (row) and column.

    ``cells[(theme, key)]`` lists the positions of the cell's findings in ``Corpus.findings``.
    """

    themes: list[str]
    columns: list[Column]
    concern: dict[tuple[str, str], int]
    strength: dict[tuple[str, str], int]
    cells: dict[tuple[str, str], list[int]]
    title: str

    @property
    def max_total(self) -> int:
        return max((len(v) for v in self.cells.values()), default=0)

    def total(self, theme: str, key: str) -> int:
        return len(self.cells.get((theme, key), []))


# --------------------------------------------------------------------------- loading


_SMALL_WORDS = frozenset({"and", "of", "upon", "on", "the", "in", "le", "with"})


def area_label(name: str) -> str:
    """An area as printed: stored names are lower-case keys ("kingston upon thames")."""
    if name != name.lower():
        return name
    words = re.split(r"([ -])", name)
    return "".join(
        w if w in (" ", "-") or (i and w in _SMALL_WORDS) else w[:1].upper() + w[1:]
        for i, w in enumerate(words)
    )


def codebook_themes() -> list[tuple[str, str, str]]:
    """(id, label, description) of every codebook theme, in codebook order.

    When the codebook cannot be read, outputs fall back to theme ids as
    labels: a report of stored findings is still worth having.
    """
    try:
        codebook = load_codebook()
    except (CodebookError, OSError):
        return []
    return [(t.id, t.label or t.id, t.description or "") for t in codebook.themes]


def theme_labels() -> dict[str, str]:
    """Theme id → label from the codebook (empty when it cannot be loaded)."""
    return {theme_id: label for theme_id, label, _ in codebook_themes()}


def load_corpus(db: str | Path, areas: Sequence[str] = ()) -> Corpus:
    """The stored reports of ``areas`` (all when empty) with their findings and theme labels.

    Areas are matched as ``jtai`` matches them everywhere (case and spelling
    forgiven, see :func:`jtai_tools.query.resolve_name`) and keep the order
    they were named in; each area's reports run oldest first.
    """
    try:
        database = open_db(db)
    except StoreError as exc:
        raise RenderError(str(exc)) from None
    with database:
        try:
            names = list(dict.fromkeys(database.resolve_area(a) for a in areas))
        except AreaError as exc:
            raise UnknownAreaError(str(exc)) from None
        names = names or database.areas()
        if not names:
            raise RenderError(f"{db}: the database holds no reports")
        listing = database.reports(area=names)
        order = {name: i for i, name in enumerate(names)}
        listing = listing.assign(_area=listing["area"].map(order), _date=listing["date"].fillna(""))
        listing = listing.sort_values(["_area", "_date", "report_id"], kind="stable")
        # one read for all reports (not one per report); every report when none are named
        loaded = load_reports(database.conn, list(listing["report_id"]) if areas else None)
        by_id = {r.id: r for r in loaded}
        reports = [by_id[rid] for rid in listing["report_id"]]
        findings = database.findings(area=names)
        # documents without findings (e.g. partnership arrangements) have no points to compare
        recurring = {
            area: recurring_points(
                database, [r.id for r in reports if r.area.name == area and r.findings]
            )
            for area in names
        }
    return Corpus(reports, findings, theme_labels(), names, Path(db), recurring)


# --------------------------------------------------------------------------- heatmap


def _columns(corpus: Corpus) -> tuple[list[Column], str]:
    """Areas as columns, or one area's inspections when the corpus holds one area."""
    areas = list(dict.fromkeys(r.area.name for r in corpus.reports))
    if len(areas) == 1:
        columns = [
            Column(r.id, f"{r.date or 'undated'} {TYPE_LABELS.get(r.inspection_type, '')}".strip(),
                   (r.id,))
            for r in corpus.reports
        ]
        return columns, f"Themes across {area_label(areas[0])}'s inspections"
    columns = [
        Column(_slug(a), area_label(a), tuple(r.id for r in corpus.reports if r.area.name == a))
        for a in areas
    ]
    return columns, "Themes by area"


def build_heatmap(corpus: Corpus) -> Heatmap:
    """Concern and strength counts per theme and column, themes most-mentioned first.

    A mixed finding counts once as a concern and once as a strength.
    """
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
    return Heatmap(themes, columns, concern, strength, cells, title)


def _mix(a: tuple[float, ...], b: tuple[float, ...], t: float) -> tuple[float, float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def cell_colour(concern: int, strength: int, total: int, max_total: int) -> tuple[float, ...]:
    """RGB in 0..1: red for concerns, blue for strengths, deeper for more findings.

    The hue follows the balance of concerns and strengths (neutral-only cells
    and even splits are grey-violet); the depth follows the share of the
    busiest cell, so the eye goes first to where inspectors said most.
    """
    if total == 0 or max_total == 0:
        return EMPTY_RGB
    judged = concern + strength
    balance = (concern - strength) / judged if judged else 0.0
    hue = _mix(BALANCED_RGB, CONCERN_RGB if balance > 0 else STRENGTH_RGB, abs(balance))
    depth = 0.25 + 0.75 * (total / max_total)
    return _mix((1.0, 1.0, 1.0), hue, depth)


def _hex(rgb: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _ink(rgb: tuple[float, ...]) -> str:
    """Black or white text, whichever reads better on the cell colour."""
    luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    return "#000000" if luminance > 0.5 else "#ffffff"


# --------------------------------------------------------------------------- html pieces


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _slug(*parts: str) -> str:
    return "--".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)


def highlight(text: str, evidence: Sequence[dict[str, Any]]) -> str:
    """The finding text, escaped, with its evidence words wrapped in ``<mark>``.

    Offsets outside the text are ignored; overlapping spans are merged so the
    markup stays well nested, and the merged mark lists every label.
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
    out, pos = [], 0
    for start, end, kinds, labels in merged:
        out.append(_esc(text[pos:start]))
        classes = " ".join(f"ev-{_slug(k)}" for k in sorted(kinds))  # kinds are data too
        out.append(f'<mark class="ev {classes}" title="{_esc(", ".join(sorted(labels)))}">'
                   f"{_esc(text[start:end])}</mark>")
        pos = end
    out.append(_esc(text[pos:]))
    return "".join(out)


def _finding_item(finding: dict[str, Any], report: Report) -> str:
    agencies = "".join(f'<span class="agency">{_esc(a)}</span>' for a in finding["agencies"])
    source = " · ".join(
        _esc(p) for p in (
            area_label(report.area.name),
            TYPE_LABELS.get(report.inspection_type, report.inspection_type),
            report.date or "undated", finding["section_heading"] or finding["section_kind"],
        )
    )
    pol = str(finding["polarity"])
    return (
        f'<li class="finding pol-{_esc(pol)}">'
        f'<p class="text">{highlight(str(finding["text"]), finding["evidence"])}</p>'
        f'<p class="meta"><span class="polarity">{_esc(pol)}</span>{agencies}'
        f'<span class="source" title="{_esc(report.id)}">{source}</span></p></li>'
    )


def _heatmap_table(heat: Heatmap, corpus: Corpus) -> str:
    head = "".join(f'<th scope="col">{_esc(c.label)}</th>' for c in heat.columns)
    rows = []
    for theme in heat.themes:
        cells = []
        for col in heat.columns:
            total = heat.total(theme, col.key)
            c = heat.concern.get((theme, col.key), 0)
            s = heat.strength.get((theme, col.key), 0)
            rgb = cell_colour(c, s, total, heat.max_total)
            style = f"background:{_hex(rgb)};color:{_ink(rgb)}"
            if not total:
                cells.append(f'<td class="cell empty" style="{style}">–</td>')
                continue
            cid = _slug("cell", theme, col.key)
            tip = (f"{corpus.label(theme)} – {col.label}: {total} finding(s), "
                   f"{c} concern(s), {s} strength(s)")
            cells.append(
                f'<td class="cell" style="{style}"><a href="#{cid}" data-cell="{cid}" '
                f'title="{_esc(tip)}" aria-label="{_esc(tip)}">{c} | {s}</a></td>'
            )
        rows.append(
            f'<tr><th scope="row"><a href="#{_slug("theme", theme)}">'
            f'{_esc(corpus.label(theme))}</a></th>{"".join(cells)}</tr>'
        )
    return (
        f'<table class="heatmap"><thead><tr><th scope="col">Theme</th>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table>'
    )


def _theme_sections(heat: Heatmap, corpus: Corpus) -> str:
    by_id = {r.id: r for r in corpus.reports}
    records = corpus.findings.to_dict("records")
    parts = []
    for theme in heat.themes:
        groups = []
        for col in heat.columns:
            rows = heat.cells.get((theme, col.key), [])
            if not rows:
                continue
            items = "".join(
                _finding_item(records[i], by_id[records[i]["report_id"]]) for i in rows
            )
            groups.append(
                f'<div class="group" id="{_slug("cell", theme, col.key)}" '
                f'data-title="{_esc(corpus.label(theme) + " – " + col.label)}">'
                f'<h4>{_esc(col.label)}</h4><ol class="findings">{items}</ol></div>'
            )
        parts.append(
            f'<section class="theme" id="{_slug("theme", theme)}">'
            f'<h3>{_esc(corpus.label(theme))} <code>{_esc(theme)}</code></h3>{"".join(groups)}'
            f"</section>"
        )
    return "".join(parts)


def recurring_points(database: Database, report_ids: Sequence[str]) -> list[ReportComparison]:
    """Each consecutive pair of one area's inspections compared, oldest first.

    Which improvement points came back is matched by meaning rather than
    exact words, as ``jtai compare AREA@YEAR AREA@YEAR`` does.
    """
    return [compare_reports(database, earlier, later)
            for earlier, later in itertools.pairwise(report_ids)]


def _recurring_section(corpus: Corpus) -> str:
    by_id = {r.id: r for r in corpus.reports}
    parts = []
    for area in dict.fromkeys(r.area.name for r in corpus.reports):
        comparisons = corpus.recurring.get(area, [])
        parts.append(f"<h3>{_esc(area_label(area))}</h3>")
        if not comparisons:
            parts.append('<p class="none">Only one inspection with findings: nothing to '
                         "compare.</p>")
        for comparison in comparisons:
            parts.append(_comparison_block(comparison, by_id, corpus))
    return "".join(parts)


def _comparison_block(comparison: ReportComparison, by_id: dict[str, Report],
                      corpus: Corpus) -> str:
    """Two inspections: the concerns in both, and a table of the points that came back."""

    def name(report_id: str) -> str:
        r = by_id.get(report_id)
        if r is None:
            return report_id
        return f"{r.date or 'undated'} {TYPE_LABELS.get(r.inspection_type, r.inspection_type)}"

    persisting = [corpus.label(c.theme) for c in comparison.changes if c.status == "persisting"]
    rows = "".join(
        f"<tr><td>{_esc(p.later)}</td><td>{_esc(p.earlier)}</td><td>{p.score:.0f}</td>"
        f"<td>{_esc(', '.join(corpus.label(t) for t in p.themes))}</td></tr>"
        for p in comparison.recurring
    )
    table = (
        '<table class="recurring"><thead><tr><th scope="col">Later point</th>'
        '<th scope="col">Earlier point</th><th scope="col">Similarity</th>'
        f'<th scope="col">Themes</th></tr></thead><tbody>{rows}</tbody></table>'
        if rows else '<p class="none">No improvement point came back.</p>'
    )
    return (
        f'<div class="comparison"><h4>{_esc(name(comparison.earlier))} → '
        f"{_esc(name(comparison.later))}</h4>"
        f"<p>Concerns in both: {_esc(', '.join(persisting) or 'none')}.</p>{table}</div>"
    )


def _metadata_section(corpus: Corpus) -> str:
    rows = []
    for r in corpus.reports:
        judgements = "".join(
            f"<li>{_esc(k.replace('_', ' '))}: <strong>{_esc(v)}</strong></li>"
            for k, v in sorted(r.judgements.items())
        )
        fieldwork = " to ".join(x for x in (r.fieldwork.start, r.fieldwork.end) if x)
        rows.append(
            f'<tr id="{_slug("report", r.id)}"><td>{_esc(r.area.full_name or r.area.name)}</td>'
            f"<td>{_esc(TYPE_LABELS.get(r.inspection_type, r.inspection_type))}</td>"
            f"<td>{_esc(r.date or '')}</td><td>{_esc(fieldwork)}</td>"
            f"<td>{_esc(', '.join(r.inspectorates))}</td><td>{_esc(r.jtai_focus or '')}</td>"
            f"<td><ul>{judgements}</ul></td><td>{len(r.findings)}</td>"
            f"<td><code>{_esc(r.id)}</code></td></tr>"
        )
    head = "".join(
        f'<th scope="col">{h}</th>' for h in (
            "Area", "Type", "Published", "Fieldwork", "Inspectorates", "JTAI focus",
            "Judgements", "Findings", "Report id",
        )
    )
    body = "".join(rows)
    return f'<table class="meta"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _asset(name: str) -> str:
    return resources.files("jtai_tools").joinpath("data", name).read_text(encoding="utf-8")


def render_html(corpus: Corpus) -> str:
    """The whole report as one HTML page with inline styles and script."""
    heat = build_heatmap(corpus)
    areas = list(dict.fromkeys(r.area.name for r in corpus.reports))
    title = "Inspection themes: " + ", ".join(map(area_label, areas))
    tagged = int(corpus.findings["themes"].map(bool).sum()) if len(corpus.findings) else 0
    summary = (f"{len(corpus.reports)} report(s), {len(corpus.findings)} finding(s), "
               f"{tagged} with at least one theme.")
    heatmap = (
        _heatmap_table(heat, corpus) if heat.themes
        else '<p class="none">No finding has a theme yet: run the tagger (jtai extract).</p>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{_asset('report.css')}</style></head><body>"
        f"<header><h1>{_esc(title)}</h1><p>{_esc(summary)}</p><nav>"
        '<a href="#heatmap">Heatmap</a> <a href="#themes">Findings by theme</a> '
        '<a href="#recurring">Recurring improvement points</a> <a href="#reports">Reports</a>'
        "</nav></header><main>"
        f'<section id="heatmap"><h2>{_esc(heat.title)}</h2>'
        '<p class="legend">Each cell: <span class="k-concern">concerns</span> | '
        '<span class="k-strength">strengths</span> (a mixed finding counts as both). '
        "Red cells are mostly concerns, blue mostly strengths; deeper colour, more findings. "
        "Click a cell to see its findings.</p>"
        f"{heatmap}"
        '<div id="cell-panel" class="panel" hidden aria-live="polite"><div class="bar">'
        '<h3 id="cell-panel-title"></h3><button type="button" id="cell-panel-close">Close'
        '</button></div><div id="cell-panel-body"></div></div></section>'
        f'<section id="themes"><h2>Findings by theme</h2>{_theme_sections(heat, corpus)}</section>'
        '<section id="recurring"><h2>Recurring improvement points</h2>'
        f"{_recurring_section(corpus)}</section>"
        f'<section id="reports"><h2>Reports</h2>{_metadata_section(corpus)}</section>'
        f"</main><footer>Made with jtai.</footer><script>{_asset('report.js')}</script>"
        "</body></html>\n"
    )


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
                              heat.total(t, c.key), heat.max_total)
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
        fig.suptitle(f"{heat.title}\n(each cell: concerns | strengths)", x=0.02, ha="left",
                     fontsize=10)
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


def write_report(corpus: Corpus, output: Path, fmt: str = "html") -> None:
    """Write the HTML page, or the heatmap image when ``fmt`` is png or svg."""
    if fmt == "html":
        output.write_text(render_html(corpus), encoding="utf-8")
    elif fmt in ("png", "svg"):
        output.write_bytes(heatmap_image(corpus, fmt))  # type: ignore[arg-type]
    else:
        raise RenderError(f"unknown format {fmt!r} (use html, png or svg)")
