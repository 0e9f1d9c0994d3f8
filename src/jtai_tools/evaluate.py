"""Scoring the tagger against hand-labelled findings.

A gold file is JSON Lines, one finding a line::

    {"report": "...", "section": "improve", "text": "...",
     "themes": ["..."], "polarity": "concern", "agencies": ["..."]}

:func:`evaluate` tags each gold text as a finding of its section: an item of
``improve`` or ``strengths`` (whose polarity the section fixes), or a sentence
of a narrative section such as ``main-findings`` or ``headline`` (whose
polarity its own words decide, so a gold file of such sentences scores the
polarity cues). It matches predictions to gold by normalised text, and scores
per theme (precision, recall, F1, Cohen's kappa, support), overall (micro and
macro F1), polarity accuracy and agency micro-F1. :func:`score` does the
matching and scoring for findings tagged elsewhere (e.g. by extraction).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .codebook import Codebook
from .errors import LabelsError
from .models import INSPECTION_TYPES, POLARITIES, Finding
from .tag import Tagger, default_tagger
from .vocab import section_roles

#: Gold ``section`` values and the section kind their findings are tagged as:
#: every section kind a report can have, so that narrative sentences
#: ("main-findings", "headline") are judged by their words as in extraction.
GOLD_SECTIONS: dict[str, str] = {kind: kind for kind in section_roles().kinds}
GOLD_KEYS: tuple[str, ...] = ("report", "section", "text", "themes", "polarity", "agencies")
#: Confusion-matrix column of gold findings that no prediction matched.
UNMATCHED = "unmatched"


class GoldError(LabelsError):
    """A gold file that cannot be scored; ``str()`` is ``FILE:LINE: what is wrong``."""


@dataclass(frozen=True, slots=True)
class GoldFinding:
    """One labelled finding and the line it came from."""

    report: str
    section: str
    text: str
    themes: tuple[str, ...]
    polarity: str
    agencies: tuple[str, ...]
    line: int = 0


@dataclass(slots=True)
class ThemeScore:
    """Agreement on one theme across all findings."""

    theme: str
    support: int
    predicted: int
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float
    kappa: float


@dataclass(slots=True)
class FindingResult:
    """Gold and predicted labels of one finding (for error analysis)."""

    report: str
    text: str
    gold_themes: list[str]
    predicted_themes: list[str]
    gold_polarity: str
    predicted_polarity: str
    gold_agencies: list[str]
    predicted_agencies: list[str]
    matched: bool = True


@dataclass(slots=True)
class EvalResult:
    """Scores of one evaluation run."""

    gold_path: str
    findings: int
    matched: int
    themes: list[ThemeScore]
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_f1: float
    polarity_accuracy: float
    agency_precision: float
    agency_recall: float
    agency_micro_f1: float
    details: list[FindingResult] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Per-theme scores, one row a theme, in codebook order."""
        columns = list(ThemeScore.__dataclass_fields__)
        return pd.DataFrame([asdict(r) for r in self.themes], columns=columns)

    def summary(self) -> dict[str, Any]:
        """The headline figures, JSON-ready."""
        return {
            "gold": self.gold_path,
            "findings": self.findings,
            "matched": self.matched,
            "theme_micro_precision": round(self.micro_precision, 4),
            "theme_micro_recall": round(self.micro_recall, 4),
            "theme_micro_f1": round(self.micro_f1, 4),
            "theme_macro_f1": round(self.macro_f1, 4),
            "polarity_accuracy": round(self.polarity_accuracy, 4),
            "agency_precision": round(self.agency_precision, 4),
            "agency_recall": round(self.agency_recall, 4),
            "agency_micro_f1": round(self.agency_micro_f1, 4),
        }

    def polarity_confusion(self) -> pd.DataFrame:
        """Findings by gold polarity (rows) and predicted polarity (columns).

        Accuracy alone hides which way the tagger errs (strengths read as
        neutral, concerns as mixed ...), which is what a cue list is tuned by.
        Rows and columns are the polarities in their usual order; a column
        "unmatched" counts gold findings with no prediction, when there are any.
        """
        columns = list(POLARITIES)
        if any(not d.matched for d in self.details):
            columns.append(UNMATCHED)
        counts = pd.DataFrame(0, index=pd.Index(POLARITIES, name="gold"), columns=columns)
        for d in self.details:
            predicted = d.predicted_polarity if d.matched else UNMATCHED
            if d.gold_polarity in counts.index and predicted in counts.columns:
                counts.loc[d.gold_polarity, predicted] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """Summary, per-theme rows (rounded) and the polarity confusion matrix, JSON-ready."""
        rows = []
        for row in self.themes:
            data = asdict(row)
            for key in ("precision", "recall", "f1", "kappa"):
                data[key] = round(data[key], 4)
            rows.append(data)
        confusion = {
            gold: {pred: int(n) for pred, n in row.items()}
            for gold, row in self.polarity_confusion().iterrows()
        }
        return {"summary": self.summary(), "themes": rows, "polarity_confusion": confusion}


