"""Scoring tags against labelled findings (the commands: test_cli_tagging.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, GOLD
from jtai_tools.evaluate import (
    GoldError,
    GoldFinding,
    cohen_kappa,
    evaluate,
    inspection_type_of,
    normalise_text,
    read_gold,
    score,
)
from jtai_tools.models import Finding

GOLD_FIXTURE = FIXTURES / "tag_gold.jsonl"


def gold(text: str, themes: list[str], agencies: list[str], polarity: str = "concern",
         report: str = "r-2020-01-01-ilacs") -> GoldFinding:
    return GoldFinding(report, "improve", text, tuple(themes), polarity, tuple(agencies))


def predicted(text: str, themes: list[str], agencies: list[str],
              polarity: str = "concern") -> Finding:
    return Finding("improve", "x", text, themes=themes, agencies=agencies, polarity=polarity)


def test_cohen_kappa_by_hand() -> None:
    # po = 0.85; pe = (25*30 + 75*70) / 100^2 = 0.6; kappa = 0.25 / 0.4
    assert cohen_kappa(20, 5, 10, 65) == pytest.approx(0.625)
    assert cohen_kappa(10, 0, 0, 90) == pytest.approx(1.0)
    assert cohen_kappa(0, 0, 0, 50) == 1.0  # both always say no: perfect agreement
    assert cohen_kappa(0, 0, 0, 0) == 0.0


def test_score_by_hand() -> None:
    golds = [
        gold("A one.", ["supervision", "training"], ["police"]),
        gold("B two.", ["supervision"], ["health"], polarity="strength"),
        gold("C three.", ["neglect"], ["childrens-social-care"]),
    ]
    preds = [
        predicted("b   TWO.", ["supervision", "education"], ["health"], polarity="strength"),
        predicted("A one.", ["supervision"], ["police", "health"]),
        # "C three." has no prediction: all its labels are missed
    ]
    result = score(golds, preds, ["supervision", "training", "neglect", "education"])
    assert (result.findings, result.matched) == (3, 2)
    # themes: tp = 2 (supervision x2), fp = 1 (education), fn = 2 (training, neglect)
    assert result.micro_precision == pytest.approx(2 / 3)
    assert result.micro_recall == pytest.approx(2 / 4)
    assert result.micro_f1 == pytest.approx(4 / 7)
    rows = {r.theme: r for r in result.themes}
    assert (rows["supervision"].tp, rows["supervision"].fp, rows["supervision"].tn) == (2, 0, 1)
    assert rows["supervision"].f1 == 1.0 and rows["supervision"].support == 2
    assert (rows["education"].fp, rows["education"].support, rows["education"].f1) == (1, 0, 0.0)
    # macro over themes seen in gold or predictions: supervision 1, training 0, neglect 0, edu 0
    assert result.macro_f1 == pytest.approx(0.25)
    assert result.polarity_accuracy == pytest.approx(2 / 3)
    # agencies: tp = 2, fp = 1 (health on A), fn = 1 (csc on C)
    assert result.agency_micro_f1 == pytest.approx(4 / 6)
    frame = result.to_frame()
    assert list(frame["theme"]) == ["supervision", "training", "neglect", "education"]
    assert {"precision", "recall", "f1", "kappa", "support"} <= set(frame.columns)
    confusion = result.polarity_confusion()
    assert list(confusion.index) == ["concern", "strength", "mixed", "neutral"]
    assert list(confusion.columns) == ["concern", "strength", "mixed", "neutral", "unmatched"]
    assert confusion.loc["concern", "concern"] == 1  # A
    assert confusion.loc["strength", "strength"] == 1  # B
    assert confusion.loc["concern", "unmatched"] == 1  # C
    assert int(confusion.to_numpy().sum()) == 3


def test_polarity_confusion_shows_which_way_errors_go() -> None:
    golds = [gold("A.", [], [], "strength"), gold("B.", [], [], "strength"),
             gold("C.", [], [], "mixed")]
    preds = [predicted("A.", [], [], "neutral"), predicted("B.", [], [], "strength"),
             predicted("C.", [], [], "concern")]
    confusion = score(golds, preds, []).polarity_confusion()
    assert "unmatched" not in confusion.columns
    assert confusion.loc["strength", "neutral"] == 1
    assert confusion.loc["strength", "strength"] == 1
    assert confusion.loc["mixed", "concern"] == 1
    assert confusion.loc["neutral"].sum() == 0


def test_normalise_text() -> None:
    assert normalise_text("  Children’s\n  “plans” – ok ") == "children's \"plans\" - ok"


def test_inspection_type_of() -> None:
    assert inspection_type_of("lewisham-2024-11-20-area-send") == "area-send"
    assert inspection_type_of("bedford-2022-01-14-ilacs") == "ilacs"
    assert inspection_type_of("luton-2024-09-09-focused-visit") == "focused-visit"
    assert inspection_type_of("notes") is None


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"report": "r", "section": "improve", "text": "t"}', "missing themes"),
        ('{"report": "r", "section": "main", "text": "t", "themes": [], "polarity": "concern",'
         ' "agencies": []}', "section 'main'"),
        ('{"report": "r", "section": "improve", "text": "t", "themes": "x",'
         ' "polarity": "concern", "agencies": []}', "'themes' must be a list"),
        ('{"report": "r", "section": "improve", "text": "t", "themes": [],'
         ' "polarity": "positive", "agencies": []}', "polarity 'positive' is not one of"),
    ],
)
def test_bad_gold_lines_name_file_and_line(tmp_path: Path, line: str, fragment: str) -> None:
    path = tmp_path / "gold.jsonl"
    good = GOLD_FIXTURE.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(f"{good}\n\n{line}\n", encoding="utf-8")
    with pytest.raises(GoldError) as caught:
        read_gold(path)
    assert str(caught.value).startswith(f"{path}:3: ")
    assert fragment in str(caught.value)


def test_read_gold_fixture() -> None:
    rows = read_gold(GOLD_FIXTURE)
    assert len(rows) == 4
    assert rows[2].section == "strengths" and rows[2].line == 3


def test_evaluate_fixture_tags_by_section() -> None:
    result = evaluate(GOLD_FIXTURE)
    assert result.findings == result.matched == 4
    assert result.polarity_accuracy == 1.0  # polarity follows the gold section
    # the fixture labels "neglect" on a finding that never mentions it
    assert next(r for r in result.themes if r.theme == "neglect").fn == 1
    assert result.micro_recall < 1.0


def test_evaluate_selected_reports_only() -> None:
    with pytest.raises(GoldError, match="no findings from the selected reports"):
        evaluate(GOLD_FIXTURE, reports=lambda report: report.startswith("nowhere"))


def test_corpus_gold_meets_targets() -> None:
    path = GOLD / "findings.jsonl"
    assert path.is_file(), f"{path} not found (set JTAI_SHARED)"
    result = evaluate(path)
    assert result.matched == result.findings >= 300
    assert result.micro_f1 >= 0.85
    assert result.polarity_accuracy >= 0.95
    assert result.agency_micro_f1 >= 0.80


# -- jtai eval ----------------------------------------------------------------




# -- jtai themes --------------------------------------------------------------


def test_narrative_gold_lines_are_judged_by_their_words(tmp_path: Path) -> None:
    rows = [
        ("main-findings", "Strategy meetings are not held promptly enough.", "concern"),
        ("headline", "Strategy meetings are timely and effective.", "strength"),
        ("improve", "Strategy meetings are timely and effective.", "concern"),
    ]
    path = tmp_path / "narrative.jsonl"
    path.write_text(
        "".join(
            json.dumps({"report": "r-2020-01-01-ilacs", "section": section, "text": text,
                        "themes": ["strategy-meetings"], "polarity": polarity,
                        "agencies": ["childrens-social-care"]}) + "\n"
            for section, text, polarity in rows
        ),
        encoding="utf-8",
    )
    result = evaluate(path)
    assert [d.predicted_polarity for d in result.details] == ["concern", "strength", "concern"]
    assert result.polarity_accuracy == 1.0
