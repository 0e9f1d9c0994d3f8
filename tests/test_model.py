"""The learned tagger: training, the model files, evidence, and the commands around them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import ROOT
from jtai_tools.cli import app
from jtai_tools.errors import LabelsError, ModelError
from jtai_tools.model import MODEL_FILE, WEIGHTS_FILE, load_model
from jtai_tools.models import Finding
from jtai_tools.tag import Tagger
from jtai_tools.train import cross_validate, read_labels, train

runner = CliRunner()
LABELS = ROOT / "labels" / "findings.jsonl"


@pytest.fixture(scope="module")
def small_labels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The labelled findings of the first 40 reports of the project's labelled set."""
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    reports: list[str] = []
    kept = []
    for line in lines:
        report = json.loads(line)["report"]
        if report not in reports:
            reports.append(report)
        if len(reports) > 40:
            break
        kept.append(line)
    path = tmp_path_factory.mktemp("labels") / "labels.jsonl"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small_model_dir(small_labels: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("model")
    train(small_labels).save(directory)
    return directory


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


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / WEIGHTS_FILE).unlink(), "weights.npy: missing"),
    (lambda d: (d / MODEL_FILE).write_text("{not json"), "cannot read the model"),
    (lambda d: (d / WEIGHTS_FILE).write_bytes(b"\x93NUMPY garbage"), "cannot read the weights"),
    (lambda d: np.save(d / WEIGHTS_FILE, np.zeros((3, 3), dtype=np.float32)),
     "do not belong together"),
])
def test_a_broken_model_directory_is_one_line(small_model_dir: Path, tmp_path: Path,
                                              damage, message: str) -> None:
    for name in (MODEL_FILE, WEIGHTS_FILE):
        (tmp_path / name).write_bytes((small_model_dir / name).read_bytes())
    damage(tmp_path)
    with pytest.raises(ModelError, match=message):
        load_model(tmp_path)
    result = runner.invoke(app, ["eval", "--gold", str(LABELS), "--model", str(tmp_path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_labels_with_an_unknown_theme_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    good = {"report": "a-2020-01-01-ilacs", "section": "improve", "text": "Supervision.",
            "themes": ["supervision"], "polarity": "concern", "agencies": []}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "themes": ["supervison"]})
                    + "\n", encoding="utf-8")
    with pytest.raises(LabelsError, match=r"labels.jsonl:2: unknown theme id 'supervison'"):
        read_labels(path, Tagger(model=None).codebook)
    result = runner.invoke(app, ["train", "--labels", str(path), "--output",
                                 str(tmp_path / "m")])
    assert result.exit_code == 2
    assert not (tmp_path / "m").exists()


def test_train_command_writes_a_model_eval_can_use(small_labels: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--labels", str(small_labels), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / MODEL_FILE).exists()
    scored = runner.invoke(app, ["eval", "--gold", str(small_labels), "--model", str(tmp_path),
                                 "--format", "json"])
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.output)["summary"]["findings"] > 100


def test_retag_tags_stored_reports_again_without_their_files(
        sample_db: Path, small_model_dir: Path) -> None:
    from jtai_tools.store import Store

    with Store(sample_db) as store:
        before = {r.id: [f.themes for f in r.findings] for r in store.reports()}
    result = runner.invoke(app, ["retag", "--db", str(sample_db), "--model",
                                 str(small_model_dir)])
    assert result.exit_code == 0, result.output
    assert f"{len(before)} report(s) tagged again" in result.output
    with Store(sample_db) as store:
        after = {r.id: [f.themes for f in r.findings] for r in store.reports()}
        assert store.integrity_check() == "ok"
    assert set(after) == set(before)
    assert after != before  # the small model tags differently from the rules that stored them


def test_retag_with_a_broken_model_changes_nothing(sample_db: Path, tmp_path: Path) -> None:
    before = sample_db.read_bytes()
    (tmp_path / MODEL_FILE).write_text("{}", encoding="utf-8")
    result = runner.invoke(app, ["retag", "--db", str(sample_db), "--model", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a jtai model file" in result.output
    assert sample_db.read_bytes() == before


def test_the_shipped_model_is_the_one_the_labels_train(tmp_path: Path) -> None:
    """`make model` from labels/findings.jsonl gives the model in the package, byte for byte."""
    from jtai_tools.model import default_model_path

    train(LABELS).save(tmp_path)
    for name in (MODEL_FILE, WEIGHTS_FILE):
        assert (tmp_path / name).read_bytes() == (default_model_path() / name).read_bytes(), (
            f"{name} is stale: run `make model`")
