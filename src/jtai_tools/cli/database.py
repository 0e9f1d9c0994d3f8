"""`jtai compare`, `table`, `search`, `show` and `list`: answers from the database."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from .. import compare as compare_mod
from ..areas import BENCHMARKS
from ..models import Report, to_dict
from ..query import Filters, QueryError, SearchQuery, resolve_target
from ..store import DEFAULT_DB
from .common import (
    AreaFilter,
    CheckOption,
    DbOption,
    FormatOption,
    OutputFileOption,
    SinceFilter,
    TypeFilter,
    _check_choice,
    _check_format,
    _database,
    _filters,
    _print_json,
    _print_rows,
    _query_failure,
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
        typer.Argument(help="Two or more areas (sutton lewisham); one area with --against; "
                            "or two reports to compare across years: AREA@YEAR, "
                            "AREA@YYYY-MM-DD or report ids."),
    ],
    against: Annotated[
        str | None,
        typer.Option("--against", help="Benchmark one area against its statistical "
                                       "neighbours, its region or england."),
    ] = None,
    mix_types: Annotated[
        bool, typer.Option("--mix-types", help="One table over every inspection type "
                                               "instead of one table per type.")
    ] = False,
    type_: TypeFilter = None,
    since: SinceFilter = None,
    min_score: Annotated[
        float, typer.Option("--min-score", min=0, max=100,
                            help="Similarity (0-100) from which an improvement point recurs.")
    ] = compare_mod.RECURRING_MIN_SCORE,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = "text",
) -> None:
    """Compare areas theme by theme (rates per inspection type), benchmark one area, or
    compare one area's reports across years."""
    _check_format(fmt, ("text", "json"))
    with _database(db) as database:
        type_, _, _ = _filters(database, type_)
        if against is not None:
            if len(targets) != 1:
                raise QueryError("--against benchmarks one area (e.g. sutton --against "
                                 "neighbours)")
            choice = _check_choice(against, list(BENCHMARKS), "benchmark")
            assert choice is not None
            result = compare_mod.benchmark(database, targets[0], choice, type_, since,
                                           mix_types)
            _print_json(result.to_dict()) if fmt == "json" else _print_benchmark(result)
            return
        ids = set(database.report_ids())
        if any("@" in t or t in ids for t in targets):
            if len(targets) != 2:
                raise QueryError("comparing across years needs exactly two reports "
                                 "(e.g. sutton@2017 sutton@2023)")
            if since is not None:
                raise QueryError("--since filters areas' reports; comparing two reports "
                                 "names them already")
            years = compare_mod.compare_reports(database, targets[0], targets[1], type_,
                                                min_score)
            _print_json(years.to_dict()) if fmt == "json" else _print_years(years)
        else:
            areas = compare_mod.compare_areas(database, targets, type_, since, mix_types)
            _print_json(areas.to_dict()) if fmt == "json" else _print_areas(areas)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _rate_cell(rate: compare_mod.ThemeRate) -> str:
    """"4.1% (3) · 6.0% (3) · 1/1": share of findings, of concerns, reports raising it."""
    if not rate.covered:
        return f"not covered ({rate.findings})" if rate.findings else "not covered"
    return (f"{_percent(rate.share)} ({rate.findings}) \u00b7 "
            f"{_percent(rate.concern_share)} ({rate.concerns}) \u00b7 "
            f"{rate.reports}/{rate.covering_reports}")


_RATE_TITLE = ("per theme: share of findings (count) \u00b7 share of concern findings "
               "(count) \u00b7 reports raising it / reports that look at it")


def _print_columns(columns: list[compare_mod.Column]) -> None:
    for column in columns:
        out.print(f"  {column.label}: {', '.join(column.reports)}", markup=False)


