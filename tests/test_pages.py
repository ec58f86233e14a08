"""Every page, driven headlessly with Streamlit's AppTest on a small saved run."""

import shutil

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from distill import runs as R
from distill.runs import PROJECT_DIR
from tests.conftest import forget_local_fidelity

APP = str(PROJECT_DIR / "app.py")


@pytest.fixture
def runs_home(tiny_mnist_run, tiny_run, tmp_path, monkeypatch):
    """A runs folder with two small runs, and no bundled demo run."""
    folder = tmp_path / "runs"
    shutil.copytree(tiny_mnist_run.path, folder / "mnist-run")
    shutil.copytree(tiny_run.path, folder / "digits-run")
    R.rename_run(R.Run(folder / "mnist-run"), "Small MNIST run")
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(folder))
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "no-bundled-runs")
    from distill.explain import follows
    monkeypatch.setattr(follows, "PER_GROUP", 2)  # Compare measures in seconds
    monkeypatch.setattr("distill.explain.local_fidelity.SAMPLE", 3)  # Overview too
    monkeypatch.setattr("distill.explain.counterfactual.SECONDS", 0.5)  # Bernoulli NB's cap
    return folder


def finish_background(name: str) -> None:
    """Wait for the page's background measurement ``name`` to end."""
    import threading
    for thread in threading.enumerate():
        if thread.name == name:
            thread.join()


@pytest.fixture(autouse=True)
def navigation_mode(monkeypatch):
    """Run pages as a live server does once app.py has run: through st.navigation.

    AppTest re-detects the old ``pages/`` folder mode before every run, which a server does
    only until its first visit; the first deep link on a fresh server is a browser test.
    """
    from streamlit.runtime.pages_manager import PagesManager

    from pages._frame import use_navigation
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        use_navigation()

    monkeypatch.setattr(PagesManager, "__init__", init)


def app(page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def grid_data(at) -> dict:
    """What the digit grid component was given: its cells and the selected digit."""
    import json
    (el,) = at.get("bidi_component")
    return json.loads(el.proto.json)


def graphviz(at) -> list[str]:
    return [el.proto.spec for el in at.get("graphviz_chart")]


def plotly_count(at) -> int:
    return len(at.get("plotly_chart"))


def test_overview_tells_the_story_of_the_current_run(runs_home):
    at = app(run="mnist-run")
    assert not at.error
    assert at.title[0].value == "Overview"
    labels = [m.label for m in at.metric]
    assert labels[0] == "Teacher accuracy" and "Region tree" in labels
    story = next(m.value for m in at.markdown if "agrees with it on" in m.value)
    run = R.load_run("mnist-run")
    best = max((s for s in run.metrics["students"] if s["method"] == run.metrics["method"]),
               key=lambda s: s["agreement"])
    assert f"{run.metrics['teacher']['test_accuracy']:.1%} accuracy" in story
    assert f"on {best['agreement']:.1%} of test images" in story
    (bars,) = at.get("html")
    assert bars.proto.body.count('class="bar-group"') == 5  # one per distilled student
    assert at.sidebar.selectbox(key="run").value == "mnist-run"


def test_overview_measures_each_students_local_fidelity_then_shows_it(runs_home):
    forget_local_fidelity(runs_home / "mnist-run")
    at = app(run="mnist-run")
    assert at.get("progress"), "the measurement shows its progress"
    assert any(c.value == "local fidelity: not measured yet" for c in at.caption)
    finish_background("local fidelity")
    at.run()
    assert not at.exception and not at.error and not at.get("progress")
    run = R.load_run("mnist-run")
    assert run.has_local_fidelity  # kept in the run's metrics.json
    from distill.summary import local_fidelity_phrase
    shown = [c.value for c in at.caption if c.value.startswith("local fidelity")]
    assert shown == [local_fidelity_phrase(run.student_entry(f"{k}.transfer")) for k in
                     ("tree", "bernoulli-nb", "gaussian-nb", "multinomial-nb", "linear")]
    assert all("% (95% CI " in c or "no edits" in c for c in shown)


def test_overview_without_runs_points_to_training(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(tmp_path / "none"))
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "none-bundled")
    at = app()
    assert "No run to show yet" in at.info[0].value
    assert not at.metric


def test_the_run_picker_switches_runs_everywhere(runs_home):
    at = app(run="mnist-run")
    at.sidebar.selectbox(key="run").select("digits-run").run()
    assert at.query_params["run"] == "digits-run"
    assert "digits" in at.markdown[0].value or any("digits" in m.value for m in at.markdown)


