"""Boundary-aware distillation: teacher-labelled examples where the student's boundaries are.

A transfer set of distorted training digits shows a student where the data lies, not where the
network draws its lines, so a student can give the network's answers for reasons of its own
(its local fidelity is low: :mod:`distill.explain.local_fidelity`). Here the student is fitted
on the transfer set, then in rounds: the exact smallest edits (:mod:`distill.explain.
counterfactual`) that move a sample of training digits to the student's runner-up class are
found, the edited images (and the same edits pushed :data:`PUSH` times as far) are labelled by
the teacher, added to the transfer set, and the student is fitted again. Where the teacher
disagrees with the student's new answer, the next fit moves the student's boundary towards the
teacher's along that very direction. The teacher only answers, so an imported ONNX teacher
teaches this way too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .distillation import Targets
from .progress import Reporter, StopCheck, check_stop, never, silent

ROUNDS = 2  # rounds of edits, each followed by a fit
SAMPLE = 200  # training digits edited each round
BUDGET_S = 30.0  # seconds of edits a round at most (a student whose edits are dear stops early)
PUSH = (1.0, 2.0)  # each edit is labelled where it stops, and pushed this many times as far


@dataclass
class BoundaryRound:
    """What one round added: the images, and how many the teacher reads as the student's
    new answer (the rest teach it where the teacher's boundary is not)."""

    images: np.ndarray  # (M, H, W) float32
    teacher_follows: int
    seconds: float


def boundary_images(student, x: np.ndarray, picks: np.ndarray, budget_s: float = BUDGET_S,
                    push=PUSH) -> tuple[np.ndarray, np.ndarray]:
    """The student's smallest edits of the digits ``x[picks]`` to their runner-up class,
    pushed ``push`` times as far (pixels in [0, 1]); returns (images (M, H, W) float32, the
    runner-up of each). Stops when ``budget_s`` is spent."""
    from .explain.counterfactual import NoCounterfactual, counterfactual, scaled_edits
    images, targets, start = [], [], time.perf_counter()
    for i in picks:
        if time.perf_counter() - start > budget_s:
            break
        proba = student.predict_proba(x[i][None])[0]
        runner_up = int(np.argsort(-proba, kind="stable")[1])
        try:
            edit = counterfactual(student, x[i], target=runner_up)
        except NoCounterfactual:
            continue
        images.append(scaled_edits(edit.original, edit.image, push))
        targets += [runner_up] * len(push)
    if not images:
        return np.zeros((0, *x.shape[1:]), np.float32), np.zeros(0, np.int64)
    return np.concatenate(images), np.asarray(targets)


def labelled_like(targets: Targets, images: np.ndarray, teacher) -> Targets:
    """``images`` labelled by the teacher in the form ``targets`` holds (its probabilities at
    the same temperature, or its answers)."""
    if targets.soft:
        y = teacher.predict_proba(images, targets.temperature).astype(targets.y.dtype)
    else:
        y = teacher.predict(images).astype(targets.y.dtype)
    return Targets(images, y, targets.argmax_for_others, targets.temperature)


def joined(a: Targets, b: Targets) -> Targets:
    return Targets(np.concatenate([a.x, b.x]), np.concatenate([a.y, b.y]),
                   a.argmax_for_others, a.temperature)


def fit_boundary(make: Callable[[], object], fit: Callable[[object, Targets], float],
                 targets: Targets, teacher, x_pool: np.ndarray, rounds: int = ROUNDS,
                 sample: int = SAMPLE, budget_s: float = BUDGET_S, seed: int = 0,
                 progress: Reporter = silent, should_stop: StopCheck = never):
    """Fit a student (``make()``, fitted by ``fit(student, targets)``) on ``targets``, then
    ``rounds`` times: edit ``sample`` digits of ``x_pool`` to its boundary, label them with
    the teacher, add them and fit again. Returns (student, the final targets, the rounds)."""
    rng = np.random.default_rng(seed)
    student = make()
    fit(student, targets)
    done = []
    for r in range(rounds):
        check_stop(should_stop)
        progress({"fraction": (r + 0.5) / (rounds + 1), "message": f"round {r + 1} of "
                  f"{rounds}: finding the student's smallest edits"})
        start = time.perf_counter()
        picks = rng.choice(len(x_pool), size=min(sample, len(x_pool)), replace=False)
        images, runner_up = boundary_images(student, x_pool, picks, budget_s)
        if not len(images):
            break
        added = labelled_like(targets, images, teacher)
        answers = added.y.argmax(1) if added.soft else added.y
        targets = joined(targets, added)
        done.append(BoundaryRound(images, int((answers == runner_up).sum()),
                                  time.perf_counter() - start))
        progress({"fraction": (r + 1) / (rounds + 1), "message": f"round {r + 1} of "
                  f"{rounds}: {len(images)} edited digits labelled by the teacher; fitting"})
        student = make()
        fit(student, targets)
    return student, targets, done


def rounds_entry(done: list[BoundaryRound]) -> list[dict]:
    """What metrics.json keeps of the rounds: images added, how many the teacher reads as
    the student's runner-up, seconds."""
    return [{"added": int(len(r.images)), "teacher_follows": r.teacher_follows,
             "seconds": round(r.seconds, 2)} for r in done]
