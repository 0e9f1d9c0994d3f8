"""The read stage on real PDFs (built at test time) and on the broken files users meet."""

from __future__ import annotations

import codecs
import os
import shutil
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest

import pdfgen
from jtai_tools.read import (
    _LINE,
    InputError,
    _printed_lines,
    _RoundedValues,
    printable,
    read_document,
)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pdfgen.write_broken_inputs(tmp_path_factory.mktemp("broken"))


def _problem(path: Path) -> str:
    with pytest.raises(InputError) as info:
        read_document(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert info.value.path == str(path)
    return info.value.problem


def test_generated_pdf_keeps_text_order_and_heading_layout(tmp_path: Path) -> None:
    path = pdfgen.write_pdf(tmp_path / "two.pdf", page_count=2, lines_per_page=3)
    doc = read_document(path)
    assert doc.format == "pdf"
    assert doc.page_count == 2
    first = doc.pages[0]
    assert [line.text for line in first] == [
        "Areas for improvement",
        *(f"Page 1 line {n}: the partnership should improve the quality of plans."
          for n in (1, 2, 3)),
    ]
    heading, body = first[0], first[1]
    assert heading.bold and not body.bold
    assert heading.size == pytest.approx(14, abs=0.5)
    assert body.size == pytest.approx(11, abs=0.5)
    assert heading.top is not None and body.top is not None and heading.top < body.top
    assert all(line.page == 2 for line in doc.pages[1])


def test_each_line_takes_the_weight_and_size_of_its_own_font(tmp_path: Path) -> None:
    # Two fonts, each drawing many lines in turn: the weight read once per font
    # must still be each line's own, and the size each line's own.
    pattern = [(False, 11.0), (True, 14.0), (False, 9.0), (False, 11.0), (True, 11.0),
               (True, 9.0), (False, 14.0)] * 3
    lines = [pdfgen.TextLine(f"Line {n} of the page", bold=bold, size=size)
             for n, (bold, size) in enumerate(pattern)]
    doc = read_document(pdfgen.write_pdf(tmp_path / "fonts.pdf", [pdfgen.Page(lines)]))
    assert [(line.bold, line.size) for line in doc.pages[0]] == pattern


def test_same_bytes_same_hash_whatever_the_name(tmp_path: Path) -> None:
    a = pdfgen.write_pdf(tmp_path / "a.pdf", page_count=1)
    b = tmp_path / "b.pdf"
    b.write_bytes(a.read_bytes())
    assert read_document(a).sha256 == read_document(b).sha256
    c = pdfgen.write_pdf(tmp_path / "c.pdf", page_count=2)
    assert read_document(c).sha256 != read_document(a).sha256


def test_zero_byte_file(broken: dict[str, Path]) -> None:
    assert "empty" in _problem(broken["empty"])


def test_truncated_pdf(broken: dict[str, Path]) -> None:
    assert "damaged or truncated" in _problem(broken["truncated"])


def test_corrupt_xref_is_repaired_or_refused_cleanly(broken: dict[str, Path]) -> None:
    try:
        doc = read_document(broken["corrupt_xref"])
    except InputError as exc:
        assert "damaged" in exc.problem
    else:  # pdfium rebuilt the cross-reference table: then every page must be there
        assert doc.page_count == 3
        assert doc.pages[2][1].text.startswith("Page 3 line 1:")


def test_password_protected_pdf(broken: dict[str, Path]) -> None:
    assert "encrypted with a password" in _problem(broken["encrypted"])


def test_pdf_encrypted_with_empty_password_reads_like_any_pdf(broken: dict[str, Path]) -> None:
    doc = read_document(broken["encrypted_empty_password"])
    assert doc.page_count == 3
    assert doc.pages[0][0].text.startswith("Joint targeted area inspection")
    assert doc.pages[0][1].text == "Areas for improvement"
    assert doc.pages[0][1].bold


def test_image_only_pdf_needs_ocr(broken: dict[str, Path]) -> None:
    problem = _problem(broken["image_only"])
    assert "no text layer" in problem and "OCR" in problem


def test_image_only_pdf_made_by_pdfium_too(tmp_path: Path) -> None:
    pdf = pdfium.PdfDocument.new()
    pdf.new_page(595, 842)
    path = tmp_path / "blank.pdf"
    pdf.save(path)
    pdf.close()
    assert "no text layer" in _problem(path)


def test_html_saved_as_pdf(broken: dict[str, Path]) -> None:
    assert "HTML page" in _problem(broken["html_as_pdf"])


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"PK\x03\x04" + bytes(200), "ZIP archive"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG image"),
        (b"Dear colleague,\nthe report is attached.\n", "plain text"),
        (b'{"report": 1}', "JSON"),
        (bytes(range(256)) * 4, "not a PDF"),
    ],
)
def test_other_files_with_a_pdf_name_say_what_they_are(
    tmp_path: Path, data: bytes, words: str
) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    assert words in _problem(path)


