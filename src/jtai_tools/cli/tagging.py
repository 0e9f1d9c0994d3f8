"""`jtai eval`, `jtai train` and `jtai themes`: scoring, training and reading back the tags."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..codebook import load_codebook
from ..errors import JtaiError
from ..read import printable
from ..store import DEFAULT_DB

if TYPE_CHECKING:
    from ..evaluate import EvalResult

from .common import (
    DbOption,
    ModelOption,
    TagFormat,
    _database,
    _load_codebook_or_exit,
    _print_json,
    _print_rows,
    _say,
    _tagger_or_exit,
    app,
    out,
)


@app.command("eval")
def eval_command(
    gold: Annotated[
        Path | None, typer.Option("--gold", help="Gold findings file (JSON Lines).")
    ] = None,
    cv: Annotated[
        Path | None,
        typer.Option("--cv", help="Labelled findings (JSON Lines): train and score by "
                     "cross-validation grouped by report, instead of --gold."),
    ] = None,
    folds: Annotated[int | None, typer.Option("--folds", min=2, help="Folds for --cv.")] = None,
    codebook: Annotated[
        Path | None,
        typer.Option("--codebook", help="Codebook TOML adding or replacing themes."),
    ] = None,
    model: ModelOption = None,
    rules: Annotated[
        bool, typer.Option("--rules", help="Score the codebook rules alone, without a model.")
    ] = False,
    min_f1: Annotated[
        float | None,
        typer.Option("--min-f1", min=0.0, max=1.0, help="Exit 1 if theme micro-F1 is below this."),
    ] = None,
    min_polarity: Annotated[
        float | None,
        typer.Option("--min-polarity", min=0.0, max=1.0,
                     help="Exit 1 if polarity accuracy is below this."),
    ] = None,
    fmt: Annotated[TagFormat, typer.Option("--format", help="Output format.")] = TagFormat.text,
) -> None:
    """Score theme, polarity and agency tagging against hand-labelled findings.

    With --gold, the tagger (the shipped model, --model, or --rules) is scored
    on a gold file. With --cv, models are trained on the labels of all reports
    but one fold's and scored on that fold's, so every figure is on reports
    the model never saw; narrative sentences and list items are scored apart.
    """
    from ..evaluate import evaluate

    if (gold is None) == (cv is None):
        _say("error", "give one of --gold FILE or --cv FILE")
        raise typer.Exit(2)
    results: list[tuple[str, EvalResult]] = []
    try:
        if cv is not None:
            from ..train import cross_validate

            book = _load_codebook_or_exit(codebook)
            outcome = cross_validate(cv, book, folds=folds)
            title = (f"{cv}, {outcome.folds}-fold cross-validation by report"
                     f" ({outcome.reports} reports)")
            results = [(f"all findings: {title}", outcome.overall),
                       (f"narrative sentences: {title}", outcome.narrative),
                       (f"list items: {title}", outcome.list_items)]
        else:
            assert gold is not None
            tagger = _tagger_or_exit(codebook, model, rules_only=rules)
            results = [(f"Theme tagging against {gold}", evaluate(gold, tagger=tagger))]
    except JtaiError as exc:
        _say("error", exc)
        raise typer.Exit(exc.exit_code) from None
    if fmt is TagFormat.json:
        payload = {name: result.to_dict() for name, result in results}
        _print_json(payload if cv is not None else results[0][1].to_dict())
    else:
        for title, result in results:
            _print_eval(title, result)
    headline = results[0][1]
    failed = False
    if min_f1 is not None and headline.micro_f1 < min_f1:
        _say("", f"theme micro-F1 {headline.micro_f1:.3f} is below the minimum {min_f1:.3f}")
        failed = True
    if min_polarity is not None and headline.polarity_accuracy < min_polarity:
        _say("", f"polarity accuracy {headline.polarity_accuracy:.3f} is below the minimum"
                 f" {min_polarity:.3f}")
        failed = True
    if failed:
        raise typer.Exit(1)


def _print_eval(title: str, result: EvalResult) -> None:
    """One scoring's per-theme table, headline figures and polarity confusion matrix."""
    rows = [
        [row.theme, str(row.support), str(row.predicted), f"{row.precision:.3f}",
         f"{row.recall:.3f}", f"{row.f1:.3f}", f"{row.kappa:.3f}"]
        for row in result.themes if row.support or row.predicted
    ]
    _print_rows(["theme", "support", "predicted", "precision", "recall", "F1", "kappa"],
                rows, title=title)
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


@app.command("train")
def train_command(
    labels: Annotated[
        Path, typer.Option("--labels", help="Labelled findings (JSON Lines, the gold format).")
    ] = Path("labels/findings.jsonl"),
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Model directory to write.")
    ] = Path("model"),
    codebook: Annotated[
        Path | None,
        typer.Option("--codebook", help="Codebook TOML adding or replacing themes."),
    ] = None,
) -> None:
    """Train the tagger's model on labelled findings; the same labels give the same bytes."""
    from ..train import train

    book = _load_codebook_or_exit(codebook)
    try:
        model = train(labels, book)
        model.save(output)
    except JtaiError as exc:
        _say("error", exc)
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:
        _say("error", f"{output}: cannot write the model ({exc.strerror or exc})")
        raise typer.Exit(1) from None
    info = model.info
    _say("", f"{output}: model trained on {info['findings']} findings from {info['reports']}"
             f" reports ({len(model.features)} features)")


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
    from ..query import Filters, resolve_target
    from ..tag import theme_hits, theme_summary

    with _database(db) as database:
        resolved = resolve_target(database, target)
        ids = [resolved.report_id] if resolved.report_id else [
            r.id for r in database.report_refs(Filters(resolved.area))]
        chosen = database.load_reports(ids)
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


