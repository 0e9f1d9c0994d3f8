"""Tag stage: themes, polarity and agencies for each finding, with evidence.

Every tag is found by spaCy matchers built from data files (the theme
codebook, ``agencies.toml``, ``polarity.toml``), never by rules in code, and
every tag keeps the words that made it (:class:`~jtai_tools.models.Evidence`
with character offsets into the finding text), so a reader can check why a
finding was tagged.

Matching runs on the shared pipeline from :mod:`jtai_tools.nlp`: phrases
through a ``PhraseMatcher`` on lemmas (the vocabulary's lemma NORMs, so
"strategy meeting" also finds "strategy meetings"), exact words through a
``PhraseMatcher`` on lower-case text, and token patterns through a
``Matcher`` (their ``LEMMA`` keys are matched on those NORMs too). A match
lying strictly inside a longer match of the same group is dropped: the
longer, more specific phrase decides ("mental health" is not also "health").

Polarity: an item of an improvement or recommendations list is a concern and
an item of a strengths list a strength, whatever its wording (the section
says so). Any other sentence is judged by its cue words (``polarity.toml``),
with negation ("not effective" is a concern, "without delay" a strength,
"not always" limits whatever follows), phrases that only look like
judgements ("as well as", "raise a concern") and contrast (a sentence
with both kinds of cue and "but", "however" ... is mixed).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from operator import attrgetter
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from spacy.attrs import IDX, IS_ALPHA, LENGTH, NORM
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from .codebook import (
    AgencyVocab,
    Codebook,
    PolarityCues,
    Theme,
    load_agencies,
    load_codebook,
    load_polarity,
)
from .features import WordRows, context_features, lemma_features
from .model import Prediction, TaggerModel, default_model
from .models import POLARITIES, Evidence, Finding, Report
from .nlp import get_nlp, tagging_disabled
from .vocab import section_roles

BATCH_SIZE = 512
#: Most characters tokenized as one doc when findings are tagged together: far
#: above a report's findings (tens of thousands), far below spaCy's limit (a million).
JOINED_CHARS = 200_000

#: Above this many spelled-out alternatives a token pattern keeps its IN sets.
MAX_PATTERN_VARIANTS = 64

Group = Literal["theme", "agency", "polarity", "anchor"]

#: Polarity cue lists (fields of :class:`PolarityCues`) and the label of their hits.
CUE_LISTS: dict[str, str] = {
    "concern": "concern",
    "strength": "strength",
    "negators": "negator",
    "hedges": "hedge",
    "averters": "averter",
    "subordinators": "subordinator",
    "contrast": "contrast",
    "reach": "reach",
    "linking": "linking",
    "neutral": "neutral",
}
#: Cue labels that judge a sentence (the others only shape how cues are read).
JUDGING_CUES = frozenset({"concern", "strength", "negator", "hedge", "averter"})
#: Cue labels that turn the next cue around, and the cue labels each can turn.
NEGATING_CUES: dict[str, frozenset[str]] = {
    "negator": frozenset({"concern", "strength"}),
    "hedge": frozenset({"concern", "strength"}),
    "averter": frozenset({"concern"}),
}


class Hit(NamedTuple):
    """One surviving match: its group, label and token span.

    A named tuple rather than a frozen dataclass: a report makes tens of
    thousands of hits, and a tuple is built, hashed and compared in compiled
    code.
    """

    group: Group
    label: str
    start: int
    end: int


@dataclass(slots=True)
class Words:
    """A finding's tokens as columns (lemma hashes, whether each is a word, character
    offsets and lengths): those of the whole text they were tokenized from (a report's
    findings are one doc), shared by its findings, the finding's tokens from ``first``
    to ``stop``, its text starting at character ``base``.

    Columns rather than a row per token: a list per token is a container the
    garbage collector keeps visiting, which cost more than the tokenizer; and the
    doc's columns, rather than each finding's cut from them, which cost more than
    the few offsets ever read.
    """

    norms: list[int]
    alphas: list[int]
    starts: list[int]
    lengths: list[int]
    base: int = 0
    first: int = 0
    stop: int | None = None  # None: to the end of the columns

    def chars(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets in the finding of the tokens ``start`` to ``end``."""
        base, first, last = self.base, self.first + start, self.first + end - 1
        return self.starts[first] - base, self.starts[last] + self.lengths[last] - base

    def lemmas(self) -> tuple[list[int], list[int]]:
        """The finding's own ``NORM`` and ``IS_ALPHA`` columns."""
        stop = len(self.norms) if self.stop is None else self.stop
        return self.norms[self.first:stop], self.alphas[self.first:stop]

    @classmethod
    def of(cls, doc: Doc | Span) -> Words:
        """The words of a doc of its own, or of a span of a finding's doc."""
        if isinstance(doc, Span):
            return _columns(doc.doc).part(doc.start, doc.end, doc.start_char)
        return _columns(doc)

    def part(self, start: int, end: int, base: int) -> Words:
        """The words of tokens ``start`` to ``end`` (of a doc's columns), a text starting
        at character ``base``."""
        return Words(self.norms, self.alphas, self.starts, self.lengths, base,
                     self.first + start, self.first + end)


def _columns(doc: Doc) -> Words:
    """A whole doc's :class:`Words`, read in one call."""
    return _words_from(doc.to_array(WORD_ATTRS))


def _words_from(array: np.ndarray) -> Words:
    """The :class:`Words` of a doc's ``WORD_ATTRS`` columns."""
    norms, alphas, starts, lengths = array.T.tolist()
    return Words(norms, alphas, starts, lengths)


#: The token attributes :class:`Words` reads, in its columns' order.
WORD_ATTRS = [NORM, IS_ALPHA, IDX, LENGTH]
_NORM_COLUMN, _ALPHA_COLUMN = WORD_ATTRS.index(NORM), WORD_ATTRS.index(IS_ALPHA)


