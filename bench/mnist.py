"""Full MNIST (60,000 / 10,000) against the papers on their own data.

    python bench/mnist.py --run RUN                  # the papers' rows, from RUN's teacher
    python bench/mnist.py --run RUN --frontier       # and the frontier of sizes
    python bench/mnist.py --run RUN --frontier --plot bench/results/mnist-frontier.png

RUN is a saved full-MNIST run (``python -m distill train --dataset mnist``): its teacher is
reused, so each student here is fitted on the same teacher's labels. Each student is fitted
on the teacher's transfer set (the run's method and size) and, at the same size, on the true
labels, and scored on the 10,000 test digits: test accuracy (the papers' measure), agreement
with the teacher, size. Prints Markdown tables; ``--plot`` writes the frontier (test accuracy
against leaves, log axis) with the papers' points on the same axes, as a PNG.

The papers: Frosst & Hinton 2017, a depth-8 soft decision tree: 94.45% on true labels, 96.76%
distilled from a 99.21% CNN; Zhu & Shoaran 2021 (Tree-in-Tree, NeurIPS): CART at ~1,100
splits 88.59%, their decision graph at 600 splits 90.87%.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from distill.config import data_defaults
from distill.data import load_dataset
from distill.distillation import fit_student, make_targets
from distill.metrics import accuracy, agreement
from distill.runs import load_run
from distill.students import make_student
from distill.summary import markdown_table

PAPERS = [  # (who, model, leaves or splits + 1, test accuracy)
    ("Frosst & Hinton 2017", "soft tree depth 8, true labels", 256, 0.9445),
    ("Frosst & Hinton 2017", "soft tree depth 8, distilled", 256, 0.9676),
    ("Zhu & Shoaran 2021", "CART, ~1,100 splits", 1101, 0.8859),
    ("Zhu & Shoaran 2021", "Tree-in-Tree decision graph, 600 splits", 601, 0.9087),
]
HEADLINE = [("soft-tree", {"depth": 8}), ("tree", {"max_leaf_nodes": 256})]
FRONTIER = ([("tree", {"max_leaf_nodes": n}) for n in (16, 64, 256, 1024)]
            + [("soft-tree", {"depth": d}) for d in (2, 4, 6, 8)])


def fit(name: str, params: dict, targets, data, teacher_test, label: str, seed: int) -> dict:
    student = make_student(name, n_classes=10, random_state=seed,
                           **{**data_defaults(name, "mnist"), **params})
    seconds = fit_student(student, targets)
    proba = student.predict_proba(data.x_test)
    size = student.size()
    return {"student": name + " " + ",".join(f"{k}={v}" for k, v in params.items()),
            "method": label, "seed": seed, "accuracy": accuracy(data.y_test, proba),
            "agreement": agreement(teacher_test, proba), "leaves": size.get("leaves"),
            "seconds": round(seconds, 1), "fit samples": len(targets.x)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, help="a saved full-MNIST run (its teacher)")
    parser.add_argument("--frontier", action="store_true", help="also the sizes' frontier")
    parser.add_argument("--seeds", type=int, default=1, help="student seeds 0..N-1")
    parser.add_argument("--first-seed", type=int, default=0, help="start at this seed (to add "
                        "seeds to a table measured before)")
    parser.add_argument("--transfer", help="the transfer set's generator (default: the run's; "
                        "an auto run's first)")
    parser.add_argument("--plot", help="write the frontier with the papers' points here (PNG)")
    args = parser.parse_args()
    run = load_run(args.run)
    m = run.metrics
    teacher = run.load_teacher()
    data = load_dataset("mnist")
    teacher_test = teacher.predict_proba(data.x_test)
    print(f"teacher: {m['teacher'].get('arch')} {accuracy(data.y_test, teacher_test):.2%} test "
          f"accuracy ({m['teacher'].get('train_seconds', 0):.0f} s to train)", flush=True)
    started = time.perf_counter()
    generator = args.transfer or (m.get("transfer_sets") or [m["transfer"]])[0]
    distilled = make_targets("transfer", data.x_train, data.y_train, teacher, m["temperature"],
                             generator, m["transfer_size"], 0, m["transfer_labels"])
    truth = make_targets("ground-truth", data.x_train, data.y_train)
    print(f"targets: {len(distilled.x):,} images ({time.perf_counter() - started:.0f} s)",
          flush=True)
    label = f"transfer {generator} {m['transfer_size']}x"
    grid = FRONTIER if args.frontier else HEADLINE
    rows = []
    for seed in range(args.first_seed, args.seeds):
        for name, params in grid:
            for method, targets in ((label, distilled), ("true labels", truth)):
                rows.append(fit(name, params, targets, data, teacher_test, method, seed))
                print(f"  {rows[-1]}", file=sys.stderr, flush=True)
    print(markdown_table(rows, list(rows[0])))
    print("\nThe papers (test accuracy on the same 10,000 digits):\n")
    print(markdown_table([{"paper": p, "model": w, "leaves": n, "accuracy": a}
                          for p, w, n, a in PAPERS], ["paper", "model", "leaves", "accuracy"]))
    if args.plot:
        plot(rows, args.plot)


def plot(rows: list[dict], path: str) -> None:
    """Test accuracy against leaves (log axis), one line a kind and method, the papers' points
    as stars: a PNG (matplotlib, which Captum brings)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for kind in sorted({r["student"].split()[0] for r in rows}):
        for method in sorted({r["method"] for r in rows}):
            by_size: dict = {}
            for r in rows:
                if r["student"].startswith(kind) and r["method"] == method:
                    by_size.setdefault(r["leaves"], []).append(r["accuracy"])
            sizes = sorted(by_size)
            ax.plot(sizes, [np.mean(by_size[s]) for s in sizes], marker="o",
                    linestyle="-" if method != "true labels" else "--", label=f"{kind}, {method}")
    for who, model, leaves, acc in PAPERS:
        ax.scatter([leaves], [acc], marker="*", s=160, color="black", zorder=3)
        right = leaves > 500  # the labels of the right-hand stars go to their left
        ax.annotate(f"{who}: {model}", (leaves, acc), textcoords="offset points",
                    xytext=(-6 if right else 6, -12), ha="right" if right else "left",
                    fontsize=7)
    ax.set_xscale("log")
    ax.set_ylim(0.85, 1.0)
    ax.set_xlabel("leaves (splits + 1)")
    ax.set_ylabel("test accuracy")
    ax.set_title("Full MNIST: test accuracy against size (stars: the papers)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
