"""Progress reporting as plain dicts, so any front end (CLI bar, dashboard, test) can follow a run.

A reporter is any callable taking one dict. Events carry at least ``stage`` and ``fraction``
(of that stage, 0..1); training events add ``epoch``, ``batch``, ``loss``, ``accuracy``,
``elapsed`` and ``eta`` (seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable

Reporter = Callable[[dict], None]
StopCheck = Callable[[], bool]


class Cancelled(Exception):
    """Raised inside a run when its stop check says stop; nothing is saved."""


def silent(event: dict) -> None:
    """The reporter used when nobody listens."""


def never() -> bool:
    return False


class Clock:
    """Elapsed time and a linear ETA for work measured in fractions done."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def eta(self, fraction: float) -> float | None:
        if fraction <= 0:
            return None
        return max(0.0, self.elapsed() * (1 - fraction) / fraction)


def check_stop(should_stop: StopCheck) -> None:
    if should_stop():
        raise Cancelled("stopped on request")
