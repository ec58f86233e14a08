"""Training jobs: run a configuration in a worker, follow its progress, cancel it.

:mod:`.queue` holds the policy (who may see and cancel what, how many run at once),
:mod:`.record` one job's state, :mod:`.local` the worker processes of this machine,
:mod:`.worker` what a worker does, :mod:`.eta` the time model behind the progress bar.
"""

from __future__ import annotations

import threading

from .eta import estimate_seconds
from .local import LocalJobs
from .queue import JobAccessError, JobQueue, new_job_id
from .record import ACTIVE, FINISHED, Job

_MANAGER: JobQueue | None = None
_MANAGER_LOCK = threading.Lock()


def get_manager(**settings) -> JobQueue:
    """The process-wide job queue, created on first use with ``settings`` (see
    :class:`JobQueue`): the cluster's one queue when a Ray address is configured
    (:mod:`distill.cluster`), else this server's own worker processes."""
    global _MANAGER
    with _MANAGER_LOCK:
        if _MANAGER is None:
            from ..cluster import RayJobs, address
            _MANAGER = RayJobs(**settings) if address() else LocalJobs(**settings)
        return _MANAGER


def started_manager() -> JobQueue | None:
    """The job queue if one was started, without starting one."""
    return _MANAGER


__all__ = ["ACTIVE", "FINISHED", "Job", "JobAccessError", "JobQueue", "LocalJobs",
           "get_manager", "started_manager", "estimate_seconds", "new_job_id"]
