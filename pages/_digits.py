"""What Explore draws of a run's test digits, made once per run and shared by every session.

Streamlit executes a page script afresh at every full run (a deep link, a change of student
or filter, a new viewer), so a cache defined in ``pages/explore.py`` would start empty each
time; here, in a module imported once, it lasts as long as the process.
"""

from __future__ import annotations

import numpy as np

from distill import pictures as pics
from pages import _components as comp
from pages import _ui as ui
from pages import _views as views


@ui.memo(max_entries=8)
def thumbnails(key: tuple) -> list[str]:
    """Every test digit as a tiny PNG data URI, made once per run."""
    return [comp.png_data_uri(x) for x in ui.run_from_key(key).predictions["x_test"]]


def reference(run) -> tuple[np.ndarray, str]:
    """What a student's answers are set against under each digit: the teacher's answers, or
    the true labels in a run without a teacher."""
    return ((run.teacher_answers, "teacher") if run.has_teacher
            else (run.predictions["y_true"], "true"))


@ui.memo(max_entries=256)
def grid_cells(key: tuple, student: str, shown: tuple[int, ...]) -> list[dict]:
    """The cells of a page of the grid: each digit's picture, both answers, a tooltip."""
    run = ui.run_from_key(key)
    p = run.predictions
    (t_pred, who), s_pred = reference(run), run.student_answers(student)
    names = run.metrics["class_names"]
    uris = thumbnails(key)
    return [{"index": i, "src": uris[i], "differ": bool(t_pred[i] != s_pred[i]),
             "label": f"{names[t_pred[i]]}{'≠' if t_pred[i] != s_pred[i] else '='}"
                      f"{names[s_pred[i]]}",
             "title": f"Digit #{i}: true {names[p['y_true'][i]]}"
                      + (f", teacher {names[t_pred[i]]}" if who == "teacher" else "")
                      + f", student {names[s_pred[i]]}"} for i in shown]


@ui.memo(max_entries=views.PER_DIGIT)
def header_parts(key: tuple, student: str, index: int) -> tuple[str, str]:
    """What the header draws for one digit: its words, and one picture of the digit, the
    teacher's evidence and both models' probabilities."""
    run = ui.run_from_key(key)
    p = run.predictions
    names = run.metrics["class_names"]
    image, y = p["x_test"][index], int(p["y_true"][index])
    sp = run.student_proba(student)[index]
    s = int(sp.argmax())
    if not run.has_teacher:
        verdict = ":green[right]" if s == y else ":red[wrong]"
        words = (f"**Digit #{index}** · true **{names[y]}** · student says **{names[s]}** "
                 f"({sp[s]:.0%}) · {verdict} · no teacher in this run")
        card = pics.digit_card(image, None, ("as the model sees it", ""),
                               [("student", sp, pics.HIGHLIGHT)], names)
        return words, card
    tp = p["teacher_proba"][index]
    t = int(tp.argmax())
    verdict = ":green[they agree]" if t == s else ":red[they disagree]"
    words = (f"**Digit #{index}** · true **{names[y]}** · teacher says **{names[t]}** "
             f"({tp[t]:.0%}) · student says **{names[s]}** ({sp[s]:.0%}) · {verdict}")
    evidence = views.teacher_saliency(run, image, t, index)
    card = pics.digit_card(image, evidence, ("as the models see it",
                                             views.evidence_caption(run, evidence, t)),
                           [("teacher", tp, pics.TEACHER), ("student", sp, pics.HIGHLIGHT)],
                           names)
    return words, card
