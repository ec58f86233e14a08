"""The bundled demo run, a fast first page, and the limits of hosted mode."""

import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from distill import runs as R
from distill.config import RUN_PARAMS, TEACHER_PARAMS, RunConfig, StudentChoice, TeacherConfig
from distill.hosting import hosted_problems
from distill.runs import PROJECT_DIR
from tests.oracles import top
from tests.test_pages import APP, navigation_mode  # noqa: F401  (autouse fixture)

DEMO = PROJECT_DIR / "assets" / "runs" / "demo-mnist5k"


def test_the_demo_run_is_bundled_small_and_complete():
    run = R.Run(DEMO, bundled=True)
    size = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert size < 5 * 2**20
    m, p = run.metrics, run.predictions
    assert m["dataset"] == "mnist5k" and m["teacher"]["arch"] == "cnn"
    kinds = {s["kind"] for s in m["students"]}
    assert {"tree", "gaussian-nb", "bernoulli-nb", "multinomial-nb", "linear"} <= kinds
    teacher = [top(r) for r in p["teacher_proba"].tolist()]
    agrees = {}
    for s in m["students"]:  # the figures the Overview shows, recounted from the predictions
        says = [top(r) for r in p[f"proba_{s['name']}"].tolist()]
        agrees[s["name"]] = sum(a == b for a, b in zip(says, teacher)) / len(says)
        assert s["agreement"] == pytest.approx(agrees[s["name"]])
        assert s["test_accuracy"] == pytest.approx(
            sum(a == b for a, b in zip(says, p["y_true"].tolist())) / len(says))
    for s in run.facts.distilled:  # and each gain on the first screen
        base = run.facts.baseline_of(s)["name"]
        assert run.facts.gain(s) == pytest.approx(agrees[s["name"]] - agrees[base])
        # Explore shows and searches from the stored probabilities: the saved model's own
        np.testing.assert_allclose(run.load_student(s["name"]).predict_proba(p["x_test"][:50]),
                                   p[f"proba_{s['name']}"][:50], atol=1e-6)


def test_a_fresh_clone_opens_on_the_demo_run(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(tmp_path / "empty"))
    # the demo run first (the one a fresh clone opens on), then the small demo sweep
    assert [r.id for r in R.list_runs()] == ["demo-mnist5k", "demo-sweep"]
    for bundled in R.list_runs():
        with pytest.raises(R.RunError, match="cannot be deleted"):
            R.delete_run(bundled)


