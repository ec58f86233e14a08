"""Naive Bayes and the linear reference: scikit-learn models on the flattened pixels.

Each keeps the fitted scikit-learn model as ``model_``; its fitted arrays are the saved state,
and the explanation (:mod:`distill.explain.evidence`) reads them to split a decision into one
number per pixel.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..params import Param
from .base import DESKEW, Student

_ALPHA = Param("float", 0.01, 100.0, label="smoothing alpha", form=True,
               help="Additive (Laplace) smoothing of the pixel counts.")


class FlatStudent(Student):
    """A scikit-learn classifier on the flattened image (float64 pixels)."""

    _fitted: ClassVar[tuple[str, ...]] = ()  # the model's arrays that are saved
    _counted: ClassVar[tuple[str, ...]] = ()  # those that are the model's parameters

    def _make(self):
        raise NotImplementedError

    def _fit(self, X, target, weight, **_) -> None:
        with warnings.catch_warnings():  # a capped iteration count is a choice, not an error
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_ = self._make().fit(self.flat(X), target, sample_weight=weight)

    @staticmethod
    def flat(X: np.ndarray) -> np.ndarray:
        """(N, H, W) -> (N, H*W) float64: scores in double precision whatever comes in."""
        return np.asarray(X, dtype=np.float64).reshape(len(X), -1)

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        proba = self.model_.predict_proba(self.flat(X))
        return self._full_columns(proba, self.model_.classes_)

    def get_state(self) -> dict[str, np.ndarray]:
        state = {k: np.asarray(getattr(self.model_, k)) for k in self._fitted}
        state["model_classes_"] = self.model_.classes_
        state["n_classes_"] = np.array(self.n_classes_)
        return {**state, **self._common_state()}

    def set_state(self, state: dict[str, np.ndarray]) -> FlatStudent:
        model = self._make()
        for k in self._fitted:
            setattr(model, k, np.asarray(state[k]))
        model.classes_ = np.asarray(state["model_classes_"])
        self._restore_common(state, int(state["n_classes_"]))
        model.n_features_in_ = self.n_features_in_
        self.model_ = model
        return self

    def size(self) -> dict:
        return {"parameters": int(sum(np.asarray(getattr(self.model_, k)).size
                                      for k in self._counted))}


class NaiveBayesStudent(FlatStudent):
    """Naive Bayes that also learns from class probabilities: every image counts towards each
    class in proportion to its probability (the soft-label fit the model admits; with one-hot
    probabilities it is exactly the fit on labels). Its statistics are written out here rather
    than through scikit-learn's expanded copies (one copy per class), which cost N x C rows."""

    weighs_by_probabilities = True

    def _fit(self, X, target, weight, **_) -> None:
        if target.ndim == 1:
            return super()._fit(X, target, weight)
        X = self.flat(X)
        shares = target * (1.0 if weight is None else weight[:, None])  # (N, C)
        model = self._make()
        model.classes_ = np.arange(shares.shape[1])
        model.n_features_in_ = X.shape[1]
        for name, value in self._statistics(X, shares).items():
            setattr(model, name, value)
        self.model_ = model

    def _statistics(self, X: np.ndarray, shares: np.ndarray) -> dict[str, np.ndarray]:
        """The fitted arrays from images (N, F) and each image's share of each class (N, C)."""
        raise NotImplementedError


def _log_prior(class_count: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):  # a class no image belongs to: never predicted
        return np.log(class_count) - np.log(class_count.sum())


class GaussianNBStudent(NaiveBayesStudent):
    """Gaussian naive Bayes. A large ``var_smoothing`` (not sklearn's 1e-9) matters here: most
    border pixels have zero variance in some class, and a tiny floor makes one stray stroke
    decide the class (measured in bench/results/)."""

    kind = "gaussian-nb"
    _fitted = ("theta_", "var_", "class_prior_", "class_count_", "epsilon_")
    _counted = ("theta_", "var_", "class_prior_")
    PARAMS = {"var_smoothing": Param("float", 1e-9, 10.0, label="variance smoothing", form=True,
                                     help="Share of the largest variance added to every "
                                     "pixel's; far above scikit-learn's 1e-9 works best on "
                                     "digits."),
              "deskew": DESKEW}

    def __init__(self, var_smoothing: float = 0.1, deskew: bool = False,
                 n_classes: int | None = None):
        self.var_smoothing = var_smoothing
        self.deskew = deskew
        self.n_classes = n_classes

    def _make(self):
        from sklearn.naive_bayes import GaussianNB
        return GaussianNB(var_smoothing=self.var_smoothing)

    def _statistics(self, X, shares):
        count = shares.sum(0)  # (C,)
        safe = np.where(count > 0, count, 1.0)[:, None]
        mean = shares.T @ X / safe  # (C, F)
        var = np.clip(shares.T @ X**2 / safe - mean**2, 0, None)
        epsilon = self.var_smoothing * np.var(X, axis=0).max()
        return {"theta_": mean, "var_": var + epsilon, "class_count_": count,
                "class_prior_": count / count.sum(), "epsilon_": epsilon}


