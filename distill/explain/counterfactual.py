"""What would change its mind: the smallest edit of a digit that makes a student answer a
class of our choosing, and whether the teacher follows.

The students are simple enough to answer exactly. Every split of a region or pixel tree asks
whether the mean ink of a rectangle is above a threshold: a linear inequality in the pixels.
Reaching a leaf is a set of them, so the smallest L1 edit (pixels kept in [0, 1]) that lands
in a leaf of the target class is a linear program, one per candidate leaf; a cheap lower
bound for each (its most demanding single condition) lets the search stop early and stay
exact. A soft tree's max path is linear in the pixels too, once the digit's straightening is
held fixed; the edited digit is straightened anew when the student reads it, so its real
answer is checked and the program solved again from there. Logistic regression and
multinomial naive Bayes score a class linearly in the pixels (one program); Bernoulli naive
Bayes reads binarised pixels, so the smallest edit is an integer program over which pixels
cross the threshold; Gaussian naive Bayes is quadratic in the pixels, and for it a sequence
of linear programs finds an edit that works, without a proof that none is smaller.

Every answer is checked with the student's own ``predict`` on the edited digit (float32, as
the run stores digits); an edit that does not convince it is never returned.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ..students import FlatStudent, SoftTreeStudent, TreeStudent

CHANGED = 0.01  # a pixel changed by more than this counts as changed
MARGIN = 1e-4  # how far past a threshold an edit goes, so float32 reading keeps the answer


class NoCounterfactual(ValueError):
    """No edit within [0, 1] makes the student answer the target, said in words."""


@dataclass
class Counterfactual:
    target: int
    image: np.ndarray  # (H, W) float32 in [0, 1]: the edited digit
    original: np.ndarray
    student_prediction: int
    teacher_prediction: int | None = None
    teacher_before: int | None = None
    leaf: int | None = None  # trees: the node reached; soft tree: the leaf's index
    exact: bool = True  # the smallest edit (an optimum) or one that works
    how: str = ""
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def difference(self) -> np.ndarray:
        return self.image.astype(np.float64) - self.original.astype(np.float64)

    @property
    def l1(self) -> float:
        return float(np.abs(self.difference).sum())

    @property
    def changed(self) -> int:
        return int((np.abs(self.difference) > CHANGED).sum())

    @property
    def ink_added(self) -> float:
        return float(np.clip(self.difference, 0, None).sum())

    @property
    def ink_removed(self) -> float:
        return float(np.clip(-self.difference, 0, None).sum())

    @property
    def teacher_follows(self) -> bool | None:
        return None if self.teacher_prediction is None else self.teacher_prediction == self.target

    def to_dict(self) -> dict:
        return {"target": self.target, "image": self.image.tolist(), "l1": self.l1,
                "changed": self.changed, "ink_added": self.ink_added,
                "ink_removed": self.ink_removed, "student_prediction": self.student_prediction,
                "teacher_prediction": self.teacher_prediction, "leaf": self.leaf,
                "exact": self.exact, "how": self.how}


def scaled_edits(original: np.ndarray, edited: np.ndarray, scales) -> np.ndarray:
    """(len(scales), H, W) float32: the edit ``edited - original`` applied ``scale`` times,
    each pixel kept in [0, 1]."""
    base = original.astype(np.float64)
    step = edited.astype(np.float64) - base
    return np.stack([np.clip(base + s * step, 0, 1) for s in scales]).astype(np.float32)


def default_target(student_proba: np.ndarray, teacher_class: int | None) -> int:
    """The teacher's answer when the student disagrees with it, else the student's
    runner-up."""
    order = np.argsort(-student_proba, kind="stable")
    if teacher_class is not None and int(order[0]) != teacher_class:
        return int(teacher_class)
    return int(order[1])


def counterfactual(student, image: np.ndarray, target: int | None = None, teacher=None
                   ) -> Counterfactual:
    """The smallest edit of ``image`` that makes ``student`` answer ``target`` (default:
    :func:`default_target`), checked with the student, and the teacher's answer on it."""
    image = np.asarray(image, np.float32)
    start = time.perf_counter()
    teacher_before = None if teacher is None else int(teacher.predict(image[None])[0])
    proba = student.predict_proba(image[None])[0]
    target = default_target(proba, teacher_before) if target is None else int(target)
    if not 0 <= target < len(proba):
        raise NoCounterfactual(f"there is no class {target}: the classes are 0 to "
                               f"{len(proba) - 1}")
    now = int(np.argmax(proba))
    if now == target:
        edit = Counterfactual(target, image.copy(), image, now, how="the student already "
                              "answers it: no edit")
    else:
        solver = SOLVERS.get(student.kind)
        if solver is None:
            raise NoCounterfactual(f"no counterfactual for students of kind {student.kind!r}")
        edit = solver(student, image, target)
    edit.teacher_before = teacher_before
    if teacher is not None:
        edit.teacher_prediction = int(teacher.predict(edit.image[None])[0])
    edit.seconds = time.perf_counter() - start
    return edit


