"""Compare: every model of a run side by side, and against another run."""

import pandas as pd
import streamlit as st

from distill.frontier import frontier_rows, smallest_reaching
from distill.runs import RunError
from distill.summary import (
    COLUMNS,
    LOCAL_FIDELITY_HELP,
    auto_cost,
    cell,
    choice_phrase,
    choice_rows,
    model_rows,
)
from pages import _charts as charts
from pages import _figures as figs
from pages import _ui as ui

ui.require_frame()

st.title("Compare")

PERCENT = st.column_config.NumberColumn(format="percent")


# '-' where a model has none, rather than None; intervals as "95.2% – 97.5%"
TEXT_COLUMNS = ("gain", "leaves", "depth", "accuracy_ci", "agreement_ci", "local_fidelity_ci")
SHOWN = [c for column in COLUMNS for c in ((column, f"{column}_ci") if column in
                                           ("accuracy", "agreement", "local_fidelity")
                                           else (column,))]


def table(rows: list[dict]) -> None:
    df = pd.DataFrame([{**r, **{c: cell(r.get(c), c) for c in TEXT_COLUMNS}} for r in rows],
                      columns=SHOWN)
    st.dataframe(df, hide_index=True, width="stretch", column_config={
        "model": st.column_config.TextColumn("Model", help="student.method; the teacher first"),
        "kind": st.column_config.TextColumn("Kind"),
        "method": st.column_config.TextColumn("Method", help="How the model was taught; "
                                              "ground-truth is the baseline on true labels."),
        "accuracy": st.column_config.NumberColumn("Accuracy", format="percent"),
        "agreement": st.column_config.NumberColumn(
            "Agreement", format="percent", help="Share of test images where the model predicts "
            "what the teacher predicts (fidelity)."),
        "accuracy_ci": st.column_config.TextColumn(
            "Accuracy 95% CI", help="Bootstrap interval over the test digits: how far the "
            "accuracy could move on another test set of the same size."),
        "agreement_ci": st.column_config.TextColumn(
            "Agreement 95% CI", help="Bootstrap interval over the test digits. Two models whose "
            "intervals overlap much may not differ in truth."),
        "gain": st.column_config.TextColumn("Gain", help="Agreement minus that of the same "
                                            "model on true labels, in percentage points."),
        "leaves": st.column_config.TextColumn("Leaves"),
        "depth": st.column_config.TextColumn("Depth"),
        "local_fidelity": st.column_config.NumberColumn(
            "Local fidelity", format="percent", help=LOCAL_FIDELITY_HELP),
        "local_fidelity_ci": st.column_config.TextColumn(
            "Local fidelity 95% CI", help="Bootstrap interval over the edits measured."),
        "top2_agreement": st.column_config.NumberColumn(
            "Top-2", format="percent", help="The teacher's answer is among the model's two "
            "most likely classes."),
        "kl": st.column_config.NumberColumn("KL", format="%.3f", help="Mean KL(teacher || "
                                            "model) in nats: how far the probabilities are."),
        "parameters": st.column_config.NumberColumn("Parameters", format="localized"),
        "seconds": st.column_config.NumberColumn("Fit s", format="%.1f"),
    })


def how_auto_chose(m: dict) -> None:
    """Method auto: what each student chose and every candidate's held-out agreement."""
    st.subheader("How each student chose to learn", divider="gray")
    rows = choice_rows(m)
    candidates = m["auto"]["candidates"]
    st.dataframe(pd.DataFrame(rows, columns=["student", "chose", *candidates]),
                 hide_index=True, width="stretch", column_config={
                     "student": st.column_config.TextColumn("Student"),
                     "chose": st.column_config.TextColumn(
                         "Chose", help="The candidate with the best held-out agreement among "
                         "those that beat the true labels clearly; the true labels otherwise."),
                     **{c: st.column_config.NumberColumn(c, format="percent", help="Held-out "
                                                         "agreement with the teacher")
                        for c in candidates}})
    for e in m["students"]:
        if e.get("chosen"):
            st.markdown(f"- **{e['label']}** {choice_phrase(e)}")
    st.caption(auto_cost(m))