def test_compare_shows_the_table_matrices_and_charts(runs_home):
    at = app("compare", run="mnist-run")
    assert not at.error
    df = at.dataframe[0].value
    assert df["model"].iloc[0].startswith("teacher") and len(df) == 1 + 10
    rows = dict(zip(df["model"], df["gain"]))
    run = R.load_run("mnist-run")
    tree, base = (run.student_entry(n) for n in ("tree.transfer", "tree.ground-truth"))
    assert rows["tree.transfer"] == f"{(tree['agreement'] - base['agreement']) * 100:+.1f} pt"
    assert rows["tree.ground-truth"] == "-" and df["leaves"].iloc[0] == "-"
    from distill.metrics import bootstrap_interval
    from distill.summary import cell
    intervals = dict(zip(df["model"], df["agreement_ci"]))
    assert intervals["tree.transfer"] == cell(bootstrap_interval(tree["agreement"],
                                                                 run.metrics["n_test"]), "_ci")
    assert "–" in df["accuracy_ci"].iloc[0] and df["agreement_ci"].iloc[0] == "-"
    assert plotly_count(at) >= 7  # 2 bar charts, 3 matrices, per-class, trade-off
    at.selectbox(key="compare_student").select("bernoulli-nb.transfer").run()
    assert not at.exception


def test_compare_plots_agreement_against_local_fidelity(runs_home):
    at = app("compare", run="mnist-run")
    assert any("Same answers, same reasons?" in h.value for h in at.subheader)
    finish_background("local fidelity")
    at.run()
    assert not at.exception and not at.error
    run = R.load_run("mnist-run")
    df = at.dataframe[0].value
    shown = dict(zip(df["model"], df["local_fidelity"]))
    for s in run.metrics["students"]:
        assert shown[s["name"]] == pytest.approx(s["local_fidelity"], nan_ok=True) or (
            s["local_fidelity"] is None and np.isnan(shown[s["name"]]))
    further = next(d.value for d in at.dataframe if "1.5x" in d.value.columns)
    assert len(further) == 10
    tree = run.student_entry("tree.transfer")["local_fidelity_detail"]
    row = further[further["model"].str.contains("tree", case=False)].iloc[0]
    assert [row["1x"], row["1.5x"], row["2x"]] == pytest.approx(tree["shares"], nan_ok=True)
    assert plotly_count(at) >= 8  # the agreement-against-local-fidelity chart too


def test_compare_against_another_run(runs_home, tiny_mnist_run, tiny_run):
    """Each model of either run on a row, its agreement from that run's own metrics."""
    at = app("compare", run="mnist-run")
    at.selectbox(key="other_run").select("digits-run").run()
    table = next(d.value for d in at.dataframe if "agreement (other)" in d.value.columns)
    this = {s["name"]: s["agreement"] for s in tiny_mnist_run.metrics["students"]}
    other = {s["name"]: s["agreement"] for s in tiny_run.metrics["students"]}
    shown = table.set_index("model")
    assert set(this) | set(other) <= set(shown.index)
    for name in set(this) | set(other):
        for column, figures in (("agreement (this run)", this), ("agreement (other)", other)):
            value = shown.loc[name, column]
            assert (value == pytest.approx(figures[name]) if name in figures
                    else pd.isna(value)), (name, column)


def test_explore_shows_a_tree_path_for_the_chosen_digit(runs_home):
    at = app("explore", run="mnist-run", sample="7")
    assert not at.error
    assert at.selectbox(key="student").value == "tree.transfer"
    assert at.number_input(key="sample").value == 7
    dots = graphviz(at)
    assert len(dots) == 1 and "#d62728" in dots[0] and "predicts" in dots[0]
    assert any("Digit #7" in m.value for m in at.markdown)


def test_explore_filters_count_and_select(runs_home, tiny_mnist_run):
    at = app("explore", run="mnist-run")
    p = tiny_mnist_run.predictions
    t, s = p["teacher_proba"].argmax(1), tiny_mnist_run.student_proba("tree.transfer").argmax(1)
    disagree = int((t != s).sum())
    control = at.segmented_control(key="filter")
    assert f"Disagree ({disagree})" in control.options
    control.set_value("disagree").run()
    shown = [c["index"] for c in grid_data(at)["cells"]]
    assert len(shown) == min(24, disagree)
    assert all(t[i] != s[i] for i in shown)
    assert all(c["differ"] and "≠" in c["label"] for c in grid_data(at)["cells"])


def test_explore_jump_next_and_previous(runs_home):
    at = app("explore", run="mnist-run")
    assert grid_data(at)["selected"] == 0 and len(grid_data(at)["cells"]) == 24
    at.number_input(key="sample").set_value(5).run()
    assert at.number_input(key="sample").value == 5 and grid_data(at)["selected"] == 5
    at.button(key="next").click().run()
    assert at.number_input(key="sample").value == 6
    at.button(key="prev").click().run()
    at.button(key="prev").click().run()
    assert at.number_input(key="sample").value == 4


