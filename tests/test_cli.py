"""What every command does with the same failure: one line, the same exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jtai_tools import __version__
from jtai_tools.cli import app
from jtai_tools.errors import EXIT_CODES, exit_codes_text

runner = CliRunner()

COMMANDS_ON_A_DATABASE = [
    ["list"], ["show", "sutton"], ["compare", "sutton", "lewisham"], ["table"],
    ["search", "supervision"], ["themes", "sutton"], ["grades"], ["report"],
    ["export", "-f", "xlsx"], ["retag"],
]


@pytest.mark.parametrize("args", COMMANDS_ON_A_DATABASE, ids=lambda a: a[0])
def test_a_missing_database_is_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    extra = ["-o", str(tmp_path / "out")] if args[0] in ("report", "export") else []
    result = runner.invoke(app, [*args, *extra, "--db", str(missing)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and str(missing) in lines[0] and "no such database" in lines[0]
    assert "Traceback" not in result.output
    assert not missing.exists()


def test_version_and_exit_codes_in_help() -> None:
    assert runner.invoke(app, ["--version"]).output.strip() == f"jtai {__version__}"
    help_text = " ".join(runner.invoke(app, ["--help"]).output.split())
    assert exit_codes_text() in help_text
    assert set(EXIT_CODES) == {0, 1, 2, 130}


def test_the_installed_jtai_command_extracts_and_lists(tmp_path: Path) -> None:
    """The one test of the installed entry point as a process of its own (every other
    command test runs in-process): the console script, its lazy command groups, piped output."""
    jtai = Path(sys.executable).with_name("jtai")
    report = tmp_path / "letter.txt"
    report.write_text("Joint targeted area inspection of the multi-agency response to children\n"
                      "Areas for improvement\n"
                      "Leaders should improve the quality of plans for children.\n",
                      encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", ""), "NO_COLOR": "1"}
    extracted = subprocess.run([jtai, "extract", report, "--db", "x.db", "--jobs", "1"],
                               cwd=tmp_path,
                               env=env, capture_output=True, text=True, timeout=300,
                               check=False)
    assert extracted.returncode == 0, extracted.stderr
    assert extracted.stderr.splitlines()[-1] == "1 file(s): 1 stored"
    listed = subprocess.run([jtai, "list", "--db", "x.db", "--format", "json"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert listed.returncode == 0, listed.stderr
    assert [r["inspection_type"] for r in json.loads(listed.stdout)] == ["jtai"]
