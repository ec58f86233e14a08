"""Sweeps: one teacher, many students of many sizes, in parallel: "how small can the student be
and still agree with the network?".

``python -m distill sweep --student tree:max_leaf_nodes=8,16,32 --student soft-tree:depth=2,4
--method ground-truth,transfer --seeds 3`` trains the teacher once, makes its targets once per
seed (the transfer set and the teacher's labels of it, shared by every student of that seed),
then fits every student x method x seed as an independent task: on this machine's cores
(:class:`LocalPool`), or on a Ray cluster (:mod:`distill.cluster`). A sweep is saved as one
run, every student in ``metrics.json`` and ``predictions.npz`` with its size and seed, so every
page opens it; Compare draws its fidelity frontier.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .config import (
    ConfigError,
    RunConfig,
    StudentChoice,
    TeacherConfig,
    params_for,
)
from .distillation import (
    AUTO_METHOD,
    BASELINE,
    BOUNDARY,
    METHODS,
    Targets,
    fit_student,
    make_targets,
)
from .params import Param, ParamError, check_all
from .progress import Clock, Reporter, StopCheck, check_stop, never, silent
from .students import STUDENTS, make_student, spec_of
from .transfer import DEFAULT_TRANSFER

SWEEP_METHODS = tuple(m for m in METHODS if m not in (AUTO_METHOD, BOUNDARY))

SWEEP_PARAMS = {
    "seeds": Param("int", 1, 10, label="seeds", help="Repeats of every student with another "
                   "transfer set and training seed; the frontier shows their mean and spread."),
}
MAX_FITS = 400  # students x methods x seeds: a sweep is a question, not a search
DEFAULT_GRID = ("tree:max_leaf_nodes=8,16,32,64,128,256,512",
                "soft-tree:depth=2,3,4,5,6,7,8", "linear")


@dataclass
class StudentGrid:
    """A student and the values each swept parameter takes: one student a combination."""

    name: str
    params: dict[str, list] = field(default_factory=dict)

    def combinations(self) -> list[tuple[str, dict]]:
        """(label, parameters) of every combination: "tree-64", "soft-tree-4", "linear". The
        label names the values of the parameters that vary; fixed ones are in the params."""
        keys = list(self.params)
        varying = [k for k in keys if len(self.params[k]) > 1]
        out = []
        for values in itertools.product(*(self.params[k] for k in keys)):
            combo = dict(zip(keys, values))
            label = "-".join([self.name, *(_short(combo[k]) for k in varying)])
            out.append((label, combo))
        return out


def _short(value) -> str:
    return "none" if value is None else str(value).lower()


@dataclass(frozen=True)
class StudentTask:
    """One fit of a sweep."""

    name: str  # registry name
    label: str  # "tree-64"
    params: dict
    method: str
    seed: int

    @property
    def key(self) -> str:
        """Its name in the saved run: "tree-64.transfer.s0"."""
        return f"{self.label}.{self.method}.s{self.seed}"


@dataclass
class SweepConfig:
    dataset: str = "mnist5k"
    data_dir: str | None = None
    max_train: int | None = None
    max_test: int | None = None
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    students: list[StudentGrid] = field(default_factory=list)
    methods: list[str] = field(default_factory=lambda: [BASELINE, "transfer"])
    seeds: int = 1
    temperature: float = 4.0
    transfer: str = DEFAULT_TRANSFER
    transfer_size: int = 10
    transfer_labels: str = "auto"
    leaves: str = "teacher"
    seed: int = 0
    title: str | None = None

    def generators(self) -> tuple[str, ...]:
        """The transfer set the sweep makes (RunConfig.generators)."""
        return self.as_run().generators()

    @property
    def method(self) -> str:
        """The method the sweep is about (the first that is not the true-label baseline)."""
        return next((m for m in self.methods if m != BASELINE), BASELINE)

    def tasks(self) -> list[StudentTask]:
        return [StudentTask(g.name, label, params, method, self.seed + s)
                for g, combos in zip(self.students, self._labelled())
                for label, params in combos
                for method in self.methods for s in range(self.seeds)]

    def _labelled(self) -> list[list[tuple[str, dict]]]:
        """Each grid's combinations, labels numbered where two grids would share one."""
        seen: dict[str, int] = {}
        out = []
        for grid in self.students:
            combos = []
            for label, params in grid.combinations():
                seen[label] = seen.get(label, 0) + 1
                combos.append((label if seen[label] == 1 else f"{label}-{seen[label]}", params))
            out.append(combos)
        return out

    def as_run(self) -> RunConfig:
        """The run this sweep would be with one student of each grid: what data, teacher,
        memory and method checks and ETAs read."""
        students = [StudentChoice(g.name, dict(g.combinations()[-1][1])) for g in self.students]
        return RunConfig(dataset=self.dataset, data_dir=self.data_dir, max_train=self.max_train,
                         max_test=self.max_test, teacher=self.teacher, students=students,
                         method=self.method, temperature=self.temperature,
                         transfer=self.transfer,
                         transfer_size=self.transfer_size,
                         transfer_labels=self.transfer_labels, leaves=self.leaves,
                         seed=self.seed, title=self.title)

    def validate(self) -> None:
        problems = []
        try:
            self.as_run().validate()
        except ConfigError as err:
            problems += str(err).split("; ")
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown or not self.methods:
            problems.append(f"methods must be some of {', '.join(SWEEP_METHODS)}")
        elif AUTO_METHOD in self.methods:
            problems.append("a sweep compares the methods you name; auto chooses one per "
                            f"student, so name them instead ({', '.join(SWEEP_METHODS)})")
        problems += check_all(SWEEP_PARAMS, {"seeds": self.seeds})
        for g in self.students:
            for _, params in g.combinations():
                try:
                    make_student(g.name, **params)
                except (ParamError, ValueError) as err:
                    problems.append(str(err))
        fits = len(self.tasks())
        if fits > MAX_FITS:
            problems.append(f"this sweep fits {fits} students; at most {MAX_FITS} at once")
        if problems:
            raise ConfigError("; ".join(dict.fromkeys(problems)))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> SweepConfig:
        d = dict(d)
        d["teacher"] = TeacherConfig(**d.get("teacher", {}))
        d["students"] = [StudentGrid(**g) for g in d.get("students", [])]
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def parse_grid(spec: str) -> StudentGrid:
    """'tree:max_leaf_nodes=8,16,32,max_depth=4' -> StudentGrid; a value without '=' is one
    more value of the parameter before it. Every value is checked by its parameter."""
    name, _, rest = spec.partition(":")
    student = spec_of(name.strip())
    params: dict[str, list] = {}
    key = None
    for item in filter(None, (p.strip() for p in rest.split(","))):
        if "=" in item:
            key, _, value = item.partition("=")
            key = key.strip()
            params[key] = []
        elif key is None:
            raise ParamError(f"student option {item!r} should look like key=value")
        else:
            value = item
        params[key].append(student.parse(key, value))
    return StudentGrid(student.name, params)


