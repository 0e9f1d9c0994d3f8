"""Training the learned tagger from labelled findings, and scoring it by grouped cross-validation.

Labels are JSON Lines in the gold files' format (``report``, ``section``,
``text``, ``themes``, ``polarity``, ``agencies``; ``id`` and ``coder`` may
follow). Every finding is featurized by the codebook rules
(:meth:`jtai_tools.tag.Tagger.analyse`), and each head is fitted as
L2-regularised logistic regression (scikit-learn's liblinear and lbfgs
solvers, which are deterministic): one binary model per theme and per
agency, one multinomial model for the polarity of narrative sentences (list
items take theirs from the section). The fitted weights are copied into a
:class:`~jtai_tools.model.TaggerModel`, which needs only numpy to run.

Cross-validation splits by report (``GroupKFold``): a finding is always
predicted by a model that saw no finding of its report, as on a report
never seen before. The settings (regularisation, minimum feature count,
thresholds) live in ``data/training.toml``.

scikit-learn and scipy are needed only here: ``pip install 'jtai-tools[train]'``.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .codebook import Codebook, load_agencies, load_codebook
from .errors import LabelsError, UsageError
from .evaluate import (
    EvalResult,
    GoldError,
    GoldFinding,
    inspection_type_of,
    read_gold,
    score,
)
from .model import Head, TaggerModel
from .models import POLARITIES, Finding
from .tag import Tagger
from .vocab import section_roles, table_record

SETTINGS_FILE = Path(__file__).parent / "data" / "training.toml"
#: Feature kinds kept only when frequent enough (the others are few and always kept).
COUNTED_PREFIXES = ("w:", "b:")


@dataclass(frozen=True, slots=True)
class TrainingSettings:
    """How the heads are fitted (see ``data/training.toml``)."""

    min_count: int
    theme_c: float
    agency_c: float
    polarity_c: float
    theme_threshold: float
    agency_threshold: float
    min_theme_support: int
    max_themes: int
    folds: int


def load_settings(path: Path = SETTINGS_FILE) -> TrainingSettings:
    """The training settings from their data file (its ``[training]`` table, checked)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return table_record(TrainingSettings, data.get("training", {}), f"{path}: [training]")


def read_labels(path: str | Path, codebook: Codebook) -> list[GoldFinding]:
    """Labelled findings, checked: broken JSON or an id the codebook lacks names FILE:LINE."""
    try:
        labels = read_gold(path)
    except GoldError as exc:
        raise LabelsError(str(exc)) from None
    themes = set(codebook.ids)
    agencies = {a.id for a in load_agencies().agencies}
    for g in labels:
        unknown = [t for t in g.themes if t not in themes]
        if unknown:
            raise LabelsError(f"{path}:{g.line}: unknown theme id {unknown[0]!r}"
                              " (not in the codebook)")
        unknown = [a for a in g.agencies if a not in agencies]
        if unknown:
            raise LabelsError(f"{path}:{g.line}: unknown agency id {unknown[0]!r}")
    return labels


def _findings(labels: list[GoldFinding]) -> list[Finding]:
    return [Finding(section_kind=g.section, section_heading=g.section, text=g.text, index=g.line)
            for g in labels]


def featurize(labels: list[GoldFinding], tagger: Tagger) -> list[list[str]]:
    """Each labelled finding's feature names, as the tagger computes them when tagging."""
    out: list[list[str]] = [[] for _ in labels]
    groups: dict[str | None, list[int]] = {}
    for i, g in enumerate(labels):
        groups.setdefault(inspection_type_of(g.report), []).append(i)
    for kind, indexes in sorted(groups.items(), key=lambda kv: str(kv[0])):
        analyses = tagger.analyse(_findings([labels[i] for i in indexes]), kind)
        for i, analysis in zip(indexes, analyses, strict=True):
            out[i] = analysis.features
    return out