def test_binary_junk_with_a_txt_name(broken: dict[str, Path]) -> None:
    assert "binary data, not text" in _problem(broken["junk_txt"])


def test_folder_named_like_a_pdf(broken: dict[str, Path]) -> None:
    assert "is a folder" in _problem(broken["folder_as_pdf"])


def test_dangling_link(broken: dict[str, Path]) -> None:
    assert "broken link" in _problem(broken["dangling_link"])


def test_link_to_itself(tmp_path: Path) -> None:
    path = tmp_path / "self.pdf"
    path.symlink_to(path)
    assert "symlink loop" in _problem(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in _problem(tmp_path / "gone.pdf")


def test_windows_1252_text_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Rapport d’été – café\r\nSecond line\r\n".encode("cp1252"))
    doc = read_document(path)
    assert [line.text for line in doc.pages[0]] == ["Rapport d’été – café", "Second line"]
    assert len(doc.warnings) == 1
    assert doc.warnings[0].startswith(f"{path}: ") and "Windows-1252" in doc.warnings[0]


def test_utf8_text_has_no_warning_and_form_feed_starts_a_page(tmp_path: Path) -> None:
    path = tmp_path / "two-pages.md"
    path.write_text("\ufeffFirst page\n\n\fSecond page ✓\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.warnings == []
    assert [[line.text for line in page] for page in doc.pages] == [
        ["First page"], ["Second page ✓"]]
    assert doc.pages[1][0].page == 2


def test_utf16_text_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "Areas for improvement\nOne\n".encode("utf-16-le"))
    assert [line.text for line in read_document(path).pages[0]] == ["Areas for improvement", "One"]


def test_control_characters_are_removed_from_text(tmp_path: Path) -> None:
    path = tmp_path / "controls.txt"
    path.write_bytes(b"Plan\x1b[31m for\x07 children\x7f\n" + b"ok\n" * 2000)
    doc = read_document(path)
    assert doc.pages[0][0].text == "Plan[31m for children"


def test_blank_text_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("\n   \n\t\n")
    assert "no text" in _problem(path)


def test_path_with_spaces_and_accents(tmp_path: Path) -> None:
    folder = tmp_path / "été reports"
    folder.mkdir()
    path = pdfgen.write_pdf(folder / "rapport d'été 2023.pdf", page_count=1, lines_per_page=2)
    doc = read_document(path)
    assert doc.path == str(path)
    assert doc.pages[0][0].text == "Areas for improvement"


def test_hostile_file_name_stays_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "evil\nerror: fake\x1b[2J.pdf"
    path.write_bytes(b"")
    with pytest.raises(InputError) as info:
        read_document(path)
    message = str(info.value)
    assert "\n" not in message and "\x1b" not in message
    assert "evil\\nerror: fake\\x1b[2J.pdf: empty file" in message
    assert info.value.path == str(path)  # the real path is kept for programs


def test_printable_escapes_only_what_breaks_a_line() -> None:
    assert printable("rapport d'été\t2023\u2028x\udcff") == "rapport d'été\\t2023\\u2028x\\udcff"


def test_thousand_page_pdf(tmp_path: Path) -> None:
    path = pdfgen.write_pdf(tmp_path / "long.pdf", page_count=1000, lines_per_page=25)
    doc = read_document(path)
    assert doc.page_count == 1000
    assert sum(len(page) for page in doc.pages) == 1000 * 26
    assert doc.pages[999][-1].text.startswith("Page 1000 line 25:")


def test_every_corpus_file_reads(reports_dir: Path) -> None:
    files = sorted(p for p in reports_dir.rglob("*") if p.suffix in {".pdf", ".txt", ".md"})
    assert len(files) > 50
    for path in files:
        doc = read_document(path)
        assert doc.page_count >= 1
        assert sum(len(page) for page in doc.pages) > 20, path



def test_unreadable_file(tmp_path: Path) -> None:
    """A file without read permission. Root reads every file, so when the tests run
    as root the read is made by a forked child that has dropped to an ordinary user."""
    folder = Path(tempfile.mkdtemp(prefix="jtai-perm-"))
    try:
        folder.chmod(0o755)
        path = pdfgen.write_pdf(folder / "locked.pdf", page_count=1)
        path.chmod(0o000)
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            try:
                if os.geteuid() == 0:
                    os.setgid(65534)
                    os.setuid(65534)
                try:
                    read_document(path)
                    message = "read"
                except InputError as exc:
                    message = str(exc)
                os.write(writer, message.encode())
            finally:
                os._exit(0)
        os.close(writer)
        os.waitpid(child, 0)
        with os.fdopen(reader, "rb") as pipe:
            message = pipe.read().decode()
        assert message == f"{path}: permission denied"
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_turned_page_is_measured_as_displayed(tmp_path: Path, rotate: int) -> None:
    # A landscape table printed on a turned portrait page: positions must be
    # those a reader sees, or margins and paragraph gaps mean nothing.
    lines = [pdfgen.TextLine("Areas for improvement", bold=True, size=14),
             pdfgen.TextLine("Leaders should improve plans.", x=90)]
    path = pdfgen.write_pdf(tmp_path / "turned.pdf", [pdfgen.Page(lines, rotate=rotate)])
    heading, body = read_document(path).pages[0]
    shown_height = pdfgen.PAGE_WIDTH if rotate in (90, 270) else pdfgen.PAGE_HEIGHT
    assert heading.page_height == shown_height
    assert heading.x0 == pytest.approx(72, abs=1)
    assert body.x0 == pytest.approx(90, abs=1)
    assert heading.top is not None and body.top is not None
    assert 50 < heading.top < body.top < 110


def test_landscape_media_box_keeps_its_height(tmp_path: Path) -> None:
    page = pdfgen.Page([pdfgen.TextLine("Strengths", bold=True)], landscape=True)
    path = pdfgen.write_pdf(tmp_path / "wide.pdf", [page])
    (line,) = read_document(path).pages[0]
    assert line.page_height == pdfgen.PAGE_WIDTH
    assert line.top is not None and 50 < line.top < 80


def test_raised_footnote_numbers_go_and_printed_digits_stay(tmp_path: Path) -> None:
    line = pdfgen.TextLine
    page = pdfgen.Page([
        line("Help for children living in poverty", note="4", tail="."),
        line("Assessments under S47 for Year11 pupils", note="12"),
        line("Checks of the 2,000 records in 2023."),
    ])
    path = pdfgen.write_pdf(tmp_path / "notes.pdf", [page])
    assert [ln.text for ln in read_document(path).pages[0]] == [
        "Help for children living in poverty.",
        "Assessments under S47 for Year11 pupils",
        "Checks of the 2,000 records in 2023.",
    ]


def test_remembered_rounding_is_round_and_keeps_the_sign_of_zero() -> None:
    rounded = _RoundedValues()
    values = [12.04, 12.05, 0.0, -0.0, -0.04, 71.95, 71.95, 1e-9, -1e-9]
    assert [rounded[value] for value in values] == [round(value, 1) for value in values]
    assert str(rounded[-0.0]) == "-0.0" and str(rounded[0.0]) == "0.0"
    assert str(rounded[-1e-9]) == "-0.0"


@pytest.mark.parametrize("text", [
    "",
    "\r\n",
    "One line",
    "First line\r\nSecond line\r\n\r\n  \r\nFourth\r\n",
    "\r\nLead break\r\nTrail",
    "Lone\rcarriage return\nand line feed\n\rswapped\r\r\nend",
])
def test_printed_lines_are_the_runs_between_line_breaks(text: str) -> None:
    runs = [(match.start(), match.group()) for match in _LINE.finditer(text)]
    assert _printed_lines(text) == runs
    assert all(text[start:start + len(line)] == line for start, line in runs)
