"""Mutation testing of the engine's core: how many deliberate bugs the tests catch.

    make mutate                      # mutmut over the modules in pyproject's [tool.mutmut]
    python bench/mutation.py         # the table of the last `make mutate`, as Markdown

mutmut (from the package index) changes one thing at a time in the modules it is given (a
comparison, a constant, an argument, a return value) and runs the tests that reach the changed
function (it records which do on a first clean run). A mutant is *killed* when a test fails,
*survives* when every test passes, and has *no tests* when none reaches it. The score is the
killed share of all mutants; each survivor is a bug the suite would let through, unless it is
equivalent (the same behaviour written differently). This reads mutmut's own records
(``mutants/**/*.py.meta``) and prints one row a module and the survivors by name;
``mutmut show NAME`` shows a survivor's change.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

MUTANTS = Path(__file__).resolve().parent.parent / "mutants"


def statuses() -> dict[str, dict[str, str]]:
    """{module: {mutant: status}} of the last run."""
    out = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        module = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        out[module] = {k: status_by_exit_code[v] for k, v in codes.items()}
    return out


def main() -> None:
    found = statuses()
    if not found:
        raise SystemExit("no mutation results: run `make mutate` first")
    rows, totals = [], Counter()
    for module, by_mutant in found.items():
        counts = Counter(by_mutant.values())
        totals.update(counts)
        rows.append((module, len(by_mutant), counts))
    # "segfault" is how mutmut files a test process stopped by a signal: here, one that hung
    # (a fork that deadlocked) and was stopped by hand; neither killed nor survived
    columns = ["killed", "survived", "no tests", "timeout", "segfault", "not checked"]
    print("| module | mutants | " + " | ".join(columns) + " | score |")
    print("|---|---|" + "---|" * len(columns) + "---|")
    for module, n, counts in [*rows, ("all", sum(totals.values()), totals)]:
        score = counts["killed"] / n if n else 0
        print(f"| {module} | {n} | " + " | ".join(str(counts[c]) for c in columns)
              + f" | {score:.0%} |")
    print("\nSurvivors (`mutmut show NAME`):\n")
    for module, by_mutant in found.items():
        alive = [k for k, v in by_mutant.items() if v == "survived"]
        if alive:
            print(f"- {module}: " + ", ".join(k.rsplit(".", 1)[-1] for k in alive))


if __name__ == "__main__":
    main()
