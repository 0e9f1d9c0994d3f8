"""The ``jtai`` command line: parses arguments, calls the library, renders the answer.

Exit codes (all commands): 0 success; 1 some input failed, a check failed or
a score was below its minimum; 2 wrong usage (unknown option, unknown area or
report).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

# Modules that load spaCy, pandas or matplotlib (tag, evaluate, tables, render,
# export) are imported inside the commands that need them, so that the other
# commands start quickly.
from . import compare as compare_mod
from . import extract as extract_mod
from .codebook import Codebook, CodebookError, load_codebook
from .compare import resolve_report
from .models import INSPECTION_TYPES, SECTION_KINDS, Report, to_dict
from .query import Database, QueryError, open_db, resolve_name
from .read import printable
from .store import DEFAULT_DB, Store, StoreError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=(
        "Extract, tag and compare English children's safeguarding inspection reports.\n\n"
        "Exit codes: 0 success; 1 some input failed, a check failed or a score was "
        "below its minimum; 2 wrong usage (unknown option, area or report)."
    ),
    rich_markup_mode=None,
)

@app.callback()
def _root() -> None:
    """Extract, tag and compare English children's safeguarding inspection reports."""


DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="JTAI_DB", help="SQLite database file.", show_default=True),
]


def _console(stderr: bool = False) -> Console:
    """A console that is plain when piped and honours NO_COLOR."""
    return Console(
        stderr=stderr,
        no_color=bool(os.environ.get("NO_COLOR")),
        highlight=False,
        soft_wrap=not sys.stdout.isatty(),
    )


out = _console()
err = _console(stderr=True)


def _file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@app.command()
def extract(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Report files, folders (searched recursively) or globs."),
    ] = None,
    reports: Annotated[
        Path | None,
        typer.Option(
            "--reports",
            envvar=extract_mod.REPORTS_ENV,
            help="Folder of reports, used when no PATHS are given (default data/reports).",
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    as_json: Annotated[
        bool, typer.Option("--json", help="Write the records as a JSON array to stdout.")
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Parallel workers.")] = 1,
    force: Annotated[
        bool, typer.Option("--force", help="Extract again even when the content is stored.")
    ] = False,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not write to the database.")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0, help="Seconds one file may take (0: no limit)."),
    ] = extract_mod.DEFAULT_TIMEOUT,
    codebook: Annotated[
        Path | None,
        typer.Option(
            "--codebook",
            help="Your own codebook (TOML) that adds to or replaces the built-in themes; "
            "stored reports are tagged again with it.",
        ),
    ] = None,
) -> None:
    """Extract reports into the database (and optionally print them as JSON).

    Each file that cannot be read gets one line on stderr naming it and the
    problem; the other files are still extracted and stored, and the exit
    code is 1. Files whose content is already stored are skipped (--force
    extracts them again). A database that cannot be opened exits with 2.
    """
    if codebook is not None:
        _use_codebook(codebook)
        force = True  # stored tags came from another codebook
    targets = paths or [str(reports or extract_mod.reports_dir())]
    files, problems = extract_mod.find_inputs(targets)
    for problem in problems:
        _say("error" if problem.fatal else "warning", problem)
    batch = _Batch(store=None if no_store else _open_store(db), keep_records=as_json)
    batch.failed = sum(problem.fatal for problem in problems)

    def skip(path: Path) -> str | None:
        if batch.store is None or force or as_json:
            return None
        digest = _file_sha256(path)
        return batch.store.known_sha256(digest) if digest else None

    interrupted = False
    try:
        with _progress() as progress:
            task = progress.add_task("extracting", total=len(files))
            for outcome in extract_mod.extract_batch(
                files, jobs=jobs, skip=skip, timeout=timeout or None
            ):
                progress.advance(task)
                batch.take(outcome)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if batch.store is not None:
            batch.store.close()
    if as_json:
        _write_json_records(batch.records)
    _say("interrupted" if interrupted else "", batch.summary(len(files)))
    if interrupted:
        raise typer.Exit(130)
    if batch.failed:
        raise typer.Exit(1)


def _say(kind: str, message: object) -> None:
    """One line on stderr, whatever the message holds (no markup, wrapping or emoji)."""
    line = f"{kind}: {message}" if kind else str(message)
    err.print(printable(line), markup=False, emoji=False, highlight=False, soft_wrap=True)


def _use_codebook(path: Path) -> None:
    """Tag with a user's codebook from now on; a malformed one is one line and exit 2."""
    from .tag import Tagger  # loads spaCy

    try:
        extract_mod.use_tagger(Tagger(load_codebook(path)))
    except CodebookError as exc:
        _say("error", exc)
        raise typer.Exit(2) from None


def _open_store(db: Path) -> Store:
    """The database to store into; one that cannot be opened is one line and exit 2."""
    try:
        return Store(db)
    except (StoreError, sqlite3.Error, OSError) as exc:
        _say("error", exc if str(db) in str(exc) else f"{db}: cannot open database ({exc})")
        raise typer.Exit(2) from None


def _progress() -> Progress:
    """A progress bar on stderr for a terminal; nothing when stderr is piped."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _write_json_records(records: list[dict]) -> None:
    """The records as a JSON array on stdout; a reader that went away (``| head``) is fine."""
    text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    try:
        sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@dataclass
class _Batch:
    """What one ``jtai extract`` run did: per-status counts, failures, records for --json."""

    store: Store | None
    keep_records: bool = False
    failed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    records: list[dict] = field(default_factory=list)
    stored_from: dict[str, str] = field(default_factory=dict)  # report id -> first file

    def take(self, outcome: extract_mod.Outcome) -> None:
        """Report one file's outcome, store its report, and count it."""
        status = outcome.status
        if outcome.error:
            _say("error", outcome.error)
        for warning in outcome.warnings:
            _say("warning", warning)
        if outcome.report is not None:
            if self.store is not None:
                status = _save_report(self.store, outcome.report, self.stored_from)
            if self.keep_records and status != "failed":
                self.records.append(to_dict(outcome.report))
        self.failed += status == "failed"
        self.counts[status] = self.counts.get(status, 0) + 1

    def summary(self, files: int) -> str:
        """The closing line: files, then how many of each status, then input problems."""
        done = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items()))
        problems = self.failed - self.counts.get("failed", 0)
        return (f"{files} file(s): {done or 'nothing to do'}"
                + (f"; {problems} input problem(s)" if problems else ""))


