"""The theme codebook data files: complete, loadable, and strict about mistakes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES, SHARED
from jtai_tools.codebook import (
    CodebookError,
    load_agencies,
    load_codebook,
    load_polarity,
    parse_codebook,
)


def _themes_md() -> str:
    path = SHARED / "themes.md"
    assert path.is_file(), f"{path} not found (set JTAI_SHARED)"
    return path.read_text(encoding="utf-8")


def themes_md_ids() -> list[str]:
    """Theme ids from the first column of the codebook table in themes.md."""
    return re.findall(r"^\| `([a-z0-9-]+)` \|", _themes_md(), flags=re.MULTILINE)


def themes_md_agencies() -> list[str]:
    section = _themes_md().split("Agencies (`agencies` field):", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"`([a-z0-9-]+)`", section)


def test_builtin_codebook_has_every_theme_of_themes_md() -> None:
    ids = themes_md_ids()
    assert len(ids) >= 30
    codebook = load_codebook()
    assert set(ids) <= set(codebook.ids)
    for theme in codebook.themes:
        assert theme.label and theme.description, theme.id
        assert theme.pattern_count > 0, theme.id


def test_builtin_agencies_are_the_agencies_of_themes_md() -> None:
    vocab = load_agencies()
    assert {a.id for a in vocab.agencies} == set(themes_md_agencies())
    assert vocab.default == "childrens-social-care"


def test_polarity_cues_load() -> None:
    cues = load_polarity()
    assert "not consistently" in cues.hedges
    assert "effective" in cues.strength
    assert "not" in cues.negators
    assert "reduce" in cues.averters
    assert "as well as" in cues.neutral
    assert "however" in cues.contrast
    assert cues.negation_window >= 1
    assert "enough" in cues.reach and cues.reach_window > cues.negation_window
    assert set(cues.linking) <= set(cues.contrast)


def test_bad_polarity_window_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "cues.toml"
    path.write_text('concern = ["weak"]\nreach_window = 40\n', encoding="utf-8")
    with pytest.raises(CodebookError, match=r"cues.toml:2: 'reach_window' must be"):
        load_polarity(path)


def test_polarity_phrase_with_two_meanings_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cues.toml"
    path.write_text('concern = ["slow"]\nstrength = ["quick", "Slow"]\n', encoding="utf-8")
    with pytest.raises(CodebookError, match=r"cues.toml:2: 'Slow' is in both 'concern' and"):
        load_polarity(path)


def test_user_codebook_adds_and_replaces_themes() -> None:
    builtin = load_codebook()
    merged = load_codebook(FIXTURES / "tag_codebook_extra.toml")
    assert merged.ids[: len(builtin.ids)] == builtin.ids  # built-in order kept
    assert merged.ids[-1] == "kinship-care"
    neglect = merged.get("neglect")
    assert neglect is not None and neglect.label == "Neglect (narrow)"
    assert neglect.exact == ("neglect",) and neglect.phrases == ()
    assert merged.context == builtin.context


def test_user_codebook_alone_without_extend() -> None:
    only = load_codebook(FIXTURES / "tag_codebook_extra.toml", extend=False)
    assert only.ids == ["kinship-care", "neglect"]
    assert only.get("supervision") is None


def test_theme_records_where_it_was_defined() -> None:
    only = load_codebook(FIXTURES / "tag_codebook_extra.toml", extend=False)
    kinship = only.get("kinship-care")
    assert kinship is not None
    assert kinship.source.endswith("tag_codebook_extra.toml:4")


def test_unknown_key_names_theme_and_line() -> None:
    path = FIXTURES / "tag_codebook_bad_key.toml"
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert caught.value.line == 8
    assert str(caught.value).startswith(f"{path}:8: ")
    assert "'respite'" in str(caught.value) and "'phrase'" in str(caught.value)


def test_bad_token_pattern_names_theme_and_line() -> None:
    path = FIXTURES / "tag_codebook_bad_pattern.toml"
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert caught.value.line == 3
    assert "'kinship-care'" in str(caught.value) and "token pattern" in str(caught.value)


def test_invalid_toml_names_line() -> None:
    path = FIXTURES / "tag_codebook_bad_toml.toml"
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert caught.value.line == 5
    assert str(caught.value).startswith(f"{path}:5: invalid TOML")


def test_missing_file_is_a_codebook_error(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="no such file"):
        load_codebook(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('[[theme]]\nlabel = "x"\nphrases = ["x"]\n', 1, "has no 'id'"),
        ('\n[[theme]]\nid = "Bad Id"\nphrases = ["x"]\n', 2, "lower-case words"),
        ('[[theme]]\nid = "a"\nphrases = ["   "]\n', 1, "bad pattern"),
        ('[[theme]]\nid = "a"\nphrases = "x"\n', 1, "must be a list"),
        ('[[theme]]\nid = "a"\n', 1, "has no phrases"),
        ('[[theme]]\nid = "a"\nphrases = ["x"]\n\n[[theme]]\nid = "a"\nphrases = ["y"]\n',
         5, "defined twice (first at line 1)"),
        ('[[theme]]\nid = "a"\nphrases = ["x"]\nweight = -1\n', 1, "'weight'"),
        ('themes = 1\n[[theme]]\nid = "a"\nphrases = ["x"]\n', 1, "unknown key 'themes'"),
        ('max_themes = 0\n[[theme]]\nid = "a"\nphrases = ["x"]\n', 1, "max_themes"),
        ('[context]\narea-send = ["nope"]\n[[theme]]\nid = "a"\nphrases = ["x"]\n', 1,
         "unknown theme 'nope'"),
    ],
)
def test_structural_errors(text: str, line: int, fragment: str) -> None:
    with pytest.raises(CodebookError) as caught:
        parse_codebook(text, "user.toml")
    assert caught.value.line == line
    assert str(caught.value).startswith(f"user.toml:{line}: ")
    assert fragment in str(caught.value)


def test_context_and_limit_parse() -> None:
    text = (
        'max_themes = 2\n[context]\nfocused-visit = ["a"]\n\n'
        '[[theme]]\nid = "a"\nphrases = ["x"]\nweight = 2\n'
    )
    codebook = parse_codebook(text)
    assert codebook.max_themes == 2
    assert codebook.context == {"focused-visit": ("a",)}
    assert codebook.themes[0].weight == 2.0


def test_acronyms_are_a_pattern_kind_and_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[[theme]]\nid = "send-only"\nacronyms = ["SEND"]\n', encoding="utf-8")
    (theme,) = load_codebook(path, extend=False).themes
    assert theme.acronyms == ("SEND",) and theme.pattern_count == 1
    path.write_text('[[theme]]\nid = "bad"\nacronyms = [3]\n', encoding="utf-8")
    with pytest.raises(CodebookError, match=r"mine.toml:1"):
        load_codebook(path, extend=False)


def test_default_agency_per_inspection_type_must_name_an_agency(tmp_path: Path) -> None:
    path = tmp_path / "agencies.toml"
    body = '[[agency]]\nid = "police"\nphrases = ["police"]\n'
    path.write_text(f'[default_for]\narea-send = "police"\n\n{body}', encoding="utf-8")
    assert load_agencies(path).default_for == {"area-send": "police"}
    path.write_text(f'[default_for]\narea-send = "courts"\n\n{body}', encoding="utf-8")
    with pytest.raises(CodebookError, match=r"agencies.toml:2: \[default_for\] 'area-send'"):
        load_agencies(path)
