"""Counterfactuals are tested as properties: every edit is a valid digit that the saved
student, loaded from disk, really reads as the target; the exact ones are the smallest."""

import json

import numpy as np
import pytest

from distill.explain import counterfactual as cf
from distill.explain.counterfactual import (
    CHANGED,
    NoCounterfactual,
    counterfactual,
    default_target,
)
from distill.runs import load_student
from tests.oracles import smallest_soft_tree_edit, smallest_tree_edit

ALL_KINDS = ["tree.transfer", "pixel-tree.transfer", "gaussian-nb.transfer",
             "bernoulli-nb.transfer", "multinomial-nb.transfer", "linear.transfer"]


def saved(run, name):
    """The student as a user gets it: loaded afresh from the run's files."""
    return load_student(run.path / "students" / run.resolve_student(name))


def targets_for(student, image, count=3):
    """The default target and a couple of other classes the student does not answer."""
    proba = student.predict_proba(image[None])[0]
    others = [c for c in np.argsort(proba) if c != proba.argmax()]
    return [None] + [int(c) for c in others[:count - 1]]


def check_valid(edit, student, image, target):
    assert edit.image.shape == image.shape and edit.image.dtype == np.float32
    assert edit.image.min() >= 0 and edit.image.max() <= 1
    assert int(student.predict(edit.image[None])[0]) == target == edit.student_prediction
    diff = edit.image.astype(np.float64) - image.astype(np.float64)
    assert edit.l1 == pytest.approx(np.abs(diff).sum())
    assert edit.changed == int((np.abs(diff) > CHANGED).sum())
    assert edit.ink_added - edit.ink_removed == pytest.approx(diff.sum())


@pytest.mark.parametrize("name", ALL_KINDS)
def test_every_edit_is_valid_and_convinces_the_saved_student(tiny_run, name):
    """Every request has an answer here (each class is reachable within the pixels' range
    for these students), and every answer is a valid digit the saved student reads so."""
    student = saved(tiny_run, name)
    x = tiny_run.predictions["x_test"]
    for image in x[:6]:
        for target in targets_for(student, image):
            edit = counterfactual(student, image, target=target)
            want = default_target(student.predict_proba(image[None])[0], None) \
                if target is None else target
            assert edit.target == want
            check_valid(edit, student, image, want)


def test_the_soft_tree_edit_keeps_the_straightening_and_convinces_it(tiny_soft_run):
    from distill.deskew import measure_skew
    from distill.students import SoftTreeStudent
    student = saved(tiny_soft_run, "soft-tree")
    assert student.deskew
    reachable = sorted(set(student.leaf_distributions().argmax(1).tolist()))
    state = {k: np.array(v) for k, v in student.get_state().items()}
    state["leaf_logits_"][:, reachable[0]] = -1e4  # now no leaf answers that class
    blocked = SoftTreeStudent(depth=student.depth).set_state(state)
    with pytest.raises(NoCounterfactual, match="no leaf"):
        counterfactual(blocked, tiny_soft_run.predictions["x_test"][0], target=reachable[0])
    for i, image in enumerate(tiny_soft_run.predictions["x_test"][:6]):
        now = int(student.predict(image[None])[0])
        edit = counterfactual(student, image, target=[c for c in reachable if c != now][i % 2])
        check_valid(edit, student, image, edit.target)
        assert edit.leaf == int(student.apply(edit.image[None])[0])
        assert student.leaf_distributions()[edit.leaf].argmax() == edit.target
        if edit.exact:  # exact among edits that keep the slant: it is straightened as before
            before, after = measure_skew(image[None]), measure_skew(edit.image[None])
            assert np.allclose(np.ravel(before), np.ravel(after), atol=1e-3)


def pixel_tree_oracle(tree, image, target):
    """For a pixel tree each leaf is a box of pixel intervals, so its smallest edit is each
    pixel's distance to its interval: no linear program at all."""
    x0 = image.reshape(-1).astype(np.float64)
    best = np.inf
    for leaf in np.flatnonzero((tree.children_left_ < 0) & (tree.value_.argmax(1) == target)):
        low, high = np.zeros_like(x0), np.ones_like(x0)
        node = int(leaf)
        while node != 0:
            parent = int(np.flatnonzero((tree.children_left_ == node)
                                        | (tree.children_right_ == node))[0])
            pixel, t = int(tree.feature_[parent]), float(tree.threshold_[parent])
            if tree.children_right_[parent] == node:
                low[pixel] = max(low[pixel], t + cf.MARGIN)
            else:
                high[pixel] = min(high[pixel], t - min(cf.MARGIN, max(t, 0) / 2))
            node = parent
        if (low <= high).all():
            best = min(best, float((np.maximum(low - x0, 0) + np.maximum(x0 - high, 0)).sum()))
    return best


