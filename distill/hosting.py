"""Limits for a public, shared demo server, and for a laptop.

In hosted mode every visitor shares one small server: training is bounded so a job takes
about a minute, one job runs at a time and the rest queue, runs cannot be deleted or
renamed. The caps on numbers are the ``hosted_high`` of each parameter's
:class:`~distill.params.Param` (students, teacher, run); the few limits that are not about
one parameter are here. These checks run before a job is queued, with reasons a visitor can
act on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .config import RUN_PARAMS, TEACHER_PARAMS, params_for
from .data import info_or_none
from .memory import GB, estimate
from .students import STUDENTS
from .switches import uploads_allowed


@dataclass(frozen=True)
class Limits:
    datasets: tuple[str, ...] = ("mnist5k", "digits")
    max_students: int = 4
    local_parallel_jobs: int = 1  # 2 cores: one job at a time trains fastest
    memory_budget: int = 3 * GB  # a job's peak, so that viewers keep their share
    max_sweep_fits: int = 24  # students x methods x seeds of one sweep
    # your own data and network, only where DISTILL_ALLOW_UPLOADS=1 (off on a public demo)
    upload_bytes: int = 20 * 1024 ** 2  # one uploaded file
    upload_images: int = 20_000  # every split of an uploaded data set together
    upload_unpacked_bytes: int = 200 * 1024 ** 2  # a zip's contents
    upload_files: int = 25_000  # a zip's entries


LIMITS = Limits()



def hosted_problems(cfg, limits: Limits = LIMITS) -> list[str]:
    """What in ``cfg`` (a run or a sweep) a public demo server refuses, in words (empty when
    fine)."""
    if hasattr(cfg, "tasks"):  # a sweep: its fits counted, each student as in a run
        tasks = cfg.tasks()
        problems = [] if len(tasks) <= limits.max_sweep_fits else [
            f"the demo fits at most {limits.max_sweep_fits} students in a sweep; this one "
            f"fits {len(tasks)}"]
        for task in tasks:
            problems += STUDENTS[task.name].hosted_problems(task.params)
        return list(dict.fromkeys(problems + hosted_problems(cfg.as_run(), limits)))
    problems = []
    if getattr(cfg, "teacher_file", None) and not uploads_allowed(True):
        problems.append("the demo takes no network of yours (uploads are off here)")
    if cfg.dataset not in limits.datasets:
        problems.append(f"the demo trains on {' and '.join(limits.datasets)} only")
    for table, values in ((TEACHER_PARAMS, asdict(cfg.teacher)), (RUN_PARAMS, asdict(cfg))):
        for name, param in table.items():
            if name == "transfer_size" and not cfg.generators():
                continue  # only a transfer set has a size
            problem = param.hosted_problem(name, values.get(name))
            if problem:
                problems.append(problem)
    if len(cfg.students) > limits.max_students:
        problems.append(f"the demo trains at most {limits.max_students} students at once")
    for s in cfg.students:
        if s.name in STUDENTS:
            problems += STUDENTS[s.name].hosted_problems(params_for(s, cfg.dataset))
    if not problems and info_or_none(cfg.dataset) is not None:
        need = estimate(cfg)
        if need.peak > limits.memory_budget:
            problems.append(f"the demo runs jobs of at most {limits.memory_budget / GB:.1f} GB "
                            f"of memory; this one needs {need.words()}")
    return list(dict.fromkeys(problems))