def _save_report(store: Store, report: Report, stored_from: dict[str, str]) -> str:
    """Store one extracted report and return its status for the batch summary.

    A second file of a report this batch already stored (a text copy of a
    PDF: same id) does not replace it; it is recorded as another source.
    """
    try:
        first = stored_from.get(report.id)
        if first is not None:
            store.add_source(report)
            _say("note", f"{report.source.path}: same report as {first} ({report.id}); "
                        "recorded as another source of it")
            return "same report as another file"
        stored_from[report.id] = report.source.path
        return store.save(report)
    except (StoreError, sqlite3.Error, OSError, ValueError) as exc:
        _say("error", f"{report.source.path}: could not be stored ({exc})")
        return "failed"


# -- tagging: eval, themes -------------------------------------------------




class TagFormat(StrEnum):
    """Output formats of the tagging commands."""
    text = "text"
    json = "json"


def _load_codebook_or_exit(path: Path | None) -> Codebook:
    """The codebook to tag with; a bad file prints one line and exits 2."""
    try:
        return load_codebook(path)
    except CodebookError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None


@app.command("eval")
def eval_command(
    gold: Annotated[Path, typer.Option("--gold", help="Gold findings file (JSON Lines).")],
    codebook: Annotated[
        Path | None,
        typer.Option("--codebook", help="Codebook TOML adding or replacing themes."),
    ] = None,
    min_f1: Annotated[
        float | None,
        typer.Option("--min-f1", min=0.0, max=1.0, help="Exit 1 if theme micro-F1 is below this."),
    ] = None,
    fmt: Annotated[TagFormat, typer.Option("--format", help="Output format.")] = TagFormat.text,
) -> None:
    """Score theme, polarity and agency tagging against hand-labelled findings."""
    from .evaluate import GoldError, evaluate
    from .tag import Tagger

    book = _load_codebook_or_exit(codebook)
    try:
        result = evaluate(gold, tagger=Tagger(book))
    except (GoldError, CodebookError) as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    if fmt is TagFormat.json:
        _print_json(result.to_dict())
    else:
        rows = [
            [row.theme, str(row.support), str(row.predicted), f"{row.precision:.3f}",
             f"{row.recall:.3f}", f"{row.f1:.3f}", f"{row.kappa:.3f}"]
            for row in result.themes if row.support or row.predicted
        ]
        _print_rows(["theme", "support", "predicted", "precision", "recall", "F1", "kappa"],
                    rows, title=f"Theme tagging against {gold}")
        summary = result.summary()
        out.print(
            f"findings {summary['findings']} (matched {summary['matched']})\n"
            f"theme micro-F1 {result.micro_f1:.3f} (precision {result.micro_precision:.3f}, "
            f"recall {result.micro_recall:.3f}); macro-F1 {result.macro_f1:.3f}\n"
            f"polarity accuracy {result.polarity_accuracy:.3f}\n"
            f"agency micro-F1 {result.agency_micro_f1:.3f} "
            f"(precision {result.agency_precision:.3f}, recall {result.agency_recall:.3f})",
            markup=False,
        )
        confusion = result.polarity_confusion()
        _print_rows(["gold \\ predicted", *confusion.columns],
                    [[str(gold), *map(str, row)] for gold, row in confusion.iterrows()],
                    title="Polarity: gold (rows) against predicted (columns)")
    if min_f1 is not None and result.micro_f1 < min_f1:
        err.print(f"theme micro-F1 {result.micro_f1:.3f} is below the minimum {min_f1:.3f}",
                  markup=False)
        raise typer.Exit(1)


