"""One experiment from start to saved run: data, teacher, targets, students, evaluation, save.

``run_experiment`` is what the CLI, the dashboard's worker and the benchmarks all call. It
reports each stage through the progress callback and stops between (and inside) stages when
asked; a stopped run saves nothing.
"""

from __future__ import annotations

import platform
import threading
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from . import __version__
from .auto import (
    Candidate,
    Choice,
    Pool,
    Split,
    auto_splits,
    candidates,
    choose,
    confirms,
    copies_for,
    transfer_set_apart,
)
from .boundary import fit_boundary, rounds_entry
from .config import (
    ConfigError,
    Model,
    RunConfig,
    StudentChoice,
    TeacherConfig,
    params_for,
    plan,
)
from .data import Dataset, info_or_none, load_dataset
from .deskew import deskew as straighten
from .distillation import (
    AUTO_METHOD,
    BASELINE,
    BOUNDARY,
    TRANSFER_METHODS,
    Targets,
    fit_student,
    make_targets,
    training_images,
)
from .memory import check_memory
from .metrics import model_metrics
from .progress import Clock, Reporter, StopCheck, check_stop, never, silent
from .runs import (
    Run,
    RunError,
    check_output_place,
    keep_unsaved,
    new_run_id,
    runs_dir,
    save_student,
    write_atomically,
    write_json,
    write_saliency,
)
from .students import STUDENTS, make_student


def stage_reporter(progress: Reporter, should_stop: StopCheck, clock: Clock):
    """``stage(name, fraction, **extra)``: stop here if asked, else report the stage's progress
    with the time since ``clock`` started (every run and sweep reports through one)."""
    def stage(name: str, fraction: float = 0.0, **extra) -> None:
        check_stop(should_stop)
        progress({"stage": name, "fraction": fraction, "elapsed": clock.elapsed(), **extra})
    return stage


def load_data(cfg, stage) -> Dataset:
    """The data stage of a run or a sweep: the configured data set, reported as a stage."""
    stage("data")
    data = load_dataset(cfg.dataset, cfg.data_dir, cfg.max_train, cfg.max_test)
    stage("data", 1.0, message=data.summary())
    return data


