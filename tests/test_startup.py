"""Quick commands start quickly: they import neither spaCy nor pandas unless they need them.

Checked with ``python -X importtime``, which lists every module a process
imports, on a real database; how fast they answer on 1,000 reports is
measured in benchmarks/bench_query.py, not here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pandas", "spacy", "numpy", "matplotlib")

#: Commands that answer from plain rows, and what each may import of HEAVY.
QUICK = [
    ["list"],
    ["list", "--area", "sutton", "--format", "json"],
    ["show", "sutton"],
    ["show", "sutton-2023-09-01-jtai", "--format", "json"],
    ["search", "supervision"],
    ["compare", "sutton", "lewisham"],
    ["grades", "--format", "text"],
]


def imported(args: list[str], db: Path) -> set[str]:
    """Top-level packages a ``jtai`` process imports to answer ``args``."""
    code = "import sys; from jtai_tools.cli import main; sys.argv = ['jtai', *sys.argv[1:]]; main()"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args, "--db", str(db)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("args", QUICK, ids=" ".join)
def test_quick_commands_import_neither_spacy_nor_pandas(sample_db: Path, args: list[str]) -> None:
    names = imported(args, sample_db)
    assert "jtai_tools" in names  # the check sees the process's imports at all
    assert sorted(names & set(HEAVY)) == []


def test_commands_that_need_pandas_still_load_it(sample_db: Path) -> None:
    """The check would notice: a table is a DataFrame, and its process imports pandas."""
    assert "pandas" in imported(["table", "--format", "csv"], sample_db)


def test_every_command_is_in_the_group_that_registers_it() -> None:
    """``jtai NAME`` imports only the group listed for NAME: the list must say where it is."""
    from jtai_tools import cli

    code = ("import importlib, sys; importlib.import_module('jtai_tools.cli.' + sys.argv[1]);"
            " from jtai_tools.cli.common import app;"
            " print(' '.join(sorted(c.name or c.callback.__name__.replace('_', '-')"
            " for c in app.registered_commands)))")
    for group, names in cli.GROUPS.items():
        done = subprocess.run([sys.executable, "-c", code, group], capture_output=True,
                              text=True, check=True)
        assert done.stdout.split() == sorted(names), group
