"""Hostile input: every file costs one line, memory and time stay bounded, the batch goes on.

The files are generated here (tests/hostile.py), small versions of the real
attacks where the behaviour is the same: a 40 MB bomb is refused by the same
check as a 1.5 GB one (benchmarks/bench_hostile.py runs the full-size bomb and
prints its time and peak memory).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hostile
from fixtures.cli_runner import JTAI, run_cli
from jtai_tools.ingest import ingest
from jtai_tools.store import Store

MEMORY = "512MB"  # a worker's limit in these tests; the default is 1 GiB


def run_measured(*args: str | Path, cwd: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """``jtai ARGS`` in a fresh process, and the peak resident memory (KiB) of it and its workers.

    A wrapper process runs the command, so its children's peak is the
    command's alone (workers are waited for by the command and count in it).
    A process of its own, not the in-process runner of the other command
    tests: its peak memory is what is measured, and a worker past its limit
    must not take the test process with it.
    """
    wrapper = ("import resource, subprocess, sys\n"
               "result = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "sys.stdout.write(result.stdout)\n"
               "sys.stderr.write(result.stderr)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
               "sys.exit(result.returncode)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JTAI_", "FORCE_COLOR"))}
    env.update(COLUMNS="80", NO_COLOR="1")
    result = subprocess.run(
        [sys.executable, "-c", wrapper, *JTAI, *map(str, args)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    *lines, peak = result.stderr.rstrip("\n").split("\n")
    result.stderr = "\n".join(lines) + "\n"
    return result, int(peak)


def errors_for(result: subprocess.CompletedProcess[str], path: Path) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith(f"error: {path}: ")]


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory, reports_dir: Path) -> dict[str, Path]:
    """A folder of hostile files beside one real report."""
    folder = tmp_path_factory.mktemp("hostile")
    files = {
        "bomb": hostile.write_bomb(folder / "bomb.pdf", 40_000_000),
        "repeated": hostile.write_repeated_stream(folder / "repeated.pdf", 2_000_000, 100),
        "cyclic": hostile.write_cyclic_and_nested(folder / "cyclic.pdf"),
        "self_tree": hostile.write_self_tree(folder / "self-tree.pdf"),
        "many_pages": hostile.write_many_pages(folder / "many-pages.pdf", 100_000),
        "huge_image": hostile.write_huge_image(folder / "huge-image.pdf"),
        "actions": hostile.write_with_actions(folder / "actions.pdf", folder / "ran"),
        "one_word": hostile.write_one_word_layer(folder / "one-word.pdf"),
        "long_line": folder / "long-line.txt",
        "gigabyte": folder / "gigabyte.txt",
        "good": folder / "sutton.txt",
    }
    # invalid UTF-8 sequences, and one line of 50 MB
    files["long_line"].write_bytes(b"Areas \xff\xfe for improvement " * 2 + b"x" * 50_000_000)
    with open(files["gigabyte"], "wb") as handle:  # sparse: takes no disk space
        handle.truncate(1024**3)
    files["good"].write_text(
        (reports_dir / "text" / "sutton-2023-09-01-jtai.txt").read_text(encoding="utf-8"))
    return files


REFUSED = {
    "bomb": "not a report: a stream inflates to 39.8 MB of drawing instructions",
    "repeated": "memory limit for one file",
    "self_tree": "damaged",
    "many_pages": "not a report: it has 100,000 pages (limit 20,000)",
    "huge_image": "has no text layer",
    "one_word": "not a report: page 1 draws 1,000,000 characters of text (limit 200,000)",
    "long_line": "not a report: line 1 is 50,000,",
    "gigabyte": "not a report: the file is 1.07 GB, larger than any report (limit 64 MB)",
}


def test_hostile_files_cost_one_line_each_and_the_report_is_stored(
    inbox: dict[str, Path], tmp_path: Path, reports_dir: Path
) -> None:
    db = tmp_path / "jtai.db"
    earlier = tmp_path / "lewisham.txt"
    earlier.write_text(
        (reports_dir / "text" / "lewisham-2023-01-31-jtai.txt").read_text(encoding="utf-8"))
    assert run_cli("extract", earlier, "--db", db).returncode == 0  # in-process: not measured
    with Store(db) as store:
        before = store.reports()

    result, peak_kib = run_measured("extract", inbox["good"].parent, "--db", db,
                                    "--max-memory", MEMORY, "--timeout", "60", cwd=tmp_path)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1
    for name, problem in REFUSED.items():
        (line,) = errors_for(result, inbox[name])
        assert problem in line, line
    assert not errors_for(result, inbox["good"])
    assert not errors_for(result, inbox["cyclic"]) and not errors_for(result, inbox["actions"])
    assert "internal error" not in result.stderr
    assert not (inbox["good"].parent / "ran").exists()  # the actions were never run
    # the memory limit held: the command and its workers stayed near 512 MB
    print("peak KiB", peak_kib)
    assert peak_kib < 800 * 1024, peak_kib

    with Store(db) as store:
        after = {r.id: r for r in store.reports()}
        stored = {name for name, path in inbox.items() if path.is_file() and path.stat().st_size
                  < 10**8 and store.known_sha256(hashlib.sha256(path.read_bytes()).hexdigest())}
    assert all(after[r.id] == r for r in before)  # nothing stored earlier changed
    assert stored == {"good", "cyclic", "actions"}
    assert "sutton-2023-09-01-jtai" in after


def test_a_list_of_ten_thousand_paths(tmp_path: Path, reports_dir: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    empties = [folder / f"empty-{n:05d}.pdf" for n in range(10_000)]
    for path in empties:
        path.touch()
    good = folder / "sutton.txt"
    good.write_text(
        (reports_dir / "text" / "sutton-2023-09-01-jtai.txt").read_text(encoding="utf-8"))
    with Store(tmp_path / "jtai.db") as store:
        result = ingest([*map(str, empties), str(good)], store, jobs=2)
    assert result.files == 10_001
    assert result.counts == {"failed": 10_000, "stored": 1}
    assert [o.path for o in result.outcomes] == [*map(str, empties), str(good)]
    assert all(o.error == f"{o.path}: empty file (0 bytes)" for o in result.outcomes[:-1])
    assert result.exit_code == 1
