"""Sections stage: blocks in, the report's sections and findings out.

A heading the vocabulary knows (``data/headings.toml``) opens a section of its
kind; any other heading opens an ``other`` section; sub-labels ("Summary",
"Previous Ofsted inspections", ...) and group labels inside a list ("Priority
and immediate action") open nothing, so a list is never cut in two.

In list sections (improve, strengths, recommendations) the printed list is
rebuilt the way a reader sees it:

- bullets or numbers are the items; a lead-in paragraph before them ("The
  local authority needs to take action in:") stays a paragraph;
- a sub-bullet belongs to the item above it and is joined into it;
- when the list is a run of paragraphs, each followed by its own bullets (area
  SEND "Areas for improvement"), or the bullets are pieces of one sentence
  (ending in ";" or "; and"), each paragraph and its bullets form one item;
- a list of plain paragraphs is a list of items.

Findings are one per item of a list section and one per sentence of the
narrative sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .clean import is_bullet
from .models import Block, Finding, Section
from .vocab import (
    heading_key,
    heading_kind,
    is_back_matter,
    is_grade,
    is_list_sublabel,
    is_not_item,
    is_sublabel,
    section_roles,
    strip_grade,
    vocabulary,
)

_CLAUSE_END = re.compile(r"(?:;|;\s*(?:and|or)|,\s*(?:and|or))\s*$")


@dataclass(slots=True)
class _Open:
    """A section being filled: its blocks wait until the section closes."""

    section: Section
    blocks: list[Block]


#: Share of a document's blocks after which sign-off and back-page lines count
#: as its closing matter (they are never at the front of a report).
BACK_MATTER_FROM = 0.6

_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?][\"'\u2019\u201d)]*$")


def split_sections(blocks: list[Block]) -> list[Section]:
    """The report's main sections in document order."""
    vocab = vocabulary()
    sections: list[Section] = []
    first_page = blocks[0].page if blocks else None
    open_ = _Open(Section(kind="other", heading="", page=first_page), [])
    closing = False
    closing_from = int(len(blocks) * BACK_MATTER_FROM)
    for index, block in enumerate(blocks):
        if not closing and index >= closing_from and block.kind != "item" \
                and is_back_matter(block.text):
            _close(open_, sections)
            open_ = _Open(Section(kind="other", heading="", page=block.page), [])
            closing = True
        if closing:
            if block.kind != "heading" or heading_kind(block.text) is None:
                open_.blocks.append(Block(kind="paragraph", text=block.text, page=block.page))
                continue
            closing = False  # a known section after the sign-off: the report goes on
        if open_.section.kind == "judgements" and block.kind != "heading" \
                and _is_prose(block.text):
            open_ = _after_judgements(open_, sections, block.page)
        if block.kind == "heading":
            if not open_.blocks and open_.section.heading and (
                    _same_heading(block.text, open_.section.heading) or is_grade(block.text)):
                continue  # a table header repeating the heading, or a wrapped heading's grade
            in_list = open_.section.kind in section_roles().lists
            if is_sublabel(block.text) and not in_list:
                continue
            if open_.section.kind in vocab.list_sublabel_kinds and is_list_sublabel(block.text):
                open_.blocks.append(block)  # a group label of the open list
                continue
            _close(open_, sections)
            kind = heading_kind(block.text) or "other"
            open_ = _Open(Section(kind=kind, heading=block.text, page=block.page), [])
            continue
        open_.blocks.append(block)
    _close(open_, sections)
    return sections


def _same_heading(left: str, right: str) -> bool:
    """Whether two headings read the same, whatever their case, quotes and final stop."""
    return heading_key(left).lower() == heading_key(right).lower()


def _is_prose(text: str) -> bool:
    """A paragraph of sentences, not a row of a judgement table."""
    words = len(_WORD.findall(text))
    return words >= 30 or (words >= 12 and bool(_SENTENCE_END.search(text)))


def _after_judgements(table: _Open, sections: list[Section], page: int) -> _Open:
    """Close a judgement table at the first paragraph of prose; the section that prose opens.

    A table with a single judgement (SIF chapters: "Key judgement | Judgement
    grade" over one row) heads that judgement's findings, which take the
    row's label as their heading (an empty section printed with the same
    heading just above the table gives way to it). A table of several
    judgements is a report's cover: the summary printed under it, without a
    heading of its own, is the report's headline.
    """
    _close(table, sections)
    labels = [strip_grade(b.text) for b in table.blocks if b.kind != "heading"]
    chapters = [label for label in labels if heading_kind(label) == "main-findings"]
    if len(chapters) == 1:
        if len(sections) >= 2 and not sections[-2].paragraphs and not sections[-2].items \
                and _same_heading(sections[-2].heading, chapters[0]):
            page = sections[-2].page or page
            del sections[-2]
        return _Open(Section(kind="main-findings", heading=chapters[0], page=page), [])
    return _Open(Section(kind="headline", heading="", page=page), [])


