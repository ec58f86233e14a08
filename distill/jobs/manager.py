"""Training jobs in worker processes, with progress snapshots, a queue and cancellation.

A web page must never train inside its own script (Streamlit stops and reruns it on every
click), so a job runs :func:`distill.pipeline.run_experiment` in a separate process and
streams its progress events back over a queue. The page only reads :meth:`JobManager.snapshot`.
A process (not a thread) because a cancel must stop scikit-learn fits that never look up:
the job is asked to stop, and terminated if it has not within ``grace`` seconds. A run is
saved atomically, so a stopped job leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import queue as queue_mod
import shutil
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ConfigError, RunConfig, plan
from ..runs import TMP_PREFIX, clean_temporary, new_run_id, runs_dir
from .eta import estimate_seconds

ACTIVE = ("queued", "starting", "running", "stopping")
FINISHED = ("done", "failed", "cancelled")


@dataclass
class Job:
    id: str
    config: RunConfig
    owner: str | None
    run_id: str
    out: Path
    state: str = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    stages: list[str] = field(default_factory=list)
    fractions: dict[str, float] = field(default_factory=dict)
    stage_started: dict[str, float] = field(default_factory=dict)
    current: str | None = None
    estimate: dict[str, float] = field(default_factory=dict)
    curve: dict[str, list] = field(default_factory=lambda: {
        "step": [], "loss": [], "accuracy": [], "epoch": [], "test_accuracy": []})
    teacher: dict = field(default_factory=dict)  # last teacher event: epoch, loss, ETA
    message: str = ""
    error: str | None = None
    process: object = None
    stop_event: object = None
    events: object = None

    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.time()) - self.started

    def eta(self) -> float | None:
        """Seconds left: the estimate of unfinished stages, scaled by how fast this job runs.

        The pace is measured from the first stage on: the worker's start-up (a new process
        importing torch) is a fixed cost that would otherwise inflate every early ETA."""
        if self.state not in ("running", "stopping") or not self.estimate:
            return None
        done_est = sum(self.estimate.get(s, 0) * f for s, f in self.fractions.items())
        left_est = sum(self.estimate.get(s, 0) * (1 - self.fractions.get(s, 0))
                       for s in self.stages)
        working = (time.time() - min(self.stage_started.values()) if self.stage_started
                   else self.elapsed())
        speed = working / done_est if done_est > 5 else 1.0
        return max(0.0, left_est * min(max(speed, 0.2), 5.0))

    def overall(self) -> float:
        total = sum(self.estimate.get(s, 0) for s in self.stages) or 1.0
        return min(1.0, sum(self.estimate.get(s, 0) * self.fractions.get(s, 0)
                            for s in self.stages) / total)


def _worker(config: dict, out: str, events, stop_event) -> None:
    """Runs in the child process: train and save, streaming throttled progress events."""
    with contextlib.suppress(OSError):
        os.nice(5)  # the web server stays responsive on a 2-core laptop
    from ..config import RunConfig
    from ..pipeline import run_experiment
    from ..progress import Cancelled
    last = [0.0]

    def report(event: dict) -> None:
        now = time.monotonic()
        important = (event.get("fraction") in (0.0, 1.0) or "test_accuracy" in event
                     or event.get("stage") in ("plan", "done"))
        if important or now - last[0] >= 0.2:
            last[0] = now
            events.put(("progress", event))

    try:
        run_experiment(RunConfig.from_dict(config), progress=report,
                       should_stop=stop_event.is_set, out=out)
        events.put(("done", None))
    except Cancelled:
        events.put(("cancelled", None))
    except Exception as err:  # shown to the user as a message, with the trace for logs
        events.put(("failed", f"{type(err).__name__}: {err}\n{traceback.format_exc()}"))


class JobManager:
    """Runs at most ``max_running`` jobs at once; the rest wait in order."""

    def __init__(self, max_running: int = 1, folder: Path | None = None, grace: float = 2.0,
                 max_jobs_per_owner: int | None = None, max_waiting: int = 20):
        self.max_running = max_running
        self.max_waiting = max_waiting
        self.folder = folder
        self.grace = grace
        self.max_jobs_per_owner = max_jobs_per_owner
        self._jobs: dict[str, Job] = {}
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._ctx = mp.get_context("spawn")  # never fork a threaded web server
        clean_temporary(folder or runs_dir())  # what a killed server left half-written

    # ---- public -------------------------------------------------------------------
    def submit(self, config: RunConfig, owner: str | None = None) -> str:
        """Validate and queue a job; raises ConfigError (nothing queued) on bad settings."""
        config.validate()
        with self._lock:
            if self.max_jobs_per_owner is not None and owner is not None:
                active = [j for j in self._jobs.values() if j.owner == owner and j.state in ACTIVE]
                if len(active) >= self.max_jobs_per_owner:
                    raise ConfigError("you already have a training job queued or running; "
                                      "wait for it or cancel it first")
            waiting = sum(j.state == "queued" for j in self._jobs.values())
            if waiting >= self.max_waiting:
                raise ConfigError(f"the training queue is full ({waiting} jobs waiting); "
                                  "please try again in a few minutes")
            run_id = new_run_id(config.dataset)
            folder = self.folder or runs_dir()
            job = Job(id=f"job-{next(self._ids)}-{os.urandom(3).hex()}", config=config,
                      owner=owner, run_id=run_id, out=folder / run_id, stages=plan(config),
                      estimate=estimate_seconds(config))
            self._jobs[job.id] = job
            self._start_waiting()
            return job.id

    def cancel(self, job_id: str) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state in FINISHED:
                return
            if job.state == "queued":
                self._finish(job, "cancelled", "cancelled before it started")
                self._start_waiting()
                return
            job.state = "stopping"
            job.stop_event.set()
        threading.Thread(target=self._enforce_stop, args=(job,), daemon=True).start()

    def snapshot(self, job_id: str) -> dict | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else self._snapshot(job)

    def jobs(self, owner: str | None = None) -> list[dict]:
        """Snapshots, newest first; only ``owner``'s when given."""
        with self._lock:
            return [self._snapshot(j) for j in sorted(self._jobs.values(),
                                                      key=lambda j: j.created, reverse=True)
                    if owner is None or j.owner == owner]

    def position(self, job_id: str) -> int | None:
        """1 for the next job to start, 2 after it, ...; None when not waiting."""
        with self._lock:
            waiting = [j.id for j in sorted(self._jobs.values(), key=lambda j: j.created)
                       if j.state == "queued"]
            return waiting.index(job_id) + 1 if job_id in waiting else None

    # ---- internals ----------------------------------------------------------------
    def _snapshot(self, job: Job) -> dict:
        return {"id": job.id, "owner": job.owner, "state": job.state, "run_id": job.run_id,
                "dataset": job.config.dataset, "title": job.config.title,
                "created": job.created, "elapsed": job.elapsed(), "eta": job.eta(),
                "overall": 1.0 if job.state == "done" else job.overall(),
                "stages": list(job.stages), "fractions": dict(job.fractions),
                "current": job.current, "teacher": dict(job.teacher),
                "curve": {k: list(v) for k, v in job.curve.items()},
                "message": job.message, "error": job.error,
                "position": self.position(job.id)}

    def _start_waiting(self) -> None:
        running = sum(j.state in ("starting", "running", "stopping") for j in self._jobs.values())
        for job in sorted(self._jobs.values(), key=lambda j: j.created):
            if running >= self.max_running:
                return
            if job.state == "queued":
                self._launch(job)
                running += 1

    def _launch(self, job: Job) -> None:
        job.state, job.started = "starting", time.time()
        job.message = "starting a worker"
        job.events = self._ctx.Queue()
        job.stop_event = self._ctx.Event()
        job.process = self._ctx.Process(target=_worker, daemon=True, name=job.id,
                                        args=(job.config.to_dict(), str(job.out), job.events,
                                              job.stop_event))
        job.process.start()
        threading.Thread(target=self._follow, args=(job,), daemon=True).start()

    def _follow(self, job: Job) -> None:
        """Apply the worker's events until it ends, then record how it ended."""
        outcome = None
        while outcome is None:
            try:
                kind, payload = job.events.get(timeout=0.2)
            except queue_mod.Empty:
                if not job.process.is_alive():
                    outcome = ("cancelled", None) if job.stop_event.is_set() else (
                        "failed", f"the worker stopped unexpectedly (exit code "
                        f"{job.process.exitcode})")
                continue
            if kind == "progress":
                with self._lock:
                    self._apply(job, payload)
            else:
                outcome = (kind, payload)
        job.process.join(timeout=5)
        kind, payload = outcome
        with self._lock:
            if kind == "failed":
                self._finish(job, "failed", "training failed", payload)
            elif kind == "cancelled":
                self._finish(job, "cancelled", "cancelled; nothing was saved")
            else:
                self._finish(job, "done", f"saved run {job.run_id}")
            self._start_waiting()

    def _apply(self, job: Job, e: dict) -> None:
        stage = e.get("stage")
        if job.state == "starting":
            job.state = "running"
        if stage == "plan":
            job.stages = list(e["stages"])
            return
        if stage == "done" or stage not in job.stages:
            return
        if stage not in job.stage_started:
            job.stage_started[stage] = time.time()
        job.current = stage
        job.fractions[stage] = max(job.fractions.get(stage, 0.0), float(e.get("fraction", 0.0)))
        if e.get("message"):
            job.message = e["message"]
        if stage == "teacher":
            job.teacher = {k: e[k] for k in ("epoch", "epochs", "batch", "batches", "loss",
                                             "accuracy", "eta", "elapsed") if k in e}
            c = job.curve
            if "test_accuracy" in e:
                c["epoch"].append(e["epoch"])
                c["test_accuracy"].append(e["test_accuracy"])
            elif e.get("loss") is not None:
                c["step"].append(e["epoch"] - 1 + e["batch"] / e["batches"])
                c["loss"].append(e["loss"])
                c["accuracy"].append(e["accuracy"])

    def _finish(self, job: Job, state: str, message: str, error: str | None = None) -> None:
        job.state, job.message, job.error = state, message, error
        job.finished = time.time()
        if state != "done":
            for tmp in job.out.parent.glob(f"{TMP_PREFIX}{job.run_id}*"):
                shutil.rmtree(tmp, ignore_errors=True)

    def _enforce_stop(self, job: Job) -> None:
        """A job that does not stop by itself within ``grace`` seconds is terminated."""
        process = job.process
        if process is None:
            return
        process.join(timeout=self.grace)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()


_MANAGER: JobManager | None = None
_MANAGER_LOCK = threading.Lock()


def get_manager(max_running: int = 1, max_jobs_per_owner: int | None = None) -> JobManager:
    """The process-wide job manager (one per web server), created on first use."""
    global _MANAGER
    with _MANAGER_LOCK:
        if _MANAGER is None:
            _MANAGER = JobManager(max_running=max_running, max_jobs_per_owner=max_jobs_per_owner)
        return _MANAGER
