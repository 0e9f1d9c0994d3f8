"""Clean stage: furniture removal, re-joining of lines, markers and headings."""

from __future__ import annotations

from pathlib import Path

import pdfgen
from jtai_tools.clean import (
    clean_document,
    heading_kind,
    is_wrapped_text,
    normalise_chars,
    split_marker,
)
from jtai_tools.models import Block, Line, RawDocument
from jtai_tools.read import read_document
from pdfgen import TextLine

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HEIGHT = 842.0


def line(text: str, page: int, top: float, x0: float = 72.0, size: float = 12.0,
         bold: bool = False) -> Line:
    return Line(text=text, page=page, size=size, bold=bold, x0=x0, top=top, page_height=HEIGHT)


def pdf(*pages: list[Line]) -> RawDocument:
    return RawDocument(path="test.pdf", format="pdf", sha256="0", pages=list(pages))


def footer(page: int) -> list[Line]:
    """A running footer as ILACS reports print it: title, then dates and page number."""
    return [
        line("Inspection of Anytown local authority children’s services", page, 796.0, size=8.0,
             bold=True),
        line(f"15 to 26 November 2021 {page}", page, 806.0, size=8.0, bold=True),
    ]


def texts(blocks: list[Block], kind: str | None = None) -> list[str]:
    return [b.text for b in blocks if kind is None or b.kind == kind]


def test_running_footer_page_number_and_address_block_are_removed() -> None:
    raw = pdf(
        [line("1", 1, 801.0, x0=295.0, size=9.0), line("Ofsted", 1, 62.0, x0=290.0, size=8.5),
         line("Piccadilly Gate", 1, 73.0, x0=290.0, size=8.5),
         line("www.gov.uk/ofsted", 1, 108.0, x0=403.0, size=8.5),
         line("Body text on the first page.", 1, 300.0)],
        [*footer(2), line("Body text on the second page.", 2, 100.0)],
        [*footer(3), line("Body text on the third page.", 3, 100.0)],
    )
    assert texts(clean_document(raw)) == [
        "Body text on the first page.",
        "Body text on the second page.",
        "Body text on the third page.",
    ]


def test_wrapped_lines_join_and_line_end_hyphens_are_kept() -> None:
    raw = pdf([
        line("Children benefit from a well-coordinated multi-", 1, 100.0),
        line("agency response and face\ufffeto-face visits. The \ufb01rst", 1, 114.5),
        line("visits were timely.", 1, 143.5),
        line("A second paragraph starts after a gap.", 1, 170.0),
    ])
    assert texts(clean_document(raw)) == [
        "Children benefit from a well-coordinated multi-agency response and face-to-face "
        "visits. The first visits were timely.",
        "A second paragraph starts after a gap.",
    ]


def test_list_item_continues_across_a_page_break_at_its_hanging_indent() -> None:
    raw = pdf(
        [line("What needs to improve?", 1, 700.0, size=14.0, bold=True),
         line("• The timely provision of suitable accommodation for", 1, 730.0, x0=70.0),
         line("children subject to police protection.", 1, 744.5, x0=81.0),
         line("• The consistent attendance of health professionals at", 1, 770.0, x0=70.0),
         *footer(1)],
        [*footer(2),
         line("meetings about children.", 2, 62.0, x0=81.0),
         line("• Effectiveness of Operation Encompass.", 2, 86.0, x0=70.0)],
        [*footer(3), line("Another page.", 3, 100.0)],
    )
    blocks = clean_document(raw)
    assert [(b.kind, b.marker) for b in blocks[:4]] == [
        ("heading", None), ("item", "•"), ("item", "•"), ("item", "•")]
    assert texts(blocks, "item") == [
        "The timely provision of suitable accommodation for children subject to police "
        "protection.",
        "The consistent attendance of health professionals at meetings about children.",
        "Effectiveness of Operation Encompass.",
    ]


