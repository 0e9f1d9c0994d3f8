"""Metadata stage: who, what and when a report is about.

The metadata is read from the report's own words, never from its file name:
the title or subject line gives the inspection type and the area, the cover
gives the dates and the judgement table, the opening paragraph gives the
inspectorates and (for JTAI letters) the inspection focus.

Reading works on the raw lines of the document rather than on the cleaned
blocks and sections, because the cover table, the subject line and the
address block are exactly what the later stages throw away. Section headings
are only a second source for judgements printed as headings
("... help and protection: good").

All vocabulary lives in data files: ``data/report_types.toml`` (title
signatures, date and inspectorate phrases, judgement labels) and
``data/areas.csv`` (the English local authorities with children's services
and the names reports give them). Everything is compiled once per process,
so reading one report's metadata costs a few regular-expression searches.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import Any

from .clean import strip_markup
from .models import Area, Block, Fieldwork, Metadata, RawDocument, Section
from .vocab import data_text, plain, read_toml

#: Month names and the abbreviations reports use, to month numbers.
MONTHS: dict[str, int] = {
    "january": 1, "jan": 1,
    "february": 2, "feb": 2,
    "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "may": 5,
    "june": 6, "jun": 6,
    "july": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip

_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_SEP = r"\s*(?:to|and|until|[-\u2010\u2011\u2012\u2013\u2014\u2212])\s*"
_DATE_TEXT = rf"(?P<d>{_DAY})\s+(?P<m>{_MONTH})\s*,?\s+(?P<y>{_YEAR})"
_DATE_RE = re.compile(rf"\b{_DATE_TEXT}\b", re.IGNORECASE)
_RANGE_RE = re.compile(
    rf"\b(?P<d1>{_DAY})(?:\s+(?P<m1>{_MONTH}))?(?:\s*,\s*{_DAY}\b(?:\s+{_MONTH})?)*(?:\s*,?\s+(?P<y1>{_YEAR}))?{_SEP}"
    rf"(?P<d2>{_DAY})\s+(?P<m2>{_MONTH})\s*,?\s+(?P<y2>{_YEAR})\b"
    rf"|\b{_DATE_TEXT}\b",
    re.IGNORECASE,
)
_LETTER_DATE_RE = re.compile(rf"^(?:Date:?\s*)?{_DATE_TEXT}\s*$", re.IGNORECASE)
_HEADING_MARK_RE = re.compile(r"^[ \t]*#+[ \t]*", re.MULTILINE)
#: How many lines at the top of the first page may hold a letter's date.
_FIRST_LINES = 60
_SOFT_BREAK_RE = re.compile("\ufffe\\s*")
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"[A-Za-z0-9]+|&")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_PAREN_RE = re.compile(r"\s*\([^()]*\)")


# ---------------------------------------------------------------------------
# Data files


class _Pattern:
    """A pattern of the data file: :meth:`search` finds what ``re.Pattern.search`` finds.

    Python's engine skips to a pattern's literal prefix with a fast scan, but
    not when the prefix is matched regardless of case (``(?i)Dates? of``), nor
    when the pattern opens with a word boundary (``\\bCQC\\b``): every position
    of the text is tried instead, some twenty times slower over a report's
    opening. Such a pattern is matched whole only where a part of every match
    is found by a fast search: the lower-case literal it opens with, in the
    text in lower case (:func:`_opening_literals`), or else the pattern
    without its leading ``\\b``. A match at a position reads the text before
    it, so the first match found is the same.
    """

    __slots__ = ("_openings", "_rest", "pattern")

    def __init__(self, source: str) -> None:
        self.pattern = re.compile(source)
        self._openings = _opening_literals(self.pattern)
        rest = _after_leading_boundary(source)
        self._rest = re.compile(rest) if rest is not None and not self._openings else None

    def search(self, text: str) -> re.Match[str] | None:
        """The first match in ``text``, or ``None``."""
        if self._openings and (lowered := _lower_case(text)) is not None:
            return self._search_lowered(text, lowered)
        if self._rest is None:
            return self.pattern.search(text)
        start = 0
        while (candidate := self._rest.search(text, start)) is not None:
            found = self.pattern.match(text, candidate.start())
            if found is not None:
                return found
            start = candidate.start() + 1
        return None

    def _search_lowered(self, text: str, lowered: str) -> re.Match[str] | None:
        """The first match, tried only where ``lowered`` holds an opening literal, earliest
        first."""
        match = self.pattern.match
        found_at = [lowered.find(opening) for opening in self._openings]
        while (candidates := [at for at in found_at if at >= 0]):
            start = min(candidates)
            found = match(text, start)
            if found is not None:
                return found
            found_at = [lowered.find(opening, start + 1) if at == start else at
                        for opening, at in zip(self._openings, found_at, strict=True)]
        return None


#: The shortest opening literal worth searching for on its own.
_MIN_OPENING = 3


def _opening_literals(pattern: re.Pattern[str]) -> tuple[str, ...]:
    """ASCII texts one of which opens every match of ``pattern``, in lower case, when some of
    one is matched regardless of case; else none.

    Read from the parsed pattern (:mod:`re`'s own parser: a pattern read by
    hand would need a parser of its own to tell "(?:The|The effectiveness)"
    from a literal), after any zero-width assertion it opens with. A literal
    ends at the first quantifier, class or character beyond ASCII; an
    alternative gives one literal for each of its branches.
    """
    try:
        from re import _constants, _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except (ImportError, AttributeError, re.error):  # another Python's internals
        return ()
    literal, alternatives = _constants.LITERAL, _constants.BRANCH
    openings: list[str] = []
    caseless = False

    def walk(items: Iterable[tuple[Any, Any]], chars: list[str], ignoring: bool) -> bool:
        """Add the literal ``items`` open with to ``chars``; False where it ends."""
        nonlocal caseless
        for op, arg in items:
            if op is literal and arg < 128:
                chars.append(chr(arg).lower())
                caseless = caseless or ignoring
            elif op is _constants.AT and not chars:
                continue
            elif op is _constants.SUBPATTERN:
                _, add_flags, del_flags, inner = arg
                inner_ignoring = bool(add_flags & re.IGNORECASE) or (
                    ignoring and not del_flags & re.IGNORECASE)
                if not walk(inner, chars, inner_ignoring):
                    return False
            elif op is alternatives:
                for branch in arg[1]:
                    branch_chars = list(chars)
                    walk(branch, branch_chars, ignoring)
                    openings.append("".join(branch_chars))
                chars.clear()
                return False
            else:
                return False
        return True

    chars: list[str] = []
    walk(parsed, chars, bool(parsed.state.flags & re.IGNORECASE))
    if chars:
        openings.append("".join(chars))
    if not caseless or not openings or min(map(len, openings)) < _MIN_OPENING:
        return ()
    return tuple(openings)


#: Characters that match an ASCII letter regardless of case but are not it in lower
#: case ("ı", "ſ"; "İ" lower-cases to two characters, which the length test finds).
_CASELESS_OUTLIERS = ("\u0131", "\u017f")
_lowered: tuple[str, str | None] = ("", "")


def _lower_case(text: str) -> str | None:
    """``text`` in lower case, character for character, or ``None`` when it holds a character
    whose lower case is not the letter it matches regardless of case.

    The last text is remembered: every pattern searches the same opening text.
    """
    global _lowered
    last, lowered = _lowered
    if last is text:
        return lowered
    lowered = text.lower()
    if len(lowered) != len(text) or any(c in text for c in _CASELESS_OUTLIERS):
        lowered = None
    _lowered = (text, lowered)
    return lowered


def _after_leading_boundary(source: str) -> str | None:
    """The pattern without the ``\\b`` it opens with (after its flags), else ``None``.

    Not when a quantifier or an alternative follows the ``\\b``: the rest
    would not be a pattern, or would match everywhere.
    """
    flags = re.match(r"\(\?[a-z]+\)", source)
    head = flags.group() if flags else ""
    rest = source[len(head) + 2:]
    if source.startswith("\\b", len(head)) and rest[:1] not in ("*", "+", "?", "{", "|", ""):
        return head + rest
    return None


@dataclass(frozen=True, slots=True)
class _TypeSignature:
    """How one inspection type is recognised: its titles, else its signature phrases."""

    type: str
    titles: tuple[_Pattern, ...]
    phrases: tuple[_Pattern, ...]


@dataclass(frozen=True, slots=True)
class _Label:
    """A graded judgement: the key it is stored under and the label printed before the grade."""

    key: str
    label: _Pattern
    head_only: bool


@dataclass(frozen=True, slots=True)
class _Config:
    """``data/report_types.toml``, compiled."""

    head_chars: int
    types: tuple[_TypeSignature, ...]
    not_inspection: tuple[tuple[_Pattern, str], ...]
    drop_suffixes: tuple[str, ...]
    lookup_prefixes: tuple[str, ...]
    lookup_suffixes: tuple[str, ...]
    published: tuple[_Pattern, ...]
    letter_date_lines: int
    fieldwork: tuple[_Pattern, ...]
    fieldwork_window: int
    closing: tuple[str, ...]
    closing_lines: int
    involvement: tuple[_Pattern, ...]
    bodies: tuple[tuple[str, tuple[_Pattern, ...]], ...]
    focus_patterns: tuple[_Pattern, ...]
    focus_drop_prefixes: tuple[str, ...]
    grades: dict[str, str]
    labels: dict[str, tuple[_Label, ...]]
    outcomes: dict[str, tuple[tuple[_Pattern, str], ...]]
    lead_inspector: tuple[_Pattern, ...]
    copyright: re.Pattern[str]


def _compile_all(patterns: list[str]) -> tuple[_Pattern, ...]:
    """The patterns compiled as written (they carry their own flags)."""
    return tuple(_Pattern(p) for p in patterns)


@lru_cache(maxsize=1)
def _config() -> _Config:
    """The compiled contents of ``data/report_types.toml`` (read once per process)."""
    data = read_toml("report_types.toml")
    judgements = data["judgements"]
    labels = {
        kind: tuple(
            _Label(
                key=row["key"],
                label=_Pattern(f"(?:{row['label']}){judgements['grade']}"),
                head_only=bool(row.get("head_only", False)),
            )
            for row in rows
        )
        for kind, rows in judgements["labels"].items()
    }
    outcomes = {
        kind: tuple((_Pattern(row["pattern"]), row["outcome"]) for row in rows)
        for kind, rows in judgements["outcomes"].items()
    }
    lead = data["lead_inspector"]
    return _Config(
        copyright=re.compile(data["copyright"]["pattern"]),
        lead_inspector=tuple(
            _Pattern(p.replace("{name}", lead["name"]).replace("{wrapped_name}",
                                                                 lead["wrapped_name"]))
            for p in lead["patterns"]),
        head_chars=int(data["head_chars"]),
        types=tuple(
            _TypeSignature(
                row["type"],
                _compile_all(row.get("titles", [])),
                _compile_all(row.get("phrases", [])),
            )
            for row in data["types"]
        ),
        not_inspection=tuple(
            (_Pattern(row["pattern"]), row["reason"]) for row in data["not_inspection"]
        ),
        drop_suffixes=tuple(data["names"]["drop_suffixes"]),
        lookup_prefixes=tuple(data["names"]["lookup_prefixes"]),
        lookup_suffixes=tuple(data["names"]["lookup_suffixes"]),
        published=_compile_all(data["dates"]["published"]),
        letter_date_lines=int(data["dates"]["letter_date_lines"]),
        fieldwork=_compile_all(data["dates"]["fieldwork"]),
        fieldwork_window=int(data["dates"]["fieldwork_window"]),
        closing=tuple(data["inspectorates"]["closing"]),
        closing_lines=int(data["inspectorates"]["closing_lines"]),
        involvement=_compile_all(data["inspectorates"]["involvement"]),
        bodies=tuple(
            (row["name"], _compile_all(row["patterns"])) for row in data["inspectorates"]["bodies"]
        ),
        focus_patterns=_compile_all(data["jtai_focus"]["patterns"]),
        focus_drop_prefixes=tuple(data["jtai_focus"]["drop_prefixes"]),
        grades={printed.lower(): grade for printed, grade in judgements["grades"].items()},
        labels=labels,
        outcomes=outcomes,
    )


@dataclass(frozen=True, slots=True)
class _Areas:
    """``data/areas.csv`` as the lookups that name matching needs."""

    names: tuple[str, ...]
    lookup: dict[str, str]  # normalised name or alias -> short name
    aliases: dict[str, tuple[str, ...]]  # short name -> formal names, longest first
    first_words: frozenset[str]  # first words of every name and alias (lower case)
    longest: int  # most words in a name or alias


def _name_key(text: str) -> str:
    """A spelling-proof key for an area name: lower case, '&' as 'and', no punctuation."""
    text = plain(text).lower().replace("&", " and ")
    text = re.sub(r"[.,'\-]", " ", text)
    return _SPACE_RE.sub(" ", text).strip()


def _alias_regex(name: str) -> str:
    """A pattern for a name as running text may print it ('and'/'&', hyphen/space)."""
    words = re.split(r"[\s\-]+", name.replace("&", " and "))
    parts = [r"(?:and|&)" if w.lower() == "and" else re.escape(w) for w in words if w]
    return r"[\s\-]+".join(parts)


@lru_cache(maxsize=1)
def _areas() -> _Areas:
    """``data/areas.csv`` as lookup tables (read once per process)."""
    text = data_text("areas.csv")
    rows = list(csv.DictReader(text.splitlines()))
    lookup: dict[str, str] = {}
    aliases: dict[str, tuple[str, ...]] = {}
    for row in rows:
        name = row["name"].strip()
        formal = [a.strip() for a in row["aliases"].split("|") if a.strip()]
        aliases[name] = tuple(sorted(formal, key=lambda a: (-len(a), a)))
        for form in (name, *formal):
            lookup.setdefault(_name_key(form), name)
    return _Areas(
        names=tuple(sorted(aliases)),
        lookup=lookup,
        aliases=aliases,
        first_words=frozenset(key.split()[0] for key in lookup),
        longest=max(len(key.split()) for key in lookup),
    )


def known_areas() -> list[str]:
    """Short names of all local authorities in ``data/areas.csv``, sorted."""
    return list(_areas().names)


def area_aliases(name: str) -> list[str]:
    """The formal names and aliases reports use for an area (empty when unknown)."""
    return list(_areas().aliases.get(name, ()))


def resolve_area(text: str) -> str | None:
    """The short area name for a formal name or alias, e.g. 'Royal Borough of Greenwich'.

    Prefixes such as 'London Borough of' and suffixes such as 'County Council'
    or 'Local Area Partnership' are peeled off until a known name is left.
    Returns ``None`` when the text names no known area.
    """
    if not text or not text.strip():
        return None
    areas = _areas()
    config = _config()
    key = _name_key(text)
    prefixes = tuple(_name_key(p) + " " for p in config.lookup_prefixes)
    suffixes = tuple(" " + _name_key(s) for s in config.lookup_suffixes)
    seen: set[str] = set()
    todo = [key]
    while todo:
        current = todo.pop(0)
        if not current or current in seen:
            continue
        seen.add(current)
        if current in areas.lookup:
            return areas.lookup[current]
        todo.extend(current[len(p) :] for p in prefixes if current.startswith(p))
        todo.extend(current[: -len(s)] for s in suffixes if current.endswith(s))
    return None


# ---------------------------------------------------------------------------
# Text


class _Text:
    """The document's words in the forms the readers below need.

    ``head`` (the opening text, normalised) is built at once; ``full`` (the
    whole document) and ``first_lines`` only when a reader needs them, as few do.
    """

    def __init__(self, raw: RawDocument, head_chars: int) -> None:
        self._raw = raw
        lines: list[str] = []
        size = 0
        for page in raw.pages:
            for line in page:
                if _PAGE_NUMBER_RE.match(line.text):
                    continue
                lines.append(line.text)
                size += len(line.text) + 1
                if size >= head_chars * 2:
                    break
            else:
                continue
            break
        self.head = _dates_spelled(_join(lines))[:head_chars]
        self._head_lines = lines

    @cached_property
    def first_lines(self) -> list[str]:
        """The lines at the top of the first page, plain (where a letter prints its date)."""
        first_page = self._raw.pages[0] if self._raw.pages else []
        return [_plain_line(line.text) for line in first_page[:_FIRST_LINES]]

    @property
    def head_lines(self) -> list[str]:
        """The lines of the opening text one by one, normalised (running headers among them)."""
        return [_normalise(line) for line in self._head_lines]

    @cached_property
    def lines(self) -> list[str]:
        """Every line of the document as printed, for the readers that look beyond the opening."""
        return [line.text for page in self._raw.pages for line in page]

    @cached_property
    def _every(self) -> str:
        """:attr:`lines` as one text, a line break between lines, for substring searches."""
        return "\n".join(self.lines)

    def lines_holding(self, words: tuple[str, ...]) -> list[int]:
        """The indexes of the lines that hold any of ``words``, in order.

        One substring search of the whole text for each word and a count of
        the line breaks before each find, rather than a test of every line.
        """
        lines, every = self.lines, self._every
        if every.count("\n") != len(lines) - 1:  # a line holding a line break of its own
            return [i for i, line in enumerate(lines) if any(word in line for word in words)]
        found: set[int] = set()
        for word in words:
            line, counted = 0, 0
            start = every.find(word)
            while start >= 0:
                line += every.count("\n", counted, start)
                counted = start
                found.add(line)
                end = every.find("\n", start)
                start = every.find(word, end) if end >= 0 else -1
        return sorted(found)

    def after_last(self, headings: tuple[str, ...], count: int) -> str:
        """``count`` lines (normalised) after the last line opening with a heading.

        Headings are tried in order; the first one present wins. A heading the
        text does not hold anywhere costs one substring search, not a test of
        every line.
        """
        lines = self.lines
        for heading in headings:
            if heading not in self._every:
                continue
            for index in range(len(lines) - 1, -1, -1):
                if lines[index].lstrip(" #*").startswith(heading):
                    return _join(line.lstrip(" #*") for line in lines[index : index + count])
        return ""

    @cached_property
    def full(self) -> str:
        """The whole document normalised, without the lines that are only a page number."""
        return _join(line for line in self.lines if not _PAGE_NUMBER_RE.match(line))


def _strip_markup(text: str) -> str:
    """Markdown heading marks, emphasis, links and HTML tags, which text extractions carry."""
    if "#" in text:
        text = _HEADING_MARK_RE.sub("", text)
    return strip_markup(text)


def _plain_line(text: str) -> str:
    """One line with plain characters and no mark-up."""
    return _strip_markup(plain(text)).strip()


#: A line that is only a page number: it says nothing about the report, and in
#: text extractions it can fall between a judgement and its grade.
_PAGE_NUMBER_RE = re.compile(r"\s*\d{1,3}\s*$")


def _join(lines: Iterable[str]) -> str:
    """Lines as one normalised string: plain characters, markup gone, single spaces."""
    text = _strip_markup(plain("\n".join(lines)))
    if "\ufffe" in text:
        text = _SOFT_BREAK_RE.sub("-", text)
    return " ".join(text.split())


def _dates_spelled(text: str) -> str:
    """Dates spelled one way: UK numeric dates ("25/11/2016") with the month's name,
    and "the 15 and 16 of May" without the "of"."""
    if "/" in text and _NUMERIC_DATE_HINT.search(text):
        text = _NUMERIC_DATE_RE.sub(_spelled_date, text)
    if " of " in text and _DAY_OF_MONTH_HINT.search(text):
        text = _DAY_OF_MONTH_RE.sub(r"\1 \2", text)
    return text


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_NUMERIC_DATE_RE = re.compile(r"\b([0-3]?\d)/([01]?\d)/((?:19|20)\d\d)\b")
_DAY_OF_MONTH_RE = re.compile(rf"\b({_DAY})\s+of\s+({_MONTH})", re.IGNORECASE)
#: A part of every match of each pattern above, looked for first: most texts
#: hold neither, and these open with a literal "/" or a digit, which the engine
#: skips to quickly, where the patterns open with a word boundary and make it
#: try every position of the text.
_NUMERIC_DATE_HINT = re.compile(r"/[01]?\d/(?:19|20)\d\d")
_DAY_OF_MONTH_HINT = re.compile(rf"\d(?:st|nd|rd|th)?\s+of\s+{_MONTH}", re.IGNORECASE)


def _spelled_date(match: re.Match[str]) -> str:
    """A UK numeric date ("12/09/2016") as "12 September 2016"; anything else as it was."""
    day, month, year = (int(part) for part in match.groups())
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return match.group()
    return f"{day} {_MONTH_NAMES[month - 1]} {year}"


def _normalise(text: str) -> str:
    """One piece of text normalised like the joined lines."""
    return _join([text])


# ---------------------------------------------------------------------------
# Inspection type and area


@dataclass(frozen=True, slots=True)
class _Title:
    """A title found in the text: the type it announces, the area it names, where it starts."""

    type: str
    name: str | None
    start: int


def _find_title(text: _Text, config: _Config) -> tuple[_Title | None, str | None]:
    """The report's title (with the area it names) and its inspection type.

    A title is found in the joined opening text when a phrase the pattern
    knows follows it ("Dear ..."); failing that, the type's signature phrases
    are tried. A title printed only as a running header runs into the words
    of the next line, so as a last resort the lines are tried one by one,
    each ending where the title ends.
    """
    title = _earliest_title(text.head, config)
    if title is not None:
        return title, title.type
    kind = _phrase_type(text.head, config)
    if kind is not None:
        return None, kind
    title = next((found for line in text.head_lines
                  if (found := _earliest_title(line, config)) is not None), None)
    return title, title.type if title else None


def _earliest_title(head: str, config: _Config) -> _Title | None:
    """The title match that starts first in ``head``, of any type."""
    best: _Title | None = None
    for signature in config.types:
        for pattern in signature.titles:
            match = pattern.search(head)
            if match and (best is None or match.start() < best.start):
                name = match.groupdict().get("name")
                best = _Title(signature.type, name.strip(" ,;:") if name else None, match.start())
    return best


def _phrase_type(head: str, config: _Config) -> str | None:
    """The type whose signature phrase appears earliest, for reports without a title."""
    best: tuple[int, str] | None = None
    for signature in config.types:
        for pattern in signature.phrases:
            match = pattern.search(head)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), signature.type)
    return best[1] if best else None


def _not_inspection_reason(head: str, config: _Config) -> str:
    """Why a document without an inspection title is not a report, for its warning."""
    for pattern, reason in config.not_inspection:
        if pattern.search(head):
            return reason
    return "no inspection title or signature found"


def _clean_full_name(name: str, config: _Config) -> str:
    """The area as a title names it, without the board or partnership words after it."""
    name = _SPACE_RE.sub(" ", name).strip(" ,;:")
    for suffix in config.drop_suffixes:
        if name.lower().endswith(suffix.lower()) and len(name) > len(suffix):
            name = name[: -len(suffix)].strip()
    return name


def _mentions(text: str) -> list[tuple[int, str, str]]:
    """Area names printed in running text: (offset, short name, printed form).

    Words are matched against the names' keys, longest name first, starting
    only at capitalised words ('reading' and 'bury' are words, not places).
    A dictionary walk over the words is much faster than one huge regex.
    """
    areas = _areas()
    words = list(_WORD_RE.finditer(text))
    keys = [w.group(0).lower().replace("&", "and") for w in words]
    found: list[tuple[int, str, str]] = []
    i = 0
    while i < len(words):
        if keys[i] not in areas.first_words or not words[i].group(0)[:1].isupper():
            i += 1
            continue
        for n in range(min(areas.longest, len(words) - i), 0, -1):
            owner = areas.lookup.get(" ".join(keys[i : i + n]))
            if owner:
                start, end = words[i].start(), words[i + n - 1].end()
                found.append((start, owner, text[start:end]))
                i += n
                break
        else:
            i += 1
    return found


def _area_from_mentions(text: str) -> str | None:
    """The area named most often (earliest on a tie), when no title names one."""
    counts: dict[str, list[int]] = {}
    for offset, owner, _ in _mentions(text):
        counts.setdefault(owner, []).append(offset)
    if not counts:
        return None
    return min(counts, key=lambda k: (-len(counts[k]), counts[k][0]))


def _formal_name(name: str, text: str) -> str | None:
    """The first formal name of the area printed in the text (else its plain name)."""
    areas = _areas()
    plain_name: str | None = None
    best: tuple[int, str] | None = None
    for offset, owner, printed in _mentions(text):
        if owner != name:
            continue
        if _name_key(printed) == _name_key(name):
            plain_name = plain_name or printed
        elif best is None or offset < best[0]:
            best = (offset, printed)
    if best:
        return best[1]
    return plain_name or (areas.aliases[name][0] if areas.aliases.get(name) else None)


def _read_area(title: _Title | None, text: _Text, config: _Config) -> tuple[Area, list[str]]:
    """The area named by the title, else the one the opening text names most; with warnings."""
    warnings: list[str] = []
    full_name = _clean_full_name(title.name, config) if title and title.name else None
    name = resolve_area(full_name) if full_name else None
    if name is None and full_name:
        # A subject line that names more than the area ("... response to
        # neglect in Hackney"): the area is the place printed inside it.
        inside = _mentions(full_name)
        if inside:
            name, full_name = inside[-1][1], inside[-1][2]
    if name is None:
        name = _area_from_mentions(text.head)
        if full_name and name is None:
            warnings.append(f"area not recognised ('{full_name}')")
    if full_name is None and name is not None:
        full_name = _formal_name(name, text.head)
    if name is None:
        name = re.sub(r"[^a-z0-9]+", " ", (full_name or "").lower()).strip() or "unknown"
        if not full_name:
            warnings.append("no area name found")
    return Area(name=name, full_name=full_name), warnings


# ---------------------------------------------------------------------------
# Dates


def _iso(day: str, month: str, year: str | int) -> str | None:
    """An ISO date from printed parts ("1st", "Sept.", "2021"); ``None`` when no such day exists."""
    number = MONTHS.get(month.lower().rstrip("."))
    if number is None:
        return None
    try:
        return date(int(year), number, int(re.sub(r"\D", "", day))).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """The first 'D Month YYYY' date in the text, as an ISO date."""
    match = _DATE_RE.search(plain(text))
    return _iso(match["d"], match["m"], match["y"]) if match else None


def parse_date_range(text: str) -> tuple[str, str] | None:
    """The first date or date range in the text, as ISO start and end.

    Handles '15 to 26 November 2021', '30 April and 1 May 2025', '5, 6 and 7 March 2022',
    '26 February 2018–22 March 2018', '30 December to 3 January 2021'
    (the start falls in the previous year) and single dates (start = end).
    """
    match = _RANGE_RE.search(plain(text))
    if not match:
        return None
    if match["d"]:
        one = _iso(match["d"], match["m"], match["y"])
        return (one, one) if one else None
    m1 = match["m1"] or match["m2"]
    year2 = int(match["y2"])
    end = _iso(match["d2"], match["m2"], year2)
    start = _iso(match["d1"], m1, match["y1"] or year2)
    if start and end and start > end and not match["y1"]:
        start = _iso(match["d1"], m1, year2 - 1)
    if not start or not end:
        return None
    return start, end


def _read_date(text: _Text, config: _Config) -> str | None:
    """The printed publication date, or the letter's date line near the top."""
    for pattern in config.published:
        match = pattern.search(text.head)
        if match:
            found = _DATE_RE.match(text.head, match.end())
            if found:
                return _iso(found["d"], found["m"], found["y"])
    for line in text.first_lines[: config.letter_date_lines]:
        found = _LETTER_DATE_RE.match(line)
        if found:
            return _iso(found["d"], found["m"], found["y"])
    return None


