"""Interpretable students with the scikit-learn estimator API.

Every student takes images (N, H, W) in [0, 1] and flattens or featurises them itself, so a
saved student needs nothing else to predict. Learned state is plain numpy arrays
(``get_state`` / ``set_state``), saved without pickle; a torch student (the soft tree) fits
the same interface.
"""

from __future__ import annotations

import math

from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .features import make_rects, rect_means


class Student(ClassifierMixin, BaseEstimator):
    """Common behaviour; subclasses set ``kind`` and implement fit/predict_proba/state."""

    kind: ClassVar[str] = ""
    accepts_soft_targets: ClassVar[bool] = False  # fit(X, Y) with Y (N, C) probabilities

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.predict_proba(X).argmax(1)

    def check_params(self) -> None:
        """Raise ValueError with a plain reason for a parameter out of range."""

    def size(self) -> dict:
        """How big the model is, in its own terms (leaves and depth, or parameters)."""
        raise NotImplementedError

    def get_state(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def set_state(self, state: dict[str, np.ndarray]) -> "Student":
        raise NotImplementedError

    def _n_out(self, classes: np.ndarray) -> int:
        return int(self.n_classes or (int(classes.max()) + 1))

    def _full_columns(self, proba: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Put the columns of the classes seen in training at their class index."""
        out = np.zeros((len(proba), self.n_classes_), dtype=np.float64)
        out[:, classes.astype(int)] = proba
        return out


def _labels_or_soft(y: np.ndarray) -> tuple[bool, np.ndarray]:
    y = np.asarray(y)
    return y.ndim == 2, y


# --------------------------------------------------------------------------------------
# Decision tree on rectangle features


class TreeStudent(Student):
    """CART on rectangle features, predicted and explained from its own arrays.

    Two growers: ``algorithm="hist"`` (default for regions) bins each feature into 64
    quantile bins and grows best-first in seconds even on large transfer sets (see
    :mod:`distill.hist_tree`); ``"exact"`` is scikit-learn's sorter. Either way the fitted
    tree is kept as arrays (children, feature, threshold, value), so saving is pickle-free
    and explanations walk exactly the structure that predicts. ``y`` may be labels or
    (N, C) probabilities (hist: soft class counts; exact: multi-output regression).
    """

    kind = "tree"
    accepts_soft_targets = True

    def __init__(self, max_leaf_nodes: int | None = 256, max_depth: int | None = None,
                 features: str = "regions", criterion: str = "entropy",
                 min_samples_leaf: int = 1, algorithm: str = "hist",
                 n_classes: int | None = None, random_state: int = 0):
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.features = features
        self.criterion = criterion
        self.min_samples_leaf = min_samples_leaf
        self.algorithm = algorithm
        self.n_classes = n_classes
        self.random_state = random_state

    def check_params(self) -> None:
        if self.max_leaf_nodes is not None and not 2 <= self.max_leaf_nodes <= 100_000:
            raise ValueError("tree max leaves must be between 2 and 100000 (or unlimited)")
        if self.max_depth is not None and not 1 <= self.max_depth <= 64:
            raise ValueError("tree max depth must be between 1 and 64 (or unlimited)")
        if self.features not in ("regions", "pixels"):
            raise ValueError("tree features must be 'regions' or 'pixels'")
        if self.criterion not in ("gini", "entropy", "log_loss"):
            raise ValueError("tree criterion must be 'gini' or 'entropy'")
        if self.algorithm not in ("hist", "exact"):
            raise ValueError("tree algorithm must be 'hist' or 'exact'")
        if not 1 <= self.min_samples_leaf <= 10_000:
            raise ValueError("tree min_samples_leaf must be between 1 and 10000")

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None):
        self.check_params()
        X = np.asarray(X)
        self.image_shape_ = tuple(X.shape[1:])
        self.rects_ = make_rects(self.features, self.image_shape_)
        feats = rect_means(X, self.rects_)  # (N, F)
        soft, y = _labels_or_soft(y)
        n_out = y.shape[1] if soft else self._n_out(np.unique(y))
        grow = self._grow_hist if self.algorithm == "hist" else self._grow_exact
        arrays = grow(feats, y, sample_weight, n_out)
        self.n_classes_ = n_out
        self.children_left_ = arrays["children_left"].astype(np.int32)
        self.children_right_ = arrays["children_right"].astype(np.int32)
        self.feature_ = np.where(self.children_left_ >= 0, arrays["feature"], -1).astype(np.int32)
        self.threshold_ = arrays["threshold"].astype(np.float64)
        self.value_ = arrays["value"]
        self.n_node_samples_ = arrays["n_node_samples"].astype(np.float64)
        self.classes_ = np.arange(self.n_classes_)
        return self

    def _grow_hist(self, feats, y, sample_weight, n_out) -> dict:
        from .hist_tree import grow_tree
        return grow_tree(feats, y, sample_weight, self.max_leaf_nodes, self.max_depth,
                         self.min_samples_leaf, self.criterion, n_classes=n_out)

    def _grow_exact(self, feats, y, sample_weight, n_out) -> dict:
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
        common = dict(max_leaf_nodes=self.max_leaf_nodes, max_depth=self.max_depth,
                      min_samples_leaf=self.min_samples_leaf, random_state=self.random_state)
        if y.ndim == 2:
            model = DecisionTreeRegressor(**common).fit(feats, y, sample_weight=sample_weight)
            classes = np.arange(y.shape[1])
            value = np.clip(model.tree_.value[:, :, 0], 0, None)  # (nodes, C) mean target
        else:
            model = DecisionTreeClassifier(criterion=self.criterion, **common)
            model.fit(feats, y, sample_weight=sample_weight)
            classes = model.classes_
            value = model.tree_.value[:, 0, :]  # (nodes, C_seen) class fractions
        self.n_classes_ = n_out
        value = self._full_columns(value, classes)
        t = model.tree_
        return {"children_left": t.children_left, "children_right": t.children_right,
                "feature": t.feature, "threshold": t.threshold,
                "value": value / np.maximum(value.sum(1, keepdims=True), 1e-12),
                "n_node_samples": t.weighted_n_node_samples}

    # structure ---------------------------------------------------------------------
    @property
    def n_leaves_(self) -> int:
        return int((self.children_left_ < 0).sum())

    @property
    def depth_(self) -> int:
        return int(self.node_depths().max())

    def node_depths(self) -> np.ndarray:
        """Depth of every node (the root is 0)."""
        depth = np.zeros(len(self.children_left_), dtype=int)
        for node in range(len(depth)):  # children always come after their parent
            for child in (self.children_left_[node], self.children_right_[node]):
                if child >= 0:
                    depth[child] = depth[node] + 1
        return depth

    def used_features(self) -> np.ndarray:
        return np.unique(self.feature_[self.feature_ >= 0])

    def feature_values(self, X: np.ndarray, features: np.ndarray | None = None) -> np.ndarray:
        """(N, H, W) -> (N, F) float32 feature values, exactly as the splits compare them.

        Columns not in ``features`` (default: those the tree uses) are left at zero.
        """
        features = self.used_features() if features is None else features
        out = np.zeros((len(X), len(self.rects_)), dtype=np.float32)
        if len(features):
            out[:, features] = rect_means(X, self.rects_[features])
        return out

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Index of the leaf each image reaches."""
        feats = self.feature_values(X)
        node = np.zeros(len(X), dtype=np.int64)
        rows = np.arange(len(X))
        while True:
            inner = self.children_left_[node] >= 0
            if not inner.any():
                return node
            f = self.feature_[node[inner]]
            left = feats[rows[inner], f] <= self.threshold_[node[inner]]
            node[inner] = np.where(left, self.children_left_[node[inner]],
                                   self.children_right_[node[inner]])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.value_[self.apply(X)]

    def size(self) -> dict:
        return {"leaves": self.n_leaves_, "depth": self.depth_,
                "parameters": int(2 * (len(self.children_left_) - self.n_leaves_)
                                  + self.n_leaves_ * self.n_classes_)}

    _STATE = ("children_left_", "children_right_", "feature_", "threshold_", "value_",
              "n_node_samples_", "rects_")

    def get_state(self) -> dict[str, np.ndarray]:
        state = {k: getattr(self, k) for k in self._STATE}
        state["image_shape_"] = np.array(self.image_shape_)
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> "TreeStudent":
        for k in self._STATE:
            setattr(self, k, np.asarray(state[k]))
        self.image_shape_ = tuple(int(v) for v in state["image_shape_"])
        self.n_classes_ = self.value_.shape[1]
        self.classes_ = np.arange(self.n_classes_)
        return self


# --------------------------------------------------------------------------------------
# Naive Bayes and the linear reference: scikit-learn models on flattened pixels


class FlatStudent(Student):
    """A scikit-learn classifier on the flattened image; its fitted attributes are the state."""

    _fitted: ClassVar[tuple[str, ...]] = ()

    def _make(self):
        raise NotImplementedError

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None):
        self.check_params()
        X = np.asarray(X)
        self.image_shape_ = tuple(X.shape[1:])
        self.model_ = self._make().fit(self._flat(X), y, sample_weight=sample_weight)
        self.n_classes_ = self._n_out(self.model_.classes_)
        self.classes_ = np.arange(self.n_classes_)
        return self

    @staticmethod
    def _flat(X: np.ndarray) -> np.ndarray:
        """(N, H, W) -> (N, H*W) float64: scores in double precision whatever comes in."""
        return np.asarray(X, dtype=np.float64).reshape(len(X), -1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        proba = self.model_.predict_proba(self._flat(X))
        return self._full_columns(proba, self.model_.classes_)

    def predict_log_proba(self, X: np.ndarray) -> np.ndarray:
        """Log posteriors of the seen classes (columns follow ``model_.classes_``)."""
        return self.model_.predict_log_proba(self._flat(X))

    def get_state(self) -> dict[str, np.ndarray]:
        state = {k: np.asarray(getattr(self.model_, k)) for k in self._fitted}
        state["model_classes_"] = self.model_.classes_
        state["image_shape_"] = np.array(self.image_shape_)
        state["n_classes_"] = np.array(self.n_classes_)
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> "FlatStudent":
        model = self._make()
        for k in self._fitted:
            setattr(model, k, np.asarray(state[k]))
        model.classes_ = np.asarray(state["model_classes_"])
        self.image_shape_ = tuple(int(v) for v in state["image_shape_"])
        model.n_features_in_ = int(np.prod(self.image_shape_))
        self.model_ = model
        self.n_classes_ = int(state["n_classes_"])
        self.classes_ = np.arange(self.n_classes_)
        return self

    def size(self) -> dict:
        return {"parameters": int(sum(np.asarray(getattr(self.model_, k)).size
                                      for k in self._fitted))}


class GaussianNBStudent(FlatStudent):
    """Gaussian naive Bayes. ``var_smoothing`` 0.1 (not sklearn's 1e-9): 60% -> 80% on mnist5k,
    since most border pixels have zero variance in some class."""

    kind = "gaussian-nb"
    _fitted = ("theta_", "var_", "class_prior_", "class_count_", "epsilon_")

    def __init__(self, var_smoothing: float = 0.1, n_classes: int | None = None):
        self.var_smoothing = var_smoothing
        self.n_classes = n_classes

    def check_params(self) -> None:
        if not 0 < self.var_smoothing <= 10:
            raise ValueError("Gaussian NB var_smoothing must be in (0, 10]")

    def _make(self):
        from sklearn.naive_bayes import GaussianNB
        return GaussianNB(var_smoothing=self.var_smoothing)

    def size(self) -> dict:
        m = self.model_
        return {"parameters": int(m.theta_.size + m.var_.size + m.class_prior_.size)}


class BernoulliNBStudent(FlatStudent):
    """Bernoulli naive Bayes on pixels inked above ``binarize``."""

    kind = "bernoulli-nb"
    _fitted = ("feature_log_prob_", "class_log_prior_", "class_count_", "feature_count_")

    def __init__(self, alpha: float = 1.0, binarize: float = 0.5, n_classes: int | None = None):
        self.alpha = alpha
        self.binarize = binarize
        self.n_classes = n_classes

    def check_params(self) -> None:
        if not 0 < self.alpha <= 100:
            raise ValueError("naive Bayes alpha must be in (0, 100]")
        if not 0 <= self.binarize < 1:
            raise ValueError("Bernoulli NB binarize threshold must be in [0, 1)")

    def _make(self):
        from sklearn.naive_bayes import BernoulliNB
        return BernoulliNB(alpha=self.alpha, binarize=self.binarize)

    def size(self) -> dict:
        m = self.model_
        return {"parameters": int(m.feature_log_prob_.size + m.class_log_prior_.size)}


class MultinomialNBStudent(FlatStudent):
    """Multinomial naive Bayes, treating each pixel's ink as a count."""

    kind = "multinomial-nb"
    _fitted = ("feature_log_prob_", "class_log_prior_", "class_count_", "feature_count_")

    def __init__(self, alpha: float = 1.0, n_classes: int | None = None):
        self.alpha = alpha
        self.n_classes = n_classes

    def check_params(self) -> None:
        if not 0 < self.alpha <= 100:
            raise ValueError("naive Bayes alpha must be in (0, 100]")

    def _make(self):
        from sklearn.naive_bayes import MultinomialNB
        return MultinomialNB(alpha=self.alpha)

    def size(self) -> dict:
        m = self.model_
        return {"parameters": int(m.feature_log_prob_.size + m.class_log_prior_.size)}


class LinearStudent(FlatStudent):
    """Multinomial logistic regression on raw pixels: the linear reference point."""

    kind = "linear"
    _fitted = ("coef_", "intercept_")

    def __init__(self, C: float = 0.05, max_iter: int = 300, n_classes: int | None = None,
                 random_state: int = 0):
        self.C = C
        self.max_iter = max_iter
        self.n_classes = n_classes
        self.random_state = random_state

    def check_params(self) -> None:
        if not 1e-6 <= self.C <= 1e6:
            raise ValueError("logistic regression C must be between 1e-6 and 1e6")
        if not 1 <= self.max_iter <= 10_000:
            raise ValueError("logistic regression max_iter must be between 1 and 10000")

    def _make(self):
        from sklearn.linear_model import LogisticRegression
        return LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.random_state)

    def fit(self, X, y, sample_weight=None):
        import warnings
        from sklearn.exceptions import ConvergenceWarning
        with warnings.catch_warnings():  # a capped iteration count is a choice, not an error
            warnings.simplefilter("ignore", ConvergenceWarning)
            return super().fit(X, y, sample_weight)


# --------------------------------------------------------------------------------------
# Registry


@dataclass(frozen=True)
class Param:
    """A parameter a user may set, described for forms and help text."""

    name: str
    label: str
    kind: str  # "int", "float", "bool" or "choice"
    default: object
    low: float | None = None
    high: float | None = None
    options: tuple = ()
    help: str = ""
    unlimited: bool = False  # None (no limit) is allowed


@dataclass(frozen=True)
class StudentSpec:
    """A selectable student: its label, how to build it and what its parameters mean."""

    name: str
    title: str
    build: Callable[[], type[Student]]  # returns the class; lets torch students import lazily
    defaults: dict
    help: str
    tunable: tuple[Param, ...] = ()
    short: str = ""  # for narrow places (metric cards)


def soft_tree_epochs(epochs: int, n_samples: int, batch_size: int = 128,
                     min_steps: int = 1000) -> int:
    """Epochs a soft tree trains: ``epochs``, or more when that is under ``min_steps``
    batches. A small training set (the 4,000-digit true-label baseline, 8x8 digits) would
    otherwise stop half-trained, and the gain from distilling would be an artefact of the
    baseline's fewer steps. Here, without torch, so ETAs can use it too."""
    steps = math.ceil(n_samples / batch_size)
    return max(epochs, math.ceil(min_steps / steps))


def _soft_tree_class() -> type[Student]:
    from .soft_tree import SoftTreeStudent  # torch loads here, only when asked for
    return SoftTreeStudent


_LEAVES = Param("max_leaf_nodes", "Max leaves", "int", 256, 2, 4096, help="More leaves fit "
                "the teacher more closely and are harder to read.", unlimited=True)
_DEPTH = Param("max_depth", "Max depth", "int", None, 1, 40, help="Longest question chain; "
               "empty for no limit.", unlimited=True)
_ALPHA = Param("alpha", "Smoothing alpha", "float", 1.0, 0.01, 100.0,
               help="Additive (Laplace) smoothing of the pixel counts.")

STUDENTS: dict[str, StudentSpec] = {spec.name: spec for spec in [
    StudentSpec(
        "tree", "Decision tree (regions)", lambda: TreeStudent,
        {"max_leaf_nodes": 256, "max_depth": None, "features": "regions",
         "criterion": "entropy"},
        "A CART tree whose questions are about the mean ink in rectangles of the image.",
        (_LEAVES, _DEPTH), short="Region tree"),
    StudentSpec(
        "pixel-tree", "Decision tree (pixels)", lambda: TreeStudent,
        {"max_leaf_nodes": 256, "max_depth": None, "features": "pixels", "criterion": "gini",
         "algorithm": "exact"},
        "A classic CART tree whose questions are about single pixels.",
        (_LEAVES, _DEPTH), short="Pixel tree"),
    StudentSpec(
        "soft-tree", "Soft decision tree", _soft_tree_class, {},
        "Frosst & Hinton 2017: every node is a learned filter over the image, every leaf a "
        "class distribution; follows the network closely with few leaves. Reads 28x28 digits "
        "straightened (upright and centred) by default.",
        (Param("depth", "Depth", "int", 8, 1, 10,
               help="2**depth leaves; the path of a digit has this many filters."),
         Param("epochs", "Epochs", "int", 10, 1, 200,
               help="Passes over the training images; more on small sets, so that every "
               "fit takes at least 1,000 batches."),
         Param("deskew", "Straighten digits", "bool", True,
               help="Shear each digit upright and centre its ink before the tree reads it "
               "(deskewing): on mnist5k, 96.2% agreement with the teacher instead of 94.8% "
               "at depth 8. The default follows the data set: on for 28x28 digits, off for 8x8 "
               "digits and clothes, where it measured worse.")),
        short="Soft tree"),
    StudentSpec(
        "gaussian-nb", "Gaussian naive Bayes", lambda: GaussianNBStudent,
        {"var_smoothing": 0.1}, "Per-class pixel means and variances.",
        (Param("var_smoothing", "Variance smoothing", "float", 0.1, 1e-9, 10.0,
               help="Share of the largest variance added to every pixel's: 0.1 beats "
               "sklearn's 1e-9 by 20 points here."),), short="Gaussian NB"),
    StudentSpec(
        "bernoulli-nb", "Bernoulli naive Bayes", lambda: BernoulliNBStudent,
        {"alpha": 1.0, "binarize": 0.5}, "Per-class probability that each pixel is inked.",
        (_ALPHA, Param("binarize", "Ink threshold", "float", 0.5, 0.0, 0.95,
                       help="A pixel counts as inked above it.")), short="Bernoulli NB"),
    StudentSpec(
        "multinomial-nb", "Multinomial naive Bayes", lambda: MultinomialNBStudent,
        {"alpha": 1.0}, "Per-class share of the ink that falls on each pixel.",
        (_ALPHA,), short="Multinomial NB"),
    StudentSpec(
        "linear", "Logistic regression", lambda: LinearStudent, {"C": 0.05},
        "One weight per pixel and class: the linear reference.",
        (Param("C", "Inverse regularisation C", "float", 0.05, 1e-4, 100.0,
               help="Smaller is smoother weights."),), short="Logistic regression"),
]}
DEFAULT_STUDENTS = ("tree", "gaussian-nb", "bernoulli-nb", "multinomial-nb")
STUDENT_CLASSES = {cls.__name__: cls for cls in
                   (TreeStudent, GaussianNBStudent, BernoulliNBStudent, MultinomialNBStudent,
                    LinearStudent)}


def register_student_class(cls: type[Student]) -> type[Student]:
    """Make a student class loadable by name (used by optional students such as the soft tree)."""
    STUDENT_CLASSES[cls.__name__] = cls
    return cls


def make_student(name: str, n_classes: int | None = None, random_state: int = 0,
                 **params) -> Student:
    """Build the student called ``name`` with its defaults overridden by ``params``."""
    if name not in STUDENTS:
        raise ValueError(f"unknown student {name!r}; choose from: {', '.join(STUDENTS)}")
    spec = STUDENTS[name]
    cls = spec.build()
    valid = set(cls._get_param_names()) - {"n_classes", "random_state"}
    unknown = set(params) - valid
    if unknown:
        raise ValueError(f"student {name!r} has no parameter {', '.join(sorted(unknown))}; "
                         f"it takes: {', '.join(sorted(valid))}")
    student = cls(**{**spec.defaults, **params})
    extra = {"n_classes": n_classes}
    if "random_state" in student.get_params():
        extra["random_state"] = random_state
    student.set_params(**extra)
    student.check_params()
    return student
