"""The whole model at a glance: what each student has learned, over the test set.

- a tree: each class's rules (its leaves), ranked by how many test digits reach them, each
  with its conditions merged per region, the share of those digits the teacher gives the
  class (purity by the teacher's labels), the probability the tree predicts with, and the
  mean of those digits (the rule's prototype);
- a soft tree: every inner node's filter with the classes of the test digits whose max path
  goes left and right there;
- naive Bayes and logistic regression: the per-class templates
  (:func:`.evidence.weight_maps`), shown beside the teacher's mean evidence per class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..features import describe_rect
from ..students import SoftTreeStudent, TreeStudent
from .tree import percent


@dataclass
class Rule:
    leaf: int
    predicts: int
    probability: float  # the leaf's probability of ``predicts``: what the tree predicts with
    conditions: list[str]  # one per region the path asks about, bounds merged
    test_digits: int  # how many test digits reach the leaf
    teacher_share: float | None  # of those, the share the teacher gives ``predicts``
    prototype: np.ndarray | None  # (H, W) their mean image
    training_samples: float

    def in_words(self, names: list[str]) -> str:
        """"a 7 is: ink in rows 4-7 above 30%, little ink at ... (leaf 12)"."""
        return f"{names[self.predicts]} when " + "; ".join(self.conditions)


def leaf_bounds(tree: TreeStudent, leaf: int) -> dict[int, tuple[float, float]]:
    """Region -> (above, at most): a digit reaches ``leaf`` exactly when each of these
    regions' ink is above the first bound and at most the second (regions in the order the
    path first asks about them)."""
    parent = {}
    for node in np.flatnonzero(tree.children_left_ >= 0):
        parent[int(tree.children_left_[node])] = (int(node), False)
        parent[int(tree.children_right_[node])] = (int(node), True)
    steps, node = [], leaf
    while node in parent:
        up, right = parent[node]
        steps.append((int(tree.feature_[up]), float(tree.threshold_[up]), right))
        node = up
    bounds: dict[int, tuple[float, float]] = {}
    for feature, threshold, right in reversed(steps):
        low, high = bounds.get(feature, (-np.inf, np.inf))
        bounds[feature] = (max(low, threshold), high) if right else (low, min(high, threshold))
    return bounds


def leaf_conditions(tree: TreeStudent, leaf: int) -> list[str]:
    """The conditions of :func:`leaf_bounds` in words ("ink in rows 4-7 between 12% and
    40%")."""
    return [_condition(tree, f, low, high) for f, (low, high) in leaf_bounds(tree, leaf).items()]


def _condition(tree: TreeStudent, feature: int, low: float, high: float) -> str:
    where = describe_rect(tree.rects_[feature], tree.image_shape_)
    noun = "ink at" if where.startswith("pixel") else "ink in"
    if high <= 0:
        return f"no {noun} {where}"
    if np.isinf(low):
        return f"{noun} {where} at most {percent(high)}"
    if np.isinf(high):
        return f"{noun} {where} above {percent(low)}"
    return f"{noun} {where} between {percent(low)} and {percent(high)}"


def class_rules(tree: TreeStudent, x: np.ndarray, teacher_pred: np.ndarray | None
                ) -> dict[int, list[Rule]]:
    """Every leaf as a rule, grouped by the class it predicts, most used first."""
    reached = tree.apply(x)
    rules: dict[int, list[Rule]] = {}
    for leaf in np.flatnonzero(tree.children_left_ < 0):
        dist = tree.value_[leaf]
        predicts = int(dist.argmax())
        here = reached == leaf
        n = int(here.sum())
        share = (float((teacher_pred[here] == predicts).mean())
                 if n and teacher_pred is not None else None)
        rules.setdefault(predicts, []).append(Rule(
            leaf=int(leaf), predicts=predicts, probability=float(dist[predicts]),
            conditions=leaf_conditions(tree, int(leaf)), test_digits=n, teacher_share=share,
            prototype=x[here].mean(0) if n else None,
            training_samples=float(tree.n_node_samples_[leaf])))
    for group in rules.values():
        group.sort(key=lambda r: (-r.test_digits, -r.training_samples))
    return rules


@dataclass
class NodeSplit:
    node: int
    level: int
    filter: np.ndarray  # (H, W)
    left: dict[int, int]  # class -> test digits whose max path goes left here
    right: dict[int, int]


def node_splits(tree: SoftTreeStudent, x: np.ndarray, labels: np.ndarray,
                levels: int | None = None) -> list[NodeSplit]:
    """Each inner node of the first ``levels`` levels (default: all), with the classes
    (``labels``, e.g. the teacher's answers) of the test digits its max path sends each way."""
    z = tree.responses(x)  # (N, n_inner)
    levels = tree.depth if levels is None else min(levels, tree.depth)
    node = np.zeros(len(x), dtype=np.int64)
    out = []
    for level in range(levels):
        goes_right = z[np.arange(len(x)), node] > 0
        for n in range(2 ** level - 1, 2 ** (level + 1) - 1):
            here = node == n
            out.append(NodeSplit(n, level, tree.filters_[n].reshape(tree.image_shape_),
                                 _counts(labels[here & ~goes_right]),
                                 _counts(labels[here & goes_right])))
        node = 2 * node + 1 + goes_right
    return out


def _counts(labels: np.ndarray) -> dict[int, int]:
    classes, counts = np.unique(labels, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return {int(classes[i]): int(counts[i]) for i in order}


def teacher_mean_evidence(saliency: np.ndarray, teacher_pred: np.ndarray, n_classes: int
                          ) -> np.ndarray:
    """(C, H, W): the teacher's evidence maps averaged over the test digits it gives each
    class (zeros for a class it never gives)."""
    out = np.zeros((n_classes, *saliency.shape[1:]), np.float32)
    for c in range(n_classes):
        mine = teacher_pred == c
        if mine.any():
            out[c] = saliency[mine].astype(np.float32).mean(0)
    return out