@dataclass(slots=True)
class Analysis:
    """The codebook rules' reading of one finding, kept for the model and for evidence.

    ``doc`` is the finding's tokens: a span of the doc of its report's findings.
    """

    doc: Doc | Span
    theme_hits: list[Hit]
    agency_hits: list[Hit]
    salient: set[str]
    default_agency: str | None
    polarity: str
    cue_evidence: list[Evidence]
    fixed_polarity: str | None
    features: list[str] = field(default_factory=list)  # names, when featurizing for training
    rows: list[int] = field(default_factory=list)  # the model's weight rows of its features
    word_rows: WordRows = field(default_factory=WordRows)  # the word ones, with their spans
    words: Words = field(default_factory=lambda: Words([], [], [], []))


#: The word rows of a finding tagged without a model (shared: nothing changes them).
_NO_WORD_ROWS = WordRows()

#: ``model=`` value that means "the model shipped in the package, if any".
SHIPPED = "shipped"


class Tagger:
    """Tags findings in place; build once and reuse (building the matchers is the costly part).

    ``codebook`` defaults to the built-in one; ``agencies`` and ``polarity``
    default to the built-in vocabularies; ``nlp`` to :func:`get_nlp`.
    ``model`` is a trained :class:`~jtai_tools.model.TaggerModel`, ``None``
    for the codebook rules alone, or by default the model shipped in the
    package (rules alone where none ships). ``featurize`` keeps the model's
    features on each :class:`Analysis` even without a model (for training).
    """

    def __init__(
        self,
        codebook: Codebook | None = None,
        *,
        agencies: AgencyVocab | None = None,
        polarity: PolarityCues | None = None,
        nlp: Language | None = None,
        model: TaggerModel | str | None = SHIPPED,
        featurize: bool = False,
    ) -> None:
        self.model: TaggerModel | None = default_model() if model == SHIPPED else (
            model if isinstance(model, TaggerModel) else None)
        self.featurize = featurize
        self.codebook = codebook or load_codebook()
        self.agencies = agencies or load_agencies()
        self.cues = polarity or load_polarity()
        self.nlp = nlp or get_nlp()
        self._disabled = tagging_disabled(self.nlp)
        self._labels: dict[int, tuple[Group, str]] = {}
        vocab = self.nlp.vocab
        # Themes and agencies share matchers (one pass over each finding).
        self._lemma = PhraseMatcher(vocab, attr="NORM")
        self._lower = PhraseMatcher(vocab, attr="LOWER")
        self._tokens = Matcher(vocab)
        self._cues = PhraseMatcher(vocab, attr="LOWER")
        self._anchors: dict[str, set[str]] = {"NORM": set(), "LOWER": set()}
        # acronyms as written, and lower-cased: a hit counts only if spelt as listed
        self._acronym_forms: set[str] = set()
        self._acronyms: set[str] = set()
        self._always_tokens = False
        # whether every token pattern match starts on a token the anchor phrases find
        self._anchored_tokens = True
        # most tokens a token pattern match can cover (None: no bound)
        self._longest_match: int | None = 0
        self._order = {t.id: i for i, t in enumerate(self.codebook.themes)}
        self._weight = {t.id: t.weight for t in self.codebook.themes}
        self._agency_order = {a.id: i for i, a in enumerate(self.agencies.agencies)}
        self._add_vocabulary()
        self._add_anchors()
        self._add_cues()
        if self.model is not None:
            # Built here, before a batch's workers fork and share it, not once in each.
            _ = self.model.word_index

    # -- building ---------------------------------------------------------------

    def _add_vocabulary(self) -> None:
        """Themes and agencies, and their ignore phrases (hits labelled "" that hide others)."""
        for theme in self.codebook.themes:
            self._add_patterns("theme", theme)
        for agency in self.agencies.agencies:
            self._add_patterns("agency", agency)
        ignores: tuple[tuple[Group, tuple[str, ...]], ...] = (
            ("theme", self.codebook.ignore),
            ("agency", self.agencies.ignore),
        )
        for group, ignore in ignores:
            if ignore:
                self._add_phrases(self._lemma, group, "", ignore, lemma=True)

    def _add_anchors(self) -> None:
        """The first words of token patterns, found by the phrase matchers (see _note_anchor)."""
        matchers = (("NORM", self._lemma), ("LOWER", self._lower))
        for attr, matcher in matchers:
            words = sorted(self._anchors[attr])
            if words:
                docs = [self.nlp.make_doc(w) for w in words]
                matcher.add(self._key("anchor", attr), docs)
                self._anchored_tokens &= all(_one_token_of(doc, attr) for doc in docs)

    def _add_cues(self) -> None:
        """Polarity cues, in a matcher of their own: list items (polarity fixed) skip it."""
        for cue_list, label in CUE_LISTS.items():
            phrases = getattr(self.cues, cue_list)
            self._add_phrases(self._cues, "polarity", label, phrases, lemma=False)

    def _key(self, group: Group, label: str) -> str:
        """The matcher key of a group's label, remembered so that hits map back to it."""
        key = f"{group}:{label}"
        self._labels[self.nlp.vocab.strings.add(key)] = (group, label)
        return key

    def _add_patterns(self, group: Group, item: Theme) -> None:
        """A theme's or agency's phrases, exact words and token patterns.

        A phrase also matches as written: the lookup lemmatizer has no part of
        speech, so "meeting" (-> "meet") and "meetings" (-> "meeting") differ.
        """
        self._add_phrases(self._lemma, group, item.id, item.phrases, lemma=True)
        self._add_phrases(self._lower, group, item.id, (*item.exact, *item.phrases), lemma=False)
        self._add_phrases(self._lower, group, item.id, item.acronyms, lemma=False)
        self._acronym_forms.update(item.acronyms)
        self._acronyms.update(fold_case(a) for a in item.acronyms)
        if item.tokens:
            patterns = [q for p in item.tokens for q in self._token_patterns(p)]
            self._tokens.add(self._key(group, item.id), patterns)
            for pattern in patterns:
                longest = _longest_match(pattern)
                if longest is None or self._longest_match is None:
                    self._longest_match = None
                else:
                    self._longest_match = max(self._longest_match, longest)
            for pattern in patterns:
                self._note_anchor(pattern[0])

    def _note_anchor(self, first: dict) -> None:
        """Remember a token pattern's first word: the matcher runs only where one occurs.

        The token ``Matcher`` costs far more per token than the phrase
        matchers, and most findings contain no word that can start a token
        pattern; a pattern whose first token is not one plain word makes it
        run on every finding.
        """
        plain = {k: v for k, v in first.items() if k != "OP"}
        if first.get("OP") == "!":  # a match starts anywhere but on the word
            self._anchored_tokens = False
        if first.get("OP") in (None, "!", "+") and len(plain) == 1:
            (attr, value), = plain.items()
            if attr in ("NORM", "LOWER") and isinstance(value, str):
                self._anchors[attr].add(value)
                return
        self._always_tokens = True

    def _token_patterns(self, pattern: Sequence[dict]) -> list[list[dict]]:
        """A codebook token pattern as the matcher runs it.

        ``LEMMA`` becomes ``NORM`` (where the lemmas are) and values are
        case-folded like the text. A small ``IN`` set is spelled out as
        alternative patterns: plain values are compared in compiled code,
        while an ``IN`` set is checked in Python for every token.
        """
        variants: list[list[dict]] = [[]]
        for token in pattern:
            options = [dict(token)]
            for key in list(token):
                if key in ("LEMMA", "LOWER"):
                    attr = "NORM" if key == "LEMMA" else "LOWER"
                    value = token[key]
                    fold = self._lemma_of if key == "LEMMA" else fold_case
                    if isinstance(value, str):
                        values = [fold(value)]
                    elif isinstance(value, dict) and set(value) == {"IN"}:
                        values = list(dict.fromkeys(fold(v) for v in value["IN"]))
                    else:
                        values = None
                    if values is None:
                        continue
                    options = [
                        {**{k: v for k, v in o.items() if k != key}, attr: v}
                        for o in options
                        for v in values
                    ]
            variants = [[*v, o] for v in variants for o in options]
            if len(variants) > MAX_PATTERN_VARIANTS:
                return [[self._in_form(t) for t in pattern]]
        return variants

    def _in_form(self, token: dict) -> dict:
        """A token pattern with LEMMA moved to NORM and values case-folded, IN sets kept."""
        result: dict = {}
        for key, value in token.items():
            if key in ("LEMMA", "LOWER"):
                fold = self._lemma_of if key == "LEMMA" else fold_case
                attr = "NORM" if key == "LEMMA" else "LOWER"
                if isinstance(value, str):
                    result[attr] = fold(value)
                elif isinstance(value, dict):
                    result[attr] = {
                        op: [fold(v) for v in vals] if isinstance(vals, list) else vals
                        for op, vals in value.items()
                    }
                else:
                    result[attr] = value
            else:
                result[key] = value
        return result

    def _lemma_of(self, word: str) -> str:
        """A pattern word as the matcher sees text: its lower-cased lemma (the NORM)."""
        return self.nlp.vocab[fold_case(word)].norm_

    def _add_phrases(
        self,
        matcher: PhraseMatcher,
        group: Group,
        label: str,
        phrases: Sequence[str],
        *,
        lemma: bool,
    ) -> None:
        """Add phrases under one key: lemmatised (whole pipeline) or as written (tokenizer only)."""
        if not phrases:
            return
        if lemma:
            docs = list(self.nlp.pipe(map(fold_case, phrases), disable=self._disabled))
        else:
            docs = [self.nlp.make_doc(fold_case(p)) for p in phrases]
        matcher.add(self._key(group, label), docs)

    # -- tagging ----------------------------------------------------------------

    def tag(self, findings: list[Finding], inspection_type: str | None = None) -> None:
        """Fill each finding's themes, polarity, agencies and evidence (replacing old tags).

        ``inspection_type`` (the report's, e.g. ``"area-send"``) adds the
        themes the codebook's ``[context]`` implies for that kind of report
        (such a theme has evidence only where its words also occur), and
        chooses the agency given to a finding that names none. With a model,
        the codebook's matches are features of the learned heads, which decide
        (themes the model has no head for are still the codebook's).
        """
        analyses = self.analyse(findings, inspection_type)
        if self.model is None:
            for finding, analysis in zip(findings, analyses, strict=True):
                self._apply_rules(finding, analysis)
            return
        model = self.model
        predictions = model.decide(model.scores([a.rows for a in analyses]))
        known = set(model.theme_ids)
        for finding, analysis, prediction in zip(findings, analyses, predictions, strict=True):
            self._apply_model(finding, analysis, prediction, known)

    def analyse(self, findings: list[Finding], inspection_type: str | None = None
                ) -> list[Analysis]:
        """What the codebook rules find in each finding, and the model's features of it.

        The findings are tokenized and matched as one doc (one tokenizer call
        and one call of each phrase matcher, rather than one per finding);
        each finding is a span of it, and a match across two findings counts
        for neither.
        """
        kind = inspection_type or ""
        implied = self.codebook.context.get(kind, ())
        default_agency = self.agencies.default_for.get(kind, self.agencies.default)
        texts = [fold_case(f.text) for f in findings]
        spans = self._spans(texts)
        columns = _doc_columns(spans)
        words = _words_of(columns)
        word_rows = (self._word_rows(columns) if self.model is not None
                     else [None] * len(spans))
        phrase_hits = self._span_hits(spans, (self._lemma, self._lower))
        narrative = [f.section_kind not in section_roles().polarity for f in findings]
        cue_hits = (self._span_hits(spans, (self._cues,), narrative) if any(narrative)
                    else [[] for _ in spans])
        return [self._analyse(finding, folded, span, word, hits, cues, implied,
                              default_agency, inspection_type, rows)
                for finding, folded, span, word, hits, cues, rows
                in zip(findings, texts, spans, words, phrase_hits, cue_hits, word_rows,
                       strict=True)]

    def _word_rows(self, columns: list[tuple[list[Span], np.ndarray]]) -> list[WordRows]:
        """The model's word feature rows of each span, from one lookup per doc
        (``columns``: see :func:`_doc_columns`)."""
        assert self.model is not None
        index = self.model.word_index
        found: list[WordRows] = []
        for spans, array in columns:
            found.extend(index.rows(array[:, _NORM_COLUMN], array[:, _ALPHA_COLUMN],
                                    [(span.start, span.end) for span in spans]))
        return found

    def _spans(self, texts: list[str]) -> list[Span]:
        """Each text as a span of a doc of many, tokenized as it would be on its own.

        Consecutive texts are joined into docs of at most ``JOINED_CHARS``
        characters: a report's findings make one doc, and a larger batch (a
        benchmark, a notebook's whole corpus) stays within spaCy's length limit
        and a bounded memory per doc.
        """
        spans: list[Span] = []
        for group in _groups_of_length(texts, JOINED_CHARS):
            spans.extend(self._joined_spans(group))
        return spans

    def _joined_spans(self, texts: list[str]) -> list[Span]:
        """Each text as a span of one doc of them all, tokenized as it would be on its own.

        The texts are joined by single spaces, which the tokenizer only ever
        splits at, so every text keeps its own tokens; where that cannot hold
        (an empty text, white space at either end, a token across two texts),
        each text gets a doc of its own.
        """
        joined = " ".join(texts)
        if all(t and not t[0].isspace() and not t[-1].isspace() for t in texts):
            doc = self._doc(joined)
            bounds = _token_bounds(doc, texts)
            if bounds is not None:
                return [doc[start:end] for start, end in bounds]
        return [doc[:] for doc in self.nlp.pipe(texts, batch_size=BATCH_SIZE,
                                                disable=self._disabled)]

    def _doc(self, text: str) -> Doc:
        """The tagging pipeline (the tokenizer alone: see :func:`tagging_disabled`) over text."""
        return next(iter(self.nlp.pipe([text], disable=self._disabled)))

    def _span_hits(self, spans: list[Span], matchers: Iterable[PhraseMatcher],
                   wanted: list[bool] | None = None) -> list[list[Hit]]:
        """Every phrase match of each span (of each ``wanted`` one), from one call of each
        matcher per doc.

        Hits are deduplicated, sorted by start, longest first, with token
        offsets into their span; a match across two spans is dropped. They are
        gathered as their sort keys (start, minus end, group, label), which sort
        as plain tuples, without a key function called for every hit.
        """
        found: list[set[tuple[int, int, Group, str]]] = [set() for _ in spans]
        labels = self._labels
        for doc, first, starts in _docs_of(spans):
            ends = [spans[first + k].end for k in range(len(starts))]
            for matcher in matchers:
                for match_id, start, end in matcher(doc):
                    k = bisect_right(starts, start) - 1
                    if k < 0 or end > ends[k] or (wanted is not None and not wanted[first + k]):
                        continue
                    group, label = labels[match_id]
                    offset = starts[k]
                    found[first + k].add((start - offset, offset - end, group, label))
        return [[Hit(group, label, start, -back) for start, back, group, label in sorted(keys)]
                for keys in found]

    def _analyse(self, finding: Finding, folded: str, doc: Span, words: Words,
                 matched: list[Hit], cue_hits: list[Hit], implied: tuple[str, ...],
                 default_agency: str | None, inspection_type: str | None,
                 word_rows: WordRows | None) -> Analysis:
        """The rule tagger's verdicts on one finding, with its hits kept for the model."""
        text = finding.text
        phrase_hits = [h for h in matched
                       if h.end - h.start != 1 or self._as_written(text, folded, words, h)]
        token_hits = self._token_hits(doc, matched, phrase_hits)
        themes = [h for h in _survivors(phrase_hits, token_hits, "theme") if h.label]
        agencies = [h for h in _survivors(phrase_hits, token_hits, "agency") if h.label]
        fixed = section_roles().polarity.get(finding.section_kind)
        cues: list[Hit] = []
        if fixed is None:
            cues = outermost(cue_hits)
            polarity, cue_evidence = judge_polarity(
                text, doc, cues, self.cues.negation_window, self.cues.reach_window,
                words=words)
        else:
            polarity, cue_evidence = fixed, []
        salient = self._salient(themes, implied)
        analysis = Analysis(doc, themes, agencies, salient, default_agency, polarity,
                            cue_evidence, fixed, [], [], word_rows or _NO_WORD_ROWS, words)
        if self.model is not None or self.featurize:
            context = context_features(
                codebook_themes=[h.label for h in themes], salient_themes=salient,
                agencies=[h.label for h in agencies], rule_polarity=polarity,
                cues=[h.label for h in cues], section_kind=finding.section_kind,
                inspection_type=inspection_type)
            if self.featurize:
                lemmas = lemma_features(*words.lemmas(), self.nlp.vocab.strings)
                analysis.features = lemmas.names + context
            if self.model is not None and word_rows is not None:
                analysis.rows = word_rows.rows + self.model.rows(context)
        return analysis

    def _token_hits(self, doc: Span, matched: list[Hit], phrase_hits: list[Hit]) -> list[Hit]:
        """The token patterns' hits in a finding: none unless an anchor word survives among
        its ``phrase_hits`` (or some pattern has no anchor).

        Where every match starts on an anchor's token (``_anchored_tokens``), the
        matcher reads only from the anchors ``matched`` (the phrase hits before the
        acronym check): as far as the longest match reaches from each (merged where
        they overlap), or to the end when matches have no bound. The patterns look
        at no token before their first or after their last, so the matches are the
        same (the matcher gives every one, whatever the longer ones around it), at
        a fraction of the matcher's cost.
        """
        if not self._always_tokens and not any(h.group == "anchor" for h in phrase_hits):
            return []
        if self._always_tokens or not self._anchored_tokens:
            return self._hits(doc, (self._tokens,))
        hits: set[Hit] = set()
        for start, end in self._match_windows(matched, len(doc)):
            hits.update(Hit(h.group, h.label, h.start + start, h.end + start)
                        for h in self._hits(doc[start:end], (self._tokens,)))
        return sorted(hits, key=_hit_order)

    def _match_windows(self, matched: list[Hit], size: int) -> list[tuple[int, int]]:
        """Where token pattern matches can lie in a finding of ``size`` tokens: from each
        anchor hit as far as the longest match reaches, overlapping windows merged."""
        starts = sorted({h.start for h in matched if h.group == "anchor"})
        if self._longest_match is None:
            return [(starts[0], size)]
        windows: list[tuple[int, int]] = []
        for start in starts:
            end = min(start + self._longest_match, size)
            if windows and start <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(windows[-1][1], end))
            else:
                windows.append((start, end))
        return windows

    def _apply_rules(self, finding: Finding, analysis: Analysis) -> None:
        """The codebook's tags: salient themes, named agencies (else the default), cue polarity."""
        text, words = finding.text, analysis.words
        evidence = [_evidence(text, words, h, "theme") for h in analysis.theme_hits
                    if h.label in analysis.salient]
        evidence.extend(_evidence(text, words, h, "agency") for h in analysis.agency_hits)
        agency_ids = {h.label for h in analysis.agency_hits}
        if not agency_ids and analysis.default_agency:
            agency_ids.add(analysis.default_agency)
        evidence.extend(analysis.cue_evidence)
        self._set(finding, analysis.salient, agency_ids, analysis.polarity, evidence)

    def _apply_model(self, finding: Finding, analysis: Analysis, prediction: Prediction,
                     known: set[str]) -> None:
        """The model's tags, each with evidence: codebook words where they match, else the
        words that weighed most for that label. ``known`` are the themes the model decides."""
        text, words = finding.text, analysis.words
        themes = ({t for t in prediction.themes if t in known}
                  | {t for t in analysis.salient if t not in known})
        evidence: list[Evidence] = []
        for theme in sorted(themes, key=lambda t: self._order.get(t, len(self._order))):
            hits = [h for h in analysis.theme_hits if h.label == theme]
            if not hits and theme in known:
                hits = self._weighed_hits(analysis, "themes", theme)
            evidence.extend(_evidence(text, words, h, "theme") for h in hits)
        # The model decides agencies too: a service named in passing is not always one
        # the finding is about (adding every named one scored lower in cross-validation).
        agency_ids = set(prediction.agencies)
        evidence.extend(_evidence(text, words, h, "agency") for h in analysis.agency_hits
                        if h.label in agency_ids)
        polarity = analysis.fixed_polarity or prediction.polarity
        if polarity == analysis.polarity:
            evidence.extend(analysis.cue_evidence)
        else:
            agreeing = [e for e in analysis.cue_evidence if e.label == polarity]
            evidence.extend(agreeing or [
                _evidence(text, words, h, "polarity")
                for h in self._weighed_hits(analysis, "polarity", polarity)])
        self._set(finding, themes, agency_ids, polarity, evidence)

    def _weighed_hits(self, analysis: Analysis, head: str, label: str) -> list[Hit]:
        """The word features that weighed most for a model-only label, as hits on the doc."""
        assert self.model is not None
        group: Group = "theme" if head == "themes" else "polarity"
        word_rows = analysis.word_rows
        picks = self.model.top_rows(word_rows.rows, head, label)
        return [Hit(group, label, *word_rows.span(k)) for k in picks]

    def _set(self, finding: Finding, themes: Iterable[str], agencies: Iterable[str],
             polarity: str, evidence: list[Evidence]) -> None:
        """Store tags on the finding in a stable order (codebook, agency and offset order)."""
        finding.themes = sorted(set(themes), key=lambda t: self._order.get(t, len(self._order)))
        finding.agencies = sorted(set(agencies), key=self._agency_order.__getitem__)
        finding.polarity = polarity
        finding.evidence = sorted(evidence, key=_EVIDENCE_ORDER)

    def _as_written(self, text: str, folded: str, words: Words, hit: Hit) -> bool:
        """False for an acronym's hit on the same letters in other case ("send" is not SEND).

        Matching runs on lower-cased text (``folded``), so the finding's own
        letters decide: they must be one of the spellings the codebook lists.
        """
        if hit.end - hit.start != 1:
            return True
        start, end = words.chars(hit.start, hit.end)
        if folded[start:end] not in self._acronyms:
            return True
        return text[start:end] in self._acronym_forms

    def _salient(self, hits: list[Hit], implied: tuple[str, ...] = ()) -> set[str]:
        """The themes a finding is substantively about: at most ``max_themes``, best first.

        A long finding mentions many services in passing; the themes it
        returns to most often (weighted, then the earliest) are what it is
        about. Themes implied by the report's kind come first.
        """
        stats: dict[str, list[float]] = {}
        for hit in hits:
            entry = stats.setdefault(hit.label, [0.0, hit.start])
            entry[0] += self._weight[hit.label]
        limit = self.codebook.max_themes
        ranked = sorted(stats, key=lambda t: (-stats[t][0], stats[t][1], self._order[t]))
        ranked = list(dict.fromkeys([*implied, *ranked]))
        return set(ranked if limit is None else ranked[:limit])

    def _hits(self, doc: Doc | Span, matchers: Iterable[PhraseMatcher | Matcher]) -> list[Hit]:
        """Every match of token matchers (offsets into ``doc``, a span's own), deduplicated and
        sorted by start, longest first."""
        labels = self._labels
        hits: set[Hit] = set()
        for matcher in matchers:
            for match_id, start, end in matcher(doc):
                group, label = labels[match_id]
                hits.add(Hit(group, label, start, end))
        return sorted(hits, key=_hit_order)


