"""The boundary method: teacher-labelled edits at the student's boundary, added in rounds."""

import shutil

import numpy as np
import pytest

from distill import boundary as B
from distill.distillation import Targets, fit_student
from distill.students import make_student


class FakeTeacher:
    """A teacher whose answer is the brighter half of the image (left 0, right 1), with
    probabilities softened at any temperature: it answers, it has no gradients."""

    def predict_proba(self, x, temperature=1.0):
        x = np.asarray(x, np.float64)
        half = x.shape[-1] // 2
        logits = np.stack([x[..., :half].sum((1, 2)), x[..., half:].sum((1, 2))], 1)
        z = logits / temperature
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def predict(self, x):
        return self.predict_proba(x).argmax(1)


@pytest.fixture(scope="module")
def halves():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 0.4, (160, 6, 6)).astype(np.float32)
    side = rng.integers(0, 2, 160)
    for i, s in enumerate(side):
        x[i, :, 3 * s:3 * s + 3] += 0.5
    return np.clip(x, 0, 1), FakeTeacher().predict(x)


def test_added_images_lie_at_the_students_boundary_and_are_the_teachers_labels(halves):
    x, y = halves
    student = make_student("linear", n_classes=2, max_iter=200).fit(x, y)
    images, runner_up = B.boundary_images(student, x, np.arange(20), push=(1.0,))
    assert len(images) == 20 and images.dtype == np.float32
    assert np.all(student.predict(images) == runner_up)  # just past the boundary
    assert np.all((images >= 0) & (images <= 1))
    for i, image in enumerate(images):  # and only just: 0.98 of the edit falls short
        short = x[i] + 0.98 * (image.astype(np.float64) - x[i])
        assert student.predict(short[None].astype(np.float32))[0] != runner_up[i]
    teacher = FakeTeacher()
    soft = B.labelled_like(Targets(x, teacher.predict_proba(x, 3.0), True, 3.0), images,
                           teacher)
    assert np.allclose(soft.y, teacher.predict_proba(images, 3.0), atol=1e-6)
    assert soft.temperature == 3.0 and soft.argmax_for_others
    hard = B.labelled_like(Targets(x, y), images, teacher)
    assert np.array_equal(hard.y, teacher.predict(images))


def test_pushed_edits_go_twice_as_far_along_the_same_direction(halves):
    x, y = halves
    student = make_student("linear", n_classes=2, max_iter=200).fit(x, y)
    images, runner_up = B.boundary_images(student, x, np.arange(5))
    assert len(images) == 10 and np.array_equal(runner_up[::2], runner_up[1::2])
    once, twice = images[0::2].astype(np.float64), images[1::2].astype(np.float64)
    expected = np.clip(x[:5] + 2 * (once - x[:5]), 0, 1)
    assert np.allclose(twice, expected, atol=1e-6)


def test_each_round_adds_the_teachers_labels_and_fits_again(halves):
    x, y = halves
    teacher = FakeTeacher()
    fits = []

    def fit(student, targets):
        fits.append(len(targets.x))
        return fit_student(student, targets)

    student, final, rounds = B.fit_boundary(
        lambda: make_student("tree", n_classes=2, max_leaf_nodes=8), fit,
        Targets(x, teacher.predict(x)), teacher, x, rounds=2, sample=15)
    assert len(rounds) == 2 and len(fits) == 3
    assert fits == [len(x), len(x) + len(rounds[0].images), len(final.x)]
    added = final.x[len(x):]
    assert np.array_equal(final.y[len(x):], teacher.predict(added))
    assert np.array_equal(final.y[:len(x)], teacher.predict(x))
    assert all(0 <= r.teacher_follows <= len(r.images) for r in rounds)
    assert B.rounds_entry(rounds)[1]["added"] == len(rounds[1].images)


def test_a_spent_budget_stops_the_round(halves):
    x, y = halves
    student = make_student("linear", n_classes=2, max_iter=200).fit(x, y)
    images, _ = B.boundary_images(student, x, np.arange(20), budget_s=0.0)
    assert len(images) == 0


