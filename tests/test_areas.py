"""Local authority facts: codes, regions and statistical neighbours from the reference lookup."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jtai_tools.areas import area_facts, benchmark_group, facts_for
from jtai_tools.metadata import known_areas

ROOT = Path(__file__).resolve().parents[1]
LOOKUP = ROOT.parent / "shared" / "reference" / "la_lookup.csv"


def test_every_area_has_codes_a_region_and_known_neighbours() -> None:
    facts = area_facts()
    assert len(facts) == 156
    assert set(facts) <= set(known_areas())
    sutton = facts_for("sutton")
    assert sutton is not None
    assert (sutton.dfe_code, sutton.ons_code, sutton.region) == ("319", "E09000029", "London")
    assert sutton.neighbours[0] == "merton" and len(sutton.neighbours) == 10
    for area in facts.values():
        assert set(area.neighbours) <= set(facts), area.name
        assert area.name not in area.neighbours
    assert {a.region for a in facts.values()} >= {"London", "North East", "South West"}


def test_benchmark_groups() -> None:
    described, neighbours = benchmark_group("sutton", "neighbours")
    assert described == "sutton's 10 statistical neighbours" and neighbours[0] == "merton"
    _, region = benchmark_group("sutton", "region")
    assert region is not None and "lewisham" in region and "sutton" not in region
    assert "surrey" not in region
    assert benchmark_group("sutton", "england")[1] is None
    with pytest.raises(KeyError):
        benchmark_group("atlantis", "neighbours")
    with pytest.raises(ValueError, match="expected one of"):
        benchmark_group("sutton", "galaxy")


@pytest.mark.skipif(not LOOKUP.exists(), reason="needs ../shared/reference/la_lookup.csv")
def test_the_data_file_is_what_the_reference_lookup_gives() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_area_facts.py"),
                             str(LOOKUP), "--check"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
