"""Tests for the metadata stage: unit tests on small report texts, then the sample corpus.

The corpus tests compare ``read_metadata`` with the hand-checked gold set
(area, type, dates, inspectorates, JTAI focus, judgements) and check that
every sample report gets a known area and a type consistent with the index.
"""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from pathlib import Path

import pytest

from conftest import FIXTURES, GOLD, REPORTS
from jtai_tools.metadata import (
    _after_leading_boundary,
    _config,
    _opening_literals,
    _Pattern,
    _Text,
    area_aliases,
    known_areas,
    parse_date,
    parse_date_range,
    read_metadata,
    resolve_area,
)
from jtai_tools.models import INSPECTION_TYPES, Metadata, RawDocument, Section
from jtai_tools.read import read_document


def meta_of(name: str, sections: list[Section] | None = None) -> Metadata:
    return read_metadata(read_document(FIXTURES / name), [], sections or [])


# --- dates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Inspection dates: 15 to 26 November 2021", ("2021-11-15", "2021-11-26")),
        ("on 21 and 22 July 2021.", ("2021-07-21", "2021-07-22")),
        ("between 13 October and 15 October 2020", ("2020-10-13", "2020-10-15")),
        ("on 30 April and 1 May 2025", ("2025-04-30", "2025-05-01")),
        ("26 February 2018\u201322 March 2018", ("2018-02-26", "2018-03-22")),
        ("3 June \u2013 25 June 2014", ("2014-06-03", "2014-06-25")),
        ("19 November\u201330 November 2018", ("2018-11-19", "2018-11-30")),
        ("29 January 2024 to 02 February 2024", ("2024-01-29", "2024-02-02")),
        ("on 13 October 2020.", ("2020-10-13", "2020-10-13")),
        ("30 November 2015 to 12 January 2016", ("2015-11-30", "2016-01-12")),
        ("from 28 December to 3 January 2021", ("2020-12-28", "2021-01-03")),
        ("on 1st and 2nd Sept 2019", ("2019-09-01", "2019-09-02")),
        ("on 5, 6 and 7 March 2022", ("2022-03-05", "2022-03-07")),
        ("30 November, 1 and 2 December 2021", ("2021-11-30", "2021-12-02")),
        ("30 November to 2 December 2021", ("2021-11-30", "2021-12-02")),
        ("1\u20133 March 2022", ("2022-03-01", "2022-03-03")),
        ("1st December 2021", ("2021-12-01", "2021-12-01")),
    ],
)
def test_parse_date_range_forms(text: str, expected: tuple[str, str]) -> None:
    assert parse_date_range(text) == expected


def test_parse_date_rejects_impossible_and_missing_dates() -> None:
    assert parse_date("31 February 2020") is None
    assert parse_date("in December 2020") is None
    assert parse_date_range("no dates here") is None
    assert parse_date("Report published: 8 August 2014") == "2014-08-08"


# --- areas -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("London Borough of Sutton", "sutton"),
        ("Royal Borough of Greenwich", "greenwich"),
        ("Bedford Borough", "bedford"),
        ("Surrey County Council", "surrey"),
        ("Durham County Council", "durham"),
        ("County Durham", "durham"),
        ("Bournemouth, Christchurch and Poole", "bournemouth, christchurch & poole"),
        ("Stockton-on-Tees Borough Council", "stockton-on-tees"),
        ("Stoke on Trent", "stoke-on-trent"),
        ("Borough of Redcar and Cleveland", "redcar and cleveland"),
        ("Redcar & Cleveland", "redcar and cleveland"),
        ("Lewisham Local Area Partnership", "lewisham"),
        ("Surrey Safeguarding Children Board", "surrey"),
        ("Doncaster Metropolitan Borough Council", "doncaster"),
        ("City of Wolverhampton", "wolverhampton"),
        ("London Borough of Richmond upon Thames", "richmond upon thames"),
        ("St. Helens", "st helens"),
        ("the London Borough of Lewisham", "lewisham"),
    ],
)
def test_resolve_area_formal_names(text: str, expected: str) -> None:
    assert resolve_area(text) == expected


