"""Shared test fixtures: where the sample corpus and gold set live.

Corpus tests read ``../shared`` beside the project (as CI lays it out);
``JTAI_SHARED`` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("JTAI_SHARED", ROOT.parent / "shared"))
REPORTS = SHARED / "reports"
GOLD = SHARED / "gold"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


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
