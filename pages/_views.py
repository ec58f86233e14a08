"""Why a student decided as it did, drawn for any image: a test digit on Explore or a drawing
on Draw. Each view shows exactly what :mod:`distill.explain` computes.

A click costs every viewer of the server CPU, so each view is split in two: what it draws
for an image (pictures as data URIs, the tree's DOT text, the words) is built once per (run,
student, image) in a bounded cache, and drawing it is cheap. Images are keyed by a digest of
their pixels; the image itself is passed unhashed (``_image``).
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from distill import pictures as pics
from distill.explain import figures
from distill.explain.evidence import weight_maps
from pages import _charts as charts
from pages import _ui as ui

PER_DIGIT = 4000  # cached entries of what a digit draws: 1,000 test digits x a few students


def image_digest(image: np.ndarray) -> str:
    """A short name for an image, to key caches, widgets and drawings to it."""
    return hashlib.md5(np.ascontiguousarray(image).tobytes()).hexdigest()[:10]


@ui.memo(max_entries=64)
def class_maps(key: tuple, name: str):
    wm = weight_maps(ui.get_student(ui.run_from_key(key), name))
    return wm.maps, wm.description


def pick_student(run, where=st, label: str = "Student") -> str:
    """The student shown (also ?student= in the URL); the best distilled one by default."""
    names = run.student_names
    default = run.facts.distilled[0]["name"] if run.facts.distilled else names[0]
    if ui.seed_from_url("student", names, default):
        st.warning(f"This run has no student {st.query_params.get('student')!r}; showing "
                   f"{ui.student_title(run, default)}.", icon=":material/info:")
    student = where.selectbox(label, names, key="student", persist_state="session",
                              format_func=lambda n: ui.student_title(run, n),
                              help="Any student of the run, distilled or trained on true "
                              "labels.")
    ui.keep_in_url("student")
    return student


def student_proba(run, name: str, image: np.ndarray) -> np.ndarray:
    return ui.get_student(run, name).predict_proba(image[None])[0]


# --------------------------------------------------------------------------------------
# the teacher


@ui.memo(max_entries=PER_DIGIT)
def _saliency(key: tuple, digest: str, target: int, index: int | None, _image) -> np.ndarray:
    run = ui.run_from_key(key)
    stored = index is not None and target == int(
        run.predictions["teacher_proba"][index].argmax())
    if stored and run.saliency is not None:
        return run.saliency[index].astype(np.float32)
    from distill.explain.saliency import saliency
    if stored:
        ui.store_saliency_in_background(run)  # a run saved before the maps were stored
    return saliency(ui.get_teacher(run), _image, target)


def teacher_saliency(run, image: np.ndarray, target: int, index: int | None = None
                     ) -> np.ndarray:
    """The teacher's integrated gradients for ``target``: the run's stored map of test digit
    ``index``, else computed for this image (and kept, a bounded number of them)."""
    return _saliency(ui.run_key(run), image_digest(image), target, index, image)


def evidence_caption(run, evidence: np.ndarray, target: int) -> str:
    return (f"teacher's evidence for {run.metrics['class_names'][target]} "
            f"(±{np.abs(evidence).max():.2f})")


def teacher_evidence(run, image: np.ndarray, target: int) -> None:
    """The teacher's integrated-gradients map for ``target`` on any image, with its caption."""
    sal = teacher_saliency(run, image, target)
    st.image(pics.diverging(sal, 8), width="stretch", caption=evidence_caption(run, sal, target))


# --------------------------------------------------------------------------------------
# decision trees


@ui.memo(max_entries=PER_DIGIT)
def _tree_parts(key: tuple, student: str, digest: str, view: str, depth: int,
                _image) -> dict:
    """What the tree view draws for one image (:func:`distill.explain.figures.tree_figure`)."""
    run = ui.run_from_key(key)
    parts = figures.tree_figure(ui.get_student(run, student), _image,
                                run.metrics["class_names"], view, depth, key=f"d{digest}_")
    return {**parts, "words": "  \n".join(parts["lines"])}