def test_resolve_area_unknown_names() -> None:
    assert resolve_area("") is None
    assert resolve_area("Gotham City Council") is None
    assert resolve_area("County Council") is None


def test_known_areas_cover_england_and_the_index(reports_dir: Path) -> None:
    areas = known_areas()
    assert len(areas) >= 150
    assert areas == sorted(areas)
    assert len(set(areas)) == len(areas)
    with (reports_dir / "pdf" / "index.csv").open(encoding="utf-8") as handle:
        index_areas = {row["local_authority"] for row in csv.DictReader(handle)}
    assert index_areas <= set(areas)
    assert "London Borough of Sutton" in area_aliases("sutton")
    assert area_aliases("atlantis") == []


# --- whole documents -----------------------------------------------------------


def test_older_jtai_letter_with_four_inspectorates() -> None:
    meta = meta_of("metadata_jtai_2017.txt")
    assert meta.inspection_type == "jtai"
    assert meta.area.name == "hackney"
    assert meta.area.full_name == "London Borough of Hackney"
    assert meta.date == "2018-02-12"
    assert (meta.fieldwork.start, meta.fieldwork.end) == ("2017-12-04", "2017-12-08")
    assert meta.inspectorates == ["Ofsted", "CQC", "HMICFRS", "HMI Probation"]
    assert meta.jtai_focus == "abuse and neglect"
    assert meta.judgements == {}
    assert meta.warnings == []


def test_monitoring_visit_spanning_new_year() -> None:
    meta = meta_of("metadata_monitoring_visit.txt")
    assert meta.inspection_type == "monitoring-visit"
    assert meta.area.name == "birmingham"
    assert meta.area.full_name == "Birmingham City Council"
    assert meta.date == "2022-01-21"
    assert (meta.fieldwork.start, meta.fieldwork.end) == ("2021-12-30", "2022-01-04")
    assert meta.inspectorates == []


def test_one_day_focused_visit_has_no_judgements() -> None:
    meta = meta_of("metadata_focused_one_day.txt")
    assert meta.inspection_type == "focused-visit"
    assert meta.area.name == "bury"
    assert meta.area.full_name == "Bury"
    assert meta.date == "2020-11-27"
    assert meta.fieldwork.start == meta.fieldwork.end == "2020-10-13"
    # a past grade quoted in the letter is not a judgement of this visit
    assert meta.judgements == {}
    assert meta.jtai_focus is None


def test_ilacs_2023_cover_table_and_passing_mentions() -> None:
    meta = meta_of("metadata_ilacs_2023.txt")
    assert meta.inspection_type == "ilacs"
    assert meta.area.name == "kingston upon hull"
    assert meta.area.full_name == "Kingston upon Hull City Council"
    assert meta.date is None  # only a copyright year is printed
    assert (meta.fieldwork.start, meta.fieldwork.end) == ("2023-11-27", "2023-12-08")
    assert meta.judgements == {
        "impact_of_leaders": "requires improvement",
        "help_and_protection": "good",
        "children_in_care": "inadequate",
        "care_leavers": "outstanding",
        "overall_effectiveness": "requires improvement",
    }
    # a past JTAI and the CQC named in passing are not this inspection's team
    assert meta.inspectorates == []
    assert meta.jtai_focus is None


def test_ilacs_grade_from_section_heading_when_table_lacks_it(tmp_path: Path) -> None:
    text = (FIXTURES / "metadata_ilacs_2023.txt").read_text(encoding="utf-8")
    without_table = text.replace("Overall effectiveness Requires improvement to be good\n", "")
    path = tmp_path / "report.txt"
    path.write_text(without_table, encoding="utf-8")
    heading = Section(kind="other", heading="Overall effectiveness: inadequate")
    meta = read_metadata(read_document(path), [], [heading])
    assert meta.judgements["overall_effectiveness"] == "inadequate"