def test_explore_switches_to_naive_bayes_evidence(runs_home):
    at = app("explore", run="mnist-run", sample="3")
    at.selectbox(key="student").select("bernoulli-nb.transfer").run()
    assert not at.error and not graphviz(at)
    assert at.query_params["student"] == "bernoulli-nb.transfer"
    assert any("Log-odds" in c.value for c in at.caption)
    # the digit card (digit, saliency, probabilities) inline, the evidence and the class
    # weights as images (the counterfactual waits to be asked for)
    assert len(inline_pictures(at)) == 1 and len(at.get("image")) == 2
    at.selectbox(key="student").select("linear.ground-truth").run()
    assert not at.error


def test_explore_top_view_of_the_tree(runs_home):
    at = app("explore", run="mnist-run")
    at.segmented_control(key="tree_view").set_value("top").run()
    dot = graphviz(at)[0]
    assert "Top 3 levels" in dot


def test_train_form_refuses_invalid_settings_with_reasons(runs_home):
    at = app("train")
    assert not at.error
    at.multiselect(key="students").set_value([]).run()
    start = next(b for b in at.button if b.label == "Start training")
    start.click().run()
    assert at.error and "choose at least one student" in at.error[0].value
    assert at.multiselect(key="students").value == []  # nothing the user set is lost


def test_train_form_shows_the_memory_a_run_needs(runs_home, monkeypatch):
    from distill.config import RunConfig, transfer_size_for
    from distill.memory import estimate
    at = app("train")
    need = estimate(RunConfig(transfer_size=transfer_size_for("mnist5k"))).words()
    assert any(f"Needs {need} of memory" in c.value and "available" in c.value
               for c in at.caption)
    at.slider(key="size").set_value(30).run()
    bigger = estimate(RunConfig(transfer_size=30)).words()
    assert bigger != need and any(f"Needs {bigger}" in c.value for c in at.caption)


def test_train_form_offers_every_dataset_teacher_and_student(runs_home):
    at = app("train")
    assert set(at.selectbox(key="dataset").options) >= {"MNIST 5k", "Digits 8x8"}
    assert len(at.selectbox(key="arch").options) >= 4
    assert len(at.multiselect(key="students").options) >= 6


@pytest.fixture
def held_jobs(monkeypatch) -> list:
    """The configurations the Train page submits, each held (refused with "held for the
    test") instead of started."""
    from distill.config import ConfigError
    from distill.jobs import JobQueue
    sent = []

    def submit(self, config, owner=None):
        sent.append(config)
        raise ConfigError("held for the test")

    monkeypatch.setattr(JobQueue, "submit", submit)
    return sent


def test_train_form_passes_the_soft_tree_settings_to_the_job(runs_home, held_jobs):
    sent = held_jobs
    at = app("train")
    at.multiselect(key="students").set_value(["soft-tree"]).run()
    toggle = at.toggle(key="p-soft-tree-deskew-mnist5k")
    assert toggle.value is True and "Straighten" in toggle.label
    toggle.set_value(False).run()
    at.number_input(key="p-soft-tree-depth").set_value(5).run()
    at.segmented_control(key="leaves").set_value("fitted").run()
    next(b for b in at.button if b.label == "Start training").click().run()
    (cfg,) = sent
    assert cfg.leaves == "fitted"
    assert cfg.students[0].name == "soft-tree"
    assert cfg.students[0].params == {"depth": 5, "epochs": 10, "deskew": False}
    assert at.error and "held for the test" in at.error[0].value
    # clothes do not lean: on Fashion-MNIST the same toggle starts off
    at.selectbox(key="dataset").set_value("fashion-mnist").run()
    assert at.toggle(key="p-soft-tree-deskew-fashion-mnist").value is False
    # and its teacher starts from the data set's own epochs
    from distill.config import teacher_epochs
    assert at.number_input(key="epochs").value == teacher_epochs("fashion-mnist") > 6
    assert not at.exception and not at.warning


def test_train_form_passes_the_boundary_rounds_to_the_job(runs_home, held_jobs):
    from distill.config import RunConfig
    sent = held_jobs
    at = app("train")
    assert not [n for n in at.number_input if n.key == "rounds"]  # only for method boundary
    at.segmented_control(key="method").set_value("boundary").run()
    assert at.number_input(key="rounds").value == RunConfig().rounds
    at.number_input(key="rounds").set_value(3).run()
    at.number_input(key="boundary_sample").set_value(50).run()
    next(b for b in at.button if b.label == "Start training").click().run()
    (cfg,) = sent
    assert (cfg.method, cfg.rounds, cfg.boundary_sample) == ("boundary", 3, 50)
    assert cfg.boundary_seconds == RunConfig().boundary_seconds
    assert not at.exception


