"""A whole run on your own network and images: from the command line, from Python, and
opened on every page exactly like a built-in run."""

import shutil

import numpy as np
import pytest

from distill import runs as R
from distill.runs import RunError
from distill.teacher import export_onnx
from distill.teachers import OnnxTeacher, file_sha256
from tests.conftest import digit_folder
from tests.test_pages import APP, navigation_mode  # noqa: F401  (pages run as on a server)


def test_the_exported_teacher_imports_back_to_the_runs_own_answers(tiny_mnist_run, tmp_path,
                                                                    cli):
    r = cli("export", tiny_mnist_run.path, "--teacher", "-o", tmp_path / "t.onnx")
    assert r.returncode == 0, r.stderr
    teacher = OnnxTeacher(tmp_path / "t.onnx")
    p = tiny_mnist_run.predictions
    proba = teacher.predict_proba(p["x_test"])
    assert (proba.argmax(1) == p["teacher_proba"].argmax(1)).all()
    np.testing.assert_allclose(proba, p["teacher_proba"], atol=1e-4)
    assert cli("export", tiny_mnist_run.path, "--teacher").stderr.startswith(
        "error: --teacher writes an ONNX file: give it with -o FILE.onnx")


def test_a_run_on_your_network_and_your_folder_from_the_command_line(tiny_mnist_run, tmp_path,
                                                                      cli):
    onnx = export_onnx(tiny_mnist_run.load_teacher(), tmp_path / "mine.onnx")
    folder = digit_folder(tmp_path / "my-digits", n_train=200, n_test=60)
    r = cli("train", "--data", folder, "--teacher-file", onnx, "--student",
            "tree:max_leaf_nodes=8", "--student", "gaussian-nb", "--transfer-size", "1",
            "--quiet", "--out", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    run = R.Run(tmp_path / "out")
    t = run.metrics["teacher"]
    assert t["kind"] == "onnx" and t["name"] == "mine.onnx" and t["evidence"] == "occlusion"
    assert t["sha256"] == file_sha256(onnx) == file_sha256(run.path / "teacher.onnx")
    assert run.metrics["dataset"] == "my-digits"
    assert r.stdout.splitlines()[2].startswith("teacher (your network mine.onnx)")
    # the teacher's own accuracy, measured on the imported test split, is what it says
    reopened = run.load_teacher()
    assert t["test_accuracy"] == pytest.approx(np.mean(
        reopened.predict(run.predictions["x_test"]) == run.predictions["y_true"]))
    assert run.saliency.shape == run.predictions["x_test"].shape


def test_a_teacher_at_chance_stops_the_run_unless_you_insist(tmp_path, cli):
    import torch

    class Always(torch.nn.Module):  # says 3, whatever it sees
        def forward(self, x):
            return torch.nn.functional.one_hot(torch.full((x.shape[0],), 3), 10).float() \
                + 0 * x.mean((1, 2, 3))[:, None]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Always(), (torch.zeros(2, 1, 28, 28),), str(tmp_path / "a.onnx"),
                          input_names=["x"], output_names=["y"], dynamo=False,
                          dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
    args = ["train", "--teacher-file", tmp_path / "a.onnx", "--student", "gaussian-nb",
            "--max-train", "200", "--max-test", "100", "--transfer-size", "1", "--quiet"]
    r = cli(*args)
    assert r.returncode == 2
    assert r.stderr.startswith("error: your network reads only 10.0% of the test images "
                               "right, about what guessing does")
    assert r.stderr.rstrip().endswith("To distil it anyway, insist (--insist)")
    assert list((tmp_path / "runs").glob("2*")) == []  # nothing saved
    insisted = cli(*args, "--insist", "--out", tmp_path / "anyway")
    assert insisted.returncode == 0, insisted.stderr
    assert R.Run(tmp_path / "anyway").metrics["teacher"]["test_accuracy"] == pytest.approx(0.1)


def test_from_python_a_function_teacher_and_arrays(tmp_path):
    from distill import Teacher, distill, load_dataset
    data = load_dataset("digits", max_train=200, max_test=60)
    from sklearn.linear_model import LogisticRegression  # a notebook's model
    model = LogisticRegression(max_iter=300).fit(data.x_train.reshape(200, -1), data.y_train)
    fn = Teacher.from_function(lambda x: model.predict_proba(x.reshape(len(x), -1)), 10)
    run = distill(fn, data, students=["tree:max_leaf_nodes=8", "gaussian-nb"],
                  transfer_size=1, out=tmp_path / "py-run")
    t = run.metrics["teacher"]
    assert t["kind"] == "function" and t["evidence"] == "occlusion"
    assert t["test_accuracy"] == pytest.approx(model.score(data.x_test.reshape(60, -1),
                                                           data.y_test))
    assert run.metrics["dataset"].startswith("digits-")  # kept beside the built-in one
    with pytest.raises(RunError, match=r"its teacher was a Python function, which is not saved"):
        run.load_teacher()


def test_from_python_an_onnx_file_and_an_npz(tiny_mnist_run, tmp_path):
    from distill import Teacher, distill
    data = tiny_mnist_run.predictions
    x, y = data["x_test"], data["y_true"]
    np.savez(tmp_path / "mine.npz", x_train=(x[:70] * 255).round().astype(np.uint8),
             y_train=y[:70], x_test=(x[70:] * 255).round().astype(np.uint8), y_test=y[70:])
    teacher = Teacher.from_onnx(export_onnx(tiny_mnist_run.load_teacher(), tmp_path / "t.onnx"))
    run = distill(teacher, tmp_path / "mine.npz", students=["gaussian-nb"], transfer_size=1,
                  insist=True, out=tmp_path / "npz-run")
    assert run.metrics["dataset"] == "mine" and run.metrics["n_test"] == 30
    assert run.load_teacher().sha256 == teacher.sha256


# --------------------------------------------------------------------------------------
# every page, on such a run


@pytest.fixture
def onnx_home(tiny_onnx_run, tmp_path, monkeypatch):
    folder = tmp_path / "runs"
    shutil.copytree(tiny_onnx_run.path, folder / "onnx-run")
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(folder))
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "no-bundled-runs")
    from distill.explain import follows
    monkeypatch.setattr(follows, "PER_GROUP", 2)
    return folder


