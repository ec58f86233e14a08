"""Explore: a grid of test digits, filtered; click one to see why each model decided as it did.

The grid and the digit's explanation sit in one fragment, so a click reruns only them.
"""

import numpy as np
import streamlit as st

from distill.browse import FILTERS, filter_counts, page_of, select_samples, step
from distill.explain import explain
from distill.explain.drawing import tree_dot
from distill.explain.evidence import weight_maps
from distill.explain.tree import decision_path, path_in_words, path_overlay
from pages import _charts as charts
from pages import _components as comp
from pages import _pictures as pics
from pages import _ui as ui

ui.require_frame()

SHORT = {"all": "All", "disagree": "Disagree", "teacher-wrong": "Teacher wrong",
         "student-wrong": "Student wrong"}
PER_PAGE = 24
COLUMNS = 6

st.title("Explore")


@st.cache_data(max_entries=4000, show_spinner=False)
def explanation(key: tuple, name: str, index: int, versus: int | None) -> dict:
    run = ui.run_from_key(key)
    return explain(ui.get_student(run, name), run.predictions["x_test"][index], versus=versus)


@st.cache_data(max_entries=2000, show_spinner=False)
def saliency_map(key: tuple, index: int, target: int) -> np.ndarray:
    from distill.explain.saliency import saliency
    run = ui.run_from_key(key)
    return saliency(ui.get_teacher(run), run.predictions["x_test"][index], target)


@st.cache_data(max_entries=64, show_spinner=False)
def class_maps(key: tuple, name: str):
    wm = weight_maps(ui.get_student(ui.run_from_key(key), name))
    return wm.maps, wm.description


@st.cache_data(max_entries=8, show_spinner=False)
def thumbnails(key: tuple) -> list[str]:
    """Every test digit as a tiny PNG data URI, made once per run."""
    return [comp.png_data_uri(x) for x in ui.run_from_key(key).predictions["x_test"]]


def choose(index: int) -> None:
    st.session_state["sample"] = int(index)


def clicked_in_grid() -> None:
    index = (st.session_state.get("digit_grid") or {}).get("clicked")
    if index is not None:
        choose(index)


def controls(run) -> tuple[str, str, int | None]:
    """Student, filter and class pickers (a change redraws the whole page)."""
    names = run.student_names
    default = run.distilled_students()[0]["name"] if run.distilled_students() else names[0]
    ui.seed_from_url("student", names, default)
    c1, c2, c3 = st.columns([2, 5, 1])
    student = c1.selectbox("Student", names, key="student", persist_state="session",
                           format_func=lambda n: ui.student_title(run, n),
                           help="Any student of the run, distilled or trained on true labels.")
    ui.keep_in_url("student")
    p = run.predictions
    y, t_pred = p["y_true"], p["teacher_proba"].argmax(1)
    s_pred = run.student_proba(student).argmax(1)
    class_names = run.metrics["class_names"]
    true_class = c3.selectbox("True class", [None, *range(len(class_names))], key="true_class",
                              format_func=lambda c: "all" if c is None else class_names[c],
                              persist_state="session")
    counts = filter_counts(y, t_pred, s_pred, true_class)
    kind = c2.segmented_control("Show", list(FILTERS), default="all", key="filter",
                                format_func=lambda k: f"{SHORT[k]} ({counts[k]})",
                                help="; ".join(f"{SHORT[k]}: {v.lower()}"
                                               for k, v in FILTERS.items()),
                                persist_state="session") or "all"
    return student, kind, true_class


