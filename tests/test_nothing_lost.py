"""Bad places, bad values and damaged runs: each gets one clear line, before any work is
done, and nothing finished is lost or half-written."""

import json
import shutil

import pytest

from distill import runs as R
from distill.config import RunConfig, StudentChoice

QUICK = ["--dataset", "digits", "--epochs", "1", "--max-train", "100", "--max-test", "40",
         "--student", "bernoulli-nb", "--transfer-size", "1"]


def one_line_error(r, words: str) -> None:
    assert r.returncode == 2, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], r.stderr
    assert "teacher: done" not in r.stderr  # refused before any training


@pytest.mark.parametrize("where, words", [
    ("file", "is a file; choose a folder that does not exist yet"),
    ("under-file", "is a file, not a folder"),
    ("proc", "cannot be written"),
    ("full", "already exists and is not empty"),
])
def test_train_refuses_a_place_it_could_not_save_in_before_training(tmp_path, where, words, cli):
    (tmp_path / "file").write_text("mine")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("mine")
    out = {"file": tmp_path / "file", "under-file": tmp_path / "file" / "run",
           "proc": "/proc/distill-run", "full": tmp_path / "full"}[where]
    r = cli("train", *QUICK, "--out", str(out), env={"DISTILL_RUNS_DIR": str(tmp_path)})
    one_line_error(r, words)
    assert (tmp_path / "file").read_text() == "mine"


def test_train_refuses_a_runs_folder_that_is_a_file(tmp_path, cli):
    (tmp_path / "runs").write_text("not a folder")
    r = cli("train", *QUICK, env={"DISTILL_RUNS_DIR": str(tmp_path / "runs")})
    one_line_error(r, "is a file, not a folder")


def test_a_run_that_cannot_be_saved_at_the_end_is_kept_and_the_place_said(tmp_path,
                                                                          monkeypatch):
    from distill import pipeline
    from tests.conftest import tiny_config

    def disk_full(target, fill):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "write_atomically", disk_full)
    cfg = tiny_config(max_train=100, max_test=40, students=[StudentChoice("bernoulli-nb")])
    with pytest.raises(R.RunError, match="No space left on device.*it was kept in") as err:
        pipeline.run_experiment(cfg, out=tmp_path / "run")
    kept = str(err.value).split("it was kept in ")[1].split(":")[0]
    try:
        run = R.Run(R.Path(kept))
        assert run.problem() is None and run.metrics["dataset"] == "digits"
        assert run.load_student("bernoulli-nb").predict(run.predictions["x_test"][:3]).shape == (3,)
    finally:
        shutil.rmtree(kept)


def test_a_run_too_big_for_memory_is_refused_with_the_figure_and_what_fits(cli):
    r = cli("train", "--transfer-size", "40", env={"DISTILL_MEMORY_GB": "2"})
    one_line_error(r, "needs about")
    assert "2.0 GB are available; the largest transfer set that fits is" in r.stderr


@pytest.mark.parametrize("option, words", [
    ("tree:max_leaf_nodes=abc", "tree max leaves must be a whole number from 2 to 4096"),
    ("tree:max_leaf_nodes=2.5", "tree max leaves must be a whole number"),
    ("linear:max_iter=2.5", "linear max iterations must be a whole number from 1 to 10000"),
    ("soft-tree:deskew=maybe", "soft-tree straighten digits must be true or false"),
])
def test_student_values_are_checked_by_type_and_bounds_up_front(option, words, cli):
    one_line_error(cli("train", "--student", option), words)


def test_export_to_a_bad_place_is_one_line(tiny_run, cli):
    r = cli("export", str(tiny_run.path), "-o", "/proc/metrics.csv")
    assert r.returncode == 2 and r.stderr.startswith("error: cannot write /proc/metrics.csv")
    assert "Traceback" not in r.stderr


@pytest.fixture
def store(tiny_run, tmp_path):
    """A runs folder with one sound run and one to damage."""
    folder = tmp_path / "runs"
    shutil.copytree(tiny_run.path, folder / "good")
    shutil.copytree(tiny_run.path, folder / "bad")
    return folder


@pytest.mark.parametrize("file, content, words", [
    ("metrics.json", "{}", "metrics.json is damaged: it lacks dataset"),
    ("metrics.json", '{"dataset": "digits"', "metrics.json is damaged"),
    ("meta.json", "[1, 2]", "meta.json is damaged: it is not an object"),
    ("meta.json", "{not json", "meta.json is damaged"),
])
def test_a_damaged_run_is_listed_as_damaged_and_the_others_still_are(store, file, content,
                                                                      words, cli):
    (store / "bad" / file).write_text(content)
    env = {"DISTILL_RUNS_DIR": str(store)}
    r = cli("runs", env=env)
    assert r.returncode == 0 and "Traceback" not in r.stderr
    bad = next(line for line in r.stdout.splitlines() if line.startswith("bad "))
    good = next(line for line in r.stdout.splitlines() if line.startswith("good "))
    assert "(damaged)" in bad and words in bad
    assert "(damaged)" not in good and "teacher cnn" in good
    listed = json.loads(cli("runs", "--json", env=env).stdout)
    assert {r["id"]: bool(r["damaged"]) for r in listed if not r["bundled"]} == {
        "good": False, "bad": True}
    one_line_error(cli("show", "bad", env=env), words)
    r = cli("delete", "bad", env=env)  # no terminal to ask: --yes is needed
    assert r.returncode == 2 and "--yes" in r.stderr and (store / "bad").exists()
    r = cli("delete", "bad", "--yes", env=env)
    assert r.returncode == 0 and not (store / "bad").exists() and (store / "good").exists()


@pytest.mark.parametrize("file, words", [
    ("predictions.npz", "run bad: predictions.npz is damaged (BadZipFile"),
    ("students/tree.transfer.npz", "run bad: students/tree.transfer is damaged"),
])
def test_a_truncated_file_is_named_with_its_run(store, file, words, cli):
    path = store / "bad" / file
    path.write_bytes(path.read_bytes()[:300])
    r = cli("explain", "bad", "--student", "tree", "--json",
            env={"DISTILL_RUNS_DIR": str(store)})
    one_line_error(r, words)


def test_loading_checks_shapes_and_keys_against_the_layout(store):
    import numpy as np
    path = store / "bad" / "predictions.npz"
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["proba_tree.transfer"] = arrays["proba_tree.transfer"][:, :3]
    del arrays["y_true"]
    np.savez(path, **arrays)
    with pytest.raises(R.RunError, match="run bad: predictions.npz is damaged: it lacks y_true"):
        _ = R.load_run(store / "bad").predictions
    arrays["y_true"] = np.zeros(len(arrays["x_test"]), int)
    np.savez(path, **arrays)
    with pytest.raises(R.RunError, match=r"proba_tree.transfer has shape \(\d+, 3\), not"):
        _ = R.load_run(store / "bad").predictions


def test_the_config_checks_the_output_place_too(tmp_path):
    from distill.pipeline import run_experiment
    (tmp_path / "f").write_text("x")
    with pytest.raises(R.RunError, match="is a file"):
        run_experiment(RunConfig(students=[StudentChoice("bernoulli-nb")]), out=tmp_path / "f")
