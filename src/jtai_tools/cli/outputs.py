"""`jtai report` and `jtai export`: pages for people and files for other tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import JtaiError
from ..store import DEFAULT_DB
from .common import (
    DbOption,
    app,
    err,
)

# -- outputs for people and other tools: report, export ---------------------


def _render_failure(exc: Exception) -> typer.Exit:
    """One line on stderr; unknown areas are usage errors (2), anything else failed input (1)."""
    err.print(f"error: {exc}", markup=False)
    return typer.Exit(exc.exit_code if isinstance(exc, JtaiError) else 1)


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
    from .. import render

    chosen = (fmt or output.suffix.lstrip(".") or "html").lower()
    if chosen not in ("html", "png", "svg"):
        err.print(f"error: unknown format {chosen!r} (use html, png or svg)", markup=False)
        raise typer.Exit(2)
    try:
        corpus = render.load_corpus(db, areas or [])
        written = render.write_report(corpus, output, chosen)
    except (JtaiError, OSError) as exc:
        raise _render_failure(exc) from None
    pages = (f"; one page per area in {written[1].parent} ({len(written) - 1} pages)"
             if len(written) > 1 else "")
    err.print(f"wrote {output} ({len(corpus.reports)} report(s)){pages}", markup=False)


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
    from .. import export as export_mod

    if fmt.lower() not in export_mod.FORMATS:
        err.print(f"error: unknown format {fmt!r} (use {', '.join(export_mod.FORMATS)})",
                  markup=False)
        raise typer.Exit(2)
    try:
        export_mod.export(db, output, fmt.lower(), areas or [])
    except (JtaiError, OSError) as exc:
        raise _render_failure(exc) from None
    err.print(f"wrote {output}", markup=False)


