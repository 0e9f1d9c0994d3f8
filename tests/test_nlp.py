"""The shared spaCy pipeline: offline, cached, with lookup lemmas on every word."""

from __future__ import annotations

import spacy

from jtai_tools.nlp import get_nlp, lemma, tagging_disabled


def test_pipeline_is_blank_english_with_sentences_and_lemmas() -> None:
    nlp = get_nlp()
    assert nlp.lang == "en"
    assert nlp.pipe_names == ["sentencizer", "lemmatizer"]
    assert nlp.get_pipe("lemmatizer").mode == "lookup"


def test_pipeline_is_cached_per_process() -> None:
    assert get_nlp() is get_nlp()


def test_sentences_and_token_lemmas() -> None:
    doc = get_nlp()("Strategy meetings were held. However, children were not seen alone.")
    assert [s.text for s in doc.sents] == [
        "Strategy meetings were held.",
        "However, children were not seen alone.",
    ]
    lemmas = {t.text: t.lemma_ for t in doc}
    assert lemmas["meetings"] == "meeting"
    assert lemmas["children"] == "child"
    assert lemmas["were"] == "be"


def test_vocabulary_norms_hold_lower_case_lemmas() -> None:
    nlp = get_nlp()
    assert lemma("Children") == "child"
    assert lemma("assessments") == "assessment"
    # A word first seen now gets its lemma norm too (not only words known at start-up).
    doc = nlp.make_doc("The safeguarded placements")
    assert [t.norm_ for t in doc] == ["the", "safeguard", "placement"]
    assert lemma("zzxqv") == "zzxqv"  # unknown words are their own lemma


def test_other_pipelines_keep_plain_norms() -> None:
    get_nlp()
    other = spacy.blank("en")
    assert other.make_doc("children")[0].norm_ == "children"


def test_tagging_runs_the_tokenizer_only() -> None:
    assert set(tagging_disabled(get_nlp())) == {"sentencizer", "lemmatizer"}
