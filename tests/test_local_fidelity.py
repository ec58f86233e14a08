"""Local fidelity: the share of a student's smallest edits to its runner-up that the network
follows, recounted here from the saved student and the saved teacher."""

import json
import shutil

import numpy as np
import pytest

from distill.explain import local_fidelity as lf
from distill.explain.counterfactual import counterfactual, scaled_edits
from distill.runs import Run, RunError
from tests.conftest import forget_local_fidelity


def recount(run, name: str, size: int) -> dict:
    """The counts by hand: each agreeing digit's edit checked with the saved student, then
    pushed 1, 1.5 and 2 times as far and shown to the saved teacher."""
    student, teacher = run.load_student(name), run.load_teacher()
    x = run.predictions["x_test"]
    proba = run.student_proba(name)
    teacher_answer = run.predictions["teacher_proba"].argmax(1)
    agreeing, edits, follows = 0, 0, [0, 0, 0]
    for i in np.sort(np.random.default_rng(0).choice(len(x), size, replace=False)):
        if proba[i].argmax() != teacher_answer[i]:
            continue
        agreeing += 1
        runner_up = int(np.argsort(-proba[i], kind="stable")[1])
        if hasattr(student, "value_"):  # a tree answers only the classes its leaves predict
            leaves = student.children_left_ < 0
            if not (student.value_[leaves].argmax(1) == runner_up).any():
                continue  # no edit to count: the measure skips it too
        edit = counterfactual(student, x[i], target=runner_up)
        assert student.predict(edit.image[None])[0] == runner_up  # it convinces the student
        edits += 1
        for k, scale in enumerate((1.0, 1.5, 2.0)):
            pushed = np.clip(x[i] + scale * (edit.image.astype(np.float64) - x[i]), 0, 1)
            follows[k] += int(teacher.predict(pushed[None].astype(np.float32))[0] == runner_up)
    return {"agreeing": agreeing, "edits": edits, "follows": follows}


@pytest.mark.parametrize("name", ["tree.transfer", "linear.transfer", "gaussian-nb.transfer"])
def test_the_measure_equals_a_direct_recount(tiny_mnist_run, name):
    figures = lf.measure_run(tiny_mnist_run, size=12, names=[name])[name]
    detail = figures[lf.DETAIL]
    expected = recount(tiny_mnist_run, name, 12)
    assert detail["digits"] == 12
    assert {k: detail[k] for k in expected} == expected
    assert expected["edits"] >= 5, "too few agreeing digits to check anything"
    assert figures[lf.KEY] == pytest.approx(expected["follows"][0] / expected["edits"])
    assert detail["shares"] == pytest.approx([f / expected["edits"] for f in expected["follows"]])
    low, high = detail["interval"]
    assert low <= figures[lf.KEY] <= high


def test_every_student_is_measured_on_the_same_seeded_digits():
    a, b = lf.sample_digits(1000, 200), lf.sample_digits(1000, 200)
    assert np.array_equal(a, b) and len(np.unique(a)) == 200 and a.max() < 1000
    assert np.all(np.diff(a) > 0)
    assert not np.array_equal(a, lf.sample_digits(1000, 200, seed=1))
    assert len(lf.sample_digits(50, 200)) == 50  # a small test set: every digit


def test_the_edit_pushed_further_keeps_its_direction_and_the_pixel_range():
    original = np.array([[0.0, 0.5], [1.0, 0.2]], np.float32)
    edited = np.array([[0.4, 0.5], [0.7, 0.0]], np.float32)
    pushed = scaled_edits(original, edited, lf.SCALES)
    assert np.allclose(pushed[0], edited)
    assert np.allclose(pushed[1], [[0.6, 0.5], [0.55, 0.0]])
    assert np.allclose(pushed[2], [[0.8, 0.5], [0.4, 0.0]])


def test_figures_without_an_edit_are_none_not_zero():
    empty = lf.figures_entry({"digits": 5, "agreeing": 0, "edits": 0, "follows": [0, 0, 0],
                              "seconds_per_digit": None})
    assert empty[lf.KEY] is None and empty[lf.DETAIL]["interval"] is None
    some = lf.figures_entry({"digits": 5, "agreeing": 4, "edits": 4, "follows": [1, 2, 4],
                             "seconds_per_digit": 0.1})
    assert some[lf.KEY] == 0.25 and some[lf.DETAIL]["shares"] == [0.25, 0.5, 1.0]


def measured_metrics(run) -> dict:
    m = json.loads((run.path / "metrics.json").read_text())
    m["students"][0].update(lf.figures_entry({"digits": 10, "agreeing": 8, "edits": 6,
                                              "follows": [3, 4, 5], "seconds_per_digit": 0.1}))
    return m