@app.command("themes")
def themes_command(
    target: Annotated[str, typer.Argument(help="A report id or an area name.")],
    db: DbOption = DEFAULT_DB,
    fmt: Annotated[TagFormat, typer.Option("--format", help="Output format.")] = TagFormat.text,
    context: Annotated[
        int, typer.Option("--context", min=0, max=30, help="Words shown each side of a match.")
    ] = 5,
) -> None:
    """Show a report's (or an area's reports') findings by theme, each hit in context."""
    from .tag import select_reports, theme_hits, theme_summary

    if not db.exists():
        err.print(f"error: {db}: no such database (run `jtai extract` first)", markup=False)
        raise typer.Exit(2)
    with Store(db) as store:
        chosen = select_reports(store.reports(), target)
    if not chosen:
        err.print(f"error: no report or area named {target!r} in {db}", markup=False)
        raise typer.Exit(2)
    hits = theme_hits(chosen, context_words=context)
    summary = theme_summary(hits, load_codebook().ids)
    if fmt is TagFormat.json:
        payload = {
            "reports": [r.id for r in sorted(chosen, key=lambda r: r.id)],
            "themes": summary.to_dict(orient="records"),
            "hits": [asdict(h) for h in hits],
        }
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    title = f"Themes in {', '.join(sorted(r.id for r in chosen))}"
    groups = [
        (row, [h for h in hits if h.theme == row.theme and h.polarity == row.polarity])
        for row in summary.itertuples(index=False)
    ]
    if not out.is_terminal:  # plain lines for pipes and files: one per hit, no wrapping
        lines = [title]
        for row, group in groups:
            lines.append(f"{row.theme}  {row.polarity}  {row.findings}")
            lines += [printable(f"    {h.left}\u00ab{h.match}\u00bb{h.right}")
                      + f" ({h.report} #{h.finding + 1})" for h in group]
        out.file.write("".join(line + "\n" for line in lines))
        return
    table = Table(title=title, show_lines=True)
    table.add_column("theme")
    table.add_column("polarity")
    table.add_column("findings", justify="right")
    table.add_column("hits in context")
    for row, group in groups:
        shown = [
            escape(h.left)
            + (f"[bold reverse]{escape(h.match)}[/]" if not out.no_color
               else f"\u00ab{escape(h.match)}\u00bb")
            + escape(h.right)
            + f" [dim]({escape(h.report)} #{h.finding + 1})[/]"
            for h in group
        ]
        table.add_row(row.theme, row.polarity, str(row.findings), "\n".join(shown))
    out.print(table)


# -- the database: compare, table, search, show, list ------------------------

FormatOption = Annotated[
    str, typer.Option("--format", "-f", help="text (a table on a terminal), or json.")
]
AreaFilter = Annotated[str | None, typer.Option("--area", help="Only this area (fuzzy).")]
TypeFilter = Annotated[
    str | None, typer.Option("--type", help="Only this inspection type (jtai, ilacs, sif...).")
]
SinceFilter = Annotated[
    str | None, typer.Option("--since", help="Only reports from this year or date on.")
]


