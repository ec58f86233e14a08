"""A sweep's answer: how agreement (and accuracy) grow with a student's size.

Plain numbers from ``metrics.json`` (no models, no scikit-learn), so the overview can read
them as cheaply as the rest of a run's numbers.
"""

from __future__ import annotations

import numpy as np

from .distillation import BASELINE


def frontier_rows(metrics: dict) -> list[dict]:
    """Agreement and accuracy of each student size, the mean and spread over seeds: one row
    per (student kind, size, method), sorted by size."""
    groups: dict[tuple, list[dict]] = {}
    for s in metrics["students"]:
        groups.setdefault((s["student"], s["label"], s["method"]), []).append(s)
    rows = []
    for (name, label, method), entries in groups.items():
        agreement = np.array([e["agreement"] for e in entries])
        accuracy = np.array([e["test_accuracy"] for e in entries])
        first = entries[0]
        rows.append({"student": name, "label": label, "method": method,
                     "leaves": first.get("leaves"), "parameters": first.get("parameters"),
                     "agreement": float(agreement.mean()), "agreement_sd": float(
                         agreement.std()), "accuracy": float(accuracy.mean()),
                     "accuracy_sd": float(accuracy.std()), "seeds": len(entries),
                     "names": [e["name"] for e in entries]})
    return sorted(rows, key=lambda r: (r["student"], r["method"], r["parameters"] or 0))


def smallest_reaching(metrics: dict, student: str, level: float,
                      size: str = "leaves") -> dict | None:
    """The smallest distilled ``student`` whose mean agreement reaches ``level``."""
    method = next((m for m in metrics.get("sweep", {}).get("methods", []) if m != BASELINE),
                  None)
    fits = [r for r in frontier_rows(metrics) if r["student"] == student
            and r["method"] == method and r["agreement"] >= level and r.get(size) is not None]
    return min(fits, key=lambda r: r[size], default=None)



def best_per_student(metrics: dict) -> list[dict]:
    """For each student kind of a sweep: its distilled size that agrees most with the teacher
    (mean over seeds), with the same size trained on the true labels beside it."""
    method = next((m for m in metrics.get("sweep", {}).get("methods", []) if m != BASELINE),
                  BASELINE)
    rows = frontier_rows(metrics)
    out = []
    for student in dict.fromkeys(r["student"] for r in rows):
        mine = [r for r in rows if r["student"] == student and r["method"] == method]
        if not mine:
            continue
        best = max(mine, key=lambda r: r["agreement"])
        base = next((r for r in rows if r["label"] == best["label"]
                     and r["method"] == BASELINE), None)
        out.append({"student": student, "best": best, "baseline": base})
    return out