def run_experiment(cfg: RunConfig, progress: Reporter = silent, should_stop: StopCheck = never,
                   out: str | Path | None = None, run_id: str | None = None,
                   teacher=None) -> Run:
    """Train, distil, evaluate and save; returns the saved run. ``teacher``: a teacher made
    elsewhere (distill.teachers, or a trained distill.teacher.Teacher) to distil instead of
    training one (Python only: a job's configuration names an ONNX file instead)."""
    cfg.validate()
    run_id = run_id or new_run_id(cfg.dataset)
    target = Path(out) if out else runs_dir() / run_id
    check_output_place(target)  # before any training: never lose finished work to a bad path
    check_memory(cfg)
    clock = Clock()
    progress({"stage": "plan", "stages": plan(cfg)})
    stage = stage_reporter(progress, should_stop, clock)
    data = load_data(cfg, stage)
    models = cfg.models()
    early = [m for m in models if m.method == BASELINE and not m.trains_in_epochs]
    with Beside(lambda report, stop: before_the_teacher(cfg, data, early, stop), should_stop,
                run=cfg.needs_teacher) as ahead:  # on the core the teacher leaves free
        if cfg.needs_teacher and teacher is not None:
            teacher, history, teacher_entry = checked_teacher_entry(teacher, cfg, data,
                                                                    progress)
            images, fitted = ahead.wait(lambda fraction: check_stop(should_stop))
        elif cfg.needs_teacher:
            teacher, history, teacher_entry = train_teacher_entry(cfg, data, progress,
                                                                  should_stop)
            images, fitted = ahead.wait(lambda fraction: check_stop(should_stop))
        else:  # the true labels only: no network to train, nothing to follow
            teacher, history, teacher_entry = None, {}, None
            images, fitted = {}, {}
    stage("targets")
    tag = lambda e: progress({**e, "stage": "targets"})  # noqa: E731
    targets = {m: make_targets(m, data.x_train, data.y_train, teacher, cfg.temperature,
                               first_generator(cfg), cfg.transfer_size, cfg.seed,
                               cfg.transfer_labels, tag, should_stop, images=images.get(m))
               for m in cfg.methods() if m != AUTO_METHOD}
    for method, t in targets.items():
        if not t.soft and len(np.unique(t.y)) < 2:
            raise ConfigError(f"the {method} targets hold a single class: the teacher predicts "
                              f"{int(t.y[0])} for every training image; train it for more epochs")
    chooser = None
    if cfg.method == AUTO_METHOD:
        pool = Pool(data.x_train, data.y_train, images[AUTO_METHOD], teacher, cfg.temperature,
                    cfg.transfer_labels)
        stage("targets", 1.0, message=f"{len(cfg.generators())} transfer sets of "
              f"{cfg.transfer_size}x the training images")
        stage("choose")
        chooser = Chooser(cfg, data, pool, models, progress, should_stop)
        stage("choose", 1.0, message=chooser.summary())
    else:
        stage("targets", 1.0, message=f"{len(targets[cfg.method].x)} training images for "
              "students")

    with Beside(lambda report, stop: teacher_maps(teacher, data.x_test, report, stop),
                should_stop, run=teacher is not None) as maps:  # while the students fit
        students, entries = {}, []
        for model in models:
            stage(f"student:{model.name}")
            if model.name not in fitted and model.method == AUTO_METHOD:
                chooser.fit(model, fitted)
            elif model.name not in fitted and model.method == BOUNDARY:
                fitted[model.name] = fit_boundary_model(model, cfg, data, targets[BOUNDARY],
                                                        teacher, progress, should_stop)
            elif model.name not in fitted:
                fitted[model.name] = fit_model(model, cfg, data, targets[model.method],
                                               progress, should_stop)
            students[model.name], entry = fitted[model.name]
            entries.append(entry)
            stage(f"student:{model.name}", 1.0)
        return evaluate_and_save(cfg, data, teacher, history, teacher_entry, students, entries,
                                 target, clock, progress, should_stop, saliency=maps,
                                 auto=chooser.record() if chooser else None)


def first_generator(cfg: RunConfig) -> str:
    """The transfer set ``--method transfer`` makes (any generator for the other methods,
    which make none)."""
    return (cfg.generators() or ("elastic",))[0]


def new_student(model: Model, cfg: RunConfig, data: Dataset):
    """A fresh, unfitted student for ``model``, with its parameters on this data set."""
    return make_student(model.choice.name, n_classes=data.n_classes, random_state=cfg.seed,
                        **params_for(model.choice, cfg.dataset))