def test_the_tree_search_equals_an_independent_linear_program(tiny_run):
    """Every requested edit is exact and as small as a plain LP over every leaf of the class,
    built from the saved arrays (tests/oracles.py) with closed conditions, allows: never
    smaller, and larger only by the margin that float32 reading needs."""
    tree = saved(tiny_run, "tree.transfer")
    assert not getattr(tree, "deskew", False)  # the oracle reads pixels as they are
    for image in tiny_run.predictions["x_test"][:8]:
        for target in targets_for(tree, image)[1:]:
            edit = counterfactual(tree, image, target=target)
            assert edit.exact
            floor = smallest_tree_edit(tree, image, target)
            assert floor - 1e-6 <= edit.l1 <= floor + 64 * 1e-3


def test_the_pixel_tree_search_equals_each_pixels_distance_to_its_box(tiny_run):
    tree = saved(tiny_run, "pixel-tree.transfer")
    for image in tiny_run.predictions["x_test"][:8]:
        for target in targets_for(tree, image)[1:]:
            edit = counterfactual(tree, image, target=target)
            assert edit.exact
            assert edit.l1 == pytest.approx(pixel_tree_oracle(tree, image, target), abs=1e-6)


@pytest.mark.parametrize("name", ["tree.transfer", "linear.transfer", "multinomial-nb.transfer",
                                  "bernoulli-nb.transfer"])
def test_no_smaller_edit_in_the_same_direction_convinces_the_student(tiny_run, name):
    """A necessary sign of a smallest edit: nine tenths of it does not do."""
    student = saved(tiny_run, name)
    checked = 0
    for image in tiny_run.predictions["x_test"][:12]:
        edit = counterfactual(student, image)
        assert edit.exact
        if edit.l1 < 0.5:  # a tenth of a tiny edit is within the margin past the boundary
            continue
        shorter = image + 0.9 * (edit.image - image)
        assert int(student.predict(shorter.astype(np.float32)[None])[0]) != edit.target
        checked += 1
    assert checked >= 4, f"only {checked} edits of 0.5 or more to check"


def test_no_edit_when_the_student_already_answers_the_target(tiny_run):
    student = saved(tiny_run, "linear")
    image = tiny_run.predictions["x_test"][0]
    now = int(student.predict(image[None])[0])
    edit = counterfactual(student, image, target=now)
    assert edit.l1 == 0 and edit.changed == 0 and edit.student_prediction == now


def test_a_class_that_does_not_exist_is_refused_in_words(tiny_run):
    student = saved(tiny_run, "tree")
    with pytest.raises(NoCounterfactual, match="classes are 0 to 9"):
        counterfactual(student, tiny_run.predictions["x_test"][0], target=12)


def test_default_target_is_the_teacher_when_they_disagree_else_the_runner_up():
    proba = np.array([0.1, 0.6, 0.3])
    assert default_target(proba, teacher_class=0) == 0
    assert default_target(proba, teacher_class=1) == 2
    assert default_target(proba, teacher_class=None) == 2


def leaf_classes(tree) -> list[int]:
    """The class each leaf of ``tree`` answers, leaf by leaf (a small tree may lack a class)."""
    return tree.value_[tree.children_left_ < 0].argmax(1).tolist()


def answerable(run, student, count: int) -> list[int]:
    """Test digits whose default edit target some leaf of the (small) tree answers."""
    x, teacher = run.predictions["x_test"], run.predictions["teacher_proba"].argmax(1)
    leaves = set(leaf_classes(student))
    found = [i for i in range(len(x)) if default_target(
        student.predict_proba(x[i][None])[0], int(teacher[i])) in leaves]
    assert len(found) >= count
    return found[:count]


def test_the_teacher_check_uses_the_saved_teacher(tiny_mnist_run):
    teacher = tiny_mnist_run.load_teacher()
    student = saved(tiny_mnist_run, "tree")
    x = tiny_mnist_run.predictions["x_test"]
    saved_teacher = tiny_mnist_run.predictions["teacher_proba"].argmax(1)
    for i in answerable(tiny_mnist_run, student, 4):
        edit = counterfactual(student, x[i], teacher=teacher)
        assert edit.teacher_before == saved_teacher[i]
        assert edit.teacher_prediction == int(teacher.predict(edit.image[None])[0])
        assert edit.teacher_follows == (edit.teacher_prediction == edit.target)
        if edit.student_prediction != int(student.predict(x[i][None])[0]):
            assert edit.target == default_target(student.predict_proba(x[i][None])[0],
                                                  edit.teacher_before)


def test_cli_adds_a_counterfactual_to_each_json_line(tiny_mnist_run, cli):
    x = tiny_mnist_run.predictions["x_test"]
    student = saved(tiny_mnist_run, "tree")
    teacher = tiny_mnist_run.load_teacher()
    samples = answerable(tiny_mnist_run, student, 2)
    out = cli("explain", str(tiny_mnist_run.path), "--student", "tree", "--sample",
              ",".join(map(str, samples)), "--counterfactual", "--json")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["sample"] for line in lines] == samples
    for line in lines:
        c = line["counterfactual"]
        assert set(c) >= {"target", "image", "l1", "changed", "student_prediction",
                          "teacher_prediction", "leaf"}
        image = np.array(c["image"], np.float32)
        assert image.shape == x[line["sample"]].shape
        assert int(student.predict(image[None])[0]) == c["target"] == c["student_prediction"]
        assert c["teacher_prediction"] == int(teacher.predict(image[None])[0])
        assert c["l1"] == pytest.approx(np.abs(image - x[line["sample"]]).sum(), rel=1e-4)
        assert c["leaf"] == int(student.apply(image[None])[0])


