"""What the learned tagger sees of a finding: lemma n-grams, codebook matches and context.

The trained model (:mod:`jtai_tools.model`) is linear over sparse binary
features, each a plain string so that a model file can be read and its
weights explained:

- ``w:LEMMA`` for each word, ``b:LEMMA_LEMMA`` for each pair of adjacent
  words (lemmas are the vocabulary's lookup NORMs, as the matchers use);
- ``cb:THEME`` for every codebook theme whose words occur, ``top:THEME``
  for those the rule tagger ranked salient, ``ag:AGENCY`` for agency words;
- ``pol:VERDICT`` for the rule polarity and ``cue:LABEL`` for each kind of
  polarity cue present (negator, hedge, contrast ...);
- ``sec:KIND`` for the section and ``type:TYPE`` for the inspection type.

(Words marked as under a negator's scope or after a contrast word were tried
as well, and left out: they did not raise polarity accuracy in grouped
cross-validation.)

The codebook features let the model learn when a codebook match is a
passing mention and when it is the point; the n-grams let it find themes in
words the codebook never lists. Each word feature remembers its first token
span, so a tag only the model gave can still point at the words behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from spacy.attrs import IS_ALPHA, NORM
from spacy.strings import StringStore
from spacy.tokens import Doc


@dataclass(slots=True)
class FindingFeatures:
    """One finding's feature strings, and the token span each word feature first covers."""

    names: list[str] = field(default_factory=list)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)


def word_features(doc: Doc) -> FindingFeatures:
    """Unigram and bigram lemma features of a (lower-cased) finding doc."""
    norms, alphas = doc.to_array([NORM, IS_ALPHA]).T.tolist()
    return lemma_features(norms, alphas, doc.vocab.strings)


def lemma_features(norms: Sequence[int], alphas: Sequence[int], strings: StringStore
                   ) -> FindingFeatures:
    """:func:`word_features` of a finding's tokens given as their ``NORM`` and ``IS_ALPHA``
    columns (the tagger reads a whole report's tokens at once)."""
    names = _NAMES
    result = FindingFeatures()
    spans = result.spans
    previous = ""  # "b:LEMMA" of the word before, "" after a non-word
    before = 0
    for i, (norm, alpha) in enumerate(zip(norms, alphas, strict=True)):
        if not alpha:
            previous = ""
            continue
        known = names.get(norm)
        if known is None:
            lemma = strings[norm]
            known = names[norm] = ("w:" + lemma, "b:" + lemma, "_" + lemma)
        unigram, opening, closing = known
        if unigram not in spans:
            spans[unigram] = (i, i + 1)
        if previous:
            bigram = previous + closing
            if bigram not in spans:
                spans[bigram] = (before, i + 1)
        previous = opening
        before = i
    result.names = list(spans)
    return result


#: A lemma's ``w:LEMMA``, the ``b:LEMMA`` that opens its bigrams and the ``_LEMMA`` that
#: closes them, by the lemma's string hash (spaCy's hash of the string, the same in every
#: vocabulary): built once per process rather than at every occurrence of the word.
_NAMES: dict[int, tuple[str, str, str]] = {}


def context_features(
    *,
    codebook_themes: Iterable[str],
    salient_themes: Iterable[str],
    agencies: Iterable[str],
    rule_polarity: str,
    cues: Iterable[str],
    section_kind: str,
    inspection_type: str | None,
) -> list[str]:
    """The features that come from the rule tagger and the finding's place in its report."""
    names = [f"cb:{t}" for t in sorted(set(codebook_themes))]
    names += [f"top:{t}" for t in sorted(set(salient_themes))]
    names += [f"ag:{a}" for a in sorted(set(agencies))]
    names.append(f"pol:{rule_polarity}")
    names += [f"cue:{c}" for c in sorted(set(cues))]
    names.append(f"sec:{section_kind}")
    names.append(f"type:{inspection_type or 'unknown'}")
    return names