def _read_fieldwork(text: _Text, config: _Config, published: str | None = None) -> Fieldwork:
    """The dates after the earliest phrase that introduces them (inspection or visit dates).

    A letter may print the visit's days without a year ("on 13 and 14
    July"); the year is then the letter's (the year before, when that would
    put the visit after the letter).
    """
    anchors = sorted(
        match.end() for pattern in config.fieldwork if (match := pattern.search(text.head))
    )
    for end in anchors:
        window = text.head[end : end + config.fieldwork_window]
        found = parse_date_range(window)
        if found:
            return Fieldwork(start=found[0], end=found[1])
        if published:
            found = _yearless_range(window, published)
            if found:
                return Fieldwork(start=found[0], end=found[1])
    return Fieldwork()


_YEARLESS_RE = re.compile(
    rf"\b(?P<d1>{_DAY})(?:\s+(?P<m1>{_MONTH}))?"
    rf"(?:{_SEP}(?:the )?(?P<d2>{_DAY})\s+(?P<m2>{_MONTH}))?\b(?!\s*,?\s*\d)",
    re.IGNORECASE,
)


def _yearless_range(window: str, published: str) -> tuple[str, str] | None:
    """The first days and month printed without a year in the window, dated by the letter.

    The visit ends in the letter's year, or the year before when that would
    put it after the letter; a start later in the year than the end is in
    the year before the end ("30 December and 1 January").
    """
    match = next((m for m in _YEARLESS_RE.finditer(window) if m["m1"] or m["m2"]), None)
    if match is None:
        return None
    year = int(published[:4])
    for candidate in (year, year - 1):
        end = _iso(match["d2"] or match["d1"], match["m2"] or match["m1"], candidate)
        start = _iso(match["d1"], match["m1"] or match["m2"], candidate)
        if start and end and start > end:
            start = _iso(match["d1"], match["m1"] or match["m2"], candidate - 1)
        if start and end and end <= published:
            return start, end
    return None