def test_sif_cover_lscb_and_split_grades() -> None:
    meta = meta_of("metadata_sif.txt")
    assert meta.inspection_type == "sif"
    assert meta.area.name == "york"
    assert meta.area.full_name == "City of York"
    assert meta.date == "2016-03-03"
    assert (meta.fieldwork.start, meta.fieldwork.end) == ("2015-11-30", "2016-01-12")
    assert meta.judgements == {
        "overall_effectiveness": "requires improvement",
        "help_and_protection": "requires improvement",
        "children_looked_after": "good",
        "adoption_performance": "outstanding",
        "care_leavers": "requires improvement",
        "leadership_management_governance": "requires improvement",
        "lscb": "requires improvement",
    }


def test_stand_alone_lscb_review() -> None:
    meta = meta_of("metadata_lscb_review.txt")
    assert meta.inspection_type == "sif"
    assert meta.area.name == "hampshire"
    assert meta.area.full_name == "Hampshire"
    assert meta.date == "2015-08-03"
    assert meta.judgements == {"lscb": "outstanding"}


def test_area_send_outcome_and_joint_inspectorates() -> None:
    meta = meta_of("metadata_area_send.txt")
    assert meta.inspection_type == "area-send"
    assert meta.area.name == "bath and north east somerset"
    assert meta.area.full_name == "Bath and North East Somerset Local Area Partnership"
    assert meta.date is None
    assert (meta.fieldwork.start, meta.fieldwork.end) == ("2024-11-18", "2024-11-22")
    assert meta.inspectorates == ["Ofsted", "CQC"]
    assert meta.judgements == {"outcome": "positive experiences and outcomes"}


def test_non_inspection_document_is_other_with_a_warning() -> None:
    meta = meta_of("metadata_not_inspection.txt")
    assert meta.inspection_type == "other"
    assert meta.area.name == "bexley"
    assert meta.area.full_name == "London Borough of Bexley"
    assert meta.date == "2019-06-28"
    # the document quotes a grade and inspection dates, but it is no inspection
    assert meta.judgements == {}
    assert meta.fieldwork.start is None
    assert meta.inspectorates == []
    assert len(meta.warnings) == 1
    warning = meta.warnings[0]
    assert warning.startswith(str(FIXTURES / "metadata_not_inspection.txt"))
    assert "not an inspection report (safeguarding partnership arrangements)" in warning
    assert warning.endswith("kept as type other")


def test_unknown_area_is_named_in_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_text(
        "3 March 2022\nDear Ms Smith\nFocused visit to Gotham children's services\n"
        "This letter summarises the findings of the focused visit to Gotham children's "
        "services on 1 and 2 February 2022.\n",
        encoding="utf-8",
    )
    meta = read_metadata(read_document(path), [], [])
    assert meta.inspection_type == "focused-visit"
    assert meta.area.full_name == "Gotham"
    assert meta.area.name == "gotham"
    assert any("area not recognised ('Gotham')" in w for w in meta.warnings)