def tree_view(run, student: str, image: np.ndarray, where: str) -> None:
    view = st.segmented_control("Tree view", ["path", "top"], default="path", key="tree_view",
                                format_func={"path": "This digit's path",
                                             "top": "Top of the whole tree"}.get,
                                persist_state="session") or "path"
    depth = 3
    if view == "top":
        depth = st.slider("Levels shown", 2, 6, 3, key="tree_depth", persist_state="session")
    parts = _tree_parts(ui.run_key(run), student, image_digest(image), view, depth, image)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.graphviz_chart(parts["dot"], width="content")
        st.caption(f"{parts['size']}. Red: the path this digit took. 'yes' means more ink "
                   "than the threshold; "
                   f"{run.facts.leaf_meaning(run.student_entry(student))}.")
    with right:
        ui.inline_picture(parts["regions"], caption="Each question's rectangle, numbered in "
                          "path order: orange where this digit had more ink than the "
                          "threshold, blue where it had less.", alt="The path's regions")
        st.markdown(parts["words"])


# --------------------------------------------------------------------------------------
# naive Bayes and logistic regression


@ui.memo(max_entries=PER_DIGIT)
def _evidence_parts(key: tuple, student: str, digest: str, versus: int, _image) -> dict:
    return figures.evidence_figure(ui.get_student(ui.run_from_key(key), student), _image,
                                   versus)


@ui.memo(max_entries=256)
def class_maps_picture(key: tuple, student: str, shown: str, marked: tuple[int, ...]) -> str:
    """Every class's weight image of one kind, with the two compared classes marked."""
    maps, _ = class_maps(key, student)
    return figures.class_maps_picture(maps[shown], shown,
                                      ui.run_from_key(key).metrics["class_names"], marked)


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
    e = _evidence_parts(ui.run_key(run), student, digest, int(versus), image)
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.markdown(f"**Evidence: {names[e['prediction']]} vs {names[e['versus']]}**")
        st.image(e["picture"], width="stretch",
                 caption=f"strongest pixel ±{e['extent']:.2f} log-odds")
        st.caption(f"Red pixels argue for {names[e['prediction']]}, blue ones for "
                   f"{names[e['versus']]}. Log-odds {e['log_odds']:.2f} = prior "
                   f"{e['prior']:.2f} + pixels {e['sum']:.2f}.")
    with right:
        maps, description = class_maps(ui.run_key(run), student)
        which = list(maps)
        shown = (st.segmented_control("Per-class weights", which, default=which[0],
                                      key="map_kind") if len(which) > 1 else which[0])
        shown = shown or which[0]
        st.markdown(f"**{shown}, per class**")
        st.image(class_maps_picture(ui.run_key(run), student, shown,
                                     (e["prediction"], e["versus"])), width="stretch")
        st.caption(description)


# --------------------------------------------------------------------------------------
# the soft decision tree


@ui.memo(max_entries=PER_DIGIT)
def _soft_tree_parts(key: tuple, student: str, digest: str, _image) -> dict:
    run = ui.run_from_key(key)
    return figures.soft_tree_figure(ui.get_student(run, student), _image,
                                    run.metrics["class_names"])


