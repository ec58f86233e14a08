"""A best-first CART grower on binned features: the region tree's fast fitting engine.

scikit-learn sorts every feature at every node, which is slow on a transfer set of tens of
thousands of images by a thousand region features. Binning each feature into at most
``n_bins`` quantile bins (as LightGBM and scikit-learn's HistGradientBoosting do) turns a
node's split search into one histogram, so large transfer sets fit in seconds (timings in
bench/results/).

The result is plain arrays in scikit-learn's layout (children, feature, threshold, value), so
:class:`~distill.students.tree.TreeStudent` predicts and explains it exactly like a sklearn
tree: go left when ``value <= threshold``, thresholds being float32 bin edges.
"""

from __future__ import annotations

import heapq
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..parallel import in_order, pool

CHUNK = 96  # features per histogram pass at least: bounds memory at n x CHUNK int32
CELLS = 1_000_000  # samples x features per pass at most, beyond CHUNK: a small node's features
# are scored in one pass, where each pass's fixed cost of numpy calls would dominate


def bin_edges(values: np.ndarray, n_bins: int, sample: int = 20_000, seed: int = 0
              ) -> list[np.ndarray]:
    """Per feature, sorted float32 edges; a value falls in bin k = #edges below it."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(values), sample, replace=False) if len(values) > sample else slice(None)
    sub = np.sort(values[rows], axis=0)  # (S, F): every column sorted in one call
    distinct = 1 + (np.diff(sub, axis=0) != 0).sum(0)
    quantiles = np.quantile(sub, np.linspace(0, 1, n_bins + 1)[1:-1], axis=0)  # (n_bins-1, F)
    edges = []
    for f in range(values.shape[1]):
        if distinct[f] <= n_bins:  # few values: cut midway between neighbours
            v = np.unique(sub[:, f])
            cuts = (v[:-1].astype(np.float64) + v[1:]) / 2
        else:
            cuts = np.unique(quantiles[:, f])
        edges.append(np.unique(cuts.astype(np.float32)))
    return edges


def apply_bins(values: np.ndarray, edges: list[np.ndarray], workers: int | None = None
               ) -> np.ndarray:
    """(N, F) float32 -> (N, F) uint8 bin numbers, consistent with ``value <= edge``."""
    out = np.empty(values.shape, dtype=np.uint8)

    def fill(features: range) -> None:
        for f in features:
            out[:, f] = np.searchsorted(edges[f], values[:, f], side="left")

    n = values.shape[1]
    in_order(fill, [range(f0, min(n, f0 + CHUNK)) for f0 in range(0, n, CHUNK)], workers)
    return out


def _xlogx(a: np.ndarray) -> np.ndarray:
    """a * log(a), with 0 log 0 = 0."""
    out = np.log(a, out=np.zeros_like(a, dtype=np.float64), where=a > 0)
    out *= a
    return out


def _impurity_sum(counts: np.ndarray, criterion: str) -> np.ndarray:
    """n * impurity for class-count vectors along the last axis."""
    n = counts.sum(-1)
    if criterion == "gini":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, n - (counts ** 2).sum(-1) / np.where(n > 0, n, 1), 0.0)
    return _xlogx(n) - _xlogx(counts).sum(-1)  # entropy, in nats


@dataclass
class _Split:
    gain: float
    feature: int
    bin: int


class _Grower:
    def __init__(self, xb, n_bins_per_feature, targets, weights, hard, criterion,
                 min_samples_leaf, n_classes, pool: ThreadPoolExecutor):
        self.pool = pool
        self.xb = xb
        self.nb = n_bins_per_feature  # (F,) bins in use per feature
        self.b = int(n_bins_per_feature.max())
        self.targets = targets
        self.weights = weights
        self.hard = hard
        self.criterion = criterion
        self.min_leaf = min_samples_leaf
        self.c = n_classes

    def class_totals(self, idx: np.ndarray) -> np.ndarray:
        if self.hard:
            return np.bincount(self.targets[idx], self.weights[idx], minlength=self.c)
        return (self.targets[idx] * self.weights[idx, None]).sum(0)

    def occupied(self, idx: np.ndarray, f0: int, f1: int, classes: np.ndarray):
        """The node's samples per occupied bin of features f0..f1, in scan order (feature,
        then bin): keys f * B + bin (K,), weighted class sums (K, len(classes)) and sample
        counts (K,).

        Only occupied bins are summed: a deep node fills a few bins of each feature, so this is
        far less work than a full (features x bins x classes) histogram, and the same sums.
        Only the classes present in the node: deep nodes hold two or three, not ten.
        """
        nf, b, c = f1 - f0, self.b, len(classes)
        codes = self.xb[idx, f0:f1].astype(np.int32) + (np.arange(nf, dtype=np.int32) * b)
        counts = np.bincount(codes.ravel(), minlength=nf * b)
        keys = np.flatnonzero(counts)  # (K,) sorted
        row = np.cumsum(counts > 0) - 1  # key -> its row among the occupied
        rows = row[codes]  # (n, nf)
        w = self.weights[idx]
        k = len(keys)
        if self.hard:
            code = np.full(self.c, 0, dtype=np.int32)
            code[classes] = np.arange(c)
            flat = rows * c + code[self.targets[idx]][:, None]
            sums = np.bincount(flat.ravel(), np.broadcast_to(w[:, None], flat.shape).ravel(),
                               minlength=k * c).reshape(k, c)
        else:  # one sparse (sample x bin) indicator times the weighted targets
            from scipy import sparse
            n = len(idx)
            onehot = sparse.csr_matrix((np.ones(n * nf), rows.ravel(),
                                        np.arange(0, n * nf + 1, nf)), shape=(n, k))
            sums = np.asarray(onehot.T @ (w[:, None] * self.targets[idx][:, classes]))
        return keys, sums, counts[keys]

    def best_split(self, idx: np.ndarray, totals: np.ndarray) -> _Split | None:
        parent = float(_impurity_sum(totals, self.criterion))
        if parent <= 1e-12 or len(idx) < 2 * self.min_leaf:
            return None
        best = None
        n_features = self.xb.shape[1]
        classes = np.flatnonzero(totals > 0)
        totals = totals[classes]
        width = max(CHUNK, CELLS // len(idx))
        chunks = [(f0, min(n_features, f0 + width)) for f0 in range(0, n_features, width)]
        for found in self.pool.map(  # in chunk order: the first of equal gains wins, as serially
                lambda c: self._best_in_chunk(idx, *c, classes, totals, parent), chunks):
            if found is not None and (best is None or found.gain > best.gain + 1e-12):
                best = found
        return best

    def _best_in_chunk(self, idx: np.ndarray, f0: int, f1: int, classes: np.ndarray,
                       totals: np.ndarray, parent: float) -> _Split | None:
        """The best split on features f0..f1, or None.

        A split after bin k is scored only when bin k holds samples: after an empty bin the
        two sides are those of the split before it, with the same score, and the first of
        equal scores wins anyway. So the scan runs over occupied bins only
        (:meth:`occupied`), and picks exactly the split a scan of every bin would.
        """
        keys, sums, counts = self.occupied(idx, f0, f1, classes)
        feature, k = np.divmod(keys, self.b)  # (K,): chunk feature and bin of each row
        first = np.r_[True, feature[1:] != feature[:-1]]  # a feature's first occupied bin
        starts = np.flatnonzero(first)
        sizes = np.diff(np.r_[starts, len(keys)])
        ones = np.ones(len(classes))  # sums over classes as products: numpy sums short axes slowly
        # each feature's running sums over its occupied bins, added in bin order as a scan of
        # every bin would (a difference of sums across features would round otherwise)
        group = np.repeat(np.arange(len(starts)), sizes)
        place = np.arange(len(keys)) - np.repeat(starts, sizes)
        padded = np.zeros((len(starts), int(sizes.max()), len(classes)))
        padded[group, place] = sums
        left = np.cumsum(padded, axis=1)[group, place]  # (K, C): this bin and those below
        # a cut after bin k: it holds weight (or, with min_leaf, samples), and the feature has
        # a bin above it
        candidate = k < (self.nb[f0 + feature] - 1)
        if self.min_leaf <= 1:
            candidate &= sums @ ones > 0
        cuts = np.flatnonzero(candidate)
        if len(cuts) == 0:
            return None
        left = left[cuts]
        right = totals - left
        if self.min_leaf > 1:
            seen = np.cumsum(counts)  # whole numbers: a difference is exact
            n_left = (seen - np.repeat(np.r_[0, seen][starts], sizes))[cuts]
            ok = (n_left >= self.min_leaf) & (len(idx) - n_left >= self.min_leaf)
        else:  # weights are positive: a side is non-empty exactly when it has weight
            ok = (left @ ones > 0) & (right @ ones > 0)
        gain = parent - _impurity_sum(left, self.criterion) - _impurity_sum(right,
                                                                            self.criterion)
        gain = np.where(ok, gain, -np.inf)
        j = int(np.argmax(gain >= gain.max() - 1e-12))  # the first of (nearly) equal gains
        g = float(gain[j])
        if g <= 1e-12:
            return None
        return _Split(g, f0 + int(feature[cuts[j]]),
                      self._middle_of_gap(idx, f0 + int(feature[cuts[j]]), int(k[cuts[j]])))

    def _middle_of_gap(self, idx: np.ndarray, f: int, k: int) -> int:
        """Splits after bins k..k' with bins k+1..k' empty part the samples alike; take the middle
        (as sklearn puts its threshold midway between neighbouring values)."""
        present = np.bincount(self.xb[idx, f], minlength=self.b)
        hi = k
        while hi + 1 < self.nb[f] - 1 and present[hi + 1] == 0:
            hi += 1
        return (k + hi) // 2


def grow_tree(features: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
              max_leaf_nodes: int | None = 256, max_depth: int | None = None,
              min_samples_leaf: int = 1, criterion: str = "entropy", n_bins: int = 64,
              n_classes: int | None = None) -> dict[str, np.ndarray]:
    """Fit a classification tree best-first; ``y`` labels (N,) or probabilities (N, C).

    Returns sklearn-layout arrays: children_left/right (-1 at leaves), feature, threshold,
    value (class distribution per node), n_node_samples (weighted).
    """
    if not 2 <= n_bins <= 256:
        raise ValueError("n_bins must be between 2 and 256 (bins are stored as uint8)")
    if criterion == "log_loss":
        criterion = "entropy"
    hard = y.ndim == 1
    n_classes = n_classes or (int(y.max()) + 1 if hard else y.shape[1])
    weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    edges = bin_edges(features[weights > 0], n_bins)  # samples of no weight place no cut
    xb = apply_bins(features, edges)
    nb = np.array([len(e) + 1 for e in edges])
    with pool() as threads:  # a node's feature chunks are scored at once
        grower = _Grower(xb, nb, y.astype(np.int64) if hard else y.astype(np.float64), weights,
                         hard, criterion, min_samples_leaf, n_classes, threads)
        return _grow(grower, edges, weights, max_leaf_nodes or len(y),
                     max_depth if max_depth is not None else 10_000)


def _grow(grower: _Grower, edges: list[np.ndarray], weights: np.ndarray, max_leaves: int,
          depth_limit: int) -> dict[str, np.ndarray]:
    """Best-first: split the leaf whose best split gains most until ``max_leaves``."""
    xb = grower.xb
    nodes = {"left": [-1], "right": [-1], "feature": [-1], "threshold": [-2.0],
             "value": [], "samples": []}
    all_idx = np.arange(len(weights))
    totals = grower.class_totals(all_idx)
    nodes["value"].append(totals)
    nodes["samples"].append(weights.sum())
    heap: list = []
    counter = 0

    def consider(node: int, idx: np.ndarray, depth: int, tot: np.ndarray) -> None:
        nonlocal counter
        if depth >= depth_limit:
            return
        split = grower.best_split(idx, tot)
        if split is not None:
            heapq.heappush(heap, (-split.gain, counter, node, idx, depth, split))
            counter += 1

    consider(0, all_idx, 0, totals)
    leaves = 1
    while heap and leaves < max_leaves:
        _, _, node, idx, depth, split = heapq.heappop(heap)
        go_left = xb[idx, split.feature] <= split.bin
        nodes["feature"][node] = split.feature
        nodes["threshold"][node] = float(edges[split.feature][split.bin])
        for side, child_idx in (("left", idx[go_left]), ("right", idx[~go_left])):
            child = len(nodes["left"])
            nodes[side][node] = child
            for key, val in (("left", -1), ("right", -1), ("feature", -1), ("threshold", -2.0)):
                nodes[key].append(val)
            tot = grower.class_totals(child_idx)
            nodes["value"].append(tot)
            nodes["samples"].append(weights[child_idx].sum())
            consider(child, child_idx, depth + 1, tot)
        leaves += 1

    value = np.array(nodes["value"], dtype=np.float64)
    return {"children_left": np.array(nodes["left"], dtype=np.int32),
            "children_right": np.array(nodes["right"], dtype=np.int32),
            "feature": np.array(nodes["feature"], dtype=np.int32),
            "threshold": np.array(nodes["threshold"], dtype=np.float64),
            "value": value / np.maximum(value.sum(1, keepdims=True), 1e-12),
            "n_node_samples": np.array(nodes["samples"], dtype=np.float64)}
