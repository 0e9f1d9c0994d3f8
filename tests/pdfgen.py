"""A tiny PDF writer for tests, so that test PDFs are built at test time, not committed.

It writes just enough of PDF 1.4 for real readers (pdfium, pdfplumber) to open:
a catalog, a page tree, Helvetica and Helvetica-Bold (standard Type1 fonts, no
embedding), one text content stream per page (``BT /F1 11 Tf x y Td (..) Tj ET``,
then any horizontal rules as filled rectangles), an optional image-only page
(a grey /Image XObject and no text), a byte-exact xref table and a trailer.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

PAGE_WIDTH = 595  # A4, points
PAGE_HEIGHT = 842


@dataclass(slots=True)
class TextLine:
    """One line of text: heading lines are set in Helvetica-Bold at a larger size."""

    text: str
    bold: bool = False
    size: float = 11.0
    x: float = 72.0  # left edge, points: list markers and hanging indents
    note: str = ""  # a footnote number printed raised and smaller after the text
    tail: str = ""  # text after the footnote number, back on the line ("." after a note)
    cells: tuple[tuple[float, str], ...] = ()  # more text on the same line: (x, text)


@dataclass(slots=True)
class Page:
    """A page of text lines, or (``image=True``) a page that is only a picture.

    ``landscape`` swaps the media box's width and height; ``rotate`` sets the
    page's /Rotate entry (degrees clockwise) and draws the text turned the other
    way, so that it reads upright on screen: how producers print a landscape
    table on a portrait page.
    """

    lines: list[TextLine] = field(default_factory=list)
    image: bool = False
    landscape: bool = False
    rotate: int = 0
    #: Horizontal rules drawn as thin filled rectangles, ``(top, x0, x1)`` from the top left
    #: (unturned pages only): the cell borders of a ruled table.
    rules: list[tuple[float, float, float]] = field(default_factory=list)


def _escape(text: str) -> bytes:
    """A PDF literal string body; characters outside Latin-1 become '?'."""
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


#: Text matrix (a, b, c, d) per /Rotate: the user-space direction of a line and of "up".
_TEXT_DIRECTIONS = {0: (1, 0, 0, 1), 90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}


def _user_point(left: float, top: float, rotate: int, width: float, height: float
                ) -> tuple[float, float]:
    """User-space coordinates of a point given from the top left of the page as displayed."""
    if rotate == 90:
        return top, left
    if rotate == 180:
        return width - left, top
    if rotate == 270:
        return width - top, height - left
    return left, height - top


def _text_stream(lines: list[TextLine], width: float = PAGE_WIDTH,
                 height: float = PAGE_HEIGHT, rotate: int = 0) -> bytes:
    """Lines laid out down the displayed page (of ``width`` x ``height`` user space)."""
    shown_height = width if rotate in (90, 270) else height
    a, b, c, d = _TEXT_DIRECTIONS[rotate]
    parts = [b"BT"]
    top = 72.0
    for line in lines:
        font = b"/F2" if line.bold else b"/F1"
        text = _escape(line.text)
        x, y = _user_point(line.x, top, rotate, width, height)
        parts.append(b"%s %g Tf %d %d %d %d %g %g Tm (%s) Tj"
                     % (font, line.size, a, b, c, d, x, y, text))
        for cell_x, cell_text in line.cells:
            cx, cy = _user_point(cell_x, top, rotate, width, height)
            parts.append(b"%s %g Tf %d %d %d %d %g %g Tm (%s) Tj"
                         % (font, line.size, a, b, c, d, cx, cy, _escape(cell_text)))
        if line.note:
            parts.append(b"%s %g Tf %g Ts (%s) Tj 0 Ts %s %g Tf (%s) Tj" % (
                font, line.size * 0.65, line.size * 0.35, _escape(line.note), font, line.size,
                _escape(line.tail)))
        top += line.size * 1.4
        if top > shown_height - 60:
            top = 72.0
    parts.append(b"ET")
    return b"\n".join(parts)


def _image_stream() -> tuple[bytes, bytes]:
    """A 64x64 grey gradient image and the content stream that paints it on the page."""
    pixels = bytes((x * 4 + y) % 256 for y in range(64) for x in range(64))
    image = zlib.compress(pixels)
    image_obj = (
        b"<< /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (len(image), image)
    )
    paint = b"q 400 0 0 400 97 300 cm /Im1 Do Q"
    return image_obj, paint


def pdf_bytes(pages: list[Page]) -> bytes:
    """A complete PDF with these pages."""
    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree's number is known
    font_regular = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                       b"/Encoding /WinAnsiEncoding >>")
    font_bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
                    b"/Encoding /WinAnsiEncoding >>")
    tree = add(b"")
    page_numbers: list[int] = []
    for page in pages:
        width, height = (PAGE_HEIGHT, PAGE_WIDTH) if page.landscape else (PAGE_WIDTH, PAGE_HEIGHT)
        if page.image:
            image_obj, content = _image_stream()
            image = add(image_obj)
            resources = b"<< /XObject << /Im1 %d 0 R >> >>" % image
        else:
            content = _text_stream(page.lines, width, height, page.rotate)
            content += b"".join(b"\n%g %g %g 0.5 re f" % (x0, height - top - 0.5, x1 - x0)
                                for top, x0, x1 in page.rules)
            resources = b"<< /Font << /F1 %d 0 R /F2 %d 0 R >> >>" % (font_regular, font_bold)
        stream = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        page_numbers.append(add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Rotate %d /Resources %s "
            b"/Contents %d 0 R >>" % (tree, width, height, page.rotate, resources, stream)
        ))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    kids = b" ".join(b"%d 0 R" % n for n in page_numbers)
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_numbers))

    return assemble(objects, catalog)


def assemble(objects: list[bytes], catalog: int = 1) -> bytes:
    """A PDF file of these object bodies (object n is ``objects[n - 1]``), xref and trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, xref)
    return bytes(out)


