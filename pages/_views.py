"""Why a student decided as it did, drawn for any image: a test digit on Explore or a drawing
on Draw. Each view shows exactly what :mod:`distill.explain` computes."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from distill.explain import explain
from distill.explain.drawing import tree_graph
from distill.explain.evidence import weight_maps
from distill.explain.tree import decision_path, path_in_words, path_overlay
from pages import _charts as charts
from pages import _pictures as pics
from pages import _ui as ui


@st.cache_data(max_entries=4000, show_spinner=False)
def explanation(key: tuple, name: str, image: np.ndarray, versus: int | None) -> dict:
    run = ui.run_from_key(key)
    return explain(ui.get_student(run, name), image, versus=versus)


# Integrated-gradients steps for the pages: few enough to answer a click at once, close
# enough (L1) to a fine integral (bench/results/ui.md).
SALIENCY_STEPS = 16


@st.cache_data(max_entries=2000, show_spinner=False)
def saliency_map(key: tuple, image: np.ndarray, target: int) -> np.ndarray:
    from distill.explain.saliency import saliency
    return saliency(ui.get_teacher(ui.run_from_key(key)), image, target, steps=SALIENCY_STEPS)


@st.cache_data(max_entries=64, show_spinner=False)
def class_maps(key: tuple, name: str):
    wm = weight_maps(ui.get_student(ui.run_from_key(key), name))
    return wm.maps, wm.description


def image_digest(image: np.ndarray) -> str:
    """A short name for an image, to key widgets and drawings to it."""
    return hashlib.md5(np.ascontiguousarray(image).tobytes()).hexdigest()[:10]


def student_proba(run, name: str, image: np.ndarray) -> np.ndarray:
    return ui.get_student(run, name).predict_proba(image[None])[0]


def teacher_evidence(run, image: np.ndarray, target: int) -> None:
    """The teacher's integrated-gradients map for ``target``, as a picture with its caption."""
    names = run.metrics["class_names"]
    sal = saliency_map(ui.run_key(run), image, target)
    st.image(pics.diverging(sal, 8), width="stretch",
             caption=f"teacher's evidence for {names[target]} (±{np.abs(sal).max():.2f})")


def tree_view(run, student: str, image: np.ndarray, where: str) -> None:
    tree = ui.get_student(run, student)
    path = decision_path(tree, image)
    names = run.metrics["class_names"]
    view = st.segmented_control("Tree view", ["path", "top"], default="path", key="tree_view",
                                format_func={"path": "This digit's path",
                                             "top": "Top of the whole tree"}.get,
                                persist_state="session") or "path"
    depth = 3
    if view == "top":
        depth = st.slider("Levels shown", 2, 6, 3, key="tree_depth", persist_state="session")
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.graphviz_chart(tree_graph(tree, path, view=view, max_depth=depth, class_names=names,
                                     key=f"d{image_digest(image)}_"), width="content")
        st.caption(f"{tree.n_leaves_} leaves, depth {tree.depth_}. Red: the path this digit "
                   "took. 'yes' means more ink than the threshold.")
    with right:
        st.image(pics.with_regions(image, path_overlay(path)), width="stretch")
        st.caption("Each question's rectangle, numbered in path order: orange where this digit "
                   "had more ink than the threshold, blue where it had less.")
        st.markdown("  \n".join(path_in_words(path, names)))


def evidence_view(run, student: str, image: np.ndarray, where: str) -> None:
    names = run.metrics["class_names"]
    probs = student_proba(run, student, image)
    pred = int(probs.argmax())
    others = [int(c) for c in np.argsort(-probs) if c != pred]
    digest = image_digest(image)
    versus = st.columns(3)[0].selectbox(
        "Weigh the prediction against", others, key=f"versus-{where}-{student}-{digest}",
        format_func=lambda c: f"{names[c]} ({probs[c]:.1%})",
        help="Default: the runner-up class. The map shows each pixel's push towards the "
        "prediction (red) or this class (blue).")
    e = explanation(ui.run_key(run), student, image, int(versus))
    ev = np.asarray(e["evidence"])
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.markdown(f"**Evidence: {names[e['prediction']]} vs {names[e['versus']]}**")
        st.image(pics.diverging(ev, 10), width="stretch",
                 caption=f"strongest pixel ±{np.abs(ev).max():.2f} log-odds")
        st.caption(f"Red pixels argue for {names[e['prediction']]}, blue ones for "
                   f"{names[e['versus']]}. Log-odds {e['log_odds']:.2f} = prior "
                   f"{e['prior']:.2f} + pixels {ev.sum():.2f}.")
    with right:
        maps, description = class_maps(ui.run_key(run), student)
        which = list(maps)
        shown = (st.segmented_control("Per-class weights", which, default=which[0],
                                      key="map_kind") if len(which) > 1 else which[0])
        shown = shown or which[0]
        values = maps[shown]
        if shown in ("log-odds of ink", "coefficient"):
            m = float(np.percentile(np.abs(values), 99)) or 1.0  # robust: the border saturates
            tiles = [pics.diverging(v, 4, zmax=m) for v in values]
        else:
            lo, hi = np.percentile(values, [1, 99])
            tiles = [pics.sequential(v, 4, lo, hi) for v in values]
        st.markdown(f"**{shown}, per class**")
        st.image(pics.grid(tiles, names, columns=5, bold={e["prediction"], e["versus"]}),
                 width="stretch")
        st.caption(description)


