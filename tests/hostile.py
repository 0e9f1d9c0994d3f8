"""Hostile PDFs for tests and benchmarks, generated on the spot (never committed).

Each writer makes one file an attacker (or a broken tool) could hand to
``jtai extract``: a decompression bomb, a page drawing the same stream many
times, cyclic and deeply nested objects, a page tree that contains itself,
100,000 pages, a 20,000 x 20,000 image, JavaScript and launch actions, and a
text layer of one word repeated. They are built with :func:`pdfgen.assemble`,
so the structure is plain to read.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from pdfgen import REPORT_TITLE, assemble

_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
_TEXT_OP = b"BT /F1 11 Tf 72 700 Td (the partnership should improve plans) Tj ET\n"


def _page(contents: bytes, extra: bytes = b"") -> bytes:
    return (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %s %s>>" % (contents, extra))


def _one_page(page: bytes, *more: bytes, catalog: bytes = _CATALOG) -> bytes:
    """Catalog (1), page tree (2), font (3), the page (4), then ``more`` objects (5, ...)."""
    return assemble([catalog, b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>", _FONT, page, *more])


def deflated_text_stream(inflated_bytes: int) -> bytes:
    """A Flate content stream object of text operators inflating to about ``inflated_bytes``."""
    chunk = _TEXT_OP * ((1 << 20) // len(_TEXT_OP))
    packer = zlib.compressobj(9)
    parts = []
    for _ in range(max(1, inflated_bytes // len(chunk))):
        parts.append(packer.compress(chunk))
    parts.append(packer.flush())
    data = b"".join(parts)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)


def write_bomb(path: Path, inflated_bytes: int) -> Path:
    """A one-page PDF whose content stream inflates to ``inflated_bytes`` of text operators."""
    path.write_bytes(_one_page(_page(b"5 0 R"), deflated_text_stream(inflated_bytes)))
    return path


def write_repeated_stream(path: Path, inflated_bytes: int, times: int) -> Path:
    """A page drawing one modest stream ``times`` over: each stream is small, the page is not."""
    refs = b" ".join([b"5 0 R"] * times)
    path.write_bytes(_one_page(_page(b"[%s]" % refs), deflated_text_stream(inflated_bytes)))
    return path


def _text(*lines: str) -> bytes:
    shown = b" ".join(b"(%s) Tj 0 -14 Td" % line.encode("latin-1") for line in lines)
    body = b"BT /F1 11 Tf 72 760 Td %s ET" % shown
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body)


def report_stream(title: str = REPORT_TITLE) -> bytes:
    """A content stream object printing a short report: a title and one recommendation."""
    return _text(title, "Areas for improvement",
                 "Leaders should improve the quality of plans for children.")


def write_cyclic_and_nested(path: Path, depth: int = 100_000) -> Path:
    """A report page whose resources hold a reference cycle and an array nested ``depth`` deep."""
    nested = b"[" * depth + b"]" * depth
    extra = b"/Cycle 6 0 R /Deep 8 0 R "
    path.write_bytes(_one_page(_page(b"5 0 R", extra), report_stream(),
                               b"<< /Next 7 0 R >>", b"<< /Next 6 0 R >>", nested))
    return path


def write_self_tree(path: Path) -> Path:
    """A page tree whose only kid is the tree itself."""
    path.write_bytes(assemble([_CATALOG, b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]))
    return path


def write_many_pages(path: Path, pages: int) -> Path:
    """``pages`` empty pages, each its own object."""
    kids = b" ".join(b"%d 0 R" % (3 + n) for n in range(pages))
    empty = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
    path.write_bytes(assemble([_CATALOG, b"<< /Type /Pages /Kids [%s] /Count %d >>"
                               % (kids, pages), *([empty] * pages)]))
    return path


def write_huge_image(path: Path, side: int = 20_000) -> Path:
    """A page that is one ``side`` x ``side`` grey image (a few KB: the pixels are deflated)."""
    rows = zlib.compressobj(9)
    line = bytes(side)
    data = b"".join(rows.compress(line) for _ in range(side)) + rows.flush()
    image = (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
             b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
             % (side, side, len(data), data))
    paint = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 6 0 R >>")
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(paint), paint)
    path.write_bytes(_one_page(page, image, stream))
    return path


def write_with_actions(path: Path, marker: Path) -> Path:
    """A report that asks to run JavaScript and to launch a program on opening.

    Both would create ``marker`` if they were ever run.
    """
    js = b"<< /S /JavaScript /JS (this.exportDataObject({cName: '%s'});) >>" % bytes(marker)
    launch = b"<< /S /Launch /F (/bin/sh) /Win << /F (cmd.exe) /P (/c echo > %s) >> >>" % (
        bytes(marker))
    catalog = (b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R "
               b"/AA << /WC 7 0 R >> /Names << /JavaScript << /Names [(run) 6 0 R] >> >> >>")
    title = REPORT_TITLE.replace("Sutton", "Lewisham")
    path.write_bytes(_one_page(_page(b"5 0 R", b"/AA << /O 7 0 R >> "), report_stream(title),
                               js, launch, catalog=catalog))
    return path


def write_one_word_layer(path: Path, characters: int = 1_000_000) -> Path:
    """A page whose text layer is one word ``characters`` letters long.

    It is shown in runs of 10,000 letters: pdfium keeps at most 32,767
    characters of a single string.
    """
    runs = b" ".join([b"(" + b"a" * 10_000 + b") Tj"] * max(1, characters // 10_000))
    body = b"BT /F1 1 Tf 0 400 Td " + runs + b" ET"
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body)
    path.write_bytes(_one_page(_page(b"5 0 R"), stream))
    return path
