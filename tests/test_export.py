"""Excel and REFI-QDA exports, read back the way the receiving tools read them.

The qdpx/qdc XML is validated with lxml against the essentials of the REFI-QDA
schemas (tests/fixtures/render_refi_*.xsd, with the standard's names).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from openpyxl import load_workbook

from conftest import FIXTURES
from jtai_tools import export
from jtai_tools.corpus import codebook_themes, load_corpus
from jtai_tools.models import Area, Evidence, Fieldwork, Finding, Report, Section, Source
from test_render import build_db, extract_corpus, fixture_reports

NS = {"q": export.PROJECT_NS}
PROJECT_XSD = etree.XMLSchema(etree.parse(str(FIXTURES / "render_refi_project.xsd")))
CODEBOOK_XSD = etree.XMLSchema(etree.parse(str(FIXTURES / "render_refi_codebook.xsd")))


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "jtai.db")


def _qdpx(db: Path) -> tuple[zipfile.ZipFile, etree._ElementTree]:
    data = export.export_bytes(load_corpus(db), "qdpx")
    archive = zipfile.ZipFile(io.BytesIO(data))
    return archive, etree.parse(io.BytesIO(archive.read("project.qde")))


def test_xlsx_sheets_frozen_filterable_and_neutralised(db: Path) -> None:
    data = export.export_bytes(load_corpus(db), "xlsx")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["reports", "findings", "themes by area", "themes by year"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}" \
                                        f"{sheet.max_row}"
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    findings = book["findings"]
    header = [c.value for c in findings[1]]
    texts = [row[header.index("text")] for row in findings.iter_rows(min_row=2, values_only=True)]
    hostile = next(t for t in texts if "HYPERLINK" in t)
    assert hostile.startswith("'=HYPERLINK(")
    assert len(texts) == sum(len(r.findings) for r in fixture_reports())
    reports = book["reports"]
    assert reports.max_row - 1 == len(fixture_reports())
    by_area = book["themes by area"]
    area_header = [c.value for c in by_area[1]]
    rows = {(r[area_header.index("area")], r[area_header.index("theme")]):
            r[area_header.index("findings")]
            for r in by_area.iter_rows(min_row=2, values_only=True)}
    assert rows[("Sutton", "supervision")] == 2
    assert rows[("Lewisham", "strategy-meetings")] == 1
    assert book.properties.created == book.properties.modified == export.FIXED_TIME


def test_xlsx_is_deterministic(db: Path) -> None:
    corpus = load_corpus(db)
    assert export.export_bytes(corpus, "xlsx") == export.export_bytes(corpus, "xlsx")


def test_safe_cell_neutralises_formulas_only_in_text() -> None:
    for text in ("=1+1", "+44 20", "-x", "@SUM(A1)", "\tx", "\rx"):
        assert export.safe_cell(text) == "'" + text
    assert export.safe_cell(-3) == -3
    assert export.safe_cell("fine = ok") == "fine = ok"
    assert export.safe_cell("bell\x07") == "bell"
    assert export.safe_cell(pd.NA) is None


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_report() -> Report:
    """A report whose text fields each start like a spreadsheet formula."""
    text = "=HYPERLINK(\"http://example.invalid\") Strategy meetings are late."
    finding = Finding("improve", "@SUM(A1)", text, 0, ["strategy-meetings"], "concern",
                      ["+police"], [Evidence("strategy-meetings", "theme", "Strategy meetings",
                                             text.index("Strategy"), text.index(" are"))])
    return Report(
        id="formula-2023-01-01-jtai", source=Source("-x.txt", "sha-f", "text", 1),
        area=Area("=cmd|' /C calc'!A0", "\t=full name"), inspection_type="jtai", date=None,
        fieldwork=Fieldwork("2022-11-07", "2022-11-11"), inspectorates=["-Ofsted"],
        jtai_focus="\r=focus", judgements={"overall": "=bad"},
        sections=[Section("improve", "@SUM(A1)", [], [text], 1)], findings=[finding],
    )


def test_xlsx_neutralises_every_text_cell_of_every_sheet(tmp_path: Path) -> None:
    db = build_db(tmp_path / "jtai.db", [*fixture_reports(), formula_report()])
    book = load_workbook(io.BytesIO(export.export_bytes(load_corpus(db), "xlsx")))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), (sheet.title, cell.value)
    reports = book["reports"]
    header = [c.value for c in reports[1]]
    row = next(r for r in reports.iter_rows(min_row=2, values_only=True)
               if r[0] == "formula-2023-01-01-jtai")
    assert row[header.index("area")] == "'=cmd|' /C calc'!A0"
    # an undated report counts in the year of its fieldwork, as in `jtai table --by year`
    assert row[header.index("year")] == 2022


def test_qdpx_neutralises_every_name_and_value(tmp_path: Path) -> None:
    db = build_db(tmp_path / "jtai.db", [*fixture_reports(), formula_report()])
    _, tree = _qdpx(db)
    PROJECT_XSD.assertValid(tree)
    root = tree.getroot()
    names = [el.get("name") for el in root.iter() if el.get("name")]
    values = [el.text for el in root.iter() if el.tag.endswith(("Value", "Description"))
              and el.text]
    assert "'=cmd|' /C calc'!A0" in names and "'@SUM(A1) #0" in names
    assert not [v for v in names + values if v.startswith(FORMULA_STARTS)]
    year = root.find(".//q:TextSource[@name='formula-2023-01-01-jtai']//q:IntegerValue", NS)
    assert year is not None and year.text == "2022"


def test_qdpx_validates_and_codes_every_tagged_finding(db: Path) -> None:
    archive, tree = _qdpx(db)
    PROJECT_XSD.assertValid(tree)
    root = tree.getroot()
    assert root.tag == f"{{{export.PROJECT_NS}}}Project"
    codes = {c.get("guid"): c for c in root.iterfind(".//q:CodeBook//q:Code", NS)}
    reports = {r.id: r for r in fixture_reports()}
    for source in root.iterfind("q:Sources/q:TextSource", NS):
        report = reports[source.get("name")]
        path = source.get("plainTextPath")
        assert path.startswith("internal://")
        text = archive.read("sources/" + path.removeprefix("internal://")).decode("utf-8")
        selections = source.findall("q:PlainTextSelection", NS)
        tagged = [f for f in report.findings if f.themes]
        assert len(selections) == len(tagged)
        for selection in selections:
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            finding = next(f for f in tagged if f.text == text[start:end])
            coded = {codes[c.get("targetGUID")].get("name")
                     for c in selection.iterfind("q:Coding/q:CodeRef", NS)}
            labels = {t[0]: t[1] for t in codebook_themes()}
            assert {labels.get(t, t) for t in finding.themes} <= coded
            assert finding.polarity in coded
            assert set(finding.agencies) <= coded
    # every area is a case holding its reports
    cases = {c.get("name"): len(c) for c in root.iterfind("q:Cases/q:Case", NS)}
    assert cases == {"Lewisham": 1, "Surrey": 1, "Sutton": 2}


def test_qdpx_guids_are_stable_and_unique(db: Path) -> None:
    corpus = load_corpus(db)
    first = export.export_bytes(corpus, "qdpx")
    assert first == export.export_bytes(corpus, "qdpx")
    tree = etree.parse(io.BytesIO(zipfile.ZipFile(io.BytesIO(first)).read("project.qde")))
    guids = [el.get("guid") for el in tree.iter() if el.get("guid")
             and el.tag != f"{{{export.PROJECT_NS}}}User"]
    assert len(guids) == len(set(guids))
    assert export.guid("source", "sutton-2017-02-13-sif") in guids


def test_schema_rejects_what_the_standard_rejects(db: Path) -> None:
    _, tree = _qdpx(db)
    selection = tree.getroot().find(".//q:PlainTextSelection", NS)
    del selection.attrib["startPosition"]
    assert not PROJECT_XSD.validate(tree)


def test_qdc_codebook_validates(db: Path) -> None:
    data = export.export_bytes(load_corpus(db), "qdc")
    tree = etree.parse(io.BytesIO(data))
    CODEBOOK_XSD.assertValid(tree)
    names = [c.get("name") for c in tree.iterfind(".//c:Code", {"c": export.CODEBOOK_NS})]
    themes = codebook_themes()
    assert all(label in names for _, label, _ in themes)
    assert {"Themes", "Polarity", "Agencies", "concern", "police"} <= set(names)


def test_source_text_places_findings_and_appends_reworded_ones() -> None:
    report = fixture_reports()[0]
    report.sections.append(Section("main-findings", "Main findings", ["Plans are  weak."], []))
    report.findings.append(Finding("main-findings", "Main findings", "Plans are weak.", 9,
                                   ["assessment-planning"], "concern"))
    source = export.source_text(report)
    for segment in source.segments:
        assert source.text[segment.start:segment.end] == segment.finding.text
    placed = next(s for s in source.segments if s.finding.index == 9)
    assert placed.start > source.text.index("Findings as extracted")




def test_qdpx_of_the_sample_corpus(reports_dir: Path, tmp_path: Path) -> None:
    db = extract_corpus(reports_dir, tmp_path / "corpus.db")
    archive, tree = _qdpx(db)
    PROJECT_XSD.assertValid(tree)
    corpus = load_corpus(db)
    tagged = corpus.findings[corpus.findings["themes"].map(bool)]
    selections = 0
    for source in tree.getroot().iterfind("q:Sources/q:TextSource", NS):
        path = source.get("plainTextPath").removeprefix("internal://")
        text = archive.read(f"sources/{path}").decode("utf-8")
        wanted = set(tagged[tagged["report_id"] == source.get("name")]["text"])
        for selection in source.iterfind("q:PlainTextSelection", NS):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            assert text[start:end] in wanted
            selections += 1
    assert selections == len(tagged)


def test_lead_inspector_and_sortable_date_in_the_workbook_and_project(tmp_path: Path) -> None:
    reports = fixture_reports()
    reports[0].lead_inspector = "Jane Doe, His Majesty’s Inspector"
    db = build_db(tmp_path / "jtai.db", reports)
    book = load_workbook(io.BytesIO(export.export_bytes(load_corpus(db), "xlsx")))
    sheet = book["reports"]
    header = [c.value for c in sheet[1]]
    rows = {r[header.index("report_id")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    first = rows[reports[0].id]
    assert first[header.index("lead_inspector")] == "Jane Doe, His Majesty’s Inspector"
    assert first[header.index("sort_date")] == reports[0].sort_date
    assert first[header.index("date_source")] == "printed"
    with zipfile.ZipFile(io.BytesIO(export.export_bytes(load_corpus(db), "qdpx"))) as archive:
        project = archive.read("project.qde").decode("utf-8")
    assert "Jane Doe, His Majesty’s Inspector" in project
