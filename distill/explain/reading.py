"""How a student reads a digit: as it is, or straightened (``deskew``). Every explanation is
about the digit as read, so the two are shown side by side where they differ."""

from __future__ import annotations

import numpy as np

from ..deskew import skew_of


def as_read(student, image: np.ndarray) -> np.ndarray:
    """The (H, W) float32 image the student's thresholds, weights or filters see."""
    return student.reads(np.asarray(image, np.float32)[None])[0].reshape(student.image_shape_)


def straightening(student, image: np.ndarray) -> dict | None:
    """How the student straightened this digit (None when it reads raw pixels)."""
    if not getattr(student, "deskew", False):
        return None
    skew = skew_of(np.asarray(image).reshape(student.image_shape_))
    return {"shear": skew.shear, "degrees": skew.degrees, "centre": [skew.row, skew.col]}
