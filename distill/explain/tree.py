"""Why a decision tree decided as it did: the decision path of one image, in numbers and words.

The path is walked on the tree's own arrays with the tree's own feature values, so it ends in
exactly the leaf that gave the prediction (tests check this for every test digit).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from weakref import WeakKeyDictionary

import numpy as np

from ..features import describe_rect
from ..students import TreeStudent
from .reading import as_read


@dataclass
class Step:
    node: int
    feature: int
    region: list[int]  # [top, left, bottom, right), bottom and right exclusive
    threshold: float
    value: float  # the image's mean ink over the region, as the tree compared it
    goes: str  # "left" (value <= threshold) or "right"
    question: str  # "ink in rows 4-7, columns 10-13 above 35%?"


@dataclass
class Leaf:
    node: int
    prediction: int
    distribution: list[float]
    samples: float
    probability: float  # of its class: what the tree predicts with


@dataclass
class TreePath:
    prediction: int
    steps: list[Step]
    leaf: Leaf

    def to_dict(self) -> dict:
        return {"prediction": self.prediction, "path": [asdict(s) for s in self.steps],
                "leaf": asdict(self.leaf)}


def percent(value: float) -> str:
    """Ink as a percentage for questions; enough digits to tell close thresholds apart."""
    pct = 100 * value
    return f"{pct:.0f}%" if abs(pct - round(pct)) < 0.05 or pct >= 10 else f"{pct:.1f}%"


def question(tree: TreeStudent, node: int) -> str:
    """A split in words a non-expert reads: "ink in rows 4-7, columns 10-13 above 35%?"."""
    rect = tree.rects_[tree.feature_[node]]
    where = describe_rect(rect, tree.image_shape_)
    noun = "ink at" if where.startswith("pixel") else "ink in"
    return f"{noun} {where} above {percent(tree.threshold_[node])}?"


_QUESTIONS: WeakKeyDictionary = WeakKeyDictionary()


def _questions(tree: TreeStudent) -> dict[int, str]:
    """Every split's :func:`question`, worded once per fitted tree (a click on a digit then
    only looks its path's up)."""
    if tree not in _QUESTIONS:
        _QUESTIONS[tree] = {int(n): question(tree, int(n))
                            for n in np.flatnonzero(tree.children_left_ >= 0)}
    return _QUESTIONS[tree]


def leaf_info(tree: TreeStudent, node: int) -> Leaf:
    dist = tree.value_[node]
    return Leaf(node=int(node), prediction=int(dist.argmax()),
                distribution=[float(v) for v in dist], samples=float(tree.n_node_samples_[node]),
                probability=float(dist.max()))


def decision_path(tree: TreeStudent, image: np.ndarray, read: np.ndarray | None = None
                  ) -> TreePath:
    """The root-to-leaf path of one (H, W) image, with each split's region and value (of the
    digit as the tree reads it: straightened when it straightens; ``read``, that image when
    the caller has it already)."""
    read = as_read(tree, image) if read is None else read
    feats = tree.values_of_read(read[None])[0]  # float32, as in apply(); the used ones
    node, steps = 0, []
    while tree.children_left_[node] >= 0:
        f = int(tree.feature_[node])
        rect = tree.rects_[f]
        value = float(feats[f])
        left = np.float32(value) <= tree.threshold_[node]
        steps.append(Step(node=int(node), feature=f, region=[int(v) for v in rect],
                          threshold=float(tree.threshold_[node]), value=value,
                          goes="left" if left else "right", question=_questions(tree)[node]))
        node = int(tree.children_left_[node] if left else tree.children_right_[node])
    leaf = leaf_info(tree, node)
    return TreePath(prediction=leaf.prediction, steps=steps, leaf=leaf)


def path_overlay(path: TreePath) -> list[dict]:
    """Picture-ready: each split's rectangle in path order, and whether the image had more ink."""
    return [{"order": i + 1, "region": s.region, "more_ink": s.goes == "right",
             "value": s.value, "threshold": s.threshold} for i, s in enumerate(path.steps)]


def path_in_words(path: TreePath, class_names: list[str] | None = None) -> list[str]:
    """One sentence per step, then the leaf: for the page and the CLI."""
    names = class_names or [str(i) for i in range(len(path.leaf.distribution))]
    lines = []
    for i, s in enumerate(path.steps, 1):
        answer = "yes" if s.goes == "right" else "no"
        lines.append(f"{i}. {s.question[:-1]}: {answer} ({percent(s.value)} vs "
                     f"{percent(s.threshold)})")
    lines.append(f"→ leaf {path.leaf.node} ({path.leaf.samples:.0f} training samples): predicts "
                 f"{names[path.prediction]} at {path.leaf.probability:.0%}")
    return lines


def subtree_leaves(tree: TreeStudent, node: int) -> list[int]:
    stack, leaves = [node], []
    while stack:
        n = stack.pop()
        if tree.children_left_[n] < 0:
            leaves.append(n)
        else:
            stack += [int(tree.children_right_[n]), int(tree.children_left_[n])]
    return leaves


def subtree_summary(tree: TreeStudent, node: int) -> dict:
    """What a collapsed branch holds: its leaf count and the class most of its samples get."""
    dist = tree.value_[node]
    return {"leaves": int(tree.leaves_under()[node]), "majority": int(dist.argmax()),
            "share": float(dist.max()), "samples": float(tree.n_node_samples_[node])}


def rules(tree: TreeStudent, class_names: list[str] | None = None) -> str:
    """The whole tree as plain-text rules, one per leaf."""
    names = class_names or [str(i) for i in range(tree.n_classes_)]
    lines: list[str] = []

    def walk(node: int, conditions: list[str]) -> None:
        if tree.children_left_[node] < 0:
            leaf = leaf_info(tree, node)
            cond = " and ".join(conditions) or "always"
            lines.append(f"if {cond}: {names[leaf.prediction]} ({leaf.probability:.0%}, "
                         f"{leaf.samples:.0f} samples)")
            return
        where = describe_rect(tree.rects_[tree.feature_[node]], tree.image_shape_)
        thr = percent(tree.threshold_[node])
        walk(int(tree.children_left_[node]), conditions + [f"ink[{where}] <= {thr}"])
        walk(int(tree.children_right_[node]), conditions + [f"ink[{where}] > {thr}"])

    walk(0, [])
    return "\n".join(lines)
