"""Draw the findings that coders label from an extracted database of the corpus.

The labelled set that trains the tagger comes from ``../shared/corpus``, never
from the gold set. This script takes a database made by ``jtai extract
../shared/corpus --db FILE`` and writes batches of findings for coders:
per report, up to ``--list-items`` list items and ``--sentences`` narrative
sentences, drawn with a fixed seed so the same database gives the same
batches. Each finding carries the sentence before it as ``context`` (for
pronouns: "This is not yet the case") and keeps its report, section and a
stable id. No tag of the tagger goes into a batch: coders label from the
codebook alone.

    python scripts/label_pool.py --db corpus.db --out labels/pool
    python scripts/label_pool.py --db corpus.db --out labels/pool --remaining-lists --first 23

``--remaining-lists`` writes, after the first batches, every list item of the
database that no batch holds yet (list items are fewer than sentences, and
each is worth labelling), starting at batch ``--first``.
``--more-sentences K`` draws, per report, up to K further narrative sentences
that no batch holds yet (a second, larger sample of the sentences, which are
95% of all findings):

    python scripts/label_pool.py --db corpus.db --out labels/pool --more-sentences 12 --first 29
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
from pathlib import Path

from jtai_tools.vocab import section_roles

#: Sections whose items are drawn, and narrative sections whose sentences are (data/sections.toml).
LIST_KINDS = section_roles().lists
NARRATIVE_KINDS = frozenset(section_roles().labelled)


def _report_rows(conn: sqlite3.Connection) -> dict[str, list[sqlite3.Row]]:
    rows = conn.execute(
        "SELECT f.report_id, r.inspection_type, f.position, f.section_kind, f.section_heading,"
        " f.text FROM findings f JOIN reports r ON r.id = f.report_id"
        " ORDER BY f.report_id, f.position"
    ).fetchall()
    by_report: dict[str, list[sqlite3.Row]] = {}
    for row in rows:
        by_report.setdefault(row["report_id"], []).append(row)
    return by_report


def _usable(text: str) -> bool:
    """Fragments too short to judge (a stray label, a page reference) are not labelled."""
    return len(text.split()) >= 4


def draw(conn: sqlite3.Connection, list_items: int, sentences: int,
         seed: int) -> list[dict[str, object]]:
    """The sampled findings of every report, in report order."""
    rng = random.Random(seed)
    drawn: list[dict[str, object]] = []
    for report_id, rows in sorted(_report_rows(conn).items()):
        previous = _previous_texts(rows)
        lists = [r for r in rows if r["section_kind"] in LIST_KINDS and _usable(r["text"])]
        narrative = [r for r in rows
                     if r["section_kind"] in NARRATIVE_KINDS and _usable(r["text"])]
        chosen = rng.sample(lists, min(list_items, len(lists)))
        chosen += rng.sample(narrative, min(sentences, len(narrative)))
        drawn += [_pool_row(report_id, row, previous[row["position"]]
                            if row["section_kind"] in NARRATIVE_KINDS else "")
                  for row in sorted(chosen, key=lambda r: r["position"])]
    return drawn


def _previous_texts(rows: list[sqlite3.Row]) -> dict[int, str]:
    """Each finding's position mapped to the text of the finding before it (its context)."""
    texts = [""] + [row["text"] for row in rows]
    return {row["position"]: texts[i] for i, row in enumerate(rows)}


def _pool_row(report_id: str, row: sqlite3.Row, context: str) -> dict[str, object]:
    """One finding as a line of a batch."""
    return {
        "id": f"{report_id}#{row['position']}",
        "report": report_id,
        "inspection_type": row["inspection_type"],
        "section": row["section_kind"],
        "heading": row["section_heading"],
        "context": context,
        "text": row["text"],
    }


def remaining_lists(conn: sqlite3.Connection, pool: Path, seed: int) -> list[dict[str, object]]:
    """Every usable list item that no batch in ``pool`` holds, reports in shuffled order."""
    taken = _taken(pool)
    rest = [
        _pool_row(report_id, row, "")
        for report_id, rows in sorted(_report_rows(conn).items()) for row in rows
        if row["section_kind"] in LIST_KINDS and _usable(row["text"])
        and f"{report_id}#{row['position']}" not in taken
    ]
    return _shuffle_reports(rest, seed)


def more_sentences(conn: sqlite3.Connection, pool: Path, per_report: int,
                   seed: int) -> list[dict[str, object]]:
    """Up to ``per_report`` narrative sentences of each report that no batch in ``pool`` holds."""
    taken = _taken(pool)
    rng = random.Random(seed)
    drawn: list[dict[str, object]] = []
    for report_id, rows in sorted(_report_rows(conn).items()):
        previous = _previous_texts(rows)
        free = [r for r in rows if r["section_kind"] in NARRATIVE_KINDS and _usable(r["text"])
                and f"{report_id}#{r['position']}" not in taken]
        drawn += [_pool_row(report_id, row, previous[row["position"]])
                  for row in sorted(rng.sample(free, min(per_report, len(free))),
                                    key=lambda r: r["position"])]
    return _shuffle_reports(drawn, seed)


def _taken(pool: Path) -> set[str]:
    """Ids of every finding some batch in ``pool`` already holds."""
    return {json.loads(line)["id"] for path in sorted(pool.glob("batch-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()}


def _shuffle_reports(findings: list[dict[str, object]], seed: int) -> list[dict[str, object]]:
    """Findings grouped by report, reports in a shuffled order, findings in printed order."""
    reports = sorted({str(f["report"]) for f in findings})
    random.Random(seed).shuffle(reports)
    order = {r: i for i, r in enumerate(reports)}
    return sorted(findings, key=lambda f: (order[str(f["report"])],
                                           int(str(f["id"]).rsplit("#", 1)[1])))


def batches(findings: list[dict[str, object]], size: int) -> list[list[dict[str, object]]]:
    """Consecutive batches of about ``size`` findings that never split a report."""
    out: list[list[dict[str, object]]] = [[]]
    for report in dict.fromkeys(str(f["report"]) for f in findings):
        group = [f for f in findings if f["report"] == report]
        if out[-1] and len(out[-1]) + len(group) > size:
            out.append([])
        out[-1].extend(group)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--list-items", type=int, default=8)
    parser.add_argument("--sentences", type=int, default=14)
    parser.add_argument("--batch-size", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--remaining-lists", action="store_true")
    parser.add_argument("--more-sentences", type=int, default=0, metavar="K",
                        help="per report, K more narrative sentences no batch holds yet")
    parser.add_argument("--first", type=int, default=1, help="number of the first batch")
    args = parser.parse_args()
    conn = sqlite3.connect(args.db)
    conn.row_factory = sqlite3.Row
    if args.remaining_lists:
        findings = remaining_lists(conn, args.out, seed=7)
    elif args.more_sentences:
        findings = more_sentences(conn, args.out, args.more_sentences, args.seed + 1)
    else:
        findings = _shuffle_reports(draw(conn, args.list_items, args.sentences, args.seed),
                                    args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for number, batch in enumerate(batches(findings, args.batch_size), start=args.first):
        path = args.out / f"batch-{number:02d}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for finding in batch:
                handle.write(json.dumps(finding, ensure_ascii=False) + "\n")
        print(f"{path}: {len(batch)} findings, {len({f['report'] for f in batch})} reports")


if __name__ == "__main__":
    main()