def _longest_match(pattern: Sequence[dict]) -> int | None:
    """Most tokens a token pattern can match (None for a "+", "*" or "{n,}" token)."""
    longest = 0
    for token in pattern:
        op = token.get("OP")
        if op in (None, "!", "?"):
            longest += 1
            continue
        bounds = re.fullmatch(r"\{(\d*)(,?)(\d*)\}", op) if isinstance(op, str) else None
        if bounds is None or (bounds[2] and not bounds[3]):
            return None  # "+", "*", "{n,}"
        longest += int(bounds[3] or bounds[1])
    return longest


def _one_token_of(doc: Doc, attr: str) -> bool:
    """Whether an anchor word's doc is one token whose ``attr`` (NORM or LOWER) is the word:
    then the anchor phrase is found exactly where a pattern's first token matches."""
    return len(doc) == 1 and (doc[0].norm_ if attr == "NORM" else doc[0].lower_) == doc.text


#: Evidence by offsets, then kind and label (an attrgetter: the key is built in C).
_EVIDENCE_ORDER = attrgetter("start", "end", "kind", "label")


def _hit_order(hit: Hit) -> tuple[int, int, str, str]:
    """Hits by start, longest first, then group and label."""
    return (hit.start, -hit.end, hit.group, hit.label)


def _groups_of_length(texts: list[str], limit: int) -> list[list[str]]:
    """Consecutive runs of texts whose joined length stays within ``limit`` (one text
    longer than that is a run of its own)."""
    groups: list[list[str]] = []
    length = 0  # of the last run joined by single spaces
    for text in texts:
        if groups and length + 1 + len(text) <= limit:
            groups[-1].append(text)
            length += 1 + len(text)
        else:
            groups.append([text])
            length = len(text)
    return groups


