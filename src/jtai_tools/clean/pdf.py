"""The PDF layout pass: printed lines with their font, weight and position in, blocks out.

Body print is the commonest font size; headings are bold or larger; list
items open with a marker and keep a hanging indent; paragraphs are told apart
by the page's line pitch; tables whose first column only labels each row are
read one right-hand cell a block. Every threshold is named in
``data/layout.toml``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from .. import vocab
from ..models import Block, BlockKind, Line, RawDocument
from . import common

LAYOUT = common.layout()

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
    ruled: bool = False  # a table rule is printed between this row and the row above
    text_x: float | None = None  # after a bullet: where the text starts (the hanging indent)


class PdfCleaner:
    """Layout-driven cleaning of one PDF document."""

    def __init__(self, raw: RawDocument) -> None:
        self.raw = raw
        self.vocab = vocab.vocabulary()
        sizes: Counter[float] = Counter()  # characters printed at each size, margins aside
        #: Per page, for each line in the top or bottom margin its margin key, else None.
        self.margin_keys = [_margin_keys(page, sizes) for page in raw.pages]
        self.body = sizes.most_common(1)[0][0] if sizes else LAYOUT.default_body_size
        self.pitch = self._line_pitches()

    def _line_pitches(self) -> dict[int, float]:
        """Per page, the usual distance between two lines of one body paragraph.

        Paragraph spacing varies (tables print rows barely apart), but the
        line pitch inside a paragraph is fixed on a page, so a sentence that
        ends a line followed by a wider gap ends its paragraph.
        """
        pitches: dict[int, float] = {}
        body = self.body
        widest = body * LAYOUT.pitch_max_factor
        for page in self.raw.pages:
            tops = [line.top if line.size == body else None for line in page]
            gaps = [below - above for above, below in pairwise(tops)
                    if above is not None and below is not None]
            counts = Counter(round(gap * 2) / 2 for gap in gaps if 0 < gap < widest)
            if counts:
                pitch, seen = counts.most_common(1)[0]
                if seen >= LAYOUT.pitch_min_lines:
                    pitches[page[0].page] = pitch
        return pitches

    # ---- furniture -------------------------------------------------------

    def _running_keys(self) -> set[str]:
        """Texts repeated in the top or bottom margin of several pages: running headers/footers."""
        return common.running_keys([key for key in keys if key is not None]
                                   for keys in self.margin_keys)

    def _rows(self) -> list[_Row]:
        """The printed lines that are report text: furniture, footnotes and contents pages gone.

        This loop runs for every printed line: the cheap tests go first (a
        running header is known by its margin key before its text is
        normalised; only a line of at most three characters can be a bare
        marker) and the functions it calls are held as locals.
        """
        repeated = self._running_keys()
        furniture = self.vocab.furniture.match
        normalise, is_bare_marker = vocab.normalise_chars, common.is_bare_marker
        body = self.body
        footnote_size = body * LAYOUT.footnote_size_share
        footnote_continues = body - LAYOUT.footnote_continue_drop
        rows: list[_Row] = []
        for page, keys in zip(self.raw.pages, self.margin_keys, strict=True):
            footnote = False
            rules = self.raw.rules.get(page[0].page) if page else None
            for line, key in zip(page, keys, strict=True):
                if key is not None and key in repeated:
                    continue
                text = normalise(line.text)
                if not text or furniture(text) or (len(text) <= 3 and is_bare_marker(text)):
                    continue  # (text has no end spaces)
                size = line.size or body
                # A footnote opens with a small raised number and runs, in small
                # print, to the foot of the page.
                if size < footnote_size and text[:1].isdigit():
                    footnote = True
                    continue
                if footnote and size < footnote_continues:
                    continue
                footnote = False
                # Fields in order, not by name: one row is built a line.
                row = _Row(text, line.page, size, bool(line.bold),
                           line.x0 if line.x0 is not None else 0.0,
                           line.top if line.top is not None else 0.0,
                           1 + line.text.count("\ufffe", 0, len(line.text) - 1),
                           False, False, line.text_x)
                if rules and rows and rows[-1].page == row.page:
                    row.ruled = _rule_between(rules, rows[-1], row)
                if line.runs and not row.bold:
                    rows.extend(_cells_of(row, line))
                else:
                    rows.append(row)
        return _label_tables(_drop_contents(rows, self.vocab.contents))

    # ---- blocks ----------------------------------------------------------

    def _is_heading_row(self, row: _Row, marker: str | None) -> bool:
        """A short row in bold or in larger print than the body.

        A row opening with a marker is a heading only in bold: numbered
        headings ("1. Children who need help and protection") are bold,
        list items are not.
        """
        if not row.bold:  # body print, as most rows: words are not counted
            return marker is None and row.size >= self.body + LAYOUT.heading_size_gain \
                and row.text.count(" ") < LAYOUT.heading_max_words
        return row.text.count(" ") < LAYOUT.heading_max_words

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
        marker, rest = common.split_marker(row.text)
        current = state.block
        if marker is not None and marker in "-\u2013\u2014" and state.prev is not None \
                and current is not None and current.kind != "heading" \
                and not common.ends_clause(current.text) \
                and abs(row.x0 - state.cont_x) < LAYOUT.x_tolerance:
            return None, row.text  # a dash of the open sentence, wrapped to the line start
        return marker, rest

    @staticmethod
    def _add_heading(row: _Row, state: _OpenBlock, blocks: list[Block]) -> None:
        """Open a heading, or add the row to the heading it wraps on from."""
        text = common.FOOTNOTE_GLUE.sub("", row.text).strip()
        current, prev = state.block, state.prev
        if current is not None and current.kind == "heading" and prev is not None \
                and _wraps_heading(current, prev, row, text):
            current.text = common.join_wrapped(current.text, text)
            return
        state.block = _new_block("heading", text, row)
        blocks.append(state.block)
        state.level0_x = None

    def _add_item(self, row: _Row, marker: str, rest: str, state: _OpenBlock,
                  blocks: list[Block]) -> None:
        """Open a list item; indented further than the last top-level marker, a sub-item."""
        level0_x = state.level0_x
        level = int(level0_x is not None and (
            row.x0 > level0_x + LAYOUT.sub_item_indent
            or (marker in self.vocab.sub_bullets and row.x0 > level0_x + LAYOUT.sub_bullet_indent)))
        if level == 0:
            state.level0_x = row.x0
        state.block = Block(kind="item", text=rest, page=row.page, marker=marker.strip(),
                            level=level, size=row.size, bold=row.bold)
        blocks.append(state.block)
        state.first_x, state.cont_x, state.hang_x = row.x0, -1.0, row.text_x

    def _extend(self, row: _Row, state: _OpenBlock) -> bool:
        """Add the row to the open paragraph or item when it carries it on."""
        current, prev = state.block, state.prev
        if current is None or current.kind == "heading" or prev is None \
                or not self._continues(current, prev, row, state):
            return False
        current.text = common.join_wrapped(current.text, row.text)
        if state.cont_x < 0:
            state.cont_x = row.x0
        return True

    @staticmethod
    def _add_paragraph(row: _Row, state: _OpenBlock, blocks: list[Block]) -> None:
        """Open a paragraph; one back at the list's margin ends the list's nesting."""
        state.block = _new_block("paragraph", row.text, row)
        blocks.append(state.block)
        state.first_x, state.cont_x, state.hang_x = row.x0, -1.0, None
        if state.level0_x is not None and row.x0 <= state.level0_x + LAYOUT.list_margin_slack:
            state.level0_x = None

    def _continues(self, block: Block, prev: _Row, row: _Row, state: _OpenBlock) -> bool:
        """Whether ``row`` carries on the open paragraph or item."""
        first_x, cont_x = state.first_x, state.cont_x
        if abs(row.size - prev.size) > LAYOUT.size_change \
                and row.size < self.body - LAYOUT.small_print_drop:
            return False
        ended = common.ends_clause(block.text)
        # Whether the row starts in lower case, and the page's pitch, are looked up
        # only where they decide: most rows plainly carry on the paragraph above.
        if row.page == prev.page:
            gap = row.top - prev.top - (prev.span - 1) * row.size * LAYOUT.span_pitch_factor
            if abs(row.top - prev.top) < 1 and row.x0 > prev.x0 and not ended \
                    and _starts_lower(row):
                return True  # the rest of a printed line that the reader split at a wide gap
            if gap <= 0 or gap > row.size * LAYOUT.paragraph_gap_factor:
                # A new paragraph, unless it is a column or gap artefact in mid-sentence.
                return gap > 0 and not ended and _starts_lower(row) \
                    and gap < row.size * LAYOUT.column_gap_factor
            if ended and row.size == prev.size == self.body:
                pitch = self.pitch.get(row.page)
                if pitch is not None and gap > pitch + LAYOUT.pitch_slack:
                    return False  # a sentence ends the line and a wider gap follows
            if block.kind != "item":
                return True
            if cont_x < 0:
                return row.x0 >= first_x - LAYOUT.wrap_left_slack
            # After its last sentence, a line left of the item's hanging indent is not its own.
            return not (ended and cont_x > first_x + LAYOUT.hanging_indent
                        and row.x0 < cont_x - LAYOUT.x_tolerance)
        # Page break: the sentence (or the item's hanging indent) carries on.
        if not ended:
            return True
        if block.kind == "item":
            indent = cont_x if cont_x > 0 else state.hang_x or first_x + LAYOUT.sub_item_indent
            return abs(row.x0 - indent) < LAYOUT.x_tolerance \
                and row.x0 > first_x + LAYOUT.hanging_indent
        return _starts_lower(row)


@dataclass(slots=True)
class _OpenBlock:
    """The block being built from PDF rows and the layout that decides what joins it."""

    block: Block | None = None
    first_x: float = 0.0  # x0 of the block's first line
    cont_x: float = 0.0  # x0 of its continuation lines; -1 until one is seen
    hang_x: float | None = None  # where an item's text starts after its bullet, when known
    prev: _Row | None = None  # the row before
    level0_x: float | None = None  # x0 of the latest top-level item marker


def _starts_lower(row: _Row) -> bool:
    """Whether the row starts in lower case (or with an opening bracket or quote): mid-sentence."""
    return bool(common.LOWER_START.match(row.text))


def _margin_keys(page: list[Line], sizes: Counter[float]) -> list[str | None]:
    """For each line of a page in the top or bottom margin its margin key, else ``None``.

    Running headers and footers are printed in the margins. Worked out once
    for each line (three passes ask it) with the margins' shares held as
    locals; on the way, the characters of the lines outside the margins are
    counted in ``sizes`` by font size (the commonest is the body print).
    """
    top_share, bottom_share = LAYOUT.top_margin_share, LAYOUT.bottom_margin_share
    default_height, margin_key = LAYOUT.default_height, common.margin_key
    keys: list[str | None] = []
    for line in page:
        height = line.page_height or default_height
        top = line.top if line.top is not None else height / 2
        if top < top_share * height or top > bottom_share * height:
            keys.append(margin_key(line.text))
        else:
            keys.append(None)
            sizes[line.size or 0.0] += len(line.text)
    return keys


def _new_block(kind: BlockKind, text: str, row: _Row) -> Block:
    """A block of ``kind`` that takes its page and print from ``row``."""
    return Block(kind=kind, text=text, page=row.page, size=row.size, bold=row.bold)


def _wraps_heading(heading: Block, prev: _Row, row: _Row, text: str) -> bool:
    """Whether a heading row is the next line of the heading above, not a heading of its own.

    A wrapped heading keeps the weight and size of its first line and follows
    it closely on the same page; a row repeating the heading is a new one.
    """
    return (vocab.heading_key(text).lower() != vocab.heading_key(heading.text).lower()
            and prev.bold == row.bold and abs(prev.size - row.size) < LAYOUT.heading_size_slack
            and prev.page == row.page
            and 0 < row.top - prev.top < row.size * LAYOUT.heading_wrap_factor)


def _label_tables(rows: list[_Row]) -> list[_Row]:
    """Rows with label-column tables rebuilt: the header as a heading, one row per right cell.

    The header row ("Responsible body Areas for priority action") sets the
    left column's x0; the first row further right sets the right column's.
    Left-column lines are dropped; the right-column lines of one table row
    are joined into one cell, and a new cell starts when the left column
    starts again. The table ends at the next heading (bold or larger print)
    or at a line starting at the left column too long to fit in it. A header
    printed again straight after the table's cells (at the top of the next
    page) carries the same table on. A list printed as a ruled one-column
    table is read one cell a row too (:func:`_ruled_cells`).
    """
    out: list[_Row] = []
    index = 0
    last_title: str | None = None
    while index < len(rows):
        row = rows[index]
        title = vocab.table_title(row.text) if row.bold else None
        if title is None:
            out.append(row)
            index += 1
            # Few rows are ruled: that is looked at before the header's wording.
            if index < len(rows) and rows[index].ruled and _heads_ruled_list(row, rows[index]):
                index = _ruled_cells(rows, index, row, out)
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
    led = False  # the open cell's lead-in ended in a colon: its bullets complete it
    left_seen = True
    while index < len(rows):
        row = rows[index]
        if row.bold or row.size > header.size + LAYOUT.table_size_slack \
                or row.x0 < left_x - LAYOUT.x_tolerance:
            break
        if right_x is None and row.x0 > left_x + LAYOUT.table_column_offset:
            right_x = row.x0
        if right_x is not None and row.x0 >= right_x - LAYOUT.x_tolerance:
            marker, rest = common.split_marker(row.text)
            if cell is None or left_seen or _opens_cell_item(cell.text, marker, led):
                cell = _Row(text=rest, page=row.page, size=row.size, bold=False,
                            x0=row.x0, top=row.top, cell=True)
                out.append(cell)
                led = False
            else:
                led = led or (marker is not None and cell.text.rstrip().endswith(":"))
                cell.text = common.join_wrapped(cell.text, rest)
            left_seen = False
        else:
            width = right_x - left_x if right_x is not None else LAYOUT.table_left_width
            if len(row.text) * row.size * LAYOUT.char_width_share > width:
                break  # full-width text: the table is over
            left_seen = True
        index += 1
    return index


def _opens_cell_item(cell_text: str, marker: str | None, led: bool) -> bool:
    """Whether a bulleted line inside a table cell starts an item of its own.

    A cell may list several points for one responsible body; bullets after a
    lead-in ending in a colon (``led``: the cell's earlier bullets did)
    complete that lead-in instead.
    """
    return marker is not None and not led and not cell_text.rstrip().endswith(":")


def _cells_of(row: _Row, line: Line) -> list[_Row]:
    """A row the reader ran across table columns, as one row per column (``Line.runs``).

    Bold rows stay whole: a table's header ("Responsible body Areas for
    priority action") is read as one line.
    """
    runs = [(offset, x) for offset, x in line.runs
            if common.split_marker(vocab.normalise_chars(line.text[:offset]) + " x")[1] != "x"]
    if not runs:
        return [row]  # only a list label set apart from its text
    cuts = [0, *(offset for offset, _ in runs), len(line.text)]
    xs = [row.x0, *(x for _, x in runs)]
    out: list[_Row] = []
    for (begin, end), x0 in zip(pairwise(cuts), xs, strict=True):
        text = vocab.normalise_chars(line.text[begin:end])
        if text:
            out.append(_Row(text=text, page=row.page, size=row.size, bold=row.bold, x0=x0,
                            top=row.top, ruled=row.ruled and not out,
                            text_x=row.text_x if not out else None))
    return out or [row]


def _rule_between(rules: list[tuple[float, float, float]], above: _Row, row: _Row) -> bool:
    """Whether a horizontal rule is printed between two rows, across the start of the lower."""
    return any(above.top < top <= row.top + LAYOUT.x_tolerance
               and x0 - LAYOUT.x_tolerance <= row.x0 <= x1 for top, x0, x1 in rules)


def _heads_ruled_list(row: _Row, following: _Row) -> bool:
    """Whether a bold row is the header of a list printed as a ruled table.

    Area SEND reports print "Areas for improvement" as a one-column table:
    the header row, then one bordered cell an item, rows barely apart.
    """
    return following.ruled and not following.bold and not following.cell \
        and vocab.heading_kind(row.text) in vocab.section_roles().lists


def _ruled_cells(rows: list[_Row], index: int, header: _Row, out: list[_Row]) -> int:
    """Append the cells of the ruled one-column table under ``header``; the index after it.

    A rule above a row starts a new cell; the rows down to the next rule are
    the cell's lines, its paragraphs and, after a lead-in ending in a colon,
    its bullets, joined in order. Across a page break the cell carries on when
    its sentence is unfinished or its bullets go on. The table ends at a bold
    row or at a row starting left of the header (body text at the margin).
    """
    cell: _Row | None = None
    led = False
    while index < len(rows):
        row = rows[index]
        if row.bold or row.cell or row.x0 < header.x0 - LAYOUT.x_tolerance:
            break
        marker, rest = common.split_marker(row.text)
        if cell is not None and not row.ruled and (
                row.page == cell.page or _carries_cell_on(cell, marker, led, row)):
            if marker is not None and not led and not cell.text.rstrip().endswith(":"):
                break  # bullets of their own after the cell: not part of the table
            led = led or marker is not None
            cell.text = common.join_wrapped(cell.text, rest)
            cell.page = row.page
        elif row.ruled or cell is None:
            if marker is not None:
                break
            cell = _Row(text=row.text, page=row.page, size=row.size, bold=False, x0=row.x0,
                        top=row.top, cell=True)
            out.append(cell)
            led = False
        else:
            break
        index += 1
    return index


def _carries_cell_on(cell: _Row, marker: str | None, led: bool, row: _Row) -> bool:
    """Whether the first row of a page carries on the cell the page before ended with."""
    if marker is not None:
        return led or cell.text.rstrip().endswith(":")
    return not common.ends_clause(cell.text) or _starts_lower(row)


def _drop_contents(rows: list[_Row], contents: re.Pattern[str]) -> list[_Row]:
    """Rows without contents pages: the contents heading and the entries that follow it."""
    out: list[_Row] = []
    texts: list[str] = []  # the rows' texts, listed at the first contents heading
    longest = LAYOUT.contents_heading_chars
    index = 0
    while index < len(rows):
        row = rows[index]
        if len(row.text) < longest and contents.match(vocab.heading_key(row.text)):
            texts = texts or [r.text for r in rows]
            index = common.skip_contents_entries(texts, index + 1)
            continue
        out.append(row)
        index += 1
    return out