def _query_failure(exc: Exception) -> typer.Exit:
    """One line on stderr: a bad query or unknown area is wrong usage (2), a bad file is 1."""
    err.print(f"error: {exc}", markup=False)
    return typer.Exit(1 if isinstance(exc, StoreError) else 2)


def _open_db(db: Path) -> Database:
    """The query database at ``db``; a missing or unusable file exits with one line."""
    if not db.exists():
        err.print(f"error: {db}: no such database (run `jtai extract` first, or pass --db)",
                  markup=False)
        raise typer.Exit(2)
    try:
        return open_db(db)
    except StoreError as exc:
        raise _query_failure(exc) from None


@contextmanager
def _database(db: Path, *errors: type[Exception]) -> Iterator[Database]:
    """The database for one command, closed after it. A query error (or one of
    ``errors``) becomes one line on stderr and the exit code of :func:`_query_failure`."""
    database = _open_db(db)
    caught: tuple[type[Exception], ...] = (QueryError, *errors)
    try:
        yield database
    except caught as exc:
        raise _query_failure(exc) from None
    finally:
        database.close()


def _check_format(fmt: str, allowed: tuple[str, ...]) -> str:
    """``fmt`` when it is one of ``allowed``; otherwise one line and exit 2."""
    if fmt not in allowed:
        err.print(f"error: unknown format {fmt!r} (use {', '.join(allowed)})", markup=False)
        raise typer.Exit(2)
    return fmt


def _check_choice(value: str | None, choices: list[str], what: str) -> str | None:
    """An option value from a known list, typos resolved fuzzily; exits 2 when unclear."""
    if value is None:
        return None
    try:
        return resolve_name(value, sorted(set(choices)), what=what)
    except QueryError as exc:
        raise _query_failure(exc) from None


def _known_themes(database: Database) -> list[str]:
    """Themes a --theme may name: those stored, and the codebook's."""
    ids = [r[0] for r in database.conn.execute("SELECT DISTINCT theme FROM finding_themes")]
    return ids + [t.id for t in load_codebook().themes]


def _filters(database: Database, type_: str | None, section: str | None = None,
             theme: str | None = None) -> tuple[str | None, str | None, str | None]:
    """--type, --section and --theme resolved like areas (typos forgiven, else exit 2)."""
    return (
        _check_choice(type_, list(INSPECTION_TYPES), "inspection type"),
        _check_choice(section, list(SECTION_KINDS), "section kind"),
        # the codebook loads spaCy's pattern checks: only when a theme is asked for
        _check_choice(theme, _known_themes(database), "theme") if theme else None,
    )


def _txt(value: object) -> str:
    """A DataFrame cell as text: missing values (None, NaN, NA) are empty."""
    from .tables import cell_text  # pandas is loaded by then: the value comes from a frame

    return cell_text(value)


def _print_rows(columns: list[str], rows: list[list[str]], title: str | None = None) -> None:
    """A rich table on a terminal; tab-separated lines (header first) when piped."""
    if out.is_terminal:
        table = Table(*columns, title=title, title_justify="left", header_style="bold")
        for row in rows:
            table.add_row(*row)
        out.print(table)
        return
    lines = [title] if title else []
    lines += ["\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row)
              for row in [columns, *rows]]
    out.file.write("".join(line + "\n" for line in lines))  # rich would expand the tabs


