"""Read stage: a PDF or text file in, pages of lines out.

PDFs are read with pypdfium2 (the fast path: the text layer plus, per line,
the font size, weight and position of its first letter, which later stages
use to tell headings from body text). Text extractions (.txt, .md) are read
as UTF-8, falling back to Windows-1252 with a warning; a form feed starts a
new page.

Every problem with the input is raised as :class:`InputError` with one line
that names the file and says what is wrong, so a batch can report it and go on.
"""

from __future__ import annotations

import codecs
import ctypes
import errno
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .models import Line, RawDocument
from .vocab import vocabulary

PDF_SUFFIXES = frozenset({".pdf"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
SUPPORTED_SUFFIXES = PDF_SUFFIXES | TEXT_SUFFIXES

#: Characters that start a line without being its first letter (bullets, spaces).
_LEAD_SKIP = " \t\u2022\u25aa\u25a0\u25fc\u25cf\u2013\u2014\u2212-*\uf0b7\uf0a7\u00b7"


_LINE = re.compile(r"[^\r\n]+")


#: Control characters (and lone surrogates from undecodable file names) that must
#: not reach a terminal or a log: a hostile file name could otherwise start a new
#: line or move the cursor.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` on one safe line: control characters are shown as escapes like ``\\n``."""
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)


class InputError(Exception):
    """A file that cannot be read as a report; ``str()`` is the one-line reason.

    ``fatal=False`` marks a notice about an input that was handled (a symlink
    loop not followed), which is reported but is not a failure.
    """

    def __init__(self, path: str | Path, problem: str, *, fatal: bool = True) -> None:
        self.path = str(path)
        self.problem = problem
        self.fatal = fatal
        super().__init__(printable(f"{self.path}: {problem}"))


def read_document(path: str | Path, data: bytes | None = None) -> RawDocument:
    """Read one report file into pages of lines; raises :class:`InputError` on bad input."""
    path = Path(path)
    if data is None:
        data = _read_bytes(path)
    if not data:
        raise InputError(path, "empty file (0 bytes)")
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() in PDF_SUFFIXES or data[:5] == b"%PDF-":
        return _read_pdf(path, data, digest)
    return _read_text(path, data, digest)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; every way of not getting them becomes a one-line :class:`InputError`."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(path, "is a broken link (its target does not exist)") from None
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(path, "is a symlink loop (the link points back to itself)") from None
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from None


def _sniff_not_pdf(data: bytes) -> str | None:
    """Say what a file with a .pdf name really is, when it is not a PDF."""
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]:
        return "is an HTML page saved with a .pdf name, not a PDF (download the PDF itself)"
    if b"%PDF-" in data[:1024]:
        return None
    if head.startswith((b"{", b"[")):
        return "is JSON, not a PDF"
    for signature, kind in _OTHER_FORMATS:
        if data.startswith(signature):
            return f"is {kind} saved with a .pdf name, not a PDF"
    if b"\x00" not in data[:1024] and _looks_like_text(data[:4096]):
        return "is plain text saved with a .pdf name, not a PDF"
    return "is not a PDF (no %PDF header)"


#: Start-of-file signatures of formats that users mistake for PDFs.
_OTHER_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive or Word/Office document"),
    (b"\xd0\xcf\x11\xe0", "an old Word/Office document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"{\\rtf", "an RTF document"),
)


def _looks_like_text(sample: bytes) -> bool:
    """Whether almost every byte is printable or a line break (UTF-8 and cp1252 text pass)."""
    if not sample:
        return False
    text_like = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 128 for b in sample)
    return text_like / len(sample) > 0.95


def _read_pdf(path: Path, data: bytes, digest: str) -> RawDocument:
    """A PDF's pages of lines; pdfium's errors become messages a user can act on."""
    problem = _sniff_not_pdf(data)
    if problem:
        raise InputError(path, problem)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise InputError(
                path, "is encrypted with a password; save an unprotected copy and try again"
            ) from None
        if "format" in message or "file" in message:
            raise InputError(path, "is a damaged or truncated PDF and cannot be opened") from None
        raise InputError(path, f"cannot be opened as a PDF ({exc})") from None
    pages: list[list[Line]] = []
    rules: dict[int, list[tuple[float, float, float]]] = {}
    ruled_page = vocabulary().ruled_page
    try:
        for index in range(len(pdf)):
            try:
                pages.append(_pdf_page_lines(pdf, index))
                # A ruled list table may run on to the next page.
                if any(ruled_page.search(line.text) for line in pages[-1]) \
                        or index in rules:
                    rules[index + 1] = _horizontal_rules(pdf, index)
            except pdfium.PdfiumError:
                raise InputError(
                    path, f"page {index + 1} is damaged and cannot be read"
                ) from None
    finally:
        pdf.close()
    if not pages:
        raise InputError(path, "is a PDF with no pages")
    if not any(line.text.strip() for page in pages for line in page):
        raise InputError(
            path, "has no text layer (a scanned or image-only PDF); it needs OCR first"
        )
    return RawDocument(path=str(path), format="pdf", sha256=digest, pages=pages,
                       rules={page: found for page, found in rules.items() if found})