def plan(cfg: SweepConfig) -> list[str]:
    return ["data", "teacher", "targets", "students", "evaluate", "saliency", "save"]


# --------------------------------------------------------------------------------------
# fitting, wherever it runs


def fit_task(task: StudentTask, arrays: dict[str, np.ndarray], n_classes: int,
             soft: bool, argmax_for_others: bool, dataset: str, temperature: float = 1.0,
             leaves: str = "teacher") -> dict:
    """Fit one student of a sweep; its test probabilities, size and learned state come back.
    Runs in a worker process or a Ray task: nothing here touches the run folder."""
    from .parallel import set_threads
    set_threads(1)  # a pool's workers share the cores; one thread each
    student = make_student(task.name, n_classes=n_classes, random_state=task.seed,
                           **params_for(StudentChoice(task.name, task.params), dataset))
    targets = Targets(arrays["x"], arrays["y"], argmax_for_others=argmax_for_others,
                      temperature=temperature)
    assert targets.soft == soft
    seconds = fit_student(student, targets, leaves=leaves)
    return {"task": task, "student": student, "seconds": seconds,
            "proba": student.predict_proba(arrays["x_test"]), "fit_samples": len(arrays["x"])}


class LocalPool:
    """Fits on this machine's cores, in worker processes. Shared arrays go through files that
    each worker maps, not through a pickle per task."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or max(1, os.cpu_count() or 1)

    def run(self, jobs: list[tuple[StudentTask, dict[str, np.ndarray], dict]],
            should_stop: StopCheck) -> Iterator[dict]:
        import multiprocessing as mp
        folder = Path(tempfile.mkdtemp(prefix="distill-sweep-"))
        try:
            files: dict[int, dict[str, str]] = {}
            for _, arrays, _ in jobs:
                key = id(arrays)
                if key not in files:
                    files[key] = {}
                    for name, array in arrays.items():
                        path = folder / f"{key}-{name}.npy"
                        np.save(path, array)
                        files[key][name] = str(path)
            with ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn")) as pool:
                pending = {pool.submit(_fit_from_files, task, files[id(arrays)], **options)
                           for task, arrays, options in jobs}
                while pending:
                    done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    if should_stop():
                        for future in pending:
                            future.cancel()
                        _terminate(pool)
                        check_stop(should_stop)
                    for future in done:
                        yield future.result()
        finally:
            import shutil
            shutil.rmtree(folder, ignore_errors=True)


def _fit_from_files(task: StudentTask, files: dict[str, str], **options) -> dict:
    arrays = {name: np.load(path, mmap_mode="r") for name, path in files.items()}
    return fit_task(task, arrays, **options)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now: a cancel must not wait for fits that never look up."""
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