def test_new_paragraph_at_page_top_is_not_joined_to_a_finished_one() -> None:
    raw = pdf(
        [line("The last sentence of the page ends here.", 1, 760.0), *footer(1)],
        [*footer(2), line("The next page opens a new paragraph.", 2, 98.0)],
        [*footer(3)],
    )
    assert len(texts(clean_document(raw), "paragraph")) == 2


def test_numbered_paragraphs_and_sub_bullets_get_markers_and_levels() -> None:
    raw = pdf([
        line("1. Ensure that plans are reviewed:", 1, 100.0, x0=71.0),
        line("\uf06e with children and families", 1, 125.0, x0=100.0),
        line("\uf06e within timescales.", 1, 150.0, x0=100.0),
        line("2. Ensure that supervision is regular.", 1, 180.0, x0=71.0),
    ])
    blocks = clean_document(raw)
    assert [(b.marker, b.level, b.text) for b in blocks] == [
        ("1.", 0, "Ensure that plans are reviewed:"),
        ("\uf06e", 1, "with children and families"),
        ("\uf06e", 1, "within timescales."),
        ("2.", 0, "Ensure that supervision is regular."),
    ]


def test_multi_line_bold_heading_is_one_heading_and_footnote_markers_go() -> None:
    raw = pdf([
        line("The experiences and progress of children who need help and", 1, 100.0,
             size=14.0, bold=True),
        line("protection: good", 1, 117.0, size=14.0, bold=True),
        line("Information about this local authority area2", 1, 150.0, size=14.0, bold=True),
        line("Body text.", 1, 180.0),
        line("2 The local authority was given the opportunity to review this", 1, 760.0, size=6.5),
        line("section of the report.", 1, 772.0, size=10.0),
    ])
    assert [(b.kind, b.text) for b in clean_document(raw)] == [
        ("heading", "The experiences and progress of children who need help and protection: good"),
        ("heading", "Information about this local authority area"),
        ("paragraph", "Body text."),
    ]


def test_markdown_letter_loses_markup_and_rejoins_across_page_breaks() -> None:
    blocks = clean_document(read_document(FIXTURES / "clean_letter.md"))
    assert texts(blocks, "heading")[:3] == [
        "Joint targeted area inspection of Anytown", "Headline findings",
        "What needs to improve?"]
    body = texts(blocks, "paragraph")
    assert body[0].startswith("This letter summarises the findings of the joint targeted")
    assert "**" not in " ".join(texts(blocks))
    assert body[1] == ("Leaders have an accurate understanding of the services they lead, and "
                       "have acted swiftly to strengthen support. See the guidance for details.")
    assert texts(blocks, "item") == [
        "The effectiveness of management oversight across health and police services.",
        "The quality of return home interviews.",
        "Referrals receive timely and proportionate decision-making.",
    ]
    assert body[-1] == "Anytown should send the statement to x@ofsted.gov.uk by 9 August 2023."
    assert not any("Piccadilly" in t or t == "Ofsted" for t in texts(blocks))


def test_text_contents_entries_are_dropped() -> None:
    blocks = clean_document(read_document(FIXTURES / "sections_arrangements.txt"))
    assert "Contents" not in texts(blocks)
    assert not any(t.endswith(("3", "4", "6")) for t in texts(blocks))


def test_markers_vocabulary_and_characters() -> None:
    assert split_marker("12. Ensure that") == ("12.", "Ensure that")
    assert split_marker("(a) the first") == ("(a)", "the first")
    assert split_marker("◼ Oversight") == ("◼", "Oversight")
    assert split_marker("48.5 per 10,000 children") == (None, "48.5 per 10,000 children")
    assert heading_kind("What needs to improve in this area of social work practice?") == "improve"
    assert heading_kind("The local authority’s strengths") == "strengths"
    assert heading_kind("Practice study: area for improvement") == "practice-study"
    assert heading_kind("Dear Sutton Local Safeguarding Partnership") is None


