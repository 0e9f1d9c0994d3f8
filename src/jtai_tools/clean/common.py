"""What both passes of the clean stage share: layout thresholds, list markers, joins, contents,
running lines."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..vocab import data_record, vocabulary


@dataclass(frozen=True, slots=True)
class Layout:
    """The clean stage's layout thresholds (``data/layout.toml``); see that file for each."""

    default_height: float
    top_margin_share: float
    bottom_margin_share: float
    running_min_pages: int
    running_short_document: int
    running_share: float
    default_body_size: float
    footnote_size_share: float
    footnote_continue_drop: float
    pitch_max_factor: float
    pitch_min_lines: int
    heading_size_gain: float
    heading_max_words: int
    sub_item_indent: float
    sub_bullet_indent: float
    x_tolerance: float
    paragraph_gap_factor: float
    column_gap_factor: float
    pitch_slack: float
    span_pitch_factor: float
    size_change: float
    small_print_drop: float
    wrap_left_slack: float
    hanging_indent: float
    list_margin_slack: float
    heading_size_slack: float
    heading_wrap_factor: float
    table_column_offset: float
    table_size_slack: float
    table_left_width: float
    char_width_share: float
    contents_heading_chars: int
    wrapped_share: float
    measured_chars: int
    margin_lines: int
    wrap_full: float
    wrap_full_sentence: float
    merged_line: float
    full_line_percentile: float


@lru_cache(maxsize=1)
def layout() -> Layout:
    """The layout thresholds, loaded once per process; every key named by :class:`Layout`."""
    return data_record(Layout, "layout.toml")


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


def is_bare_marker(text: str) -> bool:
    """A line with nothing but a bullet: an empty list item, printed by mistake."""
    return len(text) <= 3 and not any(ch.isalnum() for ch in text) \
        and split_marker(text + " x")[0] is not None


def is_bullet(marker: str | None) -> bool:
    """Whether a marker is a bullet (no letters or digits), not a number or letter label."""
    return marker is not None and not any(ch.isalnum() for ch in marker.strip("()"))


#: What a line ending a sentence (or a clause a list completes) ends with.
_TERMINAL_CHARS = frozenset(".!?:;)]\"'\u2019\u201d")
LOWER_START = re.compile(r"^[a-z(\u2018'\"]")
FOOTNOTE_GLUE = re.compile(r"(?<=[a-z)])\d{1,2}$")
PAGE_REF = re.compile(r"(?:\s|\.{2,}\s*)\d{1,3}$")
_DIGITS = re.compile(r"\d+")
#: Longest wrapped first line of a contents entry (characters).
_CONTENTS_ENTRY_CHARS = 100


def ends_clause(text: str) -> bool:
    """Whether ``text`` ends a sentence, or a clause a list completes (trailing spaces aside).

    Only the end is looked at: the text is often a paragraph that grows line
    by line, which a pattern search would scan from its start for every line.
    """
    stripped = text.rstrip()
    return bool(stripped) and stripped[-1] in _TERMINAL_CHARS


def join_wrapped(left: str, right: str) -> str:
    """Two wrapped pieces of one sentence; a hyphen at the wrap is a printed hyphen."""
    if not left:
        return right
    if left.endswith(("-", "/")) and not left.endswith(" -") and right[:1].isalnum():
        return left + right
    return f"{left} {right}"


def skip_contents_entries(texts: list[str], index: int) -> int:
    """The index after a run of contents entries (lines ending in a page number).

    An entry may wrap: one line without a page number is allowed when the next
    line ends with one.
    """
    while index < len(texts):
        if PAGE_REF.search(texts[index]):
            index += 1
        elif index + 1 < len(texts) and PAGE_REF.search(texts[index + 1]) \
                and len(texts[index]) < _CONTENTS_ENTRY_CHARS:
            index += 2
        else:
            break
    return index


def margin_key(text: str) -> str:
    """A margin line as compared between pages: digits (page numbers, dates) do not count."""
    return _DIGITS.sub("#", " ".join(text.split()).lower())


def running_keys(pages: Iterable[Iterable[str]]) -> set[str]:
    """The running headers and footers: margin keys repeated on enough pages.

    ``pages`` holds the margin keys of each page. A key seen on at least
    ``running_min_pages`` pages (or, in a document longer than
    ``running_short_document`` pages, on ``running_share`` of them) is page
    furniture, whatever the page number or date it carries.
    """
    seen: Counter[str] = Counter()
    count = 0
    for keys in pages:
        seen.update(set(keys))
        count += 1
    limits = layout()
    need = limits.running_min_pages if count <= limits.running_short_document \
        else max(limits.running_min_pages, int(count * limits.running_share))
    return {key for key, times in seen.items() if times >= need}
