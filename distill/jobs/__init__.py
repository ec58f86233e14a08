"""Training jobs: run a configuration in a worker, follow its progress, cancel it.

:mod:`.manager` holds the queue and the local worker processes; :mod:`.eta` the time model
behind the progress bar.
"""

from .eta import estimate_seconds
from .manager import ACTIVE, FINISHED, Job, JobManager, get_manager

__all__ = ["ACTIVE", "FINISHED", "Job", "JobManager", "get_manager", "estimate_seconds"]
