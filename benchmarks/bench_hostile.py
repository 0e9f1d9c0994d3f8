"""A full-size decompression bomb beside a real report: time, peak memory, exit code.

The bomb is a 4 MB PDF whose one page inflates to 1.5 GB of text operators.
``jtai extract BOMB GOOD`` must refuse it in at most 10 s with a peak
resident memory of at most 1.5 GB for the whole command (its workers
included), exit 1, and store the good report. A second run hands it a page
that draws one 2 MB stream 400 times (each stream small, the page not),
which only the worker's memory limit stops, and prints the same figures.

    python benchmarks/bench_hostile.py --reports ../shared/reports [--check]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import hostile
from jtai_tools.store import Store

TIME_LIMIT_S = 10.0
MEMORY_LIMIT_KIB = 1.5 * 1000**3 / 1024

_WRAPPER = ("import resource, subprocess, sys\n"
            "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(code)\n")


def run_extract(*args: str | Path) -> tuple[int, float, int, str]:
    """``jtai extract ARGS``: exit code, seconds, peak KiB of it and its workers, stderr."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _WRAPPER, sys.executable, "-m", "jtai_tools.cli", "extract",
         *map(str, args)], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    *lines, peak = result.stderr.rstrip("\n").split("\n")
    return result.returncode, seconds, int(peak), "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=Path, default=Path("../shared/reports"))
    parser.add_argument("--inflated", type=float, default=1.5e9, help="bomb size (bytes)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    good_source = args.reports / "text" / "sutton-2023-09-01-jtai.txt"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        bomb = hostile.write_bomb(root / "bomb.pdf", int(args.inflated))
        print(f"bomb: {bomb.stat().st_size / 1e6:.1f} MB file, {args.inflated / 1e9:.2f} GB "
              f"inflated (made in {time.perf_counter() - started:.0f} s)")
        good = root / "good.txt"
        good.write_text(good_source.read_text(encoding="utf-8"), encoding="utf-8")
        db = root / "jtai.db"
        code, seconds, peak, stderr = run_extract(bomb, good, "--db", db)
        with Store(db) as store:
            stored = store.report_ids()
        print(f"bomb + good report: exit {code}, {seconds:.2f} s, peak {peak / 1024:.0f} MB, "
              f"stored {stored}")
        print("  " + "\n  ".join(stderr.splitlines()))
        ok = (code == 1 and seconds <= TIME_LIMIT_S and peak <= MEMORY_LIMIT_KIB
              and stored == ["sutton-2023-09-01-jtai"])

        repeated = hostile.write_repeated_stream(root / "repeated.pdf", 2_000_000, 400)
        code2, seconds2, peak2, stderr2 = run_extract(repeated, "--no-store")
        print(f"one stream drawn 400 times: exit {code2}, {seconds2:.2f} s, "
              f"peak {peak2 / 1024:.0f} MB")
        print("  " + "\n  ".join(stderr2.splitlines()))
        ok = ok and code2 == 1 and peak2 <= MEMORY_LIMIT_KIB
    print(f"targets: <= {TIME_LIMIT_S:g} s, <= 1.5 GB peak, exit 1, good report stored: "
          + ("met" if ok else "MISSED"))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
