"""Tagging throughput: tokens per second for the tokenizer alone and for the full tagger.

The tagger runs inside ``jtai extract`` on every finding, so its cost is
measured against the floor set by spaCy's blank English tokenizer on the
same texts. Texts are the gold findings and the paragraphs of the corpus
text reports (each a finding of a narrative section, so polarity cues are
judged too), repeated to a steady size.

    .venv/bin/python benchmarks/bench_tag.py [--shared ../shared] [--tokens 300000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from jtai_tools.models import Finding
from jtai_tools.nlp import get_nlp
from jtai_tools.tag import Tagger

ROOT = Path(__file__).resolve().parents[1]


def corpus_texts(shared: Path) -> list[tuple[str, str]]:
    """(section kind, text) pairs: gold findings, then report paragraphs."""
    texts: list[tuple[str, str]] = []
    gold = shared / "gold" / "findings.jsonl"
    if gold.exists():
        for line in gold.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.append((row["section"], row["text"]))
    for path in sorted((shared / "reports" / "text").glob("*")):
        if path.suffix in {".txt", ".md"}:
            for para in path.read_text(encoding="utf-8").split("\n\n"):
                para = " ".join(para.split())
                if len(para) > 40:
                    texts.append(("main-findings", para))
    return texts


def best_of(runs: int, func: Callable[[], None]) -> float:
    """The fastest of ``runs`` timings (least disturbed by other work on the machine)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=Path(os.environ.get("JTAI_SHARED", ROOT.parent / "shared"))
    )
    parser.add_argument("--tokens", type=int, default=300_000, help="Approximate tokens per run.")
    parser.add_argument("--runs", type=int, default=3, help="Timed runs; the best is reported.")
    args = parser.parse_args(argv)

    base = corpus_texts(args.shared)
    if not base:
        print(f"error: no texts found under {args.shared}", file=sys.stderr)
        return 2
    nlp = get_nlp()
    base_tokens = sum(len(nlp.make_doc(t)) for _, t in base)
    cold_tok, cold_tag = cold_pass(base, base_tokens)
    nlp = get_nlp()
    texts = base * max(1, round(args.tokens / base_tokens))
    tokens = base_tokens * (len(texts) // len(base))

    tagger = Tagger()  # the shipped model; built before timing (once per process)
    rules = Tagger(model=None)  # the codebook rules alone, for comparison

    def tokenize() -> None:
        for _ in nlp.tokenizer.pipe((t for _, t in texts), batch_size=512):
            pass

    def tag() -> None:
        findings = [Finding(kind, kind, text) for kind, text in texts]
        tagger.tag(findings)

    def tag_rules() -> None:
        findings = [Finding(kind, kind, text) for kind, text in texts]
        rules.tag(findings)

    tag()  # warm caches for both
    tag_rules()
    tok_s = best_of(args.runs, tokenize)
    tag_s = best_of(args.runs, tag)
    rules_s = best_of(args.runs, tag_rules)
    print(f"texts: {len(texts)} ({len(base)} distinct), tokens: {tokens}")
    print("cold (fresh pipeline, each distinct text once):")
    print(f"  tokenizer alone: {cold_tok:,.0f} tokens/s")
    print(f"  full tagger:     {cold_tag:,.0f} tokens/s")
    print(f"  tagger / tokenizer throughput: {cold_tag / cold_tok:.2f}")
    print(f"warm (texts repeated, best of {args.runs}):")
    print(f"  tokenizer alone: {tokens / tok_s:,.0f} tokens/s")
    print(f"  full tagger:     {tokens / tag_s:,.0f} tokens/s"
          f" ({'model ' + tagger.model.path if tagger.model else 'no model shipped'})")
    print(f"  codebook rules:  {tokens / rules_s:,.0f} tokens/s")
    print(f"  tagger / tokenizer throughput: {tok_s / tag_s:.2f}")
    print(f"  model's cost over the rules: {tag_s / rules_s:.2f}x")
    if tagger.model is not None:
        size = sum(p.stat().st_size for p in Path(tagger.model.path).iterdir())
        print(f"  model files: {size / 1e6:.1f} MB (target <= 20 MB)")
    return 0


def cold_pass(base: list[tuple[str, str]], tokens: int) -> tuple[float, float]:
    """Tokens/s on first sight of each text: new words, empty tokenizer cache.

    Each measurement gets a freshly built pipeline (building is not timed),
    as a new ``jtai extract`` process would.
    """
    get_nlp.cache_clear()
    nlp = get_nlp()
    start = time.perf_counter()
    for _ in nlp.tokenizer.pipe((t for _, t in base), batch_size=512):
        pass
    tok = tokens / (time.perf_counter() - start)
    get_nlp.cache_clear()
    tagger = Tagger()
    findings = [Finding(kind, kind, text) for kind, text in base]
    start = time.perf_counter()
    tagger.tag(findings)
    tag = tokens / (time.perf_counter() - start)
    return tok, tag


if __name__ == "__main__":
    sys.exit(main())
