"""The tagging commands (``eval``, ``themes``, ``train``), in-process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, LABELS
from jtai_tools.cli import app
from jtai_tools.errors import LabelsError, ModelError
from jtai_tools.model import MODEL_FILE, WEIGHTS_FILE, load_model
from jtai_tools.models import Area, Fieldwork, Finding, Report, Source
from jtai_tools.store import Store
from jtai_tools.tag import Tagger, default_tagger
from jtai_tools.train import read_labels

runner = CliRunner()
GOLD_FIXTURE = FIXTURES / "tag_gold.jsonl"


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    """A database of one report whose two findings the codebook rules tag."""
    findings = [
        Finding("improve", "What needs to improve", "The quality of [team] management oversight."),
        Finding("main-findings", "Main findings", "Strategy meetings are timely and effective."),
    ]
    default_tagger().tag(findings)
    report = Report(
        id="sutton-2023-09-01-jtai", source=Source("s.txt", "1" * 64, "text", 1),
        area=Area("sutton", "London Borough of Sutton"), inspection_type="jtai",
        date="2023-09-01", fieldwork=Fieldwork(), inspectorates=[], jtai_focus=None,
        judgements={}, sections=[], findings=findings,
    )
    path = tmp_path / "jtai.db"
    with Store(path) as store:
        store.save(report)
    return path


def test_cli_eval_text_and_json() -> None:
    text = runner.invoke(app, ["eval", "--gold", str(GOLD_FIXTURE)])
    assert text.exit_code == 0, text.output
    assert "theme micro-F1" in text.output and "supervision" in text.output
    as_json = runner.invoke(app, ["eval", "--gold", str(GOLD_FIXTURE), "--format", "json"])
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    assert data["summary"]["findings"] == 4
    assert {"theme", "precision", "recall", "f1", "kappa", "support"} <= set(data["themes"][0])
    assert data["polarity_confusion"]["strength"]["strength"] == 1
    assert "gold \\ predicted" in text.output


def test_cli_eval_min_f1() -> None:
    low = runner.invoke(app, ["eval", "--gold", str(GOLD_FIXTURE), "--min-f1", "0.99"])
    assert low.exit_code == 1
    assert "below the minimum" in low.output
    ok = runner.invoke(app, ["eval", "--gold", str(GOLD_FIXTURE), "--min-f1", "0.5"])
    assert ok.exit_code == 0


def test_cli_eval_bad_codebook_is_one_line() -> None:
    bad = FIXTURES / "tag_codebook_bad_key.toml"
    result = runner.invoke(app, ["eval", "--gold", str(GOLD_FIXTURE), "--codebook", str(bad)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}:8: ")
    assert "Traceback" not in result.output


def test_cli_eval_user_codebook_and_missing_gold(tmp_path: Path) -> None:
    extra = FIXTURES / "tag_codebook_extra.toml"
    result = runner.invoke(
        app, ["eval", "--gold", str(GOLD_FIXTURE), "--codebook", str(extra), "--format", "json"]
    )
    assert result.exit_code == 0
    assert "kinship-care" in {row["theme"] for row in json.loads(result.stdout)["themes"]}
    missing = runner.invoke(app, ["eval", "--gold", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "no such gold file" in missing.output


def test_cli_themes_text(db: Path) -> None:
    result = runner.invoke(app, ["themes", "sutton", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "supervision" in result.output and "strategy-meetings" in result.output
    assert "[team]" in result.output  # report text is not rich markup


def test_cli_themes_json(db: Path) -> None:
    result = runner.invoke(
        app, ["themes", "sutton-2023-09-01-jtai", "--db", str(db), "--format", "json"]
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["reports"] == ["sutton-2023-09-01-jtai"]
    rows = {(r["theme"], r["polarity"]): r["findings"] for r in data["themes"]}
    assert rows[("supervision", "concern")] == 1
    assert rows[("strategy-meetings", "strength")] == 1
    hit = next(h for h in data["hits"] if h["theme"] == "strategy-meetings")
    assert hit["match"] == "Strategy meetings"


def test_cli_themes_unknown_target_and_missing_db(db: Path, tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["themes", "lewisham", "--db", str(db)])
    assert unknown.exit_code == 2 and "unknown area 'lewisham'" in unknown.output
    missing = runner.invoke(app, ["themes", "sutton", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "no such database" in missing.output
    assert not (tmp_path / "none.db").exists()


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
