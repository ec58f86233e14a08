"""Runs: every saved run with its headline numbers; select, rename, delete, download."""

import json

import pandas as pd
import streamlit as st

from distill.explain.drawing import EXPORTS, FORMATS, INSTALL_HINT, dot_available, export_tree
from distill.explain.tree import decision_path
from distill.runs import RunError, delete_run, rename_run
from distill.summary import headline, rows_csv
from pages import _ui as ui

ui.require_frame()

st.title("Runs")
HOSTED = ui.hosted()


def overview_table(runs) -> None:
    rows = []
    for r in runs:
        problem = r.problem()
        if problem:
            rows.append({"title": r.title, "id": r.id, "kind": "damaged", "problem": problem})
            continue
        m, best = r.metrics, r.facts.best
        teacher = m.get("teacher") or {}
        rows.append({"title": r.title, "id": r.id, "data set": m["dataset"],
                     "teacher": teacher.get("arch", "none"),
                     "teacher accuracy": teacher.get("test_accuracy"),
                     "method": m["method"],
                     "best student": best["label"] if best else None,
                     "its agreement": best.get("agreement") if best else None,
                     "kind": "demo" if r.bundled else "yours", "problem": None})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "teacher accuracy": st.column_config.NumberColumn(format="percent"),
        "its agreement": st.column_config.NumberColumn(format="percent")})


MIME = {"svg": "image/svg+xml", "pdf": "application/pdf", "png": "image/png",
        "dot": "text/vnd.graphviz", "rules": "text/plain"}
SUFFIX = {"rules": "txt"}


def downloads(run) -> None:
    m = run.metrics
    c1, c2, c3 = st.columns(3)
    ui.report_download(run, c3)
    c1.download_button("Metrics (JSON)", json.dumps(m, indent=2), f"{run.id}-metrics.json",
                       "application/json", icon=":material/download:")
    c2.download_button("Model table (CSV)", rows_csv(m), f"{run.id}-models.csv", "text/csv",
                       icon=":material/download:")
    if run.has_teacher and m["teacher"].get("kind") != "function":
        c1.download_button("Teacher (ONNX)", run.teacher_onnx, f"{run.id}-teacher.onnx",
                           "application/octet-stream", icon=":material/neurology:",
                           key="teacher_onnx", help="The run's network as one ONNX file: "
                           "input 'image' (N, 1, H, W) pixels in [0, 1], output 'logits'. "
                           "Any runtime reads it; imported back, it answers the same.")
    trees = [s["name"] for s in m["students"] if s["kind"] == "tree"]
    if trees:
        tree_download(run, trees)


def tree_download(run, trees: list[str]) -> None:
    """A tree as a picture (laid out by Graphviz), DOT or rules: whole, or one digit's path.
    The file is made only when the button is pressed."""
    st.markdown("**Download a tree**")
    c1, c2, c3, c4 = st.columns([2, 1, 2, 2], vertical_alignment="bottom")
    name = c1.selectbox("Tree", trees, key="download_tree",
                        format_func=lambda n: ui.student_title(run, n))
    fmt = c2.selectbox("Format", EXPORTS, key="download_format",
                       format_func=lambda f: f.upper() if f != "rules" else "rules (text)")
    n = len(run.predictions["y_true"])
    sample = c3.number_input("Path of digit # (empty: the whole tree)", 0, n - 1, None,
                             key="download_sample", placeholder="the whole tree",
                             help="Draw one test digit's path, as on Explore, instead of the "
                             "whole tree.")
    tree = ui.get_student(run, name)
    path = None if sample is None else decision_path(tree, run.predictions["x_test"][sample])

    def make() -> bytes:
        return export_tree(tree, fmt, path, run.metrics["class_names"])

    what = "whole" if sample is None else f"digit-{sample}"
    ext = SUFFIX.get(fmt, fmt)
    missing = fmt in FORMATS and not dot_available()
    c4.download_button(f"Download as {ext.upper()}", make, f"{run.id}-{name}-{what}.{ext}",
                       MIME[fmt], icon=":material/account_tree:", key="download_tree_file",
                       disabled=missing)
    if missing:
        st.caption(f":orange[{INSTALL_HINT}.]")


def manage(run, rename: bool = True) -> None:
    if run.bundled:
        st.caption(":material/lock: The bundled demo run cannot be renamed or deleted.")
        return
    if HOSTED:
        st.caption(":material/lock: Runs cannot be renamed or deleted on the public demo.")
        return
    if rename:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        title = c1.text_input("Title", run.title, key=f"title-{run.id}", max_chars=80)
        if c2.button("Rename", key=f"rename-{run.id}", width="stretch"):
            try:
                rename_run(run, title)
                st.toast("Renamed.", icon=":material/check:")
                st.rerun()
            except RunError as err:
                st.error(ui.public(err))
    with st.popover("Delete this run", icon=":material/delete:"):
        st.write(f"Delete **{run.title}** and all its models? This cannot be undone.")
        if st.button("Yes, delete it", type="primary", key=f"delete-{run.id}"):
            delete_run(run)
            st.session_state.pop("run", None)
            st.rerun()


def damaged(run, problem: str) -> None:
    """A damaged run: what is wrong, and the way out (delete it)."""
    st.subheader(f"{run.title} (damaged)", divider="gray")
    st.error(f"This run cannot be shown: {problem}.", icon=":material/error:")
    manage(run, rename=False)


with ui.guard("the runs page"):
    runs = ui.all_runs()
    if not runs:
        st.info("No saved runs yet.", icon=":material/folder_off:")
        ui.page_link("train", "Train one", icon=":material/model_training:")
        st.stop()
    overview_table(runs)
    chosen = next((r for r in runs if r.id == st.session_state.get("run")), None)
    try:
        run = ui.current_run() if chosen is not None else None
    except RunError as err:  # a damaged run must still be deletable, so not through the guard
        damaged(chosen, ui.public(err))
        run = None
    if run is not None:
        st.subheader(run.title, divider="gray")
        st.caption(f"{run.id} · {headline(run.metrics)}")
        downloads(run)
        manage(run)
        st.caption("Pick another run in the sidebar to manage it.")