def _answer(student, x: np.ndarray) -> int:
    return int(student.predict(np.asarray(x, np.float32)[None])[0])


# --------------------------------------------------------------------------------------
# linear programs over pixel changes


def _smallest_edit(x0: np.ndarray, rows: np.ndarray, lower: np.ndarray,
                   pixels: np.ndarray | None = None) -> tuple[np.ndarray, float] | None:
    """The smallest L1 change of ``x0`` (flat) with ``rows @ x >= lower`` and x in [0, 1].

    Only ``pixels`` (default: all) may change. Variables are the increase u and decrease v
    of each such pixel: minimise sum(u + v), u <= 1 - x0, v <= x0."""
    x0 = np.asarray(x0, np.float64)
    pixels = np.arange(len(x0)) if pixels is None else pixels
    a = rows[:, pixels] if not sparse.issparse(rows) else rows[:, pixels].toarray()
    a = np.asarray(a, np.float64)
    need = np.asarray(lower, np.float64) - np.asarray(rows @ x0).ravel()
    n = len(pixels)
    result = linprog(np.ones(2 * n), A_ub=np.hstack([-a, a]), b_ub=-need,
                     bounds=np.concatenate([np.stack([np.zeros(n), 1 - x0[pixels]], 1),
                                            np.stack([np.zeros(n), x0[pixels]], 1)]),
                     method="highs")
    if result.status != 0:
        return None
    x = x0.copy()
    x[pixels] += result.x[:n] - result.x[n:]
    return np.clip(x, 0, 1), float(result.fun)


def _single_bound(row: np.ndarray, x0: np.ndarray, lower: float) -> float:
    """The exact smallest L1 change to meet one condition ``row @ x >= lower`` alone (a
    fractional knapsack: the largest coefficients first); inf when it cannot be met."""
    need = lower - float(row @ x0)
    if need <= 0:
        return 0.0
    room = np.where(row > 0, 1 - x0, x0)  # how far each pixel can move the right way
    gain = np.abs(row)
    order = np.argsort(-gain)
    reach = np.cumsum(gain[order] * room[order])
    k = int(np.searchsorted(reach, need))
    if k >= len(order):
        return np.inf
    before = reach[k - 1] if k else 0.0
    return float(room[order[:k]].sum() + (need - before) / gain[order[k]])


# --------------------------------------------------------------------------------------
# how the student reads the digit: the edit is solved on the pixels, the model's conditions
# are on the digit as read. Straightening is linear while the digit's slant and centre stay
# as measured, so each solver gets that map and those conditions; with them the answer is
# exact among edits that keep the slant, and without them (none exists) the straightening
# is measured anew on each edit until the student's real answer holds.


@dataclass
class Reading:
    matrix: object  # (P, P) sparse: pixels -> the digit as the student reads it
    keep: tuple[np.ndarray, np.ndarray] | None  # rows @ x >= lower keep the slant (or None)


MARGINS = (1e-3, 1e-2, 4e-2, 0.1)  # how far past a boundary, tried in turn
SECONDS = 3.0  # an integer program's time limit; past it, the best edit found so far
_UNPROVEN = ": an edit that works, without a proof that none is smaller"


