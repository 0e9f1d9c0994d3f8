"""Corpus accuracy of extraction against the gold set (reads ../shared via conftest)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from jtai_tools.models import Area, Fieldwork, Report, Section, Source

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "score_extraction.py"
LISTS_GOLD = Path(__file__).resolve().parents[1] / "labels" / "extraction"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score_extraction", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["score_extraction"] = module
    spec.loader.exec_module(module)
    return module


score = _load_script()


@pytest.fixture(scope="module")
def summary(reports_dir: Path, gold_dir: Path) -> dict[str, Any]:
    return score.score_corpus(reports_dir, gold_dir)["summary"]


def test_every_gold_report_is_extracted(summary: dict[str, Any]) -> None:
    assert summary["reports"] >= 37
    assert summary["errors"] == 0


@pytest.mark.parametrize("kind", ["improve", "strengths"])
def test_item_f1_meets_target(summary: dict[str, Any], kind: str) -> None:
    assert summary[kind]["f1"] >= score.MIN_ITEM_F1, summary[kind]


def test_jtai_letters_have_every_item_exactly_right(summary: dict[str, Any]) -> None:
    assert summary["jtai_letters"] == 6
    assert summary["jtai_letters_exact"]


def test_text_and_pdf_editions_give_the_same_sections_and_items(
        summary: dict[str, Any]) -> None:
    # The sample has the 2017 SIF report and three JTAI letters in both formats.
    assert summary["editions"] >= 4
    assert summary["editions_identical"] is True


def test_normalise_compares_quotes_and_spaces_only() -> None:
    assert score.normalise("the \u2018missing\u2019\n panel") == "the 'missing' panel"
    assert score.normalise("multi-agency") != score.normalise("multi agency")


def test_item_scores_count_duplicates_once_each() -> None:
    result = score.score_items(["A.", "A.", "B."], ["A.", "C."])
    assert (result.tp, result.found, result.expected) == (1, 3, 2)
    assert result.precision == pytest.approx(1 / 3)
    assert result.recall == pytest.approx(0.5)


def _report(*sections: Section) -> Report:
    return Report(id="x", source=Source(path="x.pdf", sha256="0", format="pdf", pages=1),
                  area=Area(name="sutton"), inspection_type="area-send", date=None,
                  fieldwork=Fieldwork(), inspectorates=[], jtai_focus=None, judgements={},
                  sections=list(sections), findings=[])


def test_item_groups_are_sub_headings_else_the_list_heading_of_several_lists() -> None:
    grouped = Section(kind="recommendations", heading="Recommendations",
                      items=["Plans.", "Audits."], groups=["Quality of practice", None])
    assert score.report_groups(_report(grouped)) == [("Plans.", "Quality of practice"),
                                                     ("Audits.", None)]
    priority = Section(kind="improve", heading="Areas for priority action", items=["Waits."])
    assert score.report_groups(_report(grouped, priority)) == [
        ("Plans.", "Quality of practice"), ("Audits.", "Recommendations"),
        ("Waits.", "Areas for priority action")]


def test_group_score_pairs_items_by_text_in_order() -> None:
    got = [("Plans.", "Care leavers"), ("Plans.", None), ("Audits.", "Areas for improvement:")]
    want = [("Plans.", "Care leavers"), ("Plans.", "Care leavers"),
            ("Audits.", "Areas for improvement"), ("Missing.", None)]
    assert score.score_groups(got, want) == (2, 3)


def test_names_compare_without_case_quotes_or_ampersands() -> None:
    assert score._same("area", "windsor and maidenhead", "windsor & maidenhead")
    assert not score._same("area", "windsor", "windsor & maidenhead")


def test_list_layout_gold_is_valid_and_its_groups_run_parallel_to_its_items() -> None:
    files = sorted(LISTS_GOLD.glob("reports/*.json"))
    assert len(files) >= 60
    for path in files:
        gold = json.loads(path.read_text(encoding="utf-8"))
        assert len(gold["improve_groups"]) == len(gold["improve"]), path.name
        assert "lead_inspector" in gold, path.name