def opened(page: str, **query):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in {"run": "onnx-run", **query}.items():
        at.query_params[k] = v
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize("page", ["overview", "compare", "explore", "draw", "runs"])
def test_every_page_shows_a_run_on_your_network(onnx_home, page):
    at = opened(page, **({"sample": "7"} if page == "explore" else {}))
    texts = " ".join([str(el.value) for kind in ("markdown", "caption", "metric")
                      for el in getattr(at, kind)]
                     + [c for el in at.get("image") for c in el.captions]
                     + [el.proto.body for el in at.get("html")])  # pictures drawn inline
    if page == "overview":
        assert "your network digits.onnx" in texts
    if page == "explore":
        assert "Digit #7" in texts and "occlusion" in texts


def test_explore_asks_your_network_whether_it_follows_an_edit(onnx_home, tiny_onnx_run):
    """The network's answer on the student's edit, as the page says it, is what the saved
    ONNX file answers on that edit, asked here afresh."""
    from tests.test_pages import counterfactual_picker, find_the_edit
    at = opened("explore", sample="3", student="tree.transfer")
    target = counterfactual_picker(at).value
    find_the_edit(at)
    (words,) = [m.value for m in at.markdown if m.value.startswith("Change **")]
    from distill.explain.counterfactual import counterfactual
    run = tiny_onnx_run
    edit = counterfactual(run.load_student("tree.transfer"), run.predictions["x_test"][3],
                          target=target)
    said = int(OnnxTeacher(run.path / "teacher.onnx").predict(edit.image[None])[0])
    name = run.metrics["class_names"][said]
    assert f"reads the edited digit as **{name}**" in words, words


def test_draw_reads_an_edited_digit_with_your_network(onnx_home):
    at = opened("draw", edit="4")
    table = next(m.value for m in at.markdown if "| **teacher** (your network" in m.value)
    assert "digits.onnx" in table


