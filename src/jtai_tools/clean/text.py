"""The text pass: text and markdown extractions, which have no layout to go by.

Text comes in two styles, told apart per document: one paragraph a line
(converters, markdown) or wrapped at the page width (pdftotext). Wrapped text
also loses lines repeated in most page margins, gets back the hyphens
pdftotext drops at a wrap, and is re-joined by how full each line is.
"""

from __future__ import annotations

import re
from itertools import pairwise

from ..models import Block, Line, RawDocument
from ..vocab import (
    heading_key,
    heading_kind,
    is_list_sublabel,
    is_sublabel,
    normalise_chars,
    section_roles,
    table_title,
    vocabulary,
)
from .common import (
    FOOTNOTE_GLUE,
    LOWER_START,
    ends_clause,
    is_bare_marker,
    join_wrapped,
    layout,
    margin_key,
    running_keys,
    skip_contents_entries,
    split_marker,
)
from .markup import (
    MD_FOOTNOTE_TEXT,
    MD_HEADING,
    HtmlLists,
    html_rows_joined,
    pipe_cells,
    pipe_table,
    strip_markup,
)

LAYOUT = layout()
_WORDS = re.compile(r"\S+")

def _text_lines(raw: RawDocument) -> list[tuple[str, int, int]]:
    """(text, page, indent) of each non-blank line, mark-up removed, HTML blocks split.

    ``indent`` is the line's leading spaces, or ``-1`` for a markdown or HTML
    heading; an HTML list item gets a bullet, indented by its list's depth.
    """
    vocab = vocabulary()
    html = HtmlLists()
    out: list[tuple[str, int, int]] = []
    for raw_text, page in html_rows_joined(raw):
        if MD_FOOTNOTE_TEXT.match(raw_text):
            continue
        raw_text = raw_text.replace("\t", "    ")
        line_indent = len(raw_text) - len(raw_text.lstrip(" "))
        pieces = html.pieces(raw_text) if "<" in raw_text else [(raw_text, None)]
        for piece, html_indent in pieces:
            text = piece.strip()
            heading = html_indent == -1 or bool(MD_HEADING.match(text))
            text = normalise_chars(strip_markup(MD_HEADING.sub("", text)))
            if not text or vocab.furniture.match(text) or is_bare_marker(text):
                continue
            indent = -1 if heading else line_indent if html_indent is None else html_indent
            out.append((text, page, indent))
    return out



def _looks_like_heading(text: str, next_text: str | None) -> bool:
    """A short line with no sentence end, that the next line does not continue."""
    if heading_kind(text) is not None or is_sublabel(text):
        return True
    words = len(_WORDS.findall(text))
    if words > 14 or ends_clause(text) or text.endswith(","):
        return False
    if not (text[:1].isupper() or text[:1].isdigit()):
        return False
    return not (next_text is not None and LOWER_START.match(next_text))


#: Superscript digits: a line opening with one is a footnote's text.
_SUPERSCRIPT_DIGITS = "\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"


def _carries_on(block_text: str, text: str) -> bool:
    """Whether a line continues the unfinished sentence of the block above it."""
    return not ends_clause(block_text) \
        and bool(LOWER_START.match(text) or block_text.endswith(("-", ",", "–")))


def text_blocks(raw: RawDocument) -> list[Block]:
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
            index = skip_contents_entries(texts, index + 1)
            current = None
            continue
        if text.startswith("|"):
            title = table_title(" ".join(pipe_cells(text)))
            if title is not None:
                blocks.append(Block(kind="heading", text=title, page=page))
                index = pipe_table(lines, index + 1, blocks)
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
            current.text = join_wrapped(current.text, text)
            block_lines.append(text)
            continue
        block_lines = [text]
        if indent < 0 or (_looks_like_heading(text, next_text)
                          and not (width and _is_wrapped_line(text, width))):
            current = Block(kind="heading", text=FOOTNOTE_GLUE.sub("", text).strip(), page=page)
        else:
            current = Block(kind="paragraph", text=text, page=page)
        blocks.append(current)
    if wrapped:
        _demote_group_labels(blocks)
    return blocks


# --------------------------------------------------------------------------
# Wrapped text (pdftotext and the like)


def is_wrapped_text(raw: RawDocument) -> bool:
    """Whether a text extraction is wrapped at the page width (pdftotext) or has a line a paragraph.

    In wrapped text most lines stop mid-sentence and the next line carries
    on in lower case; in one-paragraph-per-line text only headings stop
    without a sentence end, and a lower-case line after one is rare.
    """
    texts = [line.text.strip() for page in raw.pages for line in page]
    measured = carried = 0
    for above, below in pairwise(texts):
        if len(above) < LAYOUT.measured_chars:
            continue
        measured += 1
        if not ends_clause(above) and below[:1].islower():
            carried += 1
    return measured > 0 and carried / measured > LAYOUT.wrapped_share


def _is_running_candidate(text: str) -> bool:
    """Whether a line may be a running header or footer (list labels and headings may not)."""
    stripped = text.strip()
    if is_bare_marker(stripped) or split_marker(stripped + " x")[0] is not None:
        return False
    return heading_kind(stripped) is None


def _without_running_lines(raw: RawDocument) -> RawDocument:
    """The document without running headers and footers: lines repeated in most page margins.

    A text extraction keeps the page's margin lines where they were printed:
    the first and last few lines of each page. A line found there on several
    pages (digits aside, so page numbers and dates may change) is furniture.
    """
    def margins(page: list[Line]) -> list[Line]:
        return page[:LAYOUT.margin_lines] + page[-LAYOUT.margin_lines:]

    repeated = running_keys([margin_key(line.text) for line in margins(page)
                             if _is_running_candidate(line.text)] for page in raw.pages)
    if not repeated:
        return raw
    kept: list[list[Line]] = []
    for page in raw.pages:
        edge = {id(line) for line in margins(page)}
        kept.append([line for line in page
                     if id(line) not in edge or margin_key(line.text) not in repeated
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
    limit = width * LAYOUT.merged_line
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
    lengths = sorted(len(text) for text in texts if len(text) >= LAYOUT.measured_chars)
    if not lengths:
        return 0
    return lengths[int(len(lengths) * LAYOUT.full_line_percentile)]


def _is_wrapped_line(text: str, width: int) -> bool:
    """A line of unknown words as long as the page is wide: the first line of a paragraph.

    Headings are short; a line that fills the width without a sentence end
    wrapped at the margin, however heading-like its words.
    """
    return len(text) >= width * LAYOUT.wrap_full and heading_kind(text) is None \
        and not is_sublabel(text)


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
    if LOWER_START.match(text):
        return True
    if heading_kind(text) is not None:
        return False
    above = block_lines[-1]
    if len(block_lines) > 1:
        widest = max((len(line) for line in block_lines if len(line) <= width * LAYOUT.merged_line),
                     default=0)
        width = widest or width
    room = (len(above) + 1 + len(text.split(" ", 1)[0])) / width
    if not ends_clause(above):
        return room >= LAYOUT.wrap_full
    return room >= LAYOUT.wrap_full_sentence and not _looks_like_heading(text, next_text)


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
        if open_list and kind not in section_roles().lists and number is not None:
            if not listed:
                block.kind, grouped = "paragraph", True
                continue
            if grouped and kind is None and last_number is not None \
                    and int(number.group()) == last_number + 1:
                block.kind = "paragraph"
                continue
        open_list = False
