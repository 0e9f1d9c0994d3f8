"""Read stage: a PDF or text file in, pages of lines out.

PDFs are read with pypdfium2 (the fast path: the text layer plus, per line,
the font size, weight and position of its first letter, which later stages
use to tell headings from body text). Text extractions (.txt, .md) are read
as UTF-8, falling back to Windows-1252 with a warning; a form feed starts a
new page.

Every problem with the input is raised as :class:`InputError` with one line
that names the file and says what is wrong, so a batch can report it and go on.

Hostile input is refused before it can use the machine up: the limits of
``data/limits.toml`` (:class:`ReadLimits`) bound the file size, what each
compressed stream of a PDF inflates to (checked before pdfium expands it, so a
decompression bomb costs a second, not gigabytes), the pages, and the
characters and objects one page may draw. They are the first line of defence;
the worker processes of :mod:`jtai_tools.ingest` add a memory and a time limit.
"""

from __future__ import annotations

import codecs
import ctypes
import errno
import hashlib
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .errors import JtaiError, printable
from .models import Line, RawDocument
from .vocab import data_record, vocabulary

PDF_SUFFIXES = frozenset({".pdf"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
SUPPORTED_SUFFIXES = PDF_SUFFIXES | TEXT_SUFFIXES

#: Characters that start a line without being its first letter (bullets, spaces).
_LEAD_SKIP = " \t\u2022\u25aa\u25a0\u25fc\u25cf\u2013\u2014\u2212-*\uf0b7\uf0a7\u00b7"


_LINE = re.compile(r"[^\r\n]+")


#: Control characters (and lone surrogates from undecodable file names) that must
#: not reach a terminal or a log: a hostile file name could otherwise start a new
#: line or move the cursor.
class InputError(JtaiError):
    """A file that cannot be read as a report; ``str()`` is the one-line reason.

    ``fatal=False`` marks a notice about an input that was handled (a symlink
    loop not followed), which is reported but is not a failure.
    """

    def __init__(self, path: str | Path, problem: str, *, fatal: bool = True) -> None:
        self.path = str(path)
        self.problem = problem
        self.fatal = fatal
        super().__init__(printable(f"{self.path}: {problem}"))


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Ceilings on what one file may make the reader do (see ``data/limits.toml``)."""

    max_pdf_bytes: int
    max_stream_bytes: int
    max_total_stream_bytes: int
    max_chars_per_page: int
    max_objects_per_page: int
    max_pages: int
    max_text_bytes: int
    max_line_chars: int


@cache
def default_limits() -> ReadLimits:
    """The limits of ``data/limits.toml`` (its tables' keys are the fields), read once."""
    return data_record(ReadLimits, "limits.toml")


def human_size(size: float) -> str:
    """A byte count as people say it: "1.5 GB", "64 KB" (powers of 1,000)."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def read_document(path: str | Path, data: bytes | None = None, *, sha256: str | None = None,
                  limits: ReadLimits | None = None) -> RawDocument:
    """Read one report file into pages of lines; raises :class:`InputError` on bad input.

    ``sha256`` is the content hash when the caller has already computed it
    (a batch hashes each file once); ``limits`` default to ``data/limits.toml``.
    """
    path = Path(path)
    limits = limits or default_limits()
    if data is None:
        data = _read_bytes(path, limits)
    if not data:
        raise InputError(path, "empty file (0 bytes)")
    digest = sha256 or hashlib.sha256(data).hexdigest()
    if path.suffix.lower() in PDF_SUFFIXES or data[:5] == b"%PDF-":
        _check_size(path, len(data), limits.max_pdf_bytes)
        return _read_pdf(path, data, digest, limits)
    _check_size(path, len(data), limits.max_text_bytes)
    return _read_text(path, data, digest, limits)


def size_limit(path: str | Path, limits: ReadLimits | None = None) -> int:
    """The largest file of ``path``'s kind that is read (by its suffix)."""
    limits = limits or default_limits()
    is_pdf = Path(path).suffix.lower() in PDF_SUFFIXES
    return limits.max_pdf_bytes if is_pdf else limits.max_text_bytes


def _check_size(path: Path, size: int, limit: int) -> None:
    if size > limit:
        raise InputError(path, f"not a report: the file is {human_size(size)}, larger than "
                               f"any report (limit {human_size(limit)})")


def _read_bytes(path: Path, limits: ReadLimits) -> bytes:
    """The file's bytes; every way of not getting them becomes a one-line :class:`InputError`.

    A file larger than any report of its kind is refused before it is read.
    """
    try:
        _check_size(path, os.stat(path).st_size, size_limit(path, limits))
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


def _read_pdf(path: Path, data: bytes, digest: str, limits: ReadLimits) -> RawDocument:
    """A PDF's pages of lines; pdfium's errors become messages a user can act on."""
    problem = _sniff_not_pdf(data) or _stream_bomb(data, limits)
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
    marks: set[int] = set()  # pages that name a ruled list table
    ruled_page = vocabulary().ruled_page
    document = _address(pdf.raw)
    try:
        count = len(pdf)
        if count > limits.max_pages:
            raise InputError(path, f"not a report: it has {count:,} pages "
                                   f"(limit {limits.max_pages:,})")
        for index in range(count):
            try:
                # A ruled list table may run on to the next page.
                lines, found, marked = _pdf_page_lines(document, index, limits, ruled_page,
                                                       index in marks)
                pages.append(lines)
                if found is not None:
                    rules[index + 1] = found
                if marked:
                    marks.add(index + 1)
            except pdfium.PdfiumError:
                raise InputError(
                    path, f"page {index + 1} is damaged and cannot be read"
                ) from None
            except _PageTooBig as exc:
                raise InputError(path, f"not a report: page {index + 1} draws {exc}") from None
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


class _PageTooBig(Exception):
    """A page that draws more than any report page; ``str()`` says what (for the message)."""


#: A stream's dictionary, ended by the ``stream`` keyword (its data follows the line end).
_STREAM_START = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")
#: The Flate filter, written out or abbreviated (inline images use /Fl).
_FLATE = re.compile(rb"/(?:FlateDecode|Fl)(?![A-Za-z])")
#: Keys of image streams and embedded font files (FontFile, FontFile2, FontFile3).
_FONT_OR_IMAGE = re.compile(
    rb"/Image(?![A-Za-z])|/Length[123](?![0-9])|/Subtype\s*/(?:Type1C|CIDFontType0C|OpenType)")
#: zlib cannot inflate a byte into more than about 1,032 bytes.
_ZLIB_MAX_RATIO = 1032
#: A bomb's size is counted (with bounded memory) up to this, to name it in the message.
_COUNT_BOMB_UP_TO = 4 * 1024**3
_INFLATE_CHUNK = 1 << 20


def _stream_bomb(data: bytes, limits: ReadLimits) -> str | None:
    """Why the PDF is refused when a stream inflates past the limits, before pdfium expands it.

    Streams are found in the raw bytes (no parsing: a damaged file is scanned
    too) and inflated in bounded chunks that are counted and dropped. Image
    streams are skipped (pdfium does not decode them to read text), and so is
    a stream too short to pass the limit whatever it holds. Embedded font
    files are skipped too: they are nearly all of the cost of this check on
    real reports (38 MB in the 390 PDFs of the development pool), and a font
    that inflates past the machine is stopped by the worker's memory limit.
    """
    total = 0
    shortest = limits.max_stream_bytes // _ZLIB_MAX_RATIO
    for match in _STREAM_START.finditer(data):
        start = match.end()
        head = data[max(0, match.start() - 2048):match.start()]
        head = head[head.rfind(b" obj") + 1:] if b" obj" in head else head
        filters = len(_FLATE.findall(head))
        if not filters or _FONT_OR_IMAGE.search(head):
            continue
        end = data.find(b"endstream", start)
        end = len(data) if end < 0 else end
        if filters == 1 and end - start < shortest:
            continue
        size = _inflated_size(data[start:end], filters, limits.max_stream_bytes + 1)
        total += size
        if size > limits.max_stream_bytes:
            size = _inflated_size(data[start:end], filters, _COUNT_BOMB_UP_TO)
            more = "more than " if size >= _COUNT_BOMB_UP_TO else ""
            return (f"not a report: a stream inflates to {more}{human_size(size)} of drawing "
                    f"instructions (a decompression bomb; limit "
                    f"{human_size(limits.max_stream_bytes)})")
        if total > limits.max_total_stream_bytes:
            return (f"not a report: its streams inflate to more than "
                    f"{human_size(limits.max_total_stream_bytes)}")
    return None


def _inflated_size(compressed: bytes, levels: int, stop_at: int) -> int:
    """How many bytes ``levels`` nested Flate layers give, counted up to about ``stop_at``."""
    decoders = [zlib.decompressobj() for _ in range(levels)]
    total = 0
    for position in range(0, len(compressed), _INFLATE_CHUNK):
        for size in _inflate(decoders, 0, compressed[position:position + _INFLATE_CHUNK]):
            total += size
            if total >= stop_at:
                return total
        if decoders[0].eof:
            break
    return total


def _inflate(decoders: list[zlib._Decompress], level: int, piece: bytes) -> Iterator[int]:
    """Sizes of the innermost output pieces of ``piece``, at most 1 MiB held at a time."""
    decoder = decoders[level]
    while piece and not decoder.eof:
        try:
            out = decoder.decompress(piece, _INFLATE_CHUNK)
        except zlib.error:
            return  # damaged data: pdfium decides what to make of it
        piece = decoder.unconsumed_tail
        if level + 1 == len(decoders):
            yield len(out)
        elif out:
            yield from _inflate(decoders, level + 1, out)


_Rules = list[tuple[float, float, float]]


def _pdf_page_lines(document: int, index: int, limits: ReadLimits,
                    ruled_page: re.Pattern[str], ruled_before: bool
                    ) -> tuple[list[Line], _Rules | None, bool]:
    """The page's lines, each with the font and position of its first letter.

    A page that prints a ruled list table (a line matching ``ruled_page``, or
    the page before did) also gives its horizontal rules, and its lines the
    x offsets of the glyph runs after a column gap; other pages ``None``.
    Last, whether the page itself names such a table.

    The page and its text page are opened and closed with pdfium's own calls,
    not pypdfium2's ``PdfPage`` and ``PdfTextPage``: those register weakref
    finalizers so that a page a caller forgets is still closed, bookkeeping
    that cost more than this function's own Python work. Here neither handle
    leaves the function, and both are closed in ``finally`` (the text page
    first), before :func:`_read_pdf` closes the document.
    """
    page = _LOAD_PAGE(document, index)
    if not page:
        raise pdfium.PdfiumError("Failed to load page.")
    try:
        objects = _COUNT_OBJECTS(page)
        if objects > limits.max_objects_per_page:
            raise _PageTooBig(f"{objects:,} objects (limit {limits.max_objects_per_page:,})")
        frame = _PageFrame.of(page)
        textpage = _LOAD_TEXT_PAGE(page)
        if not textpage:
            raise pdfium.PdfiumError("Failed to load text page.")
        try:
            return _text_page_lines(textpage, page, frame, index + 1, limits, ruled_page,
                                    ruled_before)
        finally:
            _CLOSE_TEXT_PAGE(textpage)
    finally:
        _CLOSE_PAGE(page)


def _text_page_lines(textpage: int, page: int, frame: _PageFrame, number: int,
                     limits: ReadLimits, ruled_page: re.Pattern[str], ruled_before: bool
                     ) -> tuple[list[Line], _Rules | None, bool]:
    """What :func:`_pdf_page_lines` gives, read from the open text page of page ``number``."""
    chars = _COUNT_CHARS(textpage)
    if chars == -1:
        raise pdfium.PdfiumError("Failed to get character count.")
    if chars > limits.max_chars_per_page:
        raise _PageTooBig(f"{chars:,} characters of text (limit {limits.max_chars_per_page:,})")
    text = _page_text(textpage, chars)
    same_indexing = chars == len(text)
    if same_indexing:
        text = _blank_footnote_markers(textpage, text)
        lines, starts = _TextLayer(textpage, frame, number).lines(text)
    else:  # no layout: pdfium's char indexes do not match the text
        lines = [Line(text=raw_line, page=number) for raw_line in _LINE.findall(text)
                 if raw_line.replace(_BLANK, "").strip()]
    marked = any(ruled_page.search(line.text) for line in lines)
    if not (ruled_before or marked):
        return lines, None, False
    if same_indexing:
        lines = [_with_runs(textpage, line, text[start:start + len(line.text)], start,
                            frame) if _BLANK not in text[start:start + len(line.text)]
                 else line for line, start in zip(lines, starts, strict=True)]
    return lines, _horizontal_rules(page, frame), marked


def _page_text(textpage: int, chars: int) -> str:
    """The text of the page's ``chars`` characters, as pypdfium2's ``get_text_range()`` gives it.

    pdfium may leave characters at either end out of its text (and then write
    past the range it was given), so the range is first narrowed to the
    characters that are in the text, as pypdfium2 does.
    """
    first, last = 0, chars - 1
    while first <= last and _TEXT_INDEX(textpage, first) == -1:
        first += 1
    while first <= last and _TEXT_INDEX(textpage, last) == -1:
        last -= 1
    if first > last:
        return ""
    size = _TEXT_INDEX(textpage, last) + 2 - _TEXT_INDEX(textpage, first)  # with the NUL
    buffer = (ctypes.c_ushort * size)()
    written = _GET_TEXT(textpage, first, last + 1 - first, ctypes.addressof(buffer))
    assert size >= written, f"text buffer too small: {size} vs {written}"
    return codecs.decode(memoryview(buffer)[:written - 1], "utf-16-le", errors="ignore")


#: Thickest path read as a rule, and the shortest rule that can border a table cell (points).
_RULE_THICKNESS = 2.0
_RULE_MIN_WIDTH = 30.0


def _horizontal_rules(page: int, frame: _PageFrame) -> _Rules:
    """The page's horizontal rules as ``(top, x0, x1)`` on the displayed page, top to bottom.

    Table cells are bordered by thin filled paths; only pages that print a
    ruled list table are scanned (every page object is visited, which costs
    as much as reading the page's text).
    """
    left, bottom, right, top = edges = [ctypes.c_float() for _ in range(4)]
    addresses = [ctypes.addressof(edge) for edge in edges]
    found: set[tuple[float, float, float]] = set()
    for number in range(_COUNT_OBJECTS(page)):
        obj = _OBJECT_AT(page, number)
        if _OBJECT_TYPE(obj) != pdfium_c.FPDF_PAGEOBJ_PATH or not _BOUNDS_OF(obj, *addresses):
            continue
        box = pdfium_c.FS_RECTF(left.value, top.value, right.value, bottom.value)
        x0, y0 = frame.place(box)
        corner = pdfium_c.FS_RECTF(right.value, bottom.value, left.value, top.value)
        x1, y1 = frame.place(corner)
        x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
        if y1 - y0 <= _RULE_THICKNESS and x1 - x0 >= _RULE_MIN_WIDTH:
            found.add((round(y0, 1), round(x0, 1), round(x1, 1)))
    return sorted(found)


#: A gap between two glyphs of one line wider than this share of the font size
#: parts two table columns that the reader ran together.
_COLUMN_GAP = 1.5


def _with_runs(textpage: int, line: Line, raw_text: str, start: int,
               frame: _PageFrame) -> Line:
    """The line with the x offsets of its glyph runs after a column gap (``Line.runs``).

    pdfium runs the cells of a table row printed at one height into one line
    ("Plymouth City Council Plymouth City Council leaders should ..."); the
    gap between two of the line's text rectangles (pdfium's runs of glyphs
    drawn together) tells the cells apart. Only pages with ruled list tables
    are measured.
    """
    size = line.size or 12.0
    count = _COUNT_RECTS(textpage, start, len(raw_text))
    if count < 2:
        return line
    edges = [ctypes.c_double() for _ in range(4)]
    addresses = [ctypes.addressof(edge) for edge in edges]
    rects: list[tuple[float, float, float, float]] = []
    for number in range(count):
        if _RECT_AT(textpage, number, *addresses):
            left, top, right, bottom = (edge.value for edge in edges)
            rects.append((left, top, right, bottom))
    # Only rectangles of the line's first printed line: pdfium runs a line wrapped
    # at a soft hyphen into the next one.
    band = rects[0][1]
    rects = sorted(rect for rect in rects if abs(rect[1] - band) < size / 2)
    runs: list[tuple[int, float]] = []
    for (_, _, right, _), (left, top, _, bottom) in pairwise(rects):
        if left - right <= size * _COLUMN_GAP:
            continue
        char = _CHAR_AT(textpage, left + 0.5, (top + bottom) / 2, 2.0, 2.0)
        offset = char - start
        if 0 < offset < len(raw_text):
            box = pdfium_c.FS_RECTF(left, top, left, bottom)
            runs.append((offset, round(frame.place(box)[0], 1)))
    if not runs:
        return line
    return Line(text=line.text, page=line.page, size=line.size, bold=line.bold, x0=line.x0,
                top=line.top, page_height=line.page_height, text_x=line.text_x,
                runs=tuple(runs))


#: Digits printed against the word or stop before them: candidates for footnote markers.
#: (Written to start with the digit, which lets the regex engine skip ahead fast.)
_GLUED_DIGITS = re.compile(r"\d(?:(?<=[^\W\d_]\d)|(?<=[.,;:)'\u2019\"]\d))\d{0,2}(?!\d)")
#: A footnote number is raised and set smaller than the text it follows (two thirds, as a rule).
_SUPERSCRIPT_RATIO = 0.8
#: Stands in for a removed footnote marker until the line is cut out, keeping char indexes.
_BLANK = "\u200b"
_BREAK_AFTER_MARKER = re.compile("(?<=" + _BLANK + r")\r?\n(?=[.,;:!?)\]]+ *(?:\r?\n|\Z))")


def _blank_footnote_markers(textpage: int, text: str) -> str:
    """The page text with footnote numbers ("in poverty⁴") blanked out.

    A number glued to a word is a footnote marker only when it is set smaller
    than the letter before it ("S47" and "Year11" keep their digits). Blanks
    keep every character at its index, so the layout of each line can still
    be looked up; they are removed from the lines' text.
    """
    found = [match for match in _GLUED_DIGITS.finditer(text)
             if _is_raised(textpage, match.start())]
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


def _is_raised(textpage: int, char: int) -> bool:
    """Whether the character at ``char`` is set smaller than the one before it."""
    size = _FONT_SIZE_AT(textpage, char)
    before = _FONT_SIZE_AT(textpage, char - 1)
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
    def of(cls, page: int) -> _PageFrame:
        """The frame of one open page.

        As pypdfium2's ``get_cropbox()`` reads it: the media box where the page
        has no crop box, US Letter where it has neither.
        """
        edges = [ctypes.c_float() for _ in range(4)]
        addresses = [ctypes.addressof(edge) for edge in edges]
        if _CROP_BOX(page, *addresses) or _MEDIA_BOX(page, *addresses):
            left, bottom, right, top = (edge.value for edge in edges)
        else:
            left, bottom, right, top = 0, 0, 612, 792
        rotation = _ROTATION(page)
        if rotation == -1:
            raise pdfium.PdfiumError("Failed to get page rotation.")
        # pdfium gives the /Rotate entry in quarter turns, 0 to 3.
        return cls(rotation=rotation * 90, left=left, bottom=bottom, right=right, top=top,
                   height=float(_PAGE_HEIGHT(page)))

    def place(self, box: pdfium_c.FS_RECTF) -> tuple[float, float]:
        """(x0, top) of a glyph box on the displayed page, in points from its top left."""
        if self.rotation == 90:
            return box.bottom - self.bottom, box.left - self.left
        if self.rotation == 180:
            return self.right - box.right, box.bottom - self.bottom
        if self.rotation == 270:
            return self.top - box.top, self.right - box.right
        return box.left - self.left, self.top - box.top


def _pdfium_function(name: str, restype: type | None, *argtypes: type) -> Callable[..., Any]:
    """pdfium's function ``name`` declared to take and give plain ints (addresses, indexes).

    pypdfium2's bindings take and give typed pointers: converting them costs
    more than the call itself, and a pointer object cannot key a dict. The
    reader calls these a few times for every printed line, so it passes the
    addresses of the page, the text page and of the buffers pdfium fills as
    ints instead (a NULL pointer comes back as ``None``).
    """
    return ctypes.CFUNCTYPE(restype, *argtypes)(_address(getattr(pdfium_c, name)))


def _address(pointer: Any) -> int:
    """The address a ctypes pointer (or function) holds, as an int; never NULL."""
    address = ctypes.cast(pointer, ctypes.c_void_p).value
    assert address, f"NULL pointer: {pointer!r}"
    return address


_ADDRESS, _INT, _DOUBLE = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
#: Pages and text pages, opened and closed (see :func:`_pdf_page_lines`).
_LOAD_PAGE = _pdfium_function("FPDF_LoadPage", _ADDRESS, _ADDRESS, _INT)
_CLOSE_PAGE = _pdfium_function("FPDF_ClosePage", None, _ADDRESS)
_LOAD_TEXT_PAGE = _pdfium_function("FPDFText_LoadPage", _ADDRESS, _ADDRESS)
_CLOSE_TEXT_PAGE = _pdfium_function("FPDFText_ClosePage", None, _ADDRESS)
#: The page's geometry: its boxes fill four floats (left, bottom, right, top).
_CROP_BOX = _pdfium_function("FPDFPage_GetCropBox", _INT, _ADDRESS, *[_ADDRESS] * 4)
_MEDIA_BOX = _pdfium_function("FPDFPage_GetMediaBox", _INT, _ADDRESS, *[_ADDRESS] * 4)
_ROTATION = _pdfium_function("FPDFPage_GetRotation", _INT, _ADDRESS)
_PAGE_HEIGHT = _pdfium_function("FPDF_GetPageHeightF", ctypes.c_float, _ADDRESS)
#: The page's objects (limits, and the paths of table rules).
_COUNT_OBJECTS = _pdfium_function("FPDFPage_CountObjects", _INT, _ADDRESS)
_OBJECT_AT = _pdfium_function("FPDFPage_GetObject", _ADDRESS, _ADDRESS, _INT)
_OBJECT_TYPE = _pdfium_function("FPDFPageObj_GetType", _INT, _ADDRESS)
_BOUNDS_OF = _pdfium_function("FPDFPageObj_GetBounds", _INT, _ADDRESS, *[_ADDRESS] * 4)
#: The text page's characters and text.
_COUNT_CHARS = _pdfium_function("FPDFText_CountChars", _INT, _ADDRESS)
_TEXT_INDEX = _pdfium_function("FPDFText_GetTextIndexFromCharIndex", _INT, _ADDRESS, _INT)
_GET_TEXT = _pdfium_function("FPDFText_GetText", _INT, _ADDRESS, _INT, _INT, _ADDRESS)
#: Runs of glyphs drawn together (rectangles filling four doubles), and the char at a point.
_COUNT_RECTS = _pdfium_function("FPDFText_CountRects", _INT, _ADDRESS, _INT, _INT)
_RECT_AT = _pdfium_function("FPDFText_GetRect", _INT, _ADDRESS, _INT, *[_ADDRESS] * 4)
_CHAR_AT = _pdfium_function("FPDFText_GetCharIndexAtPos", _INT, _ADDRESS, *[_DOUBLE] * 4)
#: A glyph's font: weight, and name (into a buffer) with flags.
_FONT_WEIGHT_AT = _pdfium_function("FPDFText_GetFontWeight", _INT, _ADDRESS, _INT)
_FONT_INFO_AT = _pdfium_function("FPDFText_GetFontInfo", ctypes.c_ulong, _ADDRESS, _INT,
                                 _ADDRESS, ctypes.c_ulong, _ADDRESS)
#: The text object drawing a character (``None`` for a space or line break pdfium generated).
_TEXT_OBJECT_AT = _pdfium_function("FPDFText_GetTextObject", _ADDRESS, _ADDRESS, _INT)
#: The font a text object draws with (one font object for all the text drawn in it).
_FONT_OF = _pdfium_function("FPDFTextObj_GetFont", _ADDRESS, _ADDRESS)
_FONT_SIZE_AT = _pdfium_function("FPDFText_GetFontSize", ctypes.c_double, _ADDRESS, _INT)
_LOOSE_BOX_AT = _pdfium_function("FPDFText_GetLooseCharBox", ctypes.c_int, _ADDRESS, _INT,
                                 _ADDRESS)


class _RoundedValues(dict[float, float]):
    """Points rounded to 0.1, remembered: ``_ROUNDED[x]`` is ``round(x, 1)``.

    ``round`` costs several times a dict lookup, and a report prints its lines
    at a few sizes, margins and line positions, so each is rounded once. Zero
    is never kept: 0.0 and -0.0 are one key but round to different values.
    The values are the same whatever was read before; past ``_MOST_ROUNDED``
    the memory is cleared, so it stays small.
    """

    def __missing__(self, value: float) -> float:
        rounded = round(value, 1)
        if value:
            if len(self) >= _MOST_ROUNDED:
                self.clear()
            self[value] = rounded
        return rounded


_MOST_ROUNDED = 1 << 16
_ROUNDED = _RoundedValues()


def _printed_lines(text: str) -> list[tuple[int, str]]:
    """``(start, text)`` of each printed line of a page's text: its runs between line breaks.

    pdfium ends every line with CR LF; when the text has no other break,
    splitting at CR LF gives the runs ``_LINE`` finds (empty ones dropped) at
    a fraction of the cost of a match object for each line.
    """
    if not text.count("\r") == text.count("\n") == text.count("\r\n"):
        return [(match.start(), match.group()) for match in _LINE.finditer(text)]
    lines: list[tuple[int, str]] = []
    start = 0
    for line in text.split("\r\n"):
        if line:
            lines.append((start, line))
        start += len(line) + 2
    return lines


class _TextLayer:
    """One page's text layer, read a line at a time for the layout of each line's first letter.

    Whether a line is bold depends only on the font of its first letter (pdfium
    answers ``FPDFText_GetFontWeight`` and ``GetFontInfo`` from the font of the
    text object drawing the letter), and a page prints with a few fonts, so it
    is read once per font and kept for the page: the fonts live as long as the
    page, which is closed before the next one is read. The font size is the
    text object's, and nearly every line is drawn by an object of its own, so
    it is asked for each line. One glyph box is filled in place for every line.
    """

    __slots__ = ("_address", "_bold", "_box", "_box_address", "frame", "height", "page")

    def __init__(self, textpage: int, frame: _PageFrame, page: int) -> None:
        self.frame = frame
        self.page = page
        self.height = round(frame.height, 1)
        self._address = textpage
        self._bold: dict[int, bool] = {}
        self._box = pdfium_c.FS_RECTF()
        self._box_address = ctypes.addressof(self._box)

    def lines(self, text: str) -> tuple[list[Line], list[int]]:
        """The printed lines of the page's ``text`` and the char index each starts at.

        A line that opens with a bullet also gets the position of the text
        after it (:meth:`_text_x`): the hanging indent its item's later lines
        keep. This loop runs for every printed line, so the page's constants
        and pdfium's functions are held as locals and the common case (an
        upright page, a line opening with its first letter, a font already
        seen) is written out in it.
        """
        lines: list[Line] = []
        starts: list[int] = []
        blanked = _BLANK in text
        textpage, box, box_address, fonts = self._address, self._box, self._box_address, self._bold
        page, height, rounded, frame = self.page, self.height, _ROUNDED, self.frame
        left, top_edge, upright = frame.left, frame.top, frame.rotation == 0
        loose_box_at, font_size_at, text_object_at, font_of = (
            _LOOSE_BOX_AT, _FONT_SIZE_AT, _TEXT_OBJECT_AT, _FONT_OF)
        for start, raw_line in _printed_lines(text):
            line_text = raw_line.replace(_BLANK, "") if blanked else raw_line
            if not line_text or line_text.isspace():  # ``not line_text.strip()``, not copied
                continue
            char = start
            # The loose box spans the font's ascent and descent, so its top is the same
            # for every glyph ("a" and "T" alike): gaps between lines measure spacing.
            if not loose_box_at(textpage, start, box_address):
                self._clear_box()
            if upright:
                x0, top = box.left - left, top_edge - box.top
            else:
                x0, top = frame.place(box)
            text_x = None
            if raw_line[0] in _LEAD_SKIP:
                char, text_x = self._text_x(raw_line, start)
            text_object = text_object_at(textpage, char)
            font = font_of(text_object) if text_object is not None else None
            bold = fonts.get(font) if font is not None else None
            if bold is None:
                bold = self._bold_at(char, font)
            # Fields in order, not by name: one line is built for every printed line.
            lines.append(Line(line_text, page, rounded[font_size_at(textpage, char)], bold,
                              rounded[x0], rounded[top], height, text_x))
            starts.append(start)
        return lines, starts

    def _text_x(self, raw_line: str, start: int) -> tuple[int, float | None]:
        """For a line opening with a bullet or spaces: its first letter's char, and its x0.

        ``raw_line`` is the line as the page's text has it (footnote markers
        blanked, not removed), which the char indexes count. A line of only
        bullets keeps its last character as its first letter, without an x0.
        """
        offset = min(len(raw_line) - len(raw_line.lstrip(_LEAD_SKIP)), len(raw_line) - 1)
        char = start + offset
        if not offset or raw_line[offset].isspace():
            return char, None
        if not _LOOSE_BOX_AT(self._address, char, self._box_address):
            self._clear_box()
        return char, _ROUNDED[self.frame.place(self._box)[0]]

    def _clear_box(self) -> None:
        """Set the glyph box to all 0: what a glyph without a box reads as."""
        ctypes.memset(self._box_address, 0, ctypes.sizeof(self._box))

    def _bold_at(self, char: int, font: int | None) -> bool:
        """Whether the glyph at ``char`` is set in a bold font, kept for its ``font``, if any."""
        bold = _is_bold(self._address, char)
        if font is not None:
            self._bold[font] = bold
        return bold


def _is_bold(textpage: int, char: int) -> bool:
    """Whether pdfium gives the glyph at ``char`` a bold weight or a font named bold."""
    return _FONT_WEIGHT_AT(textpage, char) >= 600 or _font_name_is_bold(textpage, char)


def _font_name_is_bold(textpage: int, char: int) -> bool:
    """Whether the font's name says bold: some fonts report a normal weight.

    The name is read into one buffer kept for the process (each worker reads
    one page at a time), not a new one per line. A glyph without a font (a
    space pdfium generated) has no name.
    """
    if not _FONT_INFO_AT(textpage, char, _FONT_NAME_ADDRESS, len(_FONT_NAME),
                         _FONT_FLAGS_ADDRESS):
        return False
    name = _FONT_NAME.value.lower()
    return b"bold" in name or b"black" in name or b"heavy" in name


_FONT_NAME = ctypes.create_string_buffer(96)
_FONT_FLAGS = ctypes.c_int()
_FONT_NAME_ADDRESS = ctypes.addressof(_FONT_NAME)
_FONT_FLAGS_ADDRESS = ctypes.addressof(_FONT_FLAGS)


#: Control characters removed from text input (tab, newline, CR and form feed are kept).
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _read_text(path: Path, data: bytes, digest: str, limits: ReadLimits) -> RawDocument:
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
    _check_line_lengths(path, text, limits.max_line_chars)
    pages = []
    for number, page_text in enumerate(text.split("\f"), start=1):
        pages.append([Line(text=raw, page=number) for raw in page_text.split("\n") if raw.strip()])
    if not any(pages):
        raise InputError(path, "has no text (only blank lines)")
    return RawDocument(path=str(path), format="text", sha256=digest, pages=pages, warnings=warnings)


def _check_line_lengths(path: Path, text: str, limit: int) -> None:
    """Refuse text with a line longer than any report prints (a 50 MB single line)."""
    if len(text) <= limit:
        return
    start = 0
    for number, end in enumerate(_line_ends(text), start=1):
        if end - start > limit:
            raise InputError(path, f"not a report: line {number:,} is {end - start:,} "
                                   f"characters long (limit {limit:,})")
        start = end + 1


def _line_ends(text: str) -> Iterator[int]:
    """Where each line of ``text`` ends (newline or form feed), then the end of the text."""
    for match in _LINE_BREAK.finditer(text):
        yield match.start()
    yield len(text)


_LINE_BREAK = re.compile(r"[\n\f]")
