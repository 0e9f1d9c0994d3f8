"""`jtai compare`, `table`, `search`, `show` and `list`: answers from the database."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.rule import Rule
from rich.text import Text

from .. import compare as compare_mod
from ..compare import resolve_report
from ..models import Report, to_dict
from ..query import QueryError
from ..store import DEFAULT_DB
from .common import (
    AreaFilter,
    DbOption,
    FormatOption,
    SinceFilter,
    TypeFilter,
    _check_format,
    _database,
    _filters,
    _print_json,
    _print_rows,
    _say,
    _txt,
    app,
    err,
    out,
)


@app.command()
def compare(
    targets: Annotated[
        list[str],
        typer.Argument(help="Two or more areas (sutton lewisham), or two reports to compare "
                            "across years: AREA@YEAR, AREA@YYYY-MM-DD or report ids."),
    ],
    type_: TypeFilter = None,
    since: SinceFilter = None,
    min_score: Annotated[
        float, typer.Option("--min-score", min=0, max=100,
                            help="Similarity (0-100) from which an improvement point recurs.")
    ] = compare_mod.RECURRING_MIN_SCORE,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = "text",
) -> None:
    """Compare areas theme by theme, or one area's reports across years."""
    _check_format(fmt, ("text", "json"))
    with _database(db) as database:
        type_, _, _ = _filters(database, type_)
        ids = set(database.report_ids())
        if any("@" in t or t in ids for t in targets):
            if len(targets) != 2:
                raise QueryError("comparing across years needs exactly two reports "
                                 "(e.g. sutton@2017 sutton@2023)")
            if since is not None:
                raise QueryError("--since filters areas' reports; comparing two reports "
                                 "names them already")
            result = compare_mod.compare_reports(database, targets[0], targets[1], type_,
                                                 min_score)
            _print_json(result.to_dict()) if fmt == "json" else _print_years(result)
        else:
            areas = compare_mod.compare_areas(database, targets, type_, since)
            _print_json(areas.to_dict()) if fmt == "json" else _print_areas(areas)


def _print_areas(result: compare_mod.AreaComparison) -> None:
    """The theme table, the concerns only one area has, and a quote per theme and area."""
    described = ", ".join(f"{a} ({len(result.reports[a])} report"
                          f"{'s' if len(result.reports[a]) != 1 else ''})" for a in result.areas)
    filters = "".join([f", type {result.type}" if result.type else "",
                       f", since {result.since}" if result.since else ""])
    out.print(f"Comparing {described}{filters}", markup=False)
    rows = [[t.theme, *(f"{t.concern[a]} / {t.strength[a]}" for a in result.areas)]
            for t in result.themes]
    _print_rows(["theme", *result.areas], rows,
                title="Findings per theme (concerns / strengths)")
    out.print("", markup=False)
    for area in result.areas:
        out.print(f"Concerns only for {area}: {', '.join(result.only[area]) or 'none'}",
                  markup=False)
    out.print(f"Concerns shared by all: {', '.join(result.shared) or 'none'}", markup=False)
    out.print("", markup=False)
    out.print("Quotes", style="bold", markup=False)
    for theme in result.themes:
        if not theme.quotes:
            continue
        out.print(theme.theme, style="bold", markup=False)
        for area in result.areas:
            quote = theme.quotes.get(area)
            if quote:
                out.print(f"  {area} ({quote.report_id}, {quote.section_kind}, "
                          f"{quote.polarity}): \u201c{quote.text}\u201d", markup=False)


def _print_years(result: compare_mod.ReportComparison) -> None:
    """Concerns per theme in both reports, then the improvement points that came back."""
    out.print(f"{result.earlier} \u2192 {result.later}", markup=False)
    rows = [[c.theme, str(c.earlier), str(c.later), c.status] for c in result.changes]
    _print_rows(["theme", "earlier", "later", "status"], rows,
                title="Concerns per theme")
    out.print("", markup=False)
    out.print(f"Recurring improvement points (score >= {result.min_score:g}: shared rare "
              f"words over {result.lemmatiser}, and shared themes)", style="bold", markup=False)
    if not result.recurring:
        out.print("  none", markup=False)
    for match in result.recurring:
        out.print(f"  {match.score:5.1f}  later:   {match.later}", markup=False)
        out.print(f"         earlier: {match.earlier}", markup=False)
        out.print(f"         (words {match.words:g}, themes {match.theme_score:g}: "
                  f"{', '.join(match.themes) or 'none'})", markup=False)