def test_type_and_area_from_a_title_printed_only_as_a_running_header(tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_text(
        "Dear Director of Children's Services\nThe inspection took place from 5 to 9 June "
        "2023. This letter sets out what inspectors found.\nHeadline findings\n"
        "\fJoint targeted area inspection of Kingston upon Thames\nWhat needs to improve\n"
        "- Plans.\n\fJoint targeted area inspection of Kingston upon Thames\nStrengths\n"
        "- Leaders know their services well.\n",
        encoding="utf-8",
    )
    meta = read_metadata(read_document(path), [], [])
    assert (meta.inspection_type, meta.area.name) == ("jtai", "kingston upon thames")
    assert (meta.fieldwork.start, meta.fieldwork.end) == ("2023-06-05", "2023-06-09")


def test_document_without_lines_does_not_fail() -> None:
    raw = RawDocument(path="empty.pdf", format="pdf", sha256="0", pages=[[]])
    meta = read_metadata(raw, [], [])
    assert meta.inspection_type == "other"
    assert meta.area.name == "unknown"
    assert any("not an inspection report" in w for w in meta.warnings)


# --- the sample corpus against the gold set ----------------------------------------


def _gold_files() -> list[Path]:
    return sorted((GOLD / "reports").glob("*.json"))


def _report_for(gold_file: Path) -> Path:
    """The report a gold file describes (see the gold README)."""
    stem = gold_file.name[: -len(".json")]
    if stem.endswith(".pdf"):
        return REPORTS / "pdf" / stem
    texts = sorted((REPORTS / "text").glob(f"{stem}.*"))
    return texts[0] if texts else REPORTS / "pdf" / f"{stem}.pdf"


@cache
def _metadata(path: Path) -> Metadata:
    return read_metadata(read_document(path), [], [])


FIELDS = ("area", "full_name", "type", "date", "fieldwork", "inspectorates", "focus")


def _compare(gold: dict, meta: Metadata) -> dict[str, bool]:
    return {
        "area": meta.area.name == gold["area"],
        "full_name": meta.area.full_name == gold["local_authority"],
        "type": meta.inspection_type == gold["inspection_type"],
        "date": meta.date == gold["letter_or_publication_date"],
        "fieldwork": (meta.fieldwork.start, meta.fieldwork.end)
        == (gold["fieldwork_start"], gold["fieldwork_end"]),
        "inspectorates": meta.inspectorates == gold["inspectorates"],
        "focus": meta.jtai_focus == gold["jtai_theme"],
    }


@pytest.fixture(scope="module")
def gold_results(gold_dir: Path, reports_dir: Path) -> list[tuple[str, dict, Metadata]]:
    files = _gold_files()
    assert len(files) >= 30
    return [
        (f.name, json.loads(f.read_text(encoding="utf-8")), _metadata(_report_for(f)))
        for f in files
    ]


def test_gold_accuracy_per_field(gold_results: list[tuple[str, dict, Metadata]]) -> None:
    misses: dict[str, list[str]] = {field: [] for field in FIELDS}
    for name, gold, meta in gold_results:
        for field, ok in _compare(gold, meta).items():
            if not ok:
                misses[field].append(name)
    total = len(gold_results)
    accuracy = {field: 1 - len(names) / total for field, names in misses.items()}
    for field in ("area", "type", "date", "fieldwork", "inspectorates"):
        assert accuracy[field] >= 0.97, (field, misses[field])
    assert accuracy["full_name"] >= 0.9, misses["full_name"]
    assert misses["focus"] == []


def test_gold_judgements_exact(gold_results: list[tuple[str, dict, Metadata]]) -> None:
    wrong = [
        (name, meta.judgements, gold["judgements"])
        for name, gold, meta in gold_results
        if meta.judgements != gold["judgements"]
    ]
    assert wrong == []
    assert sum(bool(gold["judgements"]) for _, gold, _ in gold_results) >= 15


def test_gold_jtai_letters_exact(gold_results: list[tuple[str, dict, Metadata]]) -> None:
    letters = [(n, g, m) for n, g, m in gold_results if g["inspection_type"] == "jtai"]
    assert len(letters) >= 6
    for name, gold, meta in letters:
        assert all(_compare(gold, meta).values()), (name, _compare(gold, meta))
        assert meta.judgements == {}
        assert meta.warnings == []


def test_gold_non_inspection_document(gold_results: list[tuple[str, dict, Metadata]]) -> None:
    others = [(n, g, m) for n, g, m in gold_results if g["inspection_type"] == "other"]
    assert others
    for name, _, meta in others:
        assert meta.inspection_type == "other"
        assert meta.judgements == {}
        assert any("not an inspection report" in w for w in meta.warnings), name


def test_every_sample_report_gets_a_known_area_and_type(reports_dir: Path) -> None:
    with (reports_dir / "pdf" / "index.csv").open(encoding="utf-8") as handle:
        index = {row["file"]: row for row in csv.DictReader(handle)}
    files = sorted((reports_dir / "pdf").glob("*.pdf")) + sorted((reports_dir / "text").glob("*.*"))
    assert len(files) >= 60
    areas = set(known_areas())
    for path in files:
        meta = _metadata(path)
        assert meta.inspection_type in INSPECTION_TYPES, path.name
        assert meta.area.name in areas, path.name
        row = index.get(path.name)
        if row is None:
            continue
        assert meta.area.name == row["local_authority"], path.name
        expected = {"sif", "ilacs"} if row["kind"] == "ilacs" else {row["kind"]}
        assert meta.inspection_type in expected, path.name
        if meta.inspection_type != "other":
            assert meta.fieldwork.start and meta.fieldwork.end, path.name
            assert meta.fieldwork.start <= meta.fieldwork.end, path.name
        if meta.date:  # a printed date is the publication date the index records
            assert meta.date == row["published"], path.name


def test_a_page_number_between_a_judgement_and_its_grade(tmp_path: Path) -> None:
    """Text extractions can put the page number between a cover-table row and its grade."""
    text = (FIXTURES / "metadata_sif.txt").read_text(encoding="utf-8").replace(
        "3. Leadership, management and governance Requires improvement",
        "3. Leadership, management and governance\n1\nInadequate",
    )
    path = tmp_path / "sif.txt"
    path.write_text(text, encoding="utf-8")
    meta = read_metadata(read_document(path), [], [])
    assert meta.judgements["leadership_management_governance"] == "inadequate"


# --- dates as some reports print them, and the lead inspector -----------------


def metadata_of_text(tmp_path: Path, text: str) -> Metadata:
    """The metadata of a text report made of ``text``."""
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    return read_metadata(read_document(path), [], [])


def test_uk_numeric_dates(tmp_path: Path) -> None:
    meta = metadata_of_text(tmp_path, (
        "Redbridge\nInspection of services for children in need of help and protection, "
        "children looked after and care leavers\nand\nReview of the effectiveness of the local "
        "safeguarding children board\nInspection date: 12/09/2016 to 06/10/2016\n"
        "Report published: 25/11/2016\nLead inspector: Peter McEntee HMI\n"
    ))
    assert meta.inspection_type == "sif"
    assert meta.date == "2016-11-25"
    assert (meta.fieldwork.start, meta.fieldwork.end) == ("2016-09-12", "2016-10-06")
    assert meta.lead_inspector == "Peter McEntee"


@pytest.mark.parametrize(
    ("visit", "letter", "expected"),
    [
        ("on the 15 and 16 of May 2018", "4 June 2018", ("2018-05-15", "2018-05-16")),
        ("on 13 and 14 July", "2 August 2019", ("2019-07-13", "2019-07-14")),
        ("on 30 December and 1 January", "29 January 2020", ("2019-12-30", "2020-01-01")),
        ("on 19 and 20 December", "16 January 2020", ("2019-12-19", "2019-12-20")),
    ],
)
def test_visit_days_without_a_year_take_the_letters(
        tmp_path: Path, visit: str, letter: str, expected: tuple[str, str]) -> None:
    meta = metadata_of_text(tmp_path, (
        f"{letter}\nDear Ms Smith\nFocused visit to Sutton children's services\n"
        "This letter summarises the findings of the focused visit to Sutton children's "
        f"services {visit}. Her Majesty's Inspectors for this visit were Jo Smith and "
        "Ann Brown.\nYours sincerely\nJo Smith\nHer Majesty's Inspector\n"
    ))
    assert (meta.fieldwork.start, meta.fieldwork.end) == expected
    assert meta.lead_inspector == "Jo Smith"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("Lead inspector: John Roughton, His Majesty's Inspector", "John Roughton"),
        ("Lead inspector: Marie McGuinness Senior HMI\nTeam inspectors: Mary Candlin",
         "Marie McGuinness"),
        ("Inspection team\nOfsted Care Quality Commission\nDr Tina Pagett, Ofsted HMI Lead "
         "Inspector Daniel Carrick, CQC Lead Inspector", "Tina Pagett"),
        ("Andrea Crosby-Josephs, CQC lead inspector\nRebecca Sharples, Ofsted HMI lead\n"
         "inspector", "Rebecca Sharples"),
        ("The visit took place on 7 and 8 August 2018. The inspectors were Neil Penswick, "
         "Her Majesty's Inspector, and Matthew Reed.", "Neil Penswick"),
        ("Yours sincerely\nNigel Parkes\nHer Majesty's Inspector", "Nigel Parkes"),
        ("Lead inspectors: Rebecca Quested, His Majesty's Inspector, and Matthew Reed,",
         "Rebecca Quested"),
        ("services on 7 and 8 July 2021. Her Majesty's Inspectors for this visit were Amanda\n"
         "Maxwell and Nick Stacey.", "Amanda Maxwell"),
        ("Your sincerely\nJulie Knight\nHer Majesty's Inspector", "Julie Knight"),
        ("Yours sincerely\nOfsted", None),
        ("Yours sincerely\nYvette Stanley National Director Regulation and Social Care, Ofsted",
         None),
    ],
)
def test_lead_inspector_as_reports_name_them(tmp_path: Path, lines: str,
                                             expected: str | None) -> None:
    meta = metadata_of_text(tmp_path, f"Focused visit to Sutton children's services\n{lines}\n")
    assert meta.lead_inspector == expected