_PLAIN: dict[str, str | int | None] = {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-"}
_PLAIN_TABLE = str.maketrans(_PLAIN)


def normalise_text(text: str) -> str:
    """Text as compared between gold and predictions: NFKC, plain quotes, one space, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_PLAIN_TABLE)
    return re.sub(r"\s+", " ", text).strip().lower()


def read_gold(path: str | Path) -> list[GoldFinding]:
    """Read and check a gold JSON Lines file; raises :class:`GoldError` naming the bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise GoldError(f"{path}: no such gold file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"{path}: cannot read gold file: {exc}") from None
    gold: list[GoldFinding] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        gold.append(_gold_line(path, number, line))
    if not gold:
        raise GoldError(f"{path}: no findings")
    return gold


def _gold_line(path: Path, number: int, line: str) -> GoldFinding:
    """One gold line, checked key by key so that the error names what is wrong and where."""
    where = f"{path}:{number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GoldError(f"{where}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise GoldError(f"{where}: each line must be a JSON object")
    missing = [k for k in GOLD_KEYS if k not in data]
    if missing:
        raise GoldError(f"{where}: missing {', '.join(missing)}")
    if data["section"] not in GOLD_SECTIONS:
        raise GoldError(
            f"{where}: section {data['section']!r} is not one of {', '.join(GOLD_SECTIONS)}"
        )
    for key in ("themes", "agencies"):
        if not isinstance(data[key], list) or not all(isinstance(v, str) for v in data[key]):
            raise GoldError(f"{where}: {key!r} must be a list of strings")
    for key in ("report", "text", "polarity"):
        if not isinstance(data[key], str):
            raise GoldError(f"{where}: {key!r} must be a string")
    if data["polarity"] not in POLARITIES:
        raise GoldError(
            f"{where}: polarity {data['polarity']!r} is not one of {', '.join(POLARITIES)}"
        )
    return GoldFinding(
        report=data["report"],
        section=data["section"],
        text=data["text"],
        themes=tuple(data["themes"]),
        polarity=data["polarity"],
        agencies=tuple(data["agencies"]),
        line=number,
    )


def evaluate(
    gold_path: str | Path,
    codebook: Codebook | None = None,
    *,
    reports: Callable[[str], bool] | None = None,
    tagger: Tagger | None = None,
) -> EvalResult:
    """Tag every gold finding's text and score the tags against the gold labels.

    ``reports`` keeps only the gold findings of the reports it accepts (to
    score one part of a gold set); ``codebook`` replaces the built-in one.
    """
    gold = read_gold(gold_path)
    if reports is not None:
        gold = [g for g in gold if reports(g.report)]
        if not gold:
            raise GoldError(f"{gold_path}: no findings from the selected reports")
    if tagger is None:
        tagger = Tagger(codebook) if codebook is not None else default_tagger()
    findings: list[Finding] = []
    for kind, group in _by_inspection_type(gold).items():
        batch = [
            Finding(section_kind=GOLD_SECTIONS[g.section], section_heading=g.section,
                    text=g.text, index=g.line)
            for g in group
        ]
        tagger.tag(batch, inspection_type=kind)
        findings.extend(batch)
    return score(gold, findings, tagger.codebook.ids, gold_path=str(gold_path))


def inspection_type_of(report_id: str) -> str | None:
    """The inspection type a report id ends with (ids are ``area-date-type``), if any."""
    for kind in sorted(INSPECTION_TYPES, key=len, reverse=True):
        if report_id.endswith("-" + kind):
            return kind
    return None


def _by_inspection_type(gold: list[GoldFinding]) -> dict[str | None, list[GoldFinding]]:
    """Gold findings grouped by their report's kind, which implies themes when tagging."""
    groups: dict[str | None, list[GoldFinding]] = defaultdict(list)
    for g in gold:
        groups[inspection_type_of(g.report)].append(g)
    return dict(groups)


def score(
    gold: list[GoldFinding],
    predicted: Iterable[Finding],
    theme_ids: Iterable[str],
    gold_path: str = "",
) -> EvalResult:
    """Match predictions to gold by normalised text and score them.

    A gold finding with no matching prediction counts as predicted with no
    themes, no agencies and no polarity (so missing findings lower the score).
    """
    details = match_findings(gold, predicted)
    ids = list(dict.fromkeys([*theme_ids, *sorted({t for g in gold for t in g.themes})]))
    rows = [_theme_score(t, details) for t in ids]
    tp = sum(r.tp for r in rows)
    fp = sum(r.fp for r in rows)
    fn = sum(r.fn for r in rows)
    scored = [r for r in rows if r.tp + r.fp + r.fn]
    a_tp, a_fp, a_fn = _set_counts((d.gold_agencies, d.predicted_agencies) for d in details)
    n = len(details)
    return EvalResult(
        gold_path=gold_path,
        findings=n,
        matched=sum(d.matched for d in details),
        themes=rows,
        micro_precision=_ratio(tp, tp + fp),
        micro_recall=_ratio(tp, tp + fn),
        micro_f1=_f1(tp, fp, fn),
        macro_f1=sum(r.f1 for r in scored) / len(scored) if scored else 0.0,
        polarity_accuracy=_ratio(sum(d.gold_polarity == d.predicted_polarity for d in details), n),
        agency_precision=_ratio(a_tp, a_tp + a_fp),
        agency_recall=_ratio(a_tp, a_tp + a_fn),
        agency_micro_f1=_f1(a_tp, a_fp, a_fn),
        details=details,
    )


def match_findings(gold: list[GoldFinding], predicted: Iterable[Finding]) -> list[FindingResult]:
    """Pair each gold finding with a prediction of the same normalised text, in gold order.

    Texts repeat (the same sentence in two reports), so each prediction is
    used once, first come first served.
    """
    pool: dict[str, list[Finding]] = defaultdict(list)
    for finding in predicted:
        pool[normalise_text(finding.text)].append(finding)
    details: list[FindingResult] = []
    for g in gold:
        candidates = pool.get(normalise_text(g.text))
        p = candidates.pop(0) if candidates else None
        details.append(
            FindingResult(
                report=g.report,
                text=g.text,
                gold_themes=list(g.themes),
                predicted_themes=list(p.themes) if p else [],
                gold_polarity=g.polarity,
                predicted_polarity=p.polarity if p else "",
                gold_agencies=list(g.agencies),
                predicted_agencies=list(p.agencies) if p else [],
                matched=p is not None,
            )
        )
    return details


def _theme_score(theme: str, details: list[FindingResult]) -> ThemeScore:
    """One theme's agreement: counts, precision, recall, F1 and Cohen's kappa."""
    tp = fp = fn = tn = 0
    for d in details:
        g, p = theme in d.gold_themes, theme in d.predicted_themes
        tp += g and p
        fp += p and not g
        fn += g and not p
        tn += not g and not p
    return ThemeScore(
        theme=theme,
        support=tp + fn,
        predicted=tp + fp,
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        f1=_f1(tp, fp, fn),
        kappa=cohen_kappa(tp, fp, fn, tn),
    )


def cohen_kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    """Cohen's kappa for two binary raters (gold and tagger) over the same findings.

    When both raters give the same single answer to every finding, chance
    agreement is total and kappa is undefined; it is reported as 1.0 then
    (perfect agreement), or 0.0 if they disagree somewhere.
    """
    n = tp + fp + fn + tn
    if n == 0:
        return 0.0
    observed = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def _set_counts(pairs: Iterable[tuple[list[str], list[str]]]) -> tuple[int, int, int]:
    """Micro counts (tp, fp, fn) over (gold, predicted) label sets, e.g. agencies."""
    tp = fp = fn = 0
    for gold, pred in pairs:
        g, p = set(gold), set(pred)
        tp += len(g & p)
        fp += len(p - g)
        fn += len(g - p)
    return tp, fp, fn


def _ratio(a: float, b: float) -> float:
    """``a / b``, or 0 when there is nothing to divide by (no support, no predictions)."""
    return a / b if b else 0.0


def _f1(tp: int, fp: int, fn: int) -> float:
    """F1 from counts (0 when there are none)."""
    return _ratio(2 * tp, 2 * tp + fp + fn)
