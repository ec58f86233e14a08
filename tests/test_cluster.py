"""Jobs and sweeps on Ray: a private local head on 127.0.0.1, one for this test session."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from distill import metrics as M
from distill.config import StudentChoice
from distill.jobs import JobAccessError
from distill.runs import Run
from distill.sweep import SweepConfig, parse_grid, run_sweep
from tests.conftest import tiny_config
from tests.oracles import counted

pytestmark = [pytest.mark.cluster,
              pytest.mark.xdist_group("ray")]  # one worker of the suite holds the cluster


@pytest.fixture(scope="module")
def ray_head():
    from distill.cluster import connect
    ray = connect("local", num_cpus=2)
    yield ray
    ray.shutdown()


@pytest.fixture
def queue(ray_head, tmp_path):
    from distill.cluster import RayJobs
    jobs = RayJobs(folder=tmp_path, max_running=1)
    yield jobs
    jobs.close()


def wait(jobs, job_id, states, owner=None, timeout=180):
    end = time.time() + timeout
    while time.time() < end:
        snap = jobs.snapshot(job_id, owner)
        if snap["state"] in states:
            return snap
        time.sleep(0.2)
    raise AssertionError(f"job stuck in {jobs.snapshot(job_id, owner)['state']}")


def small(epochs: int = 2):
    cfg = tiny_config(max_train=120, max_test=40, students=[StudentChoice("bernoulli-nb")])
    cfg.teacher.epochs = epochs
    return cfg


def test_a_job_runs_on_the_cluster_with_progress_and_is_saved(queue, tmp_path):
    job = queue.submit(small())
    snap = wait(queue, job, ("done", "failed"))
    assert snap["state"] == "done", snap["error"]
    assert snap["fractions"]["teacher"] == 1.0 and snap["curve"]["test_accuracy"]
    assert snap["worker"]["pid"] != os.getpid()  # it ran in a Ray worker
    assert Run(tmp_path / snap["run_id"]).problem() is None


def test_cancel_stops_a_cluster_job_and_saves_nothing(queue, tmp_path):
    job = queue.submit(small(epochs=80))
    while queue.snapshot(job)["fractions"].get("teacher", 0) == 0:
        time.sleep(0.1)
    queue.cancel(job)
    snap = wait(queue, job, ("cancelled", "done", "failed"), timeout=60)
    assert snap["state"] == "cancelled"
    assert not (tmp_path / snap["run_id"]).exists() and not list(tmp_path.glob(".tmp-*"))


def test_a_lost_worker_fails_the_job_with_a_message_and_no_half_run(queue, tmp_path):
    job = queue.submit(small(epochs=80))
    while not queue.snapshot(job)["worker"] or \
            queue.snapshot(job)["fractions"].get("teacher", 0) == 0:
        time.sleep(0.1)
    os.kill(queue.snapshot(job)["worker"]["pid"], signal.SIGKILL)
    snap = wait(queue, job, ("cancelled", "done", "failed"), timeout=60)
    assert snap["state"] == "failed" and "worker running this job was lost" in snap["error"]
    assert not (tmp_path / snap["run_id"]).exists() and not list(tmp_path.glob(".tmp-*"))


def test_two_replicas_share_one_hosted_queue(ray_head, tmp_path):
    from distill.cluster import RayJobs
    settings = {"folder": tmp_path, "max_running": 1, "private": True,
                "max_jobs_per_owner": 1}
    first, second = RayJobs(**settings), RayJobs(**settings)  # two app processes
    try:
        alice = first.submit(small(epochs=80), owner="alice")
        bob = second.submit(small(), owner="bob")
        carol = first.submit(small(), owner="carol")
        # one job at a time across both replicas, and each sees its place in one line
        assert second.snapshot(alice, "alice")["state"] in ("starting", "running")
        assert first.snapshot(bob, "bob")["position"] == 1
        assert second.snapshot(carol, "carol")["position"] == 2
        with pytest.raises(JobAccessError, match="only the browser that started"):
            first.snapshot(alice, "bob")
        with pytest.raises(JobAccessError, match="only the browser that started"):
            second.cancel(alice, "carol")
        assert [j["id"] for j in second.jobs("alice")] == [alice]
        second.cancel(alice, "alice")  # cancelled through the other replica
        wait(first, alice, ("cancelled",), owner="alice")
        assert wait(first, bob, ("running", "done"), owner="bob")
        assert second.snapshot(carol, "carol")["position"] == 1
    finally:
        for job, owner in ((bob, "bob"), (carol, "carol")):
            first.cancel(job, owner)
        first.close()


def test_a_sweep_fits_its_students_on_the_cluster(ray_head, tmp_path):
    from distill.cluster import RayPool
    cfg = SweepConfig(dataset="digits", max_train=200, max_test=60,
                      teacher=tiny_config().teacher,
                      students=[parse_grid("tree:max_leaf_nodes=4,16"),
                                parse_grid("linear:max_iter=30")], seeds=2, transfer_size=1)
    cfg.teacher.epochs = 1
    results = []
    run = run_sweep(cfg, progress=lambda e: results.append(e) if e["stage"] == "result"
                    else None, out=tmp_path / "sweep", pool=RayPool())
    m, p = run.metrics, run.predictions
    assert len(m["students"]) == len(results) == 3 * 2 * 2  # students x methods x seeds
    assert {s["seed"] for s in m["students"]} == {0, 1}
    for s in m["students"]:  # every number is recomputable from the saved predictions
        proba = p[f"proba_{s['name']}"]
        expected = counted(p["y_true"].tolist(), p["teacher_proba"].tolist(), proba.tolist(),
                           M.EPS)
        assert s["agreement"] == pytest.approx(expected["agreement"])
        assert s["test_accuracy"] == pytest.approx(expected["test_accuracy"])
        np.testing.assert_allclose(run.load_student(s["name"]).predict_proba(p["x_test"]),
                                   proba, atol=1e-6)


def test_the_command_line_runs_a_job_on_the_cluster_and_shows_its_progress(ray_head,
                                                                           tmp_path):
    from distill.cluster import run_remote
    events = []
    run = run_remote(small(), events.append, out=tmp_path / "remote")
    assert run.problem() is None and run.metrics["students"]
    stages = {e["stage"] for e in events}
    assert {"plan", "data", "teacher", "targets", "save"} <= stages
    assert any(e["stage"] == "worker" and e["pid"] != os.getpid() for e in events)
