"""The output commands (``report``, ``export``), in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixtures.html_page import Page
from jtai_tools import export
from jtai_tools.cli import app
from test_render import build_db


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "jtai.db")


def test_cli_report_writes_html_png_and_svg(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "sutton", "lewisham", "surrey", "--output", str(out),
                                 "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert Page(out.read_text("utf-8")).cell_links
    svg = tmp_path / "heat.svg"
    assert runner.invoke(app, ["report", "--output", str(svg), "--db", str(db)]).exit_code == 0
    assert svg.read_bytes().lstrip().startswith(b"<?xml")
    png = tmp_path / "heat.out"
    result = runner.invoke(app, ["report", "sutton", "--format", "png", "-o", str(png),
                                 "--db", str(db)])
    assert result.exit_code == 0 and png.read_bytes().startswith(b"\x89PNG")


def test_cli_report_bad_input_is_one_line(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["report", "atlantis", "-o", str(tmp_path / "r.html"),
                                 "--db", str(db)])
    assert result.exit_code == 2
    assert "atlantis" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["report", "-o", str(tmp_path / "r.html"),
                                 "--db", str(tmp_path / "missing.db")])
    assert result.exit_code == 2 and "missing.db" in result.output
    result = runner.invoke(app, ["report", "-o", str(tmp_path / "r.pdf"), "--db", str(db)])
    assert result.exit_code == 2 and "pdf" in result.output


def test_cli_export_writes_each_format(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for fmt in export.FORMATS:
        out = tmp_path / f"out.{fmt}"
        result = runner.invoke(app, ["export", "--format", fmt, "--output", str(out),
                                     "--db", str(db)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    result = runner.invoke(app, ["export", "--format", "pdf", "-o", str(tmp_path / "x"),
                                 "--db", str(db)])
    assert result.exit_code == 2 and "pdf" in result.output
    result = runner.invoke(app, ["export", "sutton", "--format", "qdc", "-o",
                                 str(tmp_path / "x"), "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "none.db" in result.output
