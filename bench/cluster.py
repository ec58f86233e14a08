"""Ray against this machine's own processes: start-up, a job's overhead, and the default sweep.

    python bench/cluster.py [--sections startup,job,sweep] [--seeds 3]

- start-up: a private Ray head on 127.0.0.1 (``ray.init``), from nothing to the first task;
- job: one tiny training job through the local queue (a worker process) and through the
  cluster's queue (a Ray task), submit to saved;
- sweep: the README's default sweep on mnist5k (trees of 8 to 512 leaves, soft trees of
  depth 2 to 8, logistic regression; true labels and distilled; ``--seeds`` seeds), once with
  the local process pool and once on a local Ray cluster of the same 2 cores; then the
  frontier it found: the smallest tree and soft tree reaching 85%, 90% and 95% agreement.
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECTIONS = ("startup", "job", "sweep")


def startup() -> str:
    code = ("import time; t = time.perf_counter(); from distill.cluster import connect; "
            "ray = connect('local', num_cpus=2); t1 = time.perf_counter(); "
            "f = ray.remote(num_cpus=1)(lambda: 1); ray.get(f.remote()); "
            "print(round(t1 - t, 2), round(time.perf_counter() - t, 2)); ray.shutdown()")
    times = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split() for _ in range(3)]
    rows = ["| try | ray.init (a private head) | to the first task's answer |", "|---|---|---|"]
    rows += [f"| {i + 1} | {a} s | {b} s |" for i, (a, b) in enumerate(times)]
    return "\n".join(rows)


def one_job(jobs, cfg) -> float:
    t0 = time.perf_counter()
    job = jobs.submit(cfg)
    while (snap := jobs.snapshot(job))["state"] not in ("done", "failed", "cancelled"):
        time.sleep(0.05)
    assert snap["state"] == "done", snap["error"]
    return time.perf_counter() - t0


def job_overhead() -> str:
    from distill.cluster import RayJobs, connect
    from distill.config import RunConfig, StudentChoice, TeacherConfig
    from distill.jobs import LocalJobs
    cfg = RunConfig(dataset="digits", max_train=200, max_test=60, teacher=TeacherConfig(
        epochs=1), students=[StudentChoice("bernoulli-nb")], transfer_size=1)
    folder = Path(tempfile.mkdtemp())
    local = [one_job(LocalJobs(folder=folder), cfg) for _ in range(3)]
    connect("local", num_cpus=2)
    cluster = RayJobs(folder=folder)
    remote = [one_job(cluster, cfg) for _ in range(3)]
    cluster.close()
    rows = ["| backend | submit to saved, 3 tries | median |", "|---|---|---|"]
    for name, times in (("local worker process", local), ("Ray task (cluster queue actor)",
                                                            remote)):
        rows.append(f"| {name} | {', '.join(f'{t:.1f}' for t in times)} s | "
                    f"{sorted(times)[1]:.1f} s |")
    return "\n".join(rows)


def default_sweep(seeds: int) -> str:
    from distill.cluster import RayPool, connect
    from distill.frontier import frontier_rows, smallest_reaching
    from distill.sweep import DEFAULT_GRID, LocalPool, SweepConfig, parse_grid, run_sweep
    cfg = SweepConfig(students=[parse_grid(g) for g in DEFAULT_GRID], seeds=seeds)
    out = Path(tempfile.mkdtemp())
    timings, runs = {}, {}
    for name, make_pool in (("local processes (2)", lambda: LocalPool(2)),
                            ("Ray, a local cluster of 2 CPUs", lambda: RayPool("local"))):
        if "Ray" in name:
            connect("local", num_cpus=2)
        stages: dict[str, float] = {}

        def note(event, stages=stages):
            if event.get("stage") not in (None, "plan", "result", "worker"):
                stages.setdefault(event["stage"], time.perf_counter())

        t0 = time.perf_counter()
        runs[name] = run_sweep(cfg, progress=note, out=out / name.split()[0],
                               pool=make_pool())
        total = time.perf_counter() - t0
        fits = stages.get("evaluate", total + t0) - stages.get("students", t0)
        timings[name] = (total, fits)
        print(f"{name}: {total:.0f} s", file=sys.stderr, flush=True)
    rows = [f"{len(cfg.tasks())} students (x methods x seeds) from one teacher on mnist5k.\n",
            "| where the students are fitted | whole sweep | fitting the students |",
            "|---|---|---|"]
    rows += [f"| {name} | {total:.0f} s | {fits:.0f} s |"
             for name, (total, fits) in timings.items()]
    metrics = runs["local processes (2)"].metrics
    rows += ["", "The frontier (distilled, mean over seeds; smallest size that reaches it):", "",
             "| student | >= 85% | >= 90% | >= 95% |", "|---|---|---|---|"]
    for student in ("tree", "soft-tree"):
        cells = []
        for level in (0.85, 0.90, 0.95):
            hit = smallest_reaching(metrics, student, level)
            cells.append(f"{hit['label']}: {hit['leaves']} leaves, {hit['agreement']:.1%}"
                         if hit else "not reached")
        rows.append(f"| {student} | " + " | ".join(cells) + " |")
    rows += ["", "| student | method | leaves | parameters | agreement | ± | accuracy |",
             "|---|---|---|---|---|---|---|"]
    for r in frontier_rows(metrics):
        rows.append(f"| {r['label']} | {r['method']} | {r['leaves'] or '-'} | "
                    f"{r['parameters']:,} | {r['agreement']:.1%} | {r['agreement_sd']:.1%} | "
                    f"{r['accuracy']:.1%} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # loopback only
    sections = set(args.sections.split(","))
    print(f"Measured on {os.cpu_count()} CPU cores, load {os.getloadavg()[0]:.1f}.\n")
    if "startup" in sections:
        print("## Ray start-up\n")
        print(startup(), flush=True)
    if "job" in sections:
        print("\n## One tiny job: a local worker process against a Ray task\n")
        print(job_overhead(), flush=True)
    if "sweep" in sections:
        print("\n## The default sweep\n")
        print(default_sweep(args.seeds), flush=True)


if __name__ == "__main__":
    main()