def test_cli_takes_a_target_class_and_refuses_a_bad_one(tiny_mnist_run, cli):
    out = cli("explain", str(tiny_mnist_run.path), "--student", "linear", "--sample", "1",
              "--counterfactual", "3", "--json")
    assert json.loads(out.stdout)["counterfactual"]["target"] == 3
    text = cli("explain", str(tiny_mnist_run.path), "--student", "linear", "--sample", "1",
               "--counterfactual", "3").stdout
    assert "to make it say 3" in text and "the network" in text
    bad = cli("explain", str(tiny_mnist_run.path), "--student", "linear", "--sample", "1",
              "--counterfactual", "eleven")
    assert bad.returncode != 0 and "class number" in bad.stderr and "Traceback" not in bad.stderr


def test_follows_groups_are_disjoint_samples_of_each_kind():
    from distill.explain.follows import sample_groups
    teacher = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    student = np.array([0, 1, 9, 3, 9, 5, 9, 7])
    groups = sample_groups(teacher, student, per_group=2)
    assert len(groups["disagreements"]) == 2 and len(groups["agreements"]) == 2
    assert all(teacher[i] != student[i] for i in groups["disagreements"])
    assert all(teacher[i] == student[i] for i in groups["agreements"])
    again = sample_groups(teacher, student, per_group=2)
    assert all(np.array_equal(groups[g], again[g]) for g in groups)  # the same every visit
    assert len(sample_groups(teacher, student, per_group=10)["disagreements"]) == 3


def test_follows_counts_what_the_teacher_answers_on_each_edit(tiny_mnist_run):
    from distill.explain.follows import measure_run, sample_groups
    data = measure_run(tiny_mnist_run, names=["tree.transfer"], per_group=4)
    groups = data["students"]["tree.transfer"]
    p = tiny_mnist_run.predictions
    teacher = tiny_mnist_run.load_teacher()
    student = tiny_mnist_run.load_student("tree.transfer")
    picked = sample_groups(p["teacher_proba"].argmax(1),
                           tiny_mnist_run.student_proba("tree.transfer").argmax(1), 4)
    for group, indices in picked.items():
        follows = 0
        for i in indices:
            edit = counterfactual(student, p["x_test"][i], teacher=teacher)
            follows += int(teacher.predict(edit.image[None])[0]) == edit.target
        g = groups[group]
        assert g["digits"] == len(indices) == g["edits"]
        assert g["follows"] == follows
        assert g["share"] == pytest.approx(follows / len(indices))


def test_a_run_keeps_its_follows_figures(tiny_run, tmp_path, monkeypatch):
    import shutil

    from distill.explain import follows
    from distill.runs import Run, RunError
    shutil.copytree(tiny_run.path, tmp_path / "run")
    run = Run(tmp_path / "run")
    assert run.follows is None
    monkeypatch.setattr(follows, "PER_GROUP", 1)
    monkeypatch.setattr("distill.explain.counterfactual.SECONDS", 0.5)  # Bernoulli NB's cap
    events = []
    data = run.ensure_follows(events.append)
    assert events[-1]["fraction"] == 1.0
    assert set(data["students"]) == set(run.student_names) and data["per_group"] == 1
    assert Run(tmp_path / "run").follows == data  # kept beside the run's files
    (tmp_path / "run" / "follows.json").write_text('{"students": {"nobody": {}}}')
    with pytest.raises(RunError, match="follows.json"):
        Run(tmp_path / "run").follows  # noqa: B018


def test_the_report_is_one_file_with_the_story_intervals_and_gallery(tiny_mnist_run, tmp_path,
                                                                     cli):
    import re

    from distill.metrics import bootstrap_interval
    from distill.summary import cell
    out = tmp_path / "r.html"
    result = cli("report", str(tiny_mnist_run.path), "-o", str(out), "--gallery", "3")
    assert result.returncode == 0 and "wrote" in result.stderr
    html = out.read_text()
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="https?:', html)  # nothing fetched from anywhere
    tree = tiny_mnist_run.student_entry("tree.transfer")
    assert cell(bootstrap_interval(tree["agreement"], tiny_mnist_run.metrics["n_test"]),
                "_ci") in html
    assert html.count('class="card"') == 3
    assert html.count("What would change its mind") == 3
    assert "keeps (disagreements)" in html  # the figures stored with the run
    import shutil
    shutil.copytree(tiny_mnist_run.path, tmp_path / "unmeasured")
    (tmp_path / "unmeasured" / "follows.json").unlink()
    assert cli("report", str(tmp_path / "unmeasured"), "-o", str(out), "--gallery",
               "0").returncode == 0
    assert "Not measured for this run yet" in out.read_text()
    bad = cli("report", str(tiny_mnist_run.path), "-o", str(tmp_path))
    assert bad.returncode == 2 and "is a folder" in bad.stderr