def _close(open_: _Open, sections: list[Section]) -> None:
    """File the open section's blocks as paragraphs and items; an empty untitled one is dropped."""
    section = open_.section
    if not section.heading and not open_.blocks:
        return
    if section.kind in section_roles().lists:
        section.paragraphs, section.items, groups = _list_content(open_.blocks)
        if any(groups):
            section.groups = groups
    else:
        section.paragraphs = _narrative_content(open_.blocks)
    sections.append(section)


def _narrative_content(blocks: list[Block]) -> list[str]:
    """Paragraphs of a narrative section; a sub-bullet joins the bullet above it."""
    paragraphs: list[str] = []
    previous: Block | None = None
    for block in blocks:
        if block.kind == "item" and block.level > 0 and previous is not None \
                and previous.kind == "item" and paragraphs:
            paragraphs[-1] = f"{paragraphs[-1]} {block.text}"
        else:
            paragraphs.append(block.text)
            previous = block
    return paragraphs


def _list_content(blocks: list[Block]) -> tuple[list[str], list[str], list[str | None]]:
    """(lead-in paragraphs, items, each item's group label) of a list section.

    A list may be grouped under sub-headings: a list sub-label the vocabulary
    knows ("Priority and immediate action") or a short label printed as a
    line of its own before the items it heads ("Quality of practice"). The
    label is the items' group, never part of their text. A sentence saying
    the list is empty is no item.
    """
    blocks = [b for b in blocks if not is_not_item(b.text)]
    groups: list[str | None] = []
    labels: dict[int, str] = {}  # block index -> the group it opens
    for index, block in enumerate(blocks):
        if _is_group_label(blocks, index):
            labels[index] = _label_text(block.text)
    content = [b for index, b in enumerate(blocks) if index not in labels]
    owner = _group_of_each(blocks, labels)
    if _paragraph_groups(content):
        grouped, firsts = _grouped_items(content)
        return [], grouped, [owner[id(content[i])] for i in firsts]
    paragraphs: list[str] = []
    items: list[str] = []
    has_items = any(b.kind == "item" for b in content)
    lead: Block | None = None  # the latest item ending in a colon: its sub-points may follow
    previous: Block | None = None
    for block in content:
        # sub-points continue the item just before them: not across a paragraph or
        # a sub-heading printed between the two
        follows_item = previous is not None and previous.kind == "item" \
            and bool(groups) and groups[-1] == owner[id(block)]
        previous = block
        if block.kind == "item":
            if items and follows_item and (
                    block.level > 0 or (lead is not None and _completes(lead, block))):
                items[-1] = f"{items[-1]} {block.text}"
            else:
                items.append(block.text)
                groups.append(owner[id(block)])
                lead = block if block.text.endswith(":") else None
        elif has_items or block.text.endswith(":"):
            paragraphs.append(block.text)
        else:
            items.append(block.text)
            groups.append(owner[id(block)])
    return paragraphs, items, groups


#: Most words in a group label printed as a line of its own inside a list.
GROUP_LABEL_WORDS = 16


def _is_group_label(blocks: list[Block], index: int) -> bool:
    """Whether a block labels the list items after it, as a sub-heading.

    A heading inside a list is one (the sections stage keeps only list
    sub-labels there); so is a short paragraph with no sentence mark, in
    capitals first, followed by a list item.
    """
    block = blocks[index]
    if block.kind == "heading":
        return True
    if block.kind != "paragraph" or index + 1 >= len(blocks) \
            or blocks[index + 1].kind != "item":
        return False
    text = block.text
    return (text[:1].isupper() and not _SENTENCE_MARK.search(text[-1:])
            and not text.endswith(",") and _at_most_words(text, GROUP_LABEL_WORDS))


def _at_most_words(text: str, most: int) -> bool:
    """Whether the text has at most ``most`` words; splits no further than it needs to."""
    return len(text.split(None, most)) <= most


def _label_text(text: str) -> str:
    """A group label as printed, without the space a PDF leaves after it."""
    return " ".join(text.split())


def _group_of_each(blocks: list[Block], labels: dict[int, str]) -> dict[int, str | None]:
    """For each block (by id), the group label above it, or ``None`` before the first."""
    current: str | None = None
    owner: dict[int, str | None] = {}
    for index, block in enumerate(blocks):
        if index in labels:
            current = labels[index]
        else:
            owner[id(block)] = current
    return owner