def test_runs_page_renames_and_deletes(runs_home):
    at = app("runs", run="digits-run")
    assert not at.error and len(at.dataframe[0].value) == 2
    at.text_input(key="title-digits-run").set_value("Renamed run").run()
    at.button(key="rename-digits-run").click().run()
    assert R.load_run("digits-run").title == "Renamed run"
    at.button(key="delete-digits-run").click().run()
    assert not (runs_home / "digits-run").exists()
    assert not at.exception


def test_runs_page_offers_downloads(runs_home):
    at = app("runs", run="mnist-run")
    assert not at.error
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[:4] == ["Metrics (JSON)", "Teacher (ONNX)", "Model table (CSV)",
                          "Report (HTML)"] and len(labels) == 5  # and the tree
    assert at.selectbox(key="download_format").options == ["SVG", "PDF", "PNG", "DOT",
                                                           "rules (text)"]
    at.selectbox(key="download_format").select("png").run()
    at.number_input(key="download_sample").set_value(3).run()
    (button,) = [b for b in at.get("download_button") if b.proto.label == "Download as PNG"]
    assert not button.proto.disabled  # dot is installed here
    assert not any("apt-get install graphviz" in c.value for c in at.caption)


def test_a_damaged_run_shows_an_error_not_a_traceback(runs_home):
    (runs_home / "mnist-run" / "predictions.npz").write_bytes(b"broken")
    at = app("explore", run="mnist-run")
    assert at.error and "cannot be shown" in at.error[0].value
    assert not at.exception


def test_explore_shows_the_soft_tree_path_cards_and_drawing(tiny_soft_run, tmp_path,
                                                            monkeypatch):
    folder = tmp_path / "runs"
    shutil.copytree(tiny_soft_run.path, folder / "soft-run")
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(folder))
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "none")
    at = app("explore", run="soft-run", sample="2", student="soft-tree.transfer")
    assert not at.error
    assert at.selectbox(key="student").value == "soft-tree.transfer"
    assert plotly_count(at) == 1  # the whole tree (depth 4)
    # the digit card inline, the path cards and the leaf as images (the counterfactual waits
    # to be asked for)
    assert len(inline_pictures(at)) == 1 and len(at.get("image")) == 2
    find_the_edit(at)
    assert len(at.get("image")) == 4  # and the edit, and the path cards of the edited digit
    assert any("filter × digit" in c.value for c in at.caption)
    assert any("The whole tree" in c.value for c in at.caption)
    assert any("reads the digit straightened (it leaned" in m.value for m in at.markdown)
    assert any("as the tree reads it, sheared upright" in c.value for c in at.caption)


def png_of(image, size=140) -> bytes:
    import io

    import numpy as np
    from PIL import Image
    img = Image.fromarray((255 * (1 - image)).astype(np.uint8)).resize((size, size))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_draw_page_asks_for_a_drawing_first(runs_home):
    at = app("draw", run="mnist-run")
    assert not at.error and "Draw a digit" in at.info[0].value


def test_draw_page_reads_an_uploaded_digit_with_every_model(runs_home, tiny_mnist_run):
    at = app("draw", run="mnist-run")
    digit = tiny_mnist_run.predictions["x_test"][0]
    at.get("file_uploader")[0].upload("seven.png", png_of(digit), "image/png").run()
    assert not at.error and not at.exception
    table = next(m.value for m in at.markdown if m.value.startswith("| model"))
    assert len(table.splitlines()) == 2 + 1 + len(tiny_mnist_run.student_names)  # head, teacher
    assert graphviz(at)  # the tree's path for the drawing


@pytest.mark.parametrize("name, data, words", [
    ("x.png", b"not a picture", "could not be read"),
    ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "SVG drawing"),
    ("big.png", b"0" * (6 * 2**20), "That file is 6.0 MB; please upload a picture under 5 MB"),
])
def test_draw_page_refuses_a_bad_upload_kindly(runs_home, name, data, words):
    at = app("draw", run="mnist-run")
    at.get("file_uploader")[0].upload(name, data, "application/octet-stream").run()
    assert not at.exception
    assert at.warning and words in at.warning[0].value


@pytest.mark.parametrize("sample, words", [("5000", "there is no digit #5000"),
                                           ("abc", "'abc' is not a digit number")])
