"""The vocabulary of the pipeline: its data files, the printed-character tables and headings.

One module owns the files in ``jtai_tools/data``: it reads them (``data_text``,
``read_toml``), checks a settings table into its dataclass (``table_record``,
``data_record`` for a file whose tables only group one record's fields:
one line naming the file and table on a missing, unknown or mistyped key)
and compiles what the clean, sections and metadata stages share from them:

- the one text normaliser (``data/characters.toml``): typographic quotes made
  straight and odd spaces made plain (:func:`plain`), and the print artefacts
  of PDF text layers (ligatures, soft hyphens, footnote digits) written out
  (:func:`normalise_chars`);
- the section kinds and the role of each (``data/sections.toml``): list or
  narrative, improvement points, the polarity a list fixes
  (:func:`section_roles`);
- the heading vocabulary (``data/headings.toml``): the heading of each
  section kind, sub-labels, furniture, bullets, numbering, grades, back matter;
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar

from .errors import DataFileError

R = TypeVar("R")

# --------------------------------------------------------------------------
# Data files


def data_text(name: str) -> str:
    """The text of a data file shipped with the package (``data/<name>``)."""
    return resources.files("jtai_tools").joinpath("data", name).read_text("utf-8")


def read_toml(name: str) -> dict[str, Any]:
    """A TOML data file shipped with the package, parsed."""
    return tomllib.loads(data_text(name))


#: Python types a TOML value may have for a field annotated with each scalar type.
_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,), "float": (int, float), "str": (str,), "bool": (bool,),
}


def table_record(cls: type[R], table: Mapping[str, Any], where: str) -> R:
    """The dataclass ``cls`` filled from one TOML table, checked: ``where: what is wrong``.

    Every field without a default must be given, no other key may be, and a
    field annotated ``int``, ``float``, ``str`` or ``bool`` (or ``X | None``)
    must hold that type (TOML gives no None; other annotations are not
    checked). Hand-written, not msgspec or pydantic: the tables are flat
    records of scalars, this is their whole check, and either package would
    be imported by every quick command (msgspec 4-8 ms, pydantic 130 ms, on
    commands that answer in 0.2-0.3 s).
    """
    names = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(table) - set(names))
    if unknown:
        raise DataFileError(f"{where}: unknown key {unknown[0]!r} (expected one of"
                            f" {', '.join(names)})")
    missing = [n for n, f in names.items() if n not in table
               and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise DataFileError(f"{where}: missing key {missing[0]!r}")
    for key, value in table.items():
        scalar = [part for part in str(names[key].type).split(" | ") if part in _SCALAR_TYPES]
        allowed = tuple(t for part in scalar for t in _SCALAR_TYPES[part])
        if scalar and (not isinstance(value, allowed)
                       or (isinstance(value, bool) and bool not in allowed)):
            raise DataFileError(f"{where}: {key!r} must be {' or '.join(scalar)}, not {value!r}")
    return cls(**table)


def data_record(cls: type[R], name: str) -> R:
    """The dataclass ``cls`` from data file ``name``, whose tables only group its fields."""
    tables = read_toml(name).values()
    values = {key: value for table in tables for key, value in table.items()}
    if len(values) < sum(len(table) for table in tables):
        raise DataFileError(f"data/{name}: a key is in two tables")
    return table_record(cls, values, f"data/{name}")


# --------------------------------------------------------------------------
# Printed characters


@lru_cache(maxsize=1)
def _character_tables() -> tuple[tuple[tuple[str, str], ...], dict[int, str]]:
    """(plain, printed) tables of ``data/characters.toml``.

    ``plain`` (pairs, for :meth:`str.replace`) makes quotes straight and
    spaces plain; ``printed`` (a translation table) also writes out ligatures
    and drops invisible characters and footnote digits, and keeps quotes as
    printed.
    """
    data = read_toml("characters.toml")
    plain_pairs = tuple({**data["quotes"], **data["spaces"]}.items())
    printed = str.maketrans({**data["spaces"], **data["print"]})
    return plain_pairs, printed


def plain(text: str) -> str:
    """Straight quotes and plain spaces: text as the vocabulary's patterns are written.

    Replaced pair by pair, not by :meth:`str.translate`: a few
    :meth:`str.replace` scans of a long text are many times faster than one
    translation through a table of code points.
    """
    if text.isascii() and "\t" not in text:
        return text
    for old, new in _character_tables()[0]:
        if old in text:
            text = text.replace(old, new)
    return text


def normalise_chars(text: str) -> str:
    """Ligatures, soft hyphens and odd spaces as printed characters; one space between words.

    Quotes stay as printed: straight or curly is the report's choice. Most
    lines that are not ASCII only hold curly quotes or dashes, which the table
    leaves alone: a search for the table's characters is many times faster
    than a translation that changes nothing. Most lines also have no space to
    fold but at their ends; a printable text has no whitespace but the plain
    space, so such a line is only stripped.
    """
    if text.isascii():
        if "\t" in text or "\r" in text:
            text = text.translate(_character_tables()[1])
    elif _printed_characters().search(text):
        text = text.translate(_character_tables()[1])
    stripped = text.strip(" ")
    if "  " not in stripped and stripped.isprintable():
        return stripped
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _printed_characters() -> re.Pattern[str]:
    """Any character that the ``printed`` table changes."""
    return re.compile("[" + "".join(re.escape(chr(code)) for code in _character_tables()[1]) + "]")


# --------------------------------------------------------------------------
# Section roles


@dataclass(frozen=True, slots=True)
class SectionRoles:
    """What each section kind is for (``data/sections.toml``), as the stages ask it."""

    #: every section kind, in the file's order
    kinds: tuple[str, ...]
    #: kinds whose items are findings, one an item
    lists: frozenset[str]
    #: kinds whose sentences are findings, one a sentence
    narrative: frozenset[str]
    #: kinds whose items are improvement points, in the file's order
    improvement: tuple[str, ...]
    #: list kind -> the polarity every item of it takes
    polarity: dict[str, str]
    #: narrative kinds whose sentences the labelling pool draws from
    labelled: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """One table of ``data/sections.toml``: what one section kind is for."""

    role: str
    improvement: bool = False
    polarity: str | None = None
    labelled: bool = False


SECTION_ROLE_NAMES: tuple[str, ...] = ("list", "narrative", "none")


@lru_cache(maxsize=1)
def section_roles() -> SectionRoles:
    """The section kinds and their roles, loaded once per process."""
    return parse_section_roles(read_toml("sections.toml"))


def parse_section_roles(data: Mapping[str, Any], where: str = "data/sections.toml") -> SectionRoles:
    """Section roles from the tables of a sections file, checked (:class:`DataFileError`)."""
    specs = {kind: table_record(SectionSpec, spec, f"{where}: [{kind}]")
             for kind, spec in data.items()}
    for kind, spec in specs.items():
        if spec.role not in SECTION_ROLE_NAMES:
            raise DataFileError(f"{where}: [{kind}]: role {spec.role!r} is not one of"
                                f" {', '.join(SECTION_ROLE_NAMES)}")
        if (spec.polarity is None) == (spec.role == "list"):
            raise DataFileError(f"{where}: [{kind}]: a polarity goes with role list, and"
                                " only with it")
    return SectionRoles(
        kinds=tuple(specs),
        lists=frozenset(k for k, s in specs.items() if s.role == "list"),
        narrative=frozenset(k for k, s in specs.items() if s.role == "narrative"),
        improvement=tuple(k for k, s in specs.items() if s.improvement),
        polarity={k: s.polarity for k, s in specs.items() if s.polarity is not None},
        labelled=tuple(k for k, s in specs.items() if s.labelled),
    )


# --------------------------------------------------------------------------
# Headings and list vocabulary

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
    ruled_page: re.Pattern[str]
    back_matter: re.Pattern[str]
    grades: re.Pattern[str]
    grade_suffix: re.Pattern[str]
    abbreviations: frozenset[str]
    not_items: re.Pattern[str]


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    """One case-blind pattern matching the whole text against any of ``patterns``."""
    return re.compile("(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\Z", re.IGNORECASE)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The heading and furniture vocabulary, loaded once per process."""
    data = read_toml("headings.toml")
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
        ruled_page=re.compile("|".join(f"(?:{p})" for p in data["tables"]["ruled_pages"]),
                              re.IGNORECASE),
        back_matter=_alternation(data["back_matter"]["patterns"]),
        grades=_alternation(data["grades"]["patterns"]),
        grade_suffix=re.compile(
            r"[\s:]+(?:" + "|".join(f"(?:{p})" for p in data["grades"]["patterns"]) + r")\Z",
            re.IGNORECASE),
        abbreviations=frozenset(word.lower() for word in data["sentences"]["abbreviations"]),
        not_items=_alternation(data["not_items"]["patterns"]),
    )


def heading_key(text: str) -> str:
    """A heading as the vocabulary sees it: straight quotes, one space, no final stop."""
    text = plain(text)
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


def is_not_item(text: str) -> bool:
    """A sentence saying a list is empty ("There are no priority actions."), not an item."""
    return bool(vocabulary().not_items.match(heading_key(text)))


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