# --------------------------------------------------------------------------------------
# the sweep


def run_sweep(cfg: SweepConfig, progress: Reporter = silent, should_stop: StopCheck = never,
              out: str | Path | None = None, run_id: str | None = None, pool=None):
    """Train the teacher, fit every student of the sweep, evaluate and save one run."""
    from .memory import check_memory
    from .pipeline import (
        evaluate_and_save,
        first_generator,
        load_data,
        stage_reporter,
        train_teacher_entry,
    )
    from .runs import check_output_place, new_run_id, runs_dir
    cfg.validate()
    run_id = run_id or new_run_id(cfg.dataset)
    target = Path(out) if out else runs_dir() / run_id
    check_output_place(target)
    check_memory(cfg.as_run())
    clock = Clock()
    progress({"stage": "plan", "stages": plan(cfg)})

    stage = stage_reporter(progress, should_stop, clock)
    data = load_data(cfg, stage)
    run_cfg = cfg.as_run()
    teacher, history, teacher_entry = train_teacher_entry(run_cfg, data, progress, should_stop)

    stage("targets")
    tasks = cfg.tasks()
    shared: dict[tuple[str, int], dict[str, np.ndarray]] = {}
    options: dict[tuple[str, int], dict] = {}
    for method, seed in sorted({(t.method, t.seed) for t in tasks}):
        check_stop(should_stop)
        seeded = seed if method == "transfer" else cfg.seed  # only a transfer set is random
        if (method, seeded) not in shared:
            t = make_targets(method, data.x_train, data.y_train, teacher, cfg.temperature,
                             first_generator(cfg), cfg.transfer_size, seeded,
                             cfg.transfer_labels)
            shared[(method, seeded)] = {"x": t.x, "y": t.y, "x_test": data.x_test}
            options[(method, seeded)] = {"n_classes": data.n_classes, "soft": t.soft,
                                         "argmax_for_others": t.argmax_for_others,
                                         "temperature": t.temperature, "leaves": cfg.leaves,
                                         "dataset": cfg.dataset}
        shared[(method, seed)] = shared[(method, seeded)]
        options[(method, seed)] = options[(method, seeded)]
    stage("targets", 1.0, message=f"{len(tasks)} students to fit")

    stage("students")
    from .metrics import model_metrics
    jobs = [(t, shared[(t.method, t.seed)], options[(t.method, t.seed)]) for t in tasks]
    teacher_proba = teacher.predict_proba(data.x_test)
    students, entries, probas = {}, [], {}
    for done, result in enumerate((pool or LocalPool()).run(jobs, should_stop), 1):
        task, student = result["task"], result["student"]
        students[task.key], probas[task.key] = student, result["proba"]
        entry = _entry(task, student, result)
        entry.update(model_metrics(data.y_test, teacher_proba, result["proba"], data.n_classes))
        entries.append(entry)
        progress({"stage": "result", "row": _row(entry)})
        stage("students", done / len(jobs))
    order = {t.key: i for i, t in enumerate(tasks)}
    entries.sort(key=lambda e: order[e["name"]])  # the sweep's order, not the finishing one
    sweep = {"kind": "sweep", "grid": [asdict(g) for g in cfg.students],
             "methods": list(cfg.methods), "seeds": cfg.seeds}
    return evaluate_and_save(cfg, data, teacher, history, teacher_entry, students, entries,
                             target, clock, progress, should_stop, extra=sweep, probas=probas)


def _entry(task: StudentTask, student, result: dict) -> dict:
    spec = STUDENTS[task.name]
    params = student.get_params()
    params.pop("n_classes", None)
    return {"name": task.key, "label": task.label, "student": task.name, "kind": student.kind,
            "title": spec.title, "short_title": spec.short, "method": task.method,
            "seed": task.seed, "params": params, "swept": dict(task.params),
            "fit_seconds": round(result["seconds"], 3), "fit_samples": result["fit_samples"],
            **student.size()}


def _row(entry: dict) -> dict:
    """A finished student, as the live table shows it."""
    return {"student": entry["label"], "method": entry["method"], "seed": entry["seed"],
            "leaves": entry.get("leaves"), "parameters": entry.get("parameters"),
            "agreement": entry["agreement"], "accuracy": entry["test_accuracy"],
            "seconds": entry["fit_seconds"]}
