"""Write ``src/jtai_tools/data/area_facts.csv`` from the reference local authority lookup.

The lookup (``../shared/reference/la_lookup.csv``: DfE and ONS codes, region,
the ten DfE statistical neighbours as DfE codes) names authorities the ONS
way ("Bristol, City of"); this script keys each row by the short name the
project uses (``data/areas.csv``, via :func:`jtai_tools.metadata.resolve_area`)
and turns the neighbours' codes into those names, nearest first, so that the
package carries the facts without the reference file at run time.

    python scripts/build_area_facts.py [LOOKUP] [--check]

``--check`` exits 1 when the committed file differs from what would be written.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from jtai_tools.metadata import known_areas, resolve_area

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOOKUP = ROOT.parent / "shared" / "reference" / "la_lookup.csv"
OUTPUT = ROOT / "src" / "jtai_tools" / "data" / "area_facts.csv"

COLUMNS = ("name", "dfe_code", "ons_code", "region_code", "region", "neighbours")


def short_name(row: dict[str, str]) -> str:
    """The project's short name for a lookup row (ONS name, else its other names)."""
    candidates = [row["local_authority_ons_name"], row["ltla23nm"], row["utla23nm"]]
    candidates += row["also_known_as"].strip("[]").split(",")
    for candidate in candidates:
        name = resolve_area(candidate.strip()) if candidate.strip() else None
        if name:
            return name
    raise SystemExit(f"{row['local_authority_ons_name']}: no area of data/areas.csv matches")


def build(lookup: Path) -> str:
    """The CSV text, rows sorted by name, neighbours pipe-separated nearest first."""
    with lookup.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = {row["la_code"]: short_name(row) for row in rows}
    unknown = sorted(set(known_areas()) - set(names.values()))
    if unknown:
        print(f"note: no reference facts for {', '.join(unknown)}", file=sys.stderr)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in sorted(rows, key=lambda r: names[r["la_code"]]):
        codes = [c.strip() for c in row["stat_neighbours"].split(",") if c.strip()]
        writer.writerow([names[row["la_code"]], row["la_code"], row["la_code_new"],
                         row["rgn22cd"], row["region_name"],
                         "|".join(names[c] for c in codes)])
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lookup", nargs="?", type=Path, default=DEFAULT_LOOKUP)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = build(args.lookup)
    if args.check:
        same = OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == text
        print(f"{OUTPUT}: {'up to date' if same else 'out of date'}", file=sys.stderr)
        return 0 if same else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({text.count(chr(10)) - 1} areas)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