def text_pages(
    page_count: int = 1,
    lines_per_page: int = 20,
    heading: str | None = "Areas for improvement",
    body: str = "Page {page} line {line}: the partnership should improve the quality of plans.",
) -> list[Page]:
    """Pages of numbered body lines, each page opening with a bold heading when given."""
    pages = []
    for number in range(1, page_count + 1):
        lines = [TextLine(heading, bold=True, size=14)] if heading else []
        lines += [TextLine(body.format(page=number, line=n)) for n in range(1, lines_per_page + 1)]
        pages.append(Page(lines))
    return pages


#: The title line of :func:`report_pages`: enough for a document to be taken as a report.
REPORT_TITLE = ("Joint targeted area inspection of the multi-agency response to children "
                "in the London Borough of Sutton")


def report_pages(page_count: int = 1, lines_per_page: int = 20) -> list[Page]:
    """:func:`text_pages` under an inspection title, so extraction keeps it as a report."""
    pages = text_pages(page_count=page_count, lines_per_page=lines_per_page)
    pages[0].lines.insert(0, TextLine(REPORT_TITLE, bold=True, size=16))
    return pages


def write_pdf(path: str | Path, pages: list[Page] | None = None, **text_options: object) -> Path:
    """Write a PDF of ``pages`` (or of ``text_pages(**text_options)``) and return its path."""
    path = Path(path)
    path.write_bytes(pdf_bytes(pages if pages is not None else text_pages(**text_options)))
    return path


def write_report_pdf(path: str | Path, lines: list[tuple[str, bool]]) -> Path:
    """A one-page report from ``(text, is_heading)`` pairs; headings are bold and larger."""
    page = Page([TextLine(text, bold=bold, size=14 if bold else 11) for text, bold in lines])
    return write_pdf(path, [page])


def corrupt_xref(data: bytes) -> bytes:
    """The same PDF with every xref offset overwritten by garbage."""
    start = data.rindex(b"xref\n")
    table = re.sub(rb"\d{10} 00000 n", b"9999999999 00000 n", data[start:])
    return data[:start] + table


def encrypt(source: Path, target: Path, user_password: str) -> Path:
    """An AES-encrypted copy of ``source``; ``user_password=""`` opens without asking."""
    import pikepdf

    with pikepdf.open(source) as pdf:
        pdf.save(target, encryption=pikepdf.Encryption(owner="owner-secret", user=user_password))
    return target


def write_broken_inputs(folder: Path) -> dict[str, Path]:
    """Write inputs that users really meet and that cannot (all) be read; name -> path.

    Keys: empty, truncated, corrupt_xref, encrypted, encrypted_empty_password,
    image_only, html_as_pdf, junk_txt, folder_as_pdf, dangling_link.
    """
    folder.mkdir(parents=True, exist_ok=True)
    good = pdf_bytes(report_pages(page_count=3, lines_per_page=8))
    plain = folder / ".plain-source.pdf"
    plain.write_bytes(good)
    paths = {
        "empty": folder / "empty.pdf",
        "truncated": folder / "truncated.pdf",
        "corrupt_xref": folder / "corrupt-xref.pdf",
        "image_only": folder / "scanned.pdf",
        "html_as_pdf": folder / "download.pdf",
        "junk_txt": folder / "junk.txt",
        "folder_as_pdf": folder / "folder.pdf",
        "dangling_link": folder / "moved.pdf",
    }
    paths["empty"].write_bytes(b"")
    paths["truncated"].write_bytes(good[: len(good) // 2])
    paths["corrupt_xref"].write_bytes(corrupt_xref(good))
    write_pdf(paths["image_only"], [Page(image=True), Page(image=True)])
    paths["html_as_pdf"].write_bytes(
        b"<!DOCTYPE html>\n<html lang='en'><head><title>Ofsted</title></head>"
        b"<body><p>Report not found</p></body></html>\n")
    junk = bytes((n * 7919 + 13) % 256 for n in range(20000))
    paths["junk_txt"].write_bytes(junk)
    paths["folder_as_pdf"].mkdir(exist_ok=True)
    (paths["folder_as_pdf"] / "notes.bin").write_bytes(b"x")
    paths["dangling_link"].symlink_to(folder / "no-longer-here.pdf")
    paths["encrypted"] = encrypt(plain, folder / "protected.pdf", "secret")
    paths["encrypted_empty_password"] = encrypt(plain, folder / "no-password.pdf", "")
    plain.unlink()
    return paths


def pdf_from_text(path: str | Path, text: str, lines_per_page: int = 45) -> Path:
    """A PDF that prints a text extraction line by line (long lines cut at 110 characters)."""
    lines = [line.strip()[:110] for line in text.splitlines() if line.strip()]
    pages = [Page([TextLine(line) for line in lines[start:start + lines_per_page]])
             for start in range(0, len(lines), lines_per_page)]
    return write_pdf(path, pages)