def test_headings_of_older_letters_and_monitoring_visits() -> None:
    """Report kinds the sample corpus lacks: JTAI letters before 2022, SEND letters
    before 2023 and monitoring visits use other words for the same sections."""
    assert heading_kind("Key strengths") == "strengths"
    assert heading_kind("Areas of strength") == "strengths"
    assert heading_kind("Key areas for improvement") == "improve"
    assert heading_kind("Areas for development") == "improve"
    assert heading_kind("Areas of significant weakness") == "improve"
    assert heading_kind("Case study: highly effective practice") == "practice-study"
    assert heading_kind("Findings and evaluation of progress") == "main-findings"
    quoted = "\u201cquoted\u201d"
    assert normalise_chars(f"e\ufb00ective {quoted}\u00a0 text") == f"effective {quoted} text"


def priority_table_page() -> list[Line]:
    """An area SEND page: a label-column table, then a one-column table under its own heading."""
    return [
        line("Areas for priority action ", 1, 110.0, x0=56.6, size=14.0, bold=True),
        line("Responsible body Areas for priority action", 1, 144.0, x0=62.4, bold=True),
        line("Anytown Council, NHS ", 1, 160.0, x0=62.4),
        line("Anytown Integrated Care ", 1, 174.5, x0=62.4),
        line("Board", 1, 189.0, x0=62.4),
        line("Leaders need to ensure that there is a clear ", 1, 160.0, x0=223.6),
        line("strategy. Leaders need to agree the plans.", 1, 174.5, x0=223.6),
        line("Anytown Council ", 1, 210.0, x0=62.4),
        line("Leaders need to cut waiting times for ", 1, 210.0, x0=223.6),
        line("assessments.", 1, 224.5, x0=223.6),
        line("Areas for improvement ", 1, 260.0, x0=56.6, size=14.0, bold=True),
        line("Areas for improvement", 1, 290.0, x0=62.4, bold=True),
        line("Leaders should improve the quality of plans for children and young people", 1,
             306.0, x0=62.4),
        line("with SEND.", 1, 320.5, x0=62.4),
        line("Leaders should reduce the rate of suspensions from school for children and", 1,
             337.5, x0=62.4),
        line("young people with SEND.", 1, 352.0, x0=62.4),
    ]


def test_label_column_table_gives_one_paragraph_per_right_hand_cell() -> None:
    blocks = clean_document(pdf(priority_table_page()))
    assert [(b.kind, b.text) for b in blocks[:4]] == [
        ("heading", "Areas for priority action"),
        ("heading", "Areas for priority action"),
        ("paragraph", "Leaders need to ensure that there is a clear strategy. Leaders need to "
                      "agree the plans."),
        ("paragraph", "Leaders need to cut waiting times for assessments."),
    ]
    assert not any("Anytown" in b.text or "Responsible" in b.text for b in blocks)


def test_sentence_end_before_a_wider_gap_than_the_line_pitch_ends_a_paragraph() -> None:
    paragraphs = texts(clean_document(pdf(priority_table_page())), "paragraph")
    assert paragraphs[-2:] == [
        "Leaders should improve the quality of plans for children and young people with SEND.",
        "Leaders should reduce the rate of suspensions from school for children and young "
        "people with SEND.",
    ]


def test_markdown_label_table_keeps_the_right_hand_cells() -> None:
    blocks = clean_document(read_document(FIXTURES / "clean_priority_table.md"))
    assert texts(blocks, "paragraph")[:2] == [
        "Leaders must reduce waiting times for assessments. They should report progress to the "
        "board.",
        "Health leaders must make sure that families get support while they wait.",
    ]
    assert not any("Responsible" in t or "Integrated Care Board" in t for t in texts(blocks))