def test_a_link_to_a_digit_that_is_not_there_says_so(runs_home, sample, words):
    at = app("explore", run="mnist-run", sample=sample)
    assert not at.exception
    (notice,) = [w.value for w in at.warning if "The link asked for digit" in w.value]
    assert words in notice and "#0 to #99" in notice and "Showing digit #0" in notice
    assert at.number_input(key="sample").value == 0
    assert at.query_params.get("sample") in (None, "0")  # the default drops out of the URL
    at.button(key="next").click().run()  # the notice was for the link; it does not come back
    assert not any("The link asked" in w.value for w in at.warning)


def test_a_link_to_a_run_that_is_not_there_says_so(runs_home):
    at = app(run="nonexistent")
    assert any("The run 'nonexistent' is not here" in w.value for w in at.sidebar.warning)
    assert at.sidebar.selectbox(key="run").value in ("mnist-run", "digits-run")
    assert at.query_params["run"] == at.sidebar.selectbox(key="run").value


def test_a_run_deleted_while_it_is_viewed_says_so_and_offers_the_others(runs_home):
    at = app("explore", run="digits-run")
    R.delete_run(R.load_run("digits-run"))  # from another session, say
    at.button(key="next").click().run()
    assert not at.exception
    notices = [w.value for w in [*at.warning, *at.sidebar.warning]]
    assert any("'digits-run' was deleted" in w for w in notices), notices
    assert not any("/" in w for w in notices)  # no server path
    assert at.sidebar.selectbox(key="run").value == "mnist-run"


def test_another_runs_damage_does_not_break_a_healthy_runs_pages(runs_home):
    (runs_home / "digits-run" / "predictions.npz").write_bytes(b"truncated")
    for page in ("compare", "explore", "runs"):
        at = app(page, run="mnist-run")
        assert not at.error, page
    at = app("compare", run="mnist-run")
    at.selectbox(key="other_run").select("digits-run").run()  # compares numbers, not files
    assert not at.exception
    side_by_side = [d.value for d in at.dataframe if "agreement (other)" in d.value.columns]
    assert len(side_by_side) == 1 and side_by_side[0]["agreement (other)"].notna().any()


@pytest.mark.parametrize("file, content, words", [
    ("metrics.json", "{}", "metrics.json is damaged"),
    ("predictions.npz", "truncated", "predictions.npz is damaged"),
])
def test_the_runs_page_says_what_is_wrong_with_a_run_and_deletes_it(runs_home, file, content,
                                                                    words):
    (runs_home / "digits-run" / file).write_text(content)
    at = app("runs", run="digits-run")
    assert not at.exception
    assert any(words in e.value for e in at.error)
    table = at.dataframe[0].value
    assert table.set_index("id").loc["digits-run", "kind"] == ("damaged" if file ==
                                                               "metrics.json" else "yours")
    at.button(key="delete-digits-run").click().run()
    assert not (runs_home / "digits-run").exists() and (runs_home / "mnist-run").exists()
    assert not at.exception


def test_train_form_sweeps_sizes_with_the_same_choices_as_the_command_line(runs_home,
                                                                          monkeypatch):
    from distill.config import ConfigError
    from distill.jobs import JobQueue
    from distill.sweep import SweepConfig, parse_grid
    sent = []

    def submit(self, config, owner=None):
        sent.append(config)
        raise ConfigError("held for the test")

    monkeypatch.setattr(JobQueue, "submit", submit)
    at = app("train")
    at.segmented_control(key="mode").set_value("sweep").run()
    assert at.multiselect(key="sweep_students").value == ["tree", "soft-tree", "linear"]
    assert at.text_input(key="sweep-tree-max_leaf_nodes").value == "8, 16, 32, 64, 128, 256, 512"
    at.text_input(key="sweep-tree-max_leaf_nodes").set_value("8, 64").run()
    at.text_input(key="sweep-soft-tree-depth").set_value("2, 3").run()
    at.number_input(key="sweep_seeds").set_value(2).run()
    assert any("20 students to fit" in c.value for c in at.caption)  # (2 + 2 + 1) x 2 x 2
    next(b for b in at.button if b.label == "Start training").click().run()
    (cfg,) = sent
    assert isinstance(cfg, SweepConfig) and cfg.seeds == 2
    assert cfg.students[0] == parse_grid("tree:max_leaf_nodes=8,64")
    assert cfg.methods == ["ground-truth", "transfer"]
    at.text_input(key="sweep-tree-max_leaf_nodes").set_value("8, lots").run()
    assert any("must be a whole number" in e.value for e in at.error)