# ---------------------------------------------------------------------------
# Inspectorates, focus, judgements


def _read_inspectorates(text: _Text, config: _Config) -> list[str]:
    """Canonical inspectorates named where the report says who did the work.

    An empty list means Ofsted alone, as most reports are.
    """
    lead = config.bodies[0][0]
    others = [p for body, patterns in config.bodies if body != lead for p in patterns]
    found: set[str] = set()
    for region in (text.head, text.after_last(config.closing, config.closing_lines)):
        if not any(p.search(region) for p in others):
            continue
        for sentence in _SENTENCE_RE.split(region):
            if not any(p.search(sentence) for p in config.involvement):
                continue
            for body, patterns in config.bodies:
                if any(p.search(sentence) for p in patterns):
                    found.add(body)
    if not found - {lead}:
        return []
    return [body for body, _ in config.bodies if body in found or body == lead]


def _read_focus(text: _Text, area: Area, config: _Config) -> str | None:
    """What a JTAI letter says the inspection was of, without the area's name."""
    for pattern in config.focus_patterns:
        match = pattern.search(text.head)
        if not match:
            continue
        focus = _PAREN_RE.sub("", match["focus"])
        changed = True
        while changed:
            changed = False
            for prefix in config.focus_drop_prefixes:
                if focus.lower().startswith(prefix):
                    focus = focus[len(prefix) :]
                    changed = True
        names = [*area_aliases(area.name), area.name]
        if area.full_name:
            names.append(area.full_name)
        names = sorted(set(names), key=lambda n: (-len(n), n))
        in_area = r"\s+in\s+(?:the\s+)?(?:" + "|".join(_alias_regex(n) for n in names) + r")\b"
        focus = re.sub(in_area, "", focus, flags=re.IGNORECASE)
        focus = _SPACE_RE.sub(" ", focus).strip(" ,;:'\"")
        return focus or None
    return None


