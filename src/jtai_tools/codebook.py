"""The theme codebook: which themes exist and the words that find them.

The codebook is data, not code: ``data/codebook.toml`` ships with the package
and a user can pass their own TOML file to add themes or replace ones with the
same id, the way qualitative-analysis software imports a codebook. Loading
validates the file fully, so a typo in a user's codebook is reported as one
line naming the file, the line and the theme, before any report is tagged.

Codebook format (one ``[[theme]]`` table per theme)::

    [[theme]]
    id = "supervision"                  # required: lower-case letters, digits, hyphens
    label = "Supervision and management oversight"
    description = "supervision of practitioners, ..."
    phrases = ["management oversight"]  # matched on lemmas: "managers' oversight" too
    exact = ["MASH"]                    # matched on lower-case words, no lemmatising
    acronyms = ["SEND"]                 # matched only when written in capitals ("send" is a verb)
    tokens = [[{LOWER = "seen"}, {LOWER = "alone"}]]   # spaCy Matcher token patterns

    ignore = ["education, health and care"]   # top level: words that tag nothing

A match that lies strictly inside a longer match (of any theme, or of an
``ignore`` phrase) is dropped, so "mental health" does not also count as
"health", and "education, health and care plan" counts as neither.

The checks are hand-written, not a schema package's (msgspec, pydantic): a
user's codebook error must name the line of the theme at fault and say in
the codebook's words what is wrong ("theme 'x' has no phrases"), and most
checks are beyond a schema (an id defined twice, a context naming an
unknown theme, a cue under two meanings, spaCy's own token-pattern
validator). A schema would replace only the type checks, about 40 lines,
with as many of struct definitions and a path-to-line mapping of its
messages ("Expected `array`, got `str` - at `$.theme[3].phrases`").
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import UsageError

THEME_KEYS: frozenset[str] = frozenset(
    {"id", "label", "description", "phrases", "exact", "acronyms", "tokens", "weight"}
)
TOP_KEYS: frozenset[str] = frozenset({"theme", "ignore", "version", "max_themes", "context"})
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DEFAULT_CODEBOOK = "codebook.toml"


class CodebookError(UsageError, ValueError):
    """A codebook file that cannot be used; ``str()`` is ``FILE:LINE: what is wrong``."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class Theme:
    """One theme: its id, what it means, and the patterns that find it.

    ``source`` is ``FILE:LINE`` of the table that defined the theme, so that
    a pattern problem found later can still point the user at it.
    """

    id: str
    label: str
    description: str = ""
    phrases: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    tokens: tuple[tuple[dict[str, Any], ...], ...] = ()
    source: str = ""
    weight: float = 1.0

    @property
    def pattern_count(self) -> int:
        return len(self.phrases) + len(self.exact) + len(self.acronyms) + len(self.tokens)


@dataclass(frozen=True, slots=True)
class Codebook:
    """Themes in their codebook order, plus phrases that tag nothing."""

    themes: tuple[Theme, ...]
    ignore: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default_factory=tuple)
    max_themes: int | None = None
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def get(self, theme_id: str) -> Theme | None:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        return None

    def merged(self, other: Codebook) -> Codebook:
        """This codebook with ``other``'s themes added; a theme with a known id replaces it."""
        replaced = {t.id: t for t in other.themes}
        themes = [replaced.pop(t.id, t) for t in self.themes]
        themes.extend(t for t in other.themes if t.id in replaced)
        ignore = tuple(dict.fromkeys([*self.ignore, *other.ignore]))
        limit = other.max_themes if other.max_themes is not None else self.max_themes
        context = {**self.context, **other.context}
        return Codebook(
            tuple(themes), ignore, (*self.sources, *other.sources), limit, context
        )


