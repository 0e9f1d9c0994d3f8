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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from spacy.attrs import IS_ALPHA, NORM
from spacy.strings import StringStore, get_string_id
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


@dataclass(slots=True)
class WordRows:
    """A finding's known word features as a model's weight rows, and the token span each
    first covers (:meth:`span`).

    The spans stay in the columns of the whole doc's (``starts`` and ``ends``
    from ``first`` on, shared by its findings): only a few are ever asked for,
    so they are neither cut per finding nor made Python lists.
    """

    rows: list[int] = field(default_factory=list)
    starts: list[int] | np.ndarray = field(default_factory=list)
    ends: list[int] | np.ndarray = field(default_factory=list)
    base: int = 0  # the finding's first token in the doc
    first: int = 0  # where the finding's spans start in ``starts`` and ``ends``

    def span(self, k: int) -> tuple[int, int]:
        """The finding's tokens that ``rows[k]``'s feature first covers."""
        at = self.first + k
        return int(self.starts[at]) - self.base, int(self.ends[at]) - self.base


@dataclass(slots=True)
class WordIndex:
    """A model's word features by lemma hash, to find the weight rows of a doc's findings
    from its token columns in a few array operations.

    Tagging with a model needs only the rows of the features the model knows:
    building a ``w:``/``b:`` name for every word and pair of a finding, then
    looking each name up, was the tagger's largest cost. Here every token's
    lemma hash is looked up at once in a hash table (a word no feature names
    is no word here, and ends a pair), and every pair by its two word numbers.
    :meth:`rows` gives exactly the rows ``lemma_features(...).names`` would look
    up, in the same order (so scores sum in the same order and are the same
    floats), and each row's first token span.
    """

    hashes: np.ndarray  # word number -> lemma hash (uint64), for every lemma a feature names
    unigrams: np.ndarray  # word number -> row of its ``w:`` feature, -1 for none (and for -1)
    pairs: np.ndarray  # the key first * words + second of each ``b:`` feature's pair
    pair_rows: np.ndarray  # each key's row
    size: int  # rows in the model (word and context features alike)
    #: ``hashes`` and ``pairs`` as hash tables (see :func:`_hash_table`)
    word_table: pd.Index = field(init=False, repr=False)
    pair_table: pd.Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.word_table = _hash_table(self.hashes)
        self.pair_table = _hash_table(self.pairs)

    @classmethod
    def of(cls, index: Mapping[str, int]) -> WordIndex:
        """The index of a model's feature rows (``name -> row``).

        A bigram name is split at each underscore: a lemma holding one makes
        the name ambiguous, and every split gives the pair whose name it is,
        just as the name itself would be looked up.
        """
        words: dict[int, int] = {}
        unigram_rows: dict[int, int] = {}
        bigrams: list[tuple[int, int, int]] = []

        def number(lemma: str) -> int:
            return words.setdefault(get_string_id(lemma), len(words))

        for name, row in index.items():
            if name.startswith("w:"):
                unigram_rows[number(name[2:])] = row
            elif name.startswith("b:"):
                body = name[2:]
                cut = body.find("_")
                while cut >= 0:
                    bigrams.append((number(body[:cut]), number(body[cut + 1:]), row))
                    cut = body.find("_", cut + 1)
        size = len(words)
        return cls(hashes=np.fromiter(words, dtype=np.uint64, count=size),
                   unigrams=np.array([*(unigram_rows.get(w, -1) for w in range(size)), -1],
                                     dtype=np.int64),
                   pairs=np.array([first * size + second for first, second, _ in bigrams],
                                  dtype=np.int64),
                   pair_rows=np.array([row for _, _, row in bigrams], dtype=np.int64),
                   size=max(index.values(), default=-1) + 1)

    def rows(self, norms: np.ndarray, alphas: np.ndarray, bounds: Sequence[tuple[int, int]]
             ) -> list[WordRows]:
        """The known word feature rows of each finding of a doc, in the order of
        :func:`lemma_features`: by first occurrence, a word's unigram before the
        pair it closes.

        ``norms`` and ``alphas`` are the doc's ``NORM`` and ``IS_ALPHA``
        columns; ``bounds`` each finding's first and past-last token.
        """
        count = len(norms)
        finding = _owners(count, bounds)
        word = self._words(np.asarray(norms, dtype=np.uint64))
        word[(np.asarray(alphas) == 0) | (finding < 0)] = -1
        unigram = self.unigrams[word]
        bigram = np.full(count, -1, dtype=np.int64)
        closes = np.flatnonzero((word[1:] >= 0) & (word[:-1] >= 0)
                                & (finding[1:] == finding[:-1])) + 1
        bigram[closes] = self._pair_rows(word[closes - 1] * len(self.hashes) + word[closes])
        # Position 2i is token i's unigram, 2i + 1 the pair it closes.
        candidates = np.stack([unigram, bigram], axis=1).ravel()
        owners = np.repeat(finding, 2)
        valid = np.flatnonzero(candidates >= 0)
        # First occurrences of each (finding, row): np.unique gives the first index of each.
        _, first = np.unique(owners[valid] * self.size + candidates[valid], return_index=True)
        kept = valid[np.sort(first)]
        rows = candidates[kept].tolist()
        token = kept // 2
        starts, ends = token - (kept % 2), token + 1
        cuts = np.searchsorted(owners[kept], np.arange(len(bounds) + 1)).tolist()
        return [WordRows(rows[a:b], starts, ends, start, a)
                for (start, _), a, b in zip(bounds, cuts[:-1], cuts[1:], strict=True)]

    def _words(self, norms: np.ndarray) -> np.ndarray:
        """Each lemma hash's word number (its place in ``hashes``), -1 for one no feature
        names."""
        return self.word_table.get_indexer(norms)

    def _pair_rows(self, keys: np.ndarray) -> np.ndarray:
        """Each pair key's ``b:`` row, -1 for a pair no feature names."""
        return _look_up(self.pair_table, self.pair_rows, keys)


def _owners(count: int, bounds: Sequence[tuple[int, int]]) -> np.ndarray:
    """Each of a doc's ``count`` tokens' finding (its place in ``bounds``, the findings'
    first and past-last tokens, which never overlap), -1 for a token in none."""
    owners = np.full(count, -1, dtype=np.int64)
    if bounds:
        firsts, ends = np.array(bounds, dtype=np.int64).T
        lengths = ends - firsts
        # Each covered token's place: its finding's first token plus its rank within it.
        tokens = np.arange(lengths.sum()) + np.repeat(firsts - (np.cumsum(lengths) - lengths),
                                                      lengths)
        owners[tokens] = np.repeat(np.arange(len(bounds)), lengths)
    return owners


def _hash_table(keys: np.ndarray) -> pd.Index:
    """Keys as a pandas index, its hash table built now (before a batch's workers fork
    and share it). The keys never repeat: lemma hashes are a dict's keys, and a pair
    of lemmas (first, second) names one bigram, ``b:first_second``."""
    table = pd.Index(keys)
    table.get_indexer(keys[:1])
    return table


def _look_up(table: pd.Index, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The value of each wanted key (``table``: the keys), -1 for a key not there.

    pandas' hash table finds a doc's tokens in a third of the time of a binary
    search in the sorted keys.
    """
    found = table.get_indexer(wanted)
    return np.where(found >= 0, values[found], -1) if len(values) else found


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