def test_report_follows_measures_and_keeps_the_figures(tiny_run, tmp_path, cli, monkeypatch):
    import shutil

    from distill.explain import follows
    shutil.copytree(tiny_run.path, tmp_path / "run")
    monkeypatch.setattr(follows, "PER_GROUP", 1)
    monkeypatch.setattr("distill.explain.local_fidelity.SAMPLE", 4)  # measured beside them
    out = tmp_path / "r.html"
    assert cli("report", str(tmp_path / "run"), "-o", str(out), "--gallery", "0",
               "--follows").returncode == 0
    html = out.read_text()
    assert "keeps (disagreements)" in html and 'class="card"' not in html
    assert (tmp_path / "run" / "follows.json").exists()


@pytest.fixture(scope="module")
def straightening_students():
    """Small students that read 28x28 digits straightened, fitted on a few hundred digits."""
    from distill.data import load_dataset, subsample
    from distill.students import make_student
    data = subsample(load_dataset("mnist5k"), 300, 40)
    students = {name: make_student(name, n_classes=10, deskew=True, **params).fit(
        data.x_train, data.y_train) for name, params in (
        ("tree", {"max_leaf_nodes": 24}), ("linear", {"max_iter": 60}), ("multinomial-nb", {}),
        ("bernoulli-nb", {}), ("gaussian-nb", {}))}
    return students, data.x_test


@pytest.mark.parametrize("name", ["tree", "linear", "multinomial-nb", "bernoulli-nb",
                                  "gaussian-nb"])
def test_edits_convince_students_that_straighten_and_keep_the_slant(straightening_students,
                                                                    name):
    from distill.deskew import measure_skew
    students, x = straightening_students
    student = students[name]
    for image in x[:4]:  # every digit gets an edit
        edit = counterfactual(student, image)
        check_valid(edit, student, image, edit.target)
        assert "straightened" in edit.how
        if name == "gaussian-nb":  # a local search: never called the smallest
            assert not edit.exact and edit.how.endswith(cf._UNPROVEN)
        if "keeps the digit's slant" in edit.how:  # then it is read exactly as solved
            before, after = measure_skew(image[None]), measure_skew(edit.image[None])
            assert np.allclose(np.ravel(before), np.ravel(after), atol=1e-3)


# --------------------------------------------------------------------------------------
# cases found by mutation testing (bench/results/mutation.md)


def _knapsack_l1(row: np.ndarray, x0: np.ndarray, need: float) -> float:
    """The smallest L1 change of pixels in [0, 1] that raises ``row @ x`` by ``need``, worked
    out pixel by pixel: move the ones that count most first (one condition: a fractional
    knapsack)."""
    if need <= 0:
        return 0.0
    moved = 0.0
    for i in sorted(range(len(row)), key=lambda i: -abs(row[i])):
        if row[i] == 0:
            break
        room = 1 - x0[i] if row[i] > 0 else x0[i]
        if abs(row[i]) * room >= need:
            return moved + need / abs(row[i])
        need -= abs(row[i]) * room
        moved += room
    return float("inf")


def test_the_bound_of_one_condition_is_the_knapsacks(rng):
    for _ in range(200):
        n = int(rng.integers(1, 8))
        row, x0 = rng.normal(size=n), rng.uniform(size=n)
        lower = float(row @ x0 + rng.normal() * 2)
        want = _knapsack_l1(row, x0, lower - float(row @ x0))
        got = cf._single_bound(row, x0, lower)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_a_two_class_linear_students_edit_is_the_smallest_and_flips_it(tiny_run):
    from distill.students import make_student
    x = tiny_run.predictions["x_test"]
    y = tiny_run.predictions["y_true"]
    pick = np.isin(y, [3, 8])
    images, labels = x[pick], (y[pick] == 8).astype(int)
    student = make_student("linear", max_iter=200).fit(images, labels)
    w, b = student.model_.coef_[0].astype(np.float64), float(student.model_.intercept_[0])
    checked = 0
    for image in images[:8]:
        now = int(student.predict(image[None])[0])
        target = 1 - now
        edit = counterfactual(student, image, target=target)
        check_valid(edit, student, image, target)
        assert edit.how == ("one linear program (the class scores are linear in the pixels): "
                            "the smallest edit") and edit.exact
        sign = 1 if target == 1 else -1  # class 1 needs w.x + b > 0, class 0 needs it < 0
        x0 = image.reshape(-1).astype(np.float64)
        least = _knapsack_l1(sign * w, x0, -sign * b - sign * float(w @ x0))
        most = _knapsack_l1(sign * w, x0, -sign * b - sign * float(w @ x0) + cf.MARGINS[-1])
        assert least - 1e-6 <= edit.l1 <= most + 1e-6
        checked += 1
    assert checked == 8


