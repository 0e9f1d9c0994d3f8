"""Clean stage: pages of lines in, blocks (headings, paragraphs, list items) out.

The reports reach us as PDFs (lines with font size, weight and position) or as
text/markdown extractions (no layout at all), so the stage has two front ends
that share one vocabulary (``data/headings.toml``) and one text normaliser:

- page furniture goes: running headers and footers (text repeated in the page
  margins), page numbers, the Ofsted address block, contents pages, footnotes
  and footnote markers, markdown and HTML mark-up;
- printed characters are normalised (ligatures, soft hyphens, odd spaces), but
  quotes stay as printed: straight or curly is the report's choice;
- lines are re-joined into paragraphs and list items across line and page
  breaks, using vertical gaps and hanging indents (PDF) or sentence ends and
  letter case (text);
- headings are told from body text by weight and size (PDF) or by vocabulary
  and shape (text).

Text comes in two styles, told apart per document: one paragraph a line
(converters, markdown) or wrapped at the page width (pdftotext). Wrapped text
also loses lines repeated in most page margins, gets back the hyphens
pdftotext drops at a wrap, and is re-joined by how full each line is.

Hyphens at line ends are real hyphens in these reports ("multi-" +
"agency" is "multi-agency"), so a wrap after a hyphen joins without a space.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise

from .models import LIST_SECTION_KINDS, Block, BlockKind, Line, RawDocument

# --------------------------------------------------------------------------
# Vocabulary


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Compiled patterns of ``data/headings.toml``, shared with the sections stage."""

    sections: tuple[tuple[str, re.Pattern[str]], ...]
    sublabels: re.Pattern[str]
    list_sublabels: re.Pattern[str]
    list_sublabel_kinds: frozenset[str]
    contents: re.Pattern[str]
    furniture: re.Pattern[str]
    bullets: str
    sub_bullets: str
    numbering: str
    table_header: re.Pattern[str]
    back_matter: re.Pattern[str]
    grades: re.Pattern[str]
    grade_suffix: re.Pattern[str]
    abbreviations: frozenset[str]


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    """One case-blind pattern matching the whole text against any of ``patterns``."""
    return re.compile("(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\Z", re.IGNORECASE)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The heading and furniture vocabulary, loaded once per process."""
    text = resources.files("jtai_tools").joinpath("data/headings.toml").read_text("utf-8")
    data = tomllib.loads(text)
    sections = tuple((entry["kind"], _alternation(entry["patterns"])) for entry in data["section"])
    return Vocabulary(
        sections=sections,
        sublabels=_alternation(data["sublabels"]["patterns"]),
        list_sublabels=_alternation(data["list_sublabels"]["patterns"]),
        list_sublabel_kinds=frozenset(data["list_sublabels"]["kinds"]),
        contents=_alternation(data["contents"]["patterns"]),
        furniture=_alternation(data["furniture"]["patterns"]),
        bullets=data["bullets"]["chars"],
        sub_bullets=data["bullets"]["sub_chars"],
        numbering=data["numbering"]["pattern"],
        table_header=re.compile(
            "(?:" + "|".join(f"(?:{p})" for p in data["tables"]["label_columns"])
            + r")\s+(?P<title>.+)\Z", re.IGNORECASE),
        back_matter=_alternation(data["back_matter"]["patterns"]),
        grades=_alternation(data["grades"]["patterns"]),
        grade_suffix=re.compile(
            r"[\s:]+(?:" + "|".join(f"(?:{p})" for p in data["grades"]["patterns"]) + r")\Z",
            re.IGNORECASE),
        abbreviations=frozenset(word.lower() for word in data["sentences"]["abbreviations"]),
    )


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def heading_key(text: str) -> str:
    """A heading as the vocabulary sees it: straight quotes, one space, no final stop."""
    if not text.isascii():
        text = text.translate(_QUOTES)
    return " ".join(text.split()).rstrip(".:").rstrip()


def heading_kind(text: str) -> str | None:
    """The section kind a heading names, or ``None`` when the vocabulary does not know it."""
    key = heading_key(text)
    for kind, pattern in vocabulary().sections:
        if pattern.match(key):
            return kind
    return None


def is_sublabel(text: str) -> bool:
    """A label inside a section (never a section of its own)."""
    return bool(vocabulary().sublabels.match(heading_key(text)))


def is_list_sublabel(text: str) -> bool:
    """A group label that does not break a list it stands inside."""
    return bool(vocabulary().list_sublabels.match(heading_key(text)))


def is_back_matter(text: str) -> bool:
    """A sign-off or back-page line ("Yours sincerely", "© Crown copyright 2024", ...)."""
    return bool(vocabulary().back_matter.match(heading_key(text)))


def is_grade(text: str) -> bool:
    """A judgement grade on its own ("Good", "Requires improvement to be good")."""
    return bool(vocabulary().grades.match(heading_key(text)))


def strip_grade(text: str) -> str:
    """A judgement label without the grade printed after it ("Leadership ... Good")."""
    return vocabulary().grade_suffix.sub("", heading_key(text))


def table_title(text: str) -> str | None:
    """The list heading of a table header row whose first column only labels each row.

    Area SEND reports print "Areas for priority action" as a two-column table
    headed "Responsible body | Areas for priority action": the right-hand
    cells are the list's items, the left-hand cells name who must act.
    """
    match = vocabulary().table_header.match(heading_key(text))
    if match and heading_kind(match["title"]) is not None:
        return match["title"]
    return None


# --------------------------------------------------------------------------
# Character-level normalisation

_CHAR_MAP = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "st", "\ufb06": "st",
    # pdfium's marks for a hyphen it thinks is soft; in these reports it is printed.
    "\ufffe": "-", "\u00ad": "-", "\u0002": "-", "\u2010": "-", "\u2011": "-",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ", "\t": " ",
    "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None, "\r": None,
    # superscript digits are footnote markers
    "\u00b9": None, "\u00b2": None, "\u00b3": None, "\u2070": None, "\u2074": None,
    "\u2075": None, "\u2076": None, "\u2077": None, "\u2078": None, "\u2079": None,
})
_SPACES = re.compile(r"\s+")
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
_ENTITIES = {"&amp;": "&", "&nbsp;": " ", "&lt;": "<", "&gt;": ">", "&quot;": '"',
             "&#39;": "'", "&rsquo;": "\u2019", "&lsquo;": "\u2018"}
_ENTITY = re.compile("|".join(map(re.escape, _ENTITIES)))


def normalise_chars(text: str) -> str:
    """Ligatures, soft hyphens and odd spaces as printed characters; one space between words."""
    if not text.isascii() or "\t" in text or "\r" in text:
        text = text.translate(_CHAR_MAP)
    return " ".join(text.split())


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
        text = _ENTITY.sub(lambda m: _ENTITIES[m.group()], text)
    if "[" in text:
        text = _MD_LINK.sub(r"\1", text)
    if "*" in text or "__" in text:
        text = _MD_STARS.sub("", _MD_EMPHASIS.sub(r"\2", text))
        text = _MD_ITALIC.sub(r"\1", text)
    return text


# --------------------------------------------------------------------------
# Markers: bullets and numbers


@lru_cache(maxsize=1)
def _marker_pattern() -> re.Pattern[str]:
    """The list-marker pattern, built from the vocabulary once."""
    vocab = vocabulary()
    bullet = "[" + re.escape(vocab.bullets) + "\uf000-\uf0ff]"
    # A paragraph number may be printed against its first word ("36.The"); a
    # capital letter after it tells it from a decimal ("48.5").
    return re.compile(rf"(?P<marker>{bullet}|{vocab.numbering})"
                      r"(?:\s+|(?<=[\uf000-\uf0ff])(?=\S)|(?<=\d\.)(?=[A-Z]))")


def split_marker(text: str) -> tuple[str | None, str]:
    """``("12.", "Ensure that ...")`` for a line that opens with a bullet or number label."""
    match = _marker_pattern().match(text)
    if not match or match.end() >= len(text):
        return None, text
    return match.group("marker"), text[match.end():]


def _is_bare_marker(text: str) -> bool:
    """A line with nothing but a bullet: an empty list item, printed by mistake."""
    return len(text) <= 3 and not any(ch.isalnum() for ch in text) \
        and split_marker(text + " x")[0] is not None


def is_bullet(marker: str | None) -> bool:
    """Whether a marker is a bullet (no letters or digits), not a number or letter label."""
    return marker is not None and not any(ch.isalnum() for ch in marker.strip("()"))


_TERMINAL = re.compile(r"[.!?:;)\]\"'\u2019\u201d]\s*$")
_LOWER_START = re.compile(r"^[a-z(\u2018'\"]")
_FOOTNOTE_GLUE = re.compile(r"(?<=[a-z)])\d{1,2}$")
_PAGE_REF = re.compile(r"(?:\s|\.{2,}\s*)\d{1,3}$")
_DIGITS = re.compile(r"\d+")


def _join(left: str, right: str) -> str:
    """Two wrapped pieces of one sentence; a hyphen at the wrap is a printed hyphen."""
    if not left:
        return right
    if left.endswith(("-", "/")) and not left.endswith(" -") and right[:1].isalnum():
        return left + right
    return f"{left} {right}"


# --------------------------------------------------------------------------
# Entry point


def clean_document(raw: RawDocument) -> list[Block]:
    """The document's blocks in reading order."""
    if raw.format == "pdf":
        return _PdfCleaner(raw).blocks()
    return _text_blocks(raw)


