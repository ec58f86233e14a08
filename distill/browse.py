"""Choosing test digits to look at: filters (where teacher and student disagree, where either
is wrong, by class), their counts, and stepping through the result."""

from __future__ import annotations

import numpy as np

FILTERS = {
    "all": "All digits",
    "disagree": "Teacher and student disagree",
    "teacher-wrong": "Teacher wrong",
    "student-wrong": "Student wrong",
}
NEED_TEACHER = ("disagree", "teacher-wrong")  # filters a run without a teacher cannot offer


def filters_for(has_teacher: bool) -> list[str]:
    return [k for k in FILTERS if has_teacher or k not in NEED_TEACHER]


def filter_mask(kind: str, y_true: np.ndarray, teacher_pred: np.ndarray,
                student_pred: np.ndarray) -> np.ndarray:
    if kind == "all":
        return np.ones(len(y_true), dtype=bool)
    if kind == "disagree":
        return teacher_pred != student_pred
    if kind == "teacher-wrong":
        return teacher_pred != y_true
    if kind == "student-wrong":
        return student_pred != y_true
    raise ValueError(f"unknown filter {kind!r}; choose one of: {', '.join(FILTERS)}")


def select_samples(kind: str, y_true: np.ndarray, teacher_pred: np.ndarray,
                   student_pred: np.ndarray, true_class: int | None = None) -> np.ndarray:
    """Indices of the test digits that pass the filter (and have ``true_class``, if given)."""
    mask = filter_mask(kind, y_true, teacher_pred, student_pred)
    if true_class is not None:
        mask &= y_true == true_class
    return np.flatnonzero(mask)


def filter_counts(y_true: np.ndarray, teacher_pred: np.ndarray | None,
                  student_pred: np.ndarray, true_class: int | None = None) -> dict[str, int]:
    return {k: len(select_samples(k, y_true, teacher_pred, student_pred, true_class))
            for k in filters_for(teacher_pred is not None)}


def step(indices: np.ndarray, current: int, delta: int) -> int | None:
    """The index ``delta`` places from ``current`` in ``indices`` (wrapping), or the first one
    when ``current`` is not among them; None for an empty selection."""
    if len(indices) == 0:
        return None
    where = np.flatnonzero(indices == current)
    if len(where) == 0:
        return int(indices[0])
    return int(indices[(where[0] + delta) % len(indices)])


def page_of(indices: np.ndarray, current: int, per_page: int) -> int:
    """The grid page (0-based) that shows ``current``; 0 when it is not in the selection."""
    where = np.flatnonzero(indices == current)
    return int(where[0] // per_page) if len(where) else 0