class Chooser:
    """``--method auto`` in a run (:mod:`distill.auto`): chooses every auto student's method
    when made, then fits each on its choice over the whole training set (on a large one, every
    image but the held-out ones, confirming the choice there first). A student whose choice is
    the true labels is its baseline's fit, shared (same images, labels and seed)."""

    def __init__(self, cfg: RunConfig, data: Dataset, pool: Pool, models: list[Model],
                 progress: Reporter, should_stop: StopCheck):
        self.cfg, self.data, self.pool = cfg, data, pool
        self.progress, self.should_stop = progress, should_stop
        self.models = [m for m in models if m.method == AUTO_METHOD]
        self.splits = splits_for(cfg, data)
        self.options = candidates(cfg.generators())
        start = time.perf_counter()
        makers = {m.name: (lambda m=m: new_student(m, cfg, data)) for m in self.models}
        tag = lambda e: progress(  # noqa: E731  (the stage itself reports its end)
            {**e, "stage": "choose", "fraction": 0.98 * e.get("fraction", 0)})
        self.choices: dict[str, Choice] = choose(makers, pool, self.splits, self.options,
                                                 cfg.leaves, tag, should_stop)
        self.seconds = time.perf_counter() - start
        n, held = len(data.y_train), self.splits[0].held
        self.rows = (np.setdiff1d(np.arange(n), held)  # what a confirmed fit reads
                     if len(self.splits) == 1 and confirms(n, len(held)) else None)
        self._targets: dict = {}  # a candidate's targets, while a later student needs them

    def summary(self) -> str:
        chosen = [f"{m.label}: {self.choices[m.name].candidate.label}" for m in self.models]
        return f"chose in {self.seconds:.0f}s: " + ", ".join(chosen)

    def fit(self, model: Model, fitted: dict) -> None:
        """Fit ``model`` on its choice into ``fitted`` (its baseline's too, when shared)."""
        choice = self.choices[model.name]
        fit = None
        if choice.candidate.method != BASELINE:
            fit = self._fit_chosen(model, choice)
        if fit is None:  # the true labels: the baseline's own fit
            twin = f"{model.label}.{BASELINE}"
            if twin not in fitted:
                fitted[twin] = fit_model(Model(twin, model.label, model.choice, BASELINE),
                                         self.cfg, self.data, self.pool.targets(choice.candidate),
                                         self.progress, self.should_stop)
            student, entry = fitted[twin]
            fit = student, {**entry, "name": model.name, "method": AUTO_METHOD}
        student, entry = fit
        entry["chosen"] = choice.to_dict()
        fitted[model.name] = (student, entry)
        later = {self.choices[m.name].candidate for m in self.models if m.name not in fitted}
        self._targets = {c: t for c, t in self._targets.items() if c in later}

    def _fit_chosen(self, model: Model, choice: Choice) -> tuple[object, dict] | None:
        """The chosen candidate's fit; on a large training set only if it still beats the true
        labels fitted on the same images (None if not)."""
        candidate = choice.candidate
        if candidate not in self._targets:
            self._targets[candidate] = self.pool.targets(candidate, self.rows)
        if self.rows is None:
            return fit_model(model, self.cfg, self.data, self._targets[candidate],
                             self.progress, self.should_stop)
        share = lambda lo, hi: lambda e: self.progress(  # noqa: E731  (two fits, one bar)
            {**e, "fraction": lo + (hi - lo) * e.get("fraction", 0)})
        start = time.perf_counter()
        truth, _ = fit_model(Model(model.name, model.label, model.choice, BASELINE), self.cfg,
                             self.data, self.pool.targets(Candidate(BASELINE), self.rows),
                             share(0, 0.3), self.should_stop)
        extra = time.perf_counter() - start  # what confirming adds: the true labels' fit
        student, entry = fit_model(model, self.cfg, self.data, self._targets[candidate],
                                   share(0.3, 1), self.should_stop)
        held = self.splits[0].held  # one split: confirming is for large training sets
        held_x = self.pool.x[held]
        teacher_says = self.pool.answers["train"](held).argmax(1)
        kept = choice.confirm(teacher_says, truth.predict(held_x), student.predict(held_x),
                              len(self.rows), extra)
        return (student, entry) if kept else None

    def record(self) -> dict:
        """What metrics.json keeps of the choosing, beside each student's own choice."""
        fitted_on = max(len(s.fit) for s in self.splits)
        return {"candidates": [c.label for c in self.options],
                "held_out": sum(len(s.held) for s in self.splits), "fitted_on": fitted_on,
                "copies": copies_for(self.pool, fitted_on), "seconds": round(self.seconds, 2),
                **({"folds": len(self.splits)} if len(self.splits) > 1 else {}),
                **({"confirmed_on": len(self.rows), "confirm_seconds": round(sum(
                    c.confirmed["seconds"] for c in self.choices.values() if c.confirmed), 2)}
                   if self.rows is not None else {})}


def fit_model(model: Model, cfg: RunConfig, data: Dataset, targets, progress: Reporter,
              should_stop: StopCheck) -> tuple[object, dict]:
    """Fit one student on its method's targets; returns it and its entry in metrics.json."""
    student = new_student(model, cfg, data)
    tag = lambda e: progress(  # noqa: E731
        {**e, "stage": f"student:{model.name}", "fraction": 0.98 * e.get("fraction", 0)})
    seconds = fit_student(student, targets, tag, should_stop, cfg.leaves)
    return student, _student_entry(model.name, model.label, model.choice, student,
                                   model.method, seconds, len(targets.x))


