"""Properties of the whole extraction on any text: nothing raises, nothing is invented.

Documents are drawn from a mix of the shapes real reports have (known section
headings, bullets, numbered items, wrapped sentences, page furniture) and
arbitrary Unicode, both as text files read by the reader and as PDF-like
pages of lines with layout. For every document:

- no stage raises;
- every list item and every finding is text of the cleaned document (the
  later stages select and join, they never write words of their own);
- sections come in document order;
- every piece of tagging evidence points at its own words in the finding.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jtai_tools.clean import clean_document
from jtai_tools.extract import report_id
from jtai_tools.metadata import read_metadata
from jtai_tools.models import POLARITIES, Line, RawDocument
from jtai_tools.read import InputError, printable, read_document
from jtai_tools.sections import build_findings, split_sections
from jtai_tools.tag import Tagger
from jtai_tools.vocab import section_roles

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

HEADINGS = [
    "Areas for improvement", "What needs to improve", "Strengths", "Recommendations",
    "Headline findings", "Executive summary", "Next steps", "Practice study: Jo",
    "Summary", "Main findings", "Judgement grade", "Overview",
    "What does the area partnership need to do better?",
]
MARKERS = ["•", "-", "–", "*", "1.", "2)", "(a)", "(ii)", "\uf0b7", "a."]
WORDS = [
    "children", "leaders", "partners", "should", "improve", "the", "quality", "of", "plans",
    "health", "police", "social", "workers", "help", "early", "and", "in", "Sutton", "2023",
    "e.g.", "No.", "Dr.", "48.5", "co-", "ordination", "neglect", "exploitation", "strong",
    "weak", "not", "effective", "İstanbul", "ﬁnd", "Straße", "café", "“quoted”", "(see", "p.",
    "3)", "£5", "DSL's", "www.gov.uk", "|", "#", "**", "<b>", "&amp;",
]

word = st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=8))
sentence = st.lists(word, min_size=1, max_size=14).map(" ".join).map(
    lambda s: s[:1].upper() + s[1:] + ".")
line_text = st.one_of(
    st.sampled_from(HEADINGS),
    st.tuples(st.sampled_from(MARKERS), sentence).map(" ".join),
    sentence,
    st.lists(sentence, min_size=2, max_size=4).map(" ".join),
    st.sampled_from(["", " ", "Page 3 of 12", "12", "Ofsted", "www.gov.uk/ofsted", "\f"]),
    st.text(max_size=60),
)
doc_lines = st.lists(line_text, min_size=0, max_size=40)


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


def _squash(text: str) -> str:
    return " ".join(text.split())


def _check_pipeline(raw: RawDocument, tagger: Tagger) -> None:
    blocks = clean_document(raw)
    sections = split_sections(blocks)
    read_metadata(raw, blocks, sections)
    findings = build_findings(sections)
    tagger.tag(findings)

    cleaned = _squash(" ".join(block.text for block in blocks))
    for section in sections:
        assert section.kind in section_roles().kinds
        for item in section.items:
            assert _squash(item) in cleaned, item
    for index, finding in enumerate(findings):
        assert finding.index == index
        assert finding.text.strip(), "a finding has words"
        assert _squash(finding.text) in cleaned, finding.text
        assert finding.polarity in POLARITIES
        for evidence in finding.evidence:
            assert 0 <= evidence.start <= evidence.end <= len(finding.text)
            assert finding.text[evidence.start:evidence.end] == evidence.text, evidence

    position = 0
    for section in sections:
        if not _squash(section.heading):
            continue
        found = cleaned.find(_squash(section.heading), position)
        assert found >= 0, f"section {section.heading!r} out of order or not in the text"
        position = found


@SETTINGS
@given(lines=doc_lines, crlf=st.booleans())
def test_any_text_file_goes_through_the_pipeline(
    lines: list[str], crlf: bool, tagger: Tagger
) -> None:
    text = ("\r\n" if crlf else "\n").join(lines)
    try:
        raw = read_document(Path("report.txt"), data=text.encode("utf-8", "surrogatepass"))
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert all(line.text.strip() for page in raw.pages for line in page)
    _check_pipeline(raw, tagger)


line_layout = st.fixed_dictionaries({
    "text": line_text.filter(lambda t: t.strip() != ""),
    "size": st.sampled_from([8.0, 10.0, 11.0, 12.0, 14.0, 18.0]),
    "bold": st.booleans(),
    "x0": st.sampled_from([56.7, 72.0, 85.0, 90.2, 300.0]),
    "gap": st.sampled_from([10.0, 14.0, 15.0, 28.0, 40.0]),
})


@SETTINGS
@given(pages=st.lists(st.lists(line_layout, max_size=25), min_size=1, max_size=4))
def test_any_pdf_layout_goes_through_the_pipeline(
    pages: list[list[dict]], tagger: Tagger
) -> None:
    raw_pages: list[list[Line]] = []
    for number, specs in enumerate(pages, start=1):
        top, lines = 60.0, []
        for spec in specs:
            lines.append(Line(text=spec["text"], page=number, size=spec["size"],
                              bold=spec["bold"], x0=spec["x0"], top=top, page_height=842.0))
            top = min(top + spec["gap"], 800.0)
        raw_pages.append(lines)
    raw = RawDocument(path="report.pdf", format="pdf", sha256="0" * 64, pages=raw_pages)
    _check_pipeline(raw, tagger)


@SETTINGS
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".txt", ".md", ".pdf"]))
def test_reader_takes_any_bytes(data: bytes, suffix: str) -> None:
    try:
        raw = read_document(Path(f"input{suffix}"), data=data)
    except InputError as exc:
        assert len(str(exc).splitlines()) == 1
        assert str(exc).startswith(f"input{suffix}: ")
        return
    for page in raw.pages:
        for line in page:
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line.text)


@SETTINGS
@given(area=st.text(), date=st.none() | st.text(max_size=30), kind=st.text(max_size=30))
def test_report_ids_are_safe_file_names(area: str, date: str | None, kind: str) -> None:
    rid = report_id(area, date, kind)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rid)
    assert len(rid.encode()) < 255
    folder = Path("/srv/out")
    assert (folder / f"{rid}.json").resolve().parent == folder


@SETTINGS
@given(text=st.text())
def test_printable_is_one_line(text: str) -> None:
    shown = printable(text)
    assert len(shown.splitlines()) <= 1
    shown.encode("utf-8")
