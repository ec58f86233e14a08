import numpy as np
import pytest

from distill import metrics as M
from distill.config import ConfigError, RunConfig, StudentChoice, params_for, plan
from distill.pipeline import run_experiment
from distill.progress import Cancelled
from tests.conftest import tiny_config
from tests.oracles import counted, top


def test_every_metric_is_recomputable_from_the_predictions(tiny_run):
    """Counted digit by digit in plain Python (tests/oracles.py), not by distill.metrics."""
    m, p = tiny_run.metrics, tiny_run.predictions
    y, teacher = p["y_true"].tolist(), p["teacher_proba"].tolist()
    assert p["x_test"].shape == (m["n_test"], 8, 8)
    assert m["teacher"]["test_accuracy"] == pytest.approx(
        sum(top(r) == c for r, c in zip(teacher, y)) / len(y))
    for s in m["students"]:
        proba = p[f"proba_{s['name']}"]
        assert proba.shape == (len(y), 10)
        expected = counted(y, teacher, proba.tolist(), M.EPS)
        assert set(expected) <= set(s)
        for key, value in expected.items():
            assert s[key] == pytest.approx(value), (s["name"], key)


def test_each_student_has_a_ground_truth_baseline(tiny_run):
    entries = tiny_run.metrics["students"]
    distilled = [s for s in entries if s["method"] == "transfer"]
    assert len(distilled) == 6
    for s in distilled:
        base = tiny_run.facts.baseline_of(s)
        assert base is not None and base["kind"] == s["kind"] and base["name"] != s["name"]
    kinds = {s["kind"] for s in entries}
    assert kinds == {"tree", "gaussian-nb", "bernoulli-nb", "multinomial-nb", "linear"}
    tree = next(s for s in entries if s["kind"] == "tree")
    assert tree["leaves"] <= 24 and tree["depth"] >= 1
    assert tree["fit_samples"] == 2 * tiny_run.metrics["n_train"]  # train + 1x transfer set


def test_saved_models_reproduce_the_saved_predictions(tiny_run):
    x = tiny_run.predictions["x_test"]
    teacher = tiny_run.load_teacher()
    np.testing.assert_allclose(teacher.predict_proba(x), tiny_run.predictions["teacher_proba"],
                               atol=1e-5)
    for name in tiny_run.student_names:
        np.testing.assert_allclose(tiny_run.load_student(name).predict_proba(x),
                                   tiny_run.student_proba(name), atol=1e-6)


def test_same_seed_same_numbers(tmp_path):
    cfg = tiny_config(students=[StudentChoice("tree", {"max_leaf_nodes": 8})], max_train=150,
                      max_test=60, teacher=tiny_config().teacher)
    cfg.teacher.epochs = 1
    a = run_experiment(cfg, out=tmp_path / "a").metrics
    b = run_experiment(cfg, out=tmp_path / "b").metrics
    for key in ("test_accuracy", "agreement", "kl"):
        assert [s[key] for s in a["students"]] == [s[key] for s in b["students"]]
    assert a["teacher"]["test_accuracy"] == b["teacher"]["test_accuracy"]


def test_progress_walks_the_plan_and_a_stop_saves_nothing(tmp_path):
    cfg = tiny_config(students=[StudentChoice("bernoulli-nb")], max_train=100, max_test=40)
    stages = plan(cfg)
    assert stages[:3] == ["data", "teacher", "targets"]
    assert stages[-3:] == ["evaluate", "saliency", "save"]
    seen = []

    def stop():
        return "student:bernoulli-nb.transfer" in seen

    with pytest.raises(Cancelled):
        run_experiment(cfg, progress=lambda e: seen.append(e["stage"]), should_stop=stop,
                       out=tmp_path / "never")
    assert seen[0] == "plan" and "teacher" in seen
    assert not (tmp_path / "never").exists() and list(tmp_path.iterdir()) == []


def test_invalid_settings_are_refused_before_any_work():
    cfg = RunConfig(students=[StudentChoice("tree", {"max_leaf_nodes": 0})], method="soft",
                    temperature=0)
    with pytest.raises(ConfigError) as err:
        run_experiment(cfg, progress=lambda e: pytest.fail("started"))
    assert "max leaves" in str(err.value) and "temperature" in str(err.value)
    with pytest.raises(ConfigError, match="at least one student"):
        RunConfig(students=[]).validate()


def test_config_round_trips_through_a_dict():
    cfg = tiny_config(method="soft", temperature=2.0)
    again = RunConfig.from_dict(cfg.to_dict())
    assert again == cfg


def test_soft_and_hard_methods_run(tmp_path):
    for method in ("soft", "hard"):
        cfg = tiny_config(method=method, max_train=150, max_test=60,
                          students=[StudentChoice("tree", {"max_leaf_nodes": 8}),
                                    StudentChoice("bernoulli-nb")])
        cfg.teacher.epochs = 2  # enough for a teacher that names more than one class
        m = run_experiment(cfg, out=tmp_path / method).metrics
        assert {s["method"] for s in m["students"]} == {method, "ground-truth"}