def fit_boundary_model(model: Model, cfg: RunConfig, data: Dataset, targets, teacher,
                       progress: Reporter, should_stop: StopCheck) -> tuple[object, dict]:
    """Fit one student by the boundary method (distill.boundary): the transfer set, then
    rounds of its edits labelled by the teacher; its entry records each round."""
    stage = f"student:{model.name}"
    tag = lambda e: progress({**e, "stage": stage,  # noqa: E731
                              "fraction": 0.98 * e.get("fraction", 0)})
    start = time.perf_counter()
    student, final, rounds = fit_boundary(
        lambda: new_student(model, cfg, data),
        lambda s, t: fit_student(s, t, silent, should_stop, cfg.leaves), targets, teacher,
        data.x_train, cfg.rounds, cfg.boundary_sample, cfg.boundary_seconds, cfg.seed, tag,
        should_stop, cfg.boundary_source)
    entry = _student_entry(model.name, model.label, model.choice, student, model.method,
                           time.perf_counter() - start, len(final.x))
    entry["boundary_rounds"] = rounds_entry(rounds)
    return student, entry


def splits_for(cfg: RunConfig, data: Dataset) -> list[Split]:
    """The held-out parts that judge auto's candidates, and what they fit on: one derivation
    for the chooser and for the transfer copies that must keep them apart."""
    return auto_splits(data.y_train, cfg.seed, int(np.prod(data.x_train.shape[1:])))


def before_the_teacher(cfg: RunConfig, data: Dataset, early: list[Model],
                       should_stop: StopCheck) -> tuple[dict, dict]:
    """What a run needs no teacher for, done while the teacher trains (torch leaves part of
    the second core idle): the baseline students that fit in numpy, then the distilling
    method's training images, straightened once for the students that read them so (the
    straightening remembers the last large set). Returns (images by method, fitted by name)."""
    baseline = Targets(data.x_train, data.y_train)
    fitted = {m.name: fit_model(m, cfg, data, baseline, silent, should_stop) for m in early}
    if cfg.method == AUTO_METHOD:  # the copies alone, of each candidate generator
        held = [s.held for s in splits_for(cfg, data)]  # the parts that will judge them
        return {AUTO_METHOD: {g: transfer_set_apart(data.x_train, held, g, cfg.transfer_size,
                                                    cfg.seed, silent, should_stop)
                              for g in cfg.generators()}}, fitted
    images = {cfg.method: training_images(cfg.method, data.x_train, first_generator(cfg),
                                          cfg.transfer_size, cfg.seed, silent, should_stop)}
    check_stop(should_stop)
    if any(params_for(choice, cfg.dataset).get("deskew") for choice in cfg.students):
        straighten(images[cfg.method])
    return images, fitted


def teacher_maps(teacher, x_test: np.ndarray, report: Reporter = silent,
                 should_stop: StopCheck = never) -> np.ndarray:
    """Every test digit's teacher evidence for the teacher's own answer (float16)."""
    from .explain.saliency import saliency_maps  # torch, like the teacher
    return saliency_maps(teacher, x_test, teacher.predict(x_test), progress=report,
                         should_stop=should_stop)


class Beside:
    """``work(report, should_stop)`` on a thread of its own while the run goes on: numpy work
    beside the teacher's training, the teacher's maps beside the students (torch and numpy
    release the GIL). Leaving the ``with`` block early (an error, a stop) stops it."""

    def __init__(self, work, should_stop: StopCheck = never, run: bool = True):
        self.fraction, self.result, self.error, self.run = 0.0, None, None, run
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(work, should_stop),
                                        name="beside", daemon=True)

    def _run(self, work, should_stop: StopCheck) -> None:
        try:
            self.result = work(self._report, lambda: self._stop.is_set() or should_stop())
        except BaseException as err:  # handed to the run's thread by wait()
            self.error = err

    def _report(self, event: dict) -> None:
        self.fraction = float(event.get("fraction") or 0.0)

    def __enter__(self) -> Beside | None:
        if not self.run:
            return None
        self._thread.start()
        return self

    def __exit__(self, error_type, *_) -> None:
        self._stop.set()
        if self.run and error_type is None:  # a stop or an error waits for nothing: the work
            self._thread.join()  # sees the stop at its next check and its result is dropped

    def wait(self, report) -> object:
        """The result, reporting ``report(fraction)`` while it is still being computed."""
        while self._thread.is_alive():
            report(self.fraction)
            self._thread.join(0.2)
        if self.error is not None:
            raise self.error
        return self.result


