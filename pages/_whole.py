"""The whole model at a glance, for any student: drawn from :mod:`distill.explain.whole`.

What each view draws is built once per (run, student) in a cache, as the per-digit views
are (:mod:`pages._views`).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from distill import pictures as pics
from distill.explain.drawing import tree_dot
from distill.explain.whole import class_rules, node_splits, teacher_mean_evidence
from pages import _ui as ui
from pages import _views as views

RULES_SHOWN = 6  # rules of a class on one screen; the rest are counted


# --------------------------------------------------------------------------------------
# trees


@ui.memo(max_entries=32)
def _rules(key: tuple, student: str) -> dict[int, list]:
    run = ui.run_from_key(key)
    return class_rules(ui.get_student(run, student), run.predictions["x_test"],
                       run.teacher_answers)


def _rule_card(rule, names: list[str], image_shape) -> None:
    left, right = st.columns([1, 4], vertical_alignment="center")
    if rule.prototype is not None:
        left.image(pics.ink(rule.prototype, max(2, 96 // image_shape[0])), width="stretch",
                   caption="their mean image")
    teacher = ("" if rule.teacher_share is None else
               f" · the teacher calls **{rule.teacher_share:.0%}** of them {names[rule.predicts]}")
    right.markdown(f"**Leaf {rule.leaf}** · {rule.test_digits} test digits{teacher} · the tree "
                   f"says {names[rule.predicts]} at **{rule.probability:.0%}**  \n"
                   + "  \n".join(f"– {c}" for c in rule.conditions))


def tree_whole(run, student: str) -> None:
    names = run.metrics["class_names"]
    tree = ui.get_student(run, student)
    rules = _rules(ui.run_key(run), student)
    st.markdown(f"**Each class's rules.** The tree has {tree.n_leaves_} leaves: each is a rule, "
                "the conditions on the way to it merged region by region.")
    shown = st.segmented_control("Class", sorted(rules), default=min(rules), key="whole_class",
                                 format_func=lambda c: f"{names[c]} ({len(rules[c])})",
                                 help="The classes the tree predicts, with how many leaves "
                                 "predict each.")
    shown = min(rules) if shown is None else shown
    group = rules[shown]
    reached = sum(r.test_digits for r in group)
    st.caption(f"{len(group)} rules say {names[shown]}, reached by {reached} test digits; the "
               f"most used first (up to {RULES_SHOWN}).")
    for rule in group[:RULES_SHOWN]:
        _rule_card(rule, names, tree.image_shape_)
    flat = [r for r in group if r.teacher_share is not None and r.test_digits >= 5]
    meaning = run.facts.leaf_meaning(run.student_entry(student))
    if any(r.teacher_share - r.probability > 0.2 for r in flat):
        st.info(f"Some leaves predict with a probability far below the share of their test "
                f"digits the teacher gives that class: {meaning}. The tree predicts with the "
                "leaf's probability; the teacher's share says how pure the leaf really is.",
                icon=":material/info:")
    else:
        st.caption(f"{ui.sentence(meaning)}; the teacher's share is counted on the test "
                   "digits that reach the leaf.")
    st.markdown("**The top of the tree**")
    depth = st.slider("Levels shown", 2, 6, 3, key="whole_depth")
    st.graphviz_chart(tree_dot(tree, None, view="top", max_depth=depth, class_names=names),
                      width="content")


# --------------------------------------------------------------------------------------
# the soft tree


@ui.memo(max_entries=32)
def _splits_picture(key: tuple, student: str, levels: int) -> str:
    """The first ``levels`` levels as a tree of filters, with the classes sent each way."""
    run = ui.run_from_key(key)
    tree = ui.get_student(run, student)
    labels = run.teacher_answers
    labels = run.predictions["y_true"] if labels is None else labels
    names = run.metrics["class_names"]
    splits = node_splits(tree, run.predictions["x_test"], labels, levels)
    rows = [[(pics.diverging_pixels(s.filter), f"node {s.node}\n← {_top(s.left, names)}\n"
              f"{_top(s.right, names)} →") for s in splits if s.level == level]
            for level in range(levels)]
    tile = {1: 112, 2: 112, 3: 112, 4: 84}.get(levels, 56)  # pixels a filter, all fitting
    return pics.tree_of_tiles(rows, scale=max(1, tile // tree.image_shape_[0]))


def _top(counts: dict[int, int], names: list[str], k: int = 3) -> str:
    return " ".join(names[c] for c in list(counts)[:k]) or "none"


def soft_tree_whole(run, student: str) -> None:
    tree = ui.get_student(run, student)
    st.markdown(f"**Every node's filter.** The soft tree has {2 ** tree.depth - 1} inner nodes; "
                "each sends a digit right when the digit matches its filter (red: ink here "
                "pushes right, blue: left). Under each filter, the classes of the test digits "
                "whose path goes left (←) and right (→) there, most frequent first.")
    levels = st.slider("Levels shown", 1, min(tree.depth, 5), min(3, tree.depth),
                       key="whole_levels")
    st.image(_splits_picture(ui.run_key(run), student, levels),
             width="stretch" if levels >= 5 else "content")
    who = "the teacher's answers" if run.has_teacher else "the true labels"
    st.caption(f"Classes are {who}; a digit's path is its max path (the likelier branch at "
               "each node), the one the tree predicts with.")


# --------------------------------------------------------------------------------------
# naive Bayes and logistic regression


@ui.memo(max_entries=16)
def _teacher_templates(key: tuple) -> str | None:
    run = ui.run_from_key(key)
    if run.saliency is None:
        return None
    means = teacher_mean_evidence(run.saliency, run.teacher_answers, len(
        run.metrics["class_names"]))
    m = float(np.percentile(np.abs(means), 99)) or 1.0
    return pics.grid([pics.diverging_pixels(v, zmax=m) for v in means],
                     run.metrics["class_names"], columns=5)


def templates_whole(run, student: str) -> None:
    maps, description = views.class_maps(ui.run_key(run), student)
    which = list(maps)
    shown = (st.segmented_control("Per-class weights", which, default=which[0],
                                  key="whole_map_kind") if len(which) > 1 else which[0])
    shown = shown or which[0]
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**The student: {shown} per class**")
        st.image(views.class_maps_picture(ui.run_key(run), student, shown, ()), width="stretch")
        st.caption(description)
    with right:
        st.markdown("**The teacher: its mean evidence per class**")
        if not run.has_teacher:
            st.info("This run has no teacher.", icon=":material/info:")
            return
        picture = _teacher_templates(ui.run_key(run))
        if picture is None:
            ui.store_saliency_in_background(run)
            st.info("The teacher's evidence for this run is being computed; it shows here in "
                    "a minute.", icon=":material/hourglass_top:")
        else:
            st.image(picture, width="stretch")
            st.caption("Integrated gradients averaged over the test digits the teacher gives "
                       "each class: red ink raised its score, blue ink lowered it. Where the "
                       "two sides look alike, the student learned the teacher's templates.")


WHOLE = {"tree": tree_whole, "soft-tree": soft_tree_whole, "gaussian-nb": templates_whole,
         "bernoulli-nb": templates_whole, "multinomial-nb": templates_whole,
         "linear": templates_whole}


def whole_model(run, student: str) -> None:
    kind = run.student_entry(student)["kind"]
    st.subheader(f"What the {ui.student_title(run, student)} has learned", divider="gray")
    view = WHOLE.get(kind)
    if view is None:
        st.info(f"No view of the whole model for students of kind {kind!r} yet.")
    else:
        view(run, student)