def _print_areas(result: compare_mod.AreaComparison) -> None:
    """Per inspection type: the columns, the rates table, the concerns only one area has,
    and a quote per theme and area."""
    described = ", ".join(f"{a} ({len(result.reports[a])} report"
                          f"{'s' if len(result.reports[a]) != 1 else ''})" for a in result.areas)
    filters = "".join([f", type {result.type}" if result.type else "",
                       f", since {result.since}" if result.since else ""])
    out.print(f"Comparing {described}{filters}", markup=False)
    if result.mixed:
        kinds = "; ".join(f"{c.name}: {' + '.join(f'{n} {t}' for t, n in c.types.items())}"
                          for c in result.groups[0].columns)
        out.print(f"Mixing inspection types ({kinds}): rates compare different "
                  "inspections", markup=False)
    for group in result.groups:
        out.print("", markup=False)
        out.print(f"== {group.inspection_type or 'all inspection types'} ==", style="bold",
                  markup=False)
        _print_columns(group.columns)
        for area in group.absent:
            out.print(f"  {area}: no {group.inspection_type} report", markup=False)
        rows = [[theme, *(_rate_cell(c.rates[theme]) for c in group.columns)]
                for theme in group.themes]
        _print_rows(["theme", *(c.name for c in group.columns)], rows,
                    title=f"Theme rates, {_RATE_TITLE}")
        if len(group.columns) > 1:
            for column in group.columns:
                out.print(f"Concerns only for {column.name}: "
                          f"{', '.join(group.only[column.name]) or 'none'}", markup=False)
            out.print(f"Concerns shared by all: {', '.join(group.shared) or 'none'}",
                      markup=False)
        _print_quotes(group)


def _print_quotes(group: compare_mod.ComparisonGroup) -> None:
    if not group.quotes:
        return
    out.print("Quotes", style="bold", markup=False)
    for theme, quotes in group.quotes.items():
        out.print(theme, style="bold", markup=False)
        for column in group.columns:
            quote = quotes.get(column.name)
            if quote:
                out.print(f"  {column.name} ({quote.report_id}, {quote.section_kind}, "
                          f"{quote.polarity}): \u201c{quote.text}\u201d", markup=False)


def _print_benchmark(result: compare_mod.Benchmark) -> None:
    """Per inspection type: the area's rates beside the pooled group's, the difference,
    and each member area's own rates."""
    out.print(f"Benchmarking {result.area} against {result.description}", markup=False)
    out.print(f"  with reports: {'; '.join(result.present) or 'none'}", markup=False)
    if result.missing:
        out.print(f"  no reports stored for: {'; '.join(result.missing)}", markup=False)
    for group in result.groups:
        out.print("", markup=False)
        out.print(f"== {group.inspection_type or 'all inspection types'} ==", style="bold",
                  markup=False)
        _print_columns([group.area, group.benchmark])
        if not group.benchmark.reports:
            out.print("  nothing to benchmark against: no such report in the group",
                      markup=False)
            continue
        members = group.members if len(group.members) <= 10 else []
        rows = [[row.theme, _rate_cell(row.area), _rate_cell(row.benchmark),
                 _points(row.difference), _points(row.concern_difference),
                 *(_rate_cell(m.rates[row.theme]) for m in members)]
                for row in group.rows]
        _print_rows(["theme", result.area, result.against, "difference", "concern difference",
                     *(m.name for m in members)], rows,
                    title=f"Theme rates, {_RATE_TITLE}; differences in percentage points")
        if members:
            _print_columns(members)


def _points(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:+.1f}"


