"""Shared test fixtures: where the sample corpus and gold set live.

Corpus tests read ``../shared`` beside the project (as CI lays it out);
``JTAI_SHARED`` points elsewhere. Every test that reads it is marked
``corpus`` (by the fixtures it uses, or because its module names the shared
folders), and is skipped with the reason when the folder is absent, so a
clone without ``../shared`` runs the rest (``pytest -m "not corpus"`` runs
only the rest).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("JTAI_SHARED", ROOT.parent / "shared"))
REPORTS = SHARED / "reports"
GOLD = SHARED / "gold"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: The project's labelled findings (what the shipped model is trained on).
LABELS = ROOT / "labels" / "findings.jsonl"


#: Fixtures that hand a test the shared corpus.
CORPUS_FIXTURES = frozenset({"reports_dir", "gold_dir"})
_NAMES_SHARED = re.compile(r"\b(SHARED|REPORTS|GOLD|CORPUS)\b|\.\./shared")


def _reads_shared(item: pytest.Item, sources: dict[str, bool]) -> bool:
    if CORPUS_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    path = str(item.path)
    if path not in sources:
        text = item.path.read_text(encoding="utf-8")
        sources[path] = item.path.name != "conftest.py" and bool(_NAMES_SHARED.search(text))
    return sources[path]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that read ../shared; skip them, saying why, when it is not there."""
    sources: dict[str, bool] = {}
    missing = not SHARED.is_dir()
    for item in items:
        if _reads_shared(item, sources):
            item.add_marker(pytest.mark.corpus)
            if missing:
                item.add_marker(pytest.mark.skip(
                    reason=f"the shared corpus is not at {SHARED} (set JTAI_SHARED)"))


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    """A database holding the small hand-written Sutton, Lewisham and Surrey reports."""
    from fixtures.store_reports import sample_reports
    from jtai_tools.store import Store

    path = tmp_path / "jtai.db"
    with Store(path) as store:
        for report in sample_reports():
            store.save(report)
    return path


@pytest.fixture(scope="session")
def reports_dir() -> Path:
    assert REPORTS.is_dir(), f"sample corpus not found at {REPORTS} (set JTAI_SHARED)"
    return REPORTS


@pytest.fixture(scope="session")
def gold_dir() -> Path:
    assert GOLD.is_dir(), f"gold set not found at {GOLD} (set JTAI_SHARED)"
    return GOLD


@pytest.fixture(scope="session")
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


@pytest.fixture(scope="session")
def small_model_dir(small_labels: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("model")
    from jtai_tools.train import train  # scikit-learn: only for the tests that train

    train(small_labels).save(directory)
    return directory
