"""The data files of the vocabulary module agree with each other and load once."""

from __future__ import annotations

from jtai_tools.models import POLARITIES, SECTION_KINDS, Section
from jtai_tools.sections import build_findings
from jtai_tools.vocab import read_toml, section_roles


def test_every_heading_names_a_section_kind_of_sections_toml() -> None:
    kinds = {entry["kind"] for entry in read_toml("headings.toml")["section"]}
    assert kinds <= set(section_roles().kinds)
    assert set(section_roles().kinds) - kinds == {"other"}  # what no heading names


def test_section_roles_are_consistent() -> None:
    roles = section_roles()
    assert roles.kinds == SECTION_KINDS
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