def test_an_edit_as_json_has_every_figure_under_its_name(tiny_run):
    student = saved(tiny_run, "linear.transfer")
    image = tiny_run.predictions["x_test"][0]
    edit = counterfactual(student, image, teacher=tiny_run.load_teacher())
    d = json.loads(json.dumps(edit.to_dict()))
    assert d == {"target": edit.target, "image": edit.image.tolist(), "l1": edit.l1,
                 "changed": edit.changed, "ink_added": edit.ink_added,
                 "ink_removed": edit.ink_removed,
                 "student_prediction": edit.student_prediction,
                 "teacher_prediction": edit.teacher_prediction, "leaf": None,
                 "exact": True, "how": edit.how}
    assert edit.how.startswith("one linear program")


def test_a_scaled_edit_is_the_edit_times_the_scale_inside_the_pixels_range():
    original = np.array([[0.25, 0.75]], np.float32)
    edited = np.array([[0.5, 0.5]], np.float32)
    got = cf.scaled_edits(original, edited, [0, 0.5, 1, 2, 4])
    assert got.dtype == np.float32 and got.shape == (5, 1, 2)
    np.testing.assert_allclose(got[:, 0], [[0.25, 0.75], [0.375, 0.625], [0.5, 0.5],
                                           [0.75, 0.25], [1.0, 0.0]])


def test_a_tree_says_how_it_searched_and_which_class_no_leaf_gives(tiny_run):
    import re
    student = saved(tiny_run, "tree.transfer")
    image = tiny_run.predictions["x_test"][0]
    now = int(student.predict(image[None])[0])
    edit = counterfactual(student, image, target=min(set(leaf_classes(student)) - {now}))
    leaves = leaf_classes(student).count(edit.target)
    assert re.fullmatch(f"linear programs over the {leaves} leaves of class {edit.target}, "
                        "pruned by a lower bound(, on the digit as the student reads it "
                        r"\(straightened\))?: the smallest edit( that keeps the digit's slant "
                        "and centre of ink)?", edit.how)
    state = {k: np.array(v) for k, v in student.get_state().items()}
    blocked = (edit.target + 1) % 10
    state["value_"][..., blocked] = -1.0  # now no leaf answers that class
    pruned = type(student)(**student.get_params()).set_state(state)
    assert int(pruned.predict(image[None])[0]) != blocked
    with pytest.raises(NoCounterfactual, match=f"^no leaf of this tree predicts class "
                       f"{blocked}$"):
        counterfactual(pruned, image, target=blocked)
    with pytest.raises(NoCounterfactual, match="^there is no class 10: the classes are 0 to 9$"):
        counterfactual(student, image, target=10)


def test_asking_for_the_class_the_student_gives_is_no_edit(tiny_run):
    student = saved(tiny_run, "gaussian-nb.transfer")
    image = tiny_run.predictions["x_test"][1]
    now = int(student.predict(image[None])[0])
    import time
    start = time.perf_counter()
    edit = counterfactual(student, image, target=now)
    assert 0 <= edit.seconds <= time.perf_counter() - start  # the time it took, measured
    assert (edit.target, edit.student_prediction, edit.l1, edit.changed) == (now, now, 0.0, 0)
    assert edit.how == "the student already answers it: no edit" and edit.exact
    np.testing.assert_array_equal(edit.image, image)
    assert edit.image is not image


def test_when_no_edit_keeps_the_slant_the_straightening_is_measured_anew(tiny_mnist_run,
                                                                         monkeypatch):
    """A digit whose every convincing edit changes its slant: the search lets the slant
    change, straightens each edit anew, and says the edit works without being the smallest.
    (Forced here by a keep-the-slant condition no edit meets: 0 >= 1.)"""
    student = saved(tiny_mnist_run, "tree")
    assert student.deskew
    answered = sorted(set(leaf_classes(student)))

    def reachable_target(image):
        now = int(student.predict(image[None])[0])
        return next(c for c in answered if c != now)

    first = tiny_mnist_run.predictions["x_test"][0]
    kept = counterfactual(student, first, target=reachable_target(first))
    assert kept.how.split(":")[0].endswith(", pruned by a lower bound, on the digit as the "
                                           "student reads it (straightened)")
    assert kept.how.endswith(": the smallest edit that keeps the digit's slant and centre of "
                             "ink") == kept.exact
    monkeypatch.setattr(cf, "_lean_rows", lambda image: (np.zeros((1, image.size)),
                                                         np.array([1.0])))
    found = refused = 0
    for image in tiny_mnist_run.predictions["x_test"][:8]:
        target = reachable_target(image)
        try:
            edit = counterfactual(student, image, target=target)
        except NoCounterfactual as err:  # the anew straightening need not converge
            assert str(err) == ("no edit was found that the student, straightening the "
                                f"edited digit anew, reads as class {target}")
            refused += 1
            continue
        check_valid(edit, student, image, target)
        leaves = leaf_classes(student).count(target)
        assert not edit.exact and edit.how == (
            f"linear programs over the {leaves} leaves of class {target}, pruned by a lower "
            "bound, on the digit as the student reads it; no edit keeps the slant, so the "
            "straightening was measured anew on the edit: an edit that works, without a proof "
            "that none is smaller")
        found += 1
    assert found >= 2 and found + refused == 8


