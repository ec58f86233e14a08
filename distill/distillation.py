"""How a student learns from a teacher: the training targets of each method, and the fit.

- ``ground-truth``: the true labels (the baseline every run also trains);
- ``hard``: the teacher's predicted labels on the train set (the classic method);
- ``soft``: the teacher's probabilities at temperature T (Hinton, Vinyals & Dean 2015);
  students that take probabilities fit them directly (a tree as multi-output regression),
  the others through one weighted copy of each sample per likely class;
- ``auto`` (default): each student takes whichever of the others agrees best with the teacher
  on held-out training images (:mod:`distill.auto`);
- ``boundary``: a transfer set, then rounds of the student's smallest edits of training
  digits labelled by the teacher and added (:mod:`distill.boundary`);
- ``transfer``: the train set plus K synthetic copies (see :mod:`distill.transfer`), all
  labelled by the teacher (Bucila et al. 2006; Breiman & Shang 1996). ``transfer_labels``:
  ``auto`` (default) gives the teacher's probabilities at temperature T to students that fit
  probabilities natively (trees) and its argmax to the rest; ``soft`` gives probabilities to
  all (the rest through weighted copies); ``hard`` gives the argmax to all. ``auto`` is the
  default because it measured best for each kind of student (bench/results/fidelity.md):
  trees gain from the teacher's runners-up, naive Bayes and logistic regression lose when
  probabilities become weighted copies.

Naive Bayes learns from probabilities in the form it admits (each image counts towards every
class by its probability), with the teacher's own probabilities: a softened one would put a
share of every class's images into every other class.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .progress import Reporter, StopCheck, never, silent
from .transfer import make_transfer_set

if TYPE_CHECKING:
    from .students import Student

METHODS = ("auto", "transfer", "boundary", "hard", "soft", "ground-truth")
BASELINE = "ground-truth"
AUTO_METHOD = "auto"  # each student chooses among the others (distill.auto)
BOUNDARY = "boundary"  # a transfer set, then edits to the student's boundary (distill.boundary)
TRANSFER_METHODS = ("transfer", BOUNDARY)  # the methods that fit a transfer set
TRANSFER_LABELS = ("auto", "soft", "hard")
# what a distilled tree's leaves hold: the teacher's probabilities at temperature 1 over the
# digits that reach each leaf ("teacher", what a reader expects a leaf's "96% a 6" to mean),
# or the softened targets the tree was grown on ("fitted"); bench/results/fidelity.md
LEAVES = ("teacher", "fitted")
METHOD_HELP = {
    "auto": "each student learns the way that agrees best with the teacher on held-out "
            "training images: true labels, the teacher's labels or probabilities, or a "
            "transfer set",
    "ground-truth": "the true labels only (the baseline)",
    "hard": "the teacher's predicted label for each training image",
    "soft": "the teacher's probabilities at temperature T",
    "transfer": "training images plus K synthetic copies, labelled by the teacher",
    "boundary": "a transfer set, then rounds: the student's smallest edits of training "
                "images to its runner-up, labelled by the teacher and added (the student "
                "learns where the network's boundaries are)",
}


@dataclass
class Targets:
    """What students fit: images, and labels (N,) or probabilities (N, C)."""

    x: np.ndarray
    y: np.ndarray
    argmax_for_others: bool = False  # soft y, but the argmax for students without soft fitting
    temperature: float = 1.0  # of soft y

    @property
    def soft(self) -> bool:
        return self.y.ndim == 2

    def sharpened(self) -> np.ndarray:
        """Soft y back at temperature 1: p_T is softmax(z / T), so softmax(T log p_T) is
        softmax(z), the teacher's own probabilities, recovered without the teacher."""
        from scipy.special import softmax
        logp = np.log(np.clip(self.y.astype(np.float64), 1e-30, None))
        return softmax(self.temperature * logp, axis=1)