def soft_tree_view(run, student: str, image: np.ndarray, where: str) -> None:
    from distill.deskew import lean_in_words
    from distill.explain.soft_tree import tree_layout
    tree = ui.get_student(run, student)
    names = run.metrics["class_names"]
    parts = _soft_tree_parts(ui.run_key(run), student, image_digest(image), image)
    e = parts["e"]
    straight = e.get("straightened")
    reads = ("The digit takes" if not straight else "The tree reads the digit straightened "
             f"(it leaned {lean_in_words(straight['degrees'])}) and centred, then takes")
    st.markdown(f"{reads} the likelier branch at each of the {tree.depth} nodes; every node "
                "asks how well the digit matches its filter.")
    st.image(parts["cards"], width="stretch")
    st.caption(("Left: the digit, and below it the digit as the tree reads it, sheared upright "
                "and centred. " if straight else "")
               + "Top row: each node's filter (red: ink here pushes right, blue: pushes left). "
               "Bottom row: filter × digit, which sums with the node's bias to its response, "
               "shown with p = sigmoid(response), the chance of going right, and the branch.")
    left, right = st.columns([1, 3], gap="large")
    with left:
        leaf = np.asarray(e["leaf"]["distribution"])
        st.markdown(f"**Leaf {e['leaf']['index']}**")
        st.image(parts["bars"], width="stretch")
        st.caption(f"The leaf predicts **{names[e['prediction']]}** ({leaf.max():.0%}), the "
                   "probability the tree predicts with; the mixture weights every leaf by the "
                   "probability of its path. "
                   f"{ui.sentence(run.facts.leaf_meaning(run.student_entry(student)))}.")
    with right:
        if tree.depth <= 5:
            layout = tree_layout(tree.depth)
            all_filters = tree.filters_.reshape(-1, *tree.image_shape_)
            st.plotly_chart(charts.soft_tree_drawing(all_filters, tree.leaf_distributions(),
                                                     layout, parts["nodes"],
                                                     e["leaf"]["index"], names),
                            key=f"soft-tree-{where}")
            st.caption("The whole tree: every node's filter, the path of this digit in red, "
                       "each leaf's class.")
        else:
            st.info(f"The whole tree is drawn for depths up to 5; this one has depth "
                    f"{tree.depth} ({2 ** tree.depth} leaves). Its max path is shown above.",
                    icon=":material/account_tree:")


# --------------------------------------------------------------------------------------
# what would change its mind


@ui.memo(max_entries=PER_DIGIT)
def _counterfactual_parts(key: tuple, student: str, digest: str, target: int, _image) -> dict:
    """The smallest edit that makes the student answer ``target``, the teacher's answer on
    it, and what the view draws: the digit, the edit and their difference, the words, and
    the student's reasons on the edited digit. {"error": words} when there is none."""
    from distill.explain.counterfactual import NoCounterfactual, counterfactual
    run = ui.run_from_key(key)
    model = ui.get_student(run, student)
    teacher = ui.get_teacher(run) if run.has_teacher else None
    try:
        edit = counterfactual(model, _image, target=target, teacher=teacher)
    except NoCounterfactual as err:
        return {"error": ui.sentence(ui.public(err)).rstrip(".") + "."}
    names = run.metrics["class_names"]
    card = figures.counterfactual_card(_image, edit, names)
    words = (f"Change **{edit.changed}** pixels (ink added {edit.ink_added:.2f}, removed "
             f"{edit.ink_removed:.2f}; {edit.l1:.2f} in all) and the "
             f"{ui.student_title(run, student)} answers **{names[edit.student_prediction]}**"
             + (f", reaching leaf {edit.leaf}." if edit.leaf is not None else "."))
    if edit.teacher_prediction is not None:
        t = names[edit.teacher_prediction]
        words += ("  \n:green[The network follows: it reads the edited digit as **" + t
                  + "** too.]" if edit.teacher_follows else
                  f"  \n:orange[The network does not follow: it reads the edited digit as "
                  f"**{t}**.]")
    return {"edit": edit, "card": card, "words": words, "how": ui.sentence(edit.how) + ".",
            "digest": image_digest(edit.image)}


def _reasons_on(run, student: str, image: np.ndarray, against: int) -> None:
    """The student's reasons on an edited digit, from the same cached parts its own view
    uses (no widgets, so it can sit beside that view)."""
    kind = run.student_entry(student)["kind"]
    key, digest = ui.run_key(run), image_digest(image)
    names = run.metrics["class_names"]
    if kind == "tree":
        parts = _tree_parts(key, student, digest, "path", 3, image)
        left, right = st.columns([1, 2])
        left.image(parts["regions"], width="stretch")
        right.markdown(parts["words"])
    elif kind == "soft-tree":
        st.image(_soft_tree_parts(key, student, digest, image)["cards"], width="stretch")
    else:
        e = _evidence_parts(key, student, digest, against, image)
        left, right = st.columns([1, 2])
        left.image(e["picture"], width="stretch")
        right.markdown(f"Evidence for **{names[e['prediction']]}** against "
                       f"**{names[e['versus']]}**: log-odds {e['log_odds']:.2f} = prior "
                       f"{e['prior']:.2f} + pixels {e['sum']:.2f}. Red pixels argue for "
                       f"{names[e['prediction']]}.")


