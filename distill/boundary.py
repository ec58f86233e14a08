"""Boundary-aware distillation: teacher-labelled examples where the student's boundaries are.

A transfer set of distorted training digits shows a student where the data lies, not where the
network draws its lines, so a student can give the network's answers for reasons of its own
(its local fidelity is low: :mod:`distill.explain.local_fidelity`). Here the student is fitted
on the transfer set, then in rounds: the exact smallest edits (:mod:`distill.explain.
counterfactual`) that move a sample of training digits to the student's runner-up class are
found, the edited images (and the same edits pushed :data:`PUSH` times as far) are labelled by
the teacher, added to the transfer set, and the student is fitted again. With source
``teacher`` the images are instead the two sides of the teacher's own boundary, found by
walking each digit up the teacher's gradient towards its runner-up (a network trained here);
``both`` adds both kinds. Where the teacher
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
SOURCES = ("student", "teacher", "both")  # whose boundary the added images are at
WALK_STEPS, WALK_STEP = 40, 0.5  # the teacher's walk: at most this many L2 steps of this size
# how many times each image at the boundary counts in the refit (a few hundred among tens of
# thousands of transfer images move a tree little: bench/results/local_fidelity.md)
COPIES = 1


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
    from .explain.counterfactual import (
        NoCounterfactual,
        counterfactual,
        default_target,
        scaled_edits,
    )
    images, targets, start = [], [], time.perf_counter()
    for i in picks:
        if time.perf_counter() - start > budget_s:
            break
        runner_up = default_target(student.predict_proba(x[i][None])[0], None)
        try:
            edit = counterfactual(student, x[i], target=runner_up)
        except NoCounterfactual:
            continue
        images.append(scaled_edits(edit.original, edit.image, push))
        targets += [runner_up] * len(push)
    if not images:
        return np.zeros((0, *x.shape[1:]), np.float32), np.zeros(0, np.int64)
    return np.concatenate(images), np.asarray(targets)


def teacher_walk_images(teacher, x: np.ndarray, picks: np.ndarray, steps: int = WALK_STEPS,
                        step_size: float = WALK_STEP) -> tuple[np.ndarray, np.ndarray]:
    """Where the teacher's own boundary is (a differentiable teacher only): each digit of
    ``x[picks]`` walked up the gradient of the teacher's runner-up logit over its answer's
    (L2 steps of ``step_size``, pixels in [0, 1]) until the teacher changes its mind. Returns
    the last points before and then the first after, (2M, H, W) float32, for the M digits
    that got there, and which did ((len(picks),) bool)."""
    import torch
    net = teacher.inference_net
    x0 = torch.as_tensor(x[picks], dtype=torch.float32).unsqueeze(1).to(teacher.device)
    # (N, 1, H, W)
    with torch.no_grad():
        order = net(x0).argsort(1, descending=True)
    top, runner_up = order[:, 0], order[:, 1]
    rows = torch.arange(len(x0))
    now, before, after = x0.clone(), x0.clone(), torch.zeros_like(x0)
    crossed = torch.zeros(len(x0), dtype=torch.bool)
    for _ in range(steps):
        now.requires_grad_(True)
        logits = net(now)
        gap = logits[rows, runner_up] - logits[rows, top]
        (grad,) = torch.autograd.grad(gap.sum(), now)
        with torch.no_grad():
            norm = grad.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None, None]
            step = (now + step_size * grad / norm).clamp(0, 1)
            flipped = net(step).argmax(1) == runner_up
            new = flipped & ~crossed
            before[new], after[new] = now[new], step[new]
            crossed |= flipped
            now = torch.where(crossed[:, None, None, None], now, step).detach()
        if crossed.all():
            break
    pairs = torch.cat([before[crossed], after[crossed]])[:, 0]
    return pairs.cpu().numpy().astype(np.float32), crossed.cpu().numpy()


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


def repeated(targets: Targets, copies: int) -> Targets:
    return Targets(np.repeat(targets.x, copies, 0), np.repeat(targets.y, copies, 0),
                   targets.argmax_for_others, targets.temperature)


def fit_boundary(make: Callable[[], object], fit: Callable[[object, Targets], float],
                 targets: Targets, teacher, x_pool: np.ndarray, rounds: int = ROUNDS,
                 sample: int = SAMPLE, budget_s: float = BUDGET_S, seed: int = 0,
                 progress: Reporter = silent, should_stop: StopCheck = never,
                 source: str = "student"):
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
                  f"{rounds}: finding the images at the boundary"})
        start = time.perf_counter()
        picks = rng.choice(len(x_pool), size=min(sample, len(x_pool)), replace=False)
        images, follows = _round_images(student, teacher, x_pool, picks, budget_s, source,
                                        targets)
        if not len(images.x):
            break
        targets = joined(targets, repeated(images, COPIES))
        done.append(BoundaryRound(images.x, follows, time.perf_counter() - start))
        progress({"fraction": (r + 1) / (rounds + 1), "message": f"round {r + 1} of "
                  f"{rounds}: {len(images.x)} images at the boundary labelled by the "
                  "teacher; fitting"})
        student = make()
        fit(student, targets)
    return student, targets, done


def _round_images(student, teacher, x_pool: np.ndarray, picks: np.ndarray, budget_s: float,
                  source: str, like: Targets) -> tuple[Targets, int]:
    """A round's images from ``source`` labelled by the teacher, and how many of the
    student's edits the teacher reads as the student's runner-up."""
    parts, follows = [], 0
    if source in ("student", "both"):
        images, runner_up = boundary_images(student, x_pool, picks, budget_s)
        if len(images):
            parts.append(labelled_like(like, images, teacher))
            answers = parts[-1].y.argmax(1) if parts[-1].soft else parts[-1].y
            follows = int((answers == runner_up).sum())
    if source in ("teacher", "both"):
        walked, _ = teacher_walk_images(teacher, x_pool, picks)
        if len(walked):
            parts.append(labelled_like(like, walked, teacher))
    if not parts:
        return Targets(np.zeros((0, *x_pool.shape[1:]), np.float32), like.y[:0]), 0
    out = parts[0]
    for part in parts[1:]:
        out = joined(out, part)
    return out, follows


def rounds_entry(done: list[BoundaryRound]) -> list[dict]:
    """What metrics.json keeps of the rounds: images added, how many the teacher reads as
    the student's runner-up, seconds."""
    return [{"added": int(len(r.images)), "teacher_follows": r.teacher_follows,
             "seconds": round(r.seconds, 2)} for r in done]
