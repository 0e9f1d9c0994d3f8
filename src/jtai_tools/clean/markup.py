"""Mark-up in text extractions: markdown and HTML emphasis, links, lists and tables.

Converters write reports as markdown or HTML; the words stay, the tags go.
HTML entities are decoded by :func:`html.unescape`.
"""

from __future__ import annotations

import html
import re

from ..models import Block, RawDocument

_HTML_TAG = re.compile(r"</?(?:p|br|span|div|strong|em|b|i|u|li|ul|ol|td|tr|th|table|thead|tbody"
                       r"|tfoot|sup|sub|small|h[1-6]|blockquote|section|font)\b[^>]*>",
                       re.IGNORECASE)
#: Footnote markers in mark-up: "<sup>3</sup>" and markdown's "[^3]".
_MARKUP_NOTE = re.compile(r"<sup\b[^>]*>\s*\[?\d{1,3}\]?\s*</sup>|\[\^[^\]\s]{1,20}\]",
                          re.IGNORECASE)
_HTML_LINK = re.compile(r"<a\b[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)\s]+)\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_STARS = re.compile(r"\*\*|__")
#: Markdown italics with single stars ("*in care*"); a bullet star has a space after it.
_MD_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*]+?)(?<=\S)\*(?![\w*])")


def strip_markup(text: str) -> str:
    """Markdown emphasis and links and HTML tags removed, keeping their words.

    Footnote markers ("<sup>3</sup>", "[^3]") go with their tags: a digit
    glued to the last word of an item is not part of the finding.
    """
    if "<sup" in text or "[^" in text:
        text = _MARKUP_NOTE.sub("", text)
    if "<" in text:
        text = _HTML_LINK.sub(r"\1", text)
        text = _HTML_TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if "[" in text:
        text = _MD_LINK.sub(r"\1", text)
    if "*" in text or "__" in text:
        text = _MD_STARS.sub("", _MD_EMPHASIS.sub(r"\2", text))
        text = _MD_ITALIC.sub(r"\1", text)
    return text


MD_HEADING = re.compile(r"^#{1,6}\s*")
MD_FOOTNOTE_TEXT = re.compile(r"\s*\[\^[^\]]+\]:")
_HTML_ROW_OPEN = re.compile(r"<tr\b", re.IGNORECASE)
_HTML_ROW_CLOSE = re.compile(r"</tr>|</table>", re.IGNORECASE)
#: Most lines one HTML table row may take (a row never closed must not swallow the report).
_HTML_ROW_LINES = 40


def html_rows_joined(raw: RawDocument) -> list[tuple[str, int]]:
    """(text, page) of each line, with an HTML table row written over several lines as one.

    Converters print ``<tr>``, each ``<td>`` and ``</tr>`` on lines of their
    own; a row must be one line to be read as one row of cells.
    """
    lines = [(line.text, line.page) for page in raw.pages for line in page]
    out: list[tuple[str, int]] = []
    index = 0
    while index < len(lines):
        text, page = lines[index]
        index += 1
        if _HTML_ROW_OPEN.search(text) and not _HTML_ROW_CLOSE.search(text):
            stop = min(len(lines), index + _HTML_ROW_LINES)
            while index < stop and not _HTML_ROW_CLOSE.search(text):
                text = f"{text} {lines[index][0].strip()}"
                index += 1
        out.append((text, page))
    return out


_HTML_BLOCK_TAG = re.compile(
    r"<(/?)(p|div|br|ul|ol|li|tr|table|thead|tbody|tfoot|h[1-6]|blockquote|section)\b[^>]*>",
    re.IGNORECASE)
_HTML_CELL = re.compile(r"<t[dh]\b[^>]*>(.*?)(?=</t[dh]>|<t[dh]\b|</tr>|\Z)",
                        re.IGNORECASE | re.DOTALL)


class HtmlLists:
    """Splits lines at HTML block tags, keeping count of the lists open across lines."""

    def __init__(self) -> None:
        self.depth = 0

    def pieces(self, text: str) -> list[tuple[str, int | None]]:
        """(text, indent) pieces of a line: ``-1`` for a heading, ``None`` for plain text.

        A list item's piece opens with a bullet, indented by the depth of its
        list (0 at the top level); a table row becomes a markdown row of cells.
        """
        out: list[tuple[str, int | None]] = []
        kind: str | None = None
        position = 0
        for tag in _HTML_BLOCK_TAG.finditer(text):
            if self._add(out, text[position:tag.start()], kind) and kind == "li":
                kind = "li+"  # the item's later paragraphs carry no second bullet
            position = tag.end()
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            if name in ("ul", "ol"):
                self.depth = max(0, self.depth + (-1 if closing else 1))
            if name in ("li", "tr") or name[0] == "h":
                kind = None if closing else name
            elif name in ("ul", "ol", "table"):
                kind = None
        self._add(out, text[position:], kind)
        return out

    def _add(self, out: list[tuple[str, int | None]], piece: str, kind: str | None) -> bool:
        """Append a piece of text of the given block kind; whether there was any text."""
        if kind == "tr":
            cells = [" ".join(c.split()) for c in _HTML_CELL.findall(piece)]
            piece = "| " + " | ".join(cells) + " |" if cells else piece
        if not strip_markup(piece).strip():
            return False
        if kind == "li":
            out.append((f"- {piece.strip()}", 4 * max(0, self.depth - 1)))
        elif kind is not None and kind[0] == "h":
            out.append((piece, -1))
        else:
            out.append((piece, None))
        return True


_RULE_CELL = re.compile(r":?-{2,}:?")


def pipe_cells(text: str) -> list[str]:
    """The cells of a markdown table row ("| a | b |")."""
    return [cell.strip() for cell in text.strip().strip("|").split("|")]


def pipe_table(lines: list[tuple[str, int, int]], index: int, blocks: list[Block]) -> int:
    """Append the last cell of each row of a label-column markdown table; the index after it."""
    while index < len(lines) and lines[index][0].startswith("|"):
        text, page, _ = lines[index]
        cells = pipe_cells(text)
        if len(cells) > 1 and cells[-1] and not _RULE_CELL.fullmatch(cells[-1]):
            blocks.append(Block(kind="paragraph", text=cells[-1], page=page))
        index += 1
    return index
