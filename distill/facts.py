"""What a run's numbers say beyond themselves: which students were distilled, each one's
baseline twin, the gain from distilling, the best student. One home for these facts, read by
the tables, the CLI and every page."""

from __future__ import annotations

from functools import cached_property

from .distillation import BASELINE, TRANSFER_METHODS


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
        if base is None or entry.get(metric) is None or base.get(metric) is None:
            return None
        return entry[metric] - base[metric]

    @property
    def is_sweep(self) -> bool:
        return "sweep" in self.metrics

    @property
    def has_teacher(self) -> bool:
        return self.metrics.get("teacher") is not None

    @cached_property
    def best(self) -> dict | None:
        """The distilled student that agrees with the teacher most often (without a teacher:
        the most accurate student)."""
        key = "agreement" if self.has_teacher else "test_accuracy"
        return max(self.distilled, key=lambda s: s[key], default=None)

    def leaf_meaning(self, entry: dict) -> str:
        """What a tree student's leaf probability means, in words, for the student of
        ``entry``: the probability shown is the one the tree predicts with, and this says
        where it comes from."""
        m = self.metrics
        method = (entry.get("chosen") or {}).get("method") or entry.get("method")
        soft = method == "soft" or (method in TRANSFER_METHODS
                                    and m.get("transfer_labels", "hard") in ("auto", "soft"))
        if method == BASELINE:
            return ("a leaf's probability is the share of its training digits of each class "
                    "(true labels)")
        if not soft:
            return ("a leaf's probability is the share of its training digits the teacher "
                    "gives each class")
        if m.get("leaves") == "teacher":
            return ("a leaf's probability is the teacher's own probability, averaged over the "
                    "training digits that reach the leaf")
        return (f"a leaf's probability is the teacher's probability softened at T="
                f"{m['temperature']:g}, averaged over the training digits that reach the leaf: "
                "lower than the teacher's own confidence")
