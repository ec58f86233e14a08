"""Training beyond one machine: jobs and sweeps on a Ray cluster.

With ``DISTILL_RAY_ADDRESS`` set (``auto`` for a cluster running on this machine; or ``--ray
ADDRESS`` on the CLI):

- the training queue is one named, detached Ray actor (:class:`QueueActor`, holding the same
  :class:`~distill.jobs.queue.JobQueue` policy as a single server), so every app replica
  sharing the cluster shares one queue: one hosted job at a time, places in line, jobs that
  belong to the browser that started them;
- a job runs as a Ray task that asks for the CPUs it needs and a GPU when the cluster has
  one; it reports the same progress events as a local worker, stops when asked (and is
  killed if it does not within a few seconds), and a worker that is lost fails the job with a
  message, never a half run (runs are written atomically);
- a sweep's student fits are Ray tasks spread over the cluster (:class:`RayPool`).

Every node must see the runs folder at the same path (a shared filesystem), since a job's
worker writes the run where the app replicas read it. Without an address nothing here is
used and jobs run in local worker processes (:mod:`distill.jobs.local`).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from .jobs.queue import JobQueue
from .jobs.record import Job
from .jobs.worker import run_job
from .progress import StopCheck, check_stop

NAMESPACE = "distill"
QUEUE_NAME = "distill-jobs"
JOB_CPUS = int(os.environ.get("DISTILL_RAY_JOB_CPUS", "2"))  # what a training job asks for
STOP_GRACE = 5.0  # seconds a job has to stop by itself before its worker is killed
STOP_POLL = 0.5  # how often a worker asks whether it should stop


def address() -> str | None:
    """The configured cluster (``DISTILL_RAY_ADDRESS``), or None for local workers."""
    return os.environ.get("DISTILL_RAY_ADDRESS") or None


def connect(where: str | None = None, num_cpus: int | None = None):
    """Join the cluster at ``where`` ("auto": the one running here); with ``where`` "local",
    start a private head on this machine's loopback address. Returns the ``ray`` module."""
    if where == "local":
        # before Ray is imported: bind every Ray server to 127.0.0.1, not the network
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray
    if not ray.is_initialized():
        options = {"namespace": NAMESPACE, "log_to_driver": False,
                   "ignore_reinit_error": True}
        if where == "local":
            ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False, **options)
        else:
            ray.init(address=where or address() or "auto", **options)
    return ray


def job_resources(ray) -> dict:
    """The CPUs a job asks for (no more than a node has), and a GPU when there is one."""
    nodes = [n["Resources"] for n in ray.nodes() if n.get("Alive")]
    cpus = min(JOB_CPUS, max((int(n.get("CPU", 0)) for n in nodes), default=1))
    gpus = 1 if any(n.get("GPU", 0) >= 1 for n in nodes) else 0
    return {"num_cpus": max(1, cpus), "num_gpus": gpus}


# --------------------------------------------------------------------------------------
# the work, on whatever node it lands


def _job_task(kind: str, config: dict, out: str, job_id: str, cpus: int):
    """A training job: its progress goes to the queue actor, which also says when to stop."""
    import ray

    from .parallel import set_threads
    set_threads(cpus)
    queue = ray.get_actor(QUEUE_NAME, namespace=NAMESPACE)
    last = [0.0, False]

    def should_stop() -> bool:
        now = time.monotonic()
        if now - last[0] >= STOP_POLL:
            last[0], last[1] = now, ray.get(queue.stopping.remote(job_id))
        return last[1]

    return run_job(kind, config, out, lambda e: queue.report.remote(job_id, e), should_stop,
                   make_pool=RayPool)  # a sweep on a cluster spreads its fits over it


def _fit_task(task, arrays: dict, options: dict) -> dict:
    from .sweep import fit_task
    return fit_task(task, arrays, **options)


def _remote_job(kind: str, config: dict, out: str, events, cpus: int):
    """A job of the command line: its progress goes to a Ray queue the CLI reads."""
    from .parallel import set_threads
    set_threads(cpus)
    stop = [False]

    def report(event: dict) -> None:
        events.put(event)

    return run_job(kind, config, out, report, lambda: stop[0], make_pool=RayPool)


def run_remote(cfg, progress, out: str | Path | None = None, where: str | None = None):
    """Run a configuration (a run or a sweep) as one Ray task, showing its progress here;
    Ctrl-C cancels it, and nothing is saved. Returns the saved run."""
    from queue import Empty

    from ray.util.queue import Queue

    from .progress import Cancelled
    from .runs import Run, check_output_place, new_run_id, runs_dir
    ray = connect(where)
    kind = "sweep" if hasattr(cfg, "tasks") else "run"
    target = Path(out) if out else runs_dir() / new_run_id(cfg.dataset)
    check_output_place(target)
    resources = job_resources(ray)
    events = Queue()
    task = ray.remote(max_retries=0, **resources)(_remote_job)
    ref = task.remote(kind, cfg.to_dict(), str(target), events, resources["num_cpus"])
    try:
        while True:
            done, _ = ray.wait([ref], timeout=0.2)
            try:
                while True:
                    progress(events.get_nowait())
            except Empty:
                pass
            if done:
                break
    except KeyboardInterrupt:
        ray.cancel(ref, force=True)
        raise
    outcome, error = ray.get(ref)
    if outcome == "cancelled":
        raise Cancelled("cancelled on the cluster")
    if outcome == "failed":
        raise RuntimeError(error.splitlines()[0])
    return Run(target)