def _grade_after(pattern: _Pattern, text: str, config: _Config) -> str | None:
    """The canonical grade printed after the first occurrence of a judgement label."""
    match = pattern.search(text)
    return config.grades.get(_SPACE_RE.sub(" ", match["grade"].lower())) if match else None


def _read_judgements(
    kind: str, text: _Text, sections: list[Section], config: _Config
) -> dict[str, str]:
    """The judgements of the inspection type: graded labels, or an outcome statement.

    Graded labels are read from the cover table in the opening text, then
    (unless ``head_only``) from the whole report and the section headings.
    Types judged by an outcome statement (area SEND) take the one printed first.
    """
    outcomes = config.outcomes.get(kind)
    if outcomes:
        hits = [
            (match.start(), outcome)
            for pattern, outcome in outcomes
            if (match := pattern.search(text.head))
        ]
        return {"outcome": min(hits)[1]} if hits else {}
    labels = config.labels.get(kind)
    if not labels:
        return {}
    headings = " ".join(_normalise(s.heading) for s in sections if s.heading)
    judgements: dict[str, str] = {}
    for label in labels:
        grade = _grade_after(label.label, text.head, config)
        if grade is None and not label.head_only:
            grade = _grade_after(label.label, text.full, config)
            if grade is None and headings:
                grade = _grade_after(label.label, headings, config)
        if grade:
            judgements[label.key] = grade
    return judgements


