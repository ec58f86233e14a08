import io
import json
import re
import subprocess
import sys

import pytest

from distill.runs import PROJECT_DIR


def test_train_then_list_show_and_export(tmp_path, cli):
    env = {"DISTILL_RUNS_DIR": str(tmp_path / "runs")}
    out = tmp_path / "runs" / "cli-run"
    r = cli("train", "--dataset", "digits", "--epochs", "1", "--max-train", "150",
            "--max-test", "60", "--student", "tree:max_leaf_nodes=8", "--student",
            "bernoulli-nb", "--transfer-size", "1", "--leaves", "fitted", "--out", str(out),
            env=env)
    assert r.returncode == 0, r.stderr
    assert "tree.auto" in r.stdout and "saved run cli-run" in r.stdout
    assert re.search(r"^tree: (chose .+|kept the true labels.+) \(\d+ held-out images in \d "
                     r"folds, each training image once\)$|^tree: kept the true labels",
                     r.stdout, re.M)
    # in a pipe, progress is one plain line a finished stage, in the order of the plan
    stages = [line.split(": done")[0] for line in r.stderr.splitlines()]
    assert all(re.fullmatch(r"[\w:.-]+: done \(\d+s\)", line) for line in r.stderr.splitlines())
    assert stages[:4] == ["data", "teacher", "targets", "choose"] and stages[-1] == "save"
    assert "\r" not in r.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dataset"] == "digits" and len(metrics["students"]) == 4
    assert metrics["leaves"] == "fitted"

    r = cli("runs", env=env)
    assert r.returncode == 0 and "cli-run" in r.stdout
    r = cli("show", "cli-run", env=env)
    assert r.returncode == 0 and "bernoulli-nb.ground-truth" in r.stdout
    r = cli("export", "cli-run", "--format", "csv", env=env)
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("model,kind,method,accuracy") and len(lines) == 1 + 1 + 4
    r = cli("export", "cli-run", "--format", "json", "-o", str(tmp_path / "m.json"), env=env)
    assert json.loads((tmp_path / "m.json").read_text()) == metrics


@pytest.mark.parametrize("args, words", [
    (["train", "--student", "forest"], "unknown student"),
    (["train", "--student", "tree:leaves=3"], "no parameter leaves"),
    (["train", "--epochs", "0"], "epochs"),
    (["train", "--dataset", "fashion-mnist", "--data-dir", "/nonexistent"], "not found"),
    (["show", "no-such-run"], "no run"),
    (["show", "../../etc"], "not a valid run id"),
])
def test_bad_input_gets_one_line_and_status_2(args, words, tmp_path, cli):
    r = cli(*args, env={"DISTILL_RUNS_DIR": str(tmp_path)})
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("error:") and words in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_data_lists_every_dataset(cli):
    r = cli("data")
    assert r.returncode == 0
    for name in ("mnist5k", "digits", "fashion-mnist", "mnist"):
        assert name in r.stdout


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal_is_a_bar_a_stage():
    from distill.cli import StageProgress
    out = Terminal()
    progress = StageProgress(stream=out)
    for stage in ("data", "teacher"):
        for fraction in (0.0, 0.5, 1.0):
            progress({"stage": stage, "fraction": fraction, "epoch": 1, "epochs": 2,
                      "loss": 0.5, "eta": 3.0})
    progress.close()
    lines = [line.split("\r")[-1] for line in out.getvalue().split("\n") if line.strip()]
    assert len(lines) == 2  # each stage's bar stays on its own line
    assert lines[0].startswith("data") and "100%" in lines[0]
    assert lines[1].startswith("teacher") and "epoch 1/2" in lines[1] and "loss 0.500" in lines[1]


def test_the_module_runs_as_a_program_with_its_exit_codes():
    """One real `python -m distill`: the entry point, and an error's status."""
    r = subprocess.run([sys.executable, "-m", "distill", "show", "no-such-run"],
                       cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("error: no run 'no-such-run'")


def test_the_teacher_trains_the_data_sets_own_epochs_unless_told():
    from distill.cli import _common, build_parser
    from distill.config import TeacherConfig, teacher_epochs
    parse = build_parser().parse_args
    assert _common(parse(["train"]))["teacher"].epochs == TeacherConfig().epochs
    assert _common(parse(["train", "--dataset", "fashion-mnist"]))["teacher"].epochs == \
        teacher_epochs("fashion-mnist") > TeacherConfig().epochs
    assert _common(parse(["sweep", "--dataset", "fashion-mnist", "--epochs", "3"]))[
        "teacher"].epochs == 3


def test_a_sweep_says_it_trains_its_own_teacher(cli, tmp_path):
    (tmp_path / "m.onnx").write_bytes(b"x")
    r = cli("sweep", "--teacher-file", tmp_path / "m.onnx")
    assert r.returncode == 2
    assert r.stderr.strip() == "error: a sweep trains its own teacher; --teacher-file is for train"


def test_a_small_sweep_runs_from_the_command_line(cli, tmp_path):
    r = cli("sweep", "--dataset", "digits", "--max-train", "100", "--max-test", "40",
            "--epochs", "1", "--student", "tree:max_leaf_nodes=4,8", "--method",
            "ground-truth,transfer", "--transfer-size", "1", "--workers", "1", "--quiet",
            "--out", tmp_path / "sw")
    assert r.returncode == 0, r.stderr
    from distill.runs import Run
    assert len(Run(tmp_path / "sw").metrics["students"]) == 4
