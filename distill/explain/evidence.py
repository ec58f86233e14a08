"""Naive Bayes and linear students: per-class weight images and per-pixel evidence.

Both kinds score a class as a prior plus a sum over pixels, so the log-odds of class ``a``
against class ``b`` split exactly into one number per pixel plus the prior's share:

    log P(a|x) - log P(b|x) = prior(a, b) + sum_j evidence_j(a, b)

Each map below is that decomposition for one model family, computed from the fitted
scikit-learn parameters; tests check the sum against the model's own probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..students import (
    BernoulliNBStudent,
    FlatStudent,
    GaussianNBStudent,
    LinearStudent,
    MultinomialNBStudent,
)
from .reading import as_read


@dataclass
class WeightMaps:
    """Per-class images (C, H, W) in the form that fits the model family."""

    kind: str
    maps: dict[str, np.ndarray]  # name -> (C, H, W)
    description: str


@dataclass
class Evidence:
    prediction: int
    versus: int
    evidence: np.ndarray  # (H, W): each pixel's push towards ``prediction`` (>0) or ``versus``
    prior: float
    log_odds: float

    def to_dict(self) -> dict:
        return {"prediction": self.prediction, "versus": self.versus,
                "evidence": self.evidence.tolist(), "prior": self.prior,
                "log_odds": self.log_odds}


def _model_classes(student: FlatStudent) -> np.ndarray:
    """The class index (into ``classes_``) of each of the fitted model's rows."""
    return np.asarray(student.model_.classes_).astype(int)


def _per_class(student: FlatStudent, values: np.ndarray) -> np.ndarray:
    """(C_seen, F) -> (C, H, W), with zeros for classes never seen in training."""
    h, w = student.image_shape_
    out = np.zeros((student.n_classes_, h * w))
    out[_model_classes(student)] = values
    return out.reshape(student.n_classes_, h, w)


def weight_maps(student: FlatStudent) -> WeightMaps:
    m = student.model_
    if isinstance(student, BernoulliNBStudent):
        logp = m.feature_log_prob_
        log_odds = logp - np.log1p(-np.exp(logp))
        return WeightMaps(student.kind, {"log-odds of ink": _per_class(student, log_odds)},
                          "log P(ink | class) / P(no ink | class): red pixels are usually inked "
                          "in that class, blue ones usually empty")
    if isinstance(student, MultinomialNBStudent):
        return WeightMaps(student.kind,
                          {"log-probability": _per_class(student, m.feature_log_prob_)},
                          "log of the share of the class's ink that falls on each pixel")
    if isinstance(student, GaussianNBStudent):
        return WeightMaps(student.kind, {"mean": _per_class(student, m.theta_),
                                         "variance": _per_class(student, m.var_)},
                          "each class's average image and how much each pixel varies in it")
    if isinstance(student, LinearStudent):
        return WeightMaps(student.kind, {"coefficient": _per_class(student, m.coef_)},
                          "logistic-regression weights: ink on red pixels raises the class's "
                          "score, ink on blue ones lowers it")
    raise TypeError(f"no weight maps for {type(student).__name__}")


def _pixel_terms(student: FlatStudent, x: np.ndarray, a: int, b: int) -> tuple[np.ndarray, float]:
    """(F,) per-pixel evidence for model-class index ``a`` against ``b``, and the prior share."""
    m = student.model_
    if isinstance(student, BernoulliNBStudent):
        on = (x > m.binarize).astype(float) if m.binarize is not None else x
        logp, log1mp = m.feature_log_prob_, np.log1p(-np.exp(m.feature_log_prob_))
        terms = on * (logp[a] - logp[b]) + (1 - on) * (log1mp[a] - log1mp[b])
        return terms, float(m.class_log_prior_[a] - m.class_log_prior_[b])
    if isinstance(student, MultinomialNBStudent):
        terms = x * (m.feature_log_prob_[a] - m.feature_log_prob_[b])
        return terms, float(m.class_log_prior_[a] - m.class_log_prior_[b])
    if isinstance(student, GaussianNBStudent):
        va, vb = m.var_[a], m.var_[b]
        terms = (-0.5 * np.log(va / vb) - 0.5 * ((x - m.theta_[a]) ** 2 / va
                                                 - (x - m.theta_[b]) ** 2 / vb))
        return terms, float(np.log(m.class_prior_[a]) - np.log(m.class_prior_[b]))
    if isinstance(student, LinearStudent):
        return x * (m.coef_[a] - m.coef_[b]), float(m.intercept_[a] - m.intercept_[b])
    raise TypeError(f"no evidence for {type(student).__name__}")


def evidence(student: FlatStudent, image: np.ndarray, versus: int | None = None) -> Evidence:
    """Per-pixel evidence for the predicted class against ``versus`` (default: the runner-up),
    on the digit as the student reads it (straightened when it straightens)."""
    x = as_read(student, image).astype(np.float64).reshape(-1)
    classes = _model_classes(student)
    log_post = student.model_.predict_log_proba(x[None])[0]  # the model's own rows
    order = np.argsort(-log_post, kind="stable")
    a = int(order[0])
    if versus is None:
        b = int(order[1])
    else:
        if versus not in classes or versus == classes[a]:
            raise ValueError(f"cannot weigh class {classes[a]} against class {versus}: pick "
                             f"another of {', '.join(str(c) for c in classes if c != classes[a])}")
        b = int(np.flatnonzero(classes == versus)[0])
    terms, prior = _pixel_terms(student, x, a, b)
    return Evidence(prediction=int(classes[a]), versus=int(classes[b]),
                    evidence=terms.reshape(student.image_shape_), prior=prior,
                    log_odds=float(log_post[a] - log_post[b]))