def test_compare_draws_a_sweeps_frontier_and_a_click_opens_the_student(tiny_sweep_run,
                                                                        tmp_path,
                                                                        monkeypatch):
    folder = tmp_path / "runs"
    shutil.copytree(tiny_sweep_run.path, folder / "sweep-run")
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(folder))
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "none")
    at = app("compare", run="sweep-run")
    assert not at.error
    figure = next(c for c in at.get("plotly_chart") if "How small" in c.proto.spec)
    import json
    spec = json.loads(figure.proto.spec)
    lines = {d["name"] for d in spec["data"] if d.get("name")}
    assert lines == {"tree · distilled", "tree · ground-truth"}  # linear has no leaves
    at.segmented_control(key="frontier_size").set_value("parameters").run()
    figure = next(c for c in at.get("plotly_chart") if "How small" in c.proto.spec)
    assert "linear · distilled" in {d.get("name") for d in json.loads(figure.proto.spec)["data"]}
    table = at.dataframe[0].value
    assert list(table.columns)[:2] == ["student", "agrees ≥ 85%"]
    overview = app(run="sweep-run")
    assert any("This sweep fitted 12 students" in m.value for m in overview.markdown)


def counterfactual_picker(at):
    (picker,) = [b for b in at.selectbox if b.label == "Make the student say"]
    return picker


def find_the_edit(at):
    """Explore searches when asked (each search costs the server real time)."""
    assert not [m for m in at.markdown if m.value.startswith("Change **")]  # not yet
    (button,) = [b for b in at.button if b.label == "Find the smallest edit"]
    button.click().run()
    assert not at.exception


def test_explore_finds_what_would_change_the_students_mind(runs_home, tiny_mnist_run):
    from distill.explain.counterfactual import default_target
    p = tiny_mnist_run.predictions
    student = tiny_mnist_run.load_student("tree.transfer")
    index = int(np.flatnonzero(p["teacher_proba"].argmax(1)
                               != tiny_mnist_run.student_proba("tree.transfer").argmax(1))[0])
    at = app("explore", run="mnist-run", sample=str(index))
    picker = counterfactual_picker(at)
    teacher_says = int(p["teacher_proba"][index].argmax())
    assert picker.value == teacher_says == default_target(
        student.predict_proba(p["x_test"][index][None])[0], teacher_says)
    assert "the teacher's answer" in picker.format_func(teacher_says)
    find_the_edit(at)
    words = [m.value for m in at.markdown if m.value.startswith("Change **")]
    assert len(words) == 1 and "The network" in words[0] and "leaf" in words[0]
    other = next(c for c in counterfactual_picker(at).options if c != teacher_says)
    counterfactual_picker(at).select(other).run()  # the digit stays asked for
    assert not at.exception
    words = [m.value for m in at.markdown if m.value.startswith("Change **")]
    assert len(words) == 1 and f"answers **{other}**" in words[0]
    # switched on for every digit, the next digit's edit comes without asking
    at.toggle(key="cf-every").set_value(True).run()
    at.query_params["sample"] = str(index + 1)
    at.run()
    assert [m for m in at.markdown if m.value.startswith("Change **")]


def test_draw_edits_a_test_digit_pixel_for_pixel(runs_home, tiny_mnist_run):
    p = tiny_mnist_run.predictions
    at = app("draw", run="mnist-run", edit="4")
    assert not at.exception and not at.error
    assert any("Editing test digit #4" in i.value for i in at.info)
    table = next(m.value for m in at.markdown if m.value.startswith("| model"))
    names = tiny_mnist_run.metrics["class_names"]
    teacher_row = table.splitlines()[2]
    assert f"**{names[int(p['teacher_proba'][4].argmax())]}**" in teacher_row
    assert "What would change its mind" in [h.value for h in at.subheader]
    next(b for b in at.button if b.label == "Start a blank drawing").click().run()
    assert any("Draw a digit" in i.value for i in at.info)


def test_a_link_to_edit_a_digit_that_is_not_there_says_so(runs_home):
    at = app("draw", run="mnist-run", edit="999")
    assert not at.exception
    assert any("#0 to #99" in w.value for w in at.warning)
    assert any("Draw a digit" in i.value for i in at.info)


def test_open_the_edit_in_draw_puts_it_on_the_pad(runs_home, tiny_mnist_run):
    """Draw reads the edit itself: the tree says the edit's class with its own probability of
    the edited digit, and the teacher says what it says of that digit."""
    from distill.explain.counterfactual import counterfactual
    at = app("explore", run="mnist-run", sample="2")
    find_the_edit(at)
    (button,) = [b for b in at.button if b.label == "Open the edit in Draw"]
    button.click().run()
    assert not at.exception
    assert any("Editing the edit that makes" in i.value and "test digit #2" in i.value
               for i in at.info)
    table = next(m.value for m in at.markdown if m.value.startswith("| model"))
    rows = {cells[1].strip(): [c.strip() for c in cells[2:4]]
            for cells in (line.split("|") for line in table.splitlines()[2:])}
    tree = tiny_mnist_run.load_student("tree.transfer")
    edit = counterfactual(tree, tiny_mnist_run.predictions["x_test"][2]).image
    says = int(tree.predict(edit[None])[0])
    assert rows["Decision tree (regions) · transfer"] == [
        f"**{says}**", f"{tree.predict_proba(edit[None])[0, says]:.0%}"]
    assert f"say {says} (from test digit #2)" in " ".join(i.value for i in at.info)
    teacher = tiny_mnist_run.load_teacher()
    assert rows["**teacher** (cnn)"][0] == f"**{int(teacher.predict(edit[None])[0])}**"


