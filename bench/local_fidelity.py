"""Local fidelity against agreement, by how the students learned: does teaching a student where
the network's boundaries are (``--method boundary``) make the network follow its reasons?

    python bench/local_fidelity.py                         # transfer, then boundary variants
    python bench/local_fidelity.py --variant boundary:rounds=4,boundary_sample=300
    python bench/local_fidelity.py --run RUN [--run RUN]   # tables of runs made already

Every variant distils the same teacher (the bundled demo run's, default settings on mnist5k)
into the same students (``--student``, default: the region tree, the depth-8 soft tree,
logistic regression and the three naive Bayes kinds), and measures local fidelity on the same
200 test digits (``distill.explain.local_fidelity``). Bernoulli naive Bayes's integer programs
get 0.5 s each here (``--bernoulli-seconds``; 3 s in the app), so its edits are the best found
in that time. Prints Markdown: per variant and student, agreement, local fidelity at 1x with its
interval, at 1.5x and 2x, and the student's fit seconds (the boundary rounds included).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from distill.config import RunConfig, StudentChoice
from distill.runs import Run
from distill.summary import cell, markdown_table

DEMO = Path(__file__).resolve().parent.parent / "assets" / "runs" / "demo-mnist5k"
STUDENTS = ("tree", "soft-tree", "linear", "gaussian-nb", "multinomial-nb", "bernoulli-nb")
VARIANTS = ("transfer", "boundary", "boundary:rounds=4,boundary_sample=300")


def parse_variant(text: str) -> tuple[str, dict]:
    """"boundary:rounds=4,boundary_sample=300" -> ("boundary", {"rounds": 4, ...})."""
    method, _, rest = text.partition(":")
    params = {}
    for part in filter(None, rest.split(",")):
        key, _, value = part.partition("=")
        for kind in (int, float, str):
            try:
                params[key] = kind(value)
                break
            except ValueError:
                continue
    return method, params


def train(variant: str, students: list[str], teacher, out: Path) -> tuple[Run, float]:
    from distill.pipeline import run_experiment
    method, params = parse_variant(variant)
    import distill.boundary
    distill.boundary.COPIES = params.pop("copies", 1)  # the images at the boundary, weighted
    cfg = RunConfig(dataset="mnist5k", method=method, local_fidelity=200,
                    students=[StudentChoice(s) for s in students], title=variant, **params)
    start = time.perf_counter()
    run = run_experiment(cfg, out=out, teacher=teacher)
    return run, time.perf_counter() - start


def rows_of(run: Run, variant: str, wall: float | None) -> list[dict]:
    rows = []
    for s in run.metrics["students"]:
        d = s.get("local_fidelity_detail") or {}
        shares = d.get("shares") or [None] * 3
        rows.append({
            "variant": variant if s["method"] != "ground-truth" else "true labels",
            "student": s["label"], "agreement": cell(s["agreement"], "agreement"),
            "local fidelity 1x": cell(shares[0], "agreement"),
            "95% CI": cell(d.get("interval"), "_ci") if d.get("interval") else "-",
            "1.5x": cell(shares[1], "agreement"), "2x": cell(shares[2], "agreement"),
            "edits": d.get("edits", "-"),
            "fit s": f"{s.get('fit_seconds', 0):.1f}",
            "run s": f"{wall:.0f}" if wall else "-"})
    return rows


def teacher_margin(run: Run, step: float = 0.1, steps: int = 400) -> str:
    """How far the network's own boundary is: the L1 change at which its gradient walk
    (``distill.boundary.teacher_walk_images``, finer steps) from each measured digit first
    reaches its runner-up; an upper bound on its smallest edit in that direction."""
    import numpy as np

    from distill.boundary import teacher_walk_images
    from distill.explain.local_fidelity import SAMPLE, sample_digits
    x = run.predictions["x_test"]
    picks = sample_digits(len(x), SAMPLE)
    pairs, reached = teacher_walk_images(run.load_teacher(), x, picks, steps, step)
    after = pairs[len(pairs) // 2:]
    start = x[picks[reached]]
    l1 = np.abs(after.reshape(len(after), -1) - start.reshape(len(start), -1)).sum(1)
    q1, med, q3 = np.percentile(l1, [25, 50, 75])
    return (f"the network's walk reached its runner-up on {len(after)} of {len(picks)} "
            f"digits; L1 change median {med:.1f} (quartiles {q1:.1f}, {q3:.1f})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variant", action="append", help=f"default: {', '.join(VARIANTS)}")
    p.add_argument("--student", action="append", help=f"default: {', '.join(STUDENTS)}")
    p.add_argument("--run", action="append", help="tables of runs made already")
    p.add_argument("--bernoulli-seconds", type=float, default=0.5)
    p.add_argument("--keep", help="keep the runs in this folder")
    p.add_argument("--teacher-margin", action="store_true",
                   help="only how far the demo teacher's own boundary is from its digits")
    args = p.parse_args()
    if args.teacher_margin:
        print(teacher_margin(Run(DEMO)))
        return
    import distill.explain.counterfactual as cf
    cf.SECONDS = args.bernoulli_seconds
    rows = []
    if args.run:
        for r in args.run:
            run = Run(Path(r))
            run.ensure_local_fidelity()
            rows += rows_of(run, run.title, None)
    else:
        teacher = Run(DEMO).load_teacher()
        folder = Path(args.keep or tempfile.mkdtemp())
        for i, variant in enumerate(args.variant or VARIANTS):
            run, wall = train(variant, args.student or list(STUDENTS), teacher,
                              folder / f"v{i}")
            new = rows_of(run, variant, wall)
            rows += new if i == 0 else [r for r in new if r["variant"] != "true labels"]
            print(markdown_table(new), flush=True)
            print(flush=True)
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
