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
# decision trees


def _tree_conditions(tree: TreeStudent, leaf: int, parents: dict[int, tuple[int, bool]]):
    """The (feature, threshold, goes right) of every split on the way to ``leaf``."""
    steps, node = [], leaf
    while node in parents:
        parent, right = parents[node]
        steps.append((int(tree.feature_[parent]), float(tree.threshold_[parent]), right))
        node = parent
    return steps[::-1]


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
    plans = {}
    for leaf in leaves:
        steps = _tree_conditions(tree, leaf, parents)
        plans[leaf] = (np.stack([masks[f] * (1 if right else -1) for f, _, right in steps]),
                       np.array([_split_bound(t, right) for _, t, right in steps]))
    best, solved = _best_leaf(x0, plans)
    if best is None:
        raise NoCounterfactual(f"no edit of the pixels reaches a leaf of class {target}")
    leaf, x = best
    edited = x.reshape(h, w).astype(np.float32)
    answer = _answer(tree, edited)
    if int(tree.apply(edited[None])[0]) != leaf or answer != target:
        raise NoCounterfactual("the edit found does not reach its leaf when read back")
    return Counterfactual(target, edited, image, answer, leaf=leaf,
                          how=f"linear programs over the {len(leaves)} leaves of class "
                              f"{target} ({solved} solved, the rest ruled out by a lower "
                              "bound): the smallest edit")


def _best_leaf(x0: np.ndarray, plans: dict, keep: tuple | None = None):
    """The leaf whose conditions (rows @ x >= lower) the smallest edit of ``x0`` meets, and
    that edit, searching leaves from the lowest lower bound and stopping when no leaf left
    can beat the best found (so the answer is exact); ``keep`` adds conditions every edit
    meets. Returns ((leaf, x) or None, how many programs were solved)."""
    ranked = sorted((max(_single_bound(r, x0, lo) for r, lo in zip(rows, lower)), leaf)
                    for leaf, (rows, lower) in plans.items())
    best, cost, solved = None, np.inf, 0
    for bound, leaf in ranked:
        if bound >= cost - 1e-9:
            break
        rows, lower = plans[leaf]
        pixels = None
        if keep is not None:
            rows, lower = np.vstack([rows, keep[0]]), np.concatenate([lower, keep[1]])
        else:
            pixels = np.flatnonzero(np.abs(rows).sum(0) > 0)
        found = _smallest_edit(x0, rows, lower, pixels)
        solved += 1
        if found is not None and found[1] < cost:
            best, cost = (leaf, found[0]), found[1]
    return best, solved


def _split_bound(threshold: float, right: bool) -> float:
    """The bound of ``±mean >= bound`` that sends a digit to a split's right (mean >
    threshold) or left (mean <= threshold) side, with room for float32 reading; ink is never
    negative, so a left side at threshold 0 means no ink at all, exactly."""
    if right:
        return threshold + MARGIN
    return -(threshold - min(MARGIN, max(threshold, 0.0) / 2))


def _rect_rows(rects: np.ndarray, h: int, w: int) -> np.ndarray:
    """(F, H*W): each feature as the weights of its mean over the pixels."""
    rows = np.zeros((len(rects), h * w))
    for i, (t, l, b, r) in enumerate(rects):
        mask = np.zeros((h, w))
        mask[t:b, l:r] = 1.0 / ((b - t) * (r - l))
        rows[i] = mask.ravel()
    return rows


# --------------------------------------------------------------------------------------
# the soft tree


def _soft_tree(tree: SoftTreeStudent, image: np.ndarray, target: int) -> Counterfactual:
    """Exact among edits that keep the digit's slant and centre of ink, so that it is
    straightened exactly as before; when none exists, re-solve from each edit's own
    straightening until the student's real answer holds."""
    from ..deskew import deskew_matrix
    h, w = tree.image_shape_
    leaves = [j for j, d in enumerate(tree.leaf_distributions()) if int(d.argmax()) == target]
    if not leaves:
        raise NoCounterfactual(f"no leaf of this soft tree predicts class {target}")
    x0 = image.reshape(-1).astype(np.float64)
    straightens = tree.deskew and image.sum() > 1e-6
    keep = _lean_rows(image) if straightens else None
    base = image
    for margin in (1e-3, 1e-2, 4e-2, 0.1, 0.2):
        read = deskew_matrix(base) if tree.deskew else sparse.identity(h * w, format="csr")
        plans = _soft_paths(tree, leaves, read, margin)
        best, _ = _best_leaf(x0, plans, keep)
        if best is None and keep is not None:  # no edit keeps the slant: let it change
            keep = None
            best, _ = _best_leaf(x0, plans)
        if best is None:
            break
        edited = best[1].reshape(h, w).astype(np.float32)
        if _answer(tree, edited) == target:
            return Counterfactual(target, edited, image, target,
                                  leaf=int(tree.apply(edited[None])[0]), exact=keep is not None
                                  or not straightens, how=_soft_how(len(leaves), target,
                                                                     straightens, keep))
        base = edited if keep is None else base  # straightened anew it missed: solve from it
    raise NoCounterfactual("no edit was found that this soft tree, straightening the edited "
                           f"digit anew, reads as class {target}")


def _soft_paths(tree: SoftTreeStudent, leaves: list[int], read, margin: float) -> dict:
    """Each leaf's max-path conditions on the pixels, read through ``read`` (P x P): a node
    goes right when its response w . (read @ x) + b > 0."""
    seen = np.asarray((read.T @ tree.filters_.astype(np.float64).T).T)  # (n_inner, P)
    biases = tree.biases_.astype(np.float64)
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
    return plans


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