def _completes(lead: Block, block: Block) -> bool:
    """Whether an item printed at the lead-in's own level is one of the lead-in's points.

    Text extractions lose the indent of sub-bullets, so a point is known by a
    marker of another kind than the lead-in's (bullets under "1.") or by a
    lower-case start (the lead-in's sentence going on).
    """
    return _marker_kind(block.marker) != _marker_kind(lead.marker) \
        or bool(_LOWER_START.match(block.text))


def _marker_kind(marker: str | None) -> str:
    """The kind of label that opened an item: "bullet", "number" or "letter"."""
    if marker is None or is_bullet(marker):
        return "bullet"
    return "number" if marker.strip("(")[:1].isdigit() else "letter"


_LOWER_START = re.compile(r"[a-z]")


def _paragraph_groups(blocks: list[Block]) -> bool:
    """Whether the list is paragraphs each followed by bullets that complete it."""
    led = 0
    for index, block in enumerate(blocks[:-1]):
        if block.kind == "paragraph" and blocks[index + 1].kind == "item":
            led += 1
            if _marker_kind(blocks[index + 1].marker) == "number":
                return False
    if led == 0:
        return False
    if led >= 2:
        return True
    return any(b.kind == "item" and _CLAUSE_END.search(b.text) for b in blocks)


def _grouped_items(blocks: list[Block]) -> tuple[list[str], list[int]]:
    """Items of a list of paragraphs each completed by its bullets: one item per paragraph.

    Also the index of each item's first block.
    """
    items: list[str] = []
    firsts: list[int] = []
    for index, block in enumerate(blocks):
        if block.kind == "paragraph" or not items:
            items.append(block.text)
            firsts.append(index)
        else:
            items[-1] = f"{items[-1]} {block.text}"
    return items, firsts


# --------------------------------------------------------------------------
# Findings


def build_findings(sections: list[Section]) -> list[Finding]:
    """One finding per list item and one per sentence of each narrative section."""
    findings: list[Finding] = []
    roles = section_roles()
    for section in sections:
        if section.kind in roles.lists:
            texts = section.items
        elif section.kind in roles.narrative:
            texts = _attach_notes([s for paragraph in section.paragraphs
                                   if not _is_label(paragraph)
                                   for s in split_sentences(paragraph)])
        else:
            continue
        for text in texts:
            findings.append(Finding(section_kind=section.kind, section_heading=section.heading,
                                    text=text, index=len(findings)))
    return findings


_BOUNDARY = re.compile(r"[.!?][\"'\u2019\u201d)\]]*\s+(?=[\"'\u2018\u201c(\[]?[A-Z0-9£])")


def _last_word(text: str, start: int, end: int) -> str:
    """The run of non-space characters ending at ``end`` (not before ``start``).

    ``rsplit`` from the right reads only that word, where a ``\\S+$`` search
    would try every word of the sentence before it.
    """
    return text[start:end].rsplit(None, 1)[-1]


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph, rule-based.

    A full stop, question or exclamation mark followed by a space and a
    capital (or digit) ends a sentence, except after an abbreviation of the
    vocabulary ("e.g.", "No.", "Dr.") or an initial ("J. Smith"). Decimals
    never have a space after the point, so "48.5" is safe.
    """
    abbreviations = vocabulary().abbreviations
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if text[match.start()] == ".":
            token = _last_word(text, start, match.start() + 1)
            token = token.rstrip(".").lstrip("(\"'\u2018\u201c").lower()
            if token in abbreviations or (len(token) == 1 and token.isalpha()):
                continue
        sentence = text[start:match.end()].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return _attach_notes(sentences)


_NOTE = re.compile(r"\([^()]{1,40}\)\.?")


def _attach_notes(sentences: list[str]) -> list[str]:
    """A bracketed note after a sentence ("... is poor. (Recommendation)") stays with it."""
    out: list[str] = []
    for sentence in sentences:
        if out and _NOTE.fullmatch(sentence):
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
    return out


#: Most words in a group label printed as a line of its own inside narrative text.
LABEL_WORDS = 8


def _is_label(paragraph: str) -> bool:
    """A short line without a sentence end ("Quality of practice"): a label, not a finding."""
    return (paragraph[:1].isupper() and not _SENTENCE_MARK.search(paragraph)
            and _at_most_words(paragraph, LABEL_WORDS))


_SENTENCE_MARK = re.compile(r"[.!?:;]")