def test_every_student_straightens_handwriting_only_unless_told():
    for name in ("soft-tree", "tree", "gaussian-nb", "bernoulli-nb", "linear"):
        assert params_for(StudentChoice(name), "mnist5k") == {"deskew": True}
        assert params_for(StudentChoice(name), "fashion-mnist") == {"deskew": False}
        # 8x8: where it won (the tree, Bernoulli naive Bayes), not where it lost
        assert params_for(StudentChoice(name), "digits") == {
            "deskew": name in ("tree", "bernoulli-nb")}
    assert params_for(StudentChoice("soft-tree", {"deskew": True, "depth": 4}),
                      "fashion-mnist") == {"deskew": True, "depth": 4}
    assert params_for(StudentChoice("tree", {"max_leaf_nodes": 8}), "mnist5k") == {
        "deskew": True, "max_leaf_nodes": 8}


def test_work_beside_the_run_returns_its_result_and_stops_with_the_run():
    import threading

    from distill.pipeline import Beside
    from distill.progress import check_stop

    def count(report, should_stop):
        for i in range(5):
            report({"fraction": (i + 1) / 5})
        return "maps"

    with Beside(count) as beside:
        seen = []
        assert beside.wait(seen.append) == "maps"
    started, stopped = threading.Event(), threading.Event()

    def forever(report, should_stop):
        started.set()
        while True:
            try:
                check_stop(should_stop)
            except Exception:
                stopped.set()
                raise
            started.wait(0.01)

    with pytest.raises(ZeroDivisionError), Beside(forever):  # the run fails meanwhile
        started.wait()
        1 / 0  # noqa: B018
    assert stopped.wait(30)  # leaving the block stops the work, without waiting for it

    def broken(report, should_stop):
        raise ValueError("no maps")

    with Beside(broken) as beside, pytest.raises(ValueError, match="no maps"):
        beside.wait(lambda f: None)


def test_a_run_on_the_true_labels_trains_no_teacher(tmp_path):
    from distill.config import plan
    cfg = tiny_config("mnist5k", max_train=200, max_test=40, method="ground-truth",
                      students=[StudentChoice("tree", {"max_leaf_nodes": 8})])
    stages = []
    run = run_experiment(cfg, out=tmp_path / "truth",
                         progress=lambda e: stages.append(e.get("stage")))
    assert "teacher" not in stages and "saliency" not in stages
    assert plan(cfg) == ["data", "targets", "student:tree.ground-truth", "evaluate", "save"]
    assert run.metrics["teacher"] is None and not run.has_teacher
    assert not (run.path / "teacher.pt").exists() and not (run.path / "saliency.npz").exists()
    assert "teacher_proba" not in run.predictions
    (entry,) = run.metrics["students"]
    assert entry["agreement"] is None and 0 < entry["test_accuracy"] <= 1
    assert run.facts.best["name"] == "tree.ground-truth"


def test_what_needs_no_teacher_is_done_beside_it_as_it_would_be_after(monkeypatch):
    from distill.data import load_dataset
    from distill.deskew import deskew
    from distill.distillation import Targets, training_images
    from distill.pipeline import before_the_teacher, fit_model
    from distill.progress import never
    cfg = tiny_config("mnist5k", max_train=400, max_test=30, transfer_size=2,
                      students=[StudentChoice("tree", {"max_leaf_nodes": 8}),
                                StudentChoice("soft-tree", {"depth": 2, "epochs": 1}),
                                StudentChoice("bernoulli-nb")])
    data = load_dataset(cfg.dataset, max_train=cfg.max_train, max_test=cfg.max_test)
    models = cfg.models()
    assert [m.name for m in models] == [f"{s}.{m}" for m in ("transfer", "ground-truth")
                                        for s in ("tree", "soft-tree", "bernoulli-nb")]
    early = [m for m in models if m.method == "ground-truth" and not m.trains_in_epochs]
    assert [m.name for m in early] == ["tree.ground-truth", "bernoulli-nb.ground-truth"]
    images, fitted = before_the_teacher(cfg, data, early, never)
    expected = training_images("transfer", data.x_train, cfg.generators()[0], cfg.transfer_size,
                               cfg.seed)
    np.testing.assert_array_equal(images["transfer"], expected)
    assert len(expected) == 3 * len(data.x_train)
    for model in early:  # the same fit as the run's loop makes
        alone, entry = fit_model(model, cfg, data, Targets(data.x_train, data.y_train),
                                 lambda e: None, never)
        student = fitted[model.name][0]
        np.testing.assert_array_equal(student.predict_proba(data.x_test),
                                      alone.predict_proba(data.x_test))
        assert fitted[model.name][1]["params"] == entry["params"]
    # straightened ahead: the transfer students read the set from deskew's memory
    from distill import deskew as straightening
    assert len(expected) >= straightening.REMEMBER
    real, shapes = straightening._deskew, []
    monkeypatch.setattr(straightening, "_deskew", lambda x: shapes.append(x.shape) or real(x))
    assert deskew(expected).shape == expected.shape
    assert expected.shape not in shapes  # not straightened again