def test_the_overview_draws_without_torch_or_scikit_learn(tmp_path):
    code = textwrap.dedent(f"""
        import os, sys
        os.environ["DISTILL_RUNS_DIR"] = {str(tmp_path)!r}
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({APP!r}, default_timeout=60)
        at.run()
        assert not at.exception and at.metric, "overview did not draw"
        print("torch" in sys.modules, "sklearn" in sys.modules)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False"]


def test_hosted_limits_refuse_big_jobs_with_reasons():
    big = RunConfig(dataset="fashion-mnist", teacher=TeacherConfig(epochs=50), transfer_size=30,
                    students=[StudentChoice("tree", {"max_leaf_nodes": 5000}),
                              StudentChoice("soft-tree", {"depth": 9})] +
                    [StudentChoice("linear")] * 4)
    problems = " | ".join(hosted_problems(big))
    for words in ("mnist5k and digits only", "teacher epochs of at most 6",
                  "transfer-set size of at most 5", "at most 4 students",
                  "region tree max leaves of at most 512", "soft tree depth of at most 6"):
        assert words in problems
    assert hosted_problems(RunConfig(teacher=TeacherConfig(epochs=3), transfer_size=3)) == []
    default_soft = RunConfig(teacher=TeacherConfig(epochs=3), transfer_size=3,
                             students=[StudentChoice("soft-tree")])  # depth 8 by default
    assert "soft tree depth of at most" in " ".join(hosted_problems(default_soft))


@pytest.fixture
def hosted(tmp_path, monkeypatch, tiny_run):
    """A public demo server: its own job queue (private, one job at a time), not one that an
    earlier test in this process made with a laptop's settings."""
    import streamlit as st

    from distill import jobs
    monkeypatch.setenv("DISTILL_HOSTED", "1")
    shutil.copytree(tiny_run.path, tmp_path / "runs" / "visitor-run")
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setattr(jobs, "_MANAGER", None)
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def hosted_app(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception
    return at


def test_hosted_train_form_is_bounded(hosted):
    at = hosted_app("train")
    assert any("Public demo" in i.value for i in at.info)
    assert set(at.selectbox(key="dataset").options) == {"MNIST 5k", "Digits 8x8"}
    assert at.slider(key="size").max == RUN_PARAMS["transfer_size"].hosted_high
    cap = TEACHER_PARAMS["epochs"].hosted_high
    at.number_input(key="epochs").set_value(100).run()  # typed over the demo's cap
    assert at.number_input(key="epochs").value == cap  # set back, not left in red
    assert any(f"100 is over the demo's limit; set to {cap:g}" in c.value for c in at.caption)
    at.multiselect(key="students").set_value(["tree"]).run()
    at.number_input(key="p-tree-max_leaf_nodes").set_value(100_000).run()
    assert at.number_input(key="p-tree-max_leaf_nodes").value == 512
    assert any("100,000 is over the demo's limit; set to 512" in c.value for c in at.caption)
    at.run()  # the note was for that change only
    assert not any("over the demo's limit" in c.value for c in at.caption)


def test_hosted_runs_cannot_be_renamed_or_deleted(hosted):
    at = hosted_app("runs")
    assert not [b for b in at.button if (b.key or "").startswith(("rename-", "delete-"))]
    assert any("cannot be renamed or deleted" in c.value for c in at.caption)


def test_hosted_jobs_belong_to_the_session_that_started_them(hosted):
    from distill.jobs import get_manager
    alice = hosted_app("train")
    alice.selectbox(key="dataset").select("Digits 8x8").run()
    alice.number_input(key="epochs").set_value(1).run()
    alice.slider(key="size").set_value(1).run()
    alice.multiselect(key="students").set_value(["bernoulli-nb"]).run()
    next(b for b in alice.button if b.label == "Start training").click().run()
    assert not alice.error
    job = alice.query_params["job"]
    try:
        assert any(job in m.value for m in alice.markdown)  # alice sees her job
        assert [b for b in alice.button if b.key == f"cancel-{job}"]
        bob = hosted_app("train")
        assert not any(job in m.value for m in bob.markdown)  # bob does not
        assert any("No training job yet" in c.value for c in bob.caption)
        # nor does a link to it give him anything: no details, no Cancel
        linked = AppTest.from_file(APP, default_timeout=60)
        linked.query_params["job"] = job
        linked.run()
        linked.switch_page("pages/train.py").run()
        assert [w.value for w in linked.warning] == [
            "The link names a training job started in another browser: only the browser that "
            "started a training job can see or cancel it."]
        assert not [b for b in linked.button if (b.key or "").startswith("cancel-")]
        assert not any(job in m.value for m in linked.markdown)
        assert get_manager().snapshot(job, owner=alice.session_state["owner"])["state"] in (
            "starting", "running")
    finally:
        get_manager().cancel(job, owner=alice.session_state["owner"])


def test_every_bundled_run_carries_its_teacher_follows_figures():
    """Compare shows them at once: without them every replica would spend a minute or more of
    CPU measuring them in the background the first time someone opens Compare."""
    for folder in sorted((PROJECT_DIR / "assets" / "runs").iterdir()):
        run = R.Run(folder, bundled=True)
        assert run.follows is not None, folder.name
        assert set(run.follows["students"]) == set(run.student_names), folder.name
