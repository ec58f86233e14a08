"""Oracles written apart from the engine: plain Python over the saved numbers, sharing no code
with :mod:`distill.metrics` or the counterfactual search, so a bug there cannot hide in both."""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linprog


def top(row) -> int:
    """The class a row of probabilities answers (the first of equal ones, as argmax)."""
    return max(range(len(row)), key=lambda c: (row[c], -c))


def counted(y_true, teacher_proba, proba, eps: float) -> dict:
    """Every saved per-student figure, counted digit by digit. ``eps``: the documented floor
    under a student's zero probabilities in the KL divergence."""
    n, classes = len(y_true), len(proba[0])
    says = [top(r) for r in proba]
    teacher = [top(r) for r in teacher_proba]
    same = [says[i] == teacher[i] for i in range(n)]
    wrong = [i for i in range(n) if teacher[i] != y_true[i]]
    kl = 0.0
    for p, q in zip(teacher_proba, proba):
        q = [max(float(v), eps) for v in q]
        total = sum(q)
        kl += sum(float(pc) * math.log(float(pc) / (qc / total)) for pc, qc in zip(p, q) if pc > 0)
    runner_ups = [sorted(range(classes), key=lambda c: (-r[c], c))[:2] for r in proba]
    return {
        "test_accuracy": sum(says[i] == y_true[i] for i in range(n)) / n,
        "agreement": sum(same) / n,
        "top2_agreement": sum(teacher[i] in runner_ups[i] for i in range(n)) / n,
        "kl": kl / n,
        "agreement_on_teacher_errors":
            sum(same[i] for i in wrong) / len(wrong) if wrong else None,
        "agreement_per_class": [
            (sum(same[i] for i in range(n) if y_true[i] == c)
             / sum(1 for i in range(n) if y_true[i] == c))
            if any(y_true[i] == c for i in range(n)) else None for c in range(classes)],
    }


def region_tree_leaves(tree) -> dict[int, list[tuple[int, float, bool]]]:
    """Each leaf of a fitted region tree with the (feature, threshold, goes right) of every
    split above it, read from the saved arrays by a walk down from the root."""
    leaves, stack = {}, [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = int(tree.children_left_[node]), int(tree.children_right_[node])
        if left < 0:
            leaves[node] = path
            continue
        f, t = int(tree.feature_[node]), float(tree.threshold_[node])
        stack += [(left, path + [(f, t, False)]), (right, path + [(f, t, True)])]
    return leaves


def smallest_tree_edit(tree, image: np.ndarray, target: int) -> float:
    """The smallest L1 edit (pixels in [0, 1]) that puts ``image`` in a leaf of ``target``,
    from the saved arrays alone: feature f is the mean of the pixels in rectangle rects_[f]
    (top, left, bottom, right, half-open); a split sends mean > threshold right. One linear
    program a leaf over x and t >= |x - x0|, conditions closed (the infimum); inf if none."""
    h, w = image.shape
    x0 = image.astype(np.float64).ravel()
    p = len(x0)
    best = math.inf
    for leaf, path in region_tree_leaves(tree).items():
        if top(tree.value_[leaf]) != target:
            continue
        a_ub, b_ub = [], []
        for f, threshold, right in path:
            top_, left, bottom, right_ = (int(v) for v in tree.rects_[f])
            mean = np.zeros((h, w))
            mean[top_:bottom, left:right_] = 1 / ((bottom - top_) * (right_ - left))
            sign = -1 if right else 1  # right: -mean <= -threshold; left: mean <= threshold
            a_ub.append(np.r_[sign * mean.ravel(), np.zeros(p)])
            b_ub.append(sign * threshold)
        best = min(best, least_l1(x0, a_ub, b_ub))
    return best


def least_l1(x0: np.ndarray, a_ub: list, b_ub: list) -> float:
    """The smallest L1 change of ``x0`` to an x in [0, 1] with ``a_ub @ [x, t] <= b_ub`` (rows
    over x padded with zeros for t): one linear program over x and t >= |x - x0|; inf if none."""
    p = len(x0)
    eye = np.eye(p)
    a_ub = list(a_ub) + list(np.hstack([eye, -eye])) + list(np.hstack([-eye, -eye]))
    b_ub = list(b_ub) + list(x0) + list(-x0)
    result = linprog(np.r_[np.zeros(p), np.ones(p)], A_ub=np.array(a_ub), b_ub=b_ub,
                     bounds=[(0, 1)] * p + [(0, None)] * p, method="highs")
    return float(result.fun) if result.status == 0 else math.inf


def smallest_soft_tree_edit(tree, image: np.ndarray, target: int, margin: float) -> float:
    """The smallest L1 edit that sends ``image`` down a soft tree's max path to a leaf of
    ``target`` by ``margin`` at each node, from the saved arrays: leaf L's path read from L's
    bits, root first (1: right, w . x + b >= margin; 0: left, <= -margin)."""
    x0 = image.reshape(-1).astype(np.float64)
    p, depth = len(x0), tree.depth
    w, b = tree.filters_.astype(np.float64), tree.biases_.astype(np.float64)
    best = math.inf
    for leaf in range(2 ** depth):
        if top(tree.leaf_logits_[leaf]) != target:  # softmax keeps the order of the logits
            continue
        a_ub, b_ub, node = [], [], 0
        for level in range(depth):
            right = (leaf >> (depth - 1 - level)) & 1
            sign = -1.0 if right else 1.0  # as <=: -(w.x + b) <= -margin, or w.x + b <= -margin
            a_ub.append(np.r_[sign * w[node], np.zeros(p)])
            b_ub.append(-margin - sign * b[node])
            node = 2 * node + 1 + right
        best = min(best, least_l1(x0, a_ub, b_ub))
    return best