def _token_bounds(doc: Doc, texts: list[str]) -> list[tuple[int, int]] | None:
    """Each text's first and last-but-one token in ``doc`` (the texts joined by single
    spaces), or ``None`` when a text does not begin and end on a token boundary.

    Found for all texts at once: a binary search of the tokens' first characters for
    each text's first and past-last character (as ``bisect_left`` would).
    """
    columns = doc.to_array([IDX, LENGTH]).astype(np.int64)
    starts, lengths = columns[:, 0], columns[:, 1]
    sizes = np.array([len(text) for text in texts], dtype=np.int64)
    chars = np.cumsum(sizes + 1) - (sizes + 1)  # each text's first character
    first = np.searchsorted(starts, chars)
    end = np.searchsorted(starts, chars + sizes)
    opening = starts[np.minimum(first, len(starts) - 1)]
    last = np.maximum(end - 1, 0)
    if ((first == end) | (opening != chars)
            | (starts[last] + lengths[last] != chars + sizes)).any():
        return None
    return list(zip(first.tolist(), end.tolist(), strict=True))


def _docs_of(spans: list[Span]) -> list[tuple[Doc, int, list[int]]]:
    """The docs the spans lie in: each doc, its first span's index, its spans' first tokens."""
    groups: list[tuple[Doc, int, list[int]]] = []
    for i, span in enumerate(spans):
        if not groups or groups[-1][0] is not span.doc:
            groups.append((span.doc, i, []))
        groups[-1][2].append(span.start)
    return groups


