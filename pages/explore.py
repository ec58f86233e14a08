"""Explore: a grid of test digits, filtered; click one to see why each model decided as it did.

The grid and the digit's explanation sit in one fragment, so a click reruns only them.
"""

import numpy as np
import streamlit as st

from distill.browse import FILTERS, filter_counts, page_of, select_samples, step
from distill.summary import evidence_words
from pages import _components as comp
from pages import _digits as digits
from pages import _ui as ui
from pages import _views as views
from pages import _whole as whole

ui.require_frame()

SHORT = {"all": "All", "disagree": "Disagree", "teacher-wrong": "Teacher wrong",
         "student-wrong": "Student wrong"}
PER_PAGE = 24
COLUMNS = 6
# Streamlit stacks columns on narrow screens, left first: on a phone the digit a link opens
# (the right column) comes before the grid instead, so it shows without scrolling past it
DIGIT_FIRST_ON_PHONES = """<style>@media (max-width: 640px) {
  .st-key-digit_and_grid > div > [data-testid="stHorizontalBlock"] {
    flex-direction: column-reverse; }
}</style>"""

st.title("Explore")


def choose(index: int) -> None:
    st.session_state["sample"] = int(index)


def clicked_in_grid() -> None:
    index = (st.session_state.get("digit_grid") or {}).get("clicked")
    if index is not None:
        choose(index)


def controls(run) -> tuple[str, str, int | None]:
    """Student, filter and class pickers (a change redraws the whole page)."""
    c1, c2, c3 = st.columns([2, 5, 1])
    student = views.pick_student(run, c1)
    p = run.predictions
    y, t_pred = p["y_true"], run.teacher_answers
    s_pred = run.student_answers(student)
    class_names = run.metrics["class_names"]
    true_class = c3.selectbox("True class", [None, *range(len(class_names))], key="true_class",
                              format_func=lambda c: "all" if c is None else class_names[c],
                              persist_state="session")
    counts = filter_counts(y, t_pred, s_pred, true_class)
    kind = c2.segmented_control("Show", list(counts), default="all", key="filter",
                                format_func=lambda k: f"{SHORT[k]} ({counts[k]})",
                                help="; ".join(f"{SHORT[k]}: {FILTERS[k].lower()}"
                                               for k in counts),
                                persist_state="session") or "all"
    return student, kind if kind in counts else "all", true_class


def turned_page() -> None:
    page = (st.session_state.get("digit_grid") or {}).get("page")
    if page is not None:
        st.session_state["grid_page"] = int(page)


def grid(run, student: str, indices: np.ndarray, current: int) -> None:
    """A page of thumbnails with its page buttons (one element); a click opens that digit."""
    if len(indices) == 0:
        st.info("No test digit matches this filter.", icon=":material/filter_alt_off:")
        return
    pages = (len(indices) - 1) // PER_PAGE + 1
    if st.session_state.get("grid_page_for") != (student, len(indices), current):
        st.session_state["grid_page"] = page_of(indices, current, PER_PAGE)
        st.session_state["grid_page_for"] = (student, len(indices), current)
    page = max(0, min(st.session_state.get("grid_page", 0), pages - 1))
    shown = tuple(int(i) for i in indices[page * PER_PAGE:(page + 1) * PER_PAGE])
    caption = (f"Page {page + 1} of {pages} · {len(indices)} digits · "
               f"{digits.reference(run)[1]} = student under each digit")
    cells = digits.grid_cells(ui.run_key(run), student, shown)
    comp.digit_grid(cells, current, COLUMNS, page, pages, caption, key="digit_grid",
                    on_click=clicked_in_grid, on_page=turned_page)


