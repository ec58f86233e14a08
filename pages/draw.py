"""Draw: write a digit (or upload a picture of one); the teacher and every student of the
current run say what they see, and why."""

import numpy as np
import streamlit as st

from distill import pictures as pics
from distill.sketch import (
    SketchError,
    as_drawn,
    ink_from_data_uri,
    ink_from_picture,
    prepare,
)
from distill.summary import teacher_label
from pages import _components as comp
from pages import _ui as ui
from pages import _views as views

ui.require_frame()

st.title("Draw")
st.caption("Draw a digit with the mouse, a pen or a finger. It is cropped, scaled and centred "
           "the way the run's data set was made; then every model of the run reads it.")


def starting_digit(run) -> tuple[np.ndarray | None, str]:
    """A digit to edit instead of a blank pad: test digit ?edit=I (a link from Explore), or
    an image put here by "Open the edit in Draw"; (None, "") for a blank pad."""
    raw = st.query_params.get("edit")
    if raw is not None:
        x = run.predictions["x_test"]
        try:
            index = int(raw)
            if not 0 <= index < len(x):
                raise ValueError
        except ValueError:
            st.warning(f"The link asked to edit test digit {raw!r}, but this run's test digits "
                       f"are #0 to #{len(x) - 1}; starting with a blank pad.",
                       icon=":material/info:")
            del st.query_params["edit"]
            return None, ""
        return x[index], f"test digit #{index}"
    start = st.session_state.get("draw_start")
    if start and start["run"] == run.id:
        return start["image"], start["label"]
    return None, ""


def blank_pad() -> None:
    st.session_state.pop("draw_start", None)
    st.query_params.pop("edit", None)


def read_input(image_shape, start: np.ndarray | None, label: str) -> np.ndarray | None:
    """The canvas or an upload, prepared for the models; None (with a message) when neither.
    A digit put on the pad to edit is read pixel for pixel (not re-centred)."""
    if start is not None:
        st.info(f"Editing {label}: draw to add ink, **Erase** to remove it; the pad is read "
                "pixel for pixel, so an untouched digit is exactly the original.",
                icon=":material/edit:")
        st.button("Start a blank drawing", on_click=blank_pad, icon=":material/restart_alt:")
    key = "pad" if start is None else f"pad-{views.image_digest(start)}"
    uri = comp.drawing_pad(key=key, brush=20 if start is None else 12, start=start)
    upload = st.file_uploader("…or upload a PNG or JPEG of a digit", key="upload",
                              help="Up to 5 MB and 25 megapixels. Any colours: the background "
                              "is taken from the picture's border.")
    try:
        if upload is not None:
            st.caption("Showing the uploaded picture; remove it to use the drawing.")
            ink = ink_from_picture(upload.getvalue())
        elif start is not None:
            return start if not uri else as_drawn(ink_from_data_uri(uri), image_shape)
        elif uri:
            ink = ink_from_data_uri(uri)
        else:
            st.info("Draw a digit in the square: the models answer when you lift the pen.",
                    icon=":material/draw:")
            return None
        sketch = prepare(ink, image_shape)
    except SketchError as err:
        st.warning(ui.sentence(ui.public(err)), icon=":material/gesture:")
        return None
    if sketch.warning:
        st.warning(ui.sentence(sketch.warning), icon=":material/help:")
    return sketch.image


def verdicts(run, image: np.ndarray) -> tuple[int | None, np.ndarray | None]:
    """Every model's answer as a small table; returns the teacher's class and probabilities
    (None, None in a run without a teacher)."""
    names = run.metrics["class_names"]
    if not run.has_teacher:
        lines = ["| model | says | probability |", "|---|---|---|"]
        t = tp = None
    else:
        tp = ui.get_teacher(run).predict_proba(image[None])[0]
        t = int(tp.argmax())
        lines = ["| model | says | probability | agrees with the teacher |",
                 "|---|---|---|---|", f"| **teacher** ({teacher_label(run.metrics['teacher'])}) | "
                 f"**{names[t]}** | {tp[t]:.0%} | |"]
    for entry in run.metrics["students"]:
        sp = views.student_proba(run, entry["name"], image)
        s = int(sp.argmax())
        mark = "" if t is None else " ✓ |" if s == t else " ✗ |"
        lines.append(f"| {ui.student_title(run, entry['name'])} | **{names[s]}** | "
                     f"{sp[s]:.0%} |{mark}")
    st.markdown("\n".join(lines))
    return t, tp


with ui.guard("the drawing page"):
    run = ui.current_run()
    if run is None:
        st.info("No run yet: train one first.", icon=":material/school:")
        st.stop()
    shape = tuple(run.metrics["image_shape"])
    left, right = st.columns([2, 3], gap="large")
    with left:
        image = read_input(shape, *starting_digit(run))
    if image is None:
        st.stop()
    with right:
        c1, c2 = st.columns(2)
        c1.image(pics.ink(image, max(1, 224 // shape[0])), width="stretch",
                 caption="exactly what the models see")
        t, tp = verdicts(run, image)
        if t is not None:
            with c2:
                views.teacher_evidence(run, image, t)
    c1, c2 = st.columns(2, gap="large")
    student = views.pick_student(run, c1, "Explain the answer of")
    sp = views.student_proba(run, student, image)
    series = [("student", sp, pics.HIGHLIGHT)]
    if tp is not None:
        series.insert(0, ("teacher", tp, pics.TEACHER))
    c2.image(pics.proba_bars(series, run.metrics["class_names"]), width="stretch")
    views.explain_student(run, student, image, where="draw")
    views.counterfactual_view(run, student, image, where="draw",
                              open_in_draw=lambda edit, label: ui.open_in_draw(run, edit, label))
