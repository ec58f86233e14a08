"""Do the student's reasons move the teacher too? A fidelity figure from counterfactuals.

Agreement counts digits where the student answers as the teacher does; it cannot tell a
student that mimics the teacher's answers from one that shares its reasons. Here each
student's smallest edit of a digit (:mod:`.counterfactual`, default target) is shown to the
teacher:

- on a disagreement the student is edited to the teacher's answer; the teacher *follows*
  when it still gives that answer on the edited digit (the edit did not break what the
  teacher saw);
- on an agreement the student is edited to its runner-up; the teacher *follows* when it
  changes its mind the same way, the stronger sign that the student's reasons are the
  teacher's.

A sample of each group keeps it to seconds per student; the numbers are kept in the run's
``follows.json``.
"""

from __future__ import annotations

import time

import numpy as np

from ..progress import Reporter, silent
from .counterfactual import NoCounterfactual, counterfactual

PER_GROUP = 40  # digits of each group (disagreements, agreements) a student is measured on
GROUPS = ("disagreements", "agreements")


def sample_groups(teacher_pred: np.ndarray, student_pred: np.ndarray, per_group: int,
                  seed: int = 0) -> dict[str, np.ndarray]:
    """Up to ``per_group`` test digits where the two disagree, and as many where they agree,
    drawn at random (the same ones every time for the same predictions)."""
    rng = np.random.default_rng(seed)
    out = {}
    for group, chosen in zip(GROUPS, (teacher_pred != student_pred, teacher_pred == student_pred)):
        where = np.flatnonzero(chosen)
        pick = rng.choice(where, size=min(per_group, len(where)), replace=False)
        out[group] = np.sort(pick)
    return out


def measure_student(student, teacher, x: np.ndarray, groups: dict[str, np.ndarray],
                    report=None) -> dict:
    """Per group: digits tried, edits found, how many the teacher follows, median edit size
    (L1) and seconds per digit."""
    result = {}
    for group, indices in groups.items():
        follows, sizes, seconds, missing = 0, [], [], 0
        for i in indices:
            try:
                edit = counterfactual(student, x[i], teacher=teacher)
                follows += bool(edit.teacher_follows)
                sizes.append(edit.l1)
                seconds.append(edit.seconds)
            except NoCounterfactual:
                missing += 1
            if report is not None:
                report()
        found = len(indices) - missing
        result[group] = {"digits": int(len(indices)), "edits": found, "follows": follows,
                         "share": follows / found if found else None,
                         "median_l1": float(np.median(sizes)) if sizes else None,
                         "seconds_per_digit": float(np.mean(seconds)) if seconds else None}
    return result


def measure_run(run, names: list[str] | None = None, per_group: int | None = None,
                progress: Reporter = silent) -> dict:
    """The teacher-follows figures of every student of ``run`` (or of ``names``), on up to
    ``per_group`` (default :data:`PER_GROUP`) digits of each group."""
    names = list(names or run.student_names)
    per_group = PER_GROUP if per_group is None else per_group
    teacher = run.load_teacher()
    p = run.predictions
    plans = {name: sample_groups(run.teacher_answers, run.student_answers(name), per_group)
             for name in names}
    total = sum(len(i) for g in plans.values() for i in g.values()) or 1
    done, start = [0], time.monotonic()

    def tick():
        done[0] += 1
        progress({"stage": "counterfactuals", "fraction": done[0] / total,
                  "elapsed": time.monotonic() - start})

    students = {}
    for name, groups in plans.items():
        students[name] = measure_student(run.load_student(name), teacher, p["x_test"], groups,
                                         tick)
    progress({"stage": "counterfactuals", "fraction": 1.0,
              "elapsed": time.monotonic() - start})
    return {"per_group": per_group, "students": students}
