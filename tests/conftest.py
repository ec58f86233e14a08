"""Shared fixtures: tiny data and tiny saved runs, made once per test session (the first
xdist worker to ask builds a run; the others load it from disk)."""

from __future__ import annotations

import fcntl
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from distill.config import RunConfig, StudentChoice, TeacherConfig
from distill.pipeline import run_experiment

# raw pixels everywhere (8x8 digits straighten the tree and Bernoulli NB by default): the
# exact-search tests compare with searches over pixels; straightening has its own fixtures
TINY_STUDENTS = [StudentChoice("tree", {"max_leaf_nodes": 24, "deskew": False}),
                 StudentChoice("pixel-tree", {"max_leaf_nodes": 16}),
                 StudentChoice("gaussian-nb"), StudentChoice("bernoulli-nb", {"deskew": False}),
                 StudentChoice("multinomial-nb"), StudentChoice("linear", {"max_iter": 50})]

# The longest tests (browser journeys that train, replicas, the Ray cluster), handed out first:
# xdist gives tests to its workers in collection order, and one of these started last would
# keep one worker busy long after the other has run out of work.
LONGEST_FIRST = ("test_replicas.py::test_two_sessions", "test_browser.py::test_distil_your",
                 "test_browser.py::test_train",
                 "test_browser.py::test_a_job_link", "test_cluster.py", "test_jobs.py")


def pytest_configure(config):
    """Each of xdist's workers takes its share of the cores for torch and numpy: two workers
    with two threads each on two cores make spinning thread pools fight over them. The app
    servers tests start skip the warm-up's imports (pages/_warm.py; most never open Explore,
    and the imports would compete with the test beside them); tests/test_warm.py turns them
    on where it checks them."""
    os.environ.setdefault("DISTILL_WARM_IMPORTS", "0")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers > 1:
        from distill.parallel import set_threads
        set_threads(max(1, (os.cpu_count() or 1) // workers))


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        return next((i for i, key in enumerate(LONGEST_FIRST) if key in item.nodeid),
                    len(LONGEST_FIRST))
    items.sort(key=rank)  # stable: the rest keep their order


def tiny_config(dataset: str = "digits", **overrides) -> RunConfig:
    """A run that trains in seconds: a small subset, four short epochs, a 1x transfer set."""
    cfg = RunConfig(dataset=dataset, max_train=400, max_test=120,
                    teacher=TeacherConfig(arch="cnn", epochs=4, batch_size=32),
                    students=list(TINY_STUDENTS),
                    method="transfer", transfer_size=1, seed=0, title="tiny test run")
    for k, v in overrides.items():
        setattr(cfg, k, v)
    return cfg


def shared_run(tmp_path_factory, name: str, build):
    """The saved run ``name``, built by ``build(out)`` once for the whole session. Tests copy a
    run before changing it, so every worker may read the same folder."""
    from distill.runs import Run
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # this session's
    # `make mutate` runs the tests once a mutant: the runs are built by the first session
    root = os.environ.get("DISTILL_TEST_RUNS_KEPT_IN", root)
    out = Path(root) / "shared-runs" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the others wait while the first one builds it
        if not (out / "metrics.json").exists():
            build(out)
    return Run(out)


@pytest.fixture(autouse=True)
def _isolated_runs_dir(tmp_path, monkeypatch):
    """No test writes into the project's runs/ folder."""
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(tmp_path / "runs"))


@pytest.fixture(autouse=True)
def _no_background_work_left():
    """A page test that opened Compare started its run's teacher-follows measurement in a
    thread of this process (minutes of CPU at full size): stop it when the test ends."""
    yield
    ui = sys.modules.get("pages._ui")
    if ui is not None:
        ui.stop_background()


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A saved run on 8x8 digits with every kind of student."""
    return shared_run(tmp_path_factory, "tiny-digits",
                      lambda out: run_experiment(tiny_config("digits"), out=out))


@pytest.fixture(scope="session")
def tiny_mnist_run(tmp_path_factory):
    """A saved run on 28x28 MNIST digits (a subset), for region features at full size."""
    cfg = tiny_config("mnist5k", max_train=300, max_test=100,
                      students=[StudentChoice("tree", {"max_leaf_nodes": 32}),
                                StudentChoice("bernoulli-nb"), StudentChoice("gaussian-nb"),
                                StudentChoice("multinomial-nb"), StudentChoice("linear",
                                                                               {"max_iter": 50})])
    return shared_run(tmp_path_factory, "tiny-mnist",
                      lambda out: measured_in_advance(run_experiment(cfg, out=out)))


def measured_in_advance(run):
    """``run`` with what pages measure on first view (local fidelity on Overview, whether the
    teacher follows the edits on Compare) measured on a few digits, Bernoulli NB's edits capped
    at half a second, as a run has them once viewed: the browser tests' servers then have
    nothing to measure in the background (minutes of CPU at full size, beside every test)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("distill.explain.local_fidelity.SAMPLE", 4)
        patch.setattr("distill.explain.follows.PER_GROUP", 1)
        patch.setattr("distill.explain.counterfactual.SECONDS", 0.5)
        run.ensure_local_fidelity()
        run.ensure_follows()
    return run


def forget_local_fidelity(folder: Path) -> Path:
    """The run in ``folder`` as saved by a job that left local fidelity to its first viewer
    (``local_fidelity=0``)."""
    import json

    from distill.layout import LOCAL_FIDELITY, LOCAL_FIDELITY_DETAIL
    metrics = json.loads((folder / "metrics.json").read_text())
    for student in metrics["students"]:
        student.pop(LOCAL_FIDELITY, None)
        student.pop(LOCAL_FIDELITY_DETAIL, None)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return folder


@pytest.fixture(scope="session")
def tiny_truth_run(tmp_path_factory):
    """A saved 28x28 run on the true labels alone: no teacher was trained."""
    cfg = tiny_config("mnist5k", max_train=300, max_test=60, method="ground-truth",
                      students=[StudentChoice("tree", {"max_leaf_nodes": 16}),
                                StudentChoice("linear", {"max_iter": 50})])
    return shared_run(tmp_path_factory, "tiny-truth", lambda out: run_experiment(cfg, out=out))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def tiny_soft_run(tmp_path_factory):
    """A saved 28x28 run whose students are a small soft tree and a region tree."""
    cfg = tiny_config("mnist5k", max_train=300, max_test=100,
                      students=[StudentChoice("soft-tree",
                                              {"depth": 4, "epochs": 30, "min_steps": 0}),
                                StudentChoice("tree", {"max_leaf_nodes": 16})])
    return shared_run(tmp_path_factory, "tiny-soft", lambda out: run_experiment(cfg, out=out))


@pytest.fixture(scope="session")
def tiny_sweep_run(tmp_path_factory):
    """A saved sweep on 8x8 digits: trees of two sizes and logistic regression, two seeds."""
    from distill.sweep import LocalPool, SweepConfig, parse_grid, run_sweep
    cfg = SweepConfig(dataset="digits", max_train=200, max_test=60,
                      teacher=TeacherConfig(arch="cnn", epochs=3, batch_size=32),
                      students=[parse_grid("tree:max_leaf_nodes=4,16"),
                                parse_grid("linear:max_iter=30")], seeds=2, transfer_size=1)
    return shared_run(tmp_path_factory, "tiny-sweep",
                      lambda out: run_sweep(cfg, out=out, pool=LocalPool(1)))


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """``python -m distill ...`` run in this process (the same ``main``, without paying for a
    new interpreter that imports torch each time): cli("runs", env={...}) -> CliResult."""
    from distill.cli import main

    def run(*args, env: dict | None = None) -> CliResult:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as stop:  # argparse's own errors
            code = stop.code
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return run


def digit_folder(root: Path, n_train: int = 300, n_test: int = 100) -> Path:
    """mnist5k digits as an image folder a user would have: train/<class>/*.png and
    test/<class>/*.png, with the network's class order in labels.txt."""
    from PIL import Image

    from distill.data import load_dataset
    data = load_dataset("mnist5k", max_train=n_train, max_test=n_test)
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test,
                                                                   data.y_test)):
        for i, (image, label) in enumerate(zip(x, y)):
            folder = root / split / data.class_names[label]
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray((image * 255).round().astype(np.uint8)).save(folder / f"{i}.png")
    (root / "labels.txt").write_text("\n".join(data.class_names) + "\n")
    return root


