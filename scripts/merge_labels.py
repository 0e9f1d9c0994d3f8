"""Merge the coders' batches into labels/findings.jsonl and measure how far coders agree.

For each pool batch, the coded files ``labels/coded/batch-NN.CODER.jsonl``
that label every finding of it are merged: with one coder, that coder's
labels; with three, the majority (a theme or agency is kept when at least two
coders gave it; the polarity two or three coders chose, else the first
coder's in name order) under coder ``majority``. Incomplete files are left
out and named. Pairwise agreement on the multiply-coded batches (theme and
agency micro-F1 between two coders, polarity accuracy) is printed and written
to ``labels/agreement.json``.

    python scripts/merge_labels.py
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

from jtai_tools.vocab import section_roles

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "labels"
NARRATIVE = section_roles().narrative


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _micro_f1(pairs: list[tuple[set[str], set[str]]]) -> float:
    tp = sum(len(a & b) for a, b in pairs)
    fp = sum(len(b - a) for a, b in pairs)
    fn = sum(len(a - b) for a, b in pairs)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def majority(codings: list[dict]) -> dict:
    """Themes and agencies two of three coders gave; polarity by vote, ties to the first."""
    need = len(codings) // 2 + 1
    themes = Counter(t for c in codings for t in set(c["themes"]))
    agencies = Counter(a for c in codings for a in set(c["agencies"]))
    votes = Counter(c["polarity"] for c in codings)
    polarity, count = votes.most_common(1)[0]
    if count < need:
        polarity = codings[0]["polarity"]
    order = [t for c in codings for t in c["themes"]]
    return {
        "themes": sorted({t for t, n in themes.items() if n >= need}, key=order.index)[:3],
        "polarity": polarity,
        "agencies": sorted(a for a, n in agencies.items() if n >= need),
    }


def agreement(pool: list[dict], coded: dict[str, dict[str, dict]]) -> dict:
    """Pairwise agreement of the coders of one batch, over all, narrative and list findings."""
    result = {}
    for a, b in itertools.combinations(sorted(coded), 2):
        row = {}
        for part, keep in (("all", lambda f: True), ("narrative", lambda f: f["section"] in
                           NARRATIVE), ("list", lambda f: f["section"] not in NARRATIVE)):
            ids = [f["id"] for f in pool if keep(f)]
            if not ids:  # a batch of narrative sentences only has no list part to score
                continue
            row[part] = {
                "findings": len(ids),
                "theme_micro_f1": round(_micro_f1(
                    [(set(coded[a][i]["themes"]), set(coded[b][i]["themes"])) for i in ids]), 4),
                "polarity_agreement": round(sum(
                    coded[a][i]["polarity"] == coded[b][i]["polarity"] for i in ids)
                    / max(len(ids), 1), 4),
                "agency_micro_f1": round(_micro_f1(
                    [(set(coded[a][i]["agencies"]), set(coded[b][i]["agencies"]))
                     for i in ids]), 4),
            }
        result[f"{a} ~ {b}"] = row
    return result


def main() -> None:
    merged: list[dict] = []
    report: dict[str, dict] = {}
    for pool_path in sorted((LABELS / "pool").glob("batch-*.jsonl")):
        batch = pool_path.stem
        pool = _read_jsonl(pool_path)
        ids = {f["id"] for f in pool}
        coded: dict[str, dict[str, dict]] = {}
        for path in sorted((LABELS / "coded").glob(f"{batch}.*.jsonl")):
            rows = {r["id"]: r for r in _read_jsonl(path)}
            if set(rows) >= ids:
                coded[path.name.split(".")[1]] = rows
            else:
                print(f"{path}: {len(ids - set(rows))} of {len(ids)} findings unlabelled; left out")
        if not coded:
            continue
        if len(coded) > 1:
            report[batch] = agreement(pool, coded)
        for finding in pool:
            codings = [coded[c][finding["id"]] for c in sorted(coded)]
            labels = majority(codings) if len(codings) > 1 else codings[0]
            merged.append({
                "id": finding["id"],
                "report": finding["report"],
                "section": finding["section"],
                "text": finding["text"],
                "themes": list(labels["themes"]),
                "polarity": labels["polarity"],
                "agencies": sorted(labels["agencies"]),
                "coder": "majority" if len(codings) > 1 else sorted(coded)[0],
            })
    with (LABELS / "findings.jsonl").open("w", encoding="utf-8") as handle:
        for row in merged:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (LABELS / "agreement.json").write_text(json.dumps(report, indent=1) + "\n")
    narrative = sum(r["section"] in NARRATIVE for r in merged)
    print(f"labels/findings.jsonl: {len(merged)} findings ({narrative} narrative,"
          f" {len(merged) - narrative} list items) from {len({r['report'] for r in merged})}"
          f" reports; {sum(r['coder'] == 'majority' for r in merged)} by three coders")
    for batch, pairs in report.items():
        for pair, parts in pairs.items():
            figures = ", ".join(f"{part} themes {v['theme_micro_f1']:.3f} polarity"
                                f" {v['polarity_agreement']:.3f}"
                                f" agencies {v['agency_micro_f1']:.3f}"
                                for part, v in parts.items())
            print(f"{batch} {pair}: {figures}")


if __name__ == "__main__":
    main()
