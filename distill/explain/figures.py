"""What an explanation draws for one image: its pictures and numbers, shared by the
dashboard's views (:mod:`pages._views`, which cache them) and the report
(:mod:`distill.report`), so both show exactly the same thing."""

from __future__ import annotations

import numpy as np

from .. import pictures as pics
from . import explain
from .drawing import tree_dot
from .reading import as_read
from .soft_tree import filter_image, node_evidence
from .tree import decision_path, path_in_words, path_overlay


def tree_figure(tree, image: np.ndarray, names: list[str], view: str = "path",
                depth: int = 3, key: str = "") -> dict:
    """The DOT drawing (``key`` prefixes its node names), the regions on the digit as the
    tree reads it, the path in words (lines), and the tree's size."""
    read = as_read(tree, image)
    path = decision_path(tree, image, read)
    return {"dot": tree_dot(tree, path, view=view, max_depth=depth, class_names=names,
                            key=key),
            "regions": pics.with_regions(read, path_overlay(path)),
            "lines": path_in_words(path, names), "leaf": path.leaf.node,
            "size": f"{tree.n_leaves_} leaves, depth {tree.depth_}"}


def evidence_figure(student, image: np.ndarray, versus: int | None = None) -> dict:
    """Each pixel's evidence for the prediction against ``versus`` (default: the runner-up),
    as a picture, with the log-odds it adds up to."""
    e = explain(student, image, versus=versus)
    ev = np.asarray(e["evidence"])
    return {"prediction": e["prediction"], "versus": e["versus"], "log_odds": e["log_odds"],
            "prior": e["prior"], "sum": float(ev.sum()), "extent": float(np.abs(ev).max()),
            "picture": pics.diverging(ev, 10)}


def soft_tree_figure(tree, image: np.ndarray, names: list[str]) -> dict:
    """The max path's filters over their evidence on the digit (as the tree reads it), and
    the leaf's and the mixture's probabilities."""
    e = explain(tree, image)
    nodes = [s["node"] for s in e["path"]]
    filters = [pics.diverging_pixels(filter_image(tree, n)) for n in nodes]
    evidence = [pics.diverging_pixels(node_evidence(tree, n, image)) for n in nodes]
    labels = [f"{i + 1}. node {s['node']}" for i, s in enumerate(e["path"])]
    stats = [f"{s['response']:+.2f} → p={s['p_right']:.2f}\ngoes {s['goes']}"
             for s in e["path"]]
    if e.get("straightened"):
        filters, labels = [pics.ink_rgb(image), *filters], ["the digit", *labels]
        evidence = [pics.ink_rgb(as_read(tree, image)), *evidence]
        stats = ["as read:\nstraightened", *stats]
    leaf = np.asarray(e["leaf"]["distribution"])
    bars = pics.proba_bars([("the leaf reached", leaf, pics.TEACHER),
                            ("all leaves, mixed", np.asarray(e["mixture"]), pics.HIGHLIGHT)],
                           names, width=420)
    return {"e": e, "nodes": nodes, "cards": pics.grid(filters + evidence, labels + stats,
                                                       columns=len(filters)), "bars": bars}


def class_maps_picture(values: np.ndarray, shown: str, names: list[str],
                       marked: tuple[int, ...] = ()) -> str:
    """Every class's weight image of one kind (C, H, W), the ``marked`` classes framed."""
    if shown in ("log-odds of ink", "coefficient"):
        m = float(np.percentile(np.abs(values), 99)) or 1.0  # robust: the border saturates
        tiles = [pics.diverging_pixels(v, zmax=m) for v in values]
    else:
        lo, hi = np.percentile(values, [1, 99])
        tiles = [pics.sequential_pixels(v, lo, hi) for v in values]
    return pics.grid(tiles, names, columns=5, bold=set(marked))


def counterfactual_card(image: np.ndarray, edit, names: list[str]) -> str:
    """The digit, the edited digit (framed) and the change: red ink added, blue removed."""
    diff = edit.difference
    return pics.grid([pics.ink_rgb(image), pics.ink_rgb(edit.image),
                      pics.diverging_pixels(diff, float(np.abs(diff).max()) or 1.0)],
                     ["the digit", f"edited: says {names[edit.target]}", "the change"],
                     columns=3, scale=max(2, 112 // image.shape[0]), bold={1})