@dataclass(frozen=True, slots=True)
class AgencyVocab:
    """Agencies with the patterns that name them, and the agency given when none is named.

    ``default_for`` overrides ``default`` for a kind of inspection: an area
    SEND inspection judges the local area partnership as a whole.
    """

    agencies: tuple[Theme, ...]
    default: str | None = None
    ignore: tuple[str, ...] = ()
    default_for: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PolarityCues:
    """Cue words that judge a sentence as a concern or a strength.

    ``reach`` words extend a negation: a cue followed by one of them ("clear
    enough") is turned around by a negator up to ``reach_window`` words
    before it ("not all letters are clear enough"), further than the usual
    ``negation_window``. ``linking`` contrast words opening a sentence
    ("However, ...") refer back to the sentence before, so they do not make
    it mixed. ``hedges`` are negators that limit a point even with no cue
    after them ("not always"); ``averters`` turn only a concern around
    ("reduce delays") and judge nothing alone; ``subordinators`` open
    clauses that describe ("who are not in school"), where a negator with no
    cue after it judges nothing; ``neutral`` phrases hold a cue word but judge
    nothing ("as well as", "raise a concern"), and hide the cue inside them.
    """

    concern: tuple[str, ...]
    strength: tuple[str, ...]
    negators: tuple[str, ...]
    contrast: tuple[str, ...]
    negation_window: int = 3
    reach: tuple[str, ...] = ()
    reach_window: int = 8
    linking: tuple[str, ...] = ()
    hedges: tuple[str, ...] = ()
    subordinators: tuple[str, ...] = ()
    averters: tuple[str, ...] = ()
    neutral: tuple[str, ...] = ()


def default_codebook_path() -> Path:
    """The codebook shipped with the package."""
    return _data_path(DEFAULT_CODEBOOK)


def load_codebook(path: str | Path | None = None, extend: bool = True) -> Codebook:
    """Load the built-in codebook, or a user's codebook file.

    With ``extend`` (the default) a user's themes are added to the built-in
    ones, replacing any theme with the same id; without it the user's file
    is the whole codebook. Raises :class:`CodebookError` for a file that is
    missing, not valid TOML, or not a valid codebook.
    """
    builtin = parse_codebook_file(default_codebook_path())
    if path is None:
        return builtin
    user = parse_codebook_file(Path(path))
    return builtin.merged(user) if extend else user


def parse_codebook_file(path: Path) -> Codebook:
    """Read and validate one codebook file."""
    return parse_codebook(_read(path), path)


def parse_codebook(text: str, path: str | Path = "<codebook>") -> Codebook:
    """Validate codebook TOML text; ``path`` is only used in error messages."""
    data = _load_toml(text, path)
    _check_top_keys(data, text, path, TOP_KEYS, "[[theme]] tables")
    themes = _parse_tables(data, text, path, "theme")
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(_is_phrase(p) for p in ignore):
        raise CodebookError(path, _key_line(text, "ignore"), "'ignore' must be a list of phrases")
    limit = data.get("max_themes")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise CodebookError(
            path, _key_line(text, "max_themes"), "'max_themes' must be a whole number above 0"
        )
    context = _parse_context(data.get("context", {}), text, path, {t.id for t in themes})
    return Codebook(tuple(themes), tuple(ignore), (str(path),), limit, context)


def _parse_context(
    raw: Any, text: str, path: str | Path, ids: set[str]
) -> dict[str, tuple[str, ...]]:
    """``[context]``: inspection type -> themes every finding of such a report is about."""
    line = _key_line(text, "context")
    if not isinstance(raw, dict):
        raise CodebookError(path, line, "'context' must be a table of inspection types")
    context: dict[str, tuple[str, ...]] = {}
    for kind, themes in raw.items():
        if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
            raise CodebookError(path, line, f"context {kind!r} must be a list of theme ids")
        unknown = sorted(set(themes) - ids)
        if unknown:
            raise CodebookError(path, line, f"context {kind!r}: unknown theme {unknown[0]!r}")
        context[kind] = tuple(themes)
    return context


def load_agencies(path: str | Path | None = None) -> AgencyVocab:
    """The agency vocabulary (``data/agencies.toml`` unless ``path`` is given)."""
    path = Path(path) if path else _data_path("agencies.toml")
    text = _read(path)
    data = _load_toml(text, path)
    _check_top_keys(
        data, text, path,
        frozenset({"agency", "default", "default_for", "version", "ignore"}), "[[agency]]",
    )
    agencies = _parse_tables(data, text, path, "agency")
    default = data.get("default")
    ids = [a.id for a in agencies]
    if default is not None and default not in ids:
        raise CodebookError(path, _key_line(text, "default"), f"default agency {default!r} "
                            "is not one of the [[agency]] ids")
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(_is_phrase(p) for p in ignore):
        raise CodebookError(path, _key_line(text, "ignore"), "'ignore' must be a list of phrases")
    default_for = data.get("default_for", {})
    if not isinstance(default_for, dict):
        raise CodebookError(path, _key_line(text, "default_for"),
                            "[default_for] must map inspection types to [[agency]] ids")
    for kind, agency in default_for.items():
        if agency not in ids:
            line = _key_line(text, kind) or _key_line(text, "default_for")
            raise CodebookError(path, line, f"[default_for] {kind!r}: {agency!r} is not one "
                                "of the [[agency]] ids")
    return AgencyVocab(tuple(agencies), default, tuple(ignore), dict(default_for))


