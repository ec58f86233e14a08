"""Overview: the current run's story on one screen."""

import streamlit as st

from distill.frontier import best_per_student
from distill.summary import (
    LOCAL_FIDELITY_HELP,
    local_fidelity_phrase,
    method_phrase,
    story,
    teacher_help,
)
from pages import _charts as charts
from pages import _ui as ui

ui.require_frame()

st.title("Overview")

with ui.guard("the overview"):
    run = ui.current_run()
    if run is None:
        st.info("No run to show yet. Train a teacher and its students to see how closely an "
                "interpretable model can follow a neural network.", icon=":material/school:")
        ui.page_link("train", "Train your first run", icon=":material/model_training:")
        st.stop()

    m = run.metrics
    t = m["teacher"]
    st.markdown(f"#### {run.title}")
    st.write(story(m))

    facts = run.facts
    if facts.is_sweep:  # one card a kind of student: its best size, mean over seeds
        shown = [(run.student_entry(b["best"]["names"][0]), b["best"], b["baseline"])
                 for b in best_per_student(m)]
    else:
        shown = [(e, e, facts.baseline_of(e)) for e in facts.distilled]
    # with a teacher: how often each student agrees with it; without: how accurate it is
    metric = "agreement" if t is not None else "test_accuracy"
    cards = st.columns(1 + len(shown))
    if t is not None:
        cards[0].metric("Teacher accuracy", f"{t['test_accuracy']:.1%}",
                        help=teacher_help(t))
    else:
        cards[0].metric("Teacher", "none", help="This run's students learned the true labels "
                        "only (method ground-truth), so no network was trained.")
    for card, (entry, values, base) in zip(cards[1:], shown):
        gain = values[metric] - base[metric] if base else None
        name = entry.get("short_title", entry.get("title", entry["label"]))
        card.metric(f"{name} ({entry['label']})" if facts.is_sweep else name,
                    f"{values[metric]:.1%}",
                    delta=f"{gain * 100:+.1f} pt" if gain is not None else None,
                    # no change (a student that kept the true labels) is neither up nor down
                    delta_color="off" if gain is not None and round(gain * 100, 1) == 0
                    else "normal",
                    help=(f"{entry.get('title', entry['label'])}: agrees with the teacher on "
                          f"{values['agreement']:.1%} of test images. The change is against "
                          "the same model trained on the true labels only." if t is not None
                          else f"{entry.get('title', entry['label'])}: right on "
                          f"{values['test_accuracy']:.1%} of test images.")
                    + (" Mean over the sweep's seeds; its best size." if facts.is_sweep
                       else ""))
        if t is not None:
            card.caption(local_fidelity_phrase(entry), help=LOCAL_FIDELITY_HELP)
    if t is not None and not run.has_local_fidelity:
        ui.local_fidelity_progress(run)

    pairs = [{"label": e.get("title", e["label"]) + (f" ({e['label']})" if facts.is_sweep
                                                      else ""),
              "distilled": values, "baseline": base} for e, values, base in shown]
    if t is not None:
        st.markdown("##### How often each student agrees with the teacher")
        st.html(charts.agreement_bars_html(pairs))
        st.caption(f"Students were taught with {method_phrase(m)}; the pale bars are the same "
                   f"models fitted to the true labels. Test set: {m['n_test']:,} images of "
                   f"{m['dataset']}. The Compare page has every number.")
    else:
        st.markdown("##### How often each student is right")
        st.html(charts.agreement_bars_html(pairs, metric="test_accuracy"))
        st.caption(f"Test set: {m['n_test']:,} images of {m['dataset']}. Train a run with a "
                   "teacher (any other method) to see how closely a student can follow it.")

    links = st.columns(3)
    with links[0]:
        ui.page_link("compare", "Compare every model", icon=":material/compare_arrows:")
    with links[1]:
        ui.page_link("explore", "See why, digit by digit", icon=":material/pageview:")
    with links[2]:
        ui.page_link("train", "Train another run", icon=":material/model_training:")