#: Words of a lead inspector's sign-off, one of which a line near the name holds.
_LEAD_WORDS = ("nspector", "incerely")


def _read_lead_inspector(text: _Text, config: _Config) -> str | None:
    """The lead inspector's name: the first pattern of the data file found, at its first match.

    Names are often printed over two lines (a sign-off's "Yours sincerely"
    above the name and "Her Majesty's Inspector" below it, a team table's
    "lead" / "inspector"), so each line is read joined with the next two, by
    two spaces, which a name never spans. Only lines that hold a word of a
    sign-off, or precede one, are read: the patterns cost several times more
    than finding the words.
    """
    lines = text.lines
    normalised: dict[int, str] = {}

    def window(start: int) -> str:
        for index in range(start, min(start + 3, len(lines))):
            if index not in normalised:
                normalised[index] = _normalise(lines[index])
        return "  ".join(normalised[i] for i in range(start, min(start + 3, len(lines))))

    hits = text.lines_holding(_LEAD_WORDS)
    starts = sorted({start for hit in hits for start in (hit - 1, hit) if start >= 0})
    windows = [window(index) for index in starts]
    for pattern in config.lead_inspector:
        for found in windows:
            match = pattern.search(found)
            if match:
                return " ".join(match["name"].split())
    return None


def _read_copyright_year(raw: RawDocument, config: _Config) -> int | None:
    """The year of the report's copyright line (the last one printed), if any."""
    year = None
    for page in raw.pages[-3:]:
        for line in page:
            if "opyright" in line.text:
                match = config.copyright.search(line.text)
                if match:
                    year = int(match["year"])
    return year


