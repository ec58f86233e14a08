"""The gain from distilling, with the default command, on each data set: does every student
agree with the teacher at least as often as the same student trained on the true labels?

    python bench/gain.py                               # mnist5k and digits
    python bench/gain.py --dataset fashion-mnist       # one data set (minutes: its teacher)
    python bench/gain.py --run RUN [--run RUN ...]     # tables of runs made already

Each data set gets ``python -m distill train --dataset D`` (the default students and method,
seed 0; ``--seeds N`` adds seeds 1..N-1) in a fresh process, timed from the command line. Prints
Markdown: per student, its true-label agreement, its distilled agreement, the gain, and what
``--method auto`` chose; per run, the mean gain, the whole run's seconds and the part of them
spent choosing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from distill.runs import Run
from distill.summary import markdown_table

DATASETS = ("mnist5k", "digits")


def train(dataset: str, seed: int, out: Path) -> float:
    """The default command on ``dataset``; its wall-clock seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "distill", "train", "--dataset", dataset,
                    "--seed", str(seed), "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def rows_of(run: Run, wall: float | None) -> tuple[list[dict], dict]:
    """One row per distilled student, and the run's summary row."""
    m, facts = run.metrics, run.facts
    rows = []
    for e in facts.distilled:
        base = facts.baseline_of(e)
        rows.append({"data set": m["dataset"], "seed": m["seed"], "student": e["label"],
                     "true labels": f"{base['agreement']:.1%}",
                     "distilled": f"{e['agreement']:.1%}",
                     "gain": f"{(e['agreement'] - base['agreement']) * 100:+.1f}",
                     "chose": (e.get("chosen") or {}).get("label", m["method"])})
    gains = [facts.gain(e) for e in facts.distilled]
    summary = {"data set": m["dataset"], "seed": m["seed"],
               "teacher": f"{m['teacher']['test_accuracy']:.1%}",
               "mean gain": f"{sum(gains) / len(gains) * 100:+.2f}",
               "smallest gain": f"{min(gains) * 100:+.1f}",
               "run seconds": round(m["total_seconds"]),
               "command seconds": round(wall) if wall else "-",
               "choosing seconds": round(m["auto"]["seconds"]) if m.get("auto") else "-"}
    return rows, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", action="append", help="data set (repeatable)")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--run", action="append", help="tabulate a saved run instead")
    parser.add_argument("--keep", metavar="FOLDER", help="keep the runs here")
    args = parser.parse_args()
    made: list[tuple[Run, float | None]] = [(Run(r), None) for r in args.run or []]
    if not args.run:
        folder = Path(args.keep or tempfile.mkdtemp(prefix="gain-"))
        for dataset in args.dataset or DATASETS:
            for seed in range(args.seeds):
                out = folder / f"{dataset}-s{seed}"
                wall = train(dataset, seed, out)
                made.append((Run(out), wall))
                print(f"{dataset} seed {seed}: {wall:.0f} s", file=sys.stderr, flush=True)
    students, runs = [], []
    for run, wall in made:
        rows, summary = rows_of(run, wall)
        students += rows
        runs.append(summary)
    print("## Every student against its true-label twin (test agreement with the teacher)\n")
    print(markdown_table(students))
    print("\n## Each run\n")
    print(markdown_table(runs))


if __name__ == "__main__":
    main()
