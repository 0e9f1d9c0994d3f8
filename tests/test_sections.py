"""Sections stage: section kinds, list rebuilding and sentence findings."""

from __future__ import annotations

from pathlib import Path

import pytest

import pdfgen
from jtai_tools.clean import clean_document
from jtai_tools.models import Block
from jtai_tools.read import read_document
from jtai_tools.sections import build_findings, split_sections, split_sentences

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def heading(text: str) -> Block:
    return Block(kind="heading", text=text, page=1)


def para(text: str) -> Block:
    return Block(kind="paragraph", text=text, page=1)


def item(text: str, level: int = 0, marker: str = "•") -> Block:
    return Block(kind="item", text=text, page=1, marker=marker, level=level)


def test_section_kinds_follow_the_heading_vocabulary() -> None:
    sections = split_sections([
        para("Dear partnership"),
        heading("Headline findings"), para("Leaders are effective."),
        heading("What needs to improve?"), item("Supervision."),
        heading("Strengths"), item("Leadership."),
        heading("Main findings"), para("Much is good."),
        heading("Practice study: highly effective practice"), para("A child."),
        heading("Next steps"), para("A statement."),
        heading("Recommendations"), item("Ensure that plans are timely.", marker="1."),
        heading("Yours sincerely"),
    ])
    assert [s.kind for s in sections] == [
        "other", "headline", "improve", "strengths", "main-findings", "practice-study",
        "next-steps", "recommendations", "other"]


def test_group_labels_do_not_break_a_list_and_sub_labels_open_nothing() -> None:
    sections = split_sections([
        heading("What does the local authority need to improve?"),
        heading("Priority and immediate action"),
        item("Review all unallocated cases.", marker="12."),
        heading("Areas for improvement"),
        item("Coordinate early help.", marker="27."),
        heading("The experiences and progress of children looked after"),
        heading("Summary"), para("Children are safe."),
        heading("Inspection findings"), para("1. More detail."),
    ])
    assert [(s.kind, s.items) for s in sections] == [
        ("improve", ["Review all unallocated cases."]),
        ("improve", ["Coordinate early help."]),
        ("main-findings", []),
    ]
    assert sections[-1].paragraphs == ["Children are safe.", "1. More detail."]


def test_sub_bullets_join_their_recommendation() -> None:
    sections = split_sections([
        heading("Recommendations"),
        item("Ensure that plans are reviewed:", marker="1."),
        item("with children and families", level=1), item("within timescales.", level=1),
        item("Ensure that supervision is regular.", marker="2."),
    ])
    assert sections[0].items == [
        "Ensure that plans are reviewed: with children and families within timescales.",
        "Ensure that supervision is regular.",
    ]


def test_points_under_an_item_ending_in_a_colon_join_it_without_an_indent() -> None:
    # Text extractions print sub-bullets at the level of their lead-in.
    sections = split_sections([
        heading("Recommendations"),
        item("Leaders should make sure that:", marker="1."),
        item("plans are timely;", marker="-"), item("Audits are regular.", marker="-"),
        item("Managers should review supervision.", marker="2."),
        heading("What needs to improve"),
        item("The quality of plans, including:"), item("contingency plans;"),
        item("pathway plans."), item("Supervision of staff."),
        heading("Strengths"),
        item("Leaders have made sure that:"), item("Plans are timely."),
    ])
    assert [s.items for s in sections] == [
        ["Leaders should make sure that: plans are timely; Audits are regular.",
         "Managers should review supervision."],
        ["The quality of plans, including: contingency plans; pathway plans.",
         "Supervision of staff."],
        ["Leaders have made sure that:", "Plans are timely."],
    ]


def test_lead_in_paragraph_stays_out_of_the_items() -> None:
    sections = split_sections([
        heading("Areas for priority action"),
        para("The local authority needs to take action in:"),
        item("the arrangements for management oversight"),
        item("the quality of practice."),
    ])
    assert sections[0].paragraphs == ["The local authority needs to take action in:"]
    assert sections[0].items == ["the arrangements for management oversight",
                                 "the quality of practice."]