def _doc_columns(spans: list[Span]) -> list[tuple[list[Span], np.ndarray]]:
    """The spans of each doc they lie in, with the doc's ``WORD_ATTRS`` columns: each
    doc's token attributes read once, for its findings' words and the model's rows."""
    return [(spans[first:first + len(starts)], doc.to_array(WORD_ATTRS))
            for doc, first, starts in _docs_of(spans)]


def _words_of(columns: list[tuple[list[Span], np.ndarray]]) -> list[Words]:
    """Each span's :class:`Words` (``columns``: see :func:`_doc_columns`)."""
    words: list[Words] = []
    for spans, array in columns:
        whole = _words_from(array)
        words.extend(whole.part(span.start, span.end, span.start_char) for span in spans)
    return words


_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})


def fold_case(text: str) -> str:
    """Lower-case text for matching, keeping every character offset.

    The lookup lemmatizer is case-sensitive ("Partnership" stays
    "Partnership"), so text is lower-cased before tagging, and curly quotes
    become straight ones so that "children’s" matches "children's"; evidence
    offsets still point into the original text because both keep its length.
    The rare text whose length would change is left as it is.
    """
    folded = text.lower()
    if folded.isascii() and len(folded) == len(text):  # no curly quotes to straighten
        return folded
    folded = folded.translate(_QUOTES)
    return folded if len(folded) == len(text) else text


