"""Sections stage: section kinds, list rebuilding and sentence findings."""

from __future__ import annotations

from pathlib import Path

import pytest

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