def test_paragraph_number_against_its_first_word_and_bare_bullets() -> None:
    assert split_marker("36.The panel meets monthly.") == ("36.", "The panel meets monthly.")
    assert split_marker("2.5 Million children") == (None, "2.5 Million children")
    raw = pdf([
        line("37.Young people are well supported.", 1, 100.0),
        line("\u25fc", 1, 130.0, x0=56.7),
        line("Manchester M1 2WD", 1, 160.0, size=9.0),
    ])
    assert [(b.kind, b.marker, b.text) for b in clean_document(raw)] == [
        ("item", "37.", "Young people are well supported.")]


def test_html_lists_headings_and_multi_line_table_rows_in_markdown() -> None:
    # Converters write HTML into markdown: <li> items (nested lists as
    # sub-items), <h2> headings and a table row spread over several lines.
    blocks = clean_document(read_document(FIXTURES / "clean_html_lists.md"))
    assert [(b.kind, b.level, b.text) for b in blocks] == [
        ("heading", 0, "What needs to improve"),
        ("item", 0, "Leaders should improve the quality of plans:"),
        ("item", 1, "for children at risk;"),
        ("item", 1, "for children in care."),
        ("item", 0, "Managers should audit cases."),
        ("heading", 0, "Areas for priority action"),
        ("paragraph", 0, "Improve the timeliness of assessments."),
        ("heading", 0, "Next steps"),
        ("paragraph", 0, "The local authority should prepare a plan."),
    ]


def test_markup_footnote_markers_footnote_text_and_italics_go() -> None:
    blocks = clean_document(read_document(FIXTURES / "clean_html_notes.md"))
    assert texts(blocks, "item") == [
        "Leaders should improve plans.", "Managers should audit cases.",
        "Leaders know their services well."]
    assert not any("Working together" in t for t in texts(blocks))


def test_windows_line_endings_and_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"\xef\xbb\xbfWhat needs to improve\r\n\r\n- Plans are\r\nweak.\r\n"
                     b"- Audits are rare.\r\n")
    assert [(b.kind, b.text) for b in clean_document(read_document(path))] == [
        ("heading", "What needs to improve"), ("item", "Plans are weak."),
        ("item", "Audits are rare.")]


def test_bullets_inside_a_table_cell_are_items_without_their_bullets() -> None:
    raw = pdf([
        line("Responsible body Areas for priority action", 1, 100.0, bold=True),
        line("Anytown Council", 1, 120.0),
        line("\u2022 Leaders should improve the timeliness", 1, 120.0, x0=240.0),
        line("of assessments.", 1, 134.0, x0=250.0),
        line("\u2022 Leaders should reduce waiting times.", 1, 148.0, x0=240.0),
        line("Anytown ICB", 1, 170.0),
        line("Health leaders must make sure that:", 1, 170.0, x0=240.0),
        line("\u2022 families get support while they wait.", 1, 184.0, x0=240.0),
    ])
    assert texts(clean_document(raw), "paragraph") == [
        "Leaders should improve the timeliness of assessments.",
        "Leaders should reduce waiting times.",
        "Health leaders must make sure that: families get support while they wait.",
    ]


def test_table_header_repeated_on_the_next_page_carries_the_table_on() -> None:
    header = "Responsible body Areas for priority action"
    raw = pdf(
        [line(header, 1, 700.0, bold=True), line("Anytown Council", 1, 720.0),
         line("Leaders should cut waiting times.", 1, 720.0, x0=240.0)],
        [line(header, 2, 100.0, bold=True), line("Anytown ICB", 2, 120.0),
         line("Health leaders should share records.", 2, 120.0, x0=240.0)],
    )
    assert [(b.kind, b.text) for b in clean_document(raw)] == [
        ("heading", "Areas for priority action"),
        ("paragraph", "Leaders should cut waiting times."),
        ("paragraph", "Health leaders should share records."),
    ]


# --------------------------------------------------------------------------
# Text wrapped at the page width (pdftotext's default output)


def wrapped_blocks(name: str) -> list[Block]:
    return clean_document(read_document(FIXTURES / name))