# --------------------------------------------------------------------------------------
# the Train page


def train_page(monkeypatch, hosted: bool = False, uploads: bool = False):
    from streamlit.testing.v1 import AppTest

    from distill.config import ConfigError
    from distill.jobs import JobQueue
    sent = []

    def submit(self, config, owner=None):
        sent.append(config)
        raise ConfigError("held for the test")

    monkeypatch.setattr(JobQueue, "submit", submit)
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", R.runs_dir() / "no-bundled-runs")
    if hosted:
        monkeypatch.setenv("DISTILL_HOSTED", "1")
    if uploads:
        monkeypatch.setenv("DISTILL_ALLOW_UPLOADS", "1")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    return at, sent


def test_the_train_page_imports_your_folder_checks_your_network_and_starts(
        tiny_mnist_run, tmp_path, monkeypatch):
    onnx = export_onnx(tiny_mnist_run.load_teacher(), tmp_path / "mine.onnx")
    folder = digit_folder(tmp_path / "shop-digits", n_train=100, n_test=40)
    at, sent = train_page(monkeypatch)
    at.selectbox(key="dataset").set_value("__own__").run()
    at.text_input(key="own_data_path").input(str(folder)).run()
    at.button(key="own_import").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="dataset").value == "shop-digits"  # imported, and chosen
    at.segmented_control(key="teacher").set_value("own").run()
    at.text_input(key="own_teacher_path").input(str(onnx)).run()
    (said,) = [s.value for s in at.success]
    teacher = OnnxTeacher(onnx)
    data = load_imported_digits()
    expected = np.mean(teacher.predict(data.x_test) == data.y_test)
    assert said == f"Your network reads **{expected:.1%}** of the shop-digits test images right."
    next(b for b in at.button if b.label == "Start training").click().run()
    (cfg,) = sent
    assert cfg.dataset == "shop-digits" and cfg.teacher_file == str(onnx)
    assert cfg.teacher_input == "0-1" and at.error[0].value.endswith("held for the test")


def load_imported_digits():
    from distill.data import load_dataset
    return load_dataset("shop-digits")


def test_the_train_page_says_what_is_wrong_with_your_files(tmp_path, monkeypatch):
    np.savez(tmp_path / "bad.npz", x_train=np.full((10, 8, 8), 3.0), y_train=np.arange(10) % 2,
             x_test=np.zeros((4, 8, 8)), y_test=np.arange(4) % 2)
    (tmp_path / "net.onnx").write_bytes(b"not onnx")
    at, _ = train_page(monkeypatch)
    at.selectbox(key="dataset").set_value("__own__").run()
    at.text_input(key="own_data_path").input(str(tmp_path / "bad.npz")).run()
    at.button(key="own_import").click().run()
    (error,) = [e.value for e in at.error]
    assert error == ("Not imported (nothing was kept):\n\n- bad.npz: x_train: pixel values run "
                     "from 3 to 3; give bytes 0-255 or floats in [0, 1]")
    at.selectbox(key="dataset").set_value("mnist5k").run()
    at.segmented_control(key="teacher").set_value("own").run()
    at.text_input(key="own_teacher_path").input(str(tmp_path / "net.onnx")).run()
    assert [e.value for e in at.error][0].startswith("net.onnx: not an ONNX model")
    assert str(tmp_path) not in " ".join(e.value for e in at.error)


def test_a_public_demo_takes_no_uploads_unless_told(monkeypatch):
    at, _ = train_page(monkeypatch, hosted=True)
    assert "Your own data…" not in at.selectbox(key="dataset").options
    assert "teacher" not in [s.key for s in at.segmented_control]  # no "your own network"
    at, _ = train_page(monkeypatch, hosted=True, uploads=True)
    assert "Your own data…" in at.selectbox(key="dataset").options
    at.selectbox(key="dataset").set_value("__own__").run()
    assert "own_data_path" not in [t.key for t in at.text_input]  # uploads only, no paths
    assert "teacher" in [s.key for s in at.segmented_control]


