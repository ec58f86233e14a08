"""``python -m distill explain RUN --student NAME --sample I|3,17,42|all [--json | --dot]``."""

from __future__ import annotations

import json

import numpy as np

from ..deskew import lean_in_words
from ..runs import load_run
from . import explain
from .drawing import tree_dot
from .tree import decision_path, path_in_words


class SampleError(ValueError):
    pass


def parse_samples(text: str, n: int) -> list[int]:
    """'7' -> [7]; '3,17,42' -> [3, 17, 42]; 'all' -> every index; bounds checked."""
    if text.strip().lower() == "all":
        return list(range(n))
    try:
        indices = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise SampleError(f"--sample takes an index, a list like 3,17,42, or 'all', not "
                          f"{text!r}") from None
    bad = [i for i in indices if not 0 <= i < n]
    if bad or not indices:
        raise SampleError(f"sample index {bad[0] if bad else text!r} is out of range: the test "
                          f"split has {n} digits (0 to {n - 1})")
    return indices


def explain_command(args) -> int:
    run = load_run(args.run)
    name = run.resolve_student(args.student)
    student = run.load_student(name)
    x = run.predictions["x_test"]
    names = run.metrics.get("class_names")
    indices = parse_samples(args.sample, len(x))
    if args.dot and student.kind != "tree":
        raise SampleError(f"--dot draws decision trees; {name} is a {student.kind}")
    for i in indices:
        if args.dot:
            print(tree_dot(student, decision_path(student, x[i]), view=args.view,
                           class_names=names))
        elif args.json:
            print(json.dumps({"sample": i, "student": name,
                              **explain(student, x[i], versus=args.versus)}))
        else:
            print(_words(student, x[i], i, name, names, args.versus))
    return 0


def _words(student, image: np.ndarray, index: int, name: str, names, versus) -> str:
    head = f"sample {index}, {name}:"
    if student.kind == "tree":
        return "\n".join([head, *path_in_words(decision_path(student, image), names)])
    e = explain(student, image, versus=versus)
    if student.kind == "soft-tree":
        straight = e["straightened"]
        lines = [head] + ([f"read straightened: it leaned {lean_in_words(straight['degrees'])}"]
                          if straight else [])
        lines += [f"{i}. node {st['node']}: response {st['response']:+.3f}, p_right "
                  f"{st['p_right']:.2f} -> {st['goes']}" for i, st in enumerate(e["path"], 1)]
        name = names[e["prediction"]] if names else e["prediction"]
        dist = e["leaf"]["distribution"]
        return "\n".join(lines + [f"-> leaf {e['leaf']['index']}: predicts {name} "
                                   f"({max(dist):.0%})"])
    if "evidence" in e:
        ev = np.asarray(e["evidence"])
        return (f"{head} predicts {e['prediction']} over {e['versus']} by log-odds "
                f"{e['log_odds']:.2f} = prior {e['prior']:.2f} + pixels {ev.sum():.2f} "
                f"(strongest pixel {ev.max():+.2f}, weakest {ev.min():+.2f})")
    return f"{head} {json.dumps(e)}"
