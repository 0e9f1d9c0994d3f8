"""How fast are the clean and sections stages, without the read stage?

Every PDF in REPORTS/pdf is read once (not timed); then clean_document,
split_sections and build_findings run over all of them, and the best of
``--repeat`` passes is printed with the per-report mean and the ratio to the
target (TARGET_SECONDS for the whole sample corpus).

    python benchmarks/bench_sections.py --reports ../shared/reports [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from jtai_tools.clean import clean_document
from jtai_tools.models import RawDocument
from jtai_tools.read import InputError, read_document
from jtai_tools.sections import build_findings, split_sections

#: Seconds that clean + sections + findings may take over the 57 sample PDFs.
TARGET_SECONDS = 0.5


def one_pass(documents: list[RawDocument]) -> tuple[float, int]:
    """Seconds for one pass over every document, and the findings it gave."""
    start = time.perf_counter()
    findings = 0
    for raw in documents:
        findings += len(build_findings(split_sections(clean_document(raw))))
    return time.perf_counter() - start, findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=Path, required=True, help="folder with pdf/")
    parser.add_argument("--repeat", type=int, default=3, help="passes; the best is reported")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    paths = sorted((args.reports / "pdf").glob("*.pdf"))
    if not paths:
        print(f"{args.reports / 'pdf'}: no PDF files found", file=sys.stderr)
        return 2
    documents: list[RawDocument] = []
    for path in paths:
        try:
            documents.append(read_document(path))
        except InputError as exc:
            print(f"skipped: {exc}", file=sys.stderr)
    runs = [one_pass(documents) for _ in range(max(1, args.repeat))]
    best = min(seconds for seconds, _ in runs)
    figures = {
        "reports": len(documents),
        "pages": sum(raw.page_count for raw in documents),
        "findings": runs[0][1],
        "best_seconds": round(best, 4),
        "ms_per_report": round(1000 * best / max(1, len(documents)), 2),
        "target_seconds": TARGET_SECONDS,
        "ratio_to_target": round(best / TARGET_SECONDS, 3),
    }
    if args.json:
        print(json.dumps(figures, indent=1, sort_keys=True))
    else:
        print(f"clean + sections + findings: {figures['best_seconds']:.3f} s for "
              f"{figures['reports']} reports ({figures['pages']} pages, "
              f"{figures['findings']} findings), {figures['ms_per_report']:.1f} ms/report, "
              f"best of {args.repeat}")
        print(f"target {TARGET_SECONDS:.2f} s: ratio {figures['ratio_to_target']:.2f} "
              f"({'met' if best <= TARGET_SECONDS else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