def fit(labels: list[GoldFinding], features: list[list[str]], codebook: Codebook,
        settings: TrainingSettings, info: dict[str, Any] | None = None) -> TaggerModel:
    """Fit every head on the labelled findings and return the model."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    vocabulary = _vocabulary(features, settings.min_count)
    index = {name: i for i, name in enumerate(vocabulary)}
    indptr, indices = [0], []
    for names in features:
        indices.extend(sorted({index[n] for n in names if n in index}))
        indptr.append(len(indices))
    matrix = csr_matrix((np.ones(len(indices), dtype=np.float64), indices, indptr),
                        shape=(len(features), len(vocabulary)))
    theme_ids = codebook.ids
    agency_ids = [a.id for a in load_agencies().agencies]
    columns: list[np.ndarray] = []
    biases: list[float] = []

    def binary(targets: list[bool], c: float) -> None:
        y = np.asarray(targets, dtype=np.int64)
        if y.min() == y.max():  # never (or always) labelled: a constant score
            columns.append(np.zeros(len(vocabulary)))
            biases.append(-8.0 if y.max() == 0 else 8.0)
            return
        clf = LogisticRegression(solver="liblinear", C=c, max_iter=1000)
        clf.fit(matrix, y)
        columns.append(clf.coef_[0])
        biases.append(float(clf.intercept_[0]))

    for theme in theme_ids:
        binary([theme in g.themes for g in labels], settings.theme_c)
    for agency in agency_ids:
        binary([agency in g.agencies for g in labels], settings.agency_c)
    narrative = [i for i, g in enumerate(labels) if g.section not in section_roles().lists]
    polarity_labels = list(POLARITIES)
    if narrative:
        y = [polarity_labels.index(labels[i].polarity) for i in narrative]
        clf = LogisticRegression(solver="lbfgs", C=settings.polarity_c, max_iter=2000)
        clf.fit(matrix[narrative], y)
        coef = np.zeros((len(polarity_labels), len(vocabulary)))
        intercept = np.full(len(polarity_labels), -8.0)
        classes = [int(c) for c in clf.classes_]
        if len(classes) == 2:  # a binary fit gives one column: the second class's score
            coef[classes[1]], intercept[classes[1]] = clf.coef_[0], clf.intercept_[0]
            intercept[classes[0]] = 0.0
        else:
            for row, cls in enumerate(classes):
                coef[cls], intercept[cls] = clf.coef_[row], clf.intercept_[row]
    else:
        coef = np.zeros((len(polarity_labels), len(vocabulary)))
        intercept = np.zeros(len(polarity_labels))
    weights = np.column_stack(columns[: len(theme_ids)] + list(coef)
                              + columns[len(theme_ids):])
    bias = np.asarray(biases[: len(theme_ids)] + list(intercept) + biases[len(theme_ids):])
    support = [sum(t in g.themes for g in labels) for t in theme_ids]
    heads = {
        "themes": Head("themes", list(theme_ids), 0, True, settings.theme_threshold,
                       settings.max_themes,
                       decides=[t for t, n in zip(theme_ids, support, strict=True)
                                if n >= settings.min_theme_support]),
        "polarity": Head("polarity", polarity_labels, len(theme_ids), False),
        "agencies": Head("agencies", agency_ids, len(theme_ids) + len(polarity_labels), True,
                         settings.agency_threshold, None, at_least_one=True),
    }
    return TaggerModel(features=vocabulary, weights=weights.astype(np.float32),
                       bias=bias.astype(np.float32), heads=heads, info=info or {})


def _vocabulary(features: list[list[str]], min_count: int) -> list[str]:
    """Feature names seen in at least ``min_count`` findings (context features always), sorted."""
    counts: dict[str, int] = {}
    for names in features:
        for name in set(names):
            counts[name] = counts.get(name, 0) + 1
    return sorted(n for n, c in counts.items()
                  if c >= min_count or not n.startswith(COUNTED_PREFIXES))


def train(labels_path: str | Path, codebook: Codebook | None = None,
          settings: TrainingSettings | None = None) -> TaggerModel:
    """A model trained on every finding of a labels file (what ``jtai train`` writes)."""
    codebook = codebook or load_codebook()
    settings = settings or load_settings()
    labels = read_labels(labels_path, codebook)
    tagger = Tagger(codebook, model=None, featurize=True)
    features = featurize(labels, tagger)
    digest = hashlib.sha256(Path(labels_path).read_bytes()).hexdigest()
    info = {
        "labels_sha256": digest,
        "findings": len(labels),
        "reports": len({g.report for g in labels}),
        "codebook_themes": codebook.ids,
    }
    return fit(labels, features, codebook, settings, info)


@dataclass(slots=True)
class CrossValidation:
    """Scores of grouped cross-validation, for all findings and by kind of finding."""

    folds: int
    reports: int
    overall: EvalResult
    narrative: EvalResult
    list_items: EvalResult


def cross_validate(labels_path: str | Path, codebook: Codebook | None = None,
                   settings: TrainingSettings | None = None, folds: int | None = None,
                   progress: Callable[[int, int], None] | None = None) -> CrossValidation:
    """Predict every labelled finding with a model trained on the other reports' findings."""
    from sklearn.model_selection import GroupKFold

    codebook = codebook or load_codebook()
    settings = settings or load_settings()
    labels = read_labels(labels_path, codebook)
    reports = sorted({g.report for g in labels})
    folds = folds or settings.folds
    if len(reports) < folds:
        raise UsageError(f"{labels_path}: {len(reports)} reports, fewer than {folds} folds")
    tagger = Tagger(codebook, model=None, featurize=True)
    features = featurize(labels, tagger)
    groups = [reports.index(g.report) for g in labels]
    predicted: list[Finding | None] = [None] * len(labels)
    splitter = GroupKFold(n_splits=folds)
    for number, (train_idx, test_idx) in enumerate(
            splitter.split(np.zeros(len(labels)), groups=groups), start=1):
        # the same tagger (its matchers built once), with each fold's model in turn
        tagger.model = fit([labels[i] for i in train_idx], [features[i] for i in train_idx],
                           codebook, settings)
        test = [labels[i] for i in test_idx]
        for kind in sorted({inspection_type_of(g.report) for g in test}, key=str):
            chosen = [i for i in test_idx if inspection_type_of(labels[i].report) == kind]
            batch = _findings([labels[i] for i in chosen])
            tagger.tag(batch, kind)
            for i, finding in zip(chosen, batch, strict=True):
                predicted[i] = finding
        if progress:
            progress(number, folds)
    done = [p for p in predicted if p is not None]

    def part(keep: Callable[[GoldFinding], bool]) -> EvalResult:
        chosen = [i for i, g in enumerate(labels) if keep(g)]
        return score([labels[i] for i in chosen], [done[i] for i in chosen], codebook.ids,
                     gold_path=str(labels_path))

    return CrossValidation(
        folds=folds,
        reports=len(reports),
        overall=part(lambda g: True),
        narrative=part(lambda g: g.section not in section_roles().lists),
        list_items=part(lambda g: g.section in section_roles().lists),
    )
