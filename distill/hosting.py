"""Limits for a public, shared demo server, and for a laptop.

In hosted mode every visitor shares one small server: training is bounded so a job takes
about a minute, one job runs at a time and the rest queue, runs cannot be deleted or
renamed. These checks run before a job is queued, with reasons a visitor can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import RunConfig
from .students import make_student


@dataclass(frozen=True)
class Limits:
    datasets: tuple[str, ...] = ("mnist5k", "digits")
    max_epochs: int = 6
    max_transfer_size: int = 5
    max_students: int = 4
    max_leaves: int = 512
    max_depth: int = 16
    max_soft_tree_depth: int = 6
    max_soft_tree_epochs: int = 20
    local_parallel_jobs: int = 1  # 2 cores: one job at a time trains fastest


LIMITS = Limits()


def hosted_problems(cfg: RunConfig, limits: Limits = LIMITS) -> list[str]:
    """What in ``cfg`` a public demo server refuses, in words (empty when fine)."""
    problems = []
    if cfg.dataset not in limits.datasets:
        problems.append(f"the demo trains on {' and '.join(limits.datasets)} only")
    if cfg.teacher.epochs > limits.max_epochs:
        problems.append(f"the demo allows at most {limits.max_epochs} teacher epochs")
    if cfg.method == "transfer" and cfg.transfer_size > limits.max_transfer_size:
        problems.append(f"the demo allows transfer sets of at most {limits.max_transfer_size}x")
    if len(cfg.students) > limits.max_students:
        problems.append(f"the demo trains at most {limits.max_students} students at once")
    for s in cfg.students:
        p = make_student(s.name, **s.params).get_params()  # the values it would train with
        if s.name in ("tree", "pixel-tree"):
            if p["max_leaf_nodes"] is None or p["max_leaf_nodes"] > limits.max_leaves:
                problems.append(f"the demo allows trees of at most {limits.max_leaves} leaves")
            if p["max_depth"] is not None and p["max_depth"] > limits.max_depth:
                problems.append(f"the demo allows trees of depth at most {limits.max_depth}")
        if s.name == "soft-tree":
            if p["depth"] > limits.max_soft_tree_depth:
                problems.append("the demo allows soft trees of depth at most "
                                f"{limits.max_soft_tree_depth}")
            if p["epochs"] > limits.max_soft_tree_epochs:
                problems.append("the demo allows at most "
                                f"{limits.max_soft_tree_epochs} soft-tree epochs")
    return list(dict.fromkeys(problems))
