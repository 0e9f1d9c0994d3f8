"""The data files of the vocabulary module agree with each other and load once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jtai_tools import vocab
from jtai_tools.clean.common import Layout, layout
from jtai_tools.errors import DataFileError
from jtai_tools.models import POLARITIES, Section
from jtai_tools.read import ReadLimits, default_limits
from jtai_tools.sections import build_findings
from jtai_tools.train import load_settings
from jtai_tools.vocab import (
    data_record,
    parse_section_roles,
    read_toml,
    section_roles,
    table_record,
)


def test_every_heading_names_a_section_kind_of_sections_toml() -> None:
    kinds = {entry["kind"] for entry in read_toml("headings.toml")["section"]}
    assert kinds <= set(section_roles().kinds)
    assert set(section_roles().kinds) - kinds == {"other"}  # what no heading names


def test_section_roles_are_consistent() -> None:
    roles = section_roles()
    assert roles.kinds[0] == "headline" and roles.kinds[-1] == "other"
    assert not roles.lists & roles.narrative
    assert set(roles.improvement) <= roles.lists
    assert set(roles.polarity) == roles.lists
    assert set(roles.polarity.values()) <= set(POLARITIES)
    assert set(roles.labelled) <= roles.narrative
    assert section_roles() is roles  # read once


def test_a_section_role_decides_what_becomes_a_finding() -> None:
    sections = [Section(kind=kind, heading=kind, paragraphs=["One point. Another point."],
                        items=["An item."]) for kind in section_roles().kinds]
    findings = build_findings(sections)
    by_kind = {kind: [f.text for f in findings if f.section_kind == kind]
               for kind in section_roles().kinds}
    for kind in section_roles().lists:
        assert by_kind[kind] == ["An item."]
    for kind in section_roles().narrative:
        assert by_kind[kind] == ["One point.", "Another point."]
    assert by_kind["judgements"] == by_kind["other"] == []


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"improve": {"role": "list"}}, "[improve]: a polarity goes with role list"),
        ({"improve": {"role": "lists", "polarity": "concern"}}, "[improve]: role 'lists' is not"),
        ({"headline": {"role": "narrative", "labeled": True}},
         "[headline]: unknown key 'labeled' (expected one of role,"),
        ({"headline": {"role": "narrative", "labelled": "yes"}},
         "[headline]: 'labelled' must be bool, not 'yes'"),
        ({"headline": {}}, "[headline]: missing key 'role'"),
    ],
)
def test_a_bad_sections_file_is_one_line_naming_file_and_table(
        table: dict[str, Any], message: str) -> None:
    with pytest.raises(DataFileError) as caught:
        parse_section_roles(table, "mine.toml")
    assert str(caught.value).startswith(f"mine.toml: {message}")
    assert "\n" not in str(caught.value) and caught.value.exit_code == 2


def test_settings_tables_are_checked_by_type(tmp_path: Path) -> None:
    path = tmp_path / "training.toml"
    settings = read_toml("training.toml")["training"]
    path.write_text("[training]\n" + "\n".join(
        f"{k} = {v!r}" for k, v in {**settings, "folds": "5"}.items()), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"training.toml: \[training\]: 'folds' must be int"):
        load_settings(path)
    path.write_text("[training]\n" + "\n".join(
        f"{k} = {v!r}" for k, v in {**settings, "folds": True}.items()).replace("True", "true"),
        encoding="utf-8")
    with pytest.raises(DataFileError, match="'folds' must be int, not True"):
        load_settings(path)
    layout_values = {k: v for t in read_toml("layout.toml").values() for k, v in t.items()}
    assert table_record(Layout, layout_values, "x") == layout()
    with pytest.raises(DataFileError, match="x: 'x_tolerance' must be float, not 'wide'"):
        table_record(Layout, {**layout_values, "x_tolerance": "wide"}, "x")


def test_a_data_file_of_grouped_fields_is_one_record(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = data_record(ReadLimits, "limits.toml")
    assert limits == default_limits() and limits.max_pdf_bytes == 250_000_000
    tables = {"pdf": {**read_toml("limits.toml")["pdf"], "max_line_chars": 5},
              "text": read_toml("limits.toml")["text"]}
    monkeypatch.setattr(vocab, "read_toml", lambda name: tables)
    with pytest.raises(DataFileError, match=r"^data/limits.toml: a key is in two tables$"):
        data_record(ReadLimits, "limits.toml")


@pytest.mark.parametrize("text", [
    "", " ", "plain line", " plain line ", "two  spaces", "tab\there", "line\u2028break",
    "vertical\x0btab", "no\u00a0break", "ideographic\u3000space", "thin\u2009space ",
    "e\ufb00ective and \u201cquoted\u201d\u00a0 ", "\u00adsoft  hyphen\r", "  \x1c  ",
])
def test_normalised_chars_are_the_translation_with_one_space_between_words(text: str) -> None:
    # The shortcuts (no translation when nothing would change, only a strip when no
    # space folds) give what translating and splitting on every kind of space does.
    translated = text.translate(str.maketrans({
        **vocab.read_toml("characters.toml")["spaces"],
        **vocab.read_toml("characters.toml")["print"]}))
    if text.isascii() and "\t" not in text and "\r" not in text:
        translated = text
    assert vocab.normalise_chars(text) == " ".join(translated.split())
