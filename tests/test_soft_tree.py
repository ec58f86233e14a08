"""The soft decision tree: training, saving, and explanations true to the model."""

import json

import numpy as np
import pytest
import torch

from distill.data import load_dataset
from distill.deskew import deskew, skew_of
from distill.explain import explain
from distill.explain.reading import as_read
from distill.explain.soft_tree import (
    explain_soft_tree,
    filter_image,
    max_path,
    node_evidence,
    tree_layout,
)
from distill.progress import Cancelled
from distill.runs import load_student, save_student
from distill.students import SoftTreeStudent, epochs_for, make_student


def quick(**params) -> SoftTreeStudent:
    """A depth-2 tree that trains exactly its epochs (no minimum number of batches)."""
    return SoftTreeStudent(**{"depth": 2, "min_steps": 0, **params})


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", max_train=400, max_test=100)


def test_learns_reports_progress_and_predicts_both_ways(digits):
    events = []
    tree = SoftTreeStudent(depth=3, epochs=30, lr=0.03, min_steps=0, n_classes=10)
    assert tree.fit(digits.x_train, digits.y_train, progress=events.append) is tree
    assert [e["epoch"] for e in events] == list(range(1, 31))
    assert {"loss", "fraction", "eta", "elapsed"} <= set(events[-1])
    proba = tree.predict_proba(digits.x_test)
    mixture = tree.predict_mixture_proba(digits.x_test)
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(mixture.sum(1), 1, atol=1e-5)
    assert (proba.argmax(1) == digits.y_test).mean() > 0.5  # chance is 0.1, 8 leaves
    assert tree.size() == {"depth": 3, "leaves": 8,
                           "parameters": 7 * 64 + 7 + 8 * 10}


def test_small_sets_train_at_least_min_steps_batches(digits):
    events = []
    SoftTreeStudent(depth=2, epochs=2, min_steps=40).fit(digits.x_train, digits.y_train,
                                                         progress=events.append)
    # 400 images are 4 batches of 128: 2 epochs would be 8 batches, so it trains 10 epochs
    assert len(digits.x_train) == 400
    assert [e["epoch"] for e in events] == list(range(1, 11)) and events[-1]["epochs"] == 10
    assert epochs_for(10, 44_000) == 10  # the transfer set: 3,440 batches already
    assert epochs_for(10, 4_000) == 32  # the true-label baseline: 32 batches an epoch


def test_fits_soft_targets_and_stops_when_asked(digits):
    soft = np.full((len(digits.y_train), 10), 0.02, np.float32)
    soft[np.arange(len(soft)), digits.y_train] = 0.82
    tree = quick(epochs=2).fit(digits.x_train, soft)
    assert tree.n_classes_ == 10
    calls = []
    with pytest.raises(Cancelled):
        quick(epochs=50).fit(
            digits.x_train, digits.y_train, should_stop=lambda: calls.append(1) or len(calls) > 5)


def test_same_seed_same_tree(digits):
    a = quick(epochs=2, random_state=4).fit(digits.x_train, digits.y_train)
    b = quick(epochs=2, random_state=4).fit(digits.x_train, digits.y_train)
    np.testing.assert_array_equal(a.filters_, b.filters_)


def test_saved_as_tensors_and_loaded_with_weights_only(digits, tmp_path):
    tree = make_student("soft-tree", n_classes=10, depth=3, epochs=2, min_steps=0)
    tree.fit(digits.x_train, digits.y_train)
    path = save_student(tree, tmp_path / "soft")
    assert path.suffix == ".pt"
    blob = torch.load(path, weights_only=True)
    assert set(blob["state"]) == {"filters_", "biases_", "leaf_logits_", "image_shape_",
                                  "deskew_", "classes_"}
    again = load_student(path)
    assert again.deskew is True
    np.testing.assert_array_equal(again.predict_proba(digits.x_test),
                                  tree.predict_proba(digits.x_test))