# --------------------------------------------------------------------------
# PDF


@dataclass(slots=True)
class _Row:
    """A printed line after furniture removal, with its layout."""

    text: str
    page: int
    size: float
    bold: bool
    x0: float
    top: float
    span: int = 1  # printed lines: pdfium runs a line wrapped at a soft hyphen into the next
    cell: bool = False  # a whole table cell, already re-joined: a paragraph of its own


class _PdfCleaner:
    """Layout-driven cleaning of one PDF document."""

    def __init__(self, raw: RawDocument) -> None:
        self.raw = raw
        self.vocab = vocabulary()
        sizes: Counter[float] = Counter()
        for page in raw.pages:
            for line in page:
                if not self._in_margin(line):
                    sizes[line.size or 0.0] += len(line.text)
        self.body = sizes.most_common(1)[0][0] if sizes else 12.0
        self.pitch = self._line_pitches()

    def _line_pitches(self) -> dict[int, float]:
        """Per page, the usual distance between two lines of one body paragraph.

        Paragraph spacing varies (tables print rows barely apart), but the
        line pitch inside a paragraph is fixed on a page, so a sentence that
        ends a line followed by a wider gap ends its paragraph.
        """
        pitches: dict[int, float] = {}
        for page in self.raw.pages:
            counts: Counter[float] = Counter()
            for above, below in pairwise(page):
                if above.top is None or below.top is None or above.size != self.body \
                        or below.size != self.body:
                    continue
                gap = below.top - above.top
                if 0 < gap < self.body * 1.6:
                    counts[round(gap * 2) / 2] += 1
            if counts:
                pitch, seen = counts.most_common(1)[0]
                if seen >= 3:
                    pitches[page[0].page] = pitch
        return pitches

    # ---- furniture -------------------------------------------------------

    def _margin_keys(self) -> set[str]:
        """Texts repeated in the top or bottom margin of several pages: running headers/footers."""
        seen: Counter[str] = Counter()
        for page in self.raw.pages:
            keys = {self._key(line) for line in page if self._in_margin(line)}
            seen.update(keys)
        pages = len(self.raw.pages)
        need = 2 if pages <= 4 else max(2, pages // 4)
        return {key for key, count in seen.items() if count >= need}

    @staticmethod
    def _in_margin(line: Line) -> bool:
        """Whether a line sits in the top or bottom margin, where running headers and footers go."""
        height = line.page_height or 842.0
        top = line.top if line.top is not None else height / 2
        return top < 0.1 * height or top > 0.88 * height

    @staticmethod
    def _key(line: Line) -> str:
        """A line as compared between pages: digits (page numbers, dates) do not count."""
        return _DIGITS.sub("#", _SPACES.sub(" ", line.text).strip().lower())

    def _rows(self) -> list[_Row]:
        """The printed lines that are report text: furniture, footnotes and contents pages gone."""
        repeated = self._margin_keys()
        furniture = self.vocab.furniture
        rows: list[_Row] = []
        for page in self.raw.pages:
            footnote = False
            for line in page:
                text = normalise_chars(line.text)
                if not text:
                    continue
                size = line.size or self.body
                if self._in_margin(line) and self._key(line) in repeated:
                    continue
                if furniture.match(text.rstrip()) or _is_bare_marker(text):
                    continue
                # A footnote opens with a small raised number and runs, in small
                # print, to the foot of the page.
                if size < self.body * 0.75 and text[:1].isdigit():
                    footnote = True
                    continue
                if footnote and size < self.body - 0.5:
                    continue
                footnote = False
                rows.append(_Row(text=text, page=line.page, size=size, bold=bool(line.bold),
                                 x0=line.x0 if line.x0 is not None else 0.0,
                                 top=line.top if line.top is not None else 0.0,
                                 span=1 + line.text.count("\ufffe", 0, len(line.text) - 1)))
        return _label_tables(_drop_contents(rows, self.vocab.contents))

    # ---- blocks ----------------------------------------------------------

    def _is_heading_row(self, row: _Row, marker: str | None) -> bool:
        """A short row in bold or in larger print than the body.

        A row opening with a marker is a heading only in bold: numbered
        headings ("1. Children who need help and protection") are bold,
        list items are not.
        """
        words = row.text.count(" ") + 1
        if words > 30 or (marker is not None and not row.bold):
            return False
        if row.bold:
            return True
        return row.size >= self.body + 1.5

    def blocks(self) -> list[Block]:
        """The document's blocks: table cells, headings, list items and paragraphs."""
        blocks: list[Block] = []
        state = _OpenBlock()
        for row in self._rows():
            if row.cell:
                blocks.append(_new_block("paragraph", row.text, row))
                state.block, state.level0_x = None, None  # a cell never runs on
            else:
                marker, rest = self._marker(row, state)
                if self._is_heading_row(row, marker):
                    self._add_heading(row, state, blocks)
                elif marker is not None:
                    self._add_item(row, marker, rest, state, blocks)
                elif not self._extend(row, state):
                    self._add_paragraph(row, state, blocks)
            state.prev = row
        return [b for b in blocks if b.text]

    @staticmethod
    def _marker(row: _Row, state: _OpenBlock) -> tuple[str | None, str]:
        """The row's list marker and the text after it; a dash that wrapped is no marker."""
        marker, rest = split_marker(row.text)
        current = state.block
        if marker is not None and marker in "-\u2013\u2014" and state.prev is not None \
                and current is not None and current.kind != "heading" \
                and not _TERMINAL.search(current.text) and abs(row.x0 - state.cont_x) < 3:
            return None, row.text  # a dash of the open sentence, wrapped to the line start
        return marker, rest

    @staticmethod
    def _add_heading(row: _Row, state: _OpenBlock, blocks: list[Block]) -> None:
        """Open a heading, or add the row to the heading it wraps on from."""
        text = _FOOTNOTE_GLUE.sub("", row.text).strip()
        current, prev = state.block, state.prev
        if current is not None and current.kind == "heading" and prev is not None \
                and _wraps_heading(current, prev, row, text):
            current.text = _join(current.text, text)
            return
        state.block = _new_block("heading", text, row)
        blocks.append(state.block)
        state.level0_x = None

    def _add_item(self, row: _Row, marker: str, rest: str, state: _OpenBlock,
                  blocks: list[Block]) -> None:
        """Open a list item; indented further than the last top-level marker, a sub-item."""
        level0_x = state.level0_x
        level = int(level0_x is not None and (
            row.x0 > level0_x + 8
            or (marker in self.vocab.sub_bullets and row.x0 > level0_x + 4)))
        if level == 0:
            state.level0_x = row.x0
        state.block = Block(kind="item", text=rest, page=row.page, marker=marker.strip(),
                            level=level, size=row.size, bold=row.bold)
        blocks.append(state.block)
        state.first_x, state.cont_x = row.x0, -1.0

    def _extend(self, row: _Row, state: _OpenBlock) -> bool:
        """Add the row to the open paragraph or item when it carries it on."""
        current, prev = state.block, state.prev
        if current is None or current.kind == "heading" or prev is None \
                or not self._continues(current, prev, row, state.first_x, state.cont_x):
            return False
        current.text = _join(current.text, row.text)
        if state.cont_x < 0:
            state.cont_x = row.x0
        return True

    @staticmethod
    def _add_paragraph(row: _Row, state: _OpenBlock, blocks: list[Block]) -> None:
        """Open a paragraph; one back at the list's margin ends the list's nesting."""
        state.block = _new_block("paragraph", row.text, row)
        blocks.append(state.block)
        state.first_x, state.cont_x = row.x0, -1.0
        if state.level0_x is not None and row.x0 <= state.level0_x + 4:
            state.level0_x = None

    def _continues(self, block: Block, prev: _Row, row: _Row, first_x: float,
                   cont_x: float) -> bool:
        """Whether ``row`` carries on the open paragraph or item."""
        if abs(row.size - prev.size) > 1.5 and row.size < self.body - 1:
            return False
        ended = bool(_TERMINAL.search(block.text))
        starts_lower = bool(_LOWER_START.match(row.text))
        if row.page == prev.page:
            gap = row.top - prev.top - (prev.span - 1) * row.size * 1.2
            if gap <= 0 or gap > row.size * 1.6:
                # A new paragraph, unless it is a column or gap artefact in mid-sentence.
                return gap > 0 and not ended and starts_lower and gap < row.size * 3
            pitch = self.pitch.get(row.page)
            if ended and pitch is not None and row.size == prev.size == self.body \
                    and gap > pitch + 1.5:
                return False  # a sentence ends the line and a wider gap follows
            if block.kind != "item":
                return True
            if cont_x < 0:
                return row.x0 >= first_x - 2
            # After its last sentence, a line left of the item's hanging indent is not its own.
            return not (ended and cont_x > first_x + 4 and row.x0 < cont_x - 3)
        # Page break: the sentence (or the item's hanging indent) carries on.
        if not ended:
            return True
        if block.kind == "item":
            indent = cont_x if cont_x > 0 else first_x + 8
            return abs(row.x0 - indent) < 3 and row.x0 > first_x + 4
        return starts_lower


@dataclass(slots=True)
class _OpenBlock:
    """The block being built from PDF rows and the layout that decides what joins it."""

    block: Block | None = None
    first_x: float = 0.0  # x0 of the block's first line
    cont_x: float = 0.0  # x0 of its continuation lines; -1 until one is seen
    prev: _Row | None = None  # the row before
    level0_x: float | None = None  # x0 of the latest top-level item marker


def _new_block(kind: BlockKind, text: str, row: _Row) -> Block:
    """A block of ``kind`` that takes its page and print from ``row``."""
    return Block(kind=kind, text=text, page=row.page, size=row.size, bold=row.bold)


def _wraps_heading(heading: Block, prev: _Row, row: _Row, text: str) -> bool:
    """Whether a heading row is the next line of the heading above, not a heading of its own.

    A wrapped heading keeps the weight and size of its first line and follows
    it closely on the same page; a row repeating the heading is a new one.
    """
    return (heading_key(text).lower() != heading_key(heading.text).lower()
            and prev.bold == row.bold and abs(prev.size - row.size) < 0.6
            and prev.page == row.page and 0 < row.top - prev.top < row.size * 2.2)


#: Average width of a printed character as a share of the font size (for body fonts).
_CHAR_WIDTH = 0.45


def _label_tables(rows: list[_Row]) -> list[_Row]:
    """Rows with label-column tables rebuilt: the header as a heading, one row per right cell.

    The header row ("Responsible body Areas for priority action") sets the
    left column's x0; the first row further right sets the right column's.
    Left-column lines are dropped; the right-column lines of one table row
    are joined into one cell, and a new cell starts when the left column
    starts again. The table ends at the next heading (bold or larger print)
    or at a line starting at the left column too long to fit in it. A header
    printed again straight after the table's cells (at the top of the next
    page) carries the same table on.
    """
    out: list[_Row] = []
    index = 0
    last_title: str | None = None
    while index < len(rows):
        row = rows[index]
        title = table_title(row.text) if row.bold else None
        if title is None:
            out.append(row)
            index += 1
            continue
        if not (out and out[-1].cell and title == last_title):
            out.append(_Row(text=title, page=row.page, size=row.size, bold=True, x0=row.x0,
                            top=row.top))
        last_title = title
        index = _table_cells(rows, index + 1, row, out)
    return out


def _table_cells(rows: list[_Row], index: int, header: _Row, out: list[_Row]) -> int:
    """Append the right-column cells of the table under ``header``; the index after it."""
    left_x = header.x0
    right_x: float | None = None
    cell: _Row | None = None
    left_seen = True
    while index < len(rows):
        row = rows[index]
        if row.bold or row.size > header.size + 0.5 or row.x0 < left_x - 3:
            break
        if right_x is None and row.x0 > left_x + 40:
            right_x = row.x0
        if right_x is not None and row.x0 >= right_x - 3:
            marker, rest = split_marker(row.text)
            if cell is None or left_seen or _opens_cell_item(cell.text, marker):
                cell = _Row(text=rest, page=row.page, size=row.size, bold=False,
                            x0=row.x0, top=row.top, cell=True)
                out.append(cell)
            else:
                cell.text = _join(cell.text, rest)
            left_seen = False
        else:
            width = right_x - left_x if right_x is not None else 200.0
            if len(row.text) * row.size * _CHAR_WIDTH > width:
                break  # full-width text: the table is over
            left_seen = True
        index += 1
    return index


def _opens_cell_item(cell_text: str, marker: str | None) -> bool:
    """Whether a bulleted line inside a table cell starts an item of its own.

    A cell may list several points for one responsible body; bullets after a
    lead-in ending in a colon complete that lead-in instead.
    """
    return marker is not None and not cell_text.rstrip().endswith(":")


#: Longest line that can be a contents heading (a cheap test before the patterns).
_CONTENTS_LEN = 40


def _drop_contents(rows: list[_Row], contents: re.Pattern[str]) -> list[_Row]:
    """Rows without contents pages: the contents heading and the entries that follow it."""
    out: list[_Row] = []
    index = 0
    while index < len(rows):
        row = rows[index]
        if len(row.text) < _CONTENTS_LEN and contents.match(heading_key(row.text)):
            index = _skip_entries([r.text for r in rows], index + 1)
            continue
        out.append(row)
        index += 1
    return out


def _skip_entries(texts: list[str], index: int) -> int:
    """The index after a run of contents entries (lines ending in a page number).

    An entry may wrap: one line without a page number is allowed when the next
    line ends with one.
    """
    while index < len(texts):
        if _PAGE_REF.search(texts[index]):
            index += 1
        elif index + 1 < len(texts) and _PAGE_REF.search(texts[index + 1]) \
                and len(texts[index]) < 100:
            index += 2
        else:
            break
    return index


# --------------------------------------------------------------------------
# Text and markdown

_MD_HEADING = re.compile(r"^#{1,6}\s*")
_WORDS = re.compile(r"\S+")


def _text_lines(raw: RawDocument) -> list[tuple[str, int, int]]:
    """(text, page, indent) of each non-blank line, mark-up removed, HTML blocks split.

    ``indent`` is the line's leading spaces, or ``-1`` for a markdown or HTML
    heading; an HTML list item gets a bullet, indented by its list's depth.
    """
    vocab = vocabulary()
    html = _HtmlLists()
    out: list[tuple[str, int, int]] = []
    for raw_text, page in _html_rows_joined(raw):
        if _MD_FOOTNOTE_TEXT.match(raw_text):
            continue
        raw_text = raw_text.replace("\t", "    ")
        line_indent = len(raw_text) - len(raw_text.lstrip(" "))
        pieces = html.pieces(raw_text) if "<" in raw_text else [(raw_text, None)]
        for piece, html_indent in pieces:
            text = piece.strip()
            heading = html_indent == -1 or bool(_MD_HEADING.match(text))
            text = normalise_chars(strip_markup(_MD_HEADING.sub("", text)))
            if not text or vocab.furniture.match(text) or _is_bare_marker(text):
                continue
            indent = -1 if heading else line_indent if html_indent is None else html_indent
            out.append((text, page, indent))
    return out


#: A markdown footnote's text ("[^2]: Ofsted, 2021"): a footnote, not report text.
_MD_FOOTNOTE_TEXT = re.compile(r"\s*\[\^[^\]]+\]:")
_HTML_ROW_OPEN = re.compile(r"<tr\b", re.IGNORECASE)
_HTML_ROW_CLOSE = re.compile(r"</tr>|</table>", re.IGNORECASE)
#: Most lines one HTML table row may take (a row never closed must not swallow the report).
_HTML_ROW_LINES = 40


def _html_rows_joined(raw: RawDocument) -> list[tuple[str, int]]:
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


class _HtmlLists:
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


def _looks_like_heading(text: str, next_text: str | None) -> bool:
    """A short line with no sentence end, that the next line does not continue."""
    if heading_kind(text) is not None or is_sublabel(text):
        return True
    words = len(_WORDS.findall(text))
    if words > 14 or _TERMINAL.search(text) or text.endswith(","):
        return False
    if not (text[:1].isupper() or text[:1].isdigit()):
        return False
    return not (next_text is not None and _LOWER_START.match(next_text))


#: Superscript digits: a line opening with one is a footnote's text.
_SUPERSCRIPT_DIGITS = "\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"


def _carries_on(block_text: str, text: str) -> bool:
    """Whether a line continues the unfinished sentence of the block above it."""
    return not _TERMINAL.search(block_text) \
        and bool(_LOWER_START.match(text) or block_text.endswith(("-", ",", "–")))


def _text_blocks(raw: RawDocument) -> list[Block]:
    """Blocks of a text or markdown extraction, which has no layout to go by.

    Headings are known by mark-up, vocabulary or shape, list items by their
    markers, and a line carries on the block above when that block has no
    sentence end and the line starts in lower case.
    """
    vocab = vocabulary()
    wrapped = is_wrapped_text(raw)
    if len(raw.pages) > 1:
        raw = _without_running_lines(raw)
    if wrapped:
        raw = _with_wrap_hyphens_restored(_with_markers_attached(raw))
    footnote_texts = {normalise_chars(line.text) for page in raw.pages for line in page
                      if line.text.lstrip()[:1] in _SUPERSCRIPT_DIGITS}
    lines = [entry for entry in _text_lines(raw) if entry[0] not in footnote_texts]
    texts = [t for t, _, _ in lines]
    width = _line_width(texts) if wrapped else 0
    blocks: list[Block] = []
    current: Block | None = None
    block_lines: list[str] = []  # the current block's lines as printed
    index = 0
    while index < len(lines):
        text, page, indent = lines[index]
        if vocab.contents.match(heading_key(text)):
            index = _skip_entries(texts, index + 1)
            current = None
            continue
        if text.startswith("|"):
            title = table_title(" ".join(_pipe_cells(text)))
            if title is not None:
                blocks.append(Block(kind="heading", text=title, page=page))
                index = _pipe_table(lines, index + 1, blocks)
                current = None
                continue
        index += 1
        next_text = texts[index] if index < len(texts) else None
        marker, rest = split_marker(text)
        if marker is not None:
            level = 1 if indent > 0 else 0
            current = Block(kind="item", text=rest, page=page, marker=marker, level=level)
            blocks.append(current)
            block_lines = [text]
            continue
        if current is not None and current.kind != "heading" and indent >= 0 and (
                _carries_on(current.text, text)
                or (width > 0 and _wraps(block_lines, text, next_text, width))):
            current.text = _join(current.text, text)
            block_lines.append(text)
            continue
        block_lines = [text]
        if indent < 0 or (_looks_like_heading(text, next_text)
                          and not (width and _is_wrapped_line(text, width))):
            current = Block(kind="heading", text=_FOOTNOTE_GLUE.sub("", text).strip(), page=page)
        else:
            current = Block(kind="paragraph", text=text, page=page)
        blocks.append(current)
    if wrapped:
        _demote_group_labels(blocks)
    return blocks


# --------------------------------------------------------------------------
# Wrapped text (pdftotext and the like)

#: Share of lines ending mid-sentence above which a text is wrapped at the page width.
_WRAPPED_SHARE = 0.3
#: Shortest line counted when measuring a text's lines.
_MEASURED_LEN = 20
#: Lines looked at in each page margin for running headers and footers.
_MARGIN_LINES = 3
#: How full (of the usual full line) a line ending mid-sentence is when it wraps.
_WRAP_FULL = 0.8
#: How full a line ending a sentence is when the paragraph still carries on below it.
_WRAP_FULL_SENTENCE = 0.95


def is_wrapped_text(raw: RawDocument) -> bool:
    """Whether a text extraction is wrapped at the page width (pdftotext) or has a line a paragraph.

    In wrapped text most lines stop mid-sentence and the next line carries
    on in lower case; in one-paragraph-per-line text only headings stop
    without a sentence end, and a lower-case line after one is rare.
    """
    texts = [line.text.strip() for page in raw.pages for line in page]
    measured = carried = 0
    for above, below in pairwise(texts):
        if len(above) < _MEASURED_LEN:
            continue
        measured += 1
        if not _TERMINAL.search(above) and below[:1].islower():
            carried += 1
    return measured > 0 and carried / measured > _WRAPPED_SHARE


def _margin_key(text: str) -> str:
    """A margin line as compared between pages: digits (page numbers, dates) do not count."""
    return _DIGITS.sub("#", " ".join(text.split()).lower())


def _is_running_candidate(text: str) -> bool:
    """Whether a line may be a running header or footer (list labels and headings may not)."""
    stripped = text.strip()
    if _is_bare_marker(stripped) or split_marker(stripped + " x")[0] is not None:
        return False
    return heading_kind(stripped) is None


def _without_running_lines(raw: RawDocument) -> RawDocument:
    """The document without running headers and footers: lines repeated in most page margins.

    A text extraction keeps the page's margin lines where they were printed:
    the first and last few lines of each page. A line found there on several
    pages (digits aside, so page numbers and dates may change) is furniture.
    """
    def margins(page: list[Line]) -> list[Line]:
        return page[:_MARGIN_LINES] + page[-_MARGIN_LINES:]

    seen: Counter[str] = Counter()
    for page in raw.pages:
        seen.update({_margin_key(line.text) for line in margins(page)
                     if _is_running_candidate(line.text)})
    pages = len(raw.pages)
    need = 2 if pages <= 4 else max(2, pages // 4)
    repeated = {key for key, count in seen.items() if count >= need}
    if not repeated:
        return raw
    kept: list[list[Line]] = []
    for page in raw.pages:
        edge = {id(line) for line in margins(page)}
        kept.append([line for line in page
                     if id(line) not in edge or _margin_key(line.text) not in repeated
                     or not _is_running_candidate(line.text)])
    return RawDocument(path=raw.path, format=raw.format, sha256=raw.sha256, pages=kept,
                       warnings=raw.warnings)


def _with_markers_attached(raw: RawDocument) -> RawDocument:
    """A bullet or paragraph number printed on a line of its own put in front of the next line.

    pdftotext writes a list marker set apart from its text ("1." or "▪", then
    the paragraph) as a line of its own; it labels the text that follows.
    """
    lines = [line for page in raw.pages for line in page]
    drop: set[int] = set()
    replace: dict[int, Line] = {}
    for index, (line, following) in enumerate(pairwise(lines)):
        text = line.text.strip()
        if index in drop or not text or len(text) > 6:
            continue
        marker, rest = split_marker(text + " x")
        if marker is None or rest != "x" or following.page != line.page \
                or split_marker(following.text.strip())[0]:
            continue
        drop.add(index)
        replace[index + 1] = Line(text=f"{text} {following.text.strip()}", page=following.page)
    if not drop:
        return raw
    pages: list[list[Line]] = [[] for _ in raw.pages]
    position = 0
    for number, page in enumerate(raw.pages):
        for line in page:
            if position not in drop:
                pages[number].append(replace.get(position, line))
            position += 1
    return RawDocument(path=raw.path, format=raw.format, sha256=raw.sha256, pages=pages,
                       warnings=raw.warnings)


_HYPHENATED = re.compile(r"\b[A-Za-z]+(?:-[A-Za-z]+)+\b")
_WORD = re.compile(r"\b[A-Za-z]{4,}\b")


def _with_wrap_hyphens_restored(raw: RawDocument) -> RawDocument:
    """Hyphens that pdftotext dropped where a hyphenated word wrapped, put back.

    pdftotext joins "multi-" and "agency" on two lines into one over-long
    line reading "multiagency". A word of such a line that the document
    prints elsewhere only with a hyphen ("multi-agency") gets it back; a
    word it also prints whole elsewhere is left as it is.
    """
    texts = [line.text for page in raw.pages for line in page]
    width = _line_width([text.strip() for text in texts])
    if not width:
        return raw
    limit = width * _MERGED_LINE
    hyphenated: dict[str, str] = {}
    whole: set[str] = set()
    for text in texts:
        for match in _HYPHENATED.finditer(text):
            hyphenated.setdefault(match.group().replace("-", "").lower(), match.group().lower())
        if len(text.strip()) <= limit:
            whole.update(word.lower() for word in _WORD.findall(text))

    def restore(match: re.Match[str]) -> str:
        word = match.group()
        form = hyphenated.get(word.lower())
        if form is None or word.lower() in whole:
            return word
        letters = iter(word)
        return "".join("-" if ch == "-" else next(letters) for ch in form)

    pages = [[Line(text=_WORD.sub(restore, line.text), page=line.page)
              if len(line.text.strip()) > limit else line for line in page]
             for page in raw.pages]
    return RawDocument(path=raw.path, format=raw.format, sha256=raw.sha256, pages=pages,
                       warnings=raw.warnings)


def _line_width(texts: list[str]) -> int:
    """The length of a full line of the text: a high percentile of its line lengths.

    Not the longest line: pdftotext merges the two halves of a word hyphenated
    at a wrap into one line twice the width.
    """
    lengths = sorted(len(text) for text in texts if len(text) >= _MEASURED_LEN)
    if not lengths:
        return 0
    return lengths[int(len(lengths) * 0.9)]


def _is_wrapped_line(text: str, width: int) -> bool:
    """A line of unknown words as long as the page is wide: the first line of a paragraph.

    Headings are short; a line that fills the width without a sentence end
    wrapped at the margin, however heading-like its words.
    """
    return len(text) >= width * _WRAP_FULL and heading_kind(text) is None \
        and not is_sublabel(text)


#: A line this much longer than a full line holds two printed lines (a word hyphenated at the wrap).
_MERGED_LINE = 1.15


def _wraps(block_lines: list[str], text: str, next_text: str | None, width: int) -> bool:
    """Whether wrapped ``text`` carries on the paragraph printed so far as ``block_lines``.

    A line is cut where the next word no longer fits, so a line that would
    have had room for the next line's first word ended its paragraph. A full
    line ending mid-sentence wraps; a full line ending a sentence wraps unless
    the next line is a heading. Once a paragraph has two lines, its own widest
    line is the measure: table cells and indented lists are narrower than the page.
    """
    if not block_lines:
        return False
    if _LOWER_START.match(text):
        return True
    if heading_kind(text) is not None:
        return False
    above = block_lines[-1]
    if len(block_lines) > 1:
        widest = max((len(line) for line in block_lines if len(line) <= width * _MERGED_LINE),
                     default=0)
        width = widest or width
    room = (len(above) + 1 + len(text.split(" ", 1)[0])) / width
    if not _TERMINAL.search(above):
        return room >= _WRAP_FULL
    return room >= _WRAP_FULL_SENTENCE and not _looks_like_heading(text, next_text)


_NUMBER = re.compile(r"\d+")


def _demote_group_labels(blocks: list[Block]) -> None:
    """Turn the group labels of a numbered improvement list from headings into paragraphs.

    Improvement lists may be grouped under labels ("Training", "Care
    leavers") that a PDF prints in body type, but that wrapped text shows
    only as short lines. A short line between a list heading and the list's
    first numbered item labels a group; once a list is grouped so, a line
    followed by the list's next number labels the next group. A heading the
    vocabulary knows is never a later group's label, and list headings
    always start a list of their own.
    """
    vocab = vocabulary()
    open_list = grouped = False
    listed = 0  # items of the open list so far
    last_number: int | None = None
    for index, block in enumerate(blocks):
        if block.kind == "item":
            number = _NUMBER.match(block.marker or "")
            last_number = int(number.group()) if number else None
            listed += 1
            continue
        if block.kind != "heading":
            continue
        kind = heading_kind(block.text)
        if kind in vocab.list_sublabel_kinds:
            open_list, grouped, listed = True, False, 0
            continue
        if open_list and is_list_sublabel(block.text):
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        number = _NUMBER.match(following.marker or "") \
            if following is not None and following.kind == "item" else None
        if open_list and kind not in LIST_SECTION_KINDS and number is not None:
            if not listed:
                block.kind, grouped = "paragraph", True
                continue
            if grouped and kind is None and last_number is not None \
                    and int(number.group()) == last_number + 1:
                block.kind = "paragraph"
                continue
        open_list = False


_RULE_CELL = re.compile(r":?-{2,}:?")


def _pipe_cells(text: str) -> list[str]:
    """The cells of a markdown table row ("| a | b |")."""
    return [cell.strip() for cell in text.strip().strip("|").split("|")]


def _pipe_table(lines: list[tuple[str, int, int]], index: int, blocks: list[Block]) -> int:
    """Append the last cell of each row of a label-column markdown table; the index after it."""
    while index < len(lines) and lines[index][0].startswith("|"):
        text, page, _ = lines[index]
        cells = _pipe_cells(text)
        if len(cells) > 1 and cells[-1] and not _RULE_CELL.fullmatch(cells[-1]):
            blocks.append(Block(kind="paragraph", text=cells[-1], page=page))
        index += 1
    return index
