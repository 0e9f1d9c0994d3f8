"""The national grades summary, from a real SQLite database and from the real corpus."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from conftest import SHARED
from jtai_tools import grades
from jtai_tools.cli import app
from jtai_tools.models import Area, Fieldwork, Report, Source
from jtai_tools.query import open_db
from jtai_tools.store import Store


def graded(area: str, kind: str, start: str, end: str, published: str | None,
           judgements: dict[str, str], lead: str | None = None) -> Report:
    """A report with only what the summary reads: who, what, when and the grades."""
    return Report(
        id=f"{area}-{published or end}-{kind}", source=Source(f"{area}-{end}.pdf", area + end,
                                                               "pdf", 20),
        area=Area(area, None), inspection_type=kind, date=published,
        fieldwork=Fieldwork(start, end), inspectorates=["Ofsted"], jtai_focus=None,
        judgements=judgements, sections=[], findings=[], lead_inspector=lead,
    )


SIF = {"overall_effectiveness": "inadequate", "help_and_protection": "inadequate",
       "children_looked_after": "requires improvement", "care_leavers": "inadequate",
       "leadership_management_governance": "inadequate", "adoption_performance": "good",
       "lscb": "requires improvement"}
ILACS_2018 = {"overall_effectiveness": "good", "help_and_protection": "good",
              "children_in_care_and_care_leavers": "good", "impact_of_leaders": "outstanding"}
ILACS_2023 = {"overall_effectiveness": "good", "help_and_protection": "requires improvement",
              "children_in_care": "good", "care_leavers": "outstanding",
              "impact_of_leaders": "good"}


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "jtai.db"
    with Store(path) as store:
        for report in (
            graded("sutton", "sif", "2016-11-07", "2016-12-01", "2017-02-13", SIF),
            graded("sutton", "ilacs", "2021-12-06", "2021-12-10", None, ILACS_2018,
                   "Jane Doe, His Majesty’s Inspector"),
            graded("lewisham", "ilacs", "2023-12-04", "2023-12-15", None, ILACS_2023,
                   "Sam Smith"),
            graded("surrey", "jtai", "2023-05-02", "2023-05-02", "2023-05-02", {}),
        ):
            store.save(report)
    return path


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


def test_cli_formats_and_check(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    csv = runner.invoke(app, ["grades", "--db", str(db), "-f", "csv"])
    assert csv.exit_code == 0, csv.output
    lines = csv.stdout.splitlines()
    assert lines[0].split(",")[:3] == ["area", "region", "report_id"]
    assert [line.split(",")[0] for line in lines[1:]] == ["lewisham", "sutton"]
    as_json = json.loads(runner.invoke(app, ["grades", "--db", str(db), "-f", "json"]).stdout)
    assert [r["lead_inspector"] for r in as_json["rows"]] == [
        "Sam Smith", "Jane Doe, His Majesty’s Inspector"]
    md = tmp_path / "grades.md"
    assert runner.invoke(app, ["grades", "--db", str(db), "-o", str(md)]).exit_code == 0
    assert md.read_text("utf-8").startswith("| area | region |")
    fresh = runner.invoke(app, ["grades", "--db", str(db), "-o", str(md), "--check"])
    assert fresh.exit_code == 0 and "up to date" in fresh.output
    md.write_text(md.read_text("utf-8").replace("outstanding", "good"), "utf-8")
    stale = runner.invoke(app, ["grades", "--db", str(db), "-o", str(md), "--check"])
    assert stale.exit_code == 1 and "+| sutton" in stale.stdout
    # the workbook is the same bytes for the same database, so --check works on it too
    book = tmp_path / "grades.xlsx"
    assert runner.invoke(app, ["grades", "--db", str(db), "--history", "-o", str(book)]
                         ).exit_code == 0
    sheet = load_workbook(io.BytesIO(book.read_bytes()))["grades"]
    assert sheet.max_row == 4 and sheet["A1"].value == "area"
    again = runner.invoke(app, ["grades", "--db", str(db), "--history", "-o", str(book),
                                "--check"])
    assert again.exit_code == 0, again.output
    bad = runner.invoke(app, ["grades", "--db", str(db), "-o", str(tmp_path / "g.pdf")])
    assert bad.exit_code == 2 and "suffix" in bad.output


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
