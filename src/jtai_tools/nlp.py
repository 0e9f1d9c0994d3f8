"""The shared spaCy pipeline, built once per process and needing no download.

``spacy.blank("en")`` gives the English tokenizer; a sentencizer splits
sentences by punctuation; the lookup lemmatizer reads its table from the
installed ``spacy-lookups-data`` package, so the pipeline works offline and
gives the same lemmas on every machine. A trained model such as
``en_core_web_sm`` is used only when named explicitly (it would make tagging
depend on what happens to be installed).

Lemmas at no per-token cost: a lookup lemma depends only on the word, so it
is stored once per vocabulary entry, as the entry's ``NORM`` (lower-cased).
Matching on ``NORM`` then matches lemmas ("meetings" -> "meeting") without
running the lemmatizer component over every token, which would cost more
than tokenizing. The lemmatizer component stays in the pipeline for code
that wants ``token.lemma_``; the tagger disables it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

import spacy
from spacy.attrs import NORM
from spacy.language import Language
from spacy.pipeline import Lemmatizer

from .errors import JtaiError

#: The components the tagger needs; others are disabled when tagging (the
#: tokenizer alone: lemmas are the vocabulary's NORMs, findings are sentences).
TAGGING_COMPONENTS: tuple[str, ...] = ()


class PipelineError(JtaiError, RuntimeError):
    """The spaCy pipeline cannot be built (e.g. spacy-lookups-data is missing)."""


@lru_cache(maxsize=4)
def get_nlp(model: str | None = None) -> Language:
    """The cached pipeline: blank English + sentencizer + lookup lemmatizer.

    ``model`` names an installed spaCy model to load instead (optional; its
    own lemmatizer and sentence boundaries are then used).
    """
    if model:
        try:
            return spacy.load(model, exclude=["ner", "textcat"])
        except OSError as exc:
            raise PipelineError(f"spaCy model {model!r} is not installed: {exc}") from None
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    try:
        nlp.initialize()
    except (ValueError, OSError, ImportError) as exc:
        raise PipelineError(
            f"cannot load the English lemma tables (is spacy-lookups-data installed?): {exc}"
        ) from None
    _use_lemma_norms(nlp)
    return nlp


def _use_lemma_norms(nlp: Language) -> None:
    """Make every vocabulary entry's NORM its lower-cased lookup lemma, now and for new words."""
    lemmatizer = cast(Lemmatizer, nlp.get_pipe("lemmatizer"))
    table = lemmatizer.lookups.get_table("lemma_lookup")

    def lemma_norm(word: str) -> str:
        lower = word.lower()
        return str(table.get(lower, lower)).lower()

    vocab: Any = nlp.vocab  # spaCy's type stubs leave out ``lex_attr_getters``
    getters = dict(vocab.lex_attr_getters)  # a copy: other pipelines keep their own
    getters[NORM] = lemma_norm
    vocab.lex_attr_getters = getters
    for lexeme in list(nlp.vocab):
        lexeme.norm_ = lemma_norm(lexeme.orth_)


def lemma(word: str, nlp: Language | None = None) -> str:
    """The lower-cased lookup lemma of one word, as the tagger matches it."""
    nlp = nlp or get_nlp()
    return nlp.vocab[word].norm_


def tagging_disabled(nlp: Language) -> list[str]:
    """Pipeline components the tagger can skip (the sentencizer: findings are sentences)."""
    return [name for name in nlp.pipe_names if name not in TAGGING_COMPONENTS]
