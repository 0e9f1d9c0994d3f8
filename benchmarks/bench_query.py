"""Speed of ``compare``, ``table`` and ``search`` on a database of 1,000 reports.

Extracts the sample corpus once, then clones its reports under new areas and
years (``<area>-<n>``, dates shifted by whole years) until the database holds
``--reports`` reports, so the findings, themes and text are real extraction
output at a realistic scale. Each query is timed from opening the database to
the rendered answer (median of ``--repeat`` runs) and compared with the 1 s
target; then ``jtai compare`` and ``jtai table`` are timed as a user runs
them, as processes, Python start-up and imports included.

    .venv/bin/python benchmarks/bench_query.py [--reports-dir ../shared/reports]
        [--reports 1000] [--db /tmp/bench.db] [--repeat 5]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from jtai_tools import tables
from jtai_tools.compare import benchmark, compare_areas, compare_reports
from jtai_tools.extract import extract_batch, find_inputs, report_id
from jtai_tools.models import Report
from jtai_tools.query import open_db
from jtai_tools.store import Store

TARGET_S = 1.0
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REPORTS = Path(os.environ.get("JTAI_SHARED", ROOT.parent / "shared")) / "reports"


def seed_reports(folder: Path, jobs: int) -> list[Report]:
    files, problems = find_inputs([folder])
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    seeds: dict[str, Report] = {}
    for outcome in extract_batch(files, jobs=jobs):
        if outcome.report is not None:
            seeds[outcome.report.id] = outcome.report  # text/PDF twins: one report
    return [seeds[k] for k in sorted(seeds)]


def _shift_year(date: str | None, years: int) -> str | None:
    if not date or len(date) < 4 or not date[:4].isdigit():
        return date
    return f"{int(date[:4]) + years:04d}{date[4:]}"


def clone(seed: Report, generation: int) -> Report:
    """A copy of ``seed`` for area ``<area>-<generation>``, ``generation % 5`` years later."""
    report = copy.deepcopy(seed)
    shift = generation % 5
    report.area.name = f"{seed.area.name}-{generation}"
    report.date = _shift_year(seed.date, shift)
    report.fieldwork.start = _shift_year(seed.fieldwork.start, shift)
    report.fieldwork.end = _shift_year(seed.fieldwork.end, shift)
    report.id = report_id(report.area.name, report.date or report.fieldwork.end,
                          report.inspection_type)
    digest = hashlib.sha256(f"{seed.source.sha256}:{generation}".encode()).hexdigest()
    report.source.sha256 = digest
    return report


def build(db: Path, seeds: list[Report], count: int) -> float:
    """Save clones of the seeds until ``count`` reports are stored; seconds taken."""
    start = time.perf_counter()
    with Store(db) as store:
        stored = 0
        generation = 0
        while stored < count:
            for seed in seeds:
                if stored >= count:
                    break
                store.save(clone(seed, generation))
                stored += 1
            generation += 1
    return time.perf_counter() - start


def timed(action: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` runs (the median shrugs off one slow run on a busy host)."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports-dir", type=Path, default=DEFAULT_REPORTS)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    start = time.perf_counter()
    seeds = seed_reports(args.reports_dir, args.jobs)
    print(f"extracted {len(seeds)} seed reports in {time.perf_counter() - start:.1f} s")
    if not seeds:
        sys.exit("no reports extracted; check --reports-dir")
    tmp = tempfile.TemporaryDirectory() if args.db is None else None
    db = args.db or Path(tmp.name) / "bench.db"  # type: ignore[union-attr]
    if db.exists():
        db.unlink()
    seconds = build(db, seeds, args.reports)
    with open_db(db) as database:
        counts = [database.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("reports", "findings", "finding_themes")]
        areas = database.areas()
    print(f"built {db}: {counts[0]} reports, {counts[1]} findings, {counts[2]} theme tags "
          f"in {seconds:.1f} s ({counts[0] / seconds:.0f} saves/s)")
    if not counts[2]:
        print("note: no theme tags; the tagger filled no themes, so the aggregations are light")

    base = [a for a in areas if a.endswith("-0")]
    pair = base[:2]
    with open_db(db) as database:
        busiest = database.conn.execute(
            "SELECT area FROM reports GROUP BY area ORDER BY COUNT(*) DESC, area LIMIT 1"
        ).fetchone()[0]
        two = [r[0] for r in database.conn.execute(
            "SELECT id FROM reports WHERE area = ? ORDER BY sort_date LIMIT 2", (busiest,))]

    def run(query: Callable[..., object]) -> Callable[[], object]:
        def action() -> object:
            with open_db(db) as database:
                return query(database)
        return action

    cases: list[tuple[str, Callable[[], object]]] = [
        (f"compare {pair[0]} {pair[1]}", run(lambda d: compare_areas(d, pair))),
        (f"compare {' '.join(base[:5])}", run(lambda d: compare_areas(d, base[:5]))),
        (f"compare {pair[0]} {pair[1]} --mix-types",
         run(lambda d: compare_areas(d, pair, mix_types=True))),
        (f"compare {pair[0]} --against england",
         run(lambda d: benchmark(d, pair[0], "england"))),
    ]
    if len(two) == 2:
        cases.append((f"compare {two[0]} {two[1]}",
                      run(lambda d: compare_reports(d, two[0], two[1]))))
    for by in ("area", "area-year", "year", "type"):
        cases.append((f"table --by {by} --format csv",
                      run(lambda d, by=by: tables.render_csv(d.theme_table(by=by)))))
    cases.append(("table --by area --polarity concern --format json",
                  run(lambda d: tables.render_json(d.theme_table(by="area",
                                                                 polarity="concern")))))
    cases.append(('search "strategy meetings"', run(lambda d: d.search("strategy meetings"))))
    cases.append(("search Operation Encompass --area (one area)",
                  run(lambda d: d.search("Operation Encompass", area=pair[0]))))

    for args_ in (["compare", *pair], ["compare", pair[0], "--against", "england"],
                  ["table", "--by", "area-year", "--format", "csv"]):
        cases.append((f"jtai {' '.join(args_)} (process)", command(args_, db)))

    print(f"\n{'query':<58} {'median s':>9} {'x target':>9}")
    worst = 0.0
    for name, action in cases:
        median = timed(action, args.repeat)
        worst = max(worst, median)
        print(f"{name[:58]:<58} {median:9.3f} {median / TARGET_S:9.3f}")
    verdict = "within" if worst < TARGET_S else "OVER"
    print(f"\nslowest {worst:.3f} s: {verdict} the {TARGET_S:g} s target "
          f"(ratio {worst / TARGET_S:.3f})")
    if tmp is not None:
        tmp.cleanup()


def command(args: list[str], db: Path) -> Callable[[], object]:
    """Run ``jtai ARGS --db DB`` as a process, output discarded, failing loudly."""
    def action() -> object:
        return subprocess.run([sys.executable, "-m", "jtai_tools.cli", *args, "--db", str(db)],
                              stdout=subprocess.DEVNULL, check=True)
    return action


if __name__ == "__main__":
    main()