@app.command()
def table(
    by: Annotated[str, typer.Option("--by", help="area, year, type or area-year.")] = "area",
    polarity: Annotated[
        str | None, typer.Option("--polarity", help="Count only concern, strength, mixed "
                                                    "or neutral findings.")
    ] = None,
    area: AreaFilter = None,
    type_: TypeFilter = None,
    since: SinceFilter = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="csv, md, json, or text (a table on a terminal); "
                                            "default from --output's suffix, else text on a "
                                            "terminal and csv when piped."),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 with a diff when --output differs from "
                                           "what would be written.")
    ] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The theme table: findings per theme per area, year or type, byte-for-byte reproducible."""
    from .. import tables

    if check and output is None:
        err.print("error: --check needs --output FILE to compare with", markup=False)
        raise typer.Exit(2)
    if output is not None and fmt is None and tables.format_for(output) is None:
        err.print(f"error: {output}: cannot tell the format from the suffix; pass --format "
                  f"{', '.join(tables.FORMATS[:-1])} or {tables.FORMATS[-1]}", markup=False)
        raise typer.Exit(2)
    chosen = fmt or (tables.format_for(output) if output else None) or (
        "text" if out.is_terminal else "csv")
    _check_format(chosen, ("text", *tables.FORMATS) if output is None else tables.FORMATS)
    with _database(db, tables.TableError) as database:
        type_, _, _ = _filters(database, type_)
        area = database.resolve_area(area) if area else None  # the file names it one way
        frame = database.theme_table(by=by, polarity=polarity, area=area, type=type_,
                                     since=since)
        if chosen == "text":
            rows = [[tables.cell_text(v) for v in row] for row in frame.itertuples(index=False)]
            _print_rows(list(frame.columns), rows)
            return
        meta = {"by": by, "polarity": polarity, "area": area, "type": type_, "since": since}
        content = tables.render(frame, chosen, meta)
        if output is None:
            sys.stdout.write(content)
        elif check:
            diff = tables.check(output, content)
            if diff:
                sys.stdout.write(diff)
                err.print(f"{output} is out of date (run without --check to rewrite it)",
                          markup=False)
                raise typer.Exit(1)
            err.print(f"{output} is up to date", markup=False)
        else:
            tables.write(output, content)
            err.print(f"wrote {output} ({len(frame)} row(s))", markup=False)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words or "a phrase"; OR, NOT and word* work.')],
    area: AreaFilter = None,
    type_: TypeFilter = None,
    since: SinceFilter = None,
    section: Annotated[
        str | None, typer.Option("--section", help="Only this section kind (improve, "
                                                   "strengths, main-findings...).")
    ] = None,
    theme: Annotated[str | None, typer.Option("--theme", help="Only findings with this theme.")
                     ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Most hits shown.")] = 20,
    show_all: Annotated[bool, typer.Option("--all", help="Show every hit (no --limit).")
                        ] = False,
    raw: Annotated[bool, typer.Option("--raw", help="Pass the query to SQLite FTS5 as written.")
                   ] = False,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = "text",
) -> None:
    """Full-text search over findings, best match first, with the hit highlighted."""
    _check_format(fmt, ("text", "json"))
    with _database(db) as database:
        type_, section, theme = _filters(database, type_, section, theme)
        where = {"area": area, "type": type_, "since": since, "section": section,
                 "theme": theme, "raw": raw}
        hits = database.search_rows(query, limit=None if show_all else limit, **where)
        total = len(hits) if show_all or len(hits) < limit else database.search_count(
            query, **where)
    _say("", _hit_count(query, len(hits), total))
    if fmt == "json":
        _print_json([{**h, "hits": [list(x) for x in h["hits"]], "themes": list(h["themes"])}
                     for h in hits])
        return
    for number, hit in enumerate(hits, start=1):
        _print_hit(number, hit)


def _hit_count(query: str, shown: int, total: int) -> str:
    """"20 of 147 findings match ...": a limit never hides hits without saying so."""
    if not total:
        return f"no findings match {query!r}"
    if shown < total:
        return f"{shown} of {total} findings match {query!r} (--limit N or --all for more)"
    return f"{total} finding{'s' if total != 1 else ''} match{'es' if total == 1 else ''} " \
           f"{query!r}"


def _print_hit(number: int, hit: dict[str, Any]) -> None:
    """One hit: where it is, then its text with the matched words marked."""
    out.print(f"{number}. {hit['report_id']} \u00b7 {hit['section_heading']} "
              f"({hit['section_kind']}) \u00b7 score {hit['score']:.2f}"
              + (f" \u00b7 {', '.join(hit['themes'])}" if hit["themes"] else ""),
              style="bold", markup=False)
    text = Text("   ")
    cursor = 0
    for start, end in hit["hits"]:
        text.append(hit["text"][cursor:start])
        if out.is_terminal:
            text.append(hit["text"][start:end], style="bold reverse")
        else:
            text.append(f"**{hit['text'][start:end]}**")
        cursor = end
    text.append(hit["text"][cursor:])
    out.print(text)


@app.command()
def show(
    target: Annotated[str, typer.Argument(help="A report id, AREA@YEAR, or an area (its "
                                               "reports listed and the latest shown).")],
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = "text",
) -> None:
    """Show one report section by section."""
    _check_format(fmt, ("text", "json"))
    with _database(db) as database:
        listing = None
        if "@" in target or database.report(target) is not None:
            report_id = resolve_report(database, target)
        else:
            listing = database.report_rows(area=database.resolve_area(target))
            report_id = str(listing[-1]["report_id"])
        record = database.report(report_id)
    assert record is not None
    if fmt == "json":
        _print_json(to_dict(record))
        return
    if listing is not None and len(listing) > 1:
        _print_rows(["report", "type", "date"],
                    [[_txt(r["report_id"]), _txt(r["inspection_type"]), _txt(r["sort_date"])]
                     for r in listing],
                    title=f"{len(listing)} reports for {listing[0]['area']}; "
                          f"showing the latest")
        out.print("", markup=False)
    _print_report(record)


def _print_report(record: Report) -> None:
    """A report's metadata, then each section under a rule, items as bullets."""
    out.print(record.id, style="bold", markup=False)
    fields = [
        ("area", record.area.full_name or record.area.name),
        ("type", record.inspection_type),
        ("date", record.date),
        ("fieldwork", " to ".join(x for x in (record.fieldwork.start, record.fieldwork.end) if x)),
        ("sorts by", f"{record.sort_date} ({record.date_source})" if record.sort_date
         and record.date_source != "printed" else None),
        ("lead inspector", record.lead_inspector),
        ("inspectorates", ", ".join(record.inspectorates)),
        ("focus", record.jtai_focus),
        ("judgements", "; ".join(f"{k}: {v}" for k, v in sorted(record.judgements.items()))),
        ("source", f"{record.source.path} ({record.source.format}, {record.source.pages} "
                   f"page{'s' if record.source.pages != 1 else ''})"),
    ]
    for name, value in fields:
        if value:
            out.print(f"  {name + ':':<15}{value}", markup=False)
    for warning in record.warnings:
        out.print(f"  warning: {warning}", markup=False)
    for section in record.sections:
        # text before the first heading is a section with no heading of its own
        title = Text(f"{section.heading} ({section.kind})" if section.heading
                     else f"({section.kind})", style="bold")
        out.print(Rule(title, align="left", characters="-"))
        for paragraph in section.paragraphs:
            out.print(paragraph, markup=False)
            out.print("", markup=False)
        for item in section.items:
            out.print(f"  \u2022 {item}", markup=False)
    out.print("", markup=False)


@app.command("list")
def list_reports(
    area: AreaFilter = None,
    type_: TypeFilter = None,
    since: SinceFilter = None,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = "text",
) -> None:
    """List stored reports oldest first: id, area, type, date, pages, findings."""
    _check_format(fmt, ("text", "json"))
    with _database(db) as database:
        type_, _, _ = _filters(database, type_)
        rows = database.report_rows(area=area, type=type_, since=since, order="date")
    if fmt == "json":
        _print_json([{c: r[c] for c in _LIST_JSON} for r in rows])
        return
    _print_rows(["id", "area", "type", "date", "dated by", "pages", "findings"],
                [[_txt(r[c]) for c in ("report_id", "area", "inspection_type", "sort_date",
                                       "date_source", "pages", "findings")] for r in rows])


#: What ``jtai list --format json`` gives per report.
_LIST_JSON = ("report_id", "area", "inspection_type", "date", "sort_date", "date_source",
              "fieldwork_start", "fieldwork_end", "lead_inspector", "pages", "findings")