def _pdf_page_lines(pdf: pdfium.PdfDocument, index: int) -> list[Line]:
    """The page's lines, each with the font and position of its first letter."""
    page = pdf[index]
    try:
        frame = _PageFrame.of(page)
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
            same_indexing = textpage.count_chars() == len(text)
            lines: list[Line] = []
            handle = textpage.raw
            if same_indexing:
                text = _blank_footnote_markers(handle, text)
            for match in _LINE.finditer(text):
                raw_line = match.group()
                if not raw_line.replace(_BLANK, "").strip():
                    continue
                if not same_indexing:
                    lines.append(Line(text=raw_line, page=index + 1))
                    continue
                lines.append(_line_with_layout(handle, raw_line, match.start(), index + 1, frame))
            return lines
        finally:
            textpage.close()
    finally:
        page.close()


#: Thickest path read as a rule, and the shortest rule that can border a table cell (points).
_RULE_THICKNESS = 2.0
_RULE_MIN_WIDTH = 30.0


def _horizontal_rules(pdf: pdfium.PdfDocument, index: int) -> list[tuple[float, float, float]]:
    """The page's horizontal rules as ``(top, x0, x1)`` on the displayed page, top to bottom.

    Table cells are bordered by thin filled paths; only pages that print a
    ruled list table are scanned (every page object is visited, which costs
    as much as reading the page's text).
    """
    page = pdf[index]
    try:
        frame = _PageFrame.of(page)
        handle = page.raw
        left, bottom, right, top = (ctypes.c_float() for _ in range(4))
        found: set[tuple[float, float, float]] = set()
        for number in range(pdfium_c.FPDFPage_CountObjects(handle)):
            obj = pdfium_c.FPDFPage_GetObject(handle, number)
            if pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_PATH \
                    or not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
                continue
            box = pdfium_c.FS_RECTF(left.value, top.value, right.value, bottom.value)
            x0, y0 = frame.place(box)
            corner = pdfium_c.FS_RECTF(right.value, bottom.value, left.value, top.value)
            x1, y1 = frame.place(corner)
            x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
            if y1 - y0 <= _RULE_THICKNESS and x1 - x0 >= _RULE_MIN_WIDTH:
                found.add((round(y0, 1), round(x0, 1), round(x1, 1)))
        return sorted(found)
    finally:
        page.close()


#: Digits printed against the word or stop before them: candidates for footnote markers.
#: (Written to start with the digit, which lets the regex engine skip ahead fast.)
_GLUED_DIGITS = re.compile(r"\d(?:(?<=[^\W\d_]\d)|(?<=[.,;:)'\u2019\"]\d))\d{0,2}(?!\d)")
#: A footnote number is raised and set smaller than the text it follows (two thirds, as a rule).
_SUPERSCRIPT_RATIO = 0.8
#: Stands in for a removed footnote marker until the line is cut out, keeping char indexes.
_BLANK = "\u200b"
_BREAK_AFTER_MARKER = re.compile("(?<=" + _BLANK + r")\r?\n(?=[.,;:!?)\]]+ *(?:\r?\n|\Z))")


def _blank_footnote_markers(handle: pdfium_c.FPDF_TEXTPAGE, text: str) -> str:
    """The page text with footnote numbers ("in poverty⁴") blanked out.

    A number glued to a word is a footnote marker only when it is set smaller
    than the letter before it ("S47" and "Year11" keep their digits). Blanks
    keep every character at its index, so the layout of each line can still
    be looked up; they are removed from the lines' text.
    """
    found = [match for match in _GLUED_DIGITS.finditer(text)
             if _is_raised(handle, match.start())]
    if not found:
        return text
    pieces: list[str] = []
    position = 0
    for match in found:
        pieces += [text[position:match.start()], _BLANK * (match.end() - match.start())]
        position = match.end()
    text = "".join(pieces) + text[position:]
    # The raised number makes pdfium break the line: a stop after it lands on a line of its own.
    return _BREAK_AFTER_MARKER.sub(lambda m: _BLANK * len(m.group()), text)