def load_polarity(path: str | Path | None = None) -> PolarityCues:
    """The polarity cue words (``data/polarity.toml`` unless ``path`` is given)."""
    path = Path(path) if path else _data_path("polarity.toml")
    text = _read(path)
    data = _load_toml(text, path)
    lists = (
        "concern", "strength", "negators", "contrast", "reach", "linking", "hedges", "averters",
        "subordinators", "neutral",
    )
    windows = ("negation_window", "reach_window")
    _check_top_keys(data, text, path, frozenset({*lists, *windows, "version"}), "cue lists")
    values: dict[str, tuple[str, ...]] = {}
    for key in lists:
        cues = data.get(key, [])
        if not isinstance(cues, list) or not all(_is_phrase(c) for c in cues):
            raise CodebookError(path, _key_line(text, key), f"{key!r} must be a list of phrases")
        values[key] = tuple(dict.fromkeys(c.strip() for c in cues))
    _check_cue_overlap(values, text, path)
    sizes: dict[str, int] = {}
    for key, default in zip(windows, (3, 8), strict=True):
        window = data.get(key, default)
        if not isinstance(window, int) or isinstance(window, bool) or not 0 <= window <= 10:
            raise CodebookError(path, _key_line(text, key),
                                f"{key!r} must be a whole number from 0 to 10")
        sizes[key] = window
    fields: dict[str, Any] = {**values, **sizes}  # the cue lists and windows, by field name
    return PolarityCues(**fields)


#: Cue lists that give a phrase one meaning each: a phrase in two of them would
#: be read by whichever the matcher happened to report first.
EXCLUSIVE_CUE_LISTS: tuple[str, ...] = (
    "concern", "strength", "negators", "hedges", "averters", "neutral",
)


def _check_cue_overlap(values: dict[str, tuple[str, ...]], text: str, path: Path) -> None:
    """Refuse a phrase listed under two meanings (e.g. both a concern and a strength)."""
    seen: dict[str, str] = {}
    for key in EXCLUSIVE_CUE_LISTS:
        for cue in values.get(key, ()):
            phrase = cue.lower()
            if phrase in seen:
                raise CodebookError(path, _key_line(text, key),
                                    f"{cue!r} is in both {seen[phrase]!r} and {key!r}")
            seen[phrase] = key