def matrices(run, student: str) -> None:
    figures = figs.confusion_figures(ui.run_key(run), student)
    for column, (key, figure) in zip(st.columns(len(figures)), figures):
        column.plotly_chart(figure, key=key)
    if run.has_teacher:
        st.caption("Off-diagonal cells of the agreement matrix are where the student parts "
                   "ways with the teacher; open them on the Explore page with the 'disagree' "
                   "filter.")


def against_other_run(run) -> None:
    others = [r for r in ui.all_runs() if r.id != run.id]
    if not others:
        st.caption("Train another run to compare two runs here.")
        return
    labels = {r.id: ui.run_label(r) for r in others}  # titles only: nothing else is opened
    other_id = st.selectbox("Compare with run", [None, *labels],
                            format_func=lambda i: "choose a run" if i is None else labels[i],
                            key="other_run")
    if other_id is None:
        return
    try:
        b = next(r for r in others if r.id == other_id).metrics
    except RunError as err:
        st.error(f"That run cannot be compared: {ui.public(err)}.", icon=":material/error:")
        return
    a = run.metrics
    ra = {r["model"]: r for r in model_rows(a)}
    rb = {r["model"]: r for r in model_rows(b)}
    rows = []
    for model in dict.fromkeys([*ra, *rb]):
        x, y = ra.get(model), rb.get(model)
        rows.append({"model": model,
                     "agreement (this run)": x["agreement"] if x else None,
                     "agreement (other)": y["agreement"] if y else None,
                     "accuracy (this run)": x["accuracy"] if x else None,
                     "accuracy (other)": y["accuracy"] if y else None})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={c: PERCENT for c in rows[0] if c != "model"})
    st.caption(f"This run: {a['dataset']}, {a['method']}; other: {b['dataset']}, "
               f"{b['method']}. Models are matched by name.")


def frontier_section(run) -> None:
    """A sweep's question: agreement (or accuracy) against size, per student, with seeds'
    spread; a click on a point opens that student on Explore."""
    st.subheader("The fidelity frontier", divider="gray")
    c1, c2, c3 = st.columns([1, 1, 2])
    metric = c1.segmented_control("Show", ["agreement", "accuracy"], default="agreement",
                                  key="frontier_metric") or "agreement"
    size = c2.segmented_control("Size as", ["leaves", "parameters"], default="leaves",
                                key="frontier_size", help="Leaves: trees and soft trees; "
                                "parameters: every student, the linear one too.") or "leaves"
    rows = frontier_rows(run.metrics)
    event = st.plotly_chart(charts.frontier(rows, run.metrics["teacher"]["test_accuracy"],
                                            metric, size), key="frontier", on_select="rerun",
                            selection_mode="points")
    c3.caption("Each point: the mean over seeds, its bar one standard deviation. Solid: "
               "distilled from the teacher; dashed: the same student on the true labels. "
               "Click a point to see that student on Explore.")
    picked = (event.selection.points if event and event.selection else None) or []
    if picked:
        ui.open_student_on_explore(run, picked[0]["customdata"][0])
    levels = (0.85, 0.90, 0.95)
    smallest = []
    for student in sorted({r["student"] for r in rows if r.get(size)}):
        row = {"student": student}
        for level in levels:
            hit = smallest_reaching(run.metrics, student, level, size)
            row[f"agrees ≥ {level:.0%}"] = (f"{hit['label']} ({hit[size]:,} {size}, "
                                            f"{hit['agreement']:.1%})" if hit else "none")
        smallest.append(row)
    st.markdown("**The smallest distilled student that reaches each agreement** (mean over "
                "seeds)")
    st.dataframe(pd.DataFrame(smallest), hide_index=True, width="stretch")


def local_fidelity_section(run) -> None:
    """Agreement against local fidelity: does a student share the network's reasons?"""
    if not run.has_teacher:
        return
    st.subheader("Same answers, same reasons?", divider="gray")
    st.caption(LOCAL_FIDELITY_HELP + " The 1.5x and 2x columns push each edit further along "
               "its direction: does the network follow a little further on?")
    if not run.has_local_fidelity:
        ui.local_fidelity_progress(run)
        return
    c1, c2 = st.columns(2)
    c1.plotly_chart(figs.local_fidelity_figure(ui.run_key(run)), key="local-fidelity")
    c2.dataframe(pd.DataFrame(local_fidelity_rows(run)), hide_index=True, width="stretch",
                 column_config={k: st.column_config.NumberColumn(k, format="percent")
                                for k in ("1x", "1.5x", "2x")})