@pytest.fixture(scope="session")
def tiny_onnx_run(tmp_path_factory, tiny_mnist_run):
    """A saved run distilled from a network given as an ONNX file (the tiny MNIST run's own
    teacher, exported), on digits imported from an image folder: a user's own network and
    images."""
    from distill.config import RunConfig
    from distill.datastore import import_dataset
    from distill.teacher import export_onnx

    def build(out: Path) -> None:
        home = out.parent / "onnx-home"
        old = os.environ.get("DISTILL_RUNS_DIR")
        os.environ["DISTILL_RUNS_DIR"] = str(home / "runs")  # the import's data/ lives there
        try:
            home.mkdir(parents=True, exist_ok=True)
            onnx = export_onnx(tiny_mnist_run.load_teacher(), home / "digits.onnx")
            info = import_dataset(digit_folder(home / "my-digits"))
            cfg = RunConfig(dataset=info.name, teacher_file=str(onnx), transfer_size=1,
                            method="transfer",  # pages on your network's run, not choosing
                            students=[StudentChoice("tree", {"max_leaf_nodes": 16}),
                                      StudentChoice("gaussian-nb"),
                                      StudentChoice("soft-tree", {"depth": 3, "epochs": 10,
                                                                  "min_steps": 0})],
                            title="your network on your digits")
            run_experiment(cfg, out=out)
        finally:
            if old is None:
                os.environ.pop("DISTILL_RUNS_DIR", None)
            else:
                os.environ["DISTILL_RUNS_DIR"] = old
    return shared_run(tmp_path_factory, "tiny-onnx", build)