def grid(run, student: str, indices: np.ndarray, current: int) -> None:
    """A page of thumbnails (one element); a click opens that digit."""
    if len(indices) == 0:
        st.info("No test digit matches this filter.", icon=":material/filter_alt_off:")
        return
    pages = (len(indices) - 1) // PER_PAGE + 1
    if st.session_state.get("grid_page_for") != (student, len(indices), current):
        st.session_state["grid_page"] = page_of(indices, current, PER_PAGE)
        st.session_state["grid_page_for"] = (student, len(indices), current)
    page = min(st.session_state.get("grid_page", 0), pages - 1)
    p = run.predictions
    t_pred, s_pred = p["teacher_proba"].argmax(1), run.student_proba(student).argmax(1)
    names = run.metrics["class_names"]
    uris = thumbnails(ui.run_key(run))
    cells = [{"index": int(i), "src": uris[i], "differ": bool(t_pred[i] != s_pred[i]),
              "label": f"{names[t_pred[i]]}{'≠' if t_pred[i] != s_pred[i] else '='}"
                       f"{names[s_pred[i]]}",
              "title": f"Digit #{i}: true {names[p['y_true'][i]]}, teacher "
                       f"{names[t_pred[i]]}, student {names[s_pred[i]]}"}
             for i in indices[page * PER_PAGE:(page + 1) * PER_PAGE]]
    comp.digit_grid(cells, current, COLUMNS, key="digit_grid", on_click=clicked_in_grid)
    c1, c2, c3 = st.columns([1, 2, 1])
    if c1.button("◀ Page", disabled=page == 0, key="page-prev", width="stretch"):
        st.session_state["grid_page"] = page - 1
        st.rerun(scope="fragment")
    c2.caption(f"Page {page + 1} of {pages} · {len(indices)} digits · teacher = student "
               "under each digit")
    if c3.button("Page ▶", disabled=page >= pages - 1, key="page-next", width="stretch"):
        st.session_state["grid_page"] = page + 1
        st.rerun(scope="fragment")


def stepper(run, indices: np.ndarray) -> int:
    """Previous / Next through the selection and the digit number (also ?sample= in the URL);
    drawn first so a link's digit is known before anything uses it."""
    n = len(run.predictions["y_true"])
    if st.session_state.get("sample") is not None and not 0 <= st.session_state["sample"] < n:
        st.session_state["sample"] = 0
    b1, b2, b3 = st.columns([1, 1, 1], vertical_alignment="bottom")
    index = b3.number_input("Digit #", 0, n - 1, key="sample", bind="query-params",
                            help="The test digit shown; type an index to jump to it. Also in "
                            "the URL, so a link opens this digit.")
    index = int(index or 0)
    prev_i, next_i = step(indices, index, -1), step(indices, index, +1)
    b1.button("Previous", key="prev", on_click=choose, args=(prev_i,),
              icon=":material/chevron_left:", disabled=prev_i is None, shortcut="Left",
              width="stretch", help="The previous digit of the selection (← key)")
    b2.button("Next", key="next", on_click=choose, args=(next_i,),
              icon=":material/chevron_right:", disabled=next_i is None, shortcut="Right",
              width="stretch", help="The next digit of the selection (→ key)")
    return index


def header(run, student: str, index: int) -> None:
    """The digit, the teacher's view of it and both models' probabilities."""
    p = run.predictions
    names = run.metrics["class_names"]
    image, y = p["x_test"][index], int(p["y_true"][index])
    tp, sp = p["teacher_proba"][index], run.student_proba(student)[index]
    t, s = int(tp.argmax()), int(sp.argmax())
    verdict = ":green[they agree]" if t == s else ":red[they disagree]"
    st.markdown(f"**Digit #{index}** · true **{names[y]}** · teacher says **{names[t]}** "
                f"({tp[t]:.0%}) · student says **{names[s]}** ({sp[s]:.0%}) · {verdict}")
    c1, c2 = st.columns(2)
    c1.image(pics.ink(image, 8), caption="as the models see it", width="stretch")
    sal = saliency_map(ui.run_key(run), index, t)
    c2.image(pics.diverging(sal, 8), width="stretch",
             caption=f"teacher's evidence for {names[t]} (±{np.abs(sal).max():.2f})")
    st.caption("Right: integrated gradients, how much each pixel's ink raised (red) or lowered "
               "(blue) the teacher's score for its answer.")
    st.image(pics.proba_bars([("teacher", tp, pics.TEACHER), ("student", sp, pics.HIGHLIGHT)],
                             names), width="stretch")