def _is_raised(handle: pdfium_c.FPDF_TEXTPAGE, char: int) -> bool:
    """Whether the character at ``char`` is set smaller than the one before it."""
    size = float(pdfium_c.FPDFText_GetFontSize(handle, char))
    before = float(pdfium_c.FPDFText_GetFontSize(handle, char - 1))
    return 0 < size < before * _SUPERSCRIPT_RATIO


@dataclass(frozen=True, slots=True)
class _PageFrame:
    """The page as a reader sees it: its crop box, turned by the page's /Rotate.

    pdfium gives glyph boxes in the unturned page space, bottom-up; later
    stages measure from the top left of the page as displayed, so a landscape
    table printed on a turned portrait page keeps its line order and margins.
    """

    rotation: int
    left: float
    bottom: float
    right: float
    top: float
    height: float

    @classmethod
    def of(cls, page: pdfium.PdfPage) -> _PageFrame:
        """The frame of one open page."""
        left, bottom, right, top = page.get_cropbox()
        return cls(rotation=page.get_rotation() % 360, left=left, bottom=bottom, right=right,
                   top=top, height=float(page.get_height()))

    def place(self, box: pdfium_c.FS_RECTF) -> tuple[float, float]:
        """(x0, top) of a glyph box on the displayed page, in points from its top left."""
        if self.rotation == 90:
            return box.bottom - self.bottom, box.left - self.left
        if self.rotation == 180:
            return self.right - box.right, box.bottom - self.bottom
        if self.rotation == 270:
            return self.top - box.top, self.right - box.right
        return box.left - self.left, self.top - box.top


def _line_with_layout(handle: pdfium_c.FPDF_TEXTPAGE, text: str, start: int, page: int,
                      frame: _PageFrame) -> Line:
    """A line with the font size, weight and displayed position of its first letter."""
    offset = 0
    while offset < len(text) - 1 and text[offset] in _LEAD_SKIP:
        offset += 1
    char = start + offset
    size = float(pdfium_c.FPDFText_GetFontSize(handle, char))
    weight = int(pdfium_c.FPDFText_GetFontWeight(handle, char))
    bold = weight >= 600 or _font_name_is_bold(handle, char)
    # The loose box spans the font's ascent and descent, so its top is the same
    # for every glyph ("a" and "T" alike): gaps between lines measure spacing.
    box = pdfium_c.FS_RECTF()
    pdfium_c.FPDFText_GetLooseCharBox(handle, start, ctypes.byref(box))
    x0, top = frame.place(box)
    return Line(
        text=text.replace(_BLANK, "") if _BLANK in text else text,
        page=page,
        size=round(size, 1),
        bold=bold,
        x0=round(x0, 1),
        top=round(top, 1),
        page_height=round(frame.height, 1),
    )


def _font_name_is_bold(handle: pdfium_c.FPDF_TEXTPAGE, char: int) -> bool:
    """Whether the font's name says bold: some fonts report a normal weight."""
    buffer = ctypes.create_string_buffer(96)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(handle, char, buffer, 96, ctypes.byref(flags))
    name = buffer.value.decode("latin-1", "replace").lower()
    return "bold" in name or "black" in name or "heavy" in name


#: Control characters removed from text input (tab, newline, CR and form feed are kept).
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _read_text(path: Path, data: bytes, digest: str) -> RawDocument:
    """A text extraction's pages of lines: any line ending, a byte order mark or none."""
    warnings: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(path, "is damaged UTF-16 text") from None
    else:
        if b"\x00" in data[:8192] or not _looks_like_text(data[:8192]):
            raise InputError(path, "is binary data, not text (expected UTF-8 text or a PDF)")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
            warnings.append(printable(f"{path}: not UTF-8; read as Windows-1252 (Latin-1)"))
    text = _TEXT_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    pages = []
    for number, page_text in enumerate(text.split("\f"), start=1):
        pages.append([Line(text=raw, page=number) for raw in page_text.split("\n") if raw.strip()])
    if not any(pages):
        raise InputError(path, "has no text (only blank lines)")
    return RawDocument(path=str(path), format="text", sha256=digest, pages=pages, warnings=warnings)