def local_fidelity_rows(run) -> list[dict]:
    rows = []
    for s in run.metrics["students"]:
        d = s.get("local_fidelity_detail")
        if not d:
            continue
        rows.append({"model": ui.student_title(run, s["name"]),
                     **{f"{scale:g}x": share for scale, share in zip(d["scales"], d["shares"])},
                     "edits": d["edits"], "of digits": d["digits"]})
    return rows


def follows_section(run) -> None:
    """The teacher-follows figures: measured once per run in the background, then kept."""
    st.subheader("Do the student's reasons move the network?", divider="gray")
    st.caption("For sampled test digits each student's smallest edit that changes its answer "
               "(Explore, *What would change its mind*) is shown to the network. Where they "
               "disagree, the student is edited to the network's answer: does the network keep "
               "it? Where they agree, the student is edited to its runner-up: does the network "
               "change its mind the same way? High shares mean the student's reasons are the "
               "network's too, not only its answers.")
    if not run.has_teacher:
        st.info("This run has no teacher to follow.", icon=":material/info:")
        return
    data = run.follows
    if data is None:
        ui.background_progress("follows", run, lambda r, report: r.ensure_follows(report),
                               "Finding each student's counterfactuals and asking the network")
        return
    st.dataframe(pd.DataFrame(follows_rows(run, data)), hide_index=True, width="stretch",
                 column_config={
                     "disagreements": st.column_config.NumberColumn(
                         "Keeps (disagreements)", format="percent", help="Share of edits to the "
                         "network's answer that the network still reads as its answer."),
                     "agreements": st.column_config.NumberColumn(
                         "Follows (agreements)", format="percent", help="Share of edits to the "
                         "student's runner-up that the network reads as that class too."),
                     "median_l1": st.column_config.NumberColumn(
                         "Median edit (ink)", format="%.2f", help="Total ink moved by the "
                         "smallest edit, median over the digits."),
                     "seconds": st.column_config.NumberColumn("s / digit", format="%.2f")})
    st.caption(f"Up to {data['per_group']} digits of each group per student, the same ones on "
               "every visit.")


def follows_rows(run, data: dict) -> list[dict]:
    rows = []
    for name, groups in data["students"].items():
        d, a = groups["disagreements"], groups["agreements"]
        rows.append({"model": ui.student_title(run, name),
                     "disagreements": d["share"], "n (disagreements)": d["edits"],
                     "agreements": a["share"], "n (agreements)": a["edits"],
                     "median_l1": a["median_l1"],
                     "seconds": a["seconds_per_digit"]})
    return rows


with ui.guard("the comparison"):
    run = ui.current_run()
    if run is None:
        st.info("No run yet: train one first.", icon=":material/school:")
        st.stop()
    m = run.metrics
    rows = model_rows(m)
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.markdown(f"**{run.title}** · {m['dataset']} · {m['n_test']:,} test images")
    ui.report_download(run, c2)
    if run.facts.is_sweep:
        frontier_section(run)
    table(rows)

    if not run.has_teacher:
        st.info("This run has no teacher: its students learned the true labels only, so there "
                "is no agreement to measure. Train a run with any other method to compare "
                "students with a network.", icon=":material/info:")
    if not run.facts.is_sweep:  # a sweep's students are on the frontier, not in bars
        for column, (key, figure) in zip(st.columns(2), figs.bar_figures(ui.run_key(run))):
            column.plotly_chart(figure, key=key)

    if m.get("auto"):
        how_auto_chose(m)

    st.subheader("Where they differ", divider="gray")
    student = st.selectbox("Student", run.student_names, key="compare_student",
                           format_func=lambda n: ui.student_title(run, n))
    matrices(run, student)

    if run.has_teacher:
        c1, c2 = st.columns(2)
        c1.plotly_chart(figs.per_class_figure(ui.run_key(run), student), key="per-class")
        if not run.facts.is_sweep:
            c2.plotly_chart(figs.tradeoff_figure(ui.run_key(run)), key="tradeoff")

    local_fidelity_section(run)
    follows_section(run)

    st.subheader("Against another run", divider="gray")
    against_other_run(run)