def tree_view(run, student: str, index: int) -> None:
    tree = ui.get_student(run, student)
    image = run.predictions["x_test"][index]
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
        st.graphviz_chart(tree_dot(tree, path, view=view, max_depth=depth, class_names=names),
                          width="content")
        st.caption(f"{tree.n_leaves_} leaves, depth {tree.depth_}. Red: the path this digit "
                   "took. 'yes' means more ink than the threshold.")
    with right:
        st.image(pics.with_regions(image, path_overlay(path)), width="stretch")
        st.caption("Each question's rectangle, numbered in path order: orange where this digit "
                   "had more ink than the threshold, blue where it had less.")
        st.markdown("  \n".join(path_in_words(path, names)))


def evidence_view(run, student: str, index: int) -> None:
    names = run.metrics["class_names"]
    probs = run.student_proba(student)[index]
    pred = int(probs.argmax())
    others = [int(c) for c in np.argsort(-probs) if c != pred]
    versus = st.columns(3)[0].selectbox(
        "Weigh the prediction against", others, key=f"versus-{student}-{index}",
        format_func=lambda c: f"{names[c]} ({probs[c]:.1%})",
        help="Default: the runner-up class. The map shows each pixel's push towards the "
        "prediction (red) or this class (blue).")
    e = explanation(ui.run_key(run), student, index, int(versus))
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


def soft_tree_view(run, student: str, index: int) -> None:
    from distill.explain.soft_tree import filter_image, node_evidence, tree_layout
    tree = ui.get_student(run, student)
    image = run.predictions["x_test"][index]
    names = run.metrics["class_names"]
    e = explanation(ui.run_key(run), student, index, None)
    nodes = [s["node"] for s in e["path"]]
    st.markdown(f"The digit takes the likelier branch at each of the {tree.depth} nodes; every "
                "node asks how well the digit matches its filter.")
    filters = [pics.diverging(filter_image(tree, n), 4) for n in nodes]
    evidence = [pics.diverging(node_evidence(tree, n, image), 4) for n in nodes]
    labels = [f"{i + 1}. node {s['node']}" for i, s in enumerate(e["path"])]
    stats = [f"{s['response']:+.2f} → p={s['p_right']:.2f} {s['goes']}" for s in e["path"]]
    st.image(pics.grid(filters + evidence, labels + stats, columns=len(nodes)),
             width="stretch")
    st.caption("Top row: each node's filter (red: ink here pushes right, blue: pushes left). "
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
                            key="soft-tree")
            st.caption("The whole tree: every node's filter, the path of this digit in red, "
                       "each leaf's class.")
        else:
            st.info(f"The whole tree is drawn for depths up to 5; this one has depth "
                    f"{tree.depth} ({2 ** tree.depth} leaves). Its max path is shown above.",
                    icon=":material/account_tree:")


VIEWS = {"tree": tree_view, "soft-tree": soft_tree_view, "gaussian-nb": evidence_view,
         "bernoulli-nb": evidence_view, "multinomial-nb": evidence_view, "linear": evidence_view}


@st.fragment
def browse(run, student: str, kind: str, true_class: int | None) -> None:
    """Grid, digit and explanation: a click here reruns only this part of the page."""
    with ui.guard("the digit"):
        p = run.predictions
        indices = select_samples(kind, p["y_true"], p["teacher_proba"].argmax(1),
                                 run.student_proba(student).argmax(1), true_class)
        left, right = st.columns([2, 3], gap="large")
        with right:
            current = stepper(run, indices)
            header(run, student, current)
        with left:
            grid(run, student, indices, current)
        entry_kind = run.student_entry(student)["kind"]
        st.subheader(f"Why the {ui.student_title(run, student)} decided so", divider="gray")
        view = VIEWS.get(entry_kind)
        if view is None:
            st.info(f"No explanation view for students of kind {entry_kind!r} yet.")
        else:
            view(run, student, current)


with ui.guard("the explorer"):
    run = ui.current_run()
    if run is None:
        st.info("No run yet: train one first.", icon=":material/school:")
        ui.page_link("train", "Train", icon=":material/model_training:")
        st.stop()
    student, kind, true_class = controls(run)
    browse(run, student, kind, true_class)
