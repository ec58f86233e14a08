"""What every student shares: scikit-learn's estimator contract, adapted to images.

A student reads images (N, H, W) in [0, 1] and featurises them itself, so a saved student
needs nothing else to predict. It also reads a plain table (N, F) as N images of one row of
F pixels, which is what lets scikit-learn's ``check_estimator`` exercise it. Parameters are
stored as given in ``__init__`` and checked against the class's :class:`~distill.params.Param`
table in ``fit``; learned state ends in ``_``; predicting before fitting raises
``NotFittedError``; bad data (NaN pixels, images of another size, labels that do not match
the images) is refused with a reason instead of giving wrong answers.

With ``deskew`` (every student has it) a student reads each image straightened
(:mod:`distill.deskew`): upright and centred, so it need not learn every slant. Fitting,
predicting and explaining all go through :meth:`Student.reads`, so the straightened digit is
what every threshold, weight and filter is about.

Targets are class labels (N,) of any kind (integers, strings), or class probabilities (N, C)
(students with ``accepts_soft_targets`` fit them directly). With ``n_classes`` set, labels
must be 0 .. n_classes - 1 and every class gets a probability column even if training
never saw it, which is what a run needs to compare students column by column.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from ..deskew import deskew as straighten
from ..params import Param, ParamError, check_all

DESKEW = Param("bool", label="straighten digits", form=True,
               help="Shear each digit upright and centre its ink before the student reads it "
               "(deskewing). The default follows the data set and the student: on where it "
               "measured better on leaning handwriting (bench/results/fidelity.md).")


class Student(ClassifierMixin, BaseEstimator):
    """The base of every student. Subclasses set ``kind`` and ``PARAMS`` and implement
    ``_fit`` (on validated images and encoded targets), ``_predict_proba``, ``size`` and
    ``get_state``/``set_state``."""

    kind: ClassVar[str] = ""
    PARAMS: ClassVar[dict[str, Param]] = {}
    accepts_soft_targets: ClassVar[bool] = False  # fit(X, Y) with Y (N, C) probabilities
    # fit(X, Y) counts each image towards every class by its probability (naive Bayes); the
    # probabilities are the teacher's own (temperature 1): distillation.fit_student
    weighs_by_probabilities: ClassVar[bool] = False
    reports_progress: ClassVar[bool] = False  # fit takes progress= and should_stop=
    torch_state: ClassVar[bool] = False  # saved as tensors (loaded with weights_only=True)

    # ---- parameters ------------------------------------------------------------------
    def check_params(self) -> None:
        """Raise ParamError with a plain reason for any parameter out of its bounds."""
        problems = check_all(self.PARAMS, self.get_params(deep=False), self.kind)
        if self.n_classes is not None:
            try:
                Param("int", 2, 10_000, label="n_classes").check("n_classes", self.n_classes,
                                                                self.kind)
            except ParamError as err:
                problems.append(str(err))
        if problems:
            raise ParamError("; ".join(problems))

    # ---- fitting ---------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit on images (N, H, W) or a table (N, F) and labels or class probabilities."""
        self.check_params()
        X = self._images(X, reset=True)
        target = self._targets(y, len(X))
        X = self.reads(X)
        weight = _sample_weight(sample_weight, len(X))
        self._fit(X, target, weight, **fit_params)
        return self

    def _fit(self, X: np.ndarray, target: np.ndarray, weight: np.ndarray | None,
             **fit_params) -> None:
        raise NotImplementedError

    def _targets(self, y, n: int) -> np.ndarray:
        """Encoded targets: class indices (N,) into ``classes_``, or probabilities (N, C).

        Sets ``classes_`` and ``n_classes_``."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # warns, as scikit-learn's own classifiers do
        check_consistent_length(np.empty(n), y)
        if y.ndim == 2:
            if not (self.accepts_soft_targets or self.weighs_by_probabilities):
                raise ValueError(f"{type(self).__name__} fits class labels (N,), not class "
                                 "probabilities; distillation.fit_student turns "
                                 "probabilities into weighted labels for it")
            return self._soft_targets(y)
        if y.ndim != 1:
            raise ValueError(f"y must be labels (N,) or class probabilities (N, C); got an "
                             f"array of shape {y.shape}")
        check_classification_targets(y)
        if self.n_classes is None:
            self.classes_, encoded = np.unique(y, return_inverse=True)
        else:
            if not np.issubdtype(y.dtype, np.integer) and not (
                    np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y))):
                raise ValueError(f"with n_classes={self.n_classes} the labels must be whole "
                                 f"numbers 0 to {self.n_classes - 1}")
            encoded = y.astype(np.int64)
            if encoded.min() < 0 or encoded.max() >= self.n_classes:
                raise ValueError(f"labels must be 0 to {self.n_classes - 1} (n_classes="
                                 f"{self.n_classes}); found {encoded.min()} to {encoded.max()}")
            self.classes_ = np.arange(self.n_classes)
        self.n_classes_ = len(self.classes_)
        return encoded.astype(np.int64)

    def _soft_targets(self, y: np.ndarray) -> np.ndarray:
        if not np.issubdtype(y.dtype, np.number):
            raise ValueError("class probabilities must be numbers")
        y = y.astype(np.float64)
        if not np.isfinite(y).all() or y.min() < -1e-6 or not np.allclose(y.sum(1), 1, atol=1e-3):
            raise ValueError("a 2-D y must hold class probabilities: one row per image, "
                             "non-negative, each row summing to 1")
        if self.n_classes is not None and y.shape[1] != self.n_classes:
            raise ValueError(f"y has {y.shape[1]} probability columns but n_classes is "
                             f"{self.n_classes}")
        self.classes_ = np.arange(y.shape[1])
        self.n_classes_ = y.shape[1]
        return np.clip(y, 0, None)

    # ---- images ----------------------------------------------------------------------
    def _images(self, X, reset: bool) -> np.ndarray:
        """(N, H, W) float32 images, checked: finite, and (once fitted) of the fitted size."""
        if not reset:
            check_is_fitted(self)
        X = check_array(X, allow_nd=True, dtype=(np.float32, np.float64),
                        ensure_all_finite=True, ensure_min_features=1,
                        input_name="X").astype(np.float32, copy=False)
        if X.ndim == 2:
            X = X.reshape(len(X), 1, X.shape[1])  # a table: one row of pixels per image
        if X.ndim != 3:
            raise ValueError(f"a student reads images (N, H, W) or a table (N, F); got an "
                             f"array of shape {X.shape}")
        if reset:
            self.image_shape_ = tuple(int(v) for v in X.shape[1:])
            self.n_features_in_ = int(np.prod(self.image_shape_))
            return X
        shape = tuple(X.shape[1:])
        if shape == self.image_shape_:
            return X
        if shape == (1, self.n_features_in_):  # flattened images of the fitted size
            return X.reshape(len(X), *self.image_shape_)
        h, w = self.image_shape_
        got = shape[1] if shape[0] == 1 else f"{shape[0] * shape[1]} ({shape[0]}x{shape[1]})"
        raise ValueError(f"X has {got} features, but {type(self).__name__} is expecting "
                         f"{self.n_features_in_} features as input ({h}x{w} images)")

    def reads(self, X: np.ndarray) -> np.ndarray:
        """(N, H, W) validated images as the student reads them: straightened when
        ``deskew``. Every fitting and predicting path goes through here."""
        X = np.asarray(X, np.float32)
        if not getattr(self, "deskew", False):
            return X
        h, w = self.image_shape_
        if min(h, w) < 8:
            raise ValueError(f"straightening needs images of at least 8x8 pixels, not {h}x{w}; "
                             "give images, or set deskew=False for flat features")
        return straighten(X.reshape(len(X), h, w))

    def _read(self, X) -> np.ndarray:
        """Any input (checked against the fitted size) as the student reads it."""
        return self.reads(self._images(X, reset=False))

    # ---- predicting ------------------------------------------------------------------
    def predict_proba(self, X) -> np.ndarray:
        """(N, n_classes_) probabilities, columns in the order of ``classes_``."""
        return self._predict_proba(self._read(X))

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probabilities of images as the student reads them (see :meth:`reads`)."""
        raise NotImplementedError

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(1)]

    def predict_log_proba(self, X) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    # ---- size and state --------------------------------------------------------------
    def size(self) -> dict:
        """How big the model is, in its own terms (leaves and depth, or parameters)."""
        raise NotImplementedError

    def get_state(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def set_state(self, state: dict[str, np.ndarray]) -> Student:
        raise NotImplementedError

    def _restore_common(self, state: dict[str, np.ndarray], n_classes: int) -> None:
        """Fitted attributes every student has, from a saved state (older files lack some)."""
        self.image_shape_ = tuple(int(v) for v in state["image_shape_"])
        self.n_features_in_ = int(np.prod(self.image_shape_))
        classes = state.get("classes_")
        self.classes_ = np.asarray(classes) if classes is not None else np.arange(n_classes)
        self.n_classes_ = len(self.classes_)

    def _common_state(self) -> dict[str, np.ndarray]:
        return {"image_shape_": np.array(self.image_shape_), "classes_": np.asarray(self.classes_)}

    def _full_columns(self, proba: np.ndarray, seen: np.ndarray) -> np.ndarray:
        """Put probability columns of the class indices seen in training at their place."""
        out = np.zeros((len(proba), self.n_classes_), dtype=np.float64)
        out[:, seen.astype(int)] = proba
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _sample_weight(sample_weight, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have one weight per image: shape ({n},), got "
                         f"{w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("sample weights must be finite and non-negative")
    if w.sum() <= 0:
        raise ValueError("sample weights must not all be zero")
    return w