def test_paragraphs_with_their_own_bullets_are_one_item_each() -> None:
    sections = split_sections([
        heading("Areas for improvement"),
        para("Leaders should focus on:"), item("a broad offer; and"), item("registers."),
        para("Leaders should ensure that plans include:"), item("health input;"),
        item("updates."),
        para("Health leaders should reduce waiting times."),
    ])
    assert sections[0].items == [
        "Leaders should focus on: a broad offer; and registers.",
        "Leaders should ensure that plans include: health input; updates.",
        "Health leaders should reduce waiting times.",
    ]


def test_findings_are_items_and_sentences_with_a_running_index() -> None:
    sections = split_sections([
        heading("Headline findings"), para("Leaders are effective. Staff are valued."),
        heading("What needs to improve?"), item("Supervision."), item("Training."),
        heading("Information about this inspection"), para("Not a finding."),
    ])
    findings = build_findings(sections)
    assert [(f.section_kind, f.text, f.index) for f in findings] == [
        ("headline", "Leaders are effective.", 0),
        ("headline", "Staff are valued.", 1),
        ("improve", "Supervision.", 2),
        ("improve", "Training.", 3),
    ]
    assert all(f.section_heading for f in findings)


@pytest.mark.parametrize(("text", "expected"), [
    ("Plans are clear, e.g. for children in care. Reviews are timely.",
     ["Plans are clear, e.g. for children in care.", "Reviews are timely."]),
    ("See No. 5 of the plan. It is clear.", ["See No. 5 of the plan.", "It is clear."]),
    ("The rate is 48.5 per 10,000 children. This is high.",
     ["The rate is 48.5 per 10,000 children.", "This is high."]),
    ("Dr. Smith and J. Bloggs led the inspection (JTAI). Partners agreed.",
     ["Dr. Smith and J. Bloggs led the inspection (JTAI).", "Partners agreed."]),
    ("A meeting, 'Every child, every time,' works. 'Yes.' Then more?  Indeed!",
     ["A meeting, 'Every child, every time,' works.", "'Yes.'", "Then more?", "Indeed!"]),
    ("Help, i.e. early support, works. Services etc. Improve too.",
     ["Help, i.e. early support, works.", "Services etc.", "Improve too."]),
])
def test_sentence_splitter(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_items_appear_in_the_cleaned_text_in_document_order() -> None:
    blocks = clean_document(read_document(FIXTURES / "clean_letter.md"))
    cleaned = " ".join(b.text for b in blocks)
    positions = [cleaned.find(i) for s in split_sections(blocks) for i in s.items]
    assert len(positions) == 3
    assert -1 not in positions
    assert positions == sorted(positions)


def test_a_document_that_is_not_an_inspection_report_has_no_list_items() -> None:
    sections = split_sections(clean_document(read_document(FIXTURES /
                                                           "sections_arrangements.txt")))
    assert not any(s.items for s in sections)
    assert [s.heading for s in sections] == [
        "ANYTOWN LOCAL SAFEGUARDING CHILDREN PARTNERSHIP ARRANGEMENTS", "Foreword"]
    assert sections[-1].paragraphs[0].startswith("Welcome to our first local arrangements")


def test_table_header_repeating_the_heading_opens_no_empty_section() -> None:
    sections = split_sections([
        heading("Areas for priority action"), heading("Areas for priority action"),
        para("Leaders need to agree a strategy."), para("Leaders need to cut waiting times."),
        heading("Areas for improvement"), heading("Areas for improvement"),
        para("Leaders should improve plans."),
    ])
    assert [(s.heading, s.items) for s in sections] == [
        ("Areas for priority action",
         ["Leaders need to agree a strategy.", "Leaders need to cut waiting times."]),
        ("Areas for improvement", ["Leaders should improve plans."]),
    ]


def letter_body() -> list[Block]:
    return [para("Dear Ms Smith"), heading("Main findings")] + [
        para(f"Finding number {n} is about practice. It has a second sentence.")
        for n in range(1, 9)]


def test_sign_off_is_closing_matter_not_findings() -> None:
    sections = split_sections([
        *letter_body(),
        para("Ofsted will take the findings from this focused visit into account when "
             "planning the next inspection or visit."),
        para("Yours sincerely"), para("Jane Smith"), heading("His Majesty\u2019s Inspector"),
    ])
    assert [(s.kind, s.heading) for s in sections[-2:]] == [
        ("main-findings", "Main findings"), ("other", "")]
    assert sections[-1].paragraphs[1:] == [
        "Yours sincerely", "Jane Smith", "His Majesty\u2019s Inspector"]
    texts = [f.text for f in build_findings(sections)]
    assert len(texts) == 16
    assert not any("Ofsted" in t or "sincerely" in t for t in texts)


def test_back_page_is_closing_matter_and_a_known_heading_after_it_reopens() -> None:
    sections = split_sections([
        *letter_body(),
        para("The Office for Standards in Education, Children's Services and Skills (Ofsted) "
             "regulates and inspects to achieve excellence in the care of children."),
        heading("E: enquiries@ofsted.gov.uk"),
        para("\u00a9 Crown copyright 2024"),
        heading("Recommendations"), item("Ensure that plans are timely.", marker="1."),
    ])
    assert [(s.kind, s.heading) for s in sections[-3:]] == [
        ("main-findings", "Main findings"), ("other", ""), ("recommendations", "Recommendations")]
    assert sections[-2].paragraphs[1:] == [
        "E: enquiries@ofsted.gov.uk", "\u00a9 Crown copyright 2024"]


def test_sign_off_words_early_in_a_document_open_nothing() -> None:
    sections = split_sections([
        heading("Main findings"), para("Yours sincerely"), *letter_body()[2:]])
    assert [s.kind for s in sections] == ["main-findings"]


SUMMARY = ("Services for children have improved since the last inspection and most children "
           "now get the help they need. Leaders know their services well.")


def test_summary_under_a_cover_judgement_table_is_the_headline() -> None:
    sections = split_sections([
        heading("Judgement Grade"),
        para("The impact of leaders on social work practice with children and families"),
        para("Good"),
        para("The experiences and progress of children who need help and protection Good"),
        para("The experiences and progress of children in care and care leavers Good"),
        para("Overall effectiveness Good"),
        para(SUMMARY),
        heading("What needs to improve?"), item("Supervision."),
    ])
    assert [(s.kind, s.heading) for s in sections] == [
        ("judgements", "Judgement Grade"), ("headline", ""), ("improve", "What needs to improve?")]
    assert sections[0].paragraphs[-1] == "Overall effectiveness Good"
    assert [f.text for f in build_findings(sections)][:2] == [
        "Services for children have improved since the last inspection and most children now "
        "get the help they need.", "Leaders know their services well."]


def test_findings_under_a_one_row_judgement_table_take_its_label_as_heading() -> None:
    chapter = "The experiences and progress of children who need help and protection"
    sections = split_sections([
        heading("Inspection judgements about the local authority"),
        heading(chapter),
        heading("Key judgement Judgement grade"), para(chapter), para("Inadequate"),
        para(SUMMARY),
        heading("The graded judgement for adoption performance is that it is good"),
        para("Adopters are well prepared."),
    ])
    assert [(s.kind, s.heading) for s in sections] == [
        ("main-findings", "Inspection judgements about the local authority"),
        ("judgements", "Key judgement Judgement grade"),
        ("main-findings", chapter),
        ("main-findings", "The graded judgement for adoption performance is that it is good"),
    ]
    assert sections[2].paragraphs == [SUMMARY]


def test_grade_printed_under_a_wrapped_heading_and_reason_lead_ins_open_nothing() -> None:
    sections = split_sections([
        heading("The experiences and progress of children looked after and achieving permanence"),
        heading("Good"), para("Children are well cared for."),
        heading("Summary of findings"),
        heading("Children\u2019s services in Anytown are inadequate because:"),
        para("Quality of practice"), item("Assessments are poor."),
    ])
    assert [(s.kind, len(s.paragraphs)) for s in sections] == [
        ("main-findings", 1), ("headline", 2)]
    assert [f.text for f in build_findings(sections)] == [
        "Children are well cared for.", "Assessments are poor."]


def test_bracketed_note_stays_with_its_sentence() -> None:
    sections = split_sections([
        heading("Main findings"),
        para("Plans are weak. (Recommendation)"), para("Reviews are late."),
        para("(Recommendation)"),
    ])
    assert [f.text for f in build_findings(sections)] == [
        "Plans are weak. (Recommendation)", "Reviews are late. (Recommendation)"]


def test_improvement_list_running_to_the_last_page_ends_before_the_sign_off(
        tmp_path: Path) -> None:
    # Evenly spaced lines give no paragraph gap: the hanging indent must end the item.
    line = pdfgen.TextLine
    body = [part for n in range(4) for part in (
        line(f"Finding {n}", bold=True), line("Leaders know their services well."))]
    pages = [
        pdfgen.Page([*body, line("What needs to improve", bold=True, size=14),
                     line("\u2022 Leaders should improve the quality of"),
                     line("plans for children.", x=84)]),
        pdfgen.Page([line("\u2022 The partnership should review its"),
                     line("arrangements for", x=84)]),
        pdfgen.Page([line("private fostering.", x=84), line("Yours sincerely"),
                     line("Jane Smith"), line("His Majesty's Inspector")]),
        pdfgen.Page([line("\u00a9 Crown copyright 2023")]),
    ]
    path = pdfgen.write_pdf(tmp_path / "letter.pdf", pages)
    sections = split_sections(clean_document(read_document(path)))
    improve = [s for s in sections if s.kind == "improve"]
    assert [s.items for s in improve] == [[
        "Leaders should improve the quality of plans for children.",
        "The partnership should review its arrangements for private fostering.",
    ]]


def test_sections_of_a_page_wrapped_text_extraction() -> None:
    """pdftotext output: lists under their headings, continued across page breaks."""
    sections = split_sections(clean_document(read_document(
        FIXTURES / "clean_pdftotext_area_send.txt")))
    lists = {s.kind: s.items for s in sections if s.items}
    assert [item[:30] for item in lists["strengths"]] == [
        "Leaders work well with schools", "Early years settings receive h",
        "Young people who are preparing"]
    assert [item[:30] for item in lists["improve"]] == [
        "The wait for speech and langua", "Some plans are written without",
        "Transport to school is arrange"]


def test_sub_headings_inside_a_list_are_each_items_group_not_its_text() -> None:
    sections = split_sections([
        heading("Recommendations"),
        heading("Priority and immediate action"),
        item("Review all unallocated cases.", marker="1."),
        para("Quality of practice"),
        item("Ensure that plans are specific.", marker="2."),
        item("Ensure that visits are timely.", marker="3."),
        para("Children who go missing or who are at risk of child sexual exploitation"),
        item("Ensure that return interviews are offered.", marker="4."),
    ])
    [section] = sections
    assert section.items == ["Review all unallocated cases.", "Ensure that plans are specific.",
                             "Ensure that visits are timely.",
                             "Ensure that return interviews are offered."]
    assert section.groups == [
        "Priority and immediate action", "Quality of practice", "Quality of practice",
        "Children who go missing or who are at risk of child sexual exploitation"]
    assert section.paragraphs == []


def test_a_list_without_sub_headings_has_no_groups() -> None:
    [section] = split_sections([heading("What needs to improve?"), item("Plans."),
                                item("Audits.")])
    assert section.groups == []


def test_a_sentence_saying_a_list_is_empty_is_no_item() -> None:
    sections = split_sections([
        heading("Priority and immediate action"),
        item("The inspection did not find any areas for priority and immediate action.",
             marker="26."),
        heading("Areas for improvement"),
        item("Ensure that thresholds are understood.", marker="27."),
        heading("Priority actions"),
        para("There are no priority actions."),
        heading("Areas for improvement"),
        para("There are no effective plans for care leavers."),
    ])
    assert [(s.kind, s.items) for s in sections] == [
        ("improve", []),
        ("improve", ["Ensure that thresholds are understood."]),
        ("improve", []),
        ("improve", ["There are no effective plans for care leavers."]),
    ]
