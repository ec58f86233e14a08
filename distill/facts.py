"""What a run's numbers say beyond themselves: which students were distilled, each one's
baseline twin, the gain from distilling, the best student. One home for these facts, read by
the tables, the CLI and every page."""

from __future__ import annotations

from functools import cached_property

from .distillation import BASELINE


class RunFacts:
    """Facts derived from a run's ``metrics.json``."""

    def __init__(self, metrics: dict):
        self.metrics = metrics

    @cached_property
    def distilled(self) -> list[dict]:
        """Student entries trained with the run's method (the baselines left out)."""
        return [s for s in self.metrics["students"] if s.get("method") == self.metrics["method"]]

    def baseline_of(self, entry: dict) -> dict | None:
        """The ground-truth twin of a student entry (None for a baseline or a lone student)."""
        if entry.get("method") == BASELINE:
            return None
        return next((s for s in self.metrics["students"] if s.get("label") == entry.get("label")
                     and s.get("method") == BASELINE and s.get("seed") == entry.get("seed")),
                    None)

    def gain(self, entry: dict, metric: str = "agreement") -> float | None:
        """How much distilling moved ``metric`` over the same model on true labels."""
        base = self.baseline_of(entry)
        return None if base is None else entry[metric] - base[metric]

    @property
    def is_sweep(self) -> bool:
        return "sweep" in self.metrics

    @cached_property
    def best(self) -> dict | None:
        """The distilled student that agrees with the teacher most often."""
        return max(self.distilled, key=lambda s: s["agreement"], default=None)
