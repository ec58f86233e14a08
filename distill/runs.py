"""Saved runs: one directory each, written atomically, listed newest first, loaded safely.

Layout of a run directory::

    config.json       what was asked for (RunConfig) and library versions
    metrics.json      teacher and student numbers (recomputable from predictions.npz)
    history.json      the teacher's training curves
    meta.json         title and creation time (rename rewrites only this)
    predictions.npz   y_true, x_test, teacher_proba, proba_<student> (test split order)
    saliency.npz      the teacher's integrated gradients of every test digit, for its answer
    teacher.pt        the teacher's weights (loaded with weights_only=True)
    students/<name>.npz  each student's parameters and learned arrays, no pickle

Nothing here unpickles: numpy loads with ``allow_pickle=False``, torch with
``weights_only=True``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle  # only its error: torch.load(weights_only=True) raises it
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .layout import (
    LOCAL_FIDELITY,
    LayoutError,
    check_follows,
    check_meta,
    check_metrics,
    check_predictions,
    check_saliency,
)
from .places import PROJECT_DIR, runs_dir  # noqa: F401  (where runs live; re-exported)
from .progress import Reporter, silent

BUNDLED_RUNS_DIR = Path(os.environ.get("DISTILL_BUNDLED_RUNS_DIR") or
                        PROJECT_DIR / "assets" / "runs")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
TMP_PREFIX = ".tmp-"
FOLLOWS_FILE = "follows.json"  # the teacher-follows figures (distill.explain.follows)


class RunError(RuntimeError):
    """A run is missing, damaged or cannot be changed."""


class RunGone(RunError):
    """A run that was there and has been deleted (or moved) since."""


def new_run_id(dataset: str, when: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when or time.time()))
    return f"{stamp}-{dataset}-{os.urandom(2).hex()}"


def check_run_id(run_id: str) -> str:
    if not RUN_ID.match(run_id or ""):
        raise RunError(f"{run_id!r} is not a valid run id (letters, digits, '.', '_', '-')")
    return run_id


def write_atomically(target: Path, fill: Callable[[Path], None]) -> Path:
    """Create directory ``target`` by filling a hidden temporary sibling, then renaming it.

    A run killed mid-way leaves only a ``.tmp-*`` folder, which listing ignores and
    :func:`clean_temporary` removes; never a half run under the real name.
    """
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise RunError(f"{target} already exists and is not empty; choose another --out folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f"{TMP_PREFIX}{target.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        fill(tmp)
        if target.exists():
            target.rmdir()  # an empty folder the user made for --out
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def check_output_place(target: Path) -> None:
    """Refuse, before any work, a place a run could not be saved in: an existing file or a
    folder that is not empty, a path under a file, a folder that cannot be written."""
    target = Path(target)
    if target.is_file():
        raise RunError(f"{target} is a file; choose a folder that does not exist yet")
    if target.is_dir() and any(target.iterdir()):
        raise RunError(f"{target} already exists and is not empty; choose another folder")
    ancestor = target.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise RunError(f"cannot save in {target}: {ancestor} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as err:
        raise RunError(f"cannot save in {target}: {ancestor} cannot be written "
                       f"({err.strerror or err})") from None


def keep_unsaved(fill: Callable[[Path], None], run_id: str) -> Path:
    """Write a run that could not be saved where asked into a new temporary folder, so the
    training is not lost; returns where it is."""
    folder = Path(tempfile.mkdtemp(prefix=f"distill-unsaved-{run_id}-"))
    fill(folder)
    return folder


def clean_temporary(folder: Path, older_than: float = 3600.0) -> None:
    """Remove leftovers of runs killed while saving."""
    if not folder.is_dir():
        return
    for p in folder.glob(TMP_PREFIX + "*"):
        if time.time() - p.stat().st_mtime > older_than:
            shutil.rmtree(p, ignore_errors=True)


def write_json(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=2, default=_json_default))
    os.replace(tmp, path)


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def read_json(path: Path, label: str | None = None) -> dict:
    """A JSON file's contents; RunError naming it as ``label`` (a run's messages name the run
    and the file inside it, never the server's folders) when it is missing or damaged."""
    label = label or str(path)
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError as err:
        raise RunError(f"{label} is missing: the run is incomplete") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RunError(f"{label} is damaged ({err})") from err


