"""Distilling from a notebook: your data and your network in, a saved run out, which the
dashboard opens like any other.

    from distill import Teacher, distill, load_dataset
    data = load_dataset("my_digits.npz")               # or a folder, a CSV, a name
    teacher = Teacher.from_onnx("model.onnx")           # or Teacher.from_function(fn, 10)
    run = distill(teacher, data, students=["tree", "gaussian-nb"])
    print(run.metrics["students"][0]["agreement"])
"""

from __future__ import annotations

from pathlib import Path

from .config import RunConfig, StudentChoice, transfer_size_for
from .data import DATASETS, Dataset, known_datasets
from .progress import Reporter, silent
from .runs import Run


def distill(teacher, data: Dataset | str | Path, students: list | None = None,
            method: str = RunConfig.method, out: str | Path | None = None,
            progress: Reporter = silent, **settings) -> Run:
    """Distil ``teacher`` into ``students`` on ``data`` and save the run.

    ``teacher``: a path to an ONNX file, ``Teacher.from_onnx(...)``,
    ``Teacher.from_function(fn, classes)``, a trained ``distill.teacher.Teacher``, or None to
    train the default network. ``data``: a :class:`~distill.data.Dataset`, a data set's name,
    or a path (kept in the runs folder's ``data/`` so the run names it). ``students``:
    registry names, "name:k=v,..." strings or StudentChoice objects (default: the CLI's).
    ``settings``: any other :class:`~distill.config.RunConfig` field (temperature,
    transfer_size, seed, title, insist, ...)."""
    from .pipeline import run_experiment
    name = _dataset_name(data)
    settings.setdefault("transfer_size", transfer_size_for(name))
    cfg = RunConfig(dataset=name, method=method, **settings)
    if students is not None:
        cfg.students = [_choice(s) for s in students]
    given = None
    if isinstance(teacher, (str, Path)):
        cfg.teacher_file = str(teacher)
    elif getattr(teacher, "kind", None) == "onnx":
        cfg.teacher_file, cfg.teacher_input = str(teacher.path), teacher.input_scale
        cfg.teacher_output = teacher.info.output_name
    else:
        given = teacher
    cfg.validate()
    return run_experiment(cfg, progress=progress, out=out, teacher=given)


def _dataset_name(data) -> str:
    from .datastore import import_dataset, keep_dataset
    if isinstance(data, Dataset):
        return keep_dataset(data, reserved=tuple(DATASETS)).name
    if str(data) in known_datasets():
        return str(data)
    return import_dataset(data, reserved=tuple(DATASETS)).name


def _choice(student) -> StudentChoice:
    if isinstance(student, StudentChoice):
        return student
    from .cli import parse_student
    return parse_student(str(student))