def test_on_a_demo_a_run_on_another_browsers_upload_is_not_listed(onnx_home, tmp_path,
                                                                   monkeypatch):
    from distill.datastore import import_dataset
    from tests.test_own_data import save_npz
    import_dataset(save_npz(tmp_path / "my-digits.npz"), owner="another-browser-token")
    monkeypatch.setenv("DISTILL_HOSTED", "1")
    monkeypatch.setenv("DISTILL_ALLOW_UPLOADS", "1")
    at = opened("overview", run="")
    assert "run" not in [s.key for s in at.sidebar.selectbox]  # its only run is private
    assert any("No runs yet" in c.value for c in at.sidebar.caption)
    monkeypatch.delenv("DISTILL_ALLOW_UPLOADS")  # a demo without uploads has none private
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert [o for o in at.sidebar.selectbox(key="run").options if "your network" in o]


def test_a_run_on_your_network_downloads_the_very_file_it_was_given(tiny_onnx_run):
    data = tiny_onnx_run.teacher_onnx()
    assert data == (tiny_onnx_run.path / "teacher.onnx").read_bytes()
    import hashlib
    assert hashlib.sha256(data).hexdigest() == tiny_onnx_run.metrics["teacher"]["sha256"]


def test_every_student_learns_from_images_of_any_allowed_size(tmp_path):
    """Region sizes, straightening and the soft tree's filters are not tied to 28x28."""
    from distill import Teacher, distill
    from distill.data import Dataset
    from distill.students import STUDENTS
    rng = np.random.default_rng(0)
    h, w = 12, 20

    def make(n):
        y = np.arange(n) % 3
        x = rng.random((n, h, w)).astype(np.float32) * 0.2
        for i, c in enumerate(y):
            x[i, c * 4:(c + 1) * 4] += 0.7
        return np.clip(x, 0, 1), y
    (xa, ya), (xb, yb) = make(120), make(45)
    bands = Teacher.from_function(lambda x: np.stack([x[:, c * 4:(c + 1) * 4].mean((1, 2))
                                                      for c in range(3)], 1) * 10, 3)
    students = [s + (":depth=3,epochs=5,min_steps=0" if s == "soft-tree" else "")
                for s in STUDENTS]
    run = distill(bands, Dataset("bands", xa, ya, xb, yb, ["top", "middle", "bottom"]),
                  students=students, transfer_size=1, out=tmp_path / "bands")
    assert run.metrics["image_shape"] == [12, 20]
    assert {s["student"] for s in run.metrics["students"]} == set(STUDENTS)
    for entry in run.metrics["students"]:
        assert entry["agreement"] > 0.5, entry["name"]  # far above a third: it learned


def test_the_readme_example_runs_as_written(tiny_mnist_run, tmp_path, monkeypatch):
    """The README's notebook example, run with the files it names made here."""
    import re

    from distill.runs import PROJECT_DIR
    readme = (PROJECT_DIR / "README.md").read_text()
    (code,) = [block for block in re.findall(r"```python\n(.*?)```", readme, re.S)
               if "Teacher.from_onnx" in block]
    export_onnx(tiny_mnist_run.load_teacher(), tmp_path / "model.onnx")
    x, y = tiny_mnist_run.predictions["x_test"], tiny_mnist_run.predictions["y_true"]
    np.savez(tmp_path / "my-digits.npz", x_train=x[:70], y_train=y[:70], x_test=x[70:],
             y_test=y[70:])
    monkeypatch.chdir(tmp_path)
    code = code.replace('students=["tree", "gaussian-nb"]',
                        'students=["tree:max_leaf_nodes=8", "gaussian-nb"], insist=True')
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 (our own README)
    run = scope["run"]
    assert run.metrics["dataset"] == "my-digits" and run.metrics["teacher"]["kind"] == "onnx"


def test_the_report_names_your_network(tiny_onnx_run):
    from distill.report import build_report
    html = build_report(tiny_onnx_run)
    assert "your network digits.onnx" in html