def _soft_how(n_leaves: int, target: int, straightens: bool, keep) -> str:
    how = f"linear programs over the max paths of the {n_leaves} leaves of class {target}"
    if not straightens:
        return how + ": the smallest edit"
    if keep is not None:
        return how + (": the smallest edit that keeps the digit's slant and centre of ink, "
                      "so that it is straightened as before")
    return how + (": no edit keeps the slant, so the straightening was measured anew on the "
                  "edit; an edit that works, without a proof that none is smaller")


# --------------------------------------------------------------------------------------
# naive Bayes and logistic regression


def _class_rows(student: FlatStudent) -> tuple[np.ndarray, np.ndarray]:
    """Per seen class index, weights and offset of a score linear in the pixels."""
    m = student.model_
    if student.kind == "linear":
        return m.coef_.astype(np.float64), m.intercept_.astype(np.float64)
    return m.feature_log_prob_.astype(np.float64), m.class_log_prior_.astype(np.float64)


def _linear_scores(student: FlatStudent, image: np.ndarray, target: int) -> Counterfactual:
    weights, offsets = _class_rows(student)
    seen = list(np.asarray(student.model_.classes_).astype(int))
    if target not in seen:
        raise NoCounterfactual(f"class {target} was never seen in training")
    t = seen.index(target)
    if len(seen) == 2 and student.kind == "linear":  # one weight row: sign(w . x + b)
        rows = np.stack([weights[0] * (1 if t == 1 else -1)])
        lower = np.array([MARGIN - offsets[0] if t == 1 else MARGIN + offsets[0]])
    else:
        others = [c for c in range(len(seen)) if c != t]
        rows = weights[t] - weights[others]
        lower = MARGIN - (offsets[t] - offsets[others])
    x0 = image.reshape(-1).astype(np.float64)
    for margin in (0, 1e-3, 1e-2):
        found = _smallest_edit(x0, rows, lower + margin)
        if found is None:
            raise NoCounterfactual(f"no edit within [0, 1] makes it score class {target} first")
        edited = found[0].reshape(image.shape).astype(np.float32)
        if _answer(student, edited) == target:
            return Counterfactual(target, edited, image, target, how=(
                "one linear program: the class scores are linear in the pixels, so this is "
                "the smallest edit"))
    raise NoCounterfactual("the edit found is too close to a tie to hold when read back")


def _bernoulli(student: FlatStudent, image: np.ndarray, target: int) -> Counterfactual:
    m = student.model_
    seen = list(np.asarray(m.classes_).astype(int))
    if target not in seen:
        raise NoCounterfactual(f"class {target} was never seen in training")
    t = seen.index(target)
    x0 = image.reshape(-1).astype(np.float64)
    on = x0 > m.binarize
    logp = m.feature_log_prob_
    log_odds = logp - np.log1p(-np.exp(logp))  # (C, P): what inking a pixel adds
    score = m.class_log_prior_ + np.log1p(-np.exp(logp)).sum(1) + log_odds @ on
    others = [c for c in range(len(seen)) if c != t]
    flip_sign = np.where(on, -1.0, 1.0)  # flipping a pixel turns it on (+1) or off (-1)
    rows = (log_odds[t] - log_odds[others]) * flip_sign  # (C-1, P)
    lower = MARGIN - (score[t] - score[others])
    up = min(1.0, m.binarize + 1e-3)
    cost = np.where(on, x0 - (m.binarize - 1e-6), np.maximum(up - x0, 1e-6))
    result = milp(cost, integrality=np.ones(len(x0)), bounds=Bounds(0, 1),
                  constraints=LinearConstraint(rows, lower, np.inf))
    if result.status != 0:
        raise NoCounterfactual(f"no choice of inked pixels makes it answer class {target}")
    flips = result.x > 0.5
    x = x0.copy()
    x[flips & on] = m.binarize - 1e-6
    x[flips & ~on] = up
    edited = np.clip(x, 0, 1).reshape(image.shape).astype(np.float32)
    if _answer(student, edited) != target:
        raise NoCounterfactual("the edit found does not hold when read back")
    return Counterfactual(target, edited, image, target, how=(
        f"an integer program over which pixels cross the ink threshold {m.binarize:g} "
        f"({int(flips.sum())} do): the smallest edit"))


def _gaussian(student: FlatStudent, image: np.ndarray, target: int,
              steps: int = 30) -> Counterfactual:
    """Quadratic class scores: linearise at the current digit, take the smallest edit that
    would do it within a trust region, repeat until the student answers the target."""
    m = student.model_
    seen = list(np.asarray(m.classes_).astype(int))
    if target not in seen:
        raise NoCounterfactual(f"class {target} was never seen in training")
    t = seen.index(target)
    others = [c for c in range(len(seen)) if c != t]
    x = image.reshape(-1).astype(np.float64)
    region = 0.25
    for _ in range(steps):
        log_var = np.log(m.var_)
        z = (x - m.theta_) ** 2 / m.var_
        score = np.log(m.class_prior_) - 0.5 * (log_var + z).sum(1)  # up to a shared constant
        grad = -(x - m.theta_) / m.var_  # (C, P)
        rows = grad[t] - grad[others]
        lower = MARGIN - (score[t] - score[others]) + rows @ x
        lo, hi = np.maximum(0, x - region), np.minimum(1, x + region)
        local = _smallest_edit_in(x, rows, lower, lo, hi)
        if local is not None:
            x = local
        edited = x.reshape(image.shape).astype(np.float32)
        if _answer(student, edited) == target:
            return Counterfactual(target, edited, image, target, exact=False, how=(
                "Gaussian naive Bayes scores are quadratic in the pixels: a sequence of "
                "linear programs on the linearised scores found an edit that works, without "
                "a proof that none is smaller"))
        if local is None:
            region = min(1.0, region * 2)
    raise NoCounterfactual(f"no edit was found that makes it answer class {target}")


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