def _solve(student, image: np.ndarray, target: int, solve, describe: str,
           exact: bool = True) -> Counterfactual:
    """Run ``solve(reading, margin) -> (x flat, leaf or None) | None`` until the student
    really answers ``target`` on the edit (read back as float32, straightened anew).
    ``exact``: ``solve`` finds the smallest edit (a proven optimum), not just one."""
    smallest = ": the smallest edit" if exact else _UNPROVEN
    from ..deskew import deskew_matrix
    h, w = image.shape
    straightens = getattr(student, "deskew", False) and image.sum() > 1e-6
    if not straightens:
        plain = Reading(sparse.identity(h * w, format="csr"), None)
        for margin in MARGINS:
            found = solve(plain, margin)
            if found is None:
                break
            edit = _checked(student, image, target, *found, exact=exact)
            if edit is not None:
                edit.how = describe + (smallest if edit.exact else _UNPROVEN)
                return edit
        raise NoCounterfactual(f"no edit of the pixels makes it answer class {target}")
    kept = Reading(deskew_matrix(image), _lean_rows(image))
    for margin in MARGINS:
        found = solve(kept, margin)
        if found is None:
            break  # no edit keeps the slant: let it change below
        edit = _checked(student, image, target, *found, exact=exact)
        if edit is not None:
            edit.how = (describe + ", on the digit as the student reads it (straightened)"
                        + (": the smallest edit that keeps the digit's slant and centre of ink"
                           if edit.exact else _UNPROVEN))
            return edit
    base = image
    for margin in MARGINS:
        found = solve(Reading(deskew_matrix(base), None), margin)
        if found is None:
            break
        edit = _checked(student, image, target, *found, exact=False)
        if edit is not None:
            edit.how = (describe + ", on the digit as the student reads it; no edit keeps the "
                        "slant, so the straightening was measured anew on the edit: an edit "
                        "that works, without a proof that none is smaller")
            return edit
        base = found[0].reshape(h, w).astype(np.float32)  # solve again from its straightening
    raise NoCounterfactual(f"no edit was found that the student, straightening the edited digit "
                           f"anew, reads as class {target}")


def _checked(student, image: np.ndarray, target: int, x: np.ndarray, leaf: int | None,
             proven: bool = True, exact: bool = True) -> Counterfactual | None:
    """The edit as a Counterfactual when the student really answers ``target`` on it (and
    reaches ``leaf``, for trees); else None. ``proven``: the solver proved it smallest."""
    exact = exact and proven
    edited = np.clip(x, 0, 1).reshape(image.shape).astype(np.float32)
    if _answer(student, edited) != target:
        return None
    if leaf is not None and int(student.apply(edited[None])[0]) != leaf:
        return None
    return Counterfactual(target, edited, image, target, leaf=leaf, exact=exact)


def _through(rows: np.ndarray, reading: Reading) -> np.ndarray:
    """Conditions on the digit as read (rows @ r), as conditions on the pixels (rows @ D)."""
    return np.asarray((reading.matrix.T @ np.asarray(rows, np.float64).T).T)


def _with_keep(rows: np.ndarray, lower: np.ndarray, reading: Reading):
    if reading.keep is None:
        return rows, lower
    return np.vstack([rows, reading.keep[0]]), np.concatenate([lower, reading.keep[1]])