def _survivors(phrase_hits: list[Hit], token_hits: list[Hit], group: Group) -> list[Hit]:
    """A group's surviving hits: phrase hits inside longer phrase hits are dropped.

    Token-pattern hits may span gaps ("attendance ... at meetings"), so they
    can be swallowed by a longer phrase but never swallow one.
    """
    kept = outermost([h for h in phrase_hits if h.group == group])
    extra = [h for h in token_hits if h.group == group and not _inside(h, kept)]
    if extra:
        kept = sorted([*kept, *extra], key=lambda h: (h.start, -h.end, h.group, h.label))
    return kept


def outermost(hits: list[Hit]) -> list[Hit]:
    """Drop every hit lying strictly inside a longer hit (hits of equal span all stay).

    ``hits`` must be sorted by start, then longest first. Every hit kept so far
    then starts at or before the next one, so the next lies strictly inside one
    of them exactly when one ends after it, or ends with it but starts before
    it: the furthest end kept, and the first start kept with that end, decide
    (one pass, where comparing with every kept hit took time in the square of
    a long sentence's cues).
    """
    kept: list[Hit] = []
    furthest, first = -1, -1  # the furthest end kept; the first start kept with that end
    for hit in hits:
        if furthest > hit.end or (furthest == hit.end and first < hit.start):
            continue
        kept.append(hit)
        if hit.end > furthest:
            furthest, first = hit.end, hit.start
    return kept


