"""Counterfactuals on a saved run: how long the smallest edit takes, and whether the teacher
follows the students' edits.

    python bench/counterfactual.py [RUN] [--digits 100] [--per-group 40]

RUN defaults to the bundled demo. For every student: the time to find the edit for
``--digits`` test digits (default target; median, 95th percentile, slowest), how often one
was found, and its median size; then the teacher-follows figures
(:mod:`distill.explain.follows`) on ``--per-group`` disagreements and agreements a student.
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from distill.explain.counterfactual import NoCounterfactual, counterfactual
from distill.explain.follows import measure_run
from distill.runs import load_run


def timings(run, digits: int) -> list[dict]:
    x = run.predictions["x_test"][:digits]
    teacher = run.load_teacher()
    rows = []
    for name in run.student_names:
        student = run.load_student(name)
        seconds, sizes, missing, exact = [], [], 0, 0
        for image in x:
            start = time.perf_counter()
            try:
                edit = counterfactual(student, image, teacher=teacher)
                sizes.append(edit.l1)
                exact += edit.exact
            except NoCounterfactual:
                missing += 1
            seconds.append(time.perf_counter() - start)
        s = np.array(seconds)
        rows.append({"student": name, "size": _size(run.student_entry(name)),
                     "median s": f"{np.median(s):.3f}", "p95 s": f"{np.percentile(s, 95):.3f}",
                     "slowest s": f"{s.max():.2f}",
                     "found": f"{len(x) - missing}/{len(x)}", "exact": f"{exact}",
                     "median L1": f"{np.median(sizes):.2f}" if sizes else "-"})
    return rows


def _size(entry: dict) -> str:
    if entry.get("leaves"):
        return f"{entry['leaves']} leaves" + (f", depth {entry['depth']}" if entry.get("depth")
                                              else "")
    return f"{entry.get('parameters', 0):,} parameters"


def follows_rows(run, per_group: int) -> list[dict]:
    kept = run.follows  # measured when the run was made (make demo), if with the same size
    data = kept if kept and kept.get("per_group") == per_group else measure_run(
        run, per_group=per_group)
    rows = []
    for name, g in data["students"].items():
        d, a = g["disagreements"], g["agreements"]
        rows.append({"student": name,
                     "agreement": f"{run.student_entry(name)['agreement']:.1%}",
                     "teacher keeps (disagreements)": _share(d),
                     "teacher follows (agreements)": _share(a)})
    return rows


def _share(g: dict) -> str:
    return f"{g['follows'] / g['edits']:.0%} ({g['follows']}/{g['edits']})" if g["edits"] else "-"


def table(rows: list[dict]) -> str:
    cols = list(rows[0])
    return "\n".join(["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
                     + ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run", nargs="?", default="demo-mnist5k")
    parser.add_argument("--digits", type=int, default=100)
    parser.add_argument("--per-group", type=int, default=40)
    args = parser.parse_args()
    run = load_run(args.run)
    print(f"Run {run.id} ({run.metrics['dataset']}); {os.cpu_count()} CPU cores, load "
          f"{os.getloadavg()[0]:.1f}.\n")
    print(f"## Time to the smallest edit ({args.digits} test digits, default target)\n")
    print(table(timings(run, args.digits)))
    print(f"\n## Does the teacher follow? ({args.per_group} digits a group)\n")
    print(table(follows_rows(run, args.per_group)))


if __name__ == "__main__":
    main()