def test_an_old_run_is_measured_once_and_keeps_the_figures(tiny_mnist_run, tmp_path,
                                                           monkeypatch):
    shutil.copytree(tiny_mnist_run.path, tmp_path / "run")
    forget_local_fidelity(tmp_path / "run")  # as a job saves it
    monkeypatch.setattr(lf, "SAMPLE", 6)
    monkeypatch.setattr("distill.explain.counterfactual.SECONDS", 0.5)  # Bernoulli NB's cap
    run = Run(tmp_path / "run")
    assert not run.has_local_fidelity
    events = []
    metrics = run.ensure_local_fidelity(events.append)
    assert events[-1]["fraction"] == 1.0 and run.has_local_fidelity
    again = Run(tmp_path / "run")
    assert again.has_local_fidelity and again.metrics == json.loads(json.dumps(metrics))
    assert all(s["local_fidelity_detail"]["digits"] == 6 for s in again.metrics["students"])
    (tmp_path / "run" / "metrics.json").write_text(
        json.dumps(measured_metrics(again) | {"students": [
            {**again.metrics["students"][0], "local_fidelity": 2.0}]}))
    with pytest.raises(RunError, match="local fidelity is not a share"):
        Run(tmp_path / "run").metrics  # noqa: B018


def test_a_bundled_run_is_measured_in_memory_only(tiny_mnist_run, tmp_path, monkeypatch):
    shutil.copytree(tiny_mnist_run.path, tmp_path / "run")
    forget_local_fidelity(tmp_path / "run")  # as a job saves it
    before = (tmp_path / "run" / "metrics.json").read_bytes()
    monkeypatch.setattr(lf, "SAMPLE", 2)
    monkeypatch.setattr("distill.explain.counterfactual.SECONDS", 0.5)
    run = Run(tmp_path / "run", bundled=True)
    run.ensure_local_fidelity()
    assert run.has_local_fidelity
    assert (tmp_path / "run" / "metrics.json").read_bytes() == before


def test_a_run_measures_it_while_training_when_asked(tmp_path):
    from conftest import tiny_config

    from distill.config import StudentChoice, plan
    from distill.pipeline import run_experiment
    cfg = tiny_config("digits", max_train=200, max_test=40, local_fidelity=10,
                      students=[StudentChoice("tree", {"max_leaf_nodes": 16}),
                                StudentChoice("linear", {"max_iter": 40})])
    assert "local fidelity" in plan(cfg)
    stages = []
    run = run_experiment(cfg, out=tmp_path / "run", progress=lambda e: stages.append(e["stage"]))
    assert "local fidelity" in stages and run.has_local_fidelity
    for s in run.metrics["students"]:
        assert s["local_fidelity_detail"]["digits"] == 10
        assert s["local_fidelity_detail"]["edits"] == recount(run, s["name"], 10)["edits"]
    assert "local fidelity" not in plan(tiny_config("digits"))  # default: measured later


def test_show_prints_each_students_local_fidelity(tiny_mnist_run, tmp_path, cli, monkeypatch):
    shutil.copytree(tiny_mnist_run.path, tmp_path / "run")
    forget_local_fidelity(tmp_path / "run")  # as a job saves it
    run = Run(tmp_path / "run")
    shown = cli("show", str(run.path)).stdout
    assert "local_fidelity" in shown
    monkeypatch.setattr(lf, "SAMPLE", 4)
    monkeypatch.setattr("distill.explain.counterfactual.SECONDS", 0.5)
    run.ensure_local_fidelity()
    shown = cli("show", str(run.path)).stdout
    tree = Run(run.path).student_entry("tree.transfer")
    line = next(row for row in shown.splitlines() if row.startswith("tree.transfer"))
    assert f"{tree['local_fidelity']:.1%}" in line


def test_the_report_shows_each_students_local_fidelity(tiny_mnist_run, tmp_path, monkeypatch):
    from distill.report import build_report
    from distill.summary import cell
    shutil.copytree(tiny_mnist_run.path, tmp_path / "run")
    forget_local_fidelity(tmp_path / "run")  # as a job saves it
    run = Run(tmp_path / "run")
    assert "Not measured for this run yet: make the report with" in build_report(run, 0)
    monkeypatch.setattr(lf, "SAMPLE", 4)
    monkeypatch.setattr("distill.explain.counterfactual.SECONDS", 0.5)
    run.ensure_local_fidelity()
    html = build_report(Run(run.path), 0)
    assert "<th>local fidelity</th>" in html
    assert "Not measured for this run yet: make the report with" not in html
    for s in Run(run.path).metrics["students"]:
        row = html[html.index(f"<td>{s['name']}</td>"):].split("</tr>")[0]
        assert f"<td>{cell(s['local_fidelity'], 'local_fidelity')}</td>" in row