def test_compare_measures_whether_the_teacher_follows_then_keeps_it(runs_home, monkeypatch):
    import threading
    monkeypatch.setattr("distill.explain.follows.PER_GROUP", 1)  # a digit a group: the flow
    monkeypatch.setattr("distill.explain.counterfactual.SECONDS", 0.5)  # Bernoulli NB's cap
    (runs_home / "mnist-run" / "follows.json").unlink()  # as saved by a job
    at = app("compare", run="mnist-run")
    assert at.get("progress"), "the measurement shows its progress"
    for thread in threading.enumerate():
        if thread.name == "follows":
            thread.join()
    at.run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "disagreements" in d.value.columns)
    assert len(table) == 10
    assert table["disagreements"].dropna().between(0, 1).all()
    assert (runs_home / "mnist-run" / "follows.json").exists()


def test_explore_shows_the_whole_tree_as_rules(runs_home, tiny_mnist_run):
    at = app("explore", run="mnist-run")
    at.segmented_control(key="look").set_value("whole").run()
    assert not at.exception and not at.error
    cards = [m.value for m in at.markdown if m.value.startswith("**Leaf ")]
    assert cards and all("test digits" in c and "the tree says" in c for c in cards)
    assert "Top 3 levels" in graphviz(at)[0]
    tree = tiny_mnist_run.load_student("tree.transfer")
    last = int(tree.value_[tree.children_left_ < 0].argmax(1).max())
    at.segmented_control(key="whole_class").set_value(last).run()
    names = tiny_mnist_run.metrics["class_names"]
    cards = [m.value for m in at.markdown if m.value.startswith("**Leaf ")]
    assert cards and all(f"the tree says {names[last]} at" in c for c in cards)
    at.selectbox(key="student").select("linear.transfer").run()
    assert not at.exception
    assert any("mean evidence per class" in m.value for m in at.markdown)
    assert len(at.get("image")) == 2  # the student's templates, the teacher's evidence


def test_explore_shows_every_soft_tree_filter_with_the_classes_each_way(tiny_soft_run, tmp_path,
                                                                         monkeypatch):
    folder = tmp_path / "runs"
    shutil.copytree(tiny_soft_run.path, folder / "soft-run")
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(folder))
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "none")
    at = app("explore", run="soft-run", student="soft-tree.transfer")
    at.segmented_control(key="look").set_value("whole").run()
    assert not at.exception and len(at.get("image")) == 1  # the top levels as a tree
    assert svg_text(at.get("image")[0]).count(">node ") == 7
    at.slider(key="whole_levels").set_value(4).run()
    svg = svg_text(at.get("image")[0])
    assert svg.count(">node ") == 15 and svg.count("←") == 15 and svg.count("<line") == 14


def inline_pictures(at) -> list[str]:
    """The pictures a page drew inline (pages._ui.inline_picture): their HTML."""
    return [h.proto.body for h in at.get("html") if "<figure" in h.proto.body]


def svg_text(image) -> str:
    """The SVG of an st.image given as a data URI."""
    import base64
    url = image.proto.imgs[0].url
    return base64.b64decode(url.split(",", 1)[1]).decode()


@pytest.fixture
def truth_home(tiny_truth_run, tmp_path, monkeypatch):
    folder = tmp_path / "runs"
    shutil.copytree(tiny_truth_run.path, folder / "truth-run")
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(folder))
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "none")
    return folder


@pytest.mark.parametrize("page", ["overview", "compare", "explore", "draw", "runs"])
def test_every_page_says_a_run_has_no_teacher_and_still_works(truth_home, page):
    at = app(None if page == "overview" else page, run="truth-run")
    assert not at.exception and not at.error
    text = " ".join([m.value for m in at.markdown] + [i.value for i in at.info]
                    + [c.value for c in at.caption])
    if page == "overview":
        assert "No teacher" in text and at.metric[0].value == "none"
    if page == "compare":
        assert "has no teacher" in text
        assert not any(c.startswith("teacher") for c in at.dataframe[0].value["model"])
    if page == "explore":
        assert "no teacher in this run" in text
        options = at.segmented_control(key="filter").options
        assert len(options) == 2 and options[0] == "All (60)"
        assert options[1].startswith("Student wrong")
        assert "What would change its mind" in [h.value for h in at.subheader]
    if page == "draw":
        at.query_params["edit"] = "3"
        at.run()
        assert not at.exception and not at.error
        table = next(m.value for m in at.markdown if m.value.startswith("| model"))
        assert "teacher" not in table and len(table.splitlines()) == 2 + 2