class BernoulliNBStudent(NaiveBayesStudent):
    """Bernoulli naive Bayes on pixels inked above ``binarize``."""

    kind = "bernoulli-nb"
    _fitted = ("feature_log_prob_", "class_log_prior_", "class_count_", "feature_count_")
    _counted = ("feature_log_prob_", "class_log_prior_")
    PARAMS = {"alpha": _ALPHA,
              "binarize": Param("float", 0.0, 0.95, label="ink threshold", form=True,
                                help="A pixel counts as inked above it."),
              "deskew": DESKEW}

    def __init__(self, alpha: float = 1.0, binarize: float = 0.5, deskew: bool = False,
                 n_classes: int | None = None):
        self.alpha = alpha
        self.binarize = binarize
        self.deskew = deskew
        self.n_classes = n_classes

    def _make(self):
        from sklearn.naive_bayes import BernoulliNB
        return BernoulliNB(alpha=self.alpha, binarize=self.binarize)

    def _statistics(self, X, shares):
        count = shares.sum(0)  # (C,)
        inked = shares.T @ (self.binarize < X)  # (C, F)
        return {"feature_count_": inked, "class_count_": count,
                "feature_log_prob_": np.log(inked + self.alpha)
                - np.log(count + 2 * self.alpha)[:, None],
                "class_log_prior_": _log_prior(count)}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # as scikit-learn's BernoulliNB says of itself
        return tags


class MultinomialNBStudent(NaiveBayesStudent):
    """Multinomial naive Bayes, treating each pixel's ink as a count."""

    kind = "multinomial-nb"
    _fitted = ("feature_log_prob_", "class_log_prior_", "class_count_", "feature_count_")
    _counted = ("feature_log_prob_", "class_log_prior_")
    PARAMS = {"alpha": _ALPHA, "deskew": DESKEW}

    def __init__(self, alpha: float = 1.0, deskew: bool = False, n_classes: int | None = None):
        self.alpha = alpha
        self.deskew = deskew
        self.n_classes = n_classes

    def _images(self, X, reset: bool) -> np.ndarray:
        X = super()._images(X, reset)
        if (X < 0).any():
            raise ValueError("Negative values in data: multinomial naive Bayes reads ink as "
                             "counts, so pixels must not be negative")
        return X

    def _make(self):
        from sklearn.naive_bayes import MultinomialNB
        return MultinomialNB(alpha=self.alpha)

    def _statistics(self, X, shares):
        ink = shares.T @ X  # (C, F)
        smoothed = ink + self.alpha
        return {"feature_count_": ink, "class_count_": shares.sum(0),
                "feature_log_prob_": np.log(smoothed) - np.log(smoothed.sum(1, keepdims=True)),
                "class_log_prior_": _log_prior(shares.sum(0))}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.classifier_tags.poor_score = True  # as scikit-learn's MultinomialNB says of itself
        return tags


class LinearStudent(FlatStudent):
    """Multinomial logistic regression on raw pixels: the linear reference point."""

    kind = "linear"
    _fitted = _counted = ("coef_", "intercept_")
    PARAMS = {"C": Param("float", 1e-4, 1e4, label="inverse regularisation C", form=True,
                         help="Smaller is smoother weights."),
              "max_iter": Param("int", 1, 10_000, label="max iterations"),
              "deskew": DESKEW,
              "random_state": Param("int", 0, 2**32 - 1, label="random state")}

    def __init__(self, C: float = 0.05, max_iter: int = 300, deskew: bool = False,
                 n_classes: int | None = None, random_state: int = 0):
        self.C = C
        self.max_iter = max_iter
        self.deskew = deskew
        self.n_classes = n_classes
        self.random_state = random_state

    def _make(self):
        from sklearn.linear_model import LogisticRegression
        return LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.random_state)

    def _fit(self, X, target, weight, **_) -> None:
        super()._fit(X, target, weight)
        self.n_iter_ = self.model_.n_iter_
