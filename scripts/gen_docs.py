"""Regenerate the command examples in README.md and docs/*.md from a real run.

A fenced block right after a line ``<!-- run -->`` is generated: each of its
lines that starts with ``$ `` is a shell command, run in order (``jtai``
from this project's virtual environment) in a scratch folder beside a link
to the shared corpus, so ``../shared/reports`` means what it says. The
block becomes each command followed by what it printed (stdout and stderr
as a terminal shows them, colour off). ``<!-- run: SETUP -->`` runs SETUP
first, unshown (to make a bad file for an error example, say). Every file
shares one scratch folder and one database (``$JTAI_DB=jtai.db``), in the
order README.md, then docs/ by name: the README's session extracts the
sample corpus into it first.

    .venv/bin/python scripts/gen_docs.py            # rewrite the examples
    .venv/bin/python scripts/gen_docs.py --check    # exit 1 with a diff when any is stale

Examples that show part of an output say so in the command (``| head -5``),
never by hand, so the docs always say what the commands print.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("JTAI_SHARED", ROOT.parent / "shared"))
MARKER = re.compile(r"^<!-- run(?:: (?P<setup>.*?))? -->$")
FENCE = "```"
#: Seconds one command may take (an extraction of the sample corpus included).
TIMEOUT_S = 900


@dataclass(slots=True)
class Block:
    """A generated block: where its body sits in the file's lines, and what sets it up."""

    start: int  # index of the first body line
    end: int  # index of the closing fence
    setup: str | None
    commands: list[str]


def doc_files(root: Path = ROOT) -> list[Path]:
    """README.md, then docs/*.md by name: the order the examples run in."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def find_blocks(lines: list[str], name: str = "") -> list[Block]:
    """The generated blocks of a file's lines; a marker without a fence is an error."""
    blocks = []
    for i, line in enumerate(lines):
        marker = MARKER.match(line.strip())
        if not marker:
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith(FENCE):
            raise SystemExit(f"{name}:{i + 1}: '<!-- run -->' must be followed by a ``` fence")
        end = next((j for j in range(i + 2, len(lines)) if lines[j].startswith(FENCE)), None)
        if end is None:
            raise SystemExit(f"{name}:{i + 2}: the fence is never closed")
        commands = [b[2:] for b in lines[i + 2:end] if b.startswith("$ ")]
        if not commands:
            raise SystemExit(f"{name}:{i + 2}: a generated block needs '$ ' command lines")
        blocks.append(Block(i + 2, end, marker["setup"], commands))
    return blocks


def _environment(work: Path) -> dict[str, str]:
    """What every command runs with: this project's jtai first, a plain terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JTAI_", "COLUMNS"))}
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "JTAI_DB": "jtai.db", "NO_COLOR": "1", "LC_ALL": "C.UTF-8", "TERM": "dumb",
        "HOME": str(work),
    })
    return env


#: Printed between two commands' outputs (an ASCII record separator).
SEPARATOR = "\x1e"


def run_block(setup: str | None, commands: list[str], work: Path) -> list[str]:
    """What each command prints, stdout and stderr together, run in one shell in ``work``.

    One shell for the block, so ``echo $?`` reports the command before it.
    """
    script = [f"{{ {setup}\n}} >/dev/null 2>&1" if setup else "true"]
    for command in commands:
        script += ["(exit $__rc)", command, "__rc=$?",
                   f"printf '{SEPARATOR}'"]
    done = subprocess.run(["bash", "-c", "__rc=0\n" + "\n".join(script)], cwd=work,
                          env=_environment(work), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT_S, check=False)
    return done.stdout.split(SEPARATOR)[:len(commands)]


def generate(text: str, work: Path, name: str = "") -> str:
    """The file's text with every generated block's output made anew."""
    lines = text.split("\n")
    out: list[str] = []
    cursor = 0
    for block in find_blocks(lines, name):
        out += lines[cursor:block.start]
        for command, printed in zip(block.commands, run_block(block.setup, block.commands, work),
                                    strict=True):
            out.append(f"$ {command}")
            out += printed.rstrip("\n").split("\n") if printed.strip() else []
        cursor = block.end
    out += lines[cursor:]
    return "\n".join(out)


def scratch() -> tempfile.TemporaryDirectory[str]:
    """A scratch folder holding ``work/`` (where commands run) beside ``shared``."""
    if not (SHARED / "reports").is_dir():
        raise SystemExit(f"{SHARED / 'reports'}: the sample corpus is not there (set "
                         "JTAI_SHARED)")
    folder = tempfile.TemporaryDirectory(prefix="jtai-docs-")
    (Path(folder.name) / "shared").symlink_to(SHARED.resolve())
    (Path(folder.name) / "work").mkdir()
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 with a diff when an example is stale")
    args = parser.parse_args(argv)
    stale = 0
    with scratch() as folder:
        work = Path(folder) / "work"
        for path in doc_files():
            current = path.read_text("utf-8")
            fresh = generate(current, work, str(path))
            if fresh == current:
                continue
            if args.check:
                stale += 1
                sys.stdout.writelines(difflib.unified_diff(
                    current.splitlines(keepends=True), fresh.splitlines(keepends=True),
                    str(path), f"{path} (as the commands print it now)", n=1))
            else:
                path.write_text(fresh, "utf-8")
                print(f"rewrote {path}", file=sys.stderr)
    if stale:
        print(f"{stale} file(s) with stale examples: run scripts/gen_docs.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
