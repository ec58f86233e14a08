"""What a job's worker does, wherever it runs (a local process or a Ray task): train and save,
streaming throttled progress events, and say how it ended."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable

from ..progress import Cancelled, Reporter, StopCheck

REPORT_EVERY = 0.2  # seconds between progress events that are not milestones


def throttled(report: Reporter, every: float = REPORT_EVERY) -> Reporter:
    """Pass milestones (stage starts and ends, test accuracy, the plan, results) at once and
    the rest at most every ``every`` seconds."""
    last = [0.0]

    def send(event: dict) -> None:
        now = time.monotonic()
        milestone = (event.get("fraction") in (0.0, 1.0) or "test_accuracy" in event
                     or event.get("stage") in ("plan", "done", "result", "worker"))
        if milestone or now - last[0] >= every:
            last[0] = now
            report(event)

    return send


def run_job(kind: str, config: dict, out: str, report: Reporter, should_stop: StopCheck,
            make_pool: Callable | None = None) -> tuple[str, str | None]:
    """Train and save; returns ("done", None), ("cancelled", None) or ("failed", reason).
    ``make_pool``: where a sweep fits its students (the caller's choice: a job on a cluster
    passes its Ray pool; by default, local processes)."""
    import os
    import socket
    report({"stage": "worker", "pid": os.getpid(), "host": socket.gethostname()})
    try:
        _runner(kind, make_pool)(config, throttled(report), should_stop, out)
        return "done", None
    except Cancelled:
        return "cancelled", None
    except Exception as err:  # shown to the user as a message, with the trace for logs
        return "failed", f"{type(err).__name__}: {err}\n{traceback.format_exc()}"


def _runner(kind: str, make_pool: Callable | None) -> Callable:
    if kind == "run":
        from ..config import RunConfig
        from ..pipeline import run_experiment

        def run(config, report, should_stop, out):
            run_experiment(RunConfig.from_dict(config), progress=report,
                           should_stop=should_stop, out=out)
        return run
    if kind == "sweep":
        from ..sweep import LocalPool, SweepConfig, run_sweep

        def sweep(config, report, should_stop, out):
            pool = (make_pool or LocalPool)()
            run_sweep(SweepConfig.from_dict(config), progress=report, should_stop=should_stop,
                      out=out, pool=pool)
        return sweep
    raise ValueError(f"unknown kind of job {kind!r}")