def evaluate_and_save(cfg, data: Dataset, teacher, history: dict, teacher_entry: dict,
                      students: dict, entries: list[dict], target: Path, clock: Clock,
                      progress: Reporter, should_stop: StopCheck, extra: dict | None = None,
                      probas: dict[str, np.ndarray] | None = None,
                      saliency: Beside | None = None, auto: dict | None = None) -> Run:
    """The stages every run ends with: score every student on the test set, the teacher's
    evidence for every test digit (computed here, or by ``saliency`` beside the students),
    and an atomic save (kept elsewhere if it fails)."""
    stage = stage_reporter(progress, should_stop, clock)

    stage("evaluate")
    predictions = {"y_true": data.y_test, "x_test": data.x_test}
    teacher_proba = None
    if teacher is not None:
        teacher_proba = predictions["teacher_proba"] = teacher.predict_proba(data.x_test)
        teacher_entry["test_accuracy"] = float(np.mean(teacher_proba.argmax(1) == data.y_test))
    for entry in entries:
        proba = (probas or {}).get(entry["name"])
        if proba is None:
            proba = students[entry["name"]].predict_proba(data.x_test)  # float64: exact argmax
        predictions[f"proba_{entry['name']}"] = proba
        entry.update(model_metrics(data.y_test, teacher_proba, proba, data.n_classes))
    stage("evaluate", 1.0)
    if teacher is not None and getattr(cfg, "local_fidelity", 0) and not extra:
        measure_local_fidelity(cfg, data, teacher, teacher_proba, students, entries, stage)

    maps = None
    if teacher is not None:
        stage("saliency")  # every test digit's teacher evidence, once: pages need no network
        if saliency is None:
            maps = teacher_maps(teacher, data.x_test, progress, should_stop)
        else:
            maps = saliency.wait(lambda f: stage("saliency", min(f, 0.99)))
        stage("saliency", 1.0)

    stage("save")
    metrics = {"dataset": data.name, "class_names": data.class_names,
               "n_train": len(data.x_train), "n_test": len(data.x_test),
               "image_shape": list(data.image_shape), "method": cfg.method,
               "temperature": cfg.temperature,
               "transfer": (first_generator(cfg) if cfg.method in TRANSFER_METHODS
                            else cfg.transfer),
               **({"rounds": cfg.rounds, "boundary_sample": cfg.boundary_sample,
                   "boundary_seconds": cfg.boundary_seconds,
                   "boundary_source": cfg.boundary_source} if cfg.method == BOUNDARY else {}),
               **({"transfer_sets": list(cfg.generators()), "auto": auto} if auto else {}),
               "transfer_size": cfg.transfer_size, "transfer_labels": cfg.transfer_labels,
               "leaves": cfg.leaves,
               "seed": cfg.seed,
               "teacher": teacher_entry, "students": entries,
               **({"sweep": extra} if extra else {}),
               "total_seconds": round(clock.elapsed(), 2)}
    def fill(folder: Path) -> None:
        _save(folder, cfg, metrics, history, predictions, teacher, students, should_stop)
        if maps is not None:
            write_saliency(folder, maps)

    try:
        write_atomically(target, fill)
    except OSError as err:
        kept = keep_unsaved(fill, target.name)
        raise RunError(f"could not save the run in {target} ({err.strerror or err}); it was "
                       f"kept in {kept}: move that folder into your runs folder to use "
                       "it") from None
    progress({"stage": "save", "fraction": 1.0, "elapsed": clock.elapsed()})
    progress({"stage": "done", "run_id": target.name, "path": str(target),
              "elapsed": clock.elapsed()})
    return Run(target)