def write_saliency(folder: Path, maps: np.ndarray) -> None:
    """The teacher's evidence maps beside a run's files, written atomically (float16)."""
    from .explain.saliency import STEPS
    tmp = folder / f"{TMP_PREFIX}saliency-{os.getpid()}.npz"
    np.savez_compressed(tmp, teacher_ig=maps.astype(np.float16), steps=np.array(STEPS))
    os.replace(tmp, folder / "saliency.npz")


# --------------------------------------------------------------------------------------
# Students on disk


def save_student(student, path: Path) -> Path:
    """Parameters as JSON text and learned arrays, without pickle.

    scikit-learn-based students go to ``<path>.npz``; torch students (``torch_state``) to
    ``<path>.pt`` as plain tensors, loaded back with ``weights_only=True``.
    """
    stem = _stem(path)
    meta = json.dumps({"kind": student.kind, "class": type(student).__name__,
                       "params": student.get_params()}, default=_json_default)
    state = student.get_state()
    if getattr(student, "torch_state", False):
        import torch
        target = stem.parent / (stem.name + ".pt")
        torch.save({"meta": meta, "state": {k: torch.as_tensor(np.asarray(v))
                                            for k, v in state.items()}}, target)
        return target
    target = stem.parent / (stem.name + ".npz")
    np.savez_compressed(target, __meta__=np.array(meta),
                        **{f"state.{k}": np.asarray(v) for k, v in state.items()})
    return target


def load_student(path: Path):
    """A saved student from ``<path>.npz`` or ``<path>.pt`` (never unpickled)."""
    stem = _stem(path)
    pt, npz = stem.parent / (stem.name + ".pt"), stem.parent / (stem.name + ".npz")
    try:
        if pt.exists():
            import torch
            blob = torch.load(pt, map_location="cpu", weights_only=True)
            meta = json.loads(blob["meta"])
            state = {k: v.numpy() for k, v in blob["state"].items()}
        else:
            with np.load(npz, allow_pickle=False) as z:
                meta = json.loads(str(z["__meta__"]))
                state = {k[len("state."):]: z[k] for k in z.files if k.startswith("state.")}
    except FileNotFoundError:
        raise RunError(f"students/{stem.name} is missing") from None
    except (OSError, ValueError, KeyError, RuntimeError, EOFError, zipfile.BadZipFile,
            pickle.UnpicklingError) as err:
        raise RunError(f"students/{stem.name} is damaged ({_what(err)})") from None
    from .students import class_for
    try:
        cls = class_for(meta)
        known = set(cls().get_params())  # files from older versions may carry retired settings
        return cls(**{k: v for k, v in meta["params"].items() if k in known}).set_state(state)
    except (KeyError, ValueError, TypeError, RuntimeError) as err:
        raise RunError(f"students/{stem.name} is damaged ({_what(err)})") from None


def _what(err: BaseException) -> str:
    """An exception in a few words: its kind and, shortened, its message."""
    text = str(err).splitlines()[0][:120] if str(err) else ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _stem(path: Path) -> Path:
    """The path without a student file extension; names hold dots ("tree.transfer")."""
    path = Path(path)
    for ext in (".npz", ".pt"):
        if path.name.endswith(ext):
            return path.parent / path.name[:-len(ext)]
    return path


# --------------------------------------------------------------------------------------
# Runs


