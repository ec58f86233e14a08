"""Speed benchmark: teacher time-to-accuracy, the default end-to-end run, explanation latency.

    python bench/speed.py [--quick]

Prints Markdown tables (pasted into the README). Timings are wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from distill.config import RunConfig, TeacherConfig
from distill.data import load_dataset
from distill.explain import explain
from distill.explain.drawing import tree_dot
from distill.explain.tree import decision_path
from distill.pipeline import run_experiment
from distill.summary import markdown_table
from distill.teacher import train_teacher


def teacher_table(archs: list[str], epochs: int) -> str:
    data = load_dataset("mnist5k")
    rows = []
    for arch in archs:
        cfg = TeacherConfig(arch=arch, epochs=epochs)
        teacher, hist = train_teacher(cfg, data.x_train, data.y_train, data.x_test, data.y_test, 10)
        per_epoch = hist.seconds / epochs  # includes the per-epoch test pass
        reached = next((e for e, a in zip(hist.epoch, hist.test_accuracy) if a >= 0.985), None)
        rows.append({"teacher": arch, "epochs": epochs, "parameters": teacher.n_parameters,
                     "train s": round(hist.seconds, 1),
                     "test accuracy": f"{hist.test_accuracy[-1]:.1%}",
                     "best epoch accuracy": f"{max(hist.test_accuracy):.1%}",
                     "first >= 98.5%": (f"epoch {reached} ({reached * per_epoch:.0f} s)"
                                        if reached else "never")})
    return markdown_table(rows)


def end_to_end() -> tuple[str, object]:
    """The CLI's default run (`python -m distill train`), timed stage by stage."""
    starts: dict[str, float] = {}
    ends: dict[str, float] = {}

    def note(e: dict) -> None:
        stage = e.get("stage")
        now = time.perf_counter()
        starts.setdefault(stage, now)
        ends[stage] = now

    out = Path(tempfile.mkdtemp()) / "run"
    t0 = time.perf_counter()
    run = run_experiment(RunConfig(), progress=note, out=out)
    total = time.perf_counter() - t0
    rows = [{"stage": s, "seconds": round(ends[s] - starts[s], 1)} for s in starts
            if s not in ("plan", "done")]
    rows.append({"stage": "total", "seconds": round(total, 1)})
    return markdown_table(rows), run


def explain_latency(run) -> str:
    x = run.predictions["x_test"]
    rows = []
    for name in [s["name"] for s in run.facts.distilled]:
        student = run.load_student(name)
        times = []
        for image in x:
            t = time.perf_counter()
            e = explain(student, image)
            if student.kind == "tree":
                tree_dot(student, decision_path(student, image), view="path")
            times.append((time.perf_counter() - t) * 1000)
            assert "prediction" in e
        size = (f"{student.n_leaves_} leaves" if student.kind == "tree"
                else f"{student.size()['parameters']} parameters")
        rows.append({"student": name, "size": size,
                     "p50 ms": f"{np.percentile(times, 50):.2f}",
                     "p95 ms": f"{np.percentile(times, 95):.2f}",
                     "max ms": f"{max(times):.2f}"})
    return markdown_table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="default teacher only")
    args = parser.parse_args()
    archs = ["cnn"] if args.quick else ["cnn", "lenet5", "mlp", "resnet"]
    print("## Teacher: time to accuracy on mnist5k (4,000 train / 1,000 test)\n")
    print(teacher_table(archs, TeacherConfig().epochs))
    print("\n## End to end: `python -m distill train` with no options\n")
    table, run = end_to_end()
    print(table)
    print("\n## Explaining one test digit (explanation + DOT for trees), over 1,000 digits\n")
    print(explain_latency(run))


if __name__ == "__main__":
    main()
