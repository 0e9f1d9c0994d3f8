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

import ctypes
import hashlib
import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .models import Line, RawDocument

PDF_SUFFIXES = frozenset({".pdf"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
SUPPORTED_SUFFIXES = PDF_SUFFIXES | TEXT_SUFFIXES

#: Characters that start a line without being its first letter (bullets, spaces).
_LEAD_SKIP = " \t\u2022\u25aa\u25a0\u25fc\u25cf\u2013\u2014\u2212-*\uf0b7\uf0a7\u00b7"


_LINE = re.compile(r"[^\r\n]+")


class InputError(Exception):
    """A file that cannot be read as a report; ``str()`` is the one-line reason."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


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
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
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
    if b"\x00" not in data[:1024] and _looks_like_text(data[:4096]):
        return "is plain text saved with a .pdf name, not a PDF"
    return "is not a PDF (no %PDF header)"


def _looks_like_text(sample: bytes) -> bool:
    if not sample:
        return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 128 for b in sample)
    return printable / len(sample) > 0.95


def _read_pdf(path: Path, data: bytes, digest: str) -> RawDocument:
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
    try:
        pages = [_pdf_page_lines(pdf, index) for index in range(len(pdf))]
    finally:
        pdf.close()
    if not pages:
        raise InputError(path, "is a PDF with no pages")
    if not any(line.text.strip() for page in pages for line in page):
        raise InputError(
            path, "has no text layer (a scanned or image-only PDF); it needs OCR first"
        )
    return RawDocument(path=str(path), format="pdf", sha256=digest, pages=pages)


def _pdf_page_lines(pdf: pdfium.PdfDocument, index: int) -> list[Line]:
    """The page's lines, each with the font and position of its first letter."""
    page = pdf[index]
    try:
        height = float(page.get_height())
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
            same_indexing = textpage.count_chars() == len(text)
            lines: list[Line] = []
            handle = textpage.raw
            for match in _LINE.finditer(text):
                raw_line = match.group()
                if not raw_line.strip():
                    continue
                if not same_indexing:
                    lines.append(Line(text=raw_line, page=index + 1))
                    continue
                lines.append(_line_with_layout(handle, raw_line, match.start(), index + 1, height))
            return lines
        finally:
            textpage.close()
    finally:
        page.close()


def _line_with_layout(handle: object, text: str, start: int, page: int, height: float) -> Line:
    offset = 0
    while offset < len(text) - 1 and text[offset] in _LEAD_SKIP:
        offset += 1
    char = start + offset
    size = float(pdfium_c.FPDFText_GetFontSize(handle, char))
    weight = int(pdfium_c.FPDFText_GetFontWeight(handle, char))
    bold = weight >= 600 or _font_name_is_bold(handle, char)
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    boxes = (ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top))
    pdfium_c.FPDFText_GetCharBox(handle, start, *boxes)
    return Line(
        text=text,
        page=page,
        size=round(size, 1),
        bold=bold,
        x0=round(left.value, 1),
        top=round(height - top.value, 1),
        page_height=round(height, 1),
    )


def _font_name_is_bold(handle: object, char: int) -> bool:
    buffer = ctypes.create_string_buffer(96)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(handle, char, buffer, 96, ctypes.byref(flags))
    name = buffer.value.decode("latin-1", "replace").lower()
    return "bold" in name or "black" in name or "heavy" in name


def _read_text(path: Path, data: bytes, digest: str) -> RawDocument:
    warnings: list[str] = []
    if b"\x00" in data[:8192] or not _looks_like_text(data[:8192]):
        raise InputError(path, "is binary data, not text (expected UTF-8 text or a PDF)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        warnings.append(f"{path}: not UTF-8; read as Windows-1252 (Latin-1)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pages = []
    for number, page_text in enumerate(text.split("\f"), start=1):
        pages.append([Line(text=raw, page=number) for raw in page_text.split("\n") if raw.strip()])
    if not any(pages):
        raise InputError(path, "has no text (only blank lines)")
    return RawDocument(path=str(path), format="text", sha256=digest, pages=pages, warnings=warnings)
