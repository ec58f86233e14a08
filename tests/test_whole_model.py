"""The whole-model views are true to the model: a rule's conditions hold exactly for the
digits that reach its leaf; a soft tree's node counts follow every digit's max path."""

import numpy as np
import pytest

from distill.explain.whole import (
    class_rules,
    leaf_bounds,
    leaf_conditions,
    node_splits,
    teacher_mean_evidence,
)


@pytest.mark.parametrize("name", ["tree.transfer", "pixel-tree.transfer"])
def test_a_digit_meets_a_leafs_bounds_exactly_when_it_reaches_the_leaf(tiny_run, name):
    tree = tiny_run.load_student(name)
    x = tiny_run.predictions["x_test"]
    reached = tree.apply(x)
    values = tree.feature_values(x, np.arange(len(tree.rects_)))
    for leaf in np.flatnonzero(tree.children_left_ < 0):
        bounds = leaf_bounds(tree, int(leaf))
        inside = np.ones(len(x), bool)
        for feature, (low, high) in bounds.items():
            assert low < high
            inside &= (values[:, feature] > low) & (values[:, feature] <= high)
        assert np.array_equal(inside, reached == leaf)
        assert len(leaf_conditions(tree, int(leaf))) == len(bounds)


def test_rules_cover_every_leaf_and_count_digits_purity_and_prototypes(tiny_mnist_run):
    tree = tiny_mnist_run.load_student("tree.transfer")
    p = tiny_mnist_run.predictions
    x, teacher = p["x_test"], p["teacher_proba"].argmax(1)
    rules = class_rules(tree, x, teacher)
    leaves = [r.leaf for group in rules.values() for r in group]
    assert sorted(leaves) == sorted(np.flatnonzero(tree.children_left_ < 0).tolist())
    assert sum(r.test_digits for group in rules.values() for r in group) == len(x)
    reached = tree.apply(x)
    predicted = tree.predict(x)
    for cls, group in rules.items():
        assert [r.test_digits for r in group] == sorted((r.test_digits for r in group),
                                                        reverse=True)
        for r in group:
            here = reached == r.leaf
            assert r.predicts == cls and (predicted[here] == cls).all()
            assert r.probability == pytest.approx(tree.predict_proba(x[here][:1])[0, cls]
                                                  if here.any() else tree.value_[r.leaf, cls])
            if r.test_digits:
                assert r.teacher_share == pytest.approx((teacher[here] == cls).mean())
                assert np.allclose(r.prototype, x[here].mean(0))
            else:
                assert r.teacher_share is None and r.prototype is None


def test_rules_read_as_merged_conditions(tiny_mnist_run):
    tree = tiny_mnist_run.load_student("tree.transfer")
    rules = class_rules(tree, tiny_mnist_run.predictions["x_test"], None)
    words = [c for group in rules.values() for r in group for c in r.conditions]
    assert all(w.startswith(("ink in", "ink at", "no ink")) for w in words)
    assert any("between" in w or "above" in w for w in words)
    assert all(r.teacher_share is None for group in rules.values() for r in group)


def test_soft_tree_node_counts_follow_every_max_path(tiny_soft_run):
    tree = tiny_soft_run.load_student("soft-tree")
    p = tiny_soft_run.predictions
    x, labels = p["x_test"], p["teacher_proba"].argmax(1)
    splits = node_splits(tree, x, labels)
    assert len(splits) == 2 ** tree.depth - 1
    by_node = {s.node: s for s in splits}
    assert sum(by_node[0].left.values()) + sum(by_node[0].right.values()) == len(x)
    for s in splits:
        if 2 * s.node + 2 in by_node:  # children are inner nodes
            left_child, right_child = by_node[2 * s.node + 1], by_node[2 * s.node + 2]
            assert sum(s.left.values()) == sum(left_child.left.values()) + sum(
                left_child.right.values())
            assert sum(s.right.values()) == sum(right_child.left.values()) + sum(
                right_child.right.values())
    # the last level's sides are exactly the leaves the digits reach
    leaves = tree.apply(x)
    for s in splits:
        if s.level == tree.depth - 1:
            first_leaf = 2 * s.node + 1 - (2 ** tree.depth - 1)
            assert sum(s.left.values()) == int((leaves == first_leaf).sum())
            assert sum(s.right.values()) == int((leaves == first_leaf + 1).sum())
    top = node_splits(tree, x, labels, levels=2)
    assert [s.node for s in top] == [0, 1, 2]


def test_teacher_mean_evidence_averages_per_class():
    maps = np.arange(4 * 2 * 2, dtype=np.float32).reshape(4, 2, 2)
    pred = np.array([0, 2, 0, 2])
    means = teacher_mean_evidence(maps, pred, 3)
    assert np.allclose(means[0], maps[[0, 2]].mean(0)) and not means[1].any()
    assert np.allclose(means[2], maps[[1, 3]].mean(0))