# --- frameworks before the single inspection framework ------------------------


def test_child_protection_inspection_of_2013_is_its_own_type(tmp_path: Path) -> None:
    meta = metadata_of_text(tmp_path, (
        "Inspection of local authority arrangements for the protection of children\nSutton\n"
        "Inspection dates: 14 January 2013 to 25 January 2013\nReport published: 1 March 2013\n"
        "Lead inspector: Jane Doe HMI\n"
        "Overall effectiveness of the arrangements to protect children: Adequate\n"
        "The effectiveness of the help and protection provided to children, young people, "
        "families and carers: Adequate\nThe quality of practice: Good\n"
        "The effectiveness of leadership, management and governance: Inadequate\n"
    ))
    assert (meta.inspection_type, meta.area.name, meta.date) == (
        "child-protection", "sutton", "2013-03-01")
    assert meta.judgements == {"overall_effectiveness": "adequate",
                               "help_and_protection": "adequate",
                               "quality_of_practice": "good",
                               "leadership_governance": "inadequate"}
    assert meta.lead_inspector == "Jane Doe"


def test_looked_after_children_inspection_of_2012_is_its_own_type(tmp_path: Path) -> None:
    meta = metadata_of_text(tmp_path, (
        "Lewisham\nInspection of looked after children services\n"
        "Inspection dates: 10 to 21 September 2012\nReport published: 26 October 2012\n"
        "Overall effectiveness Good\nCapacity for improvement Good\n"
    ))
    assert (meta.inspection_type, meta.area.name) == ("looked-after-children", "lewisham")
    assert (meta.fieldwork.start, meta.fieldwork.end) == ("2012-09-10", "2012-09-21")
    assert meta.judgements == {"overall_effectiveness": "good",
                               "capacity_for_improvement": "good"}


