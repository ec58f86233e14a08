import numpy as np
import pytest

from distill.students import walk
from distill.students.hist_tree import _impurity_sum, apply_bins, bin_edges, grow_tree


def predict(arrays, feats):
    return walk(arrays["children_left"], arrays["children_right"], arrays["feature"],
                arrays["threshold"], feats)


def test_bins_agree_with_the_threshold_rule(rng):
    values = rng.random((500, 4)).astype(np.float32)
    values[:, 3] = rng.integers(0, 3, 500)  # few distinct values
    edges = bin_edges(values, 16)
    bins = apply_bins(values, edges)
    assert len(edges[3]) == 2  # two cuts between three values
    for f, e in enumerate(edges):
        for k, edge in enumerate(e):
            np.testing.assert_array_equal(values[:, f] <= edge, bins[:, f] <= k)


def test_finds_a_perfect_split_and_stops_when_pure(rng):
    feats = rng.random((200, 6)).astype(np.float32)  # 200 values fit in 256 bins: exact cuts
    y = (feats[:, 4] > 0.6).astype(int)
    a = grow_tree(feats, y, max_leaf_nodes=10, n_bins=256)
    assert a["feature"][0] == 4 and abs(a["threshold"][0] - 0.6) < 0.05
    assert (a["children_left"] < 0).sum() == 2  # nothing left to split
    leaves = predict(a, feats)
    assert (a["value"][leaves].argmax(1) == y).all()


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_respects_leaf_depth_and_min_samples_limits(rng, criterion):
    feats = rng.random((600, 10)).astype(np.float32)
    y = rng.integers(0, 4, 600)
    a = grow_tree(feats, y, max_leaf_nodes=12, criterion=criterion)
    assert (a["children_left"] < 0).sum() == 12
    b = grow_tree(feats, y, max_leaf_nodes=None, max_depth=3, min_samples_leaf=20)
    leaves = predict(b, feats)
    assert np.bincount(leaves)[np.unique(leaves)].min() >= 20
    depth = np.zeros(len(b["children_left"]), int)
    for n in range(len(depth)):
        for c in (b["children_left"][n], b["children_right"][n]):
            if c >= 0:
                depth[c] = depth[n] + 1
    assert depth.max() <= 3


def test_leaf_values_are_the_class_shares_of_their_samples(rng):
    feats = rng.random((300, 5)).astype(np.float32)
    y = (feats[:, 0] * 3).astype(int)
    a = grow_tree(feats, y, max_leaf_nodes=5, n_classes=4)
    leaves = predict(a, feats)
    for leaf in np.unique(leaves):
        share = np.bincount(y[leaves == leaf], minlength=4) / (leaves == leaf).sum()
        np.testing.assert_allclose(a["value"][leaf], share)
        assert a["n_node_samples"][leaf] == (leaves == leaf).sum()


def test_soft_targets_and_weights(rng):
    feats = rng.random((300, 5)).astype(np.float32)
    hard = (feats[:, 1] > 0.5).astype(int)
    soft = np.eye(2)[hard] * 0.9 + 0.05
    a = grow_tree(feats, soft, max_leaf_nodes=4)
    assert a["feature"][0] == 1
    w = np.where(hard == 1, 5.0, 1.0)
    b = grow_tree(feats, hard, sample_weight=w, max_leaf_nodes=2)
    assert b["n_node_samples"][0] == pytest.approx(w.sum())


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("min_leaf", [1, 4])
def test_every_split_is_the_best_a_full_scan_finds(rng, soft, min_leaf):
    """The grower scores a cut only after a bin that holds samples; a scan of every cut of
    every feature finds no better split at any node (few distinct values: many empty bins)."""
    x = rng.integers(0, 40, (200, 6)).astype(np.float32) / 39
    labels = (x[:, 0] * 3 + x[:, 1] * 2 + rng.random(200)).astype(int) % 4
    y = rng.dirichlet(np.ones(4), 200) * 0.4 + np.eye(4)[labels] * 0.6 if soft else labels
    tree = grow_tree(x, y, max_leaf_nodes=30, min_samples_leaf=min_leaf, n_bins=16)
    left, right = tree["children_left"], tree["children_right"]
    counts = y if soft else np.eye(4)[y]
    members = {0: np.arange(len(x))}
    for node in np.flatnonzero(left >= 0):
        idx = members[node]
        go = x[idx, tree["feature"][node]] <= tree["threshold"][node]
        members[left[node]], members[right[node]] = idx[go], idx[~go]
        parent = _impurity_sum(counts[idx].sum(0), "entropy")
        chosen = parent - sum(_impurity_sum(counts[i].sum(0), "entropy")
                              for i in (idx[go], idx[~go]))
        best = max(parent - _impurity_sum(counts[idx[side]].sum(0), "entropy")
                   - _impurity_sum(counts[idx[~side]].sum(0), "entropy")
                   for f, edges in enumerate(bin_edges(x, 16)) for e in edges
                   for side in [x[idx, f] <= e]
                   if min(side.sum(), (~side).sum()) >= min_leaf)
        assert chosen == pytest.approx(best, abs=1e-9)


@pytest.mark.parametrize("soft", [False, True])
def test_threads_grow_the_tree_one_thread_grows(rng, monkeypatch, soft):
    from distill import parallel
    feats = rng.random((600, 250)).astype(np.float32)  # three chunks of features
    feats[:, 200:] = feats[:, :50]  # equal gains in different chunks: the first must win
    y = (feats[:, 7] + feats[:, 220] > 1).astype(int) + (feats[:, 120] > 0.5)
    if soft:
        y = np.eye(3)[y] * 0.8 + 0.2 / 3
    trees = {}
    for workers in (1, 3):
        monkeypatch.setattr(parallel, "WORKERS", workers)
        trees[workers] = grow_tree(feats, y, max_leaf_nodes=20, n_classes=3)
        np.testing.assert_array_equal(apply_bins(feats, bin_edges(feats, 64), workers),
                                      apply_bins(feats, bin_edges(feats, 64), 1))
    for key, value in trees[1].items():
        np.testing.assert_array_equal(value, trees[3][key], err_msg=key)
    assert (trees[1]["feature"][trees[1]["feature"] >= 0] < 200).all()  # copies never chosen
