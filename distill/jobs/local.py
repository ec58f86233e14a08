"""Jobs in worker processes on this machine: the default, which needs nothing set up.

A web page must never train inside its own script (Streamlit stops and reruns it on every
click), so a job runs in a separate process and streams its progress back over a queue. A
process, not a thread, because a cancel must stop scikit-learn fits that never look up: the
job is asked to stop, and terminated if it has not within ``grace`` seconds. A run is saved
atomically, so a stopped job leaves nothing behind.

Workers are forked from a fork server, a clean process started once (never a fork of the
threaded web server) that has imported what training needs: torch, scikit-learn and this
package take seconds of CPU to import, which every job after the first no longer pays. The
first job waits for those imports in its own thread, never in the page that submitted it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import queue as queue_mod
import threading

from .queue import JobQueue
from .record import Job
from .worker import run_job

LOG = logging.getLogger(__name__)


def _worker(kind: str, config: dict, out: str, events, stop_event, env: dict) -> None:
    """Runs in the child process, with the environment of the process that submitted the
    job (a fork server's is that of when it started)."""
    os.environ.clear()
    os.environ.update(env)
    with contextlib.suppress(OSError):
        os.nice(5)  # the web server stays responsive on a 2-core laptop
    outcome = run_job(kind, config, out, lambda e: events.put(("progress", e)),
                      stop_event.is_set)
    events.put(outcome)


PRELOAD = ["distill.pipeline", "distill.sweep", "distill.teacher"]  # the fork server's imports


class LocalJobs(JobQueue):
    """The queue, with each job's worker a process of this machine."""

    def __init__(self, *args, grace: float = 2.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.grace = grace
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(PRELOAD)
        self._workers: dict[str, tuple] = {}  # job id -> (process, stop event, started)

    def _launch(self, job: Job) -> None:
        events, stop_event = self._ctx.Queue(), self._ctx.Event()
        process = self._ctx.Process(target=_worker, daemon=True, name=job.id,
                                    args=(job.kind, job.config, str(job.out), events,
                                          stop_event, dict(os.environ)))
        started = threading.Event()
        self._workers[job.id] = (process, stop_event, started)
        threading.Thread(target=self._follow, args=(job.id, process, events, stop_event,
                                                    started), daemon=True).start()

    def _follow(self, job_id: str, process, events, stop_event, started) -> None:
        """Start the worker, apply its events until it ends, then record how it ended."""
        try:
            process.start()  # the first one waits for the fork server's imports
        except Exception as err:  # said to the user as the job's failure
            self._workers.pop(job_id, None)
            self.ended(job_id, "failed", f"the worker could not start: {err}")
            return
        finally:
            started.set()
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
                try:
                    self.report(job_id, payload)
                except Exception:  # a malformed event costs its display, never the job
                    LOG.exception("job %s: a progress event could not be shown", job_id)
            else:
                outcome = (kind, payload)
        self._workers.pop(job_id, None)
        self.ended(job_id, *outcome)  # the run is saved: say so while the worker exits
        process.join(timeout=5)

    def _stop(self, job: Job) -> None:
        process, stop_event, started = self._workers.get(job.id, (None, None, None))
        if process is None:
            return
        stop_event.set()
        threading.Thread(target=self._enforce_stop, args=(process, started),
                         daemon=True).start()

    def _enforce_stop(self, process, started) -> None:
        """A job that does not stop by itself within ``grace`` seconds is terminated."""
        started.wait()
        if process.pid is None:
            return  # it never started
        process.join(timeout=self.grace)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