def _data_path(name: str) -> Path:
    return Path(str(resources.files("jtai_tools") / "data" / name))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CodebookError(path, None, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(path, None, f"cannot read file: {exc}") from None


def _load_toml(text: str, path: str | Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CodebookError(
            path, _toml_error_line(exc), f"invalid TOML: {_toml_error_text(exc)}"
        ) from None


def _check_top_keys(
    data: dict[str, Any], text: str, path: str | Path, allowed: frozenset[str], expected: str
) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        line = _key_line(text, unknown[0])
        raise CodebookError(path, line, f"unknown key {unknown[0]!r} (expected {expected})")


def _parse_tables(data: dict[str, Any], text: str, path: str | Path, table: str) -> list[Theme]:
    raw_tables = data.get(table, [])
    if not isinstance(raw_tables, list) or not raw_tables:
        raise CodebookError(path, None, f"no [[{table}]] tables")
    lines = _table_lines(text, table)
    parsed: list[Theme] = []
    seen: dict[str, int | None] = {}
    for i, raw in enumerate(raw_tables):
        line = lines[i] if i < len(lines) else None
        item = _parse_theme(raw, path, line, table)
        if item.id in seen:
            first = seen[item.id]
            raise CodebookError(
                path, line, f"{table} {item.id!r} defined twice (first at line {first})"
            )
        seen[item.id] = line
        parsed.append(item)
    return parsed


def _parse_theme(raw: Any, path: str | Path, line: int | None, table: str = "theme") -> Theme:
    if not isinstance(raw, dict):
        raise CodebookError(path, line, f"each [[{table}]] must be a table")
    name = raw.get("id")
    if name is None:
        raise CodebookError(path, line, f"{table} has no 'id'")
    if not isinstance(name, str) or not ID_RE.match(name):
        raise CodebookError(
            path, line, f"{table} id {name!r} must be lower-case words joined by hyphens"
        )
    unknown = sorted(set(raw) - THEME_KEYS)
    if unknown:
        allowed = ", ".join(sorted(THEME_KEYS))
        raise CodebookError(
            path, line, f"{table} {name!r}: unknown key {unknown[0]!r} (allowed: {allowed})"
        )
    for key in ("label", "description"):
        if key in raw and not isinstance(raw[key], str):
            raise CodebookError(path, line, f"theme {name!r}: {key!r} must be a string")
    weight = raw.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 10:
        raise CodebookError(path, line, f"{table} {name!r}: 'weight' must be a number in (0, 10]")
    phrases = _phrase_list(raw, "phrases", name, path, line)
    exact = _phrase_list(raw, "exact", name, path, line)
    acronyms = _phrase_list(raw, "acronyms", name, path, line)
    tokens = _token_patterns(raw.get("tokens", []), name, path, line)
    theme = Theme(
        id=name,
        label=raw.get("label") or name,
        description=raw.get("description", ""),
        phrases=phrases,
        exact=exact,
        acronyms=acronyms,
        tokens=tokens,
        source=f"{path}:{line}" if line else str(path),
        weight=float(weight),
    )
    if theme.pattern_count == 0:
        raise CodebookError(
            path, line, f"{table} {name!r} has no phrases, exact, acronyms or tokens"
        )
    return theme


def _is_phrase(value: Any) -> bool:
    return isinstance(value, str) and any(ch.isalnum() for ch in value)


def _phrase_list(
    raw: dict[str, Any], key: str, name: str, path: str | Path, line: int | None
) -> tuple[str, ...]:
    values = raw.get(key, [])
    if not isinstance(values, list):
        raise CodebookError(path, line, f"theme {name!r}: {key!r} must be a list of strings")
    for value in values:
        if not _is_phrase(value):
            raise CodebookError(
                path, line, f"theme {name!r}: bad pattern {value!r} in {key!r} (needs a word)"
            )
    return tuple(dict.fromkeys(v.strip() for v in values))


def _token_patterns(
    values: Any, name: str, path: str | Path, line: int | None
) -> tuple[tuple[dict[str, Any], ...], ...]:
    """Check token patterns with spaCy's own pattern validator."""
    from spacy.errors import MatchPatternError
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    if not isinstance(values, list) or not all(isinstance(p, list) and p for p in values):
        raise CodebookError(
            path, line, f"theme {name!r}: 'tokens' must be a list of token pattern lists"
        )
    matcher = Matcher(Vocab(), validate=True)
    for pattern in values:
        try:
            matcher.add(name, [pattern])
        except (MatchPatternError, ValueError, TypeError, KeyError) as exc:
            detail = " ".join(str(exc).split())[:160]
            raise CodebookError(
                path, line, f"theme {name!r}: bad token pattern {pattern!r}: {detail}"
            ) from None
    return tuple(tuple(dict(tok) for tok in p) for p in values)


def _table_lines(text: str, table: str) -> list[int]:
    """1-based line numbers of each ``[[table]]`` header, in order."""
    header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    return [i for i, ln in enumerate(text.splitlines(), 1) if header.match(ln)]


def _key_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(?:\[+\s*)?{re.escape(key)}\b")
    for i, ln in enumerate(text.splitlines(), 1):
        if pattern.match(ln):
            return i
    return None


def _toml_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    lineno = getattr(exc, "lineno", None)
    if lineno:
        return int(lineno)
    found = re.search(r"line (\d+)", str(exc))
    return int(found.group(1)) if found else None


def _toml_error_text(exc: tomllib.TOMLDecodeError) -> str:
    msg = getattr(exc, "msg", None) or str(exc)
    return re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