@pytest.mark.parametrize("fixture, year", [
    ("metadata_ilacs_2023.txt", 2024), ("metadata_area_send.txt", 2024),
    ("metadata_jtai_2017.txt", None),
])
def test_copyright_year_is_read_where_printed(fixture: str, year: int | None) -> None:
    meta = read_metadata(read_document(FIXTURES / fixture), [], [])
    assert meta.copyright_year == year


# --- patterns that open with a word boundary or a literal matched regardless of case ---


@pytest.mark.parametrize(
    ("source", "text"),
    [
        (r"\bCQC\b", "HMICQC and CQC"),
        (r"\bCQC\b", "HMICQC only"),
        (r"(?i)\binspectors? from\b", "subinspectors from; Inspectors from the CQC"),
        (r"\bBetween (?=\d)", "ABetween 1, Between May, Between 2 and 3"),
        (r"(?i)\blead to (?P<what>\w+) outcomes\b|\btypically\b",
         "mislead to good outcomes; typically"),
        # opening literals matched regardless of case, found in the text in lower case
        (r"(?i)\bDates? of (?:the )?visit:? ", "Update of the visit; DATES OF VISIT: 3 May"),
        (r"(?:(?i:progress of care leavers))\s*:?\s*(?P<grade>good)",
         "PROGRESS of Care leavers good"),
        (r"(?i)\b(?:visit|inspection) (?:was )?on", "revisit on; an Inspection was on"),
        (r"(?i)^lead inspector", "Lead inspector: lead inspector"),
        (r"(?i)(?-i:Ofsted) report", "OFSTED report; Ofsted REPORT"),
        (r"(?i)(?:The|The effectiveness)(?= of)", "the effectiveness of the"),
        # characters that match a letter regardless of case but lower-case to another
        (r"(?i)\bInspectorate of Probation\b", "HM \u0130nspectorate of Probation"),
        (r"(?i)\bInspectorate of Probation\b", "HM Inspectorate of Probat\u0131on"),
        (r"(?i)safeguarding", "\u017fafeguarding and safeguarding"),
        (r"(?i)kelvin", "\u212aelvin"),
    ],
)
def test_a_pattern_opening_with_a_boundary_or_a_caseless_literal_finds_what_re_finds(
        source: str, text: str) -> None:
    found, expected = _Pattern(source).search(text), re.search(source, text)
    assert (found and (found.span(), found.groupdict())) == \
        (expected and (expected.span(), expected.groupdict()))