def test_a_second_full_run_of_explore_draws_no_thumbnail_again(runs_home, monkeypatch):
    """A deep link or a change of filter reruns the whole page: the run's thumbnails, made
    once, are not encoded again (tests/test_page_scripts.py checks every page for caches)."""
    from pages import _components as comp
    made = []
    real = comp.png_data_uri
    monkeypatch.setattr(comp, "png_data_uri", lambda x: made.append(1) or real(x))
    at = app("explore", run="mnist-run")
    first = len(made)
    assert first >= len(at.get("bidi_component")) > 0, "the first run drew no grid"
    at.run()  # a full run
    assert not at.exception
    assert len(made) == first, "the second full run encoded the thumbnails again"


EVERY_PAGE = ("overview", "compare", "explore", "draw", "runs", "train")


def shown_texts(at) -> list[str]:
    """Every message and caption a page shows (sidebar included)."""
    return [str(el.value) for kind in ("error", "warning", "info", "success", "caption",
                                       "markdown", "exception")
            for el in getattr(at, kind)]


def damaged_newest_run(runs_home, file: str = "metrics.json", content: str = "{ damaged"):
    """A copy of a healthy run, made the newest, with one file damaged."""
    import json
    import time
    broken = runs_home / "broken-run"
    shutil.copytree(runs_home / "digits-run", broken)
    meta = json.loads((broken / "meta.json").read_text())
    (broken / "meta.json").write_text(json.dumps({**meta, "created": time.time() + 3600}))
    (broken / file).write_text(content)
    return broken


@pytest.mark.parametrize("page", EVERY_PAGE)
def test_a_newcomer_lands_on_the_newest_healthy_run_not_a_damaged_one(runs_home, page):
    damaged_newest_run(runs_home)
    runs = R.list_runs()
    assert runs[0].id == "broken-run"  # the newest, so the old default would have chosen it
    healthy = next(r.id for r in runs if r.id != "broken-run")
    at = app(page)
    picker = at.sidebar.selectbox(key="run")
    assert picker.value == healthy
    assert not at.error and not at.exception
    assert "(damaged)" in picker.format_func("broken-run")  # still listed, marked


@pytest.mark.parametrize("file, content, words", [
    ("metrics.json", "{ damaged", "run broken-run: metrics.json is damaged"),
    ("predictions.npz", "truncated", "run broken-run: predictions.npz is damaged"),
])
@pytest.mark.parametrize("page", EVERY_PAGE)
def test_a_chosen_damaged_run_says_which_file_without_a_server_path(runs_home, page, file,
                                                                    content, words):
    damaged_newest_run(runs_home, file, content)
    at = app(page, run="broken-run")
    assert not at.exception
    texts = shown_texts(at)
    if file != "predictions.npz" or page in ("compare", "explore", "draw"):
        assert any(words in t for t in texts), texts
    leaked = [t for t in texts if str(runs_home) in t or str(runs_home.parent) in t
              or str(R.PROJECT_DIR) in t]
    assert leaked == []


@pytest.mark.parametrize("text, shown", [
    ("/srv/app/runs/x/metrics.json is damaged", "metrics.json is damaged"),
    ("could not save in /tmp/a/b (denied); kept in ~/.cache/distill/b", "could not save in b "
     "(denied); kept in b"),
    ("run x: teacher.pt is missing", "run x: teacher.pt is missing"),
    ("a 2/3 split, see https://example.org/a/b", "a 2/3 split, see https://example.org/a/b"),
])
def test_messages_leave_out_the_servers_folders(text, shown):
    from pages._ui import public
    assert public(text) == shown


def test_runs_that_share_a_title_are_told_apart_in_the_picker(runs_home):
    R.rename_run(R.Run(runs_home / "mnist-run"), "Same title")
    R.rename_run(R.Run(runs_home / "digits-run"), "Same title")
    at = app("overview", run="digits-run")
    picker = at.sidebar.selectbox(key="run")
    assert picker.options == ["Same title · mnist-run", "Same title · digits-run"] or \
        sorted(picker.options) == ["Same title · digits-run", "Same title · mnist-run"]
    assert picker.value == "digits-run"
    at.switch_page("pages/explore.py").run()  # the picker's answer round-trips
    assert at.sidebar.selectbox(key="run").value == "digits-run"