def measure_local_fidelity(cfg, data: Dataset, teacher, teacher_proba: np.ndarray,
                           students: dict, entries: list[dict], stage) -> None:
    """Each student's local fidelity (distill.explain.local_fidelity) into its entry."""
    from .explain.local_fidelity import measure_students
    stage("local fidelity")
    figures = measure_students(students, teacher, data.x_test, teacher_proba.argmax(1),
                               cfg.local_fidelity,
                               lambda e: stage("local fidelity", min(e["fraction"], 0.99)))
    for entry in entries:
        entry.update(figures[entry["name"]])
    stage("local fidelity", 1.0)


def train_teacher_entry(cfg: RunConfig, data: Dataset, progress: Reporter,
                        should_stop: StopCheck):
    """Train the run's teacher (or load the user's: ``cfg.teacher_file``); returns it, its
    curves and its entry in metrics.json."""
    if cfg.teacher_file is not None:
        return imported_teacher_entry(cfg, data, progress)
    from .teacher import train_teacher  # torch loads here, not at import
    tcfg = TeacherConfig(**{**asdict(cfg.teacher), "seed": cfg.seed})
    check_stop(should_stop)
    progress({"stage": "teacher", "fraction": 0.0, "epoch": 0, "epochs": tcfg.epochs})
    info = info_or_none(data.name)
    teacher, history = train_teacher(tcfg, data.x_train, data.y_train, data.x_test, data.y_test,
                                     data.n_classes, progress, should_stop,
                                     jitter=info.jitter if info else "affine")
    entry = {"name": tcfg.arch, "arch": tcfg.arch, "epochs": tcfg.epochs,
             "parameters": teacher.n_parameters, "train_seconds": round(history.seconds, 2),
             "train_accuracy": float(np.mean(teacher.predict(data.x_train) == data.y_train)),
             "image_shape": list(data.image_shape), "n_classes": data.n_classes}
    return teacher, asdict(history), entry


CHANCE_FACTOR = 1.5  # a teacher within this factor of guessing is taken to read nothing


def imported_teacher_entry(cfg: RunConfig, data: Dataset, progress: Reporter):
    """The user's network from an ONNX file, checked against the data set and measured on
    its test split first: a mismatch (layout, scale, class order) is the usual failure, and a
    teacher at chance level stops the run here unless ``cfg.insist``."""
    from .teachers import OnnxTeacher, TeacherFileError
    progress({"stage": "teacher", "fraction": 0.0, "message": "loading your network"})
    try:
        teacher = OnnxTeacher(cfg.teacher_file, cfg.teacher_input, cfg.teacher_output,
                              image_shape=data.image_shape)
    except TeacherFileError as err:
        raise ConfigError(str(err)) from None
    return checked_teacher_entry(teacher, cfg, data, progress)


def checked_teacher_entry(teacher, cfg: RunConfig, data: Dataset, progress: Reporter):
    """A teacher made elsewhere, checked against the data set and measured on its test split
    before anything is distilled."""
    from .teachers import TeacherFileError
    if not hasattr(teacher, "entry"):  # a network trained here, handed over in Python
        return teacher, {}, {"name": teacher.arch, "arch": teacher.arch, "epochs": 0,
                             "parameters": teacher.n_parameters, "train_seconds": 0.0,
                             "image_shape": list(data.image_shape),
                             "n_classes": data.n_classes, "train_accuracy": float(np.mean(
                                 teacher.predict(data.x_train) == data.y_train))}
    try:
        teacher.check_data(data.image_shape, data.n_classes)
    except TeacherFileError as err:
        raise ConfigError(str(err)) from None
    accuracy = float(np.mean(teacher.predict(data.x_test) == data.y_test))
    chance = CHANCE_FACTOR * max(1 / data.n_classes,
                                 np.bincount(data.y_test).max() / len(data.y_test))
    if accuracy <= chance and not cfg.insist:
        raise ConfigError(teacher_at_chance(teacher, data, accuracy, cfg.teacher_input))
    progress({"stage": "teacher", "fraction": 1.0, "test_accuracy": accuracy,
              "message": f"your network reads {accuracy:.1%} of the test images right"})
    entry = {**teacher.entry(), "epochs": 0, "train_seconds": 0.0,
             "train_accuracy": float(np.mean(teacher.predict(data.x_train) == data.y_train))}
    return teacher, {}, entry


