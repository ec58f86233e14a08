import time

import pytest

from distill.config import ConfigError, RunConfig, StudentChoice
from distill.jobs import Job, JobAccessError, LocalJobs
from distill.runs import RunError
from tests.conftest import tiny_config


def wait(manager, job_id, states, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        snap = manager.snapshot(job_id)
        if snap["state"] in states:
            return snap
        time.sleep(0.1)
    raise AssertionError(f"job stuck in {manager.snapshot(job_id)['state']}")


def small():
    return tiny_config(max_train=120, max_test=40, students=[StudentChoice("bernoulli-nb")])


def test_a_job_trains_in_a_worker_and_saves_a_run(tmp_path):
    m = LocalJobs(folder=tmp_path)
    job = m.submit(small(), owner="alice")
    snap = wait(m, job, ("done", "failed"))
    assert snap["state"] == "done", snap["error"]
    assert (tmp_path / snap["run_id"] / "metrics.json").exists()
    assert snap["overall"] == 1.0 and snap["fractions"]["teacher"] == 1.0
    assert snap["curve"]["test_accuracy"] and snap["curve"]["loss"]
    assert [j["id"] for j in m.jobs(owner="alice")] == [job] and m.jobs(owner="bob") == []


def test_jobs_queue_and_cancel_saves_nothing(tmp_path):
    m = LocalJobs(folder=tmp_path, max_running=1)
    first, second = m.submit(long_job()), m.submit(smallest())
    assert m.position(second) == 1 and m.snapshot(second)["state"] == "queued"
    wait(m, first, ("running",))
    while m.snapshot(first)["fractions"].get("teacher", 0) == 0:
        time.sleep(0.1)
    m.cancel(first)
    snap = wait(m, first, ("cancelled", "done", "failed"))
    assert snap["state"] == "cancelled"
    assert snap["fractions"]["teacher"] < 1  # stopped in the middle, not at the end
    assert not (tmp_path / snap["run_id"]).exists()
    assert not list(tmp_path.glob(".tmp-*"))
    assert wait(m, second, ("done", "failed"))["state"] == "done"


def smallest():
    """A job that runs to the end quickly: one epoch on a few digits."""
    cfg = tiny_config(max_train=60, max_test=20, students=[StudentChoice("bernoulli-nb")])
    cfg.teacher.epochs = 1
    return cfg


def long_job():
    cfg = small()
    cfg.teacher.epochs = 60  # long enough to still be training when the test acts
    return cfg


def test_a_queued_job_cancels_at_once(tmp_path):
    m = LocalJobs(folder=tmp_path, max_running=1)
    a, b = m.submit(long_job()), m.submit(small())
    assert m.snapshot(b)["state"] == "queued"
    m.cancel(b)  # no waiting: a queued job has no worker to stop
    snap = m.snapshot(b)
    assert snap["state"] == "cancelled" and "before it started" in snap["message"]
    assert m.snapshot(a)["state"] in ("starting", "running")  # the running job goes on
    m.cancel(a)
    assert wait(m, a, ("cancelled", "done", "failed"))["state"] == "cancelled"
    assert not (tmp_path / snap["run_id"]).exists()


def test_bad_settings_are_refused_and_nothing_is_queued(tmp_path):
    m = LocalJobs(folder=tmp_path)
    with pytest.raises(ConfigError, match="choose at least one student"):
        m.submit(RunConfig(students=[]))
    assert m.jobs() == []


def test_one_active_job_per_owner_when_limited(tmp_path):
    m = LocalJobs(folder=tmp_path, max_jobs_per_owner=1)
    a = m.submit(long_job(), owner="x")
    with pytest.raises(ConfigError, match="already have"):
        m.submit(small(), owner="x")
    b = m.submit(small(), owner="y")  # the limit is per owner: y may queue behind x
    assert m.snapshot(b)["state"] == "queued" and m.position(b) == 1
    assert [j["id"] for j in m.jobs(owner="y")] == [b]
    m.cancel(a)
    assert wait(m, a, ("cancelled", "done", "failed"))["state"] == "cancelled"
    again = m.submit(small(), owner="x")  # x's job has ended: x may start another
    for j in (b, again):
        m.cancel(j)


def test_a_full_queue_refuses_politely(tmp_path):
    m = LocalJobs(folder=tmp_path, max_running=1, max_waiting=1)
    first, second = m.submit(small()), m.submit(small())
    with pytest.raises(ConfigError, match="queue is full"):
        m.submit(small())
    for j in (second, first):
        m.cancel(j)


def test_the_eta_scales_the_plan_by_the_pace_since_the_first_stage(tmp_path):
    now = time.time()
    job = Job(id="j", kind="run", config={}, owner=None, run_id="r", out=tmp_path,
              state="running",
              started=now - 30, stages=["data", "teacher", "save"],
              estimate={"data": 2.0, "teacher": 20.0, "save": 8.0},
              fractions={"data": 1.0, "teacher": 0.5},
              stage_started={"data": now - 24, "teacher": now - 22})
    # 12 s of planned work done in the 24 s since the first stage: this job runs at half speed,
    # so the 18 planned seconds left take 36; the 6 s start-up before it is not counted
    assert job.eta() == pytest.approx(36, abs=0.5)
    assert job.overall() == pytest.approx(12 / 30)
    job.state = "done"
    assert job.eta() is None


def test_a_private_queue_shows_and_cancels_a_job_only_for_its_owner(tmp_path):
    m = LocalJobs(folder=tmp_path, private=True)
    job = m.submit(long_job(), owner="alice")
    assert job.startswith("job-") and len(job) >= 16  # unguessable, not a counter
    assert m.snapshot(job, owner="alice")["state"] in ("starting", "running")
    for stranger in ("bob", None):
        with pytest.raises(JobAccessError, match="only the browser that started a training job"):
            m.snapshot(job, owner=stranger)
        with pytest.raises(JobAccessError, match="only the browser that started a training job"):
            m.cancel(job, owner=stranger)
        assert m.jobs(owner=stranger) == []
    assert m.snapshot(job, owner="alice")["state"] in ("starting", "running")  # still going
    m.cancel(job, owner="alice")
    assert wait_as(m, job, "alice", ("cancelled", "done", "failed"))["state"] == "cancelled"


def wait_as(manager, job_id, owner, states, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        snap = manager.snapshot(job_id, owner=owner)
        if snap["state"] in states:
            return snap
        time.sleep(0.1)
    raise AssertionError(f"job stuck in {manager.snapshot(job_id, owner=owner)['state']}")


def test_a_job_that_could_not_be_saved_is_refused_before_it_queues(tmp_path):
    (tmp_path / "runs").write_text("a file where the runs folder should be")
    m = LocalJobs(folder=tmp_path / "runs")
    with pytest.raises(RunError, match="is a file, not a folder"):
        m.submit(small())
    assert m.jobs() == []


def test_a_job_too_big_for_the_memory_budget_is_refused_with_what_fits(tmp_path):
    m = LocalJobs(folder=tmp_path, memory_budget=2 * 2**30)
    cfg = tiny_config("mnist5k", max_train=None, transfer_size=40)
    with pytest.raises(ConfigError, match=r"needs about .* GB of memory and 2.0 GB are "
                                          r"available; the largest transfer set that fits is "
                                          r"\d+x"):
        m.submit(cfg)
    assert m.jobs() == []


def test_a_worker_sees_the_environment_its_job_was_submitted_in(tmp_path, monkeypatch):
    from tests.test_data import write_idx
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    m = LocalJobs(folder=tmp_path / "runs")
    assert wait(m, m.submit(smallest()), ("done", "failed"))["state"] == "done"  # workers fork
    write_idx(tmp_path / "mnist", n=60)  # from a fork server started before this was set:
    monkeypatch.setenv("DISTILL_DATA_DIR", str(tmp_path / "mnist"))
    cfg = smallest()
    cfg.dataset = "mnist"
    snap = wait(m, m.submit(cfg), ("done", "failed"))
    assert snap["state"] == "done", snap["error"]


def test_the_estimate_counts_the_boundary_rounds_and_the_local_fidelity():
    from distill.config import RunConfig, StudentChoice
    from distill.jobs.eta import EDIT_SECONDS, estimate_seconds
    students = [StudentChoice("tree"), StudentChoice("linear")]
    transfer = estimate_seconds(RunConfig(method="transfer", students=students))
    rounds = RunConfig(method="boundary", students=students, rounds=3, boundary_sample=100)
    boundary = estimate_seconds(rounds)
    fit = transfer["student:tree.transfer"]
    edits = min(rounds.boundary_seconds, 100 * EDIT_SECONDS["tree"])
    assert boundary["student:tree.boundary"] == pytest.approx(4 * fit + 3 * edits)
    assert "local fidelity" not in boundary  # measured later, when the run is first viewed
    measured = estimate_seconds(RunConfig(method="transfer", students=students,
                                          local_fidelity=50))
    assert measured["local fidelity"] == pytest.approx(
        2 * 50 * (EDIT_SECONDS["tree"] + EDIT_SECONDS["linear"]))  # and the baselines'