def test_a_boundary_run_from_the_command_line(cli, tmp_path):
    out = tmp_path / "b"
    r = cli("train", "--dataset", "digits", "--max-train", "300", "--max-test", "60",
            "--epochs", "2", "--transfer-size", "1", "--method", "boundary", "--rounds", "1",
            "--boundary-sample", "20", "--student", "tree:max_leaf_nodes=16",
            "--student", "linear", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    from distill.runs import Run
    run = Run(out)
    tree = run.student_entry("tree.boundary")
    (round_one,) = tree["boundary_rounds"]
    added = round_one["added"]  # two a digit edited (pushed twice as far too); 20 digits at most
    assert 0 < added <= 40 and added % 2 == 0
    assert tree["fit_samples"] == 2 * 300 + added  # the train set, one copy, the edits
    assert run.metrics["rounds"] == 1
    assert "method boundary (" in cli("show", str(out)).stdout
    bad = cli("train", "--method", "boundary", "--rounds", "99")
    assert bad.returncode == 2 and "rounds" in bad.stderr


@pytest.fixture(scope="module")
def boundary_home(tmp_path_factory):
    from conftest import shared_run, tiny_config

    from distill.config import StudentChoice
    from distill.pipeline import run_experiment
    cfg = tiny_config("mnist5k", max_train=200, max_test=40, method="boundary", rounds=1,
                      boundary_sample=10, local_fidelity=5,
                      students=[StudentChoice("tree", {"max_leaf_nodes": 16}),
                                StudentChoice("linear", {"max_iter": 40})])
    return shared_run(tmp_path_factory, "tiny-boundary", lambda out: run_experiment(cfg, out=out))


@pytest.mark.parametrize("page", ["overview", "compare", "explore", "draw", "runs"])
def test_a_boundary_run_opens_on_every_page(boundary_home, tmp_path, monkeypatch, page):
    from test_pages import app

    from distill import runs as R
    folder = tmp_path / "runs"
    shutil.copytree(boundary_home.path, folder / "boundary-run")
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(folder))
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "none")
    monkeypatch.setattr("distill.explain.follows.PER_GROUP", 1)
    at = app(None if page == "overview" else page, run="boundary-run")
    assert not at.exception and not at.error
    text = " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])
    if page == "overview":
        assert "rounds of their smallest edits labelled by the teacher" in text
        assert "local fidelity" in text and not at.get("progress")  # measured while training
    if page == "compare":
        assert "tree.boundary" in list(at.dataframe[0].value["model"])


def test_the_teachers_walk_stops_either_side_of_where_it_changes_its_mind(tiny_mnist_run):
    teacher = tiny_mnist_run.load_teacher()
    x = tiny_mnist_run.predictions["x_test"][:12]
    pairs, reached = B.teacher_walk_images(teacher, x, np.arange(12))
    assert len(pairs) == 2 * reached.sum() >= 12, "most digits reach the boundary"
    before, after = pairs[:len(pairs) // 2], pairs[len(pairs) // 2:]
    assert np.all((pairs >= 0) & (pairs <= 1))
    first = teacher.predict(before)
    assert np.all(first != teacher.predict(after))  # the boundary lies between each pair
    # each pair is one step of the walk apart
    assert np.all(np.linalg.norm((after - before).reshape(len(after), -1), axis=1)
                  <= B.WALK_STEP + 1e-4)
    student = tiny_mnist_run.load_student("linear.transfer")
    added, follows = B._round_images(student, teacher, x, np.arange(12), 30.0, "teacher",
                                     B.Targets(x, teacher.predict(x)))
    assert np.array_equal(added.x, pairs) and follows == 0  # no student edits: none to follow
    assert np.array_equal(added.y, teacher.predict(pairs))


def test_the_teachers_walk_is_refused_for_a_network_from_a_file(tmp_path):
    from distill.config import ConfigError, RunConfig
    model = tmp_path / "net.onnx"
    model.write_bytes(b"not checked here")
    cfg = RunConfig(method="boundary", teacher_file=str(model), boundary_source="teacher")
    with pytest.raises(ConfigError, match="the teacher's own walk to its boundary needs a "
                       "network trained here"):
        cfg.validate()
    RunConfig(method="boundary", teacher_file=str(model)).validate()  # its edits: fine
