#!/usr/bin/env python3
"""Score report extraction against a hand-checked gold set.

For every gold file in ``GOLD/reports`` the report file it names is found in
``REPORTS/pdf`` or ``REPORTS/text`` and extracted with
:func:`jtai_tools.extract.extract_file`. The script then compares:

- improvement items (gold ``improve`` = items of improvement lists and of
  recommendation lists) and strengths items, as multisets of texts compared
  after whitespace and quote normalisation (typographic quotes are a matter
  of print, not of content);
- section headings (informational only);
- metadata: area, inspection type, date, fieldwork start and end,
  inspectorates (as sets), JTAI focus and judgements (exact dict);
- where the gold records them (``lead_inspector``, ``improve_groups``), the
  lead inspector and each improvement item's group, as reported figures.

An item's group is the sub-heading it is printed under inside its list
(``Section.groups``); where a report prints several improvement lists and an
item has no sub-heading, the gold names its list's heading, and so does the
score. Gold sets other than ``../shared/gold`` (``labels/extraction`` of this
repository, whose reports are in ``../shared/corpus``) are scored the same way.

It prints one line per report and a summary, or the figures as JSON with
``--json``. With ``--check`` it exits 1 unless the accuracy targets are met.

Usage::

    scripts/score_extraction.py --reports ../shared/reports --gold ../shared/gold [--check] [--json]
    scripts/score_extraction.py --reports ../shared/corpus --gold labels/extraction \
        --min-f1 0.99 --check
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jtai_tools.extract import extract_file
from jtai_tools.models import Report
from jtai_tools.read import InputError
from jtai_tools.vocab import plain, section_roles

#: Section kinds whose items the gold set counts as improvement items, and the
#: other list kinds, as strengths (data/sections.toml).
IMPROVE_KINDS = frozenset(section_roles().improvement)
STRENGTH_KINDS = section_roles().lists - IMPROVE_KINDS

#: Targets checked by ``--check``.
MIN_ITEM_F1 = 0.97
MIN_METADATA_SHARE = 0.97

_SPACE = re.compile(r"\s+")

METADATA_FIELDS: tuple[str, ...] = (
    "area",
    "inspection_type",
    "date",
    "fieldwork_start",
    "fieldwork_end",
    "inspectorates",
    "jtai_focus",
    "judgements",
)


def normalise(text: str) -> str:
    """Text as compared: whitespace collapsed, typographic quotes made straight."""
    return _SPACE.sub(" ", plain(text)).strip()


@dataclass(slots=True)
class ItemScore:
    """Matched, extracted and expected counts of one list kind."""

    tp: int = 0
    found: int = 0
    expected: int = 0

    def add(self, other: ItemScore) -> None:
        self.tp += other.tp
        self.found += other.found
        self.expected += other.expected

    @property
    def precision(self) -> float:
        return self.tp / self.found if self.found else (1.0 if not self.expected else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / self.expected if self.expected else (1.0 if not self.found else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class ReportScore:
    """Everything measured for one gold file."""

    gold_file: str
    report_file: str
    inspection_type: str
    improve: ItemScore
    strengths: ItemScore
    items_exact: bool
    headings_found: int
    headings_expected: int
    metadata_ok: dict[str, bool]
    metadata_diff: dict[str, tuple[Any, Any]]
    seconds: float
    graded: bool = False
    lead_inspector_ok: bool | None = None  # None: the gold does not record it
    groups_right: int = 0  # matched improvement items whose group is right
    groups_compared: int = 0
    error: str | None = None
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


def score_items(found: list[str], expected: list[str]) -> ItemScore:
    """Multiset match of normalised item texts."""
    got = Counter(normalise(t) for t in found)
    want = Counter(normalise(t) for t in expected)
    return ItemScore(tp=sum((got & want).values()), found=len(found), expected=len(expected))


def report_items(report: Report, kinds: frozenset[str]) -> list[str]:
    """The items of every section of the given kinds, in document order."""
    return [item for s in report.sections if s.kind in kinds for item in s.items]


def report_groups(report: Report) -> list[tuple[str, str | None]]:
    """(item, group) of each improvement item: its sub-heading, else its list's heading.

    The list's heading counts only where the report prints several
    improvement lists (area SEND "Areas for priority action" and "Areas for
    improvement"); an item of a report's one list has no group.
    """
    lists = [s for s in report.sections if s.kind in IMPROVE_KINDS and s.items]
    pairs: list[tuple[str, str | None]] = []
    for section in lists:
        fallback = section.heading if len(lists) > 1 else None
        for index, item in enumerate(section.items):
            group = section.groups[index] if section.groups else None
            pairs.append((item, group or fallback))
    return pairs


def score_groups(got: list[tuple[str, str | None]], want: list[tuple[str, str | None]]
                 ) -> tuple[int, int]:
    """(right, compared): matched items, paired in order by text, whose groups agree."""
    found: dict[str, list[str | None]] = {}
    for item, group in got:
        found.setdefault(normalise(item), []).append(group)
    right = compared = 0
    for item, group in want:
        groups = found.get(normalise(item))
        if not groups:
            continue
        mine = groups.pop(0)
        compared += 1
        right += _group_key(mine) == _group_key(group)
    return right, compared


def _group_key(group: str | None) -> str | None:
    return normalise(group).rstrip(":").lower() if group else None


def report_metadata(report: Report) -> dict[str, Any]:
    """The extracted values of the metadata fields, shaped like the gold fields."""
    return {
        "area": report.area.name,
        "inspection_type": report.inspection_type,
        "date": report.date,
        "fieldwork_start": report.fieldwork.start,
        "fieldwork_end": report.fieldwork.end,
        "inspectorates": sorted(report.inspectorates),
        "jtai_focus": report.jtai_focus,
        "judgements": dict(report.judgements),
    }


def gold_metadata(gold: dict[str, Any]) -> dict[str, Any]:
    return {
        "area": gold.get("area"),
        "inspection_type": gold.get("inspection_type"),
        "date": gold.get("letter_or_publication_date"),
        "fieldwork_start": gold.get("fieldwork_start"),
        "fieldwork_end": gold.get("fieldwork_end"),
        "inspectorates": sorted(gold.get("inspectorates") or []),
        "jtai_focus": gold.get("jtai_theme"),
        "judgements": dict(gold.get("judgements") or {}),
    }


def _same(field_name: str, got: Any, want: Any) -> bool:
    if isinstance(got, str) and isinstance(want, str) and field_name in ("area", "jtai_focus"):
        return _name_key(got) == _name_key(want)
    return bool(got == want)


def _name_key(text: str) -> str:
    """A name as compared: case, quotes and "&" for "and" do not count."""
    return normalise(text).lower().replace(" & ", " and ")


def find_report_file(reports: Path, name: str) -> Path | None:
    for folder in ("pdf", "text"):
        candidate = reports / folder / name
        if candidate.is_file():
            return candidate
    candidate = reports / name
    return candidate if candidate.is_file() else None


def section_signature(report: Report) -> list[tuple[str, str, list[str]]]:
    """Sections as compared between editions of one report: kind, heading and items, normalised.

    Only the report's recognised sections (a known kind, or any section with
    list items) count: cover pages, tables and sign-off blocks are laid out
    differently in a text extraction and are not part of the report's content.
    """
    return [(s.kind, normalise(s.heading).lower(), [normalise(i) for i in s.items])
            for s in report.sections if s.kind != "other" or s.items]


def score_report(gold_path: Path, reports: Path) -> tuple[ReportScore, Report | None]:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    name = gold["file"]
    path = find_report_file(reports, name)
    want_meta = gold_metadata(gold)
    empty = ItemScore(expected=len(gold.get("improve", [])))
    if path is None:
        error = f"{name}: report file not found under {reports}"
    else:
        start = time.perf_counter()
        try:
            report = extract_file(path)
        except InputError as exc:
            error = str(exc)
        else:
            seconds = time.perf_counter() - start
            return _compare(gold_path.name, name, gold, want_meta, report, seconds), report
    return ReportScore(
        gold_file=gold_path.name, report_file=name, inspection_type=gold.get("inspection_type", ""),
        improve=empty, strengths=ItemScore(expected=len(gold.get("strengths", []))),
        items_exact=False, headings_found=0, headings_expected=len(gold.get("headings", [])),
        metadata_ok=dict.fromkeys(METADATA_FIELDS, False), metadata_diff={}, seconds=0.0,
        graded=bool(gold.get("judgements")), error=error,
    ), None


def _compare(gold_file: str, name: str, gold: dict[str, Any], want_meta: dict[str, Any],
             report: Report, seconds: float) -> ReportScore:
    improve_got = report_items(report, IMPROVE_KINDS)
    strengths_got = report_items(report, STRENGTH_KINDS)
    improve_want = list(gold.get("improve", []))
    strengths_want = list(gold.get("strengths", []))
    exact = ([normalise(t) for t in improve_got] == [normalise(t) for t in improve_want]
             and [normalise(t) for t in strengths_got] == [normalise(t) for t in strengths_want])
    got_meta = report_metadata(report)
    ok = {f: _same(f, got_meta[f], want_meta[f]) for f in METADATA_FIELDS}
    diff = {f: (got_meta[f], want_meta[f]) for f in METADATA_FIELDS if not ok[f]}
    got_headings = {normalise(s.heading).lower() for s in report.sections if s.heading}
    want_headings = [normalise(h).lower() for h in gold.get("headings", [])]
    missing = sorted((Counter(map(normalise, improve_want + strengths_want))
                      - Counter(map(normalise, improve_got + strengths_got))).elements())
    extra = sorted((Counter(map(normalise, improve_got + strengths_got))
                    - Counter(map(normalise, improve_want + strengths_want))).elements())
    lead_ok = None
    if "lead_inspector" in gold:
        lead_ok = _name_key(report.lead_inspector or "") == _name_key(gold["lead_inspector"] or "")
    groups_right = groups_compared = 0
    if "improve_groups" in gold:
        groups_right, groups_compared = score_groups(
            report_groups(report), list(zip(improve_want, gold["improve_groups"], strict=True)))
    return ReportScore(
        gold_file=gold_file, report_file=name, inspection_type=gold.get("inspection_type", ""),
        lead_inspector_ok=lead_ok, groups_right=groups_right, groups_compared=groups_compared,
        improve=score_items(improve_got, improve_want),
        strengths=score_items(strengths_got, strengths_want),
        items_exact=exact,
        headings_found=sum(h in got_headings for h in want_headings),
        headings_expected=len(want_headings),
        metadata_ok=ok, metadata_diff=diff, seconds=seconds,
        graded=bool(gold.get("judgements")), missing=missing, extra=extra,
    )


def score_corpus(reports: Path, gold: Path) -> dict[str, Any]:
    """Score every gold file; returns the per-report scores and the summary figures."""
    gold_files = sorted((gold / "reports").glob("*.json"))
    if not gold_files:
        raise SystemExit(f"{gold / 'reports'}: no gold files found")
    scores: list[ReportScore] = []
    extracted: dict[str, Report] = {}
    for gold_path in gold_files:
        score, report = score_report(gold_path, reports)
        scores.append(score)
        if report is not None:
            extracted[score.report_file] = report
    return {"scores": scores, "summary": summarise(scores, extracted)}


def summarise(scores: list[ReportScore], extracted: dict[str, Report]) -> dict[str, Any]:
    improve, strengths, both = ItemScore(), ItemScore(), ItemScore()
    for s in scores:
        improve.add(s.improve)
        strengths.add(s.strengths)
        both.add(s.improve)
        both.add(s.strengths)
    n = len(scores)
    share = {f: sum(s.metadata_ok[f] for s in scores) / n for f in METADATA_FIELDS}
    with_grades = [s for s in scores if s.graded]
    jtai = [s for s in scores if s.inspection_type == "jtai"]
    editions = _editions_identical(extracted)
    leads = [s.lead_inspector_ok for s in scores if s.lead_inspector_ok is not None]
    compared = sum(s.groups_compared for s in scores)
    return {
        "reports": n,
        "errors": sum(s.error is not None for s in scores),
        "improve": _figures(improve),
        "strengths": _figures(strengths),
        "items": _figures(both),
        "headings_recall": (sum(s.headings_found for s in scores)
                            / max(1, sum(s.headings_expected for s in scores))),
        "metadata_share": share,
        "judgements_exact": (sum(s.metadata_ok["judgements"] for s in with_grades)
                             / len(with_grades)) if with_grades else 1.0,
        "jtai_letters": len(jtai),
        "jtai_letters_exact": all(s.items_exact for s in jtai) if jtai else None,
        "lead_inspector": {"right": sum(leads), "reports": len(leads),
                           "share": round(sum(leads) / len(leads), 4) if leads else None},
        "groups": {"right": sum(s.groups_right for s in scores), "items": compared,
                   "share": round(sum(s.groups_right for s in scores) / compared, 4)
                   if compared else None},
        "editions": editions[0],
        "editions_identical": editions[1],
        "seconds": sum(s.seconds for s in scores),
    }


def _editions_identical(extracted: dict[str, Report]) -> tuple[int, bool | None]:
    """How many reports were read from more than one file, and whether each gave one result.

    A PDF and its text extraction are editions of one report (the same report
    id); laid out so differently, they must still give the same sections and
    items. ``None`` when no report has two editions.
    """
    editions: dict[str, list[Report]] = {}
    for name in sorted(extracted):
        editions.setdefault(extracted[name].id, []).append(extracted[name])
    groups = [group for group in editions.values() if len(group) > 1]
    if not groups:
        return 0, None
    same = all(
        all(section_signature(other) == section_signature(group[0]) for other in group[1:])
        and any(items for _, _, items in section_signature(group[0]))
        for group in groups
    )
    return len(groups), same


def _figures(score: ItemScore) -> dict[str, float | int]:
    return {"tp": score.tp, "found": score.found, "expected": score.expected,
            "precision": round(score.precision, 4), "recall": round(score.recall, 4),
            "f1": round(score.f1, 4)}


def failures(summary: dict[str, Any], min_f1: float = MIN_ITEM_F1) -> list[str]:
    """The targets not met, one line each."""
    problems: list[str] = []
    for kind in ("improve", "strengths"):
        if summary[kind]["f1"] < min_f1:
            problems.append(f"{kind} item F1 {summary[kind]['f1']:.3f} < {min_f1}")
    for name in ("area", "inspection_type", "date"):
        if summary["metadata_share"][name] < MIN_METADATA_SHARE:
            problems.append(f"{name} right on {summary['metadata_share'][name]:.0%} of reports "
                            f"< {MIN_METADATA_SHARE:.0%}")
    if summary["judgements_exact"] < 1.0:
        problems.append(f"judgements exact on {summary['judgements_exact']:.0%} of graded reports")
    if summary["jtai_letters_exact"] is False:
        problems.append("JTAI letters: not every item exactly right")
    if summary["editions_identical"] is False:
        problems.append("text and PDF editions of a report do not give the same sections and "
                        "items")
    if summary["errors"]:
        problems.append(f"{summary['errors']} report(s) could not be extracted")
    return problems


def _print_report(s: ReportScore) -> None:
    if s.error:
        print(f"{s.gold_file}: ERROR {s.error}")
        return
    meta = "; ".join(f"{k}: got {g!r} want {w!r}" for k, (g, w) in sorted(s.metadata_diff.items()))
    imp, st = s.improve, s.strengths
    print(f"{s.gold_file:<58} improve {imp.tp:>3}/{imp.found:<3}/{imp.expected:<3} "
          f"strengths {st.tp:>3}/{st.found:<3}/{st.expected:<3} "
          f"headings {s.headings_found}/{s.headings_expected} {s.seconds:5.2f}s"
          + (f"\n    metadata: {meta}" if meta else ""))
    for text in s.missing:
        print(f"    missing: {text[:150]}")
    for text in s.extra:
        print(f"    extra:   {text[:150]}")


def _print_summary(summary: dict[str, Any]) -> None:
    print()
    for kind in ("improve", "strengths", "items"):
        f = summary[kind]
        print(f"{kind:<10} P {f['precision']:.3f}  R {f['recall']:.3f}  F1 {f['f1']:.3f}  "
              f"({f['tp']} matched, {f['found']} found, {f['expected']} expected)")
    print(f"headings recall {summary['headings_recall']:.3f}")
    print("metadata right: " + ", ".join(
        f"{k} {v:.0%}" for k, v in summary["metadata_share"].items()))
    print(f"judgements exact (graded reports): {summary['judgements_exact']:.0%}")
    exact = summary["jtai_letters_exact"]
    print(f"JTAI letters ({summary['jtai_letters']} files) all items exact: "
          + ("n/a" if exact is None else "yes" if exact else "no"))
    for name, label, unit in (("lead_inspector", "lead inspector right", "reports"),
                              ("groups", "improvement item groups right", "items")):
        figure = summary[name]
        if figure["share"] is not None:
            count = figure.get("reports", figure.get("items"))
            print(f"{label}: {figure['share']:.1%} ({figure['right']} of {count} {unit})")
    same = summary["editions_identical"]
    print(f"reports read from two editions ({summary['editions']}) same sections and items: "
          + ("n/a" if same is None else "yes" if same else "no"))
    print(f"extraction time: {summary['seconds']:.2f} s for {summary['reports']} reports")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=Path, required=True, help="folder with pdf/ and text/")
    parser.add_argument("--gold", type=Path, required=True, help="gold folder (with reports/)")
    parser.add_argument("--check", action="store_true", help="exit 1 unless targets are met")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--min-f1", type=float, default=MIN_ITEM_F1,
                        help=f"item F1 that --check requires of each list kind ({MIN_ITEM_F1})")
    args = parser.parse_args(argv)
    for folder in (args.reports, args.gold / "reports"):
        if not folder.is_dir():
            print(f"{folder}: no such folder", file=sys.stderr)
            return 2
    result = score_corpus(args.reports, args.gold)
    summary = result["summary"]
    problems = failures(summary, args.min_f1)
    if args.json:
        print(json.dumps({**summary, "failures": problems}, indent=1, sort_keys=True))
    else:
        for score in result["scores"]:
            _print_report(score)
        _print_summary(summary)
        for line in problems:
            print(f"FAILED: {line}")
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