def test_each_kind_says_how_its_edit_was_found_and_whether_it_is_the_smallest(tiny_run):
    image = tiny_run.predictions["x_test"][2]
    gaussian = counterfactual(saved(tiny_run, "gaussian-nb.transfer"), image)
    assert gaussian.how == ("Gaussian naive Bayes scores are quadratic in the pixels: a "
                            "sequence of linear programs on the linearised scores: an edit "
                            "that works, without a proof that none is smaller")
    assert not gaussian.exact
    student = saved(tiny_run, "bernoulli-nb.transfer")
    bernoulli = counterfactual(student, image)
    assert bernoulli.how.startswith("an integer program over which pixels cross the ink "
                                    f"threshold {student.model_.binarize:g}")
    assert not student.deskew  # on the pixels themselves: one small integer program, proven
    assert bernoulli.exact and bernoulli.how.endswith(f"{student.model_.binarize:g}: the "
                                                      "smallest edit")


def test_a_class_no_edit_of_the_pixels_reaches_is_refused_in_words(tiny_run):
    from distill.students import make_student
    x, y = tiny_run.predictions["x_test"], tiny_run.predictions["y_true"]
    pick = np.isin(y, [3, 8])
    student = make_student("linear", max_iter=100).fit(x[pick], (y[pick] == 8).astype(int))
    student.model_.coef_[:] = 0.0
    student.model_.intercept_[:] = -5.0  # class 1 nowhere: no pixels can change the score
    image = x[pick][0]
    assert int(student.predict(image[None])[0]) == 0
    with pytest.raises(NoCounterfactual, match="^no edit of the pixels makes it answer class "
                       "1$"):
        counterfactual(student, image, target=1)


def test_a_class_the_student_never_saw_has_no_edit(tiny_run):
    from distill.students import make_student
    x, y = tiny_run.predictions["x_test"], tiny_run.predictions["y_true"]
    keep = y < 3
    student = make_student("linear", max_iter=100, n_classes=4).fit(x[keep], y[keep])
    with pytest.raises(NoCounterfactual, match="^class 3 was never seen in training$"):
        counterfactual(student, x[0], target=3)


def test_a_digit_slanted_past_the_clip_keeps_its_slant_beyond_it(tiny_mnist_run):
    """A stroke two columns across a row (the straightening clips its slant at MAX_SHEAR):
    the edits need only keep the slant beyond the clip, and are straightened as the digit."""
    from distill.deskew import MAX_SHEAR, measure_skew
    student = saved(tiny_mnist_run, "tree")
    image = np.zeros((28, 28), np.float32)
    for r in range(6, 16):
        image[r, max(0, 2 * r - 8):2 * r - 5] = 1.0
    assert float(measure_skew(image[None])[0][0]) == MAX_SHEAR
    now = int(student.predict(image[None])[0])
    answered = sorted(set(leaf_classes(student)) - {now})
    for target in answered[:3]:
        edit = counterfactual(student, image, target=target)
        check_valid(edit, student, image, target)
        assert edit.exact and edit.how.endswith("(straightened): the smallest edit that keeps "
                                                "the digit's slant and centre of ink")
        assert float(measure_skew(edit.image[None])[0][0]) == MAX_SHEAR
    assert len(answered[:3]) == 3


def test_an_integer_program_stopped_by_its_time_limit_is_not_called_smallest(
        tiny_run, tiny_mnist_run, monkeypatch):
    """HiGHS stopped at its time limit with a feasible edit (status 1, forced here on the
    solver's own answer): the edit is used, and never claimed the smallest."""
    real = cf.milp

    def stopped(*args, **kwargs):
        result = real(*args, **kwargs)
        result.status = 1
        return result

    monkeypatch.setattr(cf, "milp", stopped)
    monkeypatch.setattr(cf, "SECONDS", 0.5)
    for run, name in ((tiny_run, "bernoulli-nb.transfer"), (tiny_mnist_run, "bernoulli-nb")):
        student = saved(run, name)
        image = run.predictions["x_test"][0]
        edit = counterfactual(student, image)
        check_valid(edit, student, image, edit.target)
        assert not edit.exact
        assert edit.how.endswith(": an edit that works, without a proof that none is smaller")


def _tiny_bernoulli(rng, classes=3, shape=(3, 4)):
    """A Bernoulli naive Bayes on 12-pixel images: few enough pixels to try every edit."""
    from distill.students import make_student
    means = rng.uniform(size=(classes, *shape))
    y = rng.integers(0, classes, 300)
    x = (rng.uniform(size=(300, *shape)) < means[y]).astype(np.float32) * 0.9 + 0.05
    return make_student("bernoulli-nb", n_classes=classes).fit(x, y)