def text_doc(*pages: str) -> RawDocument:
    return RawDocument(path="test.txt", format="text", sha256="0", pages=[
        [Line(text=t, page=number) for t in page.split("\n") if t.strip()]
        for number, page in enumerate(pages, start=1)])


def test_wrapped_text_is_told_from_one_paragraph_per_line_text() -> None:
    assert is_wrapped_text(read_document(FIXTURES / "clean_pdftotext_ilacs.txt"))
    assert is_wrapped_text(read_document(FIXTURES / "clean_pdftotext_area_send.txt"))
    one_per_line = text_doc(
        "What needs to improve?\n"
        "The timeliness of assessments for children who are new to the service, so that "
        "plans start promptly.\n"
        "The quality of written records, which do not always show why decisions were taken.")
    assert not is_wrapped_text(one_per_line)
    assert not is_wrapped_text(read_document(FIXTURES / "clean_letter.md"))


def test_running_footers_and_page_numbers_of_form_feed_pages_are_removed() -> None:
    ilacs = " ".join(texts(wrapped_blocks("clean_pdftotext_ilacs.txt")))
    send = " ".join(texts(wrapped_blocks("clean_pdftotext_area_send.txt")))
    assert "Inspection of Anytown local authority" not in ilacs
    assert "1 to 12 March 2021 2" not in ilacs
    assert "Area SEND inspection report" not in send
    for page_number in ("2", "3", "4"):
        assert page_number not in texts(wrapped_blocks("clean_pdftotext_area_send.txt"))
    # the cover lines that only look like the footer stay
    assert "Inspection dates: 1 to 12 March 2021" in ilacs


def test_wrapped_lines_rejoin_into_paragraphs_and_items() -> None:
    blocks = wrapped_blocks("clean_pdftotext_ilacs.txt")
    paragraphs = [(b.kind, b.text) for b in blocks if b.text.startswith(("Leaders", "Inspectors"))]
    assert paragraphs == [
        ("paragraph",
         "Leaders in the council have a clear plan for the service, and staff say that they "
         "feel supported by their managers. Most children receive help when they first need "
         "it. Senior leaders know where practice is weaker and have begun to act on it. "
         "Families who spoke to inspectors said that workers listen to them and explain "
         "things. Visits are regular."),
        ("paragraph",
         "Inspectors looked at the records of many children and spoke with social workers, "
         "managers and partner agencies during the visit. In most of the cases that inspectors "
         "saw, children were visited often and were seen alone when this was right for them. "
         "Workers knew the children well and could describe their wishes and feelings in "
         "detail, although this was not always written down in the records that inspectors "
         "read."),
    ]
    assert texts(blocks, "item")[:2] == [
        "The timeliness of assessments for children who are new to the service, so that plans "
        "start promptly.",
        "The quality of written records, which do not always show why decisions were taken or "
        "who was told about them.",
    ]


def test_item_and_paragraph_continue_across_a_page_break_after_the_footer() -> None:
    blocks = wrapped_blocks("clean_pdftotext_ilacs.txt")
    items = [(b.marker, b.text) for b in blocks if b.kind == "item"]
    assert items[2:] == [
        # the next page starts in lower case
        ("●", "The consistency of supervision for newly qualified staff in the duty team, so "
              "that their work is checked often enough and their questions are answered."),
        # a full line without a sentence end, then a capital on the next line
        ("●", "The help given to care leavers to find work, training or a place at a college "
              "of Further Education near their home."),
        # paragraph numbers printed on lines of their own label the text after them
        ("1.", "Children who need help are seen quickly by social workers who know the area "
               "well. Most assessments are thorough and record the views of the child and "
               "their family."),
        # the next page starts with a capital, but the page ended mid-sentence
        ("2.", "When risks to children increase, managers hold meetings with partner agencies "
               "promptly and agree what each of them will do. Plans are reviewed regularly, and "
               "Anytown Council keeps a close watch on how long children wait for a service. "
               "Staff know what is expected of them."),
        ("3.", "Social workers use interpreters when a family’s first language is not English."),
    ]
    headings = texts(blocks, "heading")
    assert "What needs to improve?" in headings
    assert "The experiences and progress of children who need help and protection: good" \
        in headings


