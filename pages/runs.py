"""Runs: every saved run with its headline numbers; select, rename, delete, download."""

import json

import pandas as pd
import streamlit as st

from distill.explain.drawing import tree_dot, tree_svg
from distill.explain.tree import rules
from distill.runs import RunError, delete_run, rename_run
from distill.summary import headline, rows_csv
from pages import _ui as ui

ui.require_frame()

st.title("Runs")
HOSTED = ui.hosted()


def overview_table(runs) -> None:
    rows = []
    for r in runs:
        try:
            m = r.metrics
            best = r.facts.best
            rows.append({"title": r.title, "id": r.id, "data set": m["dataset"],
                         "teacher": m["teacher"]["arch"],
                         "teacher accuracy": m["teacher"]["test_accuracy"],
                         "method": m["method"],
                         "best student": best["label"] if best else None,
                         "its agreement": best["agreement"] if best else None,
                         "kind": "demo" if r.bundled else "yours"})
        except RunError:
            rows.append({"title": "(damaged)", "id": r.id, "kind": "damaged"})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "teacher accuracy": st.column_config.NumberColumn(format="percent"),
        "its agreement": st.column_config.NumberColumn(format="percent")})


def downloads(run) -> None:
    m = run.metrics
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button("Metrics (JSON)", json.dumps(m, indent=2), f"{run.id}-metrics.json",
                       "application/json", icon=":material/download:")
    c2.download_button("Model table (CSV)", rows_csv(m), f"{run.id}-models.csv", "text/csv",
                       icon=":material/download:")
    trees = [s["name"] for s in m["students"] if s["kind"] == "tree"]
    if not trees:
        return
    name = c3.selectbox("Tree", trees, key="download_tree", label_visibility="collapsed")
    tree = ui.get_student(run, name)
    fmt = c4.selectbox("Format", ["SVG", "DOT", "rules"], key="download_format",
                       label_visibility="collapsed")
    if fmt == "SVG":
        data, mime, ext = tree_svg(tree, class_names=m["class_names"]), "image/svg+xml", "svg"
    elif fmt == "DOT":
        data, mime, ext = (tree_dot(tree, view="top", max_depth=64,
                                    class_names=m["class_names"]), "text/vnd.graphviz", "dot")
    else:
        data, mime, ext = rules(tree, m["class_names"]), "text/plain", "txt"
    st.download_button(f"Download {name} as {fmt}", data, f"{run.id}-{name}.{ext}", mime,
                       icon=":material/account_tree:")


def manage(run) -> None:
    if run.bundled:
        st.caption(":material/lock: The bundled demo run cannot be renamed or deleted.")
        return
    if HOSTED:
        st.caption(":material/lock: Runs cannot be renamed or deleted on the public demo.")
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    title = c1.text_input("Title", run.title, key=f"title-{run.id}", max_chars=80)
    if c2.button("Rename", key=f"rename-{run.id}", width="stretch"):
        try:
            rename_run(run, title)
            st.toast("Renamed.", icon=":material/check:")
            st.rerun()
        except RunError as err:
            st.error(str(err))
    with st.popover("Delete this run", icon=":material/delete:"):
        st.write(f"Delete **{run.title}** and all its models? This cannot be undone.")
        if st.button("Yes, delete it", type="primary", key=f"delete-{run.id}"):
            delete_run(run)
            st.session_state.pop("run", None)
            st.rerun()


with ui.guard("the runs page"):
    runs = ui.all_runs()
    if not runs:
        st.info("No saved runs yet.", icon=":material/folder_off:")
        ui.page_link("train", "Train one", icon=":material/model_training:")
        st.stop()
    overview_table(runs)
    run = ui.current_run()
    if run is not None:
        st.subheader(run.title, divider="gray")
        st.caption(f"{run.id} · {headline(run.metrics)} · {run.path}")
        downloads(run)
        manage(run)
        st.caption("Pick another run in the sidebar to manage it.")