def _print_json(payload: object) -> None:
    """Indented JSON on stdout, non-ASCII kept as is (report text is English with symbols)."""
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


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
    from . import tables

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
    raw: Annotated[bool, typer.Option("--raw", help="Pass the query to SQLite FTS5 as written.")
                   ] = False,
    db: DbOption = DEFAULT_DB,
    fmt: FormatOption = "text",
) -> None:
    """Full-text search over findings, best match first, with the hit highlighted."""
    _check_format(fmt, ("text", "json"))
    with _database(db) as database:
        type_, section, theme = _filters(database, type_, section, theme)
        hits = database.search(query, area=area, type=type_, since=since, section=section,
                               theme=theme, limit=limit, raw=raw)
    if fmt == "json":
        records = hits.to_dict(orient="records")
        for record in records:
            record["hits"] = [list(h) for h in record["hits"]]
            record["themes"] = list(record["themes"])
        _print_json(records)
        return
    if hits.empty:
        err.print(f"no findings match {query!r}", markup=False)
        return
    for number, hit in enumerate(hits.itertuples(index=False), start=1):
        out.print(f"{number}. {hit.report_id} \u00b7 {hit.section_heading} "
                  f"({hit.section_kind}) \u00b7 score {hit.score:.2f}"
                  + (f" \u00b7 {', '.join(hit.themes)}" if hit.themes else ""),
                  style="bold", markup=False)
        text = Text("   ")
        cursor = 0
        for start, end in hit.hits:
            text.append(hit.text[cursor:start])
            if out.is_terminal:
                text.append(hit.text[start:end], style="bold reverse")
            else:
                text.append(f"**{hit.text[start:end]}**")
            cursor = end
        text.append(hit.text[cursor:])
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
            area = database.resolve_area(target)
            listing = database.reports(area=area)
            report_id = str(listing.iloc[-1]["report_id"])
        record = database.report(report_id)
    assert record is not None
    if fmt == "json":
        _print_json(to_dict(record))
        return
    if listing is not None and len(listing) > 1:
        _print_rows(["report", "type", "date"],
                    [[_txt(r.report_id), _txt(r.inspection_type), _txt(r.date)]
                     for r in listing.itertuples(index=False)],
                    title=f"{len(listing)} reports for {listing.iloc[0]['area']}; "
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
    """List stored reports: id, area, type, date, pages and number of findings."""
    _check_format(fmt, ("text", "json"))
    with _database(db) as database:
        type_, _, _ = _filters(database, type_)
        frame = database.reports(area=area, type=type_, since=since)
    columns = ["report_id", "area", "inspection_type", "date", "pages", "findings"]
    if fmt == "json":
        _print_json([{c: (_txt(v) or None) if c in ("date",) else
                      (v.item() if hasattr(v, "item") else v)
                      for c, v in zip(columns, row, strict=True)}
                     for row in frame[columns].itertuples(index=False)])
        return
    _print_rows(["id", "area", "type", "date", "pages", "findings"],
                [[_txt(v) for v in row] for row in frame[columns].itertuples(index=False)])


# -- outputs for people and other tools: report, export ---------------------


def _render_failure(exc: Exception) -> typer.Exit:
    """One line on stderr; unknown areas are usage errors (2), anything else failed input (1)."""
    from .render import UnknownAreaError

    err.print(f"error: {exc}", markup=False)
    return typer.Exit(2 if isinstance(exc, UnknownAreaError) else 1)


@app.command()
def report(
    areas: Annotated[
        list[str] | None, typer.Argument(help="Areas to show (all when none); one area shows "
                                              "its inspections across the years.")
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")] = Path(
        "report.html"
    ),
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="html (the full report), or png/svg for the heatmap "
                                            "alone; default from the output suffix."),
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Write a self-contained HTML report (heatmap, findings, metadata) or a heatmap image."""
    from . import render

    chosen = (fmt or output.suffix.lstrip(".") or "html").lower()
    if chosen not in ("html", "png", "svg"):
        err.print(f"error: unknown format {chosen!r} (use html, png or svg)", markup=False)
        raise typer.Exit(2)
    try:
        corpus = render.load_corpus(db, areas or [])
        render.write_report(corpus, output, chosen)
    except (render.RenderError, OSError) as exc:
        raise _render_failure(exc) from None
    err.print(f"wrote {output} ({len(corpus.reports)} report(s))", markup=False)


@app.command("export")
def export_cmd(
    fmt: Annotated[str, typer.Option("--format", "-f", help="xlsx, qdpx or qdc.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    areas: Annotated[
        list[str] | None, typer.Argument(help="Areas to export (all when none).")
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Export for other tools: an Excel workbook, a REFI-QDA project (qdpx) or codebook (qdc)."""
    from . import export as export_mod
    from .render import RenderError

    if fmt.lower() not in export_mod.FORMATS:
        err.print(f"error: unknown format {fmt!r} (use {', '.join(export_mod.FORMATS)})",
                  markup=False)
        raise typer.Exit(2)
    try:
        export_mod.export(db, output, fmt.lower(), areas or [])
    except (RenderError, OSError) as exc:
        raise _render_failure(exc) from None
    err.print(f"wrote {output}", markup=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