def test_bullets_at_line_starts_and_on_lines_of_their_own() -> None:
    blocks = wrapped_blocks("clean_pdftotext_area_send.txt")
    items = [(b.marker, b.text[:40]) for b in blocks if b.kind == "item"]
    assert items == [
        ("◼", "Leaders work well with schools and healt"),
        ("◼", "Early years settings receive helpful adv"),
        ("▪", "Young people who are preparing for adult"),
        ("\uf0b7", "The wait for speech and language therapy"),
        ("\uf0b7", "Some plans are written without input fro"),
        ("•", "Transport to school is arranged late for"),
    ]
    full = texts(blocks, "item")
    assert full[1].endswith("teaching service. Children who attend these settings are ready "
                            "for school.")
    assert full[5] == ("Transport to school is arranged late for some children, which means "
                       "that they miss the first days of term.")


def test_hyphen_dropped_at_a_wrap_comes_back_when_the_report_prints_it_elsewhere() -> None:
    items = texts(wrapped_blocks("clean_pdftotext_area_send.txt"), "item")
    assert "The multi-agency quality checks that leaders have introduced" in items[4]
    assert "Multi-agency panels meet every week" in items[0]


#: A paragraph of wrapped text (lines broken mid-sentence, as PDF-to-text tools print them).
WRAPPED_BODY = (
    "Leaders have put in place a plan to improve the service, and most staff say that "
    "they\nfeel supported by managers who are visible and who know the children well "
    "and\nlisten to them. Inspectors spoke to many social workers, who said that their "
    "work\nis checked often and that they are given time to think about the children "
    "they\nwork with and to talk to them alone."
)


def test_numbered_group_labels_stay_inside_an_improvement_list() -> None:
    raw = text_doc(
        WRAPPED_BODY,
        "What does the local authority need to improve?\n"
        "Leadership, management and governance\n"
        "1. Review all cases held by managers and ensure that children receive a service.\n"
        "Care leavers\n"
        "2. Increase the number of care leavers who are in education or training.\n"
        "Summary for children and young people\n"
        "● Most of you told us that your social worker listens to you.")
    assert is_wrapped_text(raw)
    blocks = clean_document(raw)
    assert [(b.kind, b.text) for b in blocks[1:]] == [
        ("heading", "What does the local authority need to improve?"),
        ("paragraph", "Leadership, management and governance"),
        ("item", "Review all cases held by managers and ensure that children receive a service."),
        ("paragraph", "Care leavers"),
        ("item", "Increase the number of care leavers who are in education or training."),
        ("heading", "Summary for children and young people"),
        ("item", "Most of you told us that your social worker listens to you."),
    ]


def test_paragraph_numbers_at_page_tops_are_not_taken_for_running_headers() -> None:
    words = ["children", "families", "carers", "schools"]
    pages = [f"{n}.\nInspectors met {word} in the area and heard about the help that they get "
             f"from\nsocial workers, which was described as timely and well suited to their "
             f"needs.\n{n}" for n, word in enumerate(words, start=1)]
    blocks = clean_document(text_doc(*pages))
    assert [(b.marker, b.text.split()[2]) for b in blocks] == [
        ("1.", "children"), ("2.", "families"), ("3.", "carers"), ("4.", "schools")]


def test_heading_after_an_ungrouped_numbered_list_still_ends_it() -> None:
    raw = text_doc(
        WRAPPED_BODY,
        "Areas for improvement\n"
        "7. Ensure that young people's views inform the way that services are planned.\n"
        "Strengths and weaknesses of the board\n"
        "8. The board meets often, and its members attend most of its meetings.")
    blocks = clean_document(raw)
    assert [(b.kind, b.text[:30]) for b in blocks[1:]] == [
        ("heading", "Areas for improvement"),
        ("item", "Ensure that young people's vie"),
        ("heading", "Strengths and weaknesses of th"),
        ("item", "The board meets often, and its"),
    ]


