"""Theme tables: SQL aggregation, deterministic renderings, CSV safety and ``--check``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from fixtures.store_reports import SURREY_2023, build_report, sample_reports
from jtai_tools import tables
from jtai_tools.models import Fieldwork
from jtai_tools.query import open_db
from jtai_tools.store import Store


def _python_counts(by_key: str) -> dict[tuple[str, str], dict[str, int]]:
    """The same counts computed the slow way, from the Report objects."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for report in sample_reports():
        key = {"area": report.area.name, "type": report.inspection_type}[by_key]
        for finding in report.findings:
            for theme in finding.themes:
                cell = counts.setdefault((key, theme), {"findings": 0, "concern": 0})
                cell["findings"] += 1
                cell["concern"] += finding.polarity == "concern"
    return counts


@pytest.mark.parametrize(("by", "column"), [("area", "area"), ("type", "inspection_type")])
def test_table_counts_match_the_reports(sample_db: Path, by: str, column: str) -> None:
    with open_db(sample_db) as db:
        frame = db.theme_table(by=by)
    expected = _python_counts(by)
    got = {(r[column], r.theme): {"findings": r.findings, "concern": r.concern}
           for _, r in frame.iterrows()}
    assert got == expected
    assert (frame.findings == frame[["concern", "strength", "mixed", "neutral"]].sum(axis=1)).all()


def test_share_is_reports_raising_the_theme_over_reports_in_group(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        frame = db.theme_table(by="area")
    row = frame[(frame.area == "sutton") & (frame.theme == "supervision")].iloc[0]
    assert (row.reports, row.group_reports, row.share) == (2, 2, 1.0)
    row = frame[(frame.area == "sutton") & (frame.theme == "care-leavers")].iloc[0]
    assert (row.reports, row.group_reports, row.share) == (1, 2, 0.5)


def test_polarity_filter_keeps_only_that_polarity(sample_db: Path) -> None:
    with open_db(sample_db) as db:
        frame = db.theme_table(by="area-year", polarity="strength")
    assert list(frame.columns) == ["area", "year", "theme", "findings", "strength", "reports",
                                   "group_reports", "share"]
    assert set(zip(frame.area, frame.year, frame.theme, strict=True)) == {
        ("lewisham", 2023, "supervision"), ("lewisham", 2023, "voice-of-child"),
        ("sutton", 2017, "supervision"), ("sutton", 2023, "education"),
        ("sutton", 2023, "front-door")}


def test_rows_are_sorted_and_rendering_is_stable_across_save_order(tmp_path: Path) -> None:
    outputs = []
    for order in (sample_reports(), list(reversed(sample_reports()))):
        path = tmp_path / f"{len(outputs)}.db"
        with Store(path) as store:
            for report in order:
                store.save(report)
        with open_db(path) as db:
            frame = db.theme_table(by="area-year")
        outputs.append([tables.render(frame, fmt) for fmt in tables.FORMATS])
    assert outputs[0] == outputs[1]
    csv_text = outputs[0][0]
    assert "\r" not in csv_text and csv_text.endswith("\n")
    rows = list(csv.reader(io.StringIO(csv_text)))
    keys = [(r[0], r[1], r[2]) for r in rows[1:]]
    assert keys == sorted(keys)
    assert all(r[-1].count(".") == 1 and len(r[-1].split(".")[1]) == 3 for r in rows[1:])


@pytest.mark.parametrize("dangerous", ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx"])
def test_csv_neutralises_formula_cells(dangerous: str) -> None:
    frame = pd.DataFrame({"area": [dangerous], "theme": ["ok"]})
    rows = list(csv.reader(io.StringIO(tables.render_csv(frame), newline="")))
    assert rows[1] == ["'" + dangerous, "ok"]


def test_markdown_and_json_renderings() -> None:
    frame = pd.DataFrame({"area": ["a|b"], "theme": ["x"], "findings": [3], "share": [0.5]})
    md = tables.render_markdown(frame).splitlines()
    assert md[0] == "| area | theme | findings | share |"
    assert md[1] == "|---|---|---:|---:|"
    assert md[2] == "| a\\|b | x | 3 | 0.500 |"
    data = json.loads(tables.render_json(frame, {"by": "area"}))
    assert data == {"by": "area", "columns": ["area", "theme", "findings", "share"],
                    "rows": [{"area": "a|b", "theme": "x", "findings": 3, "share": 0.5}]}


def test_check_reports_a_short_diff(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    assert tables.check(path, "a,b\n1,2\n") is None
    diff = tables.check(path, "a,b\n1,3\n")
    assert diff is not None and "-1,2\n" in diff and "+1,3\n" in diff
    path.write_bytes(b"a,b\r\n1,2\r\n")
    assert tables.check(path, "a,b\n1,2\n") is not None  # CRLF is a difference




def test_a_report_without_any_date_is_grouped_last_by_year(tmp_path: Path) -> None:
    undated = build_report("atlantis-other", "atlantis", "other", "2020-01-01", SURREY_2023)
    undated.date, undated.fieldwork = None, Fieldwork(None, None)
    with Store(tmp_path / "jtai.db") as store:
        for report in [undated, *sample_reports()]:
            store.save(report)
    with open_db(tmp_path / "jtai.db") as db:
        frame = db.theme_table(by="year")
    years = list(frame.year)
    missing = [y is pd.NA for y in years]
    assert missing[-3:] == [True] * 3 and sum(missing) == 3  # its three themes, last
    dated = [y for y in years if y is not pd.NA]
    assert dated == sorted(dated)
    assert tables.render_csv(frame).splitlines()[-1].startswith(",strategy-meetings,")
