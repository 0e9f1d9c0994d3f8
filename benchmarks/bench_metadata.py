"""How fast is the metadata stage, per report and against reading the file?

Reads every report under REPORTS (pdf/ and text/) once, then times
``read_metadata`` over all of them (best of ``--repeat`` runs, as machines
are noisy). Target: under 5 ms per report on average, and a small fraction
of the time the read stage takes for the same files.

    python benchmarks/bench_metadata.py --reports ../shared/reports
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from jtai_tools.metadata import read_metadata
from jtai_tools.read import read_document

TARGET_MS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1].parent / "shared" / "reports"
    parser.add_argument("--reports", type=Path, default=default)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    files = sorted((args.reports / "pdf").glob("*.pdf")) + sorted(
        (args.reports / "text").glob("*.*")
    )
    start = time.perf_counter()
    raws = [read_document(path) for path in files]
    read_s = time.perf_counter() - start
    read_metadata(raws[0], [], [])  # load the data files once, as a batch would

    best = float("inf")
    slowest: tuple[float, str] = (0.0, "")
    for _ in range(args.repeat):
        run_start = time.perf_counter()
        for raw in raws:
            one = time.perf_counter()
            read_metadata(raw, [], [])
            slowest = max(slowest, (time.perf_counter() - one, raw.path))
        best = min(best, time.perf_counter() - run_start)

    per_report_ms = best / len(raws) * 1000
    print(f"reports:              {len(raws)}")
    print(f"read stage:           {read_s / len(raws) * 1000:.2f} ms per report")
    print(f"metadata stage:       {per_report_ms:.2f} ms per report (target < {TARGET_MS} ms)")
    print(f"metadata / read:      {best / read_s:.3f}")
    print(f"slowest single call:  {slowest[0] * 1000:.2f} ms ({Path(slowest[1]).name})")
    print("target met" if per_report_ms < TARGET_MS else "TARGET MISSED")


if __name__ == "__main__":
    main()
