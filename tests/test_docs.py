"""The generator of the docs' command examples (scripts/gen_docs.py), and the docs it keeps.

The full regeneration over the sample corpus runs in ``make test`` (``gen_docs.py
--check``); these tests check the machinery on small blocks and that no example
in README.md or docs/ escapes it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import ROOT

_SPEC = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
assert _SPEC and _SPEC.loader
gen_docs = importlib.util.module_from_spec(_SPEC)
sys.modules["gen_docs"] = gen_docs
_SPEC.loader.exec_module(gen_docs)


def test_a_block_is_rewritten_with_what_its_commands_print(tmp_path: Path) -> None:
    doc = "\n".join([
        "Intro.", "", "<!-- run: printf 'x = 1\\n' > made.txt -->", "```",
        "$ cat made.txt", "stale output", "$ jtai --version", "$ jtai list --db missing.db",
        "$ echo $?", "```", "", "<!-- not run -->", "```", "$ jtai nonsense", "kept", "```", "",
    ])
    fresh = gen_docs.generate(doc, tmp_path, "doc.md")
    lines = fresh.split("\n")
    body = lines[lines.index("$ cat made.txt"):lines.index("$ echo $?") + 2]
    # the setup ran unseen; the version is this jtai's; $? is the command before it
    from jtai_tools import __version__

    assert body[:3] == ["$ cat made.txt", "x = 1", "$ jtai --version"]
    assert body[3] == f"jtai {__version__}"
    assert body[4] == "$ jtai list --db missing.db"
    assert body[5].startswith("error: missing.db: no such database")
    assert body[6:] == ["$ echo $?", "2"]
    assert "stale output" not in fresh
    # a block without the marker is left as written
    assert "$ jtai nonsense\nkept" in fresh and fresh.endswith("```\n")
    assert gen_docs.generate(fresh, tmp_path) == fresh  # the same run, the same text


def test_a_marker_without_a_block_is_an_error() -> None:
    with pytest.raises(SystemExit, match=r"doc\.md:1"):
        gen_docs.find_blocks(["<!-- run -->", "text"], "doc.md")
    with pytest.raises(SystemExit, match="command lines"):
        gen_docs.find_blocks(["<!-- run -->", "```", "no commands", "```"], "doc.md")


def test_every_command_example_in_the_docs_is_generated() -> None:
    files = gen_docs.doc_files()
    assert files[0].name == "README.md" and len(files) > 2
    for path in files:
        lines = path.read_text("utf-8").split("\n")
        generated = {line for b in gen_docs.find_blocks(lines, str(path))
                     for line in lines[b.start:b.end]}
        by_hand = [line for line in lines if line.startswith("$ jtai") and line not in generated]
        assert by_hand == [], f"{path.name}: examples outside a <!-- run --> block"
    readme = files[0].read_text("utf-8")
    assert readme.index("$ jtai extract ../shared/reports") < readme.index("$ jtai compare")
