"""Every check of a saved run's layout, tripped one at a time: each damage gets its own
message, and a whole run passes them all."""

import copy

import numpy as np
import pytest

from distill.layout import (
    LayoutError,
    check_follows,
    check_meta,
    check_metrics,
    check_predictions,
    check_saliency,
)

N, C = 4, 3


def metrics() -> dict:
    return {"dataset": "toy", "class_names": ["a", "b", "c"], "n_test": N, "method": "auto",
            "image_shape": [2, 2], "teacher": {"arch": "cnn", "test_accuracy": 0.9},
            "students": [{"name": "tree.auto", "kind": "tree", "method": "auto",
                          "test_accuracy": 0.8},
                         {"name": "tree.ground-truth", "kind": "tree",
                          "method": "ground-truth", "test_accuracy": 0.7}]}


def predictions() -> dict:
    p = np.full((N, C), 1 / C)
    return {"y_true": np.zeros(N, int), "x_test": np.zeros((N, 2, 2)), "teacher_proba": p,
            "proba_tree.auto": p.copy(), "proba_tree.ground-truth": p.copy()}


def follows() -> dict:
    group = {"digits": 5, "edits": 4, "follows": 1}
    return {"students": {"tree.auto": {"disagreements": dict(group), "agreements": dict(group)}}}


def test_a_whole_run_passes_every_check():
    m = metrics()
    check_metrics(m)
    check_predictions(predictions(), m)
    check_meta({"title": "t", "created": 1.0})
    check_saliency(np.zeros((N, 2, 2)), m)
    check_follows(follows(), m)


def damaged(change):
    m = copy.deepcopy(metrics())
    change(m)
    return m


def delete(key):
    return lambda m: m.pop(key)


def assign(path, value):
    def change(m):
        *head, last = path
        target = m
        for k in head:
            target = target[k]
        target[last] = value
    return change


@pytest.mark.parametrize("change, words", [
    (lambda m: m.clear() or m.update(x=1), "it lacks dataset, class_names, n_test, method, "
                                           "students, image_shape"),
    (delete("method"), "it lacks method$"),
    (assign(["class_names"], ["only"]), "class_names is not a list of at least two names"),
    (assign(["n_test"], 0), "n_test is not a count"),
    (assign(["n_test"], "4"), "n_test is not a count"),
    (assign(["image_shape"], [28]), r"image_shape is not \[height, width\]"),
    (assign(["teacher"], {"arch": "cnn"}), "the teacher entry lacks its network or accuracy"),
    (assign(["teacher", "arch"], 3), "the teacher entry lacks its network or accuracy"),
    (assign(["students"], []), "it has no students"),
    (assign(["students", 0, "kind"], None), "a student entry lacks its name, kind or method"),
    (assign(["students", 1, "test_accuracy"], "high"),
     "student tree.ground-truth has no accuracy"),
    (assign(["students", 1, "name"], "tree.auto"), "two students share a name"),
])
def test_each_damage_to_metrics_is_named(change, words):
    with pytest.raises(LayoutError, match=f"^metrics.json is damaged: {words}"):
        check_metrics(damaged(change))


def test_metrics_that_are_not_an_object_are_named():
    with pytest.raises(LayoutError, match="^metrics.json is damaged: it is not an object$"):
        check_metrics([1, 2])


def test_a_run_without_a_teacher_needs_no_teacher_entry():
    m = damaged(assign(["teacher"], None))
    check_metrics(m)
    p = predictions()
    del p["teacher_proba"]
    check_predictions(p, m)


def trimmed(key, value):
    p = predictions()
    if value is None:
        del p[key]
    else:
        p[key] = value
    return p


@pytest.mark.parametrize("key, value, words", [
    ("y_true", None, "it lacks y_true$"),
    ("teacher_proba", None, "it lacks teacher_proba$"),
    ("proba_tree.auto", None, "it lacks proba_tree.auto$"),
    ("y_true", np.zeros(N + 1, int), r"y_true has shape \(5,\), not \(4,\)"),
    ("x_test", np.zeros((N, 3, 2)), r"x_test has shape \(4, 3, 2\), not \(4, 2, 2\)"),
    ("teacher_proba", np.zeros((N, C + 1)), r"teacher_proba has shape \(4, 4\), not \(4, 3\)"),
    ("proba_tree.ground-truth", np.full((N, C), np.nan),
     "proba_tree.ground-truth holds values that are not numbers"),
    ("proba_tree.auto", np.r_[np.full((1, C), np.inf), np.zeros((N - 1, C))],
     "proba_tree.auto holds values that are not numbers"),
])
def test_each_damage_to_predictions_is_named(key, value, words):
    with pytest.raises(LayoutError, match=f"^predictions.npz is damaged: {words}"):
        check_predictions(trimmed(key, value), metrics())


@pytest.mark.parametrize("meta, words", [
    ("title", "it is not an object"),
    ({"title": 3}, "its title is not text"),
    ({"created": "yesterday"}, "its creation time is not a number"),
])
def test_each_damage_to_meta_is_named(meta, words):
    with pytest.raises(LayoutError, match=f"^meta.json is damaged: {words}$"):
        check_meta(meta)