def _least_flips(student, image: np.ndarray, target: int, margin: float) -> float:
    """The smallest L1 edit that makes a Bernoulli naive Bayes answer ``target`` by ``margin``,
    by trying every set of pixels to move across the ink threshold (each to the threshold
    itself), the scores read from scikit-learn on the pixels as inked after the move."""
    from itertools import product
    flat = image.reshape(-1).astype(np.float64)
    inked = flat > student.model_.binarize
    moved = np.array(list(product([False, True], repeat=len(flat))))  # (2^P, P)
    scores = student.model_.predict_joint_log_proba((inked ^ moved).astype(float))
    convinced = scores[:, target] - np.delete(scores, target, axis=1).max(1) >= margin
    costs = (np.abs(flat - student.model_.binarize) * moved).sum(1)
    return float(costs[convinced].min()) if convinced.any() else np.inf


def test_a_bernoulli_edit_is_the_cheapest_set_of_pixels_across_the_threshold(rng):
    """Against every subset of 12 pixels: the integer program's edit costs what the cheapest
    convincing set of crossings costs (to within the hair each pixel goes past)."""
    student = _tiny_bernoulli(rng)
    hair = 1e-3 + 1e-6  # how far past the threshold a crossing pixel is put
    checked = 0
    for _ in range(12):
        image = rng.uniform(size=(3, 4)).astype(np.float32)
        now = int(student.predict(image[None])[0])
        for target in {0, 1, 2} - {now}:
            edit = counterfactual(student, image, target=target)
            check_valid(edit, student, image, target)
            assert edit.exact
            least = _least_flips(student, image, target, cf.MARGINS[0])
            crossed = np.count_nonzero(edit.image != image)
            assert least - 1e-6 <= edit.l1 <= least + hair * crossed + 1e-6
            checked += 1
    assert checked == 24


def test_a_straightening_bernoulli_never_reads_the_pixels_as_they_are(
        straightening_students, monkeypatch):
    """The one-program shortcut over raw pixels is for students that do not straighten; a
    straightening one is solved on the digit as read, both when its slant is kept and when
    it is measured anew (forced by a keep-the-slant condition no edit meets)."""
    students, x = straightening_students
    student = students["bernoulli-nb"]
    monkeypatch.setattr(cf, "SECONDS", 0.5)
    read_raw = []
    real_flip = cf._flip_program
    monkeypatch.setattr(cf, "_flip_program", lambda *a: read_raw.append(1) or real_flip(*a))
    kept = counterfactual(student, x[0])
    check_valid(kept, student, x[0], kept.target)
    monkeypatch.setattr(cf, "_lean_rows", lambda image: (np.zeros((1, image.size)),
                                                         np.array([1.0])))
    found = 0
    for image in x[:3]:
        try:
            edit = counterfactual(student, image)
        except NoCounterfactual:
            continue
        check_valid(edit, student, image, edit.target)
        assert "measured anew" in edit.how and not edit.exact
        found += 1
    assert read_raw == [] and found >= 1


def test_when_nothing_convinces_a_straightening_student_it_is_said_in_words(
        straightening_students):
    """No class-1 score anywhere: neither the kept slant nor a straightening measured anew
    finds an edit, and the refusal says so rather than returning nothing."""
    from distill.students import make_student
    _, x = straightening_students
    student = make_student("linear", deskew=True, max_iter=20).fit(
        x[:20], (np.arange(20) % 2).astype(int))
    student.model_.coef_[:] = 0.0
    student.model_.intercept_[:] = -5.0
    with pytest.raises(NoCounterfactual, match="^no edit was found that the student, "
                       "straightening the edited digit anew, reads as class 1$"):
        counterfactual(student, x[0], target=1)


def test_a_faint_digit_is_still_read_straightened(straightening_students):
    """Straightening depends on where the ink is, not how much: a digit with under one unit
    of ink in all is still solved on the digit as the student reads it."""
    students, x = straightening_students
    image = x[0] * np.float32(0.5 / float(x[0].sum()))
    edit = counterfactual(students["linear"], image)
    check_valid(edit, students["linear"], image, edit.target)
    assert "(straightened)" in edit.how or "as the student reads it" in edit.how


def test_a_two_class_linear_edit_is_the_knapsacks_at_the_first_margin(tiny_run):
    """One condition (w . x + b past the first margin, on the target's side): the edit is
    the fractional knapsack's optimum for it, to the float32 rounding of one pixel."""
    from distill.students import make_student
    x, y = tiny_run.predictions["x_test"], tiny_run.predictions["y_true"]
    pick = np.isin(y, [3, 8])
    student = make_student("linear", max_iter=200).fit(x[pick], (y[pick] == 8).astype(int))
    w, b = student.model_.coef_[0].astype(np.float64), float(student.model_.intercept_[0])
    assert abs(b) > 1e-3  # the intercept's side matters here
    for image in x[pick][:8]:
        target = 1 - int(student.predict(image[None])[0])
        edit = counterfactual(student, image, target=target)
        sign = 1 if target == 1 else -1
        x0 = image.reshape(-1).astype(np.float64)
        want = _knapsack_l1(sign * w, x0, cf.MARGINS[0] - sign * (b + float(w @ x0)))
        assert edit.l1 == pytest.approx(want, abs=1e-6)


