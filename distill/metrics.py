"""How good a model is, and how faithfully it follows the teacher; all from probabilities.

Every function takes (N, C) probability arrays as saved in ``predictions.npz`` so that the
numbers in ``metrics.json`` can always be recomputed from the saved predictions. Plain
numpy: the overview and the tables read these without loading scikit-learn.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-7  # floor for student probabilities in the KL divergence (trees give exact zeros)


def accuracy(y_true: np.ndarray, proba: np.ndarray) -> float:
    return float(np.mean(np.asarray(y_true) == proba.argmax(1)))


def agreement(teacher_proba: np.ndarray, proba: np.ndarray) -> float:
    """Fidelity: the share of samples where the model predicts what the teacher predicts."""
    return float(np.mean(teacher_proba.argmax(1) == proba.argmax(1)))


def agreement_per_class(y_true: np.ndarray, teacher_proba: np.ndarray, proba: np.ndarray,
                        n_classes: int) -> list[float | None]:
    """Agreement among the test samples of each true class (None for an absent class)."""
    same = teacher_proba.argmax(1) == proba.argmax(1)
    return [float(same[y_true == c].mean()) if np.any(y_true == c) else None
            for c in range(n_classes)]


def agreement_on_teacher_errors(y_true: np.ndarray, teacher_proba: np.ndarray,
                                proba: np.ndarray) -> float | None:
    """Does the student copy the teacher's mistakes? None when the teacher makes none."""
    wrong = teacher_proba.argmax(1) != y_true
    if not wrong.any():
        return None
    return float(np.mean(teacher_proba.argmax(1)[wrong] == proba.argmax(1)[wrong]))


def top2_agreement(teacher_proba: np.ndarray, proba: np.ndarray) -> float:
    """The share of samples where the teacher's choice is among the model's two most likely."""
    top2 = np.argsort(-proba, axis=1, kind="stable")[:, :2]
    return float(np.mean((top2 == teacher_proba.argmax(1)[:, None]).any(1)))


def mean_kl(teacher_proba: np.ndarray, proba: np.ndarray) -> float:
    """Mean KL(teacher || model) in nats, with the model's zeros floored at ``EPS``."""
    p = np.clip(teacher_proba.astype(np.float64), 0, 1)
    q = np.clip(proba.astype(np.float64), EPS, 1)
    q = q / q.sum(1, keepdims=True)
    terms = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1)) - np.log(q)), 0.0)
    return float(terms.sum(1).mean())


def confusion(a: np.ndarray, b: np.ndarray, n_classes: int) -> np.ndarray:
    """(C, C) counts: rows are ``a``'s labels, columns ``b``'s."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(a, np.int64), np.asarray(b, np.int64)), 1)
    return counts


def model_metrics(y_true: np.ndarray, teacher_proba: np.ndarray | None, proba: np.ndarray,
                  n_classes: int) -> dict:
    """The scalar and per-class numbers saved for one student; without a teacher (a run on
    the true labels alone) the numbers about following it are None."""
    if teacher_proba is None:
        return {"test_accuracy": accuracy(y_true, proba), "agreement": None,
                "top2_agreement": None, "kl": None, "agreement_on_teacher_errors": None,
                "agreement_per_class": None}
    return {
        "test_accuracy": accuracy(y_true, proba),
        "agreement": agreement(teacher_proba, proba),
        "top2_agreement": top2_agreement(teacher_proba, proba),
        "kl": mean_kl(teacher_proba, proba),
        "agreement_on_teacher_errors": agreement_on_teacher_errors(y_true, teacher_proba, proba),
        "agreement_per_class": agreement_per_class(y_true, teacher_proba, proba, n_classes),
    }


def bootstrap_interval(share: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """The percentile bootstrap interval of a share of ``n`` test digits (accuracy,
    agreement). Resampling the digits with replacement makes the count of hits binomial
    (n, share), so the interval is read from that distribution exactly, with no resampling
    noise and the same answer every time."""
    from scipy.stats import binom
    tail = (1 - level) / 2
    low, high = binom.ppf([tail, 1 - tail], n, share)
    return float(low / n), float(high / n)
