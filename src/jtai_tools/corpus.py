"""The reports chosen for an output (an HTML report, a workbook, a QDA project) and their findings.

The HTML renderer and the exporters read the same selection of a database:
the reports of some areas, oldest first, their findings as a DataFrame and
the codebook's theme labels. It lives here, apart from both, so that an
export does not depend on the HTML renderer for its data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .codebook import CodebookError, load_codebook
from .errors import JtaiError, UsageError
from .models import Report
from .query import AreaError, open_db
from .store import load_reports

if TYPE_CHECKING:
    import pandas as pd

    from .compare import ReportComparison


class CorpusError(JtaiError):
    """A database that cannot give a selection (missing, empty): one line for the user."""


class UnknownAreaError(CorpusError, UsageError):
    """An area the database does not hold (wrong usage: exit 2)."""


@dataclass(slots=True)
class Corpus:
    """The reports chosen for an output and their findings, one row a finding."""

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


def report_date(report: Report) -> str | None:
    """The date a report sorts and is labelled by: printed, else the end (or start) of fieldwork.

    This is the report's sortable date (:func:`jtai_tools.models.sortable_date`).
    """
    return report.sort_date


def chronological_key(report: Report) -> tuple[bool, str, str]:
    """Oldest first by :func:`report_date`, undated last, then id."""
    when = report_date(report) or ""
    return (not when, when, report.id)


def load_corpus(db: str | Path, areas: Sequence[str] = ()) -> Corpus:
    """The stored reports of ``areas`` (all when empty) with their findings and theme labels.

    Areas are matched as ``jtai`` matches them everywhere (case and spelling
    forgiven, see :func:`jtai_tools.query.resolve_name`) and keep the order
    they were named in; each area's reports run oldest first.
    """
    database = open_db(db)  # a missing or unusable database is a StoreError (exit 2)
    with database:
        try:
            names = list(dict.fromkeys(database.resolve_area(a) for a in areas))
        except AreaError as exc:
            raise UnknownAreaError(str(exc)) from None
        names = names or database.areas()
        if not names:
            raise CorpusError(f"{db}: the database holds no reports")
        ids = list(database.reports(area=names)["report_id"])
        # one read for all reports (not one per report); every report when none are named
        loaded = load_reports(database.conn, ids if areas else None)
        order = {name: i for i, name in enumerate(names)}
        reports = sorted(loaded, key=lambda r: (order[r.area.name], *chronological_key(r)))
        findings = database.findings(area=names)
    return Corpus(reports, findings, theme_labels(), names, Path(db))