def test_a_left_condition_below_a_tiny_threshold_is_its_midpoint():
    """A split's left side on a threshold nearer 0 than the margin: the bound goes halfway to
    the threshold (so an empty pixel still qualifies), else a full margin below it."""
    assert cf._split_bound(2e-4, right=False, margin=1e-3) == pytest.approx(-1e-4)
    assert cf._split_bound(0.5, right=False, margin=1e-3) == pytest.approx(-0.499)
    assert cf._split_bound(0.0, right=False, margin=1e-3) == 0.0
    assert cf._split_bound(0.5, right=True, margin=1e-3) == pytest.approx(0.501)


def test_a_student_of_an_unknown_kind_is_refused_in_words(tiny_run):
    student = saved(tiny_run, "linear.transfer")
    student.kind = "crystal-ball"
    image = tiny_run.predictions["x_test"][0]
    now = int(student.predict(image[None])[0])
    with pytest.raises(NoCounterfactual, match="^no counterfactual for students of kind "
                       "'crystal-ball'$"):
        counterfactual(student, image, target=(now + 1) % 10)


def _stroke(slant: float) -> np.ndarray:
    """A thin straight stroke through the centre, ``slant`` columns across per row (its ink
    shared between two pixels where it falls between them)."""
    image = np.zeros((28, 28), np.float32)
    for r in range(6, 22):
        c = 14 + slant * (r - 14)
        left = int(np.floor(c))
        image[r, left] += 1 - (c - left)
        image[r, left + 1] += c - left
    return image


def test_a_digit_meets_its_own_keep_the_slant_conditions(tiny_mnist_run):
    """The conditions that keep a digit's slant, centre and some ink hold for the digit
    itself (else no edit could be 'the smallest that keeps them': not even none): for real
    digits, a faint one, and strokes just inside and just past the straightening's clip."""
    from distill.deskew import MAX_SHEAR, measure_skew
    digits = list(tiny_mnist_run.predictions["x_test"][:6])
    faint = digits[0] * np.float32(0.5 / float(digits[0].sum()))
    inside, past = _stroke(MAX_SHEAR - 0.01), _stroke(MAX_SHEAR + 0.0005)
    assert float(measure_skew(past[None])[0][0]) == MAX_SHEAR > measure_skew(inside[None])[0][0]
    for image in [*digits, faint, inside, past]:
        rows, lower = cf._lean_rows(image)
        assert (rows @ image.reshape(-1).astype(np.float64) >= lower).all()
    rows, lower = cf._lean_rows(past)
    assert 0 < (rows @ past.reshape(-1).astype(np.float64))[-1] < 0.5  # barely past the clip


def test_a_soft_tree_edit_is_the_cheapest_max_path_to_the_target(tiny_soft_run):
    """The soft tree read on its pixels as they are (its filters kept): each edit costs what
    the cheapest path to a leaf of the target costs, by an oracle that reads the paths from
    the leaves' numbers."""
    from distill.students import SoftTreeStudent
    trained = saved(tiny_soft_run, "soft-tree")
    state = {**{k: np.array(v) for k, v in trained.get_state().items()},
             "deskew_": np.array(False)}
    tree = SoftTreeStudent(depth=trained.depth).set_state(state)
    answered = sorted(set(tree.leaf_distributions().argmax(1).tolist()))
    checked = 0
    for image in tiny_soft_run.predictions["x_test"][:4]:
        now = int(tree.predict(image[None])[0])
        for target in [c for c in answered if c != now][:2]:
            edit = counterfactual(tree, image, target=target)
            check_valid(edit, tree, image, target)
            least = smallest_soft_tree_edit(tree, image, target, 0.0)
            most = smallest_soft_tree_edit(tree, image, target, cf.MARGINS[0])
            assert edit.exact and least - 1e-6 <= edit.l1 <= most + 1e-5
            checked += 1
    assert checked == 8


def test_a_soft_tree_that_cannot_keep_the_slant_is_solved_anew_or_refused(tiny_soft_run,
                                                                          monkeypatch):
    student = saved(tiny_soft_run, "soft-tree")
    answered = sorted(set(student.leaf_distributions().argmax(1).tolist()))
    monkeypatch.setattr(cf, "_lean_rows", lambda image: (np.zeros((1, image.size)),
                                                         np.array([1.0])))
    outcomes = []
    for image in tiny_soft_run.predictions["x_test"][:4]:
        target = next(c for c in answered if c != int(student.predict(image[None])[0]))
        try:
            edit = counterfactual(student, image, target=target)
        except NoCounterfactual as err:
            assert str(err).startswith("no edit was found that the student, straightening")
            outcomes.append("refused")
            continue
        check_valid(edit, student, image, target)
        assert not edit.exact and "measured anew" in edit.how
        outcomes.append("anew")
    assert "anew" in outcomes