# --------------------------------------------------------------------------
# Ruled one-column list tables (area SEND "Areas for improvement")


def ruled_rows() -> list[Line]:
    """A one-column list table: rows printed at the line pitch, told apart only by rules."""
    return [
        line("Areas for improvement ", 1, 100.0, x0=56.6, size=14.0, bold=True),
        line("Areas for improvement", 1, 130.0, x0=62.4, bold=True),
        line("Leaders should improve how the voices of children are used to make", 1, 145.5,
             x0=62.4),
        line("improvements to services.", 1, 160.0, x0=62.4),
        line("Leaders should improve how they use data to ensure that:", 1, 175.0, x0=62.4),
        line("\u25aa practitioners have accurate information", 1, 189.5, x0=80.3),
        line("\u25aa they secure improvements to services.", 1, 204.0, x0=80.3),
    ]


RULES = {1: [(127.0, 57.1, 529.3), (142.5, 57.1, 529.3), (172.0, 57.1, 529.3),
             (220.0, 57.1, 529.3)]}


def test_rules_between_rows_of_a_list_table_make_one_item_a_cell() -> None:
    raw = RawDocument(path="test.pdf", format="pdf", sha256="0", pages=[ruled_rows()],
                      rules=RULES)
    assert texts(clean_document(raw), "paragraph") == [
        "Leaders should improve how the voices of children are used to make improvements to "
        "services.",
        "Leaders should improve how they use data to ensure that: practitioners have accurate "
        "information they secure improvements to services.",
    ]


def test_without_rules_rows_at_the_line_pitch_run_together() -> None:
    blocks = clean_document(pdf(ruled_rows()))
    assert texts(blocks, "paragraph")[0].endswith("improvements to services. Leaders should "
                                                  "improve how they use data to ensure that:")
    assert texts(blocks, "item") == ["practitioners have accurate information",
                                     "they secure improvements to services."]


def test_the_reader_measures_the_rules_of_a_real_ruled_table(tmp_path: Path) -> None:
    lines = [
        TextLine("Areas for improvement", bold=True),
        TextLine("Leaders should improve the quality of plans for children."),
        TextLine("Leaders should cut the time families wait for assessments."),
    ]
    # pdfgen prints lines 15.4 points apart from 72 down; rules sit between the rows.
    page = pdfgen.Page(lines, rules=[(76.0, 70.0, 520.0), (91.4, 70.0, 520.0),
                                     (106.8, 70.0, 520.0), (122.2, 70.0, 520.0)])
    raw = read_document(pdfgen.write_pdf(tmp_path / "ruled.pdf", [page]))
    assert [top for top, _, _ in raw.rules[1]] == [76.0, 91.4, 106.8, 122.2]
    assert texts(clean_document(raw), "paragraph") == [
        "Leaders should improve the quality of plans for children.",
        "Leaders should cut the time families wait for assessments.",
    ]


def test_a_cell_carries_on_across_a_page_break_while_its_bullets_go_on() -> None:
    rows = ruled_rows()
    first = rows[:6]
    second = [line("\u25aa they secure improvements to services.", 2, 95.0, x0=80.3),
              line("Local area partnership details", 2, 150.0, x0=56.6, bold=True)]
    raw = RawDocument(path="test.pdf", format="pdf", sha256="0", pages=[first, second],
                      rules={1: RULES[1][:3], 2: [(92.0, 57.1, 529.3), (120.0, 57.1, 529.3)]})
    assert texts(clean_document(raw), "paragraph")[-1] == (
        "Leaders should improve how they use data to ensure that: practitioners have accurate "
        "information they secure improvements to services.")


