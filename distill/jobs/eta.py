"""How long each stage of a run should take, for the progress bar's ETA.

A rough model: seconds per million pixels of work for each teacher epoch and each student
fit, measured once on 2 CPU cores (mnist5k). A running job rescales it by its own pace (see
:meth:`distill.jobs.manager.Job.eta`), so only the proportions between stages matter.
"""

from __future__ import annotations

import os

from ..auto import FIT_CAP, candidates, confirms, copies_within, held_size
from ..config import RunConfig, StudentChoice, params_for
from ..data import dataset_info
from ..distillation import AUTO_METHOD, BASELINE, BOUNDARY, TRANSFER_METHODS
from ..students import STUDENTS, epochs_for

EPOCH_SECONDS_PER_MPIXEL = {"cnn": 0.70, "lenet5": 0.13, "mlp": 0.03, "resnet": 2.7}
STUDENT_SECONDS_PER_MPIXEL = {"tree": 0.9, "pixel-tree": 0.06, "linear": 0.5,
                              "soft-tree": 0.09}  # the soft tree's is per epoch
DESKEW_SECONDS_PER_MPIXEL = 0.1  # straightening a student's images, once
SALIENCY_SECONDS_PER_DIGIT = 0.02  # the teacher's integrated gradients of a test digit
LABEL_SECONDS_PER_MPIXEL = 0.15  # the teacher's probabilities for a transfer set
# a student's smallest edit of one 28x28 digit (bench/results/counterfactual.md)
EDIT_SECONDS = {"tree": 0.1, "soft-tree": 0.12, "gaussian-nb": 0.09, "bernoulli-nb": 3.0,
                "multinomial-nb": 0.023, "linear": 0.023}
# work done beside another stage (the baselines beside the teacher, the teacher's saliency
# beside the students) costs the run about this share of its own time: it takes the core the
# other leaves (measured: full MNIST's default run, bench/results/mnist.md)
BESIDE = 0.3


def estimate_seconds(cfg) -> dict[str, float]:
    """A rough time for each stage of a run or a sweep, for the progress bar and its ETA."""
    if hasattr(cfg, "tasks"):
        return _sweep_seconds(cfg)
    return _run_seconds(cfg)


def _sweep_seconds(cfg) -> dict[str, float]:
    """A sweep: the run's stages for one student of each grid, its fits spread over the
    cores (or the cluster's, which only makes the estimate pessimistic)."""
    from dataclasses import replace
    per_fit = {}
    for task in cfg.tasks():
        run = replace(cfg.as_run(), students=[StudentChoice(task.name, task.params)],
                      method=task.method)
        per_fit[task.key] = sum(v for k, v in _run_seconds(run).items()
                                if k.startswith("student:") and k.endswith(f".{task.method}"))
    base = _run_seconds(cfg.as_run())
    seeds = cfg.seeds if "transfer" in cfg.methods else 1
    return {"data": base["data"], "teacher": base["teacher"],
            "targets": base["targets"] * seeds,
            "students": sum(per_fit.values()) / max(1, os.cpu_count() or 1),
            "evaluate": base["evaluate"], "saliency": base["saliency"], "save": base["save"]}


def _run_seconds(cfg: RunConfig) -> dict[str, float]:
    info = dataset_info(cfg.dataset)
    pixels = info.image_shape[0] * info.image_shape[1]
    n = min(info.n_train, cfg.max_train or info.n_train)
    mpix = n * pixels / 1e6
    grow = 1 + cfg.transfer_size  # a transfer set's images per training image
    # an auto student is timed as if it chose its transfer set (the slowest candidate)
    fit = {m: mpix * (grow if m in (*TRANSFER_METHODS, AUTO_METHOD) else 1)
           for m in cfg.methods()}
    made = next((m for m in TRANSFER_METHODS if m in fit), None)  # the transfer set labelled
    n_test = min(info.n_test, cfg.max_test or info.n_test)
    est = {"data": 1.0, "evaluate": 1.0, "save": 1.0,
           # beside the students' fits, on the cores they leave (pipeline.run_experiment)
           "saliency": 0.5 + BESIDE * n_test * SALIENCY_SECONDS_PER_DIGIT,
           "teacher": 2.0 + cfg.teacher.epochs * mpix * EPOCH_SECONDS_PER_MPIXEL.get(
               cfg.teacher.arch, 1.0),
           "targets": 0.5 + (fit[made] * LABEL_SECONDS_PER_MPIXEL if made else 0.2)}
    if cfg.method == AUTO_METHOD:  # every candidate on the capped sample, then the labels
        sample = min(FIT_CAP, n) * pixels / 1e6
        copies = 1 + copies_within(cfg.transfer_size, min(FIT_CAP, n), pixels)
        sizes = [sample * (copies if c.transfer else 1) for c in candidates(cfg.generators())]
        est["choose"] = 0.5 + fit[AUTO_METHOD] * LABEL_SECONDS_PER_MPIXEL + sum(
            _fit_seconds(choice, cfg, size, pixels) for choice in cfg.students
            for size in sizes) / max(1, min(2, os.cpu_count() or 1))  # fits share the cores
    for model in cfg.models():
        est[f"student:{model.name}"] = _fit_seconds(model.choice, cfg, fit[model.method], pixels)
        if model.method == BASELINE and not model.trains_in_epochs:  # fitted beside the teacher
            est[f"student:{model.name}"] *= BESIDE
        if model.method == AUTO_METHOD and confirms(n, held_size(n)):  # and the true labels'
            est[f"student:{model.name}"] += _fit_seconds(model.choice, cfg, mpix, pixels)
        if model.method == BOUNDARY:  # a fit after each round of edits, each round's edits
            est[f"student:{model.name}"] *= 1 + cfg.rounds
            est[f"student:{model.name}"] += cfg.rounds * min(
                cfg.boundary_seconds,
                cfg.boundary_sample * EDIT_SECONDS.get(model.choice.name, 0.1))
    if cfg.local_fidelity and cfg.needs_teacher:
        est["local fidelity"] = sum(cfg.local_fidelity * EDIT_SECONDS.get(m.choice.name, 0.1)
                                    for m in cfg.models())
    return est


def _fit_seconds(choice: StudentChoice, cfg: RunConfig, mpix: float, pixels: int) -> float:
    """One student's fit on ``mpix`` million pixels of images."""
    per = STUDENT_SECONDS_PER_MPIXEL.get(choice.name, 0.01)
    params = {**STUDENTS[choice.name].defaults(), **params_for(choice, cfg.dataset)}
    if choice.name == "soft-tree":
        per *= epochs_for(params["epochs"], round(mpix * 1e6 / pixels), params["batch_size"],
                          params["min_steps"])
    if params.get("deskew"):
        per += DESKEW_SECONDS_PER_MPIXEL
    return 0.2 + per * mpix



