"""A CART decision tree on rectangle features, kept as plain arrays.

Two growers: ``algorithm="hist"`` (default) bins each feature into quantile bins and grows
best-first (:mod:`.hist_tree`), fast enough for large transfer sets; ``"exact"`` is
scikit-learn's sorter. Either way the fitted tree is arrays in scikit-learn's layout
(children, feature, threshold, value), so saving is pickle-free and explanations walk
exactly the structure that predicts. ``y`` may be labels or (N, C) probabilities (hist: soft
class counts; exact: multi-output regression).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..features import BANKS, make_rects, rect_means
from ..params import Param
from .base import DESKEW, Student


def walk(children_left: np.ndarray, children_right: np.ndarray, feature: np.ndarray,
         threshold: np.ndarray, feats: np.ndarray) -> np.ndarray:
    """The leaf each row of ``feats`` (N, F) reaches: left when value <= threshold.

    The one traversal of a tree in arrays; predictions, explanations, benchmarks and tests
    all go through it."""
    node = np.zeros(len(feats), dtype=np.int64)
    rows = np.arange(len(feats))
    while True:
        inner = children_left[node] >= 0
        if not inner.any():
            return node
        at = node[inner]
        left = feats[rows[inner], feature[at]] <= threshold[at]
        node[inner] = np.where(left, children_left[at], children_right[at])


def tree_shape(children_left: np.ndarray, children_right: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """(depth of every node, leaves under every node) of a tree in arrays, whose children
    always come after their parent."""
    left, right = children_left.tolist(), children_right.tolist()
    depth = [0] * len(left)
    for node, child in enumerate(left):
        if child >= 0:
            depth[child] = depth[right[node]] = depth[node] + 1
    leaves = [1] * len(left)
    for node in range(len(left) - 1, -1, -1):
        if left[node] >= 0:
            leaves[node] = leaves[left[node]] + leaves[right[node]]
    return np.array(depth), np.array(leaves)


class TreeStudent(Student):
    """CART on rectangle features (``features="regions"``) or single pixels ("pixels")."""

    kind = "tree"
    accepts_soft_targets = True
    PARAMS = {
        "max_leaf_nodes": Param("int", 2, 4096, label="max leaves", none="no limit",
                                hosted_high=512, form=True,
                                help="More leaves follow the teacher more closely and are "
                                "harder to read."),
        "max_depth": Param("int", 1, 64, label="max depth", none="no limit", form=True,
                           help="The longest chain of questions; empty for no limit."),
        "features": Param("choice", options=BANKS, label="features",
                          help="regions: mean ink of rectangles; pixels: single pixels."),
        "criterion": Param("choice", options=("entropy", "gini", "log_loss"),
                           label="criterion"),
        "min_samples_leaf": Param("int", 1, 10_000, label="min samples per leaf"),
        "algorithm": Param("choice", options=("hist", "exact"), label="grower"),
        "deskew": DESKEW,
        "random_state": Param("int", 0, 2**32 - 1, label="random state"),
    }

    def __init__(self, max_leaf_nodes: int | None = 256, max_depth: int | None = None,
                 features: str = "regions", criterion: str = "entropy",
                 min_samples_leaf: int = 1, algorithm: str = "hist", deskew: bool = False,
                 n_classes: int | None = None, random_state: int = 0):
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.features = features
        self.criterion = criterion
        self.min_samples_leaf = min_samples_leaf
        self.algorithm = algorithm
        self.deskew = deskew
        self.n_classes = n_classes
        self.random_state = random_state

    def _fit(self, X, target, weight, **_) -> None:
        self.rects_ = make_rects(self.features, self.image_shape_)
        feats = rect_means(X, self.rects_)  # (N, F)
        grow = self._grow_hist if self.algorithm == "hist" else self._grow_exact
        arrays = grow(feats, target, weight)
        self.children_left_ = arrays["children_left"].astype(np.int32)
        self.children_right_ = arrays["children_right"].astype(np.int32)
        self.feature_ = np.where(self.children_left_ >= 0, arrays["feature"], -1).astype(np.int32)
        self.threshold_ = arrays["threshold"].astype(np.float64)
        self.value_ = arrays["value"]
        self.n_node_samples_ = arrays["n_node_samples"].astype(np.float64)

    def _grow_hist(self, feats, target, weight) -> dict:
        from .hist_tree import grow_tree
        return grow_tree(feats, target, weight, self.max_leaf_nodes, self.max_depth,
                         self.min_samples_leaf, self.criterion, n_classes=self.n_classes_)

    def _grow_exact(self, feats, target, weight) -> dict:
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
        common = dict(max_leaf_nodes=self.max_leaf_nodes, max_depth=self.max_depth,
                      min_samples_leaf=self.min_samples_leaf, random_state=self.random_state)
        if target.ndim == 2:
            model = DecisionTreeRegressor(**common).fit(feats, target, sample_weight=weight)
            seen = np.arange(target.shape[1])
            value = np.clip(model.tree_.value[:, :, 0], 0, None)  # (nodes, C) mean target
        else:
            criterion = "entropy" if self.criterion == "log_loss" else self.criterion
            model = DecisionTreeClassifier(criterion=criterion, **common)
            model.fit(feats, target, sample_weight=weight)
            seen = model.classes_
            value = model.tree_.value[:, 0, :]  # (nodes, C_seen) class fractions
        value = self._full_columns(value, seen)
        t = model.tree_
        return {"children_left": t.children_left, "children_right": t.children_right,
                "feature": t.feature, "threshold": t.threshold,
                "value": value / np.maximum(value.sum(1, keepdims=True), 1e-12),
                "n_node_samples": t.weighted_n_node_samples}

    # ---- structure -------------------------------------------------------------------
    @property
    def n_leaves_(self) -> int:
        return int((self.children_left_ < 0).sum())

    @property
    def depth_(self) -> int:
        return int(self.node_depths().max())

    def node_depths(self) -> np.ndarray:
        """Depth of every node (the root is 0)."""
        return self._shape()[0]

    def leaves_under(self) -> np.ndarray:
        """How many leaves each node's branch holds (1 for a leaf)."""
        return self._shape()[1]

    def _shape(self) -> tuple[np.ndarray, np.ndarray]:
        """Every node's depth and leaf count, worked out once per grown or loaded tree: a
        drawing asks for them on every click, and only growing or loading changes them."""
        left = self.children_left_
        if self.__dict__.get("_shape_of") is not left:
            self._shape_cache = tree_shape(left, self.children_right_)
            self._shape_of = left
        return self._shape_cache

    def used_features(self) -> np.ndarray:
        return np.unique(self.feature_[self.feature_ >= 0])

    def feature_values(self, X, features: np.ndarray | None = None) -> np.ndarray:
        """(N, H, W) -> (N, F) float32 feature values, exactly as the splits compare them
        (of the straightened images when ``deskew``).

        Columns not in ``features`` (default: those the tree uses) are left at zero.
        """
        return self.values_of_read(self._read(X), features)

    def values_of_read(self, read: np.ndarray, features: np.ndarray | None = None
                       ) -> np.ndarray:
        """:meth:`feature_values` of images already read (straightened when ``deskew``)."""
        features = self.used_features() if features is None else features
        out = np.zeros((len(read), len(self.rects_)), dtype=np.float32)
        if len(features):
            out[:, features] = rect_means(read, self.rects_[features])
        return out

    def apply(self, X) -> np.ndarray:
        """Index of the leaf each image reaches."""
        return self._apply(self._read(X))

    def _apply(self, read: np.ndarray) -> np.ndarray:
        return walk(self.children_left_, self.children_right_, self.feature_,
                    self.threshold_, self.values_of_read(read))

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.value_[self._apply(X)]

    def refit_leaves(self, X, proba: np.ndarray) -> TreeStudent:
        """Keep the structure; give every node the mean of ``proba`` (N, C) over the images
        of ``X`` that reach it. A tree grown on softened probabilities then predicts, and
        shows, the probabilities the targets stand for (see distillation.LEAVES)."""
        check_is_fitted(self)
        proba = np.asarray(proba, np.float64)
        reached = self.apply(X)
        n_nodes = len(self.children_left_)
        sums = np.zeros((n_nodes, proba.shape[1]))
        np.add.at(sums, reached, proba)
        counts = np.bincount(reached, minlength=n_nodes).astype(np.float64)
        for node in range(n_nodes - 1, -1, -1):  # children come after their parent
            left, right = self.children_left_[node], self.children_right_[node]
            if left >= 0:
                sums[node] = sums[left] + sums[right]
                counts[node] = counts[left] + counts[right]
        empty = counts == 0  # a node no image reaches keeps what it had
        self.value_ = np.where(empty[:, None], self.value_,
                               sums / np.maximum(counts, 1)[:, None])
        return self

    def size(self) -> dict:
        return {"leaves": self.n_leaves_, "depth": self.depth_,
                "parameters": int(2 * (len(self.children_left_) - self.n_leaves_)
                                  + self.n_leaves_ * self.n_classes_)}

    # ---- state -----------------------------------------------------------------------
    _STATE = ("children_left_", "children_right_", "feature_", "threshold_", "value_",
              "n_node_samples_", "rects_")

    def get_state(self) -> dict[str, np.ndarray]:
        return {**{k: getattr(self, k) for k in self._STATE}, **self._common_state()}

    def set_state(self, state: dict[str, np.ndarray]) -> TreeStudent:
        for k in self._STATE:
            setattr(self, k, np.asarray(state[k]))
        self._restore_common(state, self.value_.shape[1])
        return self
