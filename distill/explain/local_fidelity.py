"""Local fidelity: does the network follow a student's own reason for its answer?

Agreement says a student gives the network's answers; it cannot say the student gives them
for the network's reasons. Here, on a fixed sample of test digits where the two agree, each
student's exact smallest edit to its runner-up class (:mod:`.counterfactual`) is shown to the
network: the share of edits after which the network gives that runner-up too is the
student's *local fidelity*. The same edit pushed 1.5x and 2x as far along its direction
(pixels kept in [0, 1]) tells whether the network follows a little further on, where a
student's edit stopped just short of the network's boundary.

The sample is drawn from the test set's size and a seed alone, so every student of a run,
and every run of a data set, is measured on the same digits. The figures are kept per student
in ``metrics.json`` (:func:`figures_entry`).
"""

from __future__ import annotations

import time

import numpy as np

from ..config import LOCAL_FIDELITY_SAMPLE
from ..layout import LOCAL_FIDELITY, LOCAL_FIDELITY_DETAIL
from ..metrics import bootstrap_interval
from ..progress import Reporter, silent
from .counterfactual import NoCounterfactual, counterfactual, default_target, scaled_edits

SAMPLE = LOCAL_FIDELITY_SAMPLE  # test digits a run's students are measured on (each the same)
SEED = 0
SCALES = (1.0, 1.5, 2.0)  # how far along each edit's direction the network is asked
KEY, DETAIL = LOCAL_FIDELITY, LOCAL_FIDELITY_DETAIL  # a student's metrics entry (layout)


def sample_digits(n_test: int, size: int, seed: int = SEED) -> np.ndarray:
    """The test digits measured: ``size`` of ``n_test``, drawn by ``seed`` alone (sorted)."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_test, size=min(size, n_test), replace=False))


def measure_student(student, teacher, x: np.ndarray, indices: np.ndarray,
                    teacher_answers: np.ndarray, report=None) -> dict:
    """The counts behind a student's local fidelity over the test digits ``indices``:
    ``agreeing`` (digits where it answers as the network), ``edits`` (of those, the ones with
    an edit to the runner-up within [0, 1]) and ``follows`` (per scale, edits after which
    the network answers the runner-up)."""
    follows = np.zeros(len(SCALES), np.int64)
    agreeing = edits = 0
    seconds = []
    for i in indices:
        proba = student.predict_proba(x[i][None])[0]
        if int(np.argmax(proba)) == int(teacher_answers[i]):
            agreeing += 1
            runner_up = default_target(proba, None)
            try:
                edit = counterfactual(student, x[i], target=runner_up)
            except NoCounterfactual:
                pass
            else:
                edits += 1
                seconds.append(edit.seconds)
                pushed = scaled_edits(edit.original, edit.image, SCALES)
                follows += teacher.predict(pushed) == runner_up
        if report is not None:
            report()
    return {"digits": int(len(indices)), "agreeing": agreeing, "edits": edits,
            "follows": [int(f) for f in follows],
            "seconds_per_digit": float(np.mean(seconds)) if seconds else None}


def figures_entry(counts: dict) -> dict:
    """A student's metrics entry additions: the share at 1x (None without an edit), and the
    detail: its 95% interval, the shares at every scale and the counts."""
    n = counts["edits"]
    shares = [f / n if n else None for f in counts["follows"]]
    detail = {**counts, "scales": list(SCALES), "shares": shares, "sample_seed": SEED,
              "interval": list(bootstrap_interval(shares[0], n)) if n else None}
    return {KEY: shares[0], DETAIL: detail}


def measurable(student) -> bool:
    from .counterfactual import SOLVERS
    return getattr(student, "kind", None) in SOLVERS


def measure_students(students: dict, teacher, x_test: np.ndarray, teacher_answers: np.ndarray,
                     size: int | None = None, progress: Reporter = silent) -> dict[str, dict]:
    """Name -> :func:`figures_entry` for every student of ``students`` with exact edits (the
    others get None figures), on the same :func:`sample_digits` (``size``: :data:`SAMPLE`)."""
    indices = sample_digits(len(x_test), SAMPLE if size is None else size)
    kinds = {name: s for name, s in students.items() if measurable(s)}
    total = max(1, len(kinds) * len(indices))
    done, start = [0], time.monotonic()

    def tick():
        done[0] += 1
        progress({"stage": "local fidelity", "fraction": done[0] / total,
                  "elapsed": time.monotonic() - start})

    out = {name: {KEY: None, DETAIL: None} for name in students}
    for name, student in kinds.items():
        counts = measure_student(student, teacher, x_test, indices, teacher_answers, tick)
        out[name] = figures_entry(counts)
    return out


def measure_run(run, size: int | None = None, names=None, progress: Reporter = silent
                ) -> dict[str, dict]:
    """:func:`measure_students` for the saved students of ``run`` (or of ``names``)."""
    names = list(names or run.student_names)
    students = {name: run.load_student(name) for name in names}
    return measure_students(students, run.load_teacher(), run.predictions["x_test"],
                            run.teacher_answers, size, progress)