@pytest.mark.parametrize(
    ("source", "openings"),
    [
        (r"(?i)\bDates? of (?:the )?visit", ("date",)),
        (r"(?:(?i:Care leavers))\s*:", ("care leavers",)),
        (r"(?i)\b(?:visit|inspection) was", ("visit", "inspection")),
        (r"(?i)took place (?:from|on)", ("took place from", "took place on")),
        (r"(?i)(?:The|The effectiveness)", ("the", "the effectiveness")),
        (r"\bCQC\b", ()),  # matched as printed: the engine's own scan is fast
        (r"(?i)\d\.? Children", ()),  # no literal opening
        (r"(?i)(?:an|a) visit", ()),  # a literal too short to look for
        (r"(?i)(?:the )?visit", ()),  # an optional opening
    ],
)
def test_the_opening_literals_are_those_every_match_opens_with(source: str,
                                                               openings: tuple[str, ...]) -> None:
    assert _opening_literals(re.compile(source)) == openings


def test_the_lines_holding_a_word_are_found_by_searching_the_whole_text() -> None:
    raw = read_document(sorted((REPORTS / "pdf").glob("*.pdf"))[0])
    text = _Text(raw, _config().head_chars)
    words = ("nspector", "incerely", "the")
    assert text.lines_holding(words) == [
        index for index, line in enumerate(text.lines) if any(word in line for word in words)]


def test_every_data_file_pattern_finds_what_re_finds_in_the_sample_reports() -> None:
    config = _config()
    patterns = [*config.published, *config.fieldwork, *config.involvement,
                *(p for _, ps in config.bodies for p in ps), *config.focus_patterns,
                *(p for t in config.types for p in (*t.titles, *t.phrases)),
                *(p for p, _ in config.not_inspection), *config.lead_inspector,
                *(label.label for labels in config.labels.values() for label in labels),
                *(p for outcomes in config.outcomes.values() for p, _ in outcomes)]
    assert any(_after_leading_boundary(p.pattern.pattern) for p in patterns)
    assert sum(bool(_opening_literals(p.pattern)) for p in patterns) > len(patterns) // 2
    for path in sorted((REPORTS / "pdf").glob("*.pdf"))[::6]:
        raw = read_document(path)
        for text in (_Text(raw, config.head_chars).head, _Text(raw, config.head_chars).full):
            for pattern in patterns:
                found, expected = pattern.search(text), pattern.pattern.search(text)
                assert (found and found.span()) == (expected and expected.span()), \
                    (path.name, pattern.pattern.pattern)
