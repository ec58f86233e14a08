"""What a saved run's files must hold, checked when they are read.

A file that parses is not yet a run: ``{}`` is valid JSON. Each check here names the file and
what is wrong with it, so a damaged run is reported as damaged (and can be deleted) instead of
failing somewhere deeper with a KeyError, or taking other runs down with it.
"""

from __future__ import annotations

from numbers import Number

import numpy as np

# a student's local fidelity in metrics.json: the share, and its interval and counts
# (distill.explain.local_fidelity)
LOCAL_FIDELITY, LOCAL_FIDELITY_DETAIL = "local_fidelity", "local_fidelity_detail"


class LayoutError(ValueError):
    """A run file that does not hold what the layout says, in words."""


def _need(cond: bool, file: str, what: str) -> None:
    if not cond:
        raise LayoutError(f"{file} is damaged: {what}")


def check_metrics(m) -> None:
    """``metrics.json``: the data set, the teacher (or none) and a list of students."""
    f = "metrics.json"
    _need(isinstance(m, dict), f, "it is not an object")
    missing = [k for k in ("dataset", "class_names", "n_test", "method", "students",
                           "image_shape") if k not in m]
    _need(not missing, f, f"it lacks {', '.join(missing)}")
    _need(isinstance(m["class_names"], list) and len(m["class_names"]) >= 2, f,
          "class_names is not a list of at least two names")
    _need(isinstance(m["n_test"], int) and m["n_test"] > 0, f, "n_test is not a count")
    _need(isinstance(m["image_shape"], list) and len(m["image_shape"]) == 2, f,
          "image_shape is not [height, width]")
    teacher = m.get("teacher")
    if teacher is not None:
        _need(isinstance(teacher, dict) and isinstance(teacher.get("arch"), str)
              and isinstance(teacher.get("test_accuracy"), Number), f,
              "the teacher entry lacks its network or accuracy")
    students = m["students"]
    _need(isinstance(students, list) and students, f, "it has no students")
    names = set()
    for s in students:
        _need(isinstance(s, dict) and all(isinstance(s.get(k), str)
                                          for k in ("name", "kind", "method")), f,
              "a student entry lacks its name, kind or method")
        _need(isinstance(s.get("test_accuracy"), Number), f,
              f"student {s['name']} has no accuracy")
        names.add(s["name"])
        _check_local_fidelity(s, f)
    _need(len(names) == len(students), f, "two students share a name")


def _check_local_fidelity(s: dict, f: str) -> None:
    """A student's local fidelity, where measured: a share, and counts that add up to it."""
    share, detail = s.get(LOCAL_FIDELITY), s.get(LOCAL_FIDELITY_DETAIL)
    if share is None:
        return
    _need(isinstance(share, Number) and 0 <= share <= 1, f,
          f"student {s['name']}'s local fidelity is not a share")
    _need(isinstance(detail, dict) and all(isinstance(detail.get(k), int)
                                           for k in ("digits", "agreeing", "edits")), f,
          f"student {s['name']}'s local fidelity lacks its counts")
    follows = detail.get("follows")
    _need(isinstance(follows, list) and follows and all(isinstance(c, int) for c in follows)
          and min(follows) >= 0 and max(follows) <= detail["edits"] <= detail["agreeing"]
          <= detail["digits"] and abs(share * detail["edits"] - follows[0]) < 1e-6, f,
          f"student {s['name']}'s local fidelity counts do not add up")


def check_predictions(p: dict[str, np.ndarray], m: dict) -> None:
    """``predictions.npz``: test digits, labels and every model's probabilities, one row each."""
    f = "predictions.npz"
    n, c = m["n_test"], len(m["class_names"])
    wanted = ["y_true", "x_test"] + (["teacher_proba"] if m.get("teacher") else [])
    wanted += [f"proba_{s['name']}" for s in m["students"]]
    missing = [k for k in wanted if k not in p]
    _need(not missing, f, f"it lacks {', '.join(missing)}")
    _need(p["y_true"].shape == (n,), f, f"y_true has shape {p['y_true'].shape}, not ({n},)")
    _need(p["x_test"].shape == (n, *m["image_shape"]), f,
          f"x_test has shape {p['x_test'].shape}, not ({n}, {m['image_shape'][0]}, "
          f"{m['image_shape'][1]})")
    for k in wanted[2:]:
        _need(p[k].shape == (n, c), f, f"{k} has shape {p[k].shape}, not ({n}, {c})")
        _need(bool(np.isfinite(p[k]).all()), f, f"{k} holds values that are not numbers")


def check_meta(meta) -> None:
    """``meta.json``: the title and when the run was made."""
    f = "meta.json"
    _need(isinstance(meta, dict), f, "it is not an object")
    _need(isinstance(meta.get("title", ""), str), f, "its title is not text")
    _need(isinstance(meta.get("created", 0), Number), f, "its creation time is not a number")


def check_saliency(maps: np.ndarray, m: dict) -> None:
    """``saliency.npz``: one teacher evidence map per test digit."""
    shape = (m["n_test"], *m["image_shape"])
    _need(maps.shape == shape, "saliency.npz", f"its maps have shape {maps.shape}, not {shape}")


def check_follows(data, m: dict) -> None:
    """``follows.json``: per student of the run, the teacher-follows figures of each group."""
    f = "follows.json"
    _need(isinstance(data, dict) and isinstance(data.get("students"), dict), f,
          "it has no students")
    names = {s["name"] for s in m["students"]}
    for name, groups in data["students"].items():
        _need(name in names, f, f"it names a student the run does not have ({name})")
        for group in ("disagreements", "agreements"):
            g = groups.get(group) if isinstance(groups, dict) else None
            _need(isinstance(g, dict) and all(isinstance(g.get(k), int) for k in
                                              ("digits", "edits", "follows")), f,
                  f"{name} lacks the counts of its {group}")
            _need(0 <= g["follows"] <= g["edits"] <= g["digits"], f,
                  f"{name}'s counts of its {group} do not add up")
