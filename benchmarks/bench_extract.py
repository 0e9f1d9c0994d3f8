"""How fast is ``jtai extract`` against the bare tools it is built on?

Three timings over the same PDFs (default: every PDF in REPORTS/pdf):

1. baseline: bare pypdfium2 text extraction of every page, plus spaCy's
   blank-English tokenizer over that text;
2. jtai: the full pipeline (read, clean, sections, metadata, tagging) in one
   process, without the database;
3. pdfplumber: ``page.extract_text()`` on every page.

Targets: jtai <= 3x the baseline, and pdfplumber >= 10x jtai. Each figure is
the best of ``--repeat`` runs (machines are noisy). Also prints pages/s and
the throughput of a parallel batch with ``--jobs``.

    python benchmarks/bench_extract.py --reports ../shared/reports [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import spacy

from jtai_tools.extract import active_tagger, extract_batch, extract_file

BASELINE_LIMIT = 3.0
PDFPLUMBER_MIN = 10.0


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def baseline(files: list[Path]) -> int:
    """pypdfium2 text of every page, then the blank tokenizer over it; returns tokens."""
    nlp = spacy.blank("en")
    tokens = 0
    for file in files:
        pdf = pdfium.PdfDocument(str(file))
        texts = []
        for page in pdf:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        pdf.close()
        tokens += len(nlp.make_doc("\n".join(texts)))
    return tokens


def jtai(files: list[Path]) -> int:
    """The full extraction pipeline in this process; returns findings."""
    return sum(len(extract_file(file).findings) for file in files)


def plumber(files: list[Path]) -> int:
    """pdfplumber's extract_text on every page; returns characters."""
    chars = 0
    for file in files:
        with pdfplumber.open(str(file)) as pdf:
            for page in pdf.pages:
                chars += len(page.extract_text() or "")
    return chars


def page_count(files: list[Path]) -> int:
    total = 0
    for file in files:
        pdf = pdfium.PdfDocument(str(file))
        total += len(pdf)
        pdf.close()
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=Path, default=Path("../shared/reports"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="only the first N PDFs")
    parser.add_argument("--skip-pdfplumber", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    files = sorted((args.reports / "pdf").glob("*.pdf"))
    if args.limit:
        files = files[: args.limit]
    if not files:
        print(f"no PDFs under {args.reports / 'pdf'}", file=sys.stderr)
        return 2
    pages = page_count(files)

    start = time.perf_counter()
    active_tagger()
    startup = time.perf_counter() - start
    jtai(files[:1])  # warm caches

    figures: dict[str, float] = {"files": len(files), "pages": pages, "startup_s": startup}
    figures["baseline_s"] = best_of(args.repeat, lambda: baseline(files))
    figures["jtai_s"] = best_of(args.repeat, lambda: jtai(files))
    figures["jtai_pages_per_s"] = pages / figures["jtai_s"]
    figures["jtai_over_baseline"] = figures["jtai_s"] / figures["baseline_s"]
    batch = best_of(1, lambda: list(extract_batch(files, jobs=args.jobs)))
    figures[f"batch_jobs{args.jobs}_s"] = batch
    if not args.skip_pdfplumber:
        figures["pdfplumber_s"] = best_of(1, lambda: plumber(files))
        figures["pdfplumber_over_jtai"] = figures["pdfplumber_s"] / figures["jtai_s"]

    ok = figures["jtai_over_baseline"] <= BASELINE_LIMIT and (
        args.skip_pdfplumber or figures["pdfplumber_over_jtai"] >= PDFPLUMBER_MIN
    )
    if args.json:
        print(json.dumps({k: round(v, 3) for k, v in figures.items()}, indent=2))
    else:
        print(f"files: {len(files)}, pages: {pages}")
        print(f"tagger start-up (once per process): {startup:.2f} s")
        print(f"baseline (pypdfium2 text + blank tokenizer): {figures['baseline_s']:.2f} s")
        print(f"jtai extract, 1 process: {figures['jtai_s']:.2f} s "
              f"({figures['jtai_pages_per_s']:.0f} pages/s)")
        print(f"jtai extract, batch with {args.jobs} workers: {batch:.2f} s")
        if not args.skip_pdfplumber:
            print(f"pdfplumber extract_text: {figures['pdfplumber_s']:.2f} s")
        print(f"ratio jtai / baseline: {figures['jtai_over_baseline']:.2f} "
              f"(target <= {BASELINE_LIMIT:g})")
        if not args.skip_pdfplumber:
            print(f"ratio pdfplumber / jtai: {figures['pdfplumber_over_jtai']:.1f} "
                  f"(target >= {PDFPLUMBER_MIN:g})")
        print("targets met" if ok else "TARGET MISSED")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
