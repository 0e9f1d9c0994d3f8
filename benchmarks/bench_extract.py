"""How fast is ``jtai extract`` against the bare tools it is built on?

Three timings over the same PDFs (default: every PDF in REPORTS/pdf):

1. baseline: bare pypdfium2 text extraction of every page, plus spaCy's
   blank-English tokenizer over that text;
2. jtai: the full pipeline (read, clean, sections, metadata, tagging) in one
   process, without the database;
3. pdfplumber: ``page.extract_text()`` on every page.

Targets: jtai <= 3x the baseline, and pdfplumber >= 10x jtai. Each figure is
the best of ``--repeat`` runs (machines are noisy). Also prints pages/s, the
throughput of a parallel batch with ``--jobs``, and the CPU seconds of each
stage of the pipeline (read, clean, sections, metadata, findings, tagging, the
store's rows) against the baseline's: where the time beyond the bare tools goes.

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

from jtai_tools.clean import clean_document
from jtai_tools.extract import active_tagger, extract_batch, extract_file
from jtai_tools.metadata import read_metadata
from jtai_tools.read import read_document
from jtai_tools.sections import build_findings, split_sections
from jtai_tools.store import report_rows

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


def stage_cpu(files: list[Path]) -> dict[str, float]:
    """CPU seconds of each stage of the pipeline over ``files``, in one process.

    The stages are called one after the other as :func:`extract_file` calls
    them; the store's rows (built in the worker in a batch) close the list,
    timed on the report :func:`extract_file` gives (not counted again).
    """
    tagger = active_tagger()
    seconds = dict.fromkeys(("read", "clean", "sections", "metadata", "findings", "tag",
                             "rows"), 0.0)

    def timed(stage: str, start: float) -> float:
        now = time.process_time()
        seconds[stage] += now - start
        return now

    for file in files:
        start = time.process_time()
        raw = read_document(file)
        start = timed("read", start)
        blocks = clean_document(raw)
        start = timed("clean", start)
        sections = split_sections(blocks)
        start = timed("sections", start)
        meta = read_metadata(raw, blocks, sections)
        start = timed("metadata", start)
        findings = build_findings(sections)
        start = timed("findings", start)
        tagger.tag(findings, inspection_type=meta.inspection_type)
        timed("tag", start)
        report = extract_file(file)
        start = time.process_time()
        report_rows(report)
        timed("rows", start)
    return seconds


def baseline_cpu(files: list[Path]) -> float:
    """CPU seconds of :func:`baseline` over ``files``."""
    start = time.process_time()
    baseline(files)
    return time.process_time() - start


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
    floor_cpu = baseline_cpu(files)
    stages = stage_cpu(files)
    figures["baseline_cpu_s"] = floor_cpu
    figures.update({f"cpu_{stage}_s": value for stage, value in stages.items()})
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
        print(f"CPU seconds by stage, one process (baseline {floor_cpu:.2f} s): " + ", ".join(
            f"{stage} {value:.2f} ({value / floor_cpu:.2f}x)" for stage, value in stages.items())
            + f"; all {sum(stages.values()):.2f} ({sum(stages.values()) / floor_cpu:.2f}x)")
        print(f"ratio jtai / baseline: {figures['jtai_over_baseline']:.2f} "
              f"(target <= {BASELINE_LIMIT:g})")
        if not args.skip_pdfplumber:
            print(f"ratio pdfplumber / jtai: {figures['pdfplumber_over_jtai']:.1f} "
                  f"(target >= {PDFPLUMBER_MIN:g})")
        print("targets met" if ok else "TARGET MISSED")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