class RayPool:
    """A sweep's fits as Ray tasks: the shared arrays are put in the object store once."""

    def __init__(self, where: str | None = None):
        self.ray = connect(where)

    def run(self, jobs: list, should_stop: StopCheck):
        ray = self.ray
        fit = ray.remote(num_cpus=1, max_retries=0)(_fit_task)
        refs: dict[int, object] = {}
        pending = []
        for task, arrays, options in jobs:
            if id(arrays) not in refs:
                refs[id(arrays)] = ray.put(dict(arrays))
            pending.append(fit.remote(task, refs[id(arrays)], options))
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=0.5)
            if should_stop():
                for ref in pending:
                    ray.cancel(ref, force=True)
                check_stop(should_stop)
            for ref in done:
                yield ray.get(ref)


# --------------------------------------------------------------------------------------
# one queue for every replica


class ClusterJobs(JobQueue):
    """The queue, with each job a Ray task. Lives inside :class:`QueueActor`."""

    def __init__(self, *args, grace: float = STOP_GRACE, **kwargs):
        super().__init__(*args, **kwargs)
        import ray
        self.ray = ray
        self.grace = grace
        self._refs: dict[str, object] = {}

    def _launch(self, job: Job) -> None:
        ray = self.ray
        resources = job_resources(ray)
        task = ray.remote(max_retries=0, **resources)(_job_task)
        ref = task.remote(job.kind, job.config, str(job.out), job.id, resources["num_cpus"])
        self._refs[job.id] = ref
        threading.Thread(target=self._follow, args=(job.id, ref), daemon=True).start()

    def _follow(self, job_id: str, ref) -> None:
        ray = self.ray
        try:
            outcome = ray.get(ref)
        except ray.exceptions.TaskCancelledError:
            outcome = ("cancelled", None)
        except ray.exceptions.RayError as err:
            outcome = ("failed", "the worker running this job was lost (its process or node "
                       f"stopped: {type(err).__name__}); nothing was saved")
        self._refs.pop(job_id, None)
        self.ended(job_id, *outcome)

    def _stop(self, job: Job) -> None:
        """The worker sees the stop at its next check; one that does not within ``grace``
        seconds (inside a long scikit-learn fit) is killed."""
        ref = self._refs.get(job.id)
        if ref is None:
            return

        def enforce() -> None:
            done, _ = self.ray.wait([ref], timeout=self.grace)
            if not done:
                self.ray.cancel(ref, force=True)

        threading.Thread(target=enforce, daemon=True).start()


class QueueActor:
    """The shared queue as a Ray actor: what :class:`RayJobs` clients call."""

    def __init__(self, settings: dict):
        self.jobs = ClusterJobs(**settings)

    def submit(self, config: dict, kind: str, owner: str | None) -> str:
        return self.jobs.submit(_config(kind, config), owner)

    def cancel(self, job_id: str, owner: str | None) -> None:
        self.jobs.cancel(job_id, owner)

    def snapshot(self, job_id: str, owner: str | None) -> dict | None:
        return self.jobs.snapshot(job_id, owner)

    def list(self, owner: str | None) -> list[dict]:
        return self.jobs.jobs(owner)

    def position(self, job_id: str) -> int | None:
        return self.jobs.position(job_id)

    def report(self, job_id: str, event: dict) -> None:
        self.jobs.report(job_id, event)

    def stopping(self, job_id: str) -> bool:
        return self.jobs.stopping(job_id)

    def settings(self) -> dict:
        q = self.jobs
        return {"max_running": q.max_running, "private": q.private,
                "max_jobs_per_owner": q.max_jobs_per_owner, "max_waiting": q.max_waiting}


def _config(kind: str, config: dict):
    if kind == "sweep":
        from .sweep import SweepConfig
        return SweepConfig.from_dict(config)
    from .config import RunConfig
    return RunConfig.from_dict(config)


class RayJobs:
    """A replica's view of the cluster's one queue: the same calls as a local queue."""

    def __init__(self, where: str | None = None, folder: Path | None = None, **settings):
        self.ray = ray = connect(where)
        actor = ray.remote(num_cpus=0, max_concurrency=64)(QueueActor)
        if folder is not None:
            settings["folder"] = str(folder)
        self.actor = actor.options(name=QUEUE_NAME, namespace=NAMESPACE, lifetime="detached",
                                   get_if_exists=True).remote(settings)

    def _call(self, method: str, *args):
        return self.ray.get(getattr(self.actor, method).remote(*args))

    def submit(self, config, owner: str | None = None) -> str:
        kind = "sweep" if hasattr(config, "tasks") else "run"
        config.validate()  # say what is wrong here, before asking the cluster
        return self._call("submit", config.to_dict(), kind, owner)

    def cancel(self, job_id: str, owner: str | None = None) -> None:
        self._call("cancel", job_id, owner)

    def snapshot(self, job_id: str, owner: str | None = None) -> dict | None:
        return self._call("snapshot", job_id, owner)

    def jobs(self, owner: str | None = None) -> list[dict]:
        return self._call("list", owner)

    def position(self, job_id: str) -> int | None:
        return self._call("position", job_id)

    def settings(self) -> dict:
        return self._call("settings")

    def close(self) -> None:
        """Remove the shared queue (tests and shutdowns; running jobs are lost)."""
        self.ray.kill(self.actor)