def test_label_table_cell_keeps_its_lead_in_bullets_across_a_page_break() -> None:
    raw = pdf(
        [line("Responsible body Areas for priority action", 1, 600.0, bold=True),
         line("Anytown Council", 1, 620.0),
         line("Leaders should improve support while families wait. This includes:", 1, 620.0,
              x0=223.6),
         line("\u2022 children waiting for speech and language therapy", 1, 640.0, x0=241.6),
         line("\u2022 children waiting for a paediatric assessment", 1, 660.0, x0=241.6)],
        [line("\u2022 young people waiting for an autism assessment.", 2, 97.0, x0=241.6),
         line("Leaders should also agree a pathway up to 25 years old.", 2, 125.0, x0=223.6)],
    )
    assert texts(clean_document(raw), "paragraph") == [
        "Leaders should improve support while families wait. This includes: children waiting "
        "for speech and language therapy children waiting for a paediatric assessment young "
        "people waiting for an autism assessment. Leaders should also agree a pathway up to 25 "
        "years old.",
    ]


def test_an_item_ending_at_a_page_foot_carries_on_at_its_hanging_indent() -> None:
    first = Line(text="\u25fc All young people have access to a youth worker (CAMHS)", page=1,
                 size=12.0, bold=False, x0=56.7, top=762.0, page_height=HEIGHT, text_x=74.5)
    raw = pdf(
        [line("Strengths", 1, 700.0, bold=True, size=14.0), first],
        [line("at the start of their transition. This is effective.", 2, 95.0, x0=74.5),
         line("\u25fc The teams work well together.", 2, 115.0, x0=56.7)],
    )
    assert texts(clean_document(raw), "item") == [
        "All young people have access to a youth worker (CAMHS) at the start of their "
        "transition. This is effective.",
        "The teams work well together.",
    ]


def test_the_rest_of_a_printed_line_split_by_the_reader_joins_it() -> None:
    raw = pdf([
        line("Recommendations", 1, 100.0, bold=True, size=14.0),
        line("13. Ensure that all cared for children", 1, 130.0),
        line("receive a timely annual health assessment.", 1, 130.0, x0=281.7),
        line("14. Establish systems to understand offending.", 1, 150.0),
    ])
    assert texts(clean_document(raw), "item") == [
        "Ensure that all cared for children receive a timely annual health assessment.",
        "Establish systems to understand offending.",
    ]


def test_a_table_row_the_reader_ran_into_one_line_is_parted_at_its_column_gap() -> None:
    merged = Line(text="Anytown Council Anytown Council leaders should ensure that ", page=1,
                  size=12.0, bold=False, x0=62.4, top=455.6, page_height=HEIGHT,
                  runs=((16, 223.6),))
    raw = pdf([
        line("Responsible body Areas for priority action", 1, 420.0, x0=62.4, bold=True),
        line("Anytown ICB", 1, 436.0, x0=62.4),
        line("Health leaders should cut waits.", 1, 436.0, x0=223.6),
        merged,
        line("children with SEND get the care they need.", 1, 470.2, x0=223.6),
    ])
    assert texts(clean_document(raw), "paragraph") == [
        "Health leaders should cut waits.",
        "Anytown Council leaders should ensure that children with SEND get the care they need.",
    ]


def test_the_reader_measures_column_gaps_on_pages_with_ruled_tables(tmp_path: Path) -> None:
    page = pdfgen.Page([
        TextLine("Responsible body Areas for priority action", bold=True),
        TextLine("Anytown Council", cells=((223.6, "Leaders should cut waits."),)),
        TextLine("12. Ensure that plans are reviewed."),
    ])
    raw = read_document(pdfgen.write_pdf(tmp_path / "cells.pdf", [page]))
    merged = next(line for line in raw.pages[0] if line.text.startswith("Anytown"))
    [(offset, x0)] = merged.runs
    assert merged.text[offset:].startswith("Leaders")
    assert x0 > merged.x0 + 100
    assert all(not line.runs for line in raw.pages[0] if line.text.startswith("12."))
