"""The training queue: who may start, see and cancel which job, and how many run at once.

Policy and bookkeeping only; where a job's worker runs is a backend's business
(:mod:`.local` for processes on this machine). Every check a job can fail runs in
:meth:`JobQueue.submit`, before anything is queued: the settings, the place the run will be
saved in, the memory it needs.

With ``private`` (a public demo) a job belongs to the owner that started it: only that owner
sees its details and may cancel it, whoever else knows its id (ids are also unguessable).
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from pathlib import Path

from ..config import ConfigError, RunConfig, plan
from ..memory import check_memory
from ..runs import TMP_PREFIX, check_output_place, clean_temporary, new_run_id, runs_dir
from ..sweep import SweepConfig
from ..sweep import plan as sweep_plan
from .eta import estimate_seconds
from .record import ACTIVE, FINISHED, Job


class JobAccessError(PermissionError):
    """A job asked for by someone who did not start it."""


def new_job_id() -> str:
    """An id nobody can guess from another's: 72 random bits."""
    return f"job-{secrets.token_urlsafe(9)}"


class JobQueue:
    """Runs at most ``max_running`` jobs at once; the rest wait in order."""

    def __init__(self, max_running: int = 1, folder: Path | None = None,
                 max_jobs_per_owner: int | None = None, max_waiting: int = 20,
                 private: bool = False, memory_budget: int | None = None):
        self.max_running = max_running
        self.max_waiting = max_waiting
        self.max_jobs_per_owner = max_jobs_per_owner
        self.private = private
        self.memory_budget = memory_budget
        self.folder = Path(folder) if folder else None
        self._jobs: dict[str, Job] = {}
        self._lock = threading.RLock()
        clean_temporary(self.runs_folder())  # what a killed server left half-written

    def runs_folder(self) -> Path:
        return self.folder or runs_dir()

    # ---- what pages call ---------------------------------------------------------------
    def submit(self, config: RunConfig | SweepConfig, owner: str | None = None) -> str:
        """Check everything and queue a job (a run or a sweep); raises ConfigError (nothing
        queued) with the reason when the settings, the place to save or the memory would
        not do."""
        config.validate()
        sweep = isinstance(config, SweepConfig)
        run_id = new_run_id(config.dataset)
        out = self.runs_folder() / run_id
        check_output_place(out)
        check_memory(config.as_run() if sweep else config, self.memory_budget)
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
            job = Job(id=new_job_id(), kind="sweep" if sweep else "run",
                      config=config.to_dict(), owner=owner, run_id=run_id, out=out,
                      stages=sweep_plan(config) if sweep else plan(config),
                      estimate=estimate_seconds(config))
            self._jobs[job.id] = job
            self._start_waiting()
            return job.id

    def cancel(self, job_id: str, owner: str | None = None) -> None:
        """Stop a job (at once if it is waiting); nothing of it is saved."""
        with self._lock:
            job = self._owned(job_id, owner)
            if job is None or job.state in FINISHED or job.state == "stopping":
                return
            if job.state == "queued":
                self._finish(job, "cancelled", "cancelled before it started")
                self._start_waiting()
                return
            job.state = "stopping"
        self._stop(job)

    def snapshot(self, job_id: str, owner: str | None = None) -> dict | None:
        """The job's state and progress (None for an unknown id); JobAccessError when the
        queue is private and ``owner`` did not start it."""
        with self._lock:
            job = self._owned(job_id, owner)
            return None if job is None else job.snapshot(self._position(job))

    def jobs(self, owner: str | None = None) -> list[dict]:
        """Snapshots, newest first: ``owner``'s; every job when the queue is not private and
        no owner is given."""
        with self._lock:
            mine = [j for j in self._jobs.values()
                    if (owner is None and not self.private) or (owner and j.owner == owner)]
            return [j.snapshot(self._position(j))
                    for j in sorted(mine, key=lambda j: j.created, reverse=True)]

    def position(self, job_id: str) -> int | None:
        """1 for the next job to start, 2 after it, ...; None when not waiting."""
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else self._position(job)

    # ---- what backends call ------------------------------------------------------------
    def report(self, job_id: str, event: dict) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.state not in FINISHED:
                job.apply(event)

    def ended(self, job_id: str, outcome: str, error: str | None = None) -> None:
        """The worker has finished (it may still be exiting): record how, and start the next
        job."""
        with self._lock:
            job = self._jobs[job_id]
            if outcome == "failed":
                self._finish(job, "failed", "training failed", error)
            elif outcome == "cancelled" or job.state == "stopping":
                self._finish(job, "cancelled", "cancelled; nothing was saved")
            else:
                self._finish(job, "done", f"saved run {job.run_id}")
            self._start_waiting()

    def stopping(self, job_id: str) -> bool:
        """Whether the job has been asked to stop (a worker's stop check)."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job is None or job.state in ("stopping", "cancelled")

    def _launch(self, job: Job) -> None:
        """Start the job's worker (the job is already marked as starting)."""
        raise NotImplementedError

    def _stop(self, job: Job) -> None:
        """Make the job's worker stop, by force if it does not within a grace period."""
        raise NotImplementedError

    # ---- internals ---------------------------------------------------------------------
    def _owned(self, job_id: str, owner: str | None) -> Job | None:
        job = self._jobs.get(job_id)
        if job is not None and self.private and (owner is None or job.owner != owner):
            raise JobAccessError("only the browser that started a training job can see or "
                                 "cancel it")
        return job

    def _position(self, job: Job) -> int | None:
        if job.state != "queued":
            return None
        waiting = sorted((j for j in self._jobs.values() if j.state == "queued"),
                         key=lambda j: j.created)
        return waiting.index(job) + 1

    def _start_waiting(self) -> None:
        running = sum(j.state in ("starting", "running", "stopping") for j in self._jobs.values())
        for job in sorted(self._jobs.values(), key=lambda j: j.created):
            if running >= self.max_running:
                return
            if job.state == "queued":
                job.state, job.message = "starting", "starting a worker"
                job.started = time.time()
                self._launch(job)
                running += 1

    def _finish(self, job: Job, state: str, message: str, error: str | None = None) -> None:
        job.finish(state, message, error)
        if state != "done":
            for tmp in job.out.parent.glob(f"{TMP_PREFIX}{job.run_id}*"):
                shutil.rmtree(tmp, ignore_errors=True)
