"""Check one coder's labels for a batch: every finding once, known ids only.

    python scripts/check_labels.py labels/coded/batch-01.coder-01.jsonl

Prints one line per problem (with the line number) and a summary; exits 1
when there is a problem. The theme and agency ids are read from the codebook
(``../shared/themes.md``), the contract the labels must keep.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from jtai_tools.models import POLARITIES
from jtai_tools.vocab import section_roles

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT.parent / "shared" / "themes.md"
#: List section kind -> the polarity its items take (data/sections.toml).
LIST_SECTIONS = section_roles().polarity


def codebook_ids() -> tuple[set[str], set[str]]:
    """Theme ids (the table's first column) and agency ids (the Agencies paragraph)."""
    text = CODEBOOK.read_text(encoding="utf-8")
    themes = set(re.findall(r"^\| `([a-z-]+)` \|", text, flags=re.M))
    agency_part = text.split("Agencies (`agencies` field):", 1)[1].split("\n\n", 1)[0]
    return themes, set(re.findall(r"`([a-z-]+)`", agency_part))


def check(path: Path) -> list[str]:
    themes, agencies = codebook_ids()
    batch = path.name.split(".", 1)[0]
    pool = {}
    for line in (ROOT / "labels" / "pool" / f"{batch}.jsonl").read_text().splitlines():
        row = json.loads(line)
        pool[row["id"]] = row
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{where}: not JSON ({error.msg})")
            continue
        fid = row.get("id")
        if fid not in pool:
            problems.append(f"{where}: unknown id {fid!r}")
            continue
        if fid in seen:
            problems.append(f"{where}: {fid} labelled twice")
        seen.add(fid)
        unknown = [t for t in row.get("themes", []) if t not in themes]
        if unknown or len(row.get("themes", [])) > 3:
            problems.append(f"{where}: themes {row.get('themes')} (unknown: {unknown})")
        if row.get("polarity") not in POLARITIES:
            problems.append(f"{where}: polarity {row.get('polarity')!r}")
        section_polarity = LIST_SECTIONS.get(pool[fid]["section"])
        if section_polarity and row.get("polarity") != section_polarity:
            problems.append(f"{where}: a {pool[fid]['section']} item is {section_polarity}")
        bad = [a for a in row.get("agencies", []) if a not in agencies]
        if bad:
            problems.append(f"{where}: unknown agencies {bad}")
    missing = [fid for fid in pool if fid not in seen]
    if missing:
        problems.append(f"{path}: {len(missing)} of {len(pool)} findings not labelled yet"
                        f" (first: {missing[0]})")
    return problems


def main() -> int:
    status = 0
    for name in sys.argv[1:]:
        problems = check(Path(name))
        for problem in problems:
            print(problem)
        print(f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main())
