"""A national-size run: every PDF of the sample corpus and the development pool, repeated
to at least 12,000 pages, into a fresh database, against the floor measured in the same run.

Figures printed (each measured once, in this order, on a quiet machine):

- floor: bare pypdfium2 text of every page plus spaCy's blank tokenizer, one process;
- ``ingest --jobs 1`` and ``--jobs 2`` (every worker bounded as in ``jtai extract``)
  into a fresh database, pages/s, their ratio to the floor and the 1 -> 2 jobs speed-up;
- the peak resident memory of the largest worker;
- a warm re-run (every file already stored: hashed and skipped);
- start-up of ``jtai --version`` and ``jtai list``;
- the load average before and after, since wall-clock ratios mean little on a busy
  machine; and so the CPU seconds of each run too (the batch process's and its
  workers'), which other programs on the machine hardly change: the floor's, each
  run's total against it, and the wall time the run would take on two free cores
  (its total CPU shared by both, but never less than the batch process's own).

Targets (ratios in one run): jobs 2 <= 1.0x the floor, 1 -> 2 jobs >= 1.8x, one
process <= 2x the floor, peak <= 400 MB per worker, warm re-run <= 2 s.

    python benchmarks/bench_national.py --reports ../shared/reports --corpus ../shared/corpus
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_extract import baseline, page_count
from jtai_tools.extract import active_tagger
from jtai_tools.ingest import ingest
from jtai_tools.store import Store

TARGETS = {"jobs2_over_floor": 1.0, "jobs1_over_floor": 2.0, "speedup_min": 1.8,
           "worker_peak_mb": 400.0, "warm_s": 2.0}


def national_set(sources: list[Path], folder: Path, min_pages: int) -> tuple[list[Path], int]:
    """Copies of every PDF under ``sources``, repeated until they hold ``min_pages`` pages."""
    originals = sorted(p for source in sources for p in source.glob("*.pdf"))
    pages_once = page_count(originals)
    rounds = max(1, -(-min_pages // pages_once))
    files = []
    for round_ in range(rounds):
        target = folder / f"round-{round_}"
        target.mkdir()
        for number, original in enumerate(originals):
            copy = target / f"{number:04d}-{original.name}"
            shutil.copyfile(original, copy)
            files.append(copy)
    return files, pages_once * rounds


def children_cpu() -> float:
    """CPU seconds of the worker processes that have ended (a pool's, once it is joined)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_ingest(files: list[Path], db: Path, jobs: int,
                 cpu: dict[str, float] | None = None) -> tuple[float, dict[str, int]]:
    """Wall seconds and outcome counts of one batch; its CPU seconds into ``cpu``."""
    with Store(db) as store:
        start, own, workers = time.perf_counter(), time.process_time(), children_cpu()
        result = ingest(files, store, jobs=jobs)
        seconds = time.perf_counter() - start
        if cpu is not None:
            cpu["parent"] = time.process_time() - own
            cpu["workers"] = children_cpu() - workers
    return seconds, result.counts


def command_seconds(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "jtai_tools.cli", *args], capture_output=True,
                   check=False)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=Path, default=Path("../shared/reports"))
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--min-pages", type=int, default=12_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files, pages = national_set([args.reports / "pdf", args.corpus], root, args.min_pages)
        active_tagger()  # loaded once, before the workers fork, as in jtai extract
        figures: dict[str, float] = {"files": len(files), "pages": pages,
                                     "load_before": os.getloadavg()[0]}
        start, own = time.perf_counter(), time.process_time()
        baseline(files)
        figures["floor_s"] = time.perf_counter() - start
        figures["floor_cpu_s"] = time.process_time() - own
        counts = {}
        for jobs in (1, 2):
            cpu: dict[str, float] = {}
            seconds, counts = timed_ingest(files, root / f"jobs{jobs}.db", jobs, cpu)
            figures[f"jobs{jobs}_s"] = seconds
            figures[f"jobs{jobs}_pages_per_s"] = pages / seconds
            figures[f"jobs{jobs}_over_floor"] = seconds / figures["floor_s"]
            figures[f"jobs{jobs}_parent_cpu_s"] = cpu["parent"]
            figures[f"jobs{jobs}_workers_cpu_s"] = cpu["workers"]
            total = cpu["parent"] + cpu["workers"]
            figures[f"jobs{jobs}_cpu_over_floor"] = total / figures["floor_cpu_s"]
            figures[f"jobs{jobs}_free_cores_over_floor"] = (
                max(cpu["parent"], total / min(jobs, 2)) / figures["floor_cpu_s"])
        figures["speedup"] = figures["jobs1_s"] / figures["jobs2_s"]
        figures["worker_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        figures["warm_s"], warm_counts = timed_ingest(files, root / "jobs2.db", 2)
        figures["version_s"] = command_seconds("--version")
        figures["list_s"] = command_seconds("list", "--db", str(root / "jobs2.db"))
        figures["load_after"] = os.getloadavg()[0]

    ok = (figures["jobs2_over_floor"] <= TARGETS["jobs2_over_floor"]
          and figures["jobs1_over_floor"] <= TARGETS["jobs1_over_floor"]
          and figures["speedup"] >= TARGETS["speedup_min"]
          and figures["worker_peak_mb"] <= TARGETS["worker_peak_mb"]
          and figures["warm_s"] <= TARGETS["warm_s"])
    if args.json:
        print(json.dumps({k: round(v, 3) for k, v in figures.items()}, indent=2))
    else:
        print(f"files: {len(files)}, pages: {pages} (outcomes: {counts}; warm: {warm_counts})")
        print(f"floor (pypdfium2 text + blank tokenizer, 1 process): {figures['floor_s']:.1f} s "
              f"({pages / figures['floor_s']:.0f} pages/s)")
        for jobs in (1, 2):
            print(f"jtai ingest, {jobs} job(s), fresh database: {figures[f'jobs{jobs}_s']:.1f} s "
                  f"({figures[f'jobs{jobs}_pages_per_s']:.0f} pages/s), "
                  f"{figures[f'jobs{jobs}_over_floor']:.2f}x the floor")
        print(f"CPU seconds: floor {figures['floor_cpu_s']:.1f}")
        for jobs in (1, 2):
            print(f"  {jobs} job(s): batch process {figures[f'jobs{jobs}_parent_cpu_s']:.1f} + "
                  f"workers {figures[f'jobs{jobs}_workers_cpu_s']:.1f}, "
                  f"{figures[f'jobs{jobs}_cpu_over_floor']:.2f}x the floor's; on {jobs} free "
                  f"core(s) {figures[f'jobs{jobs}_free_cores_over_floor']:.2f}x the floor")
        print(f"1 -> 2 jobs speed-up: {figures['speedup']:.2f}x "
              f"(target >= {TARGETS['speedup_min']:g})")
        print(f"peak memory of the largest worker: {figures['worker_peak_mb']:.0f} MB "
              f"(target <= {TARGETS['worker_peak_mb']:g})")
        print(f"warm re-run (all skipped): {figures['warm_s']:.2f} s "
              f"(target <= {TARGETS['warm_s']:g})")
        print(f"start-up: jtai --version {figures['version_s']:.2f} s, "
              f"jtai list {figures['list_s']:.2f} s")
        print(f"load average (1 min) before {figures['load_before']:.1f}, "
              f"after {figures['load_after']:.1f} (2 cores)")
        print(f"targets: jobs 2 <= {TARGETS['jobs2_over_floor']:g}x floor, one process <= "
              f"{TARGETS['jobs1_over_floor']:g}x: " + ("met" if ok else "MISSED"))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