def soft_tree_view(run, student: str, image: np.ndarray, where: str) -> None:
    from distill.deskew import lean_in_words
    from distill.explain.soft_tree import filter_image, node_evidence, tree_layout, tree_reads
    tree = ui.get_student(run, student)
    names = run.metrics["class_names"]
    e = explanation(ui.run_key(run), student, image, None)
    nodes = [s["node"] for s in e["path"]]
    straight = e.get("straightened")
    reads = ("The digit takes" if not straight else "The tree reads the digit straightened "
             f"(it leaned {lean_in_words(straight['degrees'])}) and centred, then takes")
    st.markdown(f"{reads} the likelier branch at each of the {tree.depth} nodes; every node "
                "asks how well the digit matches its filter.")
    filters = [pics.diverging(filter_image(tree, n), 4) for n in nodes]
    evidence = [pics.diverging(node_evidence(tree, n, image), 4) for n in nodes]
    labels = [f"{i + 1}. node {s['node']}" for i, s in enumerate(e["path"])]
    stats = [f"{s['response']:+.2f} → p={s['p_right']:.2f}\ngoes {s['goes']}"
             for s in e["path"]]
    if straight:
        filters, labels = [pics.ink(image, 4)] + filters, ["the digit"] + labels
        evidence = [pics.ink(tree_reads(tree, image), 4)] + evidence
        stats = ["as read:\nstraightened"] + stats
    st.image(pics.grid(filters + evidence, labels + stats, columns=len(filters)),
             width="stretch")
    st.caption(("Left: the digit, and below it the digit as the tree reads it, sheared upright "
                "and centred. " if straight else "")
               + "Top row: each node's filter (red: ink here pushes right, blue: pushes left). "
               "Bottom row: filter × digit, which sums with the node's bias to its response, "
               "shown with p = sigmoid(response), the chance of going right, and the branch.")
    left, right = st.columns([1, 3], gap="large")
    with left:
        leaf = np.asarray(e["leaf"]["distribution"])
        st.markdown(f"**Leaf {e['leaf']['index']}**")
        st.image(pics.proba_bars([("the leaf reached", leaf, pics.TEACHER),
                                  ("all leaves, mixed", np.asarray(e["mixture"]),
                                   pics.HIGHLIGHT)], names, width=420), width="stretch")
        st.caption(f"The leaf predicts **{names[e['prediction']]}** ({leaf.max():.0%}); the "
                   "mixture weights every leaf by the probability of its path. Distilled "
                   "leaves carry the teacher's probabilities softened by the temperature T.")
    with right:
        if tree.depth <= 5:
            layout = tree_layout(tree.depth)
            all_filters = tree.filters_.reshape(-1, *tree.image_shape_)
            st.plotly_chart(charts.soft_tree_drawing(all_filters, tree.leaf_distributions(),
                                                     layout, nodes, e["leaf"]["index"], names),
                            key=f"soft-tree-{where}")
            st.caption("The whole tree: every node's filter, the path of this digit in red, "
                       "each leaf's class.")
        else:
            st.info(f"The whole tree is drawn for depths up to 5; this one has depth "
                    f"{tree.depth} ({2 ** tree.depth} leaves). Its max path is shown above.",
                    icon=":material/account_tree:")


VIEWS = {"tree": tree_view, "soft-tree": soft_tree_view, "gaussian-nb": evidence_view,
         "bernoulli-nb": evidence_view, "multinomial-nb": evidence_view, "linear": evidence_view}


def explain_student(run, student: str, image: np.ndarray, where: str) -> None:
    """The heading and the view that fits the student's kind."""
    kind = run.student_entry(student)["kind"]
    st.subheader(f"Why the {ui.student_title(run, student)} decided so", divider="gray")
    view = VIEWS.get(kind)
    if view is None:
        st.info(f"No explanation view for students of kind {kind!r} yet.")
    else:
        view(run, student, image, where)
