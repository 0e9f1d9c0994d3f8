"""Whole commands on a database of 1,000 reports, as a user runs them (processes).

Builds the database as ``bench_query.py`` does (the sample corpus extracted
once, its reports cloned under new areas and years), then times each command
as a process, Python start-up and imports included (median of ``--repeat``
runs), against two targets: the quick commands (``list``, ``show``,
``search``, ``compare``, ``grades`` as text) within 0.3 s, and ``compare``,
``table`` and ``grades`` in any format within 1 s. The interpreter's own
start-up, the import of the database commands' modules and the import of
pandas (which a table in csv, md, json or xlsx needs) are measured in the
same run, as the floors the commands stand on: on a busy machine all of them
rise together. Then the HTML report of the three areas with the most
findings is written and its size compared with the 2 MB target.

    .venv/bin/python benchmarks/bench_commands.py [--reports-dir ../shared/reports]
        [--reports 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_query import DEFAULT_REPORTS, build, seed_reports, timed
from jtai_tools.query import open_db

QUICK_S = 0.3
WHOLE_S = 1.0
REPORT_BYTES = 2_000_000


def process(*argv: str) -> Callable[[], object]:
    """A process of this interpreter, output discarded, failing loudly."""
    def action() -> object:
        return subprocess.run([sys.executable, *argv], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, check=True)
    return action


def jtai(args: list[str], db: Path) -> Callable[[], object]:
    return process("-c", "import sys; from jtai_tools.cli import main; "
                         "sys.argv = ['jtai', *sys.argv[1:]]; main()", *args, "--db", str(db))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports-dir", type=Path, default=DEFAULT_REPORTS)
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    seeds = seed_reports(args.reports_dir, args.jobs)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        build(db, seeds, args.reports)
        with open_db(db) as database:
            reports = database.conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
            areas = [a for a in database.areas() if a.endswith("-0")]
            one_id = database.report_ids()[0]
            # the report's worst case: the three areas with the most findings
            busiest = [r[0] for r in database.conn.execute(
                "SELECT r.area FROM findings f JOIN reports r ON r.id = f.report_id"
                " GROUP BY r.area ORDER BY COUNT(*) DESC, r.area LIMIT 3")]
        print(f"{reports} reports in {db.name}, {len(database.areas())} areas")
        pair = areas[:2]
        out = Path(folder)
        quick = [
            ["list"], ["list", "--format", "json"], ["show", pair[0]], ["show", one_id],
            ["search", "strategy meetings"], ["search", "supervision", "--area", pair[0]],
            ["compare", *pair], ["grades", "--format", "text"],
        ]
        whole = [
            ["compare", *areas[:5]], ["table", "--by", "area-year", "--format", "csv"],
            ["table", "--by", "area", "--format", "md"], ["grades", "--format", "csv"],
            ["grades", "--history", "--format", "json"],
            ["grades", "--history", "--output", str(out / "grades.xlsx")],
        ]
        floor = timed(process("-c", "pass"), args.repeat)
        group = timed(process("-c", "import jtai_tools.cli.database"), args.repeat)
        pandas = timed(process("-c", "import pandas"), args.repeat)
        print(f"\nin this run: python start-up {floor:.3f} s; the database commands' modules "
              f"imported {group:.3f} s; pandas imported {pandas:.3f} s (start-up included)")
        print(f"\n{'command':<62} {'median s':>9} {'x target':>9}")
        worst = {QUICK_S: 0.0, WHOLE_S: 0.0}
        for target, cases in ((QUICK_S, quick), (WHOLE_S, whole)):
            for case in cases:
                median = timed(jtai(case, db), args.repeat)
                worst[target] = max(worst[target], median)
                name = "jtai " + " ".join(c if "/" not in c else Path(c).name for c in case)
                print(f"{name[:62]:<62} {median:9.3f} {median / target:9.3f}")
        for target, slowest in worst.items():
            verdict = "within" if slowest <= target else "OVER"
            print(f"slowest {slowest:.3f} s: {verdict} the {target:g} s target "
                  f"(ratio {slowest / target:.3f})")

        page = out / "report.html"
        start = time.perf_counter()
        jtai(["report", *busiest, "--output", str(page)], db)()
        seconds = time.perf_counter() - start
        size = page.stat().st_size
        verdict = "within" if size < REPORT_BYTES else "OVER"
        print(f"\njtai report {' '.join(busiest)} (the most findings): {size / 1e6:.2f} MB "
              f"in {seconds:.2f} s: {verdict} the {REPORT_BYTES / 1e6:g} MB target "
              f"(ratio {size / REPORT_BYTES:.3f})")


if __name__ == "__main__":
    main()
