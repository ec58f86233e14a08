"""Compare's charts of a run, built once per (run, student) and shared by every session.

Building a plotly figure (its layout updates, its validation) is the dearest part of a full
Compare run, and a run's charts are the same for every viewer: they are kept here, in a module
imported once (a page script's own cache would start empty at every full run). Streamlit
copies a figure before sending it, so a kept figure is never changed by drawing it.
"""

from __future__ import annotations

from distill.metrics import confusion
from distill.summary import model_rows
from pages import _charts as charts
from pages import _ui as ui


@ui.memo(max_entries=256)
def confusion_figures(key: tuple, student: str) -> list[tuple[str, object]]:
    """(chart key, figure) of the run's confusion matrices for ``student``: true x student,
    and with a teacher also true x teacher and teacher x student (its agreement)."""
    run = ui.run_from_key(key)
    names = run.metrics["class_names"]
    y, s, n = run.predictions["y_true"], run.student_answers(student), len(names)
    student_cm = ("cm-student", charts.confusion_heatmap(
        confusion(y, s, n), names, names, "True x student", "true", "student"))
    if not run.has_teacher:
        return [student_cm]
    t = run.teacher_answers
    return [("cm-teacher", charts.confusion_heatmap(confusion(y, t, n), names, names,
                                                    "True x teacher", "true", "teacher")),
            student_cm,
            ("cm-agreement", charts.confusion_heatmap(confusion(t, s, n), names, names,
                                                      "Teacher x student (agreement)",
                                                      "teacher", "student"))]


@ui.memo(max_entries=64)
def bar_figures(key: tuple) -> list[tuple[str, object]]:
    """(chart key, figure) of each distilled student beside its true-label baseline: agreement
    (with a teacher) and test accuracy."""
    run = ui.run_from_key(key)
    m = run.metrics
    pairs = [{"label": e["label"], "distilled": e, "baseline": run.facts.baseline_of(e)}
             for e in run.facts.distilled]
    teacher_accuracy = m["teacher"]["test_accuracy"] if run.has_teacher else None
    accuracy = ("accuracy", charts.agreement_bars(pairs, teacher_accuracy,
                                                  metric="test_accuracy",
                                                  title="Test accuracy"))
    if not run.has_teacher:
        return [accuracy]
    return [("agree", charts.agreement_bars(pairs, teacher_accuracy)), accuracy]


@ui.memo(max_entries=256)
def per_class_figure(key: tuple, student: str):
    """Agreement per class of ``student`` (and, in a run, of every student distilled with
    the run's method)."""
    run = ui.run_from_key(key)
    m = run.metrics
    per_class = {s["name"]: s["agreement_per_class"] for s in m["students"]
                 if s["name"] == student or (not run.facts.is_sweep
                                             and s["method"] == m["method"])}
    return charts.per_class_lines(per_class, m["class_names"])


@ui.memo(max_entries=64)
def tradeoff_figure(key: tuple):
    """Agreement against size, every model of the run."""
    return charts.tradeoff_scatter(model_rows(ui.run_from_key(key).metrics))


@ui.memo(max_entries=64)
def local_fidelity_figure(key: tuple):
    """Agreement against local fidelity, every measured model of the run."""
    return charts.local_fidelity_scatter(model_rows(ui.run_from_key(key).metrics))