def _asked_for_edit(where: str, student: str, digest: str, row) -> bool:
    """Whether to search now. On Explore a search is asked for (a button, remembered for the
    digit) or switched on for every digit: each costs the server a tenth of a second or more,
    too much for every click of a room of viewers. Draw searches for each drawing."""
    if where != "explore":
        return True
    every = row.toggle("Find it for every digit", key="cf-every", persist_state="session",
                       help="Search as soon as a digit opens (else press the button).")
    asked = f"cf-asked-{student}-{digest}"
    if every or st.session_state.get(asked):
        return True
    if st.button("Find the smallest edit", icon=":material/search:", key=f"cf-go-{asked}",
                 help="The smallest change of the pixels that would make this student answer "
                 "the class above, and whether the network follows it."):
        st.session_state[asked] = True
        return True
    return False


def counterfactual_view(run, student: str, image: np.ndarray, where: str,
                        open_in_draw=None, teacher_class: int | None = None,
                        probs: np.ndarray | None = None) -> None:
    """What would change its mind: a target picker (default: the teacher's answer where they
    disagree, else the runner-up), the smallest edit and whether the network follows it.
    ``open_in_draw(image, label)``: puts an image on the Draw page's pad (a button when
    given). ``teacher_class`` and ``probs``: the teacher's answer and the student's
    probabilities when the run stored them (a test digit), so that showing the picker runs
    no model."""
    from distill.explain.counterfactual import default_target
    names = run.metrics["class_names"]
    st.subheader("What would change its mind", divider="gray")
    if probs is None:
        probs = student_proba(run, student, image)
    now = int(probs.argmax())
    if teacher_class is None and run.has_teacher:
        teacher_class = int(ui.get_teacher(run).predict(image[None])[0])
    default = default_target(probs, teacher_class)
    options = [c for c in range(len(names)) if c != now]
    digest = image_digest(image)
    row = st.container(horizontal=True, vertical_alignment="bottom")  # one block, not three
    target = row.selectbox(
        "Make the student say", options, index=options.index(default), width=320,
        key=f"cf-{where}-{student}-{digest}", format_func=lambda c: names[c] + (
            " (the teacher's answer)" if c == teacher_class else ""),
        help="The smallest change of the digit's pixels (in total ink moved) that makes this "
        "student answer the class. Default: the teacher's answer when they disagree, else the "
        "student's runner-up.")
    if not _asked_for_edit(where, student, digest, row):
        return
    with st.spinner("Finding the smallest edit…"):
        parts = _counterfactual_parts(ui.run_key(run), student, digest, int(target), image)
    if "error" in parts:
        st.info(parts["error"], icon=":material/block:")
        return
    left, right = st.columns([3, 2], gap="large")
    left.image(parts["card"], width="stretch")
    with right:
        st.markdown(parts["words"])
        st.caption(f"{parts['how']} The change: red where ink was added, blue where it was "
                   "removed.")
        if open_in_draw is not None and st.button(
                "Open the edit in Draw", icon=":material/draw:",
                key=f"cf-draw-{where}-{student}-{digest}-{target}",
                help="Put the edited digit on the drawing pad, to change it further by hand "
                "and see every model's answer."):
            open_in_draw(parts["edit"].image, f"the edit that makes the "
                         f"{ui.student_title(run, student)} say {names[target]}")
    with st.expander("The student's reasons on the edited digit"):
        _reasons_on(run, student, parts["edit"].image, now)


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