# ---------------------------------------------------------------------------
# The stage


def read_metadata(raw: RawDocument, blocks: list[Block], sections: list[Section]) -> Metadata:
    """Area, inspection type, dates, inspectorates, JTAI focus and judgements.

    ``blocks`` are not needed (the raw lines carry the cover and subject line);
    ``sections`` add their headings as a second place to find judgements.
    Anything that could not be read is left empty and named in ``warnings``.
    """
    del blocks  # the raw lines hold everything read here
    config = _config()
    text = _Text(raw, config.head_chars)
    warnings: list[str] = []

    title, kind = _find_title(text, config)
    area, area_problems = _read_area(title, text, config)
    warnings.extend(f"{raw.path}: {problem}" for problem in area_problems)
    published = _read_date(text, config)

    if kind is None:
        reason = _not_inspection_reason(text.head, config)
        warnings.append(f"{raw.path}: not an inspection report ({reason}); kept as type other")
        return Metadata(area=area, inspection_type="other", date=published, warnings=warnings)

    fieldwork = _read_fieldwork(text, config, published)
    if fieldwork.start is None:
        warnings.append(f"{raw.path}: no inspection or visit dates found")
    meta = Metadata(
        area=area,
        inspection_type=kind,
        date=published,
        fieldwork=fieldwork,
        inspectorates=_read_inspectorates(text, config),
        jtai_focus=_read_focus(text, area, config) if kind == "jtai" else None,
        judgements=_read_judgements(kind, text, sections, config),
        warnings=warnings,
        lead_inspector=_read_lead_inspector(text, config),
        copyright_year=_read_copyright_year(raw, config),
    )
    if kind == "jtai" and meta.jtai_focus is None:
        warnings.append(f"{raw.path}: JTAI letter without a stated focus")
    return meta
