"""Why a soft decision tree decided as it did: its max path, node by node.

At each inner node the response is ``w . x + b``; the filter times the digit is an evidence
map whose sum plus the bias is that response; ``p_right = sigmoid(beta * response)`` and the
max path goes right exactly when ``p_right > 0.5``. Responses are computed with the model's
own float32 arithmetic, so the path ends in the leaf that gave the saved prediction. A tree
that straightens digits (``deskew``) reads, and is explained on, the straightened digit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.special import expit

from ..students import SoftTreeStudent
from .reading import as_read


@dataclass
class SoftStep:
    node: int
    response: float  # w . x + b, as the model computed it
    p_right: float
    goes: str  # "right" exactly when p_right > 0.5


def max_path(tree: SoftTreeStudent, image: np.ndarray) -> tuple[list[SoftStep], int]:
    """The nodes from root to leaf taking the likelier branch; and the leaf (0-based)."""
    z = tree.responses(np.asarray(image, np.float32)[None])[0]  # float32, as apply()
    node, steps = 0, []
    for _ in range(tree.depth):
        response = float(z[node])
        right = response > 0
        p = float(expit(tree.beta * response))
        if right and p <= 0.5:  # a response too small for float64 to leave 0.5
            p = math.nextafter(0.5, 1.0)
        steps.append(SoftStep(node, response, p, "right" if right else "left"))
        node = 2 * node + (2 if right else 1)
    return steps, node - (2 ** tree.depth - 1)


def filter_image(tree: SoftTreeStudent, node: int) -> np.ndarray:
    """Inner node ``node``'s filter as an H x W image."""
    return tree.filters_[node].reshape(tree.image_shape_)


def node_evidence(tree: SoftTreeStudent, node: int, image: np.ndarray) -> np.ndarray:
    """Filter x digit as read: (H, W) whose sum plus the node's bias is its response."""
    seen = as_read(tree, image).astype(np.float64).reshape(-1)
    return (tree.filters_[node].astype(np.float64) * seen).reshape(tree.image_shape_)


def explain_soft_tree(tree: SoftTreeStudent, image: np.ndarray,
                      versus: int | None = None) -> dict:
    steps, leaf = max_path(tree, image)
    dist = tree.leaf_distributions()[leaf]
    return {"prediction": int(dist.argmax()),
            "path": [{**asdict(s), "bias": float(tree.biases_[s.node])} for s in steps],
            "leaf": {"index": leaf, "node": leaf + 2 ** tree.depth - 1,
                     "distribution": [float(v) for v in dist]},
            "mixture": [float(v) for v in tree.predict_mixture_proba(
                np.asarray(image, np.float32)[None])[0]]}


def tree_layout(depth: int) -> dict[int, tuple[float, int]]:
    """(x in leaf units, level) of every node, heap-numbered, for drawing the whole tree."""
    pos = {}
    leaves = 2 ** depth
    for node in range(2 ** (depth + 1) - 1):
        level = int(math.log2(node + 1))
        index = node - (2 ** level - 1)
        width = leaves / 2 ** level
        pos[node] = ((index + 0.5) * width - 0.5, level)
    return pos