def _inside(hit: Hit, others: list[Hit]) -> bool:
    """Whether ``hit`` lies strictly inside a longer one of ``others``."""
    size = hit.end - hit.start
    return any(
        o.start <= hit.start and hit.end <= o.end and o.end - o.start > size for o in others
    )


def judge_polarity(
    text: str, doc: Doc | Span, cues: list[Hit], window: int, reach_window: int | None = None,
    *, words: Words | None = None,
) -> tuple[str, list[Evidence]]:
    """A sentence's polarity from its cue hits, with the evidence for it.

    Cues are first resolved into judgements (:func:`_judgements`: negation,
    hedges, qualified strengths), which :func:`_verdict` weighs. When the
    verdict is mixed, the contrast words that joined the two points are
    evidence too, so a reader sees where the sentence turns. ``words`` are the
    doc's tokens when the caller has read them.
    """
    if not cues:  # nothing to resolve or weigh: what _verdict says of no judgement
        return "neutral", []
    words = words or Words.of(doc)
    reach_window = window if reach_window is None else reach_window
    judged, contrast, turns = _judgements(cues, window, reach_window)
    polarity = _verdict(judged, contrast, turns, doc)
    evidence = [_evidence(text, words, hit, "polarity") for hit in judged]
    if polarity == "mixed":
        evidence.extend(
            _evidence(text, words, Hit("polarity", "mixed", h.start, h.end), "polarity")
            for h in contrast
        )
    return polarity, evidence


def _judgements(
    cues: list[Hit], window: int, reach_window: int
) -> tuple[list[Hit], list[Hit], list[Hit]]:
    """The sentence's judgements (concern/strength spans), contrast words and turning words.

    A negator turns the first cue within ``window`` words after it around
    ("not effective" -> concern, "no delay" -> strength), or within
    ``reach_window`` words for a cue followed by a reach word ("not all
    letters are clear enough"). A concern cue right before a strength cue
    qualifies it ("insufficiently robust" is one concern). A linking word
    opening the sentence ("However, there are delays") refers to the one
    before, so it is neither a contrast nor a turn inside this sentence.

    A negator left with no cue after it ("records are not kept") is a
    concern, unless it stands just after a subordinator, in a clause that
    describes ("ambitious for young people who are not in education", "if
    parents do not engage"). A hedge ("not always", "not all") limits a
    point wherever it stands, so it is always a concern. An averter
    ("reduce", "prevent") only turns a concern round ("reduce delays").
    """
    openers = {(h.start, h.end) for h in cues if h.label == "linking" and h.start == 0}
    contrast = [h for h in cues if h.label == "contrast" and (h.start, h.end) not in openers]
    turns = [h for h in cues if h.label == "linking" and h.start > 0]
    judged, bare = _resolve_cues(cues, window, reach_window)
    clauses = [h.end for h in cues if h.label == "subordinator"]
    for hit in bare:
        describing = any(0 <= hit.start - end <= window for end in clauses)
        if hit.label == "hedge" or not describing:
            judged.append(Hit("polarity", "concern", hit.start, hit.end))
    judged.sort(key=lambda h: (h.start, h.end))
    return judged, contrast, turns


def _resolve_cues(cues: list[Hit], window: int, reach_window: int) -> tuple[list[Hit], list[Hit]]:
    """Judging cues read with their negators: (judgements, negators with no cue to turn)."""
    reach_starts = {h.start for h in cues if h.label == "reach"}
    judged: list[Hit] = []
    bare: list[Hit] = []
    used: set[int] = set()
    for i, hit in enumerate(cues):
        if i in used or hit.label not in JUDGING_CUES:
            continue
        if hit.label in NEGATING_CUES:
            target = _negated(cues, i, window, reach_window, reach_starts)
            if target is None:
                if hit.label != "averter":  # an averter alone judges nothing
                    bare.append(hit)
                continue
            used.add(target)
            label = "strength" if cues[target].label == "concern" else "concern"
            judged.append(Hit("polarity", label, hit.start, cues[target].end))
            continue
        nxt = i + 1
        if (
            hit.label == "concern"
            and nxt < len(cues)
            and cues[nxt].label == "strength"
            and cues[nxt].start == hit.end
        ):
            used.add(nxt)
            hit = Hit("polarity", "concern", hit.start, cues[nxt].end)
        judged.append(hit)
    return judged, bare


def _verdict(judged: list[Hit], contrast: list[Hit], turns: list[Hit], doc: Doc | Span
             ) -> str:
    """Weigh a sentence's judgements into one polarity.

    Both kinds make it mixed when a contrast word joins them; otherwise the
    more frequent kind wins (one passing "delay" in a sentence of praise
    does not make it mixed), and a tie is a concern: with no contrast word,
    strength words beside a concern usually name the standard that is missed
    ("limits how effectively agencies work", "wait too long to have their
    needs understood"). A concern alone is
    still mixed when a linking word inside the sentence turns from a point
    with no cue to it ("Staff know the children well, but this is not
    recorded" has a good point the cue list cannot see).
    """
    concern = sum(h.label == "concern" for h in judged)
    strength = len(judged) - concern
    if concern and strength:
        if contrast:
            return "mixed"
        return "concern" if concern >= strength else "strength"
    if concern:
        return "mixed" if _turns_from_plain_point(judged, turns, doc) else "concern"
    return "strength" if strength else "neutral"


