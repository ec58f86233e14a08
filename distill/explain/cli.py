"""``python -m distill explain RUN --student NAME --sample I|3,17,42|all [--json | --dot]
[--counterfactual [CLASS]]``."""

from __future__ import annotations

import json

import numpy as np

from ..deskew import lean_in_words
from ..runs import load_run
from . import explain
from .counterfactual import counterfactual
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
    wanted = getattr(args, "counterfactual", None)
    if wanted is not None and args.dot:
        raise SampleError("--counterfactual goes with --json or the plain text, not --dot")
    target = None if wanted in (None, "auto") else parse_class(wanted, student.n_classes_)
    teacher = run.load_teacher() if wanted is not None and run.has_teacher else None
    for i in indices:
        edit = (None if wanted is None else
                counterfactual(student, x[i], target=target, teacher=teacher))
        if args.dot:
            print(tree_dot(student, decision_path(student, x[i]), view=args.view,
                           class_names=names))
        elif args.json:
            extra = {} if edit is None else {"counterfactual": edit.to_dict()}
            print(json.dumps({"sample": i, "student": name,
                              **explain(student, x[i], versus=args.versus), **extra}))
        else:
            print(_words(student, x[i], i, name, names, args.versus))
            if edit is not None:
                print(edit_in_words(edit, names))
    return 0


def parse_class(text: str, n_classes: int) -> int:
    """A class index from the command line, checked against the student's classes."""
    try:
        value = int(text)
    except ValueError:
        raise SampleError(f"--counterfactual takes a class number, not {text!r}") from None
    if not 0 <= value < n_classes:
        raise SampleError(f"there is no class {value}: the classes are 0 to {n_classes - 1}")
    return value


def edit_in_words(edit, names=None) -> str:
    """A counterfactual for a person: what changed, and whether the teacher followed."""
    def called(c):
        return names[c] if names else str(c)
    lines = [f"to make it say {called(edit.target)}: change {edit.changed} pixels "
             f"(ink added {edit.ink_added:.2f}, removed {edit.ink_removed:.2f}; L1 "
             f"{edit.l1:.2f}) -> the student answers {called(edit.student_prediction)}"]
    if edit.teacher_prediction is not None:
        lines.append("   the network " + ("also reads it as " if edit.teacher_follows else
                                          "still reads it as " if edit.teacher_prediction
                                          == edit.teacher_before else "reads it as ")
                     + called(edit.teacher_prediction))
    lines.append(f"   ({edit.how})")
    return "\n".join(lines)


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