def test_saliency_of_another_shape_is_named():
    with pytest.raises(LayoutError, match=r"^saliency.npz is damaged: its maps have shape "
                                          r"\(3, 2, 2\), not \(4, 2, 2\)$"):
        check_saliency(np.zeros((N - 1, 2, 2)), metrics())


def follows_with(change):
    data = follows()
    change(data)
    return data


@pytest.mark.parametrize("change, words", [
    (lambda d: d.pop("students"), "it has no students"),
    (lambda d: d["students"].update({"forest.auto": {}}),
     r"it names a student the run does not have \(forest.auto\)"),
    (lambda d: d["students"]["tree.auto"].pop("agreements"),
     "tree.auto lacks the counts of its agreements"),
    (lambda d: d["students"]["tree.auto"]["disagreements"].update(edits=2.5),
     "tree.auto lacks the counts of its disagreements"),
    (lambda d: d["students"]["tree.auto"]["agreements"].update(follows=5),
     "tree.auto's counts of its agreements do not add up"),
    (lambda d: d["students"]["tree.auto"]["disagreements"].update(edits=6),
     "tree.auto's counts of its disagreements do not add up"),
    (lambda d: d["students"]["tree.auto"]["agreements"].update(follows=-1),
     "tree.auto's counts of its agreements do not add up"),
])
def test_each_damage_to_follows_is_named(change, words):
    with pytest.raises(LayoutError, match=f"^follows.json is damaged: {words}$"):
        check_follows(follows_with(change), metrics())


@pytest.mark.parametrize("counts", [
    {"digits": 4, "edits": 4, "follows": 4},  # every edit followed, every digit edited
    {"digits": 4, "edits": 0, "follows": 0},  # none found
    {"digits": 0, "edits": 0, "follows": 0},  # no digit of the group
])
def test_follows_counts_at_their_bounds_are_whole(counts):
    data = follows_with(lambda d: d["students"]["tree.auto"]["agreements"].update(counts))
    check_follows(data, metrics())


def test_a_student_of_follows_that_is_not_an_object_is_named():
    data = follows_with(lambda d: d["students"].update({"tree.auto": ["agreements"]}))
    with pytest.raises(LayoutError, match="^follows.json is damaged: tree.auto lacks the counts "
                       "of its disagreements$"):
        check_follows(data, metrics())


def measured(counts=None, share=None) -> dict:
    """metrics() with the first student's local fidelity, as distill.explain.local_fidelity
    writes it (3 of 6 edits followed unless told)."""
    counts = counts or {"digits": 10, "agreeing": 8, "edits": 6, "follows": [3, 4, 5]}
    m = metrics()
    m["students"][0].update(local_fidelity=counts["follows"][0] / counts["edits"]
                            if share is None else share,
                            local_fidelity_detail={**counts, "interval": [0.1, 0.9]})
    return m


@pytest.mark.parametrize("counts", [
    {"digits": 6, "agreeing": 6, "edits": 6, "follows": [6, 6, 6]},  # every one followed
    {"digits": 9, "agreeing": 6, "edits": 6, "follows": [0, 0, 0]},  # none followed
    {"digits": 1, "agreeing": 1, "edits": 1, "follows": [1]},
])
def test_local_fidelity_at_its_bounds_is_whole(counts):
    check_metrics(measured(counts))
    unmeasured = metrics()
    unmeasured["students"][0].update(local_fidelity=None, local_fidelity_detail=None)
    check_metrics(unmeasured)  # a kind with no exact edits


@pytest.mark.parametrize("change, words", [
    (lambda s: s.update(local_fidelity=1.5), "is not a share"),
    (lambda s: s.update(local_fidelity=-0.1), "is not a share"),
    (lambda s: s.update(local_fidelity="high"), "is not a share"),
    (lambda s: s.pop("local_fidelity_detail"), "lacks its counts"),
    (lambda s: s["local_fidelity_detail"].update(edits=None), "lacks its counts"),
    (lambda s: s["local_fidelity_detail"].update(digits=2.0), "lacks its counts"),
    (lambda s: s["local_fidelity_detail"].pop("agreeing"), "lacks its counts"),
    (lambda s: s["local_fidelity_detail"].update(edits=9), "counts do not add up"),
    (lambda s: s["local_fidelity_detail"].update(agreeing=11), "counts do not add up"),
    (lambda s: s["local_fidelity_detail"].update(follows=[7, 4, 5]), "counts do not add up"),
    (lambda s: s["local_fidelity_detail"].update(follows=[3, -1, 5]), "counts do not add up"),
    (lambda s: s["local_fidelity_detail"].update(follows=[3, 4.0, 5]), "counts do not add up"),
    (lambda s: s["local_fidelity_detail"].update(follows=[]), "counts do not add up"),
    (lambda s: s["local_fidelity_detail"].update(follows="3"), "counts do not add up"),
    (lambda s: s.update(local_fidelity=0.6), "counts do not add up"),
])
def test_each_damage_to_a_local_fidelity_is_named(change, words):
    m = measured()
    check_metrics(m)
    change(m["students"][0])
    with pytest.raises(LayoutError, match=f"^metrics.json is damaged: student tree.auto's "
                       f"local fidelity {words}$"):
        check_metrics(m)


def test_the_smallest_whole_run_passes_two_classes_and_one_test_digit():
    m = metrics()
    m.update(class_names=["no", "yes"], n_test=1)
    check_metrics(m)
