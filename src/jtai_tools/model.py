"""The learned tagger: linear heads for themes, polarity and agencies, stored as plain data.

A model directory holds two files and nothing that runs:

- ``model.json``: the format version, the feature names (row order of the
  weights), the heads (their labels, column offset, kind and decision
  threshold), the biases and where the model came from (labels file digest,
  counts, the codebook's theme ids);
- ``weights.npy``: one float32 matrix, a row per feature and a column per
  label of every head, read with ``numpy.load(allow_pickle=False)``.

Scoring a batch of findings is one gather and one ``numpy.add.reduceat``
over that matrix: a finding's score for a label is the sum of its features'
weights plus the bias. Multi-label heads (themes, agencies) keep labels
whose logistic score reaches the head's threshold (themes: at most
``max_labels``, best first; agencies: at least the best one); the polarity
head takes the best class. Training lives in :mod:`jtai_tools.train`; this
module needs only numpy, so tagging needs no training library.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .features import WordIndex

FORMAT = "jtai-linear-model"
FORMAT_VERSION = 1
MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.npy"
HEAD_NAMES = ("themes", "polarity", "agencies")


@dataclass(slots=True)
class Head:
    """One output of the model: its labels and how scores become tags."""

    name: str
    labels: list[str]
    offset: int
    multilabel: bool
    threshold: float = 0.5
    max_labels: int | None = None
    at_least_one: bool = False
    #: The labels the model decides; the others it has too few examples of, and
    #: leaves to the codebook rules (every label, when empty).
    decides: list[str] = field(default_factory=list)

    @property
    def columns(self) -> slice:
        return slice(self.offset, self.offset + len(self.labels))


@dataclass(slots=True)
class Prediction:
    """What the model says of one finding: the labels of each head."""

    themes: list[str]
    polarity: str
    agencies: list[str]


@dataclass(slots=True)
class TaggerModel:
    """A trained linear model over :mod:`jtai_tools.features` feature names."""

    features: list[str]
    weights: np.ndarray
    bias: np.ndarray
    heads: dict[str, Head]
    info: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _padded: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    _words: WordIndex | None = field(default=None, repr=False)
    _columns: dict[int, array] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {name: i for i, name in enumerate(self.features)}
        # A zero row that every finding also sums, so that a finding with no
        # known feature still has a (bias-only) score under reduceat.
        self._padded = np.vstack([self.weights, np.zeros((1, self.weights.shape[1]),
                                                         dtype=self.weights.dtype)])

    @property
    def theme_ids(self) -> list[str]:
        """The themes the model decides (the codebook rules decide any others)."""
        head = self.heads["themes"]
        return list(head.decides or head.labels)

    def rows(self, names: list[str]) -> list[int]:
        """The weight rows of the feature names the model knows (unknown ones are dropped)."""
        return [row for row in map(self._index.get, names) if row is not None]

    @property
    def word_index(self) -> WordIndex:
        """The model's word features by lemma hash (built at first use: training and
        loading do not need it)."""
        if self._words is None:
            self._words = WordIndex.of(self._index)
        return self._words

    def scores(self, batch: list[list[int]]) -> np.ndarray:
        """Raw scores (findings × labels of every head) for each finding's feature rows."""
        pad = len(self.features)
        flat: list[int] = []
        starts: list[int] = []
        for rows in batch:
            starts.append(len(flat))
            flat.extend(rows)
            flat.append(pad)
        if not batch:
            return np.zeros((0, self.weights.shape[1]), dtype=np.float32)
        # np.take copies the same rows as indexing with the array, in half the time.
        gathered = np.take(self._padded, np.asarray(flat, dtype=np.int64), axis=0)
        return np.add.reduceat(gathered, np.asarray(starts, dtype=np.int64), axis=0) + self.bias

    def decide(self, raw: np.ndarray) -> list[Prediction]:
        """Labels of every head from the raw scores of a batch (vectorised over findings)."""
        themes, polarity, agencies = (self.heads[n] for n in HEAD_NAMES)
        theme_labels = _pick(themes, raw)
        agency_labels = _pick(agencies, raw)
        best = np.argmax(raw[:, polarity.columns], axis=1).tolist()
        return [Prediction(themes=t, polarity=polarity.labels[b], agencies=a)
                for t, b, a in zip(theme_labels, best, agency_labels, strict=True)]

    def predict(self, batch: list[list[str]]) -> list[Prediction]:
        """Predictions for findings given as feature-name lists."""
        return self.decide(self.scores([self.rows(names) for names in batch]))

    def top_rows(self, rows: list[int], head: str, label: str, limit: int = 2) -> list[int]:
        """Which of ``rows`` (a finding's word feature rows) weigh most for one label:
        their positions in ``rows``, positive weights only, ties by feature name."""
        spec = self.heads[head]
        weights = self._column(spec.offset + spec.labels.index(label))
        features = self.features
        # (minus weight, name, position) sort as plain tuples, as a stable sort by
        # (minus weight, name) would.
        weighted = sorted((-w, features[row], k) for k, row in enumerate(rows)
                          if (w := weights[row]) > 0)
        return [k for _, _, k in weighted[:limit]]

    def _column(self, column: int) -> array:
        """One column of the weights as an ``array`` of C floats (each read as the Python
        float of the float32, as ``tolist`` gives it): read a few at a time, without
        numpy's cost per call; kept per column asked for (a tenth of a list's memory)."""
        found = self._columns.get(column)
        if found is None:
            found = self._columns[column] = array(
                "f", np.ascontiguousarray(self.weights[:, column], dtype=np.float32).tobytes())
        return found

    # -- files ------------------------------------------------------------------

    def save(self, directory: str | Path) -> None:
        """Write ``model.json`` and ``weights.npy``; the same model gives the same bytes."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "info": self.info,
            "heads": [
                {"name": h.name, "labels": h.labels, "offset": h.offset,
                 "multilabel": h.multilabel, "threshold": h.threshold,
                 "max_labels": h.max_labels, "at_least_one": h.at_least_one,
                 "decides": h.decides}
                for h in self.heads.values()
            ],
            "bias": [round(float(b), 6) for b in self.bias],
            "weights_sha256": _digest(self.weights),
            "features": self.features,
        }
        with (directory / WEIGHTS_FILE).open("wb") as handle:
            np.save(handle, np.ascontiguousarray(self.weights, dtype=np.float32),
                    allow_pickle=False)
        (directory / MODEL_FILE).write_text(
            json.dumps(meta, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


def _digest(weights: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(weights, dtype=np.float32).tobytes()).hexdigest()


def _pick(head: Head, raw: np.ndarray) -> list[list[str]]:
    """A multi-label head's labels per finding: at or above threshold, best first, within
    its limits (a logistic score reaches the threshold where the raw score reaches its logit)."""
    values = raw[:, head.columns]
    cut = float(np.log(head.threshold / (1.0 - head.threshold)))
    order = np.argsort(-values, axis=1, kind="stable")
    chosen = np.take_along_axis(values, order, axis=1) >= cut
    chosen[:, head.max_labels or len(head.labels):] = False
    labels = head.labels
    picked: list[list[str]] = [[] for _ in range(len(values))]
    # Row-major: each finding's chosen labels come best first.
    finding, rank = np.nonzero(chosen)
    for i, label in zip(finding.tolist(), order[finding, rank].tolist(), strict=True):
        picked[i].append(labels[label])
    if head.at_least_one:
        for i in np.flatnonzero(~chosen.any(axis=1)).tolist():
            picked[i].append(labels[int(order[i, 0])])
    return picked


def load_model(directory: str | Path) -> TaggerModel:
    """Read a model directory; anything wrong is a :class:`ModelError` naming the file."""
    directory = Path(directory)
    meta_path, weights_path = directory / MODEL_FILE, directory / WEIGHTS_FILE
    if not directory.is_dir():
        raise ModelError(f"{directory}: no such model directory")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{meta_path}: missing (not a model directory)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{meta_path}: cannot read the model: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{meta_path}: not a jtai model file")
    if meta.get("version") != FORMAT_VERSION:
        raise ModelError(f"{meta_path}: model format version {meta.get('version')!r};"
                         f" this jtai reads version {FORMAT_VERSION}")
    try:
        weights = np.load(weights_path, allow_pickle=False)
    except FileNotFoundError:
        raise ModelError(f"{weights_path}: missing") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{weights_path}: cannot read the weights: {exc}") from None
    return _from_meta(meta, weights, meta_path, str(directory))


def _from_meta(meta: dict[str, Any], weights: np.ndarray, where: Path,
               directory: str) -> TaggerModel:
    """Check the metadata against the weights and build the model."""
    try:
        features = [str(f) for f in meta["features"]]
        heads = {
            h["name"]: Head(name=h["name"], labels=[str(x) for x in h["labels"]],
                            offset=int(h["offset"]), multilabel=bool(h["multilabel"]),
                            threshold=float(h["threshold"]), max_labels=h.get("max_labels"),
                            at_least_one=bool(h.get("at_least_one", False)),
                            decides=[str(x) for x in h.get("decides", [])])
            for h in meta["heads"]
        }
        bias = np.asarray(meta["bias"], dtype=np.float32)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{where}: malformed model metadata ({exc})") from None
    missing = [n for n in HEAD_NAMES if n not in heads]
    if missing:
        raise ModelError(f"{where}: no {', '.join(missing)} head")
    outputs = sum(len(h.labels) for h in heads.values())
    if weights.dtype != np.float32 or weights.shape != (len(features), outputs):
        raise ModelError(f"{where}: weights are {weights.dtype} {weights.shape}, expected"
                         f" float32 ({len(features)}, {outputs}): the files do not belong together")
    if bias.shape != (outputs,):
        raise ModelError(f"{where}: {bias.shape[0]} biases for {outputs} labels")
    if meta.get("weights_sha256") and meta["weights_sha256"] != _digest(weights):
        raise ModelError(f"{where}: weights.npy does not match this model.json")
    return TaggerModel(features=features, weights=weights, bias=bias, heads=heads,
                       info=dict(meta.get("info") or {}), path=directory)


def default_model_path() -> Path:
    """Where the model trained on the project's labelled findings ships in the package."""
    return Path(__file__).parent / "data" / "model"


@lru_cache(maxsize=1)
def default_model() -> TaggerModel | None:
    """The shipped model, or ``None`` when the package has none (the codebook alone tags)."""
    path = default_model_path()
    if not (path / MODEL_FILE).exists():
        return None
    return load_model(path)
