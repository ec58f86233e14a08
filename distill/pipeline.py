"""One experiment from start to saved run: data, teacher, targets, students, evaluation, save.

``run_experiment`` is what the CLI, the dashboard's worker and the benchmarks all call. It
reports each stage through the progress callback and stops between (and inside) stages when
asked; a stopped run saves nothing.
"""

from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .data import DATASETS, DEFAULT_DATASET, DataError, Dataset, find_idx_files, load_dataset
from .distillation import BASELINE, check_method, fit_student, make_targets
from .metrics import model_metrics
from .progress import Clock, Reporter, StopCheck, check_stop, never, silent
from .runs import Run, new_run_id, runs_dir, save_student, write_atomically, write_json
from .students import DEFAULT_STUDENTS, STUDENTS, make_student
from .teacher import TeacherConfig


class ConfigError(ValueError):
    """A run configuration that cannot be trained, with the reason in words."""


@dataclass
class StudentChoice:
    """A student to train: a registry name, parameter overrides, and an optional label."""

    name: str
    params: dict = field(default_factory=dict)
    label: str | None = None


@dataclass
class RunConfig:
    dataset: str = DEFAULT_DATASET
    data_dir: str | None = None
    max_train: int | None = None  # stratified subsets, for quick runs and tests
    max_test: int | None = None
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    students: list[StudentChoice] = field(
        default_factory=lambda: [StudentChoice(n) for n in DEFAULT_STUDENTS])
    method: str = "transfer"
    temperature: float = 1.0
    transfer: str = "munge"
    transfer_size: int = 10
    seed: int = 0
    title: str | None = None

    def labels(self) -> list[str]:
        """Unique labels: the student's name, numbered when a name repeats."""
        seen: dict[str, int] = {}
        out = []
        for s in self.students:
            base = s.label or s.name
            seen[base] = seen.get(base, 0) + 1
            out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
        return out

    def methods(self) -> list[str]:
        """The chosen method, then the ground-truth baseline (once)."""
        return [self.method] if self.method == BASELINE else [self.method, BASELINE]

    def validate(self) -> None:
        """Raise ConfigError with every problem found, before any work starts."""
        problems = []
        if self.dataset not in DATASETS:
            problems.append(f"unknown data set {self.dataset!r}; choose one of: "
                            f"{', '.join(DATASETS)}")
        elif not DATASETS[self.dataset].bundled:
            try:
                find_idx_files(self.dataset, self.data_dir)
            except DataError as err:
                problems.append(str(err))
        try:
            self.teacher.validate()
        except ValueError as err:
            problems.append(str(err))
        try:
            check_method(self.method, self.temperature, self.transfer, self.transfer_size)
        except ValueError as err:
            problems.append(str(err))
        if not self.students:
            problems.append("choose at least one student")
        for s in self.students:
            try:
                make_student(s.name, **s.params)
            except (ValueError, TypeError) as err:
                problems.append(str(err))
        for limit, what in ((self.max_train, "max_train"), (self.max_test, "max_test")):
            if limit is not None and limit < 20:
                problems.append(f"{what} must be at least 20")
        if not 0 <= self.seed < 2**31:
            problems.append("seed must be between 0 and 2147483647")
        if problems:
            raise ConfigError("; ".join(problems))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        d = dict(d)
        d["teacher"] = TeacherConfig(**d.get("teacher", {}))
        d["students"] = [StudentChoice(**s) for s in d.get("students", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


def plan(cfg: RunConfig) -> list[str]:
    """The stage names of a run, in order, for progress displays."""
    models = [f"{label}.{m}" for m in cfg.methods() for label in cfg.labels()]
    return ["data", "teacher", "targets", *[f"student:{m}" for m in models], "evaluate", "save"]


# Seconds per unit of work on 2 CPU cores, measured on mnist5k; only ETAs depend on them.
_EPOCH_SECONDS_PER_MPIXEL = {"cnn": 0.70, "lenet5": 0.13, "mlp": 0.03, "resnet": 2.7}
_STUDENT_SECONDS_PER_MPIXEL = {"tree": 0.4, "pixel-tree": 0.06, "linear": 0.5}


def estimate_seconds(cfg: RunConfig) -> dict[str, float]:
    """A rough time for each stage, for the overall progress bar and its ETA."""
    info = {"mnist5k": (4000, 784), "digits": (1437, 64), "fashion-mnist": (60000, 784),
            "mnist": (60000, 784)}.get(cfg.dataset, (4000, 784))
    n = min(info[0], cfg.max_train or info[0])
    mpix = n * info[1] / 1e6
    fit = {m: mpix * (1 + cfg.transfer_size if m == "transfer" else 1) for m in cfg.methods()}
    est = {"data": 1.0, "evaluate": 1.0, "save": 1.0,
           "teacher": 2.0 + cfg.teacher.epochs * mpix * _EPOCH_SECONDS_PER_MPIXEL.get(
               cfg.teacher.arch, 1.0),
           "targets": 0.5 + (fit["transfer"] * 0.15 if "transfer" in fit else 0.2)}
    for method in cfg.methods():
        for choice, label in zip(cfg.students, cfg.labels()):
            per = _STUDENT_SECONDS_PER_MPIXEL.get(choice.name, 0.01)
            est[f"student:{label}.{method}"] = 0.2 + per * fit[method]
    return est


def run_experiment(cfg: RunConfig, progress: Reporter = silent, should_stop: StopCheck = never,
                   out: str | Path | None = None, run_id: str | None = None) -> Run:
    """Train, distil, evaluate and save; returns the saved run."""
    cfg.validate()
    clock = Clock()
    stages = plan(cfg)
    progress({"stage": "plan", "stages": stages})

    def stage(name: str, fraction: float = 0.0, **extra) -> None:
        check_stop(should_stop)
        progress({"stage": name, "fraction": fraction, "elapsed": clock.elapsed(), **extra})

    stage("data")
    data = load_dataset(cfg.dataset, cfg.data_dir, cfg.max_train, cfg.max_test)
    stage("data", 1.0, message=data.summary())

    teacher, history, teacher_entry = _train_teacher(cfg, data, progress, should_stop)
    stage("targets")
    tag = lambda e: progress({**e, "stage": "targets"})  # noqa: E731
    targets = {m: make_targets(m, data.x_train, data.y_train, teacher, cfg.temperature,
                               cfg.transfer, cfg.transfer_size, cfg.seed, tag, should_stop)
               for m in cfg.methods()}
    stage("targets", 1.0, message=f"{len(targets[cfg.method].x)} training images for students")

    students, entries = {}, []
    for method in cfg.methods():
        for choice, label in zip(cfg.students, cfg.labels()):
            name = f"{label}.{method}"
            stage(f"student:{name}")
            student = make_student(choice.name, n_classes=data.n_classes, random_state=cfg.seed,
                                   **choice.params)
            seconds = fit_student(student, targets[method])
            students[name] = student
            entries.append(_student_entry(name, label, choice, student, method, seconds,
                                          len(targets[method].x)))
            stage(f"student:{name}", 1.0)

    stage("evaluate")
    teacher_proba = teacher.predict_proba(data.x_test)
    predictions = {"y_true": data.y_test, "x_test": data.x_test, "teacher_proba": teacher_proba}
    for entry in entries:
        proba = students[entry["name"]].predict_proba(data.x_test).astype(np.float32)
        predictions[f"proba_{entry['name']}"] = proba
        entry.update(model_metrics(data.y_test, teacher_proba, proba, data.n_classes))
    teacher_entry["test_accuracy"] = float(np.mean(teacher_proba.argmax(1) == data.y_test))
    stage("evaluate", 1.0)

    stage("save")
    metrics = {"dataset": data.name, "class_names": data.class_names,
               "n_train": len(data.x_train), "n_test": len(data.x_test),
               "image_shape": list(data.image_shape), "method": cfg.method,
               "temperature": cfg.temperature, "transfer": cfg.transfer,
               "transfer_size": cfg.transfer_size, "seed": cfg.seed,
               "teacher": teacher_entry, "students": entries,
               "total_seconds": round(clock.elapsed(), 2)}
    run_id = run_id or new_run_id(data.name)
    target = Path(out) if out else runs_dir() / run_id
    write_atomically(target, lambda tmp: _save(tmp, cfg, metrics, history, predictions, teacher,
                                               students, should_stop))
    progress({"stage": "save", "fraction": 1.0, "elapsed": clock.elapsed()})
    progress({"stage": "done", "run_id": target.name, "path": str(target),
              "elapsed": clock.elapsed()})
    return Run(target)


def _train_teacher(cfg: RunConfig, data: Dataset, progress: Reporter, should_stop: StopCheck):
    from .teacher import train_teacher  # torch loads here, not at import
    tcfg = TeacherConfig(**{**asdict(cfg.teacher), "seed": cfg.seed})
    check_stop(should_stop)
    progress({"stage": "teacher", "fraction": 0.0, "epoch": 0, "epochs": tcfg.epochs})
    teacher, history = train_teacher(tcfg, data.x_train, data.y_train, data.x_test, data.y_test,
                                     data.n_classes, progress, should_stop)
    entry = {"name": tcfg.arch, "arch": tcfg.arch, "epochs": tcfg.epochs,
             "parameters": teacher.n_parameters, "train_seconds": round(history.seconds, 2),
             "train_accuracy": float(np.mean(teacher.predict(data.x_train) == data.y_train)),
             "image_shape": list(data.image_shape), "n_classes": data.n_classes}
    return teacher, asdict(history), entry


def _student_entry(name: str, label: str, choice: StudentChoice, student, method: str,
                   seconds: float, n_fit: int) -> dict:
    spec = STUDENTS[choice.name]
    entry = {"name": name, "label": label, "student": choice.name, "kind": student.kind,
             "title": spec.title, "method": method, "params": student.get_params(),
             "fit_seconds": round(seconds, 3), "fit_samples": n_fit, **student.size()}
    entry["params"].pop("n_classes", None)
    return entry


def _save(folder: Path, cfg: RunConfig, metrics: dict, history: dict, predictions: dict,
          teacher, students: dict, should_stop: StopCheck) -> None:
    check_stop(should_stop)
    write_json(folder / "config.json", {**cfg.to_dict(), "versions": _versions()})
    write_json(folder / "meta.json", {"title": cfg.title or _default_title(metrics),
                                      "created": time.time()})
    write_json(folder / "history.json", history)
    np.savez_compressed(folder / "predictions.npz", **predictions)
    teacher.save(folder / "teacher.pt")
    (folder / "students").mkdir()
    for name, student in students.items():
        save_student(student, folder / "students" / f"{name}.npz")
    check_stop(should_stop)
    write_json(folder / "metrics.json", metrics)  # last: its presence marks a complete run


def _default_title(metrics: dict) -> str:
    t = metrics["teacher"]
    return f"{metrics['dataset']} · {t['arch']} {t['test_accuracy']:.1%} · {metrics['method']}"


def _versions() -> dict:
    import sklearn
    import torch
    return {"distill": __version__, "python": platform.python_version(),
            "torch": torch.__version__, "scikit-learn": sklearn.__version__,
            "numpy": np.__version__}
