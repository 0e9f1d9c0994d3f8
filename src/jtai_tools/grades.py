"""A national grades summary: per area its latest graded inspection (ILACS or SIF) and judgements.

This is the table local authorities build by hand from Ofsted's site: for
each area, the latest ILACS (or, before 2018, SIF) judgements, the inspection
type and framework, the fieldwork dates, the publication date, the lead
inspector and the region, with the earlier graded inspections on request::

    from jtai_tools.grades import grades, grades_frame
    from jtai_tools.query import open_db
    with open_db("jtai.db") as db:
        rows = grades(db)                      # one row per area
        frame = grades_frame(grades(db, history=True))

Which frameworks there are, and how each names its judgements, lives in
``data/grades.toml``. Rows are plain dataclasses so the command prints them
without importing pandas; :func:`grades_frame` makes the DataFrame a notebook
or a file format wants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .areas import facts_for
from .query import Database
from .vocab import read_toml

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, slots=True)
class Framework:
    """One inspection framework of a graded type, in force from a date."""

    type: str
    name: str
    start: str


@dataclass(frozen=True, slots=True)
class GradesVocabulary:
    """``data/grades.toml``: the frameworks, and each column's judgement names."""

    frameworks: tuple[Framework, ...]
    #: column → the judgement keys (of any framework) that fill it
    judgements: dict[str, tuple[str, ...]]

    @property
    def types(self) -> tuple[str, ...]:
        """The graded inspection types, in the file's order."""
        return tuple(dict.fromkeys(f.type for f in self.frameworks))


@lru_cache(maxsize=1)
def vocabulary() -> GradesVocabulary:
    """The graded types, frameworks and judgement columns (read once per process)."""
    data = read_toml("grades.toml")
    frameworks = tuple(sorted((Framework(f["type"], f["name"], f["from"])
                               for f in data["framework"]), key=lambda f: (f.type, f.start)))
    return GradesVocabulary(frameworks, {j["column"]: tuple(j["keys"])
                                         for j in data["judgement"]})


@dataclass(frozen=True, slots=True)
class GradeRow:
    """One graded inspection of one area: what the summary prints a line for."""

    area: str
    region: str | None
    report_id: str
    inspection_type: str
    framework: str | None
    fieldwork_start: str | None
    fieldwork_end: str | None
    published: str | None
    lead_inspector: str | None
    #: judgement column → grade ("good", "requires improvement to be good"...)
    judgements: dict[str, str] = field(default_factory=dict)
    #: True for an area's latest graded inspection
    latest: bool = True

    def record(self) -> dict[str, Any]:
        """The row flat, one key a column (:func:`columns` with history), missing values None."""
        flat = {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ("judgements", "latest")}
        flat.update({c: self.judgements.get(c) for c in vocabulary().judgements})
        flat["latest"] = self.latest
        return flat


def columns(history: bool = False) -> list[str]:
    """The summary's columns, in order; ``latest`` only when earlier inspections are listed."""
    names = [f.name for f in fields(GradeRow) if f.name not in ("judgements", "latest")]
    return [*names, *vocabulary().judgements, *(["latest"] if history else [])]


def framework_of(inspection_type: str, started: str | None) -> str | None:
    """The framework a graded inspection was made under, from when its fieldwork began."""
    if not started:
        return None
    chosen = None
    for framework in vocabulary().frameworks:
        if framework.type == inspection_type and framework.start <= started:
            chosen = framework.name
    return chosen


def judgement_columns(judgements: dict[str, str]) -> dict[str, str]:
    """A report's judgements under the summary's column names."""
    out = {}
    for column, keys in vocabulary().judgements.items():
        for key in keys:
            if judgements.get(key):
                out[column] = judgements[key]
                break
    return out


def _row(stored: dict[str, Any], latest: bool) -> GradeRow:
    facts = facts_for(stored["area"])
    started = stored["fieldwork_start"] or stored["sort_date"]
    return GradeRow(
        area=stored["area"],
        region=facts.region if facts else None,
        report_id=stored["report_id"],
        inspection_type=stored["inspection_type"],
        framework=framework_of(stored["inspection_type"], started),
        fieldwork_start=stored["fieldwork_start"],
        fieldwork_end=stored["fieldwork_end"],
        published=stored["date"],
        lead_inspector=stored["lead_inspector"],
        judgements=judgement_columns(stored["judgements"]),
        latest=latest,
    )


def grades(db: Database, area: str | Sequence[str] | None = None,
           history: bool = False) -> list[GradeRow]:
    """One row per area with a graded inspection: its latest; every one with ``history``.

    Areas run alphabetically, each area's inspections newest first. ``area``
    is matched as everywhere in jtai (typos forgiven).
    """
    rows: list[GradeRow] = []
    seen: set[str] = set()
    for stored in db.graded_reports(vocabulary().types, area=area):
        latest = stored["area"] not in seen
        seen.add(stored["area"])
        if latest or history:
            rows.append(_row(stored, latest))
    return rows


def grades_frame(rows: Sequence[GradeRow], history: bool = False) -> pd.DataFrame:
    """The rows as a DataFrame with the columns of :func:`columns`."""
    import pandas as pd

    return pd.DataFrame([r.record() for r in rows], columns=columns(history))
