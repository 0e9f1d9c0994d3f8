"""Facts about local authorities: DfE and ONS codes, region, statistical neighbours.

``data/area_facts.csv`` (written by ``scripts/build_area_facts.py`` from the
reference lookup of English authorities with children's services) is read
here and nowhere else. It gives benchmarks their comparison groups: an area's
ten DfE statistical neighbours (nearest first), the other areas of its region,
or every area (England).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

#: What ``compare AREA --against`` accepts.
BENCHMARKS: tuple[str, ...] = ("neighbours", "region", "england")


@dataclass(frozen=True, slots=True)
class AreaFacts:
    """One local authority's codes, region and statistical neighbours (short names)."""

    name: str
    dfe_code: str
    ons_code: str | None
    region_code: str | None
    region: str
    neighbours: tuple[str, ...]


@lru_cache(maxsize=1)
def area_facts() -> dict[str, AreaFacts]:
    """Every area's facts, keyed by short name (read once per process)."""
    text = resources.files("jtai_tools").joinpath("data/area_facts.csv").read_text("utf-8")
    facts = {}
    for row in csv.DictReader(text.splitlines()):
        facts[row["name"]] = AreaFacts(
            name=row["name"],
            dfe_code=row["dfe_code"],
            ons_code=row["ons_code"] or None,
            region_code=row["region_code"] or None,
            region=row["region"],
            neighbours=tuple(n for n in row["neighbours"].split("|") if n),
        )
    return facts


def facts_for(name: str) -> AreaFacts | None:
    """The facts of one area by short name, or None for an area the table does not hold."""
    return area_facts().get(name)


def benchmark_group(name: str, against: str) -> tuple[str, list[str] | None]:
    """A description and the areas an area is benchmarked against (the area itself excluded).

    ``against`` is one of :data:`BENCHMARKS`. ``england`` gives None: every
    other area, whether or not the table knows it. The others need the area's
    facts and raise :class:`KeyError` naming the area when there are none.
    """
    if against not in BENCHMARKS:
        raise ValueError(f"benchmark {against!r}: expected one of {', '.join(BENCHMARKS)}")
    if against == "england":
        return "England (every other area)", None
    facts = facts_for(name)
    if facts is None:
        raise KeyError(name)
    if against == "neighbours":
        return f"{name}'s {len(facts.neighbours)} statistical neighbours", list(facts.neighbours)
    region = sorted(a.name for a in area_facts().values()
                    if a.region == facts.region and a.name != name)
    return f"{facts.region} (the region's other areas)", region