def teacher_at_chance(teacher, data: Dataset, accuracy: float, scale: str) -> str:
    """Why a run stops at a teacher that reads nothing, and which preprocessing would do
    better, tried on a few test images."""
    from .teachers import OnnxTeacher
    if getattr(teacher, "kind", None) != "onnx":
        return (f"your network reads only {accuracy:.1%} of the test images right, about what "
                "guessing does: check how its input is prepared and its class order; to "
                "distil it anyway, insist (insist=True)")
    sample = data.x_test[:500], data.y_test[:500]
    better = []
    for other in ("0-1", "0-255", "0.1307,0.3081", "0.5,0.5"):
        if other == scale:
            continue
        trial = OnnxTeacher(teacher.path, other, teacher.info.output_name,
                            image_shape=teacher.image_shape)
        score = float(np.mean(trial.predict(sample[0]) == sample[1]))
        if score > 2 * accuracy:
            better.append(f"--teacher-input {other} reads {score:.0%}")
    hint = ("; " + ", ".join(better)) if better else (
        "; check the input scale (--teacher-input), the image layout and the class order "
        "(labels.txt)")
    return (f"your network reads only {accuracy:.1%} of the test images right, about what "
            f"guessing does: its input is probably prepared otherwise than it was trained on"
            f"{hint}. To distil it anyway, insist (--insist)")


def _student_entry(name: str, label: str, choice: StudentChoice, student, method: str,
                   seconds: float, n_fit: int) -> dict:
    spec = STUDENTS[choice.name]
    entry = {"name": name, "label": label, "student": choice.name, "kind": student.kind,
             "title": spec.title, "short_title": spec.short, "method": method,
             "params": student.get_params(),
             "fit_seconds": round(seconds, 3), "fit_samples": n_fit, **student.size()}
    entry["params"].pop("n_classes", None)
    return entry


def _save(folder: Path, cfg, metrics: dict, history: dict, predictions: dict,
          teacher, students: dict, should_stop: StopCheck) -> None:
    check_stop(should_stop)
    kind = "sweep" if "sweep" in metrics else "run"
    write_json(folder / "config.json", {**cfg.to_dict(), "kind": kind,
                                        "versions": _versions()})
    write_json(folder / "meta.json", {"title": cfg.title or _default_title(metrics),
                                      "created": time.time()})
    write_json(folder / "history.json", history)
    np.savez_compressed(folder / "predictions.npz", **predictions)
    if teacher is not None:
        save_teacher(teacher, folder)
    (folder / "students").mkdir()
    for name, student in students.items():
        save_student(student, folder / "students" / name)
    check_stop(should_stop)
    write_json(folder / "metrics.json", metrics)  # last: its presence marks a complete run


def save_teacher(teacher, folder: Path) -> None:
    """A trained network's weights (teacher.pt); the user's ONNX file itself (teacher.onnx),
    so the run reopens anywhere; nothing for a Python function (its answers are saved)."""
    kind = getattr(teacher, "kind", "torch")
    if kind == "onnx":
        import shutil
        shutil.copyfile(teacher.path, folder / "teacher.onnx")
    elif kind == "torch":
        teacher.save(folder / "teacher.pt")


def _default_title(metrics: dict) -> str:
    t = metrics["teacher"]
    what = "sweep" if "sweep" in metrics else metrics["method"]
    if t is None:
        return f"{metrics['dataset']} · no teacher · {what}"
    return f"{metrics['dataset']} · {t.get('name', t['arch'])} {t['test_accuracy']:.1%} · {what}"


def _versions() -> dict:
    import sklearn
    import torch
    return {"distill": __version__, "python": platform.python_version(),
            "torch": torch.__version__, "scikit-learn": sklearn.__version__,
            "numpy": np.__version__}