@dataclass
class Run:
    """A saved run; heavy parts load on first use."""

    path: Path
    bundled: bool = False

    def __post_init__(self) -> None:
        self.path = Path(self.path)  # a str from a script or the command line will do
        self._answers: dict[str, np.ndarray] = {}  # student name -> its answers, once asked

    @property
    def id(self) -> str:
        return self.path.name

    @cached_property
    def metrics(self) -> dict:
        metrics = self._json("metrics.json")
        self._checked(check_metrics, metrics)
        return metrics

    def _json(self, name: str) -> dict:
        return read_json(self.path / name, f"run {self.id}: {name}")

    def _checked(self, check, *values) -> None:
        try:
            check(*values)
        except LayoutError as err:
            raise RunError(f"run {self.id}: {err}") from None

    @cached_property
    def config(self) -> dict:
        return self._json("config.json")

    @cached_property
    def meta(self) -> dict:
        p = self.path / "meta.json"
        meta = self._json("meta.json") if p.exists() else {}
        self._checked(check_meta, meta)
        return meta

    @cached_property
    def history(self) -> dict:
        p = self.path / "history.json"
        return self._json("history.json") if p.exists() else {}

    @property
    def title(self) -> str:
        """The run's title (its id when it has none, or its meta.json is damaged)."""
        try:
            return self.meta.get("title") or self.id
        except RunError:
            return self.id

    @property
    def created(self) -> float:
        """When the run was made (its folder's time when meta.json cannot say)."""
        try:
            return float(self.meta.get("created", self.path.stat().st_mtime))
        except (RunError, OSError):
            return self.path.stat().st_mtime if self.path.exists() else 0.0

    def problem(self) -> str | None:
        """What is wrong with the run's small files, in words (None for a sound run). The
        predictions and models are checked when they are opened."""
        try:
            self.metrics  # noqa: B018  (reading checks it)
            self.meta  # noqa: B018
        except RunError as err:
            return str(err)
        return None

    @cached_property
    def predictions(self) -> dict[str, np.ndarray]:
        path = self.path / "predictions.npz"
        try:
            with np.load(path, allow_pickle=False) as z:
                predictions = {k: z[k] for k in z.files}
        except FileNotFoundError:
            raise RunError(f"run {self.id}: predictions.npz is missing") from None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            raise RunError(f"run {self.id}: predictions.npz is damaged ({_what(err)})") from None
        self._checked(check_predictions, predictions, self.metrics)
        return predictions

    @property
    def student_names(self) -> list[str]:
        return [s["name"] for s in self.metrics["students"]]

    def student_entry(self, name: str) -> dict:
        for s in self.metrics["students"]:
            if s["name"] == name:
                return s
        raise RunError(f"run {self.id} has no student {name!r}; it has: "
                       f"{', '.join(self.student_names)}")

    def resolve_student(self, name: str) -> str:
        """A full student name, also from a short one ("tree" -> the distilled "tree.transfer")."""
        if name in self.student_names:
            return name
        method = self.metrics.get("method")
        matches = [s["name"] for s in self.metrics["students"]
                   if s.get("label") == name and s.get("method") == method]
        if len(matches) == 1:
            return matches[0]
        self.student_entry(name)  # raises with the list of names
        return name

    @cached_property
    def saliency(self) -> np.ndarray | None:
        """(N, H, W) float16 integrated gradients of every test digit for the teacher's answer
        (None for a run saved before they were stored: see :meth:`ensure_saliency`)."""
        path = self.path / "saliency.npz"
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                maps = z["teacher_ig"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
            raise RunError(f"run {self.id}: saliency.npz is damaged ({_what(err)})") from None
        self._checked(check_saliency, maps, self.metrics)
        return maps

    def ensure_saliency(self, progress: Reporter = silent) -> np.ndarray:
        """The stored maps; a run saved before they were stored computes them once now and
        keeps them (a bundled run only in memory). ``progress`` hears of each batch (and may
        stop the work by raising)."""
        if self.saliency is not None:
            return self.saliency
        from .explain.saliency import saliency_maps
        maps = saliency_maps(self.load_teacher(), self.predictions["x_test"],
                             self.teacher_answers, progress=progress)
        if not self.bundled:
            with contextlib.suppress(OSError):  # a folder we may not write: memory will do
                write_saliency(self.path, maps)
        self.__dict__["saliency"] = maps
        return maps

    @cached_property
    def follows(self) -> dict | None:
        """How often the teacher follows each student's counterfactual edits
        (:mod:`distill.explain.follows`); None until measured (:meth:`ensure_follows`)."""
        path = self.path / FOLLOWS_FILE
        if not path.exists():
            return None
        data = self._json(FOLLOWS_FILE)
        self._checked(check_follows, data, self.metrics)
        return data

    def ensure_follows(self, progress: Reporter = silent) -> dict:
        """The stored figures; measured once now when missing, and kept (a bundled run only
        in memory)."""
        if self.follows is not None:
            return self.follows
        from .explain.follows import measure_run
        data = measure_run(self, progress=progress)
        if not self.bundled:
            with contextlib.suppress(OSError):  # a folder we may not write: memory will do
                write_json(self.path / FOLLOWS_FILE, data)
        self.__dict__["follows"] = data
        return data

    @property
    def has_local_fidelity(self) -> bool:
        """Every student's local fidelity is in metrics.json (a run saved before it was
        measured, or with ``local_fidelity=0``, has none until :meth:`ensure_local_fidelity`)."""
        return all(LOCAL_FIDELITY in s for s in self.metrics["students"])

    def ensure_local_fidelity(self, progress: Reporter = silent) -> dict:
        """The run's metrics with every student's local fidelity
        (:mod:`distill.explain.local_fidelity`): measured now for the students that lack it,
        and written into metrics.json (a bundled run's only in memory)."""
        if self.has_local_fidelity or not self.has_teacher:
            return self.metrics
        from .explain.local_fidelity import measure_run
        missing = [s["name"] for s in self.metrics["students"] if LOCAL_FIDELITY not in s]
        figures = measure_run(self, names=missing, progress=progress)
        metrics = {**self.metrics, "students": [{**s, **figures.get(s["name"], {})}
                                                for s in self.metrics["students"]]}
        check_metrics(metrics)
        if not self.bundled:
            with contextlib.suppress(OSError):  # a folder we may not write: memory will do
                write_json(self.path / "metrics.json", metrics)
        self.__dict__["metrics"] = metrics
        return metrics

    def student_proba(self, name: str) -> np.ndarray:
        return self.predictions[f"proba_{name}"]

    def student_answers(self, name: str) -> np.ndarray:
        """(N,) the class student ``name`` gives each test digit (worked out once: pages ask
        on every click)."""
        if name not in self._answers:
            self._answers[name] = self.student_proba(name).argmax(1)
        return self._answers[name]

    @cached_property
    def teacher_answers(self) -> np.ndarray | None:
        """(N,) the class the teacher gives each test digit; None in a run without one."""
        return self.predictions["teacher_proba"].argmax(1) if self.has_teacher else None

    def load_student(self, name: str):
        name = self.resolve_student(name)
        try:
            return load_student(self.path / "students" / name)
        except RunError as err:
            raise RunError(f"run {self.id}: {err}") from None

    @property
    def has_teacher(self) -> bool:
        """False for a run whose students learned the true labels only (no network)."""
        return self.facts.has_teacher

    @property
    def teacher_saved(self) -> bool:
        """Whether :meth:`load_teacher` can reopen the teacher (a Python function is not
        saved with its run)."""
        return self.has_teacher and self.metrics["teacher"].get("kind") != "function"

    def load_teacher(self, device=None):
        """The run's teacher: the trained network (teacher.pt), or the user's own
        (teacher.onnx); RunError for a run without one, or whose teacher was not saved."""
        t = self.metrics["teacher"]
        if not self.has_teacher:
            raise RunError(f"run {self.id} has no teacher: its students learned the true labels")
        if t.get("kind") == "function":
            raise RunError(f"run {self.id}: its teacher was a Python function, which is not "
                           "saved with a run (its answers and evidence maps are)")
        if t.get("kind") == "onnx":
            return self._onnx_teacher(t)
        from .teacher import Teacher
        try:
            return Teacher.load(self.path / "teacher.pt", t["arch"], tuple(t["image_shape"]),
                                int(t["n_classes"]), device=device)
        except FileNotFoundError:
            raise RunError(f"run {self.id}: teacher.pt is missing") from None
        except (OSError, RuntimeError, EOFError, zipfile.BadZipFile, KeyError,
                pickle.UnpicklingError) as err:  # weights_only: what is not tensors is refused
            raise RunError(f"run {self.id}: teacher.pt is damaged ({_what(err)})") from None

    def teacher_onnx(self) -> bytes:
        """The run's teacher as an ONNX file's bytes: the user's own file as it came, or the
        trained network exported (distill.teacher.export_onnx)."""
        teacher = self.load_teacher()
        if getattr(teacher, "kind", "torch") == "onnx":
            return teacher.path.read_bytes()
        from .teacher import export_onnx
        with tempfile.TemporaryDirectory() as tmp:
            return export_onnx(teacher, Path(tmp) / "teacher.onnx").read_bytes()

    def _onnx_teacher(self, t: dict):
        from .teachers import OnnxTeacher, TeacherFileError, file_sha256
        path = self.path / "teacher.onnx"
        if not path.is_file():
            raise RunError(f"run {self.id}: teacher.onnx is missing")
        if t.get("sha256") and file_sha256(path) != t["sha256"]:
            raise RunError(f"run {self.id}: teacher.onnx is not the file the run was trained "
                           "with (its sha256 differs)")
        try:
            return OnnxTeacher(path, t.get("input", "0-1"), t.get("output"),
                               image_shape=tuple(t["image_shape"]),
                               n_classes=int(t["n_classes"]))
        except (TeacherFileError, KeyError) as err:
            raise RunError(f"run {self.id}: teacher.onnx is damaged ({_what(err)})") from None

    @cached_property
    def facts(self):
        """Distilled students, baselines, gains, the best student (:mod:`distill.facts`)."""
        from .facts import RunFacts
        return RunFacts(self.metrics)


RUN_FILES = ("metrics.json", "config.json", "predictions.npz")


def is_run_dir(path: Path) -> bool:
    """A folder that holds a run, sound or damaged (any of its files is there)."""
    return (path.is_dir() and not path.name.startswith(TMP_PREFIX)
            and any((path / f).exists() for f in RUN_FILES))


def list_runs(include_bundled: bool = True, folder: Path | None = None) -> list[Run]:
    """User runs (newest first), then the bundled demo runs."""
    folder = folder or runs_dir()
    user = [_listed(p) for p in folder.iterdir() if is_run_dir(p)] if folder.is_dir() else []
    user.sort(key=lambda r: r.created, reverse=True)
    bundled = []
    if include_bundled and BUNDLED_RUNS_DIR.is_dir():
        bundled = [_listed(p, bundled=True) for p in sorted(BUNDLED_RUNS_DIR.iterdir())
                   if is_run_dir(p)]
    return user + bundled


_LISTED: dict[tuple[Path, bool], tuple[tuple, Run]] = {}  # a listed run, while its files stay
_LISTED_MAX = 512


def _listed(path: Path, bundled: bool = False) -> Run:
    """The run in ``path`` as listed before while its small files are unchanged: every page
    lists the runs (the sidebar's picker), and reading each run's metrics and meta again
    would cost every full page run of every viewer a JSON parse per run."""
    stamp = tuple(_mtime(path / f) for f in ("metrics.json", "meta.json"))
    known = _LISTED.get((path, bundled))
    if known is not None and known[0] == stamp:
        return known[1]
    if len(_LISTED) >= _LISTED_MAX:
        _LISTED.clear()
    run = Run(path, bundled=bundled)
    _LISTED[(path, bundled)] = (stamp, run)
    return run


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def load_run(ref: str | Path, folder: Path | None = None) -> Run:
    """A run by id (user runs first, then bundled) or by a path to its directory."""
    p = Path(ref)
    if is_run_dir(p):
        return Run(p.resolve(), bundled=_inside(p, BUNDLED_RUNS_DIR))
    if p.is_absolute():
        raise RunGone(f"the run {p.name!r} was deleted (or moved) since it was opened")
    check_run_id(str(ref))
    for base, bundled in ((folder or runs_dir(), False), (BUNDLED_RUNS_DIR, True)):
        candidate = base / str(ref)
        if is_run_dir(candidate):
            return Run(candidate, bundled=bundled)
    raise RunError(f"no run {ref!r}; `python -m distill runs` lists the saved runs")


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def rename_run(run: Run, title: str) -> None:
    title = " ".join(title.split())
    if not title or len(title) > 80:
        raise RunError("a run title must be 1 to 80 characters")
    if run.bundled:
        raise RunError("the bundled demo run cannot be renamed")
    meta = {**run.meta, "title": title}
    write_json(run.path / "meta.json", meta)
    run.__dict__.pop("meta", None)


def delete_run(run: Run) -> None:
    if run.bundled:
        raise RunError("the bundled demo run cannot be deleted")
    trash = run.path.parent / f"{TMP_PREFIX}deleted-{run.id}"
    os.replace(run.path, trash)  # vanish from listings at once, then remove
    shutil.rmtree(trash, ignore_errors=True)