def test_reads_straightened_digits_and_says_so(digits):
    raw = quick(epochs=2, deskew=False).fit(digits.x_train, digits.y_train)
    straight = quick(epochs=2).fit(digits.x_train, digits.y_train)
    image = digits.x_test[0]
    np.testing.assert_array_equal(as_read(raw, image), image)
    np.testing.assert_allclose(as_read(straight, image), deskew(image[None])[0])
    # the filters see the straightened digit: evidence and response are about it
    z = straight.responses(image[None])[0]
    assert node_evidence(straight, 0, image).sum() + straight.biases_[0] == pytest.approx(
        z[0], abs=1e-4)
    assert explain(raw, image)["straightened"] is None
    info = explain(straight, image)["straightened"]
    assert info["degrees"] == pytest.approx(skew_of(image).degrees)
    with pytest.raises(ValueError, match="deskew=False"):
        quick(epochs=1).fit(digits.x_train.reshape(400, -1), digits.y_train)
    quick(epochs=1, deskew=False).fit(digits.x_train.reshape(400, -1),
                                                          digits.y_train)


def test_trees_saved_before_deskewing_load_as_raw_pixel_trees(digits):
    tree = quick(epochs=2, deskew=False).fit(digits.x_train, digits.y_train)
    old = {k: v for k, v in tree.get_state().items() if k != "deskew_"}
    again = SoftTreeStudent(depth=2).set_state(old)  # params of old files lack deskew too
    assert again.deskew is False
    np.testing.assert_array_equal(again.predict_proba(digits.x_test),
                                  tree.predict_proba(digits.x_test))


def test_bad_depth_is_refused():
    with pytest.raises(ValueError, match="depth"):
        make_student("soft-tree", depth=11)


def test_run_records_depth_and_leaves(tiny_soft_run):
    entry = tiny_soft_run.student_entry("soft-tree.transfer")
    assert entry["kind"] == "soft-tree" and entry["depth"] == 4 and entry["leaves"] == 16
    assert tiny_soft_run.facts.baseline_of(entry)["method"] == "ground-truth"


def test_max_path_is_true_for_every_test_digit(tiny_soft_run):
    x = tiny_soft_run.predictions["x_test"]
    for name in ("soft-tree.transfer", "soft-tree.ground-truth"):
        tree = tiny_soft_run.load_student(name)
        saved = tiny_soft_run.student_proba(name).argmax(1)
        leaves = tree.apply(x)
        for i, image in enumerate(x):
            steps, leaf = max_path(tree, image)
            assert len(steps) == tree.depth and leaf == leaves[i]
            node = 0
            for s in steps:
                assert s.node == node
                assert (s.goes == "right") == (s.p_right > 0.5)
                evidence = node_evidence(tree, s.node, image)
                assert evidence.sum() + tree.biases_[s.node] == pytest.approx(s.response,
                                                                               abs=1e-4)
                node = 2 * node + (2 if s.goes == "right" else 1)
            e = explain_soft_tree(tree, image)
            assert e["prediction"] == saved[i]  # the leaf's argmax is the saved prediction
            assert int(np.argmax(e["leaf"]["distribution"])) == e["prediction"]


def test_filters_and_layout_are_picture_ready(tiny_soft_run):
    tree = tiny_soft_run.load_student("soft-tree")
    assert filter_image(tree, 0).shape == (28, 28)
    layout = tree_layout(tree.depth)
    assert len(layout) == 2 ** (tree.depth + 1) - 1
    assert layout[0][1] == 0 and layout[1][0] < layout[0][0] < layout[2][0]
    e = explain(tree, tiny_soft_run.predictions["x_test"][0])
    json.dumps(e)
    assert e["kind"] == "soft-tree" and len(e["path"]) == tree.depth


def test_cli_trains_and_explains_a_soft_tree(tmp_path, cli):
    out = tmp_path / "run"
    r = cli("train", "--dataset", "digits", "--epochs", "1", "--max-train", "150",
            "--max-test", "40", "--student", "soft-tree:depth=3,epochs=2,min_steps=0",
            "--transfer-size", "1", "--method", "transfer", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "soft-tree.transfer" in r.stdout
    assert (out / "students" / "soft-tree.transfer.pt").exists()
    r = cli("explain", out, "--student", "soft-tree", "--sample", "0,1", "--json")
    assert r.returncode == 0, r.stderr
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(objs) == 2
    for o in objs:
        assert {"node", "response", "p_right", "goes"} <= set(o["path"][0])
        assert o["leaf"]["distribution"] and o["prediction"] in range(10)


def test_explain_in_words_says_the_digit_was_straightened(tiny_soft_run, cli):
    r = cli("explain", tiny_soft_run.path, "--student", "soft-tree", "--sample", "0")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[1].startswith("read straightened: it leaned ")
    assert lines[2].startswith("1. node 0: response") and "-> leaf" in lines[-1]