def _print_years(result: compare_mod.ReportComparison) -> None:
    """Concerns per theme in both reports, then the improvement points that came back."""
    out.print(f"{result.earlier} ({result.earlier_type}, {result.earlier_date or 'undated'})"
              f" \u2192 {result.later} ({result.later_type}, {result.later_date or 'undated'})",
              markup=False)
    rows = [[c.theme, f"{c.earlier} ({_percent(c.earlier_share)})",
             f"{c.later} ({_percent(c.later_share)})", c.status] for c in result.changes]
    _print_rows(["theme", "earlier", "later", "status"], rows,
                title="Concern findings per theme (share of the report's concern findings); "
                      "'not covered': that inspection does not look at the theme")
    out.print("", markup=False)
    out.print(f"Recurring improvement points (same theme and cohort; score >= "
              f"{result.min_score:g}: shared rare words over {result.lemmatiser}, and shared "
              "themes)", style="bold", markup=False)
    if not result.recurring:
        out.print("  none", markup=False)
    for match in result.recurring:
        out.print(f"  {match.score:5.1f}  later:   {match.later}", markup=False)
        out.print(f"         earlier: {match.earlier}", markup=False)
        out.print(f"         (words {match.words:g}, themes {match.theme_score:g}: "
                  f"{', '.join(match.themes) or 'none'}; cohort: "
                  f"{', '.join(match.cohorts) or 'none named'})", markup=False)


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
    output: OutputFileOption = None,
    check: CheckOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The theme table: findings per theme per area, year or type, byte-for-byte reproducible."""
    from .. import tables

    chosen = _output_format(fmt, output, check, tables.FORMATS)
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
        _deliver(tables.render(frame, chosen, meta), output, check, len(frame))


def _output_format(fmt: str | None, output: Path | None, check: bool,
                   formats: tuple[str, ...]) -> str:
    """The format of a table command: --format, else --output's suffix, else text on a
    terminal and csv when piped; impossible choices are one line and exit 2."""
    if check and output is None:
        err.print("error: --check needs --output FILE to compare with", markup=False)
        raise typer.Exit(2)
    implied = None
    if output is not None:
        from .. import tables  # loads pandas: only when a file is written

        implied = tables.format_for(output) or (
            "xlsx" if output.suffix.lower() == ".xlsx" and "xlsx" in formats else None)
        if fmt is None and implied is None:
            err.print(f"error: {output}: cannot tell the format from the suffix; pass --format "
                      f"{', '.join(formats[:-1])} or {formats[-1]}", markup=False)
            raise typer.Exit(2)
    chosen = fmt or implied or ("text" if out.is_terminal else "csv")
    _check_format(chosen, ("text", *formats) if output is None else formats)
    return chosen


def _deliver(content: str | bytes, output: Path | None, check: bool, rows: int) -> None:
    """Print ``content``, write it to ``output``, or with ``check`` exit 1 when the file
    differs (with a short diff for text)."""
    from .. import tables

    if output is None:
        if isinstance(content, bytes):
            err.print("error: a workbook needs --output FILE.xlsx", markup=False)
            raise typer.Exit(2)
        sys.stdout.write(content)
    elif check:
        if isinstance(content, bytes):
            stale = not output.is_file() or output.read_bytes() != content
            diff = f"{output} differs from what would be written\n" if stale else None
        else:
            diff = tables.check(output, content)
        if diff:
            sys.stdout.write(diff)
            err.print(f"{output} is out of date (run without --check to rewrite it)",
                      markup=False)
            raise typer.Exit(1)
        err.print(f"{output} is up to date", markup=False)
    else:
        tables.write(output, content)
        err.print(f"wrote {output} ({rows} row(s))", markup=False)


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
        search_query = SearchQuery(query, Filters(area, type_, since, section, theme), raw)
        hits = database.search_rows(search_query, limit=None if show_all else limit)
        total = len(hits) if show_all or len(hits) < limit else database.search_count(
            search_query)
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
        resolved = resolve_target(database, target)
        if resolved.report_id is not None:
            report_id = resolved.report_id
        else:
            listing = database.report_rows(area=resolved.area)
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
    from rich.rule import Rule  # only here: rich's layout modules take a while to import

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


#: What ``jtai grades --format`` writes besides text.
GRADES_FORMATS: tuple[str, ...] = ("csv", "md", "json", "xlsx")


@app.command()
def grades(
    area: AreaFilter = None,
    history: Annotated[
        bool, typer.Option("--history", help="Every graded inspection of each area, newest "
                                             "first, not only the latest.")
    ] = False,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="csv, md, json, xlsx, or text (a table on a "
                                            "terminal); default from --output's suffix, else "
                                            "text on a terminal and csv when piped."),
    ] = None,
    output: OutputFileOption = None,
    check: CheckOption = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The national grades summary: per area its latest ILACS or SIF judgements."""
    from .. import grades as grades_mod

    chosen = _output_format(fmt, output, check, GRADES_FORMATS)
    with _database(db) as database:
        rows = grades_mod.grades(database, area=area, history=history)
    if chosen == "text":  # plain rows: no pandas for a table on the terminal
        columns = grades_mod.columns(history)
        _print_rows(columns, [[_txt(r.record()[c]) for c in columns] for r in rows])
        return
    from .. import tables

    frame = grades_mod.grades_frame(rows, history)
    try:
        if chosen == "xlsx":
            from ..export import workbook_bytes

            content: str | bytes = workbook_bytes({"grades": frame}, "jtai grades summary")
        else:
            content = tables.render(frame, chosen, {"area": area, "history": history})
        _deliver(content, output, check, len(rows))
    except tables.TableError as exc:
        raise _query_failure(exc) from None