#: Fewest words a clause needs, beside a linking word, to count as a point of its own
#: ("There is, however, variability" turns from no point at all).
MIN_POINT_WORDS = 4


def _turns_from_plain_point(judged: list[Hit], turns: list[Hit], doc: Doc | Span) -> bool:
    """Whether a turning word has every judgement on one side and a cue-free point on the other."""
    for turn in turns:
        if all(h.end <= turn.start for h in judged):
            other = doc[turn.end :]
        elif all(h.start >= turn.end for h in judged):
            other = doc[: turn.start]
        else:
            continue
        if sum(token.is_alpha for token in other) >= MIN_POINT_WORDS:
            return True
    return False


def _negated(
    cues: list[Hit], i: int, window: int, reach_window: int, reach_starts: set[int]
) -> int | None:
    """Index of the cue the negator ``cues[i]`` turns around, if any."""
    negator = cues[i]
    turnable = NEGATING_CUES[negator.label]
    for j in range(i + 1, len(cues)):
        cue = cues[j]
        if cue.label not in turnable:
            continue
        gap = cue.start - negator.end
        limit = reach_window if cue.end in reach_starts else window
        if 0 <= gap <= limit:
            return j
    return None


def _evidence(
    text: str, words: Words, hit: Hit, kind: Literal["theme", "polarity", "agency"]
) -> Evidence:
    """Evidence with the words as written in the finding (the doc holds lower-cased text).

    Offsets come from the token columns read once per doc: making a Span per
    hit creates Python Token objects, which costs more than matching.
    """
    start, end = words.chars(hit.start, hit.end)
    return Evidence(hit.label, kind, text[start:end], start, end)


_default: Tagger | None = None


def default_tagger() -> Tagger:
    """A tagger with the built-in codebook, built once per process."""
    global _default
    if _default is None:
        _default = Tagger()
    return _default


def kwic(text: str, start: int, end: int, words: int = 5) -> tuple[str, str, str]:
    """Keyword in context: up to ``words`` words before the match, the match, and after.

    ``left + match + right`` reads as the text does: the spaces next to the
    match are kept ("children, such" stays without a space before the comma),
    runs of white space become one space, and "…" marks cut-off text.
    """
    before, after = text[:start], text[end:]
    left_words, right_words = before.split(), after.split()
    left = " ".join(left_words[-words:]) if words else ""
    right = " ".join(right_words[:words]) if words else ""
    if left and before[-1:].isspace():
        left += " "
    if right and after[:1].isspace():
        right = " " + right
    if len(left_words) > words:
        left = "… " + left
    if len(right_words) > words:
        right += " …"
    return left, text[start:end], right


@dataclass(frozen=True, slots=True)
class ThemeHit:
    """One piece of evidence for a theme, as keyword in context, for reading tags back."""

    report: str
    section: str
    finding: int
    theme: str
    polarity: str
    left: str
    match: str
    right: str
    start: int
    end: int


def select_reports(reports: Iterable[Report], target: str) -> list[Report]:
    """Reports whose id is ``target``, or whose area (short or full name) is ``target``."""
    wanted = target.strip().lower()
    by_id = [r for r in reports if r.id.lower() == wanted]
    if by_id:
        return by_id
    return [
        r
        for r in reports
        if wanted in {r.area.name.lower(), (r.area.full_name or "").lower()}
    ]


def theme_hits(reports: Iterable[Report], context_words: int = 5) -> list[ThemeHit]:
    """Every theme tag of the reports' findings with its words in context.

    A theme with no evidence of its own (implied by the kind of report) gives
    one row with an empty match and the finding's opening words.
    """
    rows: list[ThemeHit] = []
    for report in sorted(reports, key=lambda r: r.id):
        for number, finding in enumerate(report.findings):
            for theme in finding.themes:
                spans = [e for e in finding.evidence if e.kind == "theme" and e.label == theme]
                if not spans:
                    opening = " ".join(finding.text.split()[: context_words * 2])
                    rows.append(ThemeHit(report.id, finding.section_kind, number, theme,
                                         finding.polarity, "", "", opening, 0, 0))
                for e in spans:
                    left, match, right = kwic(finding.text, e.start, e.end, context_words)
                    rows.append(ThemeHit(report.id, finding.section_kind, number, theme,
                                         finding.polarity, left, match, right, e.start, e.end))
    return rows


def theme_summary(hits: list[ThemeHit], order: Sequence[str] = ()) -> pd.DataFrame:
    """Findings per theme and polarity: theme, polarity, findings, hits (codebook order)."""
    columns = ["theme", "polarity", "findings", "hits"]
    if not hits:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame([asdict(h) for h in hits])
    frame["key"] = frame["report"] + "#" + frame["finding"].astype(str)
    grouped = (
        frame.groupby(["theme", "polarity"], sort=False)
        .agg(findings=("key", "nunique"), hits=("match", "size"))
        .reset_index()
    )
    rank = {t: i for i, t in enumerate(order)}
    polarity_rank = {p: i for i, p in enumerate(POLARITIES)}
    grouped["_t"] = grouped["theme"].map(lambda t: (rank.get(t, len(rank)), t))
    grouped["_p"] = grouped["polarity"].map(lambda p: polarity_rank.get(p, len(polarity_rank)))
    grouped = grouped.sort_values(["_t", "_p"], kind="stable").drop(columns=["_t", "_p"])
    return grouped.reset_index(drop=True)[columns]