def training_images(method: str, x_train: np.ndarray, transfer: str = "elastic",
                    transfer_size: int = 10, seed: int = 0, progress: Reporter = silent,
                    should_stop: StopCheck = never) -> np.ndarray:
    """The images a student fits under ``method``: the training set, plus its synthetic copies
    for ``transfer``. They need no teacher, so a run makes them while its teacher trains."""
    if method not in METHODS or method == AUTO_METHOD:
        raise ValueError(f"unknown method {method!r}; choose one of: "
                         f"{', '.join(m for m in METHODS if m != AUTO_METHOD)}")
    if method not in TRANSFER_METHODS:
        return x_train
    synthetic = make_transfer_set(x_train, transfer, transfer_size, seed, progress, should_stop)
    return np.concatenate([x_train, synthetic])


def make_targets(method: str, x_train: np.ndarray, y_train: np.ndarray, teacher=None,
                 temperature: float = 1.0, transfer: str = "elastic",
                 transfer_size: int = 10, seed: int = 0, transfer_labels: str = "auto",
                 progress: Reporter = silent, should_stop: StopCheck = never,
                 images: np.ndarray | None = None) -> Targets:
    """The training set a student fits under ``method``.

    ``teacher`` needs ``predict`` and ``predict_proba(x, temperature)``; ``images``, when
    given, are the method's :func:`training_images`, made earlier.
    """
    x = images if images is not None else training_images(
        method, x_train, transfer, transfer_size, seed, progress, should_stop)
    if method == "ground-truth":
        return Targets(x, y_train)
    if method == "hard" or (method in TRANSFER_METHODS and transfer_labels == "hard"):
        return Targets(x, teacher.predict(x))
    if method == "soft":
        return Targets(x, teacher.predict_proba(x, temperature), temperature=temperature)
    return Targets(x, teacher.predict_proba(x, temperature),  # transfer, boundary
                   argmax_for_others=transfer_labels == "auto", temperature=temperature)


def expand_soft_targets(x: np.ndarray, proba: np.ndarray, min_weight: float = 1e-3):
    """Soft targets as weighted hard labels: a copy of each sample per class above ``min_weight``.

    Returns (x, labels, weights); each sample's weights sum to (almost exactly) one.
    """
    rows, classes = np.nonzero(proba >= min_weight)
    weights = proba[rows, classes]
    weights = weights / np.bincount(rows, weights, minlength=len(x))[rows]
    return x[rows], classes, weights


def fit_student(student: Student, targets: Targets, progress: Reporter = silent,
                should_stop: StopCheck = never, leaves: str = "teacher") -> float:
    """Fit ``student`` on ``targets`` in whatever form it takes; returns seconds spent.

    Students that train in epochs (``reports_progress``) report through ``progress`` and stop
    when asked; the others are quick enough to run to the end. ``leaves`` (see
    :data:`LEAVES`): a tree grown on probabilities softened by a temperature keeps its
    structure, and with "teacher" its leaves then hold the teacher's own (temperature 1)
    probabilities, averaged over the training digits that reach each one.
    """
    if leaves not in LEAVES:
        raise ValueError(f"leaves must be one of {', '.join(LEAVES)}, not {leaves!r}")
    start = time.perf_counter()
    if getattr(student, "reports_progress", False):
        student.fit(targets.x, targets.y, progress=progress, should_stop=should_stop)
    elif targets.soft and not student.accepts_soft_targets:
        if targets.argmax_for_others:
            student.fit(targets.x, targets.y.argmax(1))
        elif student.weighs_by_probabilities:
            student.fit(targets.x, targets.sharpened())
        else:
            x, y, w = expand_soft_targets(targets.x, targets.y)
            student.fit(x, y, sample_weight=w)
    else:
        student.fit(targets.x, targets.y)
    if (leaves == "teacher" and targets.soft and targets.temperature != 1
            and hasattr(student, "refit_leaves")):
        student.refit_leaves(targets.x, targets.sharpened())
    return time.perf_counter() - start
