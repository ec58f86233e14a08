"""Explanations that are true to the model: tree paths and drawings, naive Bayes and linear
evidence, the soft tree's path, and the teacher's saliency.

``explain(student, image)`` gives the JSON-ready explanation of one image for any student
kind; the dashboard and ``python -m distill explain`` both draw from it. Explainers are
keyed by the student's ``kind``, the identifier of :mod:`distill.students.registry`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .evidence import evidence
from .reading import straightening
from .soft_tree import explain_soft_tree
from .tree import decision_path

Explainer = Callable[..., dict]


def _explain_tree(student, image: np.ndarray, versus: int | None = None) -> dict:
    return decision_path(student, image).to_dict()


def _explain_evidence(student, image: np.ndarray, versus: int | None = None) -> dict:
    return evidence(student, image, versus).to_dict()


EXPLAINERS: dict[str, Explainer] = {
    "tree": _explain_tree,
    "soft-tree": explain_soft_tree,
    "gaussian-nb": _explain_evidence,
    "bernoulli-nb": _explain_evidence,
    "multinomial-nb": _explain_evidence,
    "linear": _explain_evidence,
}


def explain(student, image: np.ndarray, versus: int | None = None) -> dict:
    """The explanation of ``student``'s decision on one (H, W) image, as plain JSON data."""
    try:
        explainer = EXPLAINERS[student.kind]
    except KeyError:
        raise ValueError(f"no explanation for students of kind {student.kind!r}") from None
    return {"kind": student.kind, **explainer(student, image, versus=versus),
            "straightened": straightening(student, image)}
