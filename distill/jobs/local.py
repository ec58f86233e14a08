"""Jobs in worker processes on this machine: the default, which needs nothing set up.

A web page must never train inside its own script (Streamlit stops and reruns it on every
click), so a job runs in a separate process and streams its progress back over a queue. A
process, not a thread, because a cancel must stop scikit-learn fits that never look up: the
job is asked to stop, and terminated if it has not within ``grace`` seconds. A run is saved
atomically, so a stopped job leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue as queue_mod
import threading

from .queue import JobQueue
from .record import Job
from .worker import run_job


def _worker(kind: str, config: dict, out: str, events, stop_event) -> None:
    """Runs in the child process."""
    with contextlib.suppress(OSError):
        os.nice(5)  # the web server stays responsive on a 2-core laptop
    outcome = run_job(kind, config, out, lambda e: events.put(("progress", e)),
                      stop_event.is_set)
    events.put(outcome)


class LocalJobs(JobQueue):
    """The queue, with each job's worker a process of this machine."""

    def __init__(self, *args, grace: float = 2.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.grace = grace
        self._ctx = mp.get_context("spawn")  # never fork a threaded web server
        self._workers: dict[str, tuple] = {}  # job id -> (process, stop event)

    def _launch(self, job: Job) -> None:
        events, stop_event = self._ctx.Queue(), self._ctx.Event()
        process = self._ctx.Process(target=_worker, daemon=True, name=job.id,
                                    args=(job.kind, job.config, str(job.out), events,
                                          stop_event))
        process.start()
        self._workers[job.id] = (process, stop_event)
        threading.Thread(target=self._follow, args=(job.id, process, events, stop_event),
                         daemon=True).start()

    def _follow(self, job_id: str, process, events, stop_event) -> None:
        """Apply the worker's events until it ends, then record how it ended."""
        outcome = None
        while outcome is None:
            try:
                kind, payload = events.get(timeout=0.2)
            except queue_mod.Empty:
                if not process.is_alive():
                    outcome = ("cancelled", None) if stop_event.is_set() else (
                        "failed", f"the worker stopped unexpectedly (exit code "
                        f"{process.exitcode})")
                continue
            if kind == "progress":
                self.report(job_id, payload)
            else:
                outcome = (kind, payload)
        self._workers.pop(job_id, None)
        self.ended(job_id, *outcome)  # the run is saved: say so while the worker exits
        process.join(timeout=5)

    def _stop(self, job: Job) -> None:
        process, stop_event = self._workers.get(job.id, (None, None))
        if process is None:
            return
        stop_event.set()
        threading.Thread(target=self._enforce_stop, args=(process,), daemon=True).start()

    def _enforce_stop(self, process) -> None:
        """A job that does not stop by itself within ``grace`` seconds is terminated."""
        process.join(timeout=self.grace)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
