"""One training job as the queue knows it: its state, the progress its worker reported, and
the snapshot a page draws. Plain data, so it lives the same in this process or in the shared
queue of a Ray cluster."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

ACTIVE = ("queued", "starting", "running", "stopping")
FINISHED = ("done", "failed", "cancelled")
CURVE_KEYS = ("step", "loss", "accuracy", "epoch", "test_accuracy")


@dataclass
class Job:
    id: str
    kind: str  # "run" (one run) or "sweep" (one teacher, many students)
    config: dict  # the RunConfig or SweepConfig, as a dict
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
    curve: dict[str, list] = field(default_factory=lambda: {k: [] for k in CURVE_KEYS})
    teacher: dict = field(default_factory=dict)  # the last teacher event: epoch, loss, ETA
    results: list[dict] = field(default_factory=list)  # a sweep's students, as they finish
    worker: dict = field(default_factory=dict)  # where it runs: process id and host
    message: str = ""
    error: str | None = None

    @property
    def title(self) -> str | None:
        return self.config.get("title")

    @property
    def dataset(self) -> str:
        return self.config.get("dataset", "")

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
        if self.state == "done":
            return 1.0
        total = sum(self.estimate.get(s, 0) for s in self.stages) or 1.0
        return min(1.0, sum(self.estimate.get(s, 0) * self.fractions.get(s, 0)
                            for s in self.stages) / total)

    # ---- progress --------------------------------------------------------------------
    def apply(self, e: dict) -> None:
        """Take one progress event of the worker (see :mod:`distill.progress`)."""
        stage = e.get("stage")
        if self.state == "starting":
            self.state = "running"
        if stage == "plan":
            self.stages = list(e["stages"])
            return
        if stage == "result":
            self.results.append(dict(e["row"]))
            return
        if stage == "worker":
            self.worker = {k: e[k] for k in ("pid", "host") if k in e}
            return
        if stage == "done" or stage not in self.stages:
            return
        self.stage_started.setdefault(stage, time.time())
        self.current = stage
        self.fractions[stage] = max(self.fractions.get(stage, 0.0), float(e.get("fraction", 0)))
        if e.get("message"):
            self.message = e["message"]
        if stage == "teacher":
            self._teacher_event(e)

    def _teacher_event(self, e: dict) -> None:
        self.teacher = {k: e[k] for k in ("epoch", "epochs", "batch", "batches", "loss",
                                          "accuracy", "eta", "elapsed", "test_accuracy")
                        if k in e}
        c = self.curve
        if "test_accuracy" in e and "epoch" in e:  # a network trained here: its curve
            c["epoch"].append(e["epoch"])
            c["test_accuracy"].append(e["test_accuracy"])
        elif e.get("loss") is not None:
            c["step"].append(e["epoch"] - 1 + e["batch"] / e["batches"])
            c["loss"].append(e["loss"])
            c["accuracy"].append(e["accuracy"])

    def finish(self, state: str, message: str, error: str | None = None) -> None:
        self.state, self.message, self.error = state, message, error
        self.finished = time.time()

    def snapshot(self, position: int | None) -> dict:
        """Everything a page shows of the job, as plain data."""
        return {"id": self.id, "kind": self.kind, "owner": self.owner, "state": self.state,
                "run_id": self.run_id, "dataset": self.dataset, "title": self.title,
                "created": self.created, "elapsed": self.elapsed(), "eta": self.eta(),
                "overall": self.overall(), "stages": list(self.stages),
                "fractions": dict(self.fractions), "current": self.current,
                "teacher": dict(self.teacher), "curve": {k: list(v) for k, v in self.curve.items()},
                "results": [dict(r) for r in self.results], "worker": dict(self.worker),
                "message": self.message,
                "error": self.error, "position": position}
