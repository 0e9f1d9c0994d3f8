"""The learned tagger's features: names for training, weight rows for tagging.

Tagging finds a finding's word feature rows from its token columns
(:class:`WordIndex`) rather than by name; these tests hold it to exactly the
rows, order and spans that looking up the names of :func:`lemma_features`
gives, on random docs and on the labelled findings with the shipped model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.attrs import IS_ALPHA, NORM
from spacy.strings import StringStore

from jtai_tools.features import WordIndex, WordRows, lemma_features
from jtai_tools.model import default_model
from jtai_tools.tag import Tagger, fold_case

LABELS = Path(__file__).resolve().parents[1] / "labels" / "findings.jsonl"

#: Lemmas of a tiny vocabulary; underscores make bigram names ambiguous ("b:a_b_c").
LEMMAS = ["a", "b", "c", "a_b", "b_c", "care", "child"]


def by_names(norms: list[int], alphas: list[int], strings: StringStore,
             index: dict[str, int]) -> WordRows:
    """The rows and spans tagging found by looking up each feature name."""
    features = lemma_features(norms, alphas, strings)
    rows = WordRows()
    for name in features.names:
        if name in index:
            rows.rows.append(index[name])
            start, end = features.spans[name]
            rows.starts.append(start)
            rows.ends.append(end)
    return rows


def spans_of(rows: WordRows) -> list[tuple[int, int]]:
    return [rows.span(k) for k in range(len(rows.rows))]


@settings(max_examples=300, deadline=None)
@given(
    findings=st.lists(st.lists(st.tuples(st.sampled_from(LEMMAS), st.booleans()), max_size=12),
                      min_size=1, max_size=4),
    known=st.sets(st.sampled_from(
        [f"w:{a}" for a in LEMMAS] + [f"b:{a}_{b}" for a in LEMMAS for b in LEMMAS]),
        max_size=40),
)
def test_word_rows_are_the_rows_of_the_feature_names(
        findings: list[list[tuple[str, bool]]], known: set[str]) -> None:
    strings = StringStore(LEMMAS)
    index = {name: row for row, name in enumerate([*sorted(known), "sec:main-findings"])}
    norms = [strings[lemma] for tokens in findings for lemma, _ in tokens]
    alphas = [int(alpha) for tokens in findings for _, alpha in tokens]
    bounds, start = [], 0
    for tokens in findings:
        bounds.append((start, start + len(tokens)))
        start += len(tokens)
    found = WordIndex.of(index).rows(np.array(norms, dtype=np.uint64), np.array(alphas), bounds)
    for (first, end), rows in zip(bounds, found, strict=True):
        expected = by_names(norms[first:end], alphas[first:end], strings, index)
        assert rows.rows == expected.rows
        assert spans_of(rows) == spans_of(expected)


def test_the_shipped_model_finds_the_same_rows_as_by_name() -> None:
    """Every labelled finding of 40 reports, tokenized as tagging does, one doc a report."""
    model = default_model()
    assert model is not None
    index = {name: row for row, name in enumerate(model.features)}
    tagger = Tagger(model=None)
    by_report: dict[str, list[str]] = {}
    with LABELS.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            by_report.setdefault(record["report"], []).append(fold_case(record["text"]))
    compared = 0
    for texts in list(by_report.values())[:40]:
        spans = tagger._joined_spans(texts)
        doc = spans[0].doc
        assert all(span.doc is doc for span in spans)
        columns = doc.to_array([NORM, IS_ALPHA])
        found = model.word_index.rows(columns[:, 0], columns[:, 1],
                                      [(s.start, s.end) for s in spans])
        for span, rows in zip(spans, found, strict=True):
            norms, alphas = span.as_doc().to_array([NORM, IS_ALPHA]).T.tolist()
            expected = by_names(norms, alphas, doc.vocab.strings, index)
            assert rows.rows == expected.rows, span.text
            assert spans_of(rows) == spans_of(expected), span.text
            compared += 1
    assert compared > 1000
