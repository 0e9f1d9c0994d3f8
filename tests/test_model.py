"""The learned tagger: training, model files, evidence (the commands: test_cli_tagging.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from conftest import LABELS
from jtai_tools.model import MODEL_FILE, WEIGHTS_FILE, load_model
from jtai_tools.models import Finding
from jtai_tools.tag import Tagger
from jtai_tools.train import cross_validate, read_labels, train


def test_same_labels_give_the_same_model_bytes(small_labels: Path, small_model_dir: Path,
                                               tmp_path: Path) -> None:
    train(small_labels).save(tmp_path)
    for name in (MODEL_FILE, WEIGHTS_FILE):
        assert (tmp_path / name).read_bytes() == (small_model_dir / name).read_bytes()


def test_model_files_hold_no_code(small_model_dir: Path) -> None:
    meta = json.loads((small_model_dir / MODEL_FILE).read_text(encoding="utf-8"))
    assert meta["format"] == "jtai-linear-model"
    weights = np.load(small_model_dir / WEIGHTS_FILE, allow_pickle=False)
    assert weights.dtype == np.float32
    assert weights.shape[0] == len(meta["features"])


def test_model_tags_carry_evidence_with_offsets(small_model_dir: Path) -> None:
    tagger = Tagger(model=load_model(small_model_dir))
    findings = [Finding("main-findings", "Findings", text) for text in (
        "Care leavers benefit from personal advisers who stay in touch and know them well.",
        "Managers do not always record the rationale for their decisions on children's files.",
    )]
    tagger.tag(findings, "ilacs")
    assert "care-leavers" in findings[0].themes
    for finding in findings:
        for theme in finding.themes:
            spans = [e for e in finding.evidence if e.kind == "theme" and e.label == theme]
            assert spans, f"{theme} has no evidence in {finding.text!r}"
            for e in spans:
                assert finding.text[e.start:e.end] == e.text
    assert findings[1].polarity == "concern"


def test_the_rows_that_weigh_most_are_picked_by_weight_then_name(small_model_dir: Path
                                                                  ) -> None:
    """A model-only tag's evidence: the finding's rows of positive weight for the label,
    largest first, ties by feature name, then by place."""
    model = load_model(small_model_dir)
    rows = [*range(0, 7 * 60, 7), 3, 3]  # a row twice: ties keep their places
    for head in ("themes", "polarity"):
        for label in model.heads[head].labels:
            column = model.heads[head].offset + model.heads[head].labels.index(label)
            weighted = sorted((-float(model.weights[row, column]), model.features[row], k)
                              for k, row in enumerate(rows) if model.weights[row, column] > 0)
            assert model.top_rows(rows, head, label) == [k for _, _, k in weighted[:2]]
            assert model.top_rows(rows, head, label, limit=5) == [k for *_, k in weighted[:5]]
    assert model.top_rows([], "polarity", model.heads["polarity"].labels[0]) == []


def test_list_items_keep_the_section_polarity(small_model_dir: Path) -> None:
    tagger = Tagger(model=load_model(small_model_dir))
    item = Finding("strengths", "Strengths", "Delays in assessments for disabled children.")
    tagger.tag([item], "ilacs")
    assert item.polarity == "strength"


def test_cross_validation_scores_every_finding_once(small_labels: Path) -> None:
    result = cross_validate(small_labels, folds=3)
    total = len(read_labels(small_labels, Tagger(model=None).codebook))
    assert result.overall.findings == total
    assert result.narrative.findings + result.list_items.findings == total
    assert 0.3 < result.overall.micro_f1 <= 1.0






def test_the_shipped_model_is_the_one_the_labels_train(tmp_path: Path) -> None:
    """`make model` from labels/findings.jsonl gives the model in the package, byte for byte."""
    from jtai_tools.model import default_model_path

    train(LABELS).save(tmp_path)
    for name in (MODEL_FILE, WEIGHTS_FILE):
        assert (tmp_path / name).read_bytes() == (default_model_path() / name).read_bytes(), (
            f"{name} is stale: run `make model`")