def stepper(run, indices: np.ndarray) -> int:
    """Previous / Next through the selection and the digit number (also ?sample= in the URL);
    drawn first so a link's digit is known before anything uses it."""
    n = len(run.predictions["y_true"])
    linked_sample_notice(n)
    if st.session_state.get("sample") is not None and not 0 <= st.session_state["sample"] < n:
        st.session_state["sample"] = 0
    row = st.container(horizontal=True, vertical_alignment="bottom")  # one block, not four
    index = row.number_input("Digit #", 0, n - 1, key="sample", bind="query-params",
                             help="The test digit shown; type an index to jump to it. Also in "
                             "the URL, so a link opens this digit.")
    index = int(index or 0)
    prev_i, next_i = step(indices, index, -1), step(indices, index, +1)
    row.button("Previous", key="prev", on_click=choose, args=(prev_i,),
               icon=":material/chevron_left:", disabled=prev_i is None, shortcut="Left",
               width="stretch", help="The previous digit of the selection (← key)")
    row.button("Next", key="next", on_click=choose, args=(next_i,),
               icon=":material/chevron_right:", disabled=next_i is None, shortcut="Right",
               width="stretch", help="The next digit of the selection (→ key)")
    return index


def linked_sample_notice(n: int) -> None:
    """A link's ?sample= that is not a digit of this run: say so and show digit #0."""
    raw = st.query_params.get("sample")
    if raw is None or st.session_state.get("sample_link_seen") == raw:
        return
    try:
        wrong = None if 0 <= int(raw) < n else f"there is no digit #{int(raw)}"
    except ValueError:
        wrong = f"{raw!r} is not a digit number"
    if wrong:
        st.warning(f"The link asked for digit {raw!r}, but {wrong}: this run has {n:,} test "
                   f"digits, #0 to #{n - 1}. Showing digit #0.", icon=":material/info:")
        st.session_state["sample"] = 0
        st.query_params["sample"] = "0"
        raw = "0"
    st.session_state["sample_link_seen"] = raw


def header(run, student: str, index: int) -> None:
    """The digit, the teacher's view of it and both models' probabilities."""
    words, card = digits.header_parts(ui.run_key(run), student, index)
    st.markdown(words)
    ui.inline_picture(card, caption=(
        f"Right: {evidence_words(run.metrics['teacher'])}. Below: what each model "
        "believes."
        if run.has_teacher else None), alt=f"Digit #{index}, the teacher's evidence and "
        "each model's probabilities")


@st.fragment
def browse(run, student: str, kind: str, true_class: int | None) -> None:
    """Grid, digit and explanation: a click here reruns only this part of the page."""
    with ui.guard("the digit"):
        p, said, proba = run.predictions, run.teacher_answers, run.student_proba(student)
        indices = select_samples(kind, p["y_true"], said, run.student_answers(student),
                                 true_class)
        left, right = st.container(key="digit_and_grid").columns([2, 3], gap="large")
        with right:
            current = stepper(run, indices)
            header(run, student, current)
        with left:
            grid(run, student, indices, current)
        views.explain_student(run, student, p["x_test"][current], where="explore")
        views.counterfactual_view(run, student, p["x_test"][current], where="explore",
                                  open_in_draw=lambda edit, label: ui.open_in_draw(
                                      run, edit, f"{label} (from test digit #{current})"),
                                  teacher_class=None if said is None else int(said[current]),
                                  probs=proba[current])
        ui.page_link("draw", f"Edit digit #{current} in Draw", icon=":material/edit:",
                     run=run.id, edit=current)


with ui.guard("the explorer"):
    run = ui.current_run()
    if run is None:
        st.info("No run yet: train one first.", icon=":material/school:")
        ui.page_link("train", "Train", icon=":material/model_training:")
        st.stop()
    look = st.segmented_control("Look at", ["digit", "whole"], default="digit", key="look",
                                format_func={"digit": "One digit at a time",
                                             "whole": "The whole model"}.get,
                                persist_state="session", bind="query-params",
                                help="One digit: why each model decided as it did, and what "
                                "would change its mind. The whole model: what the student "
                                "learned, over all the test digits.") or "digit"
    if look == "whole":
        whole.whole_model(run, views.pick_student(run, st.columns(3)[0]))
    else:
        student, kind, true_class = controls(run)
        st.html(DIGIT_FIRST_ON_PHONES)  # once a page run, not once a click
        browse(run, student, kind, true_class)