def _lean_rows(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear conditions that keep an image's centre of ink and slant as measured
    (:func:`distill.deskew.measure_skew`), and some ink: its straightening stays the same."""
    from ..deskew import MAX_SHEAR, measure_skew
    h, w = image.shape
    shear, r0, c0 = (float(v[0]) for v in measure_skew(image[None]))
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                             indexing="ij")
    dr, dc = (rows - r0).ravel(), (cols - c0).ravel()
    lean = dr * dc - shear * dr ** 2  # sum(lean * x) = 0 <=> cov / var = shear
    out = [dr, -dr, dc, -dc, np.ones(h * w)]
    lower = [-1e-9, -1e-9, -1e-9, -1e-9, 1e-3]
    if abs(shear) < MAX_SHEAR:
        out += [lean, -lean]
        lower += [-1e-9, -1e-9]
    else:  # clipped: the slant only has to stay beyond the clip
        out.append(np.sign(shear) * lean)
        lower.append(0.0)
    return np.stack(out), np.array(lower)


# --------------------------------------------------------------------------------------
# trees: a leaf is a set of linear conditions; search the leaves of the target class


def _best_leaf(x0: np.ndarray, plans: dict, reading: Reading):
    """The leaf whose conditions (rows @ x >= lower) the smallest edit of ``x0`` meets, and
    that edit, searching leaves from the lowest lower bound and stopping when no leaf left
    can beat the best found (so the answer is exact). Returns (x, leaf) or None."""
    ranked = sorted((max(_single_bound(r, x0, lo) for r, lo in zip(rows, lower)), leaf)
                    for leaf, (rows, lower) in plans.items())
    best, cost = None, np.inf
    for bound, leaf in ranked:
        if bound >= cost - 1e-9:
            break
        rows, lower = _with_keep(*plans[leaf], reading)
        pixels = None if reading.keep is not None else np.flatnonzero(np.abs(rows).sum(0) > 0)
        found = _smallest_edit(x0, rows, lower, pixels)
        if found is not None and found[1] < cost:
            best, cost = (found[0], leaf), found[1]
    return best


def _tree(tree: TreeStudent, image: np.ndarray, target: int) -> Counterfactual:
    h, w = tree.image_shape_
    x0 = image.reshape(-1).astype(np.float64)
    parents = {}
    for node in range(len(tree.children_left_)):
        if tree.children_left_[node] >= 0:
            parents[int(tree.children_left_[node])] = (node, False)
            parents[int(tree.children_right_[node])] = (node, True)
    leaves = [n for n in range(len(tree.children_left_))
              if tree.children_left_[n] < 0 and int(tree.value_[n].argmax()) == target]
    if not leaves:
        raise NoCounterfactual(f"no leaf of this tree predicts class {target}")
    masks = _rect_rows(tree.rects_, h, w)
    steps = {leaf: _tree_conditions(tree, leaf, parents) for leaf in leaves}

    def solve(reading: Reading, margin: float):
        seen = _through(masks[tree.used_features()], reading)
        row_of = {f: i for i, f in enumerate(tree.used_features())}
        plans = {leaf: (np.stack([seen[row_of[f]] * (1 if right else -1)
                                  for f, _, right in path]),
                        np.array([_split_bound(t, right, margin / 10) for _, t, right in path]))
                 for leaf, path in steps.items()}
        return _best_leaf(x0, plans, reading)

    return _solve(tree, image, target, solve,
                  f"linear programs over the {len(leaves)} leaves of class {target}, pruned "
                  "by a lower bound")


def _tree_conditions(tree: TreeStudent, leaf: int, parents: dict[int, tuple[int, bool]]):
    """The (feature, threshold, goes right) of every split on the way to ``leaf``."""
    steps, node = [], leaf
    while node in parents:
        parent, right = parents[node]
        steps.append((int(tree.feature_[parent]), float(tree.threshold_[parent]), right))
        node = parent
    return steps[::-1]


def _split_bound(threshold: float, right: bool, margin: float = MARGIN) -> float:
    """The bound of ``±mean >= bound`` that sends a digit to a split's right (mean >
    threshold) or left (mean <= threshold) side, with room for float32 reading; ink is never
    negative, so a left side at threshold 0 means no ink at all, exactly."""
    if right:
        return threshold + margin
    return -(threshold - min(margin, max(threshold, 0.0) / 2))


def _rect_rows(rects: np.ndarray, h: int, w: int) -> np.ndarray:
    """(F, H*W): each feature as the weights of its mean over the pixels."""
    rows = np.zeros((len(rects), h * w))
    for i, (t, l, b, r) in enumerate(rects):
        mask = np.zeros((h, w))
        mask[t:b, l:r] = 1.0 / ((b - t) * (r - l))
        rows[i] = mask.ravel()
    return rows


def _soft_tree(tree: SoftTreeStudent, image: np.ndarray, target: int) -> Counterfactual:
    """A max path is a set of linear conditions on the digit as read (w . r + b > 0 to go
    right): the same leaf search as for trees."""
    leaves = [j for j, d in enumerate(tree.leaf_distributions()) if int(d.argmax()) == target]
    if not leaves:
        raise NoCounterfactual(f"no leaf of this soft tree predicts class {target}")
    x0 = image.reshape(-1).astype(np.float64)
    filters = tree.filters_.astype(np.float64)
    biases = tree.biases_.astype(np.float64)

    def solve(reading: Reading, margin: float):
        seen = _through(filters, reading)  # (n_inner, P)
        plans = {}
        for leaf in leaves:
            node, rows, lower = leaf + 2 ** tree.depth - 1, [], []
            while node > 0:
                parent = (node - 1) // 2
                sign = 1 if node == 2 * parent + 2 else -1
                rows.append(sign * seen[parent])
                lower.append(margin - sign * biases[parent])
                node = parent
            plans[leaf] = (np.stack(rows), np.array(lower))
        found = _best_leaf(x0, plans, reading)
        return None if found is None else (found[0], None)  # the leaf is checked by predict

    edit = _solve(tree, image, target, solve,
                  f"linear programs over the max paths of the {len(leaves)} leaves of class "
                  f"{target}, pruned by a lower bound")
    edit.leaf = int(tree.apply(edit.image[None])[0])
    return edit


# --------------------------------------------------------------------------------------
# naive Bayes and logistic regression


def _seen_index(student: FlatStudent, target: int) -> tuple[int, list[int]]:
    seen = list(np.asarray(student.model_.classes_).astype(int))
    if target not in seen:
        raise NoCounterfactual(f"class {target} was never seen in training")
    t = seen.index(target)
    return t, [c for c in range(len(seen)) if c != t]


def _linear_scores(student: FlatStudent, image: np.ndarray, target: int) -> Counterfactual:
    """Logistic regression and multinomial naive Bayes score each class linearly in the
    pixels: beating every other class is one linear program."""
    m = student.model_
    if student.kind == "linear":
        weights, offsets = m.coef_.astype(np.float64), m.intercept_.astype(np.float64)
    else:
        weights, offsets = m.feature_log_prob_.astype(np.float64), \
            m.class_log_prior_.astype(np.float64)
    t, others = _seen_index(student, target)
    if len(weights) == 1:  # two classes, one weight row: sign(w . x + b)
        sign = 1 if t == 1 else -1
        rows, lower = weights * sign, np.array([-sign * offsets[0]])
    else:
        rows, lower = weights[t] - weights[others], -(offsets[t] - offsets[others])
    x0 = image.reshape(-1).astype(np.float64)

    def solve(reading: Reading, margin: float):
        found = _smallest_edit(x0, *_with_keep(_through(rows, reading), lower + margin,
                                               reading))
        return None if found is None else (found[0], None)

    return _solve(student, image, target, solve, "one linear program (the class scores are "
                  "linear in the pixels)")


def _bernoulli(student: FlatStudent, image: np.ndarray, target: int) -> Counterfactual:
    """Bernoulli naive Bayes scores which pixels (as read) are inked past ``binarize``: an
    integer program over which of them cross it, tied to the pixels by linear conditions."""
    m = student.model_
    t, others = _seen_index(student, target)
    logp = m.feature_log_prob_
    log_odds = logp - np.log1p(-np.exp(logp))  # (C, P): what inking a pixel adds
    base = m.class_log_prior_ + np.log1p(-np.exp(logp)).sum(1)  # every pixel empty
    score_rows = log_odds[t] - log_odds[others]  # (C-1, P) on the inked indicators
    x0 = image.reshape(-1).astype(np.float64)

    def solve(reading: Reading, margin: float):
        lower = margin - (base[t] - base[others])
        if reading.keep is None and not getattr(student, "deskew", False):
            return _flip_program(x0, m.binarize, score_rows, lower)
        return _inked_program(x0, reading, m.binarize, score_rows, lower)

    return _solve(student, image, target, solve, "an integer program over which pixels cross "
                  f"the ink threshold {m.binarize:g}")


def _flip_program(x0: np.ndarray, threshold: float, score_rows: np.ndarray,
                  lower: np.ndarray):
    """The pixels read as they are: choose which to flip across the threshold, each at its
    own cost (to just past the threshold), so that score_rows @ inked >= lower."""
    on = x0 > threshold
    sign = np.where(on, -1.0, 1.0)  # flipping turns a pixel off (-1) or on (+1)
    up, down = min(1.0, threshold + 1e-3), threshold - 1e-6  # float32 reading keeps them
    cost = np.where(on, x0 - down, np.maximum(up - x0, 1e-6))
    result = milp(cost, integrality=np.ones(len(x0)), bounds=Bounds(0, 1),
                  constraints=LinearConstraint(score_rows * sign, lower - score_rows @ on,
                                               np.inf), options={"time_limit": SECONDS})
    if result.x is None or result.status not in (0, 1):
        return None
    flips = result.x > 0.5
    x = x0.copy()
    x[flips & on] = down
    x[flips & ~on] = up
    return x, None, result.status == 0


def _inked_program(x0: np.ndarray, reading: Reading, threshold: float, score_rows: np.ndarray,
                   lower: np.ndarray):
    """min sum|x - x0| over x in [0, 1] and inked b in {0, 1}^P with score_rows @ b >= lower,
    where b_j = 1 exactly when (D x)_j > threshold (to within a small gap)."""
    n = len(x0)
    d = sparse.csr_matrix(reading.matrix)
    gap = 1e-3
    eye = sparse.identity(n, format="csr")
    zero = sparse.csr_matrix((score_rows.shape[0], n))
    # variables: u (n), v (n), b (n); x = x0 + u - v
    blocks = [sparse.hstack([zero, zero, sparse.csr_matrix(score_rows)])]
    lows, highs = [lower], [np.full(len(lower), np.inf)]
    dx0 = d @ x0
    # b = 1 -> D x >= threshold + gap ; b = 0 -> D x <= threshold - a hair (float32 reading)
    below = threshold - (0.0 if reading.keep is None else 1e-5)
    blocks.append(sparse.hstack([d, -d, -(threshold + gap) * eye]))
    lows.append(-dx0)
    highs.append(np.full(n, np.inf))
    blocks.append(sparse.hstack([d, -d, -(1.0 - below) * eye]))
    lows.append(np.full(n, -np.inf))
    highs.append(below - dx0)
    if reading.keep is not None:
        rows, low = reading.keep
        blocks.append(sparse.hstack([sparse.csr_matrix(rows), sparse.csr_matrix(-rows),
                                     sparse.csr_matrix((len(rows), n))]))
        lows.append(low - rows @ x0)
        highs.append(np.full(len(low), np.inf))
    constraints = LinearConstraint(sparse.vstack(blocks).tocsr(), np.concatenate(lows),
                                   np.concatenate(highs))
    cost = np.concatenate([np.ones(2 * n), np.zeros(n)])
    bounds = Bounds(np.zeros(3 * n), np.concatenate([1 - x0, x0, np.ones(n)]))
    integrality = np.concatenate([np.zeros(2 * n), np.ones(n)])
    result = milp(cost, integrality=integrality, bounds=bounds, constraints=constraints,
                  options={"time_limit": SECONDS})
    if result.x is None or result.status not in (0, 1):
        return None
    return x0 + result.x[:n] - result.x[n:2 * n], None, result.status == 0


def _gaussian(student: FlatStudent, image: np.ndarray, target: int) -> Counterfactual:
    """Quadratic class scores: linearise at the current digit, take the smallest edit that
    would do it within a trust region, repeat until the student answers the target."""
    m = student.model_
    t, others = _seen_index(student, target)
    x0 = image.reshape(-1).astype(np.float64)
    log_prior, log_var = np.log(m.class_prior_), np.log(m.var_).sum(1)

    def solve(reading: Reading, margin: float, steps: int = 30):
        d = reading.matrix
        x, region = x0.copy(), 0.25
        for _ in range(steps):
            r = d @ x
            z = ((r - m.theta_) ** 2 / m.var_).sum(1)
            score = log_prior - 0.5 * (log_var + z)
            grad = _through(-(r - m.theta_) / m.var_, reading)  # (C, P) through the reading
            rows = grad[t] - grad[others]
            lower = margin - (score[t] - score[others]) + rows @ x
            rows, lower = _with_keep(rows, lower, reading)
            local = _smallest_edit_in(x, rows, lower, np.maximum(0, x - region),
                                      np.minimum(1, x + region))
            if local is None:
                region = min(1.0, region * 2)
                continue
            x = local
            if _answer(student, x.reshape(image.shape)) == target:
                return x, None
        return None

    return _solve(student, image, target, solve, "Gaussian naive Bayes scores are quadratic "
                  "in the pixels: a sequence of linear programs on the linearised scores",
                  exact=False)


def _smallest_edit_in(x0, rows, lower, lo, hi) -> np.ndarray | None:
    """As :func:`_smallest_edit`, with each pixel kept in [lo, hi]."""
    n = len(x0)
    result = linprog(np.ones(2 * n), A_ub=np.hstack([-rows, rows]), b_ub=-(lower - rows @ x0),
                     bounds=np.concatenate([np.stack([np.zeros(n), hi - x0], 1),
                                            np.stack([np.zeros(n), x0 - lo], 1)]),
                     method="highs")
    if result.status != 0:
        return None
    return np.clip(x0 + result.x[:n] - result.x[n:], 0, 1)


SOLVERS: dict[str, Callable[..., Counterfactual]] = {
    "tree": _tree,
    "soft-tree": _soft_tree,
    "linear": _linear_scores,
    "multinomial-nb": _linear_scores,
    "bernoulli-nb": _bernoulli,
    "gaussian-nb": _gaussian,
}
