"""The national grades summary, from a real SQLite database and from the real corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SHARED
from fixtures.graded_reports import graded_db
from jtai_tools import grades
from jtai_tools.query import open_db
from jtai_tools.store import Store


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return graded_db(tmp_path / "jtai.db")


def test_one_row_per_area_with_a_graded_inspection_its_latest(db: Path) -> None:
    with open_db(db) as database:
        rows = grades.grades(database)
    assert [r.area for r in rows] == ["lewisham", "sutton"]  # surrey has only a JTAI
    lewisham, sutton = rows
    assert sutton.report_id == "sutton-2021-12-10-ilacs"
    assert (sutton.framework, sutton.published) == ("ILACS 2018", None)
    assert (sutton.fieldwork_start, sutton.fieldwork_end) == ("2021-12-06", "2021-12-10")
    assert sutton.lead_inspector == "Jane Doe, His Majesty’s Inspector"
    assert sutton.region == "London"
    assert sutton.judgements == {"overall_effectiveness": "good", "help_and_protection": "good",
                                 "children_in_care_and_care_leavers": "good",
                                 "leaders": "outstanding"}
    # the 2023 framework judges children in care and care leavers apart
    assert lewisham.framework == "ILACS 2023"
    assert lewisham.judgements["children_in_care"] == "good"
    assert lewisham.judgements["care_leavers"] == "outstanding"


def test_history_lists_earlier_inspections_newest_first(db: Path) -> None:
    with open_db(db) as database:
        rows = grades.grades(database, area="suton", history=True)
    assert [(r.report_id, r.latest) for r in rows] == [
        ("sutton-2021-12-10-ilacs", True), ("sutton-2017-02-13-sif", False)]
    sif = rows[1]
    assert sif.framework == "SIF 2013" and sif.published == "2017-02-13"
    # SIF's names for a judgement land in the same columns as ILACS's
    assert sif.judgements["children_in_care"] == "requires improvement"
    assert sif.judgements["leaders"] == "inadequate"
    assert sif.judgements["lscb"] == "requires improvement"
    frame = grades.grades_frame(rows, history=True)
    assert list(frame.columns) == grades.columns(history=True)
    assert list(frame["latest"]) == [True, False]


def test_framework_by_the_start_of_fieldwork() -> None:
    assert grades.framework_of("ilacs", "2022-12-31") == "ILACS 2018"
    assert grades.framework_of("ilacs", "2023-01-16") == "ILACS 2023"
    assert grades.framework_of("sif", "2014-06-03") == "SIF 2013"
    assert grades.framework_of("jtai", "2023-01-16") is None
    assert grades.framework_of("ilacs", None) is None




@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="needs ../shared/corpus")
def test_every_graded_area_of_the_corpus_has_one_row(tmp_path: Path) -> None:
    """On the sample corpus's text reports: one row per area with an ILACS or SIF report."""
    from jtai_tools.extract import extract_file

    texts = sorted((SHARED / "reports" / "text").iterdir())
    db = tmp_path / "corpus.db"
    with Store(db) as store:
        for path in texts:
            store.save(extract_file(path))
    with open_db(db) as database:
        rows = grades.grades(database)
        graded_areas = {r["area"] for r in database.report_rows()
                        if r["inspection_type"] in ("ilacs", "sif")}
    assert sorted(r.area for r in rows) == sorted(graded_areas) and rows
    assert all(r.framework and r.judgements.get("overall_effectiveness") for r in rows)
