import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from distill import runs as R


def test_atomic_write_leaves_nothing_when_filling_fails(tmp_path):
    def fill(folder):
        (folder / "half.json").write_text("{}")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        R.write_atomically(tmp_path / "run1", fill)
    assert list(tmp_path.iterdir()) == []


def test_a_killed_writer_leaves_no_half_run(tmp_path):
    code = textwrap.dedent(f"""
        import os, sys
        from distill.runs import write_atomically
        def fill(folder):
            (folder / "metrics.json").write_text("{{}}")
            os._exit(9)  # killed mid-save
        write_atomically(__import__("pathlib").Path({str(tmp_path / "run1")!r}), fill)
    """)
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    assert not (tmp_path / "run1").exists()
    assert R.list_runs(include_bundled=False, folder=tmp_path) == []
    leftovers = list(tmp_path.glob(".tmp-*"))
    assert leftovers
    os.utime(leftovers[0], (0, 0))
    R.clean_temporary(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_out_folder_must_be_new_or_empty(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("mine")
    with pytest.raises(R.RunError, match="not empty"):
        R.write_atomically(tmp_path / "full", lambda f: None)
    (tmp_path / "empty").mkdir()
    R.write_atomically(tmp_path / "empty", lambda f: (f / "a").write_text("1"))
    assert (tmp_path / "empty" / "a").read_text() == "1"


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", ".hidden", "x" * 200])
def test_run_ids_cannot_escape_the_runs_folder(bad):
    with pytest.raises(R.RunError, match=r"is not a valid run id \(letters, digits"):
        R.load_run(bad) if bad else R.check_run_id(bad)


def test_saved_run_lists_loads_renames_and_deletes(tiny_run, tmp_path, monkeypatch):
    import shutil
    folder = tmp_path / "store"
    shutil.copytree(tiny_run.path, folder / "r1")
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(folder))
    listed = R.list_runs(include_bundled=False)
    assert [r.id for r in listed] == ["r1"]
    run = R.load_run("r1")
    assert run.metrics["dataset"] == "digits"
    R.rename_run(run, "  my   first run ")
    assert R.load_run("r1").title == "my first run"
    with pytest.raises(R.RunError, match="a run title must be 1 to 80 characters"):
        R.rename_run(run, "")
    R.delete_run(run)
    assert R.list_runs(include_bundled=False) == [] and not any(folder.iterdir())


def test_bundled_runs_cannot_be_deleted_or_renamed(tiny_run):
    bundled = R.Run(tiny_run.path, bundled=True)
    with pytest.raises(R.RunError, match="cannot be deleted"):
        R.delete_run(bundled)
    with pytest.raises(R.RunError, match="cannot be renamed"):
        R.rename_run(bundled, "x")
    assert tiny_run.path.exists()


def test_damaged_files_give_run_errors(tiny_run, tmp_path):
    import shutil
    shutil.copytree(tiny_run.path, tmp_path / "r")
    (tmp_path / "r" / "predictions.npz").write_bytes(b"garbage")
    with pytest.raises(R.RunError, match="damaged"):
        _ = R.Run(tmp_path / "r").predictions
    (tmp_path / "r" / "metrics.json").write_text("{not json")
    with pytest.raises(R.RunError, match="damaged"):
        _ = R.Run(tmp_path / "r").metrics


def test_nothing_in_a_run_needs_pickle(tiny_run):
    for path in tiny_run.path.rglob("*.npz"):
        with np.load(path, allow_pickle=False) as z:
            for k in z.files:
                assert z[k].dtype != object
    import torch
    torch.load(tiny_run.path / "teacher.pt", weights_only=True)


def test_short_student_names_resolve_to_the_distilled_one(tiny_run):
    assert tiny_run.resolve_student("tree") == "tree.transfer"
    assert tiny_run.resolve_student("tree.ground-truth") == "tree.ground-truth"
    with pytest.raises(R.RunError, match="has no student"):
        tiny_run.resolve_student("forest")


def test_student_names_with_dots_keep_their_own_files(tmp_path):
    from distill.data import load_dataset
    from distill.students import make_student
    d = load_dataset("digits", max_train=100, max_test=20)
    a = make_student("bernoulli-nb").fit(d.x_train, d.y_train)
    b = make_student("bernoulli-nb", alpha=50.0).fit(d.x_train, d.y_train)
    R.save_student(a, tmp_path / "nb.transfer")
    R.save_student(b, tmp_path / "nb.ground-truth")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb.ground-truth.npz", "nb.transfer.npz"]
    assert R.load_student(tmp_path / "nb.transfer").alpha == 1.0
    assert R.load_student(tmp_path / "nb.ground-truth.npz").alpha == 50.0


def test_students_saved_by_the_first_version_still_load(tiny_run, tmp_path):
    """Files written before students had a kind and saved classes_: the class name in the
    metadata, no classes_ in the state."""
    import json
    x = tiny_run.predictions["x_test"]
    for name in ("tree.transfer", "bernoulli-nb.transfer", "linear.ground-truth"):
        saved = tiny_run.path / "students" / f"{name}.npz"
        with np.load(saved, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k != "state.classes_"}
        meta = json.loads(str(arrays.pop("__meta__")))
        old = {"class": meta["class"], "params": meta["params"]}
        np.savez(tmp_path / f"{name}.npz", __meta__=np.array(json.dumps(old)), **arrays)
        again = R.load_student(tmp_path / name)
        np.testing.assert_array_equal(again.predict_proba(x), tiny_run.student_proba(name))
        assert list(again.classes_) == list(range(10))


def test_a_runs_answers_are_its_models_top_classes(tiny_run, tiny_truth_run):
    p = tiny_run.predictions
    np.testing.assert_array_equal(tiny_run.teacher_answers, p["teacher_proba"].argmax(1))
    for name in tiny_run.student_names:
        answers = tiny_run.student_answers(name)
        np.testing.assert_array_equal(answers, tiny_run.student_proba(name).argmax(1))
        assert tiny_run.student_answers(name) is answers  # worked out once
    assert tiny_truth_run.teacher_answers is None


def test_runs_are_listed_newest_first_then_the_bundled_ones(tiny_run, tmp_path, monkeypatch):
    """Folder names in the opposite order to their creation times: the list follows the
    times; the bundled runs come after, marked bundled, and only when asked for."""
    import json
    import shutil
    folder, bundled = tmp_path / "mine", tmp_path / "bundled"
    for name, created in (("a-old", 100.0), ("b-new", 300.0), ("c-middle", 200.0)):
        shutil.copytree(tiny_run.path, folder / name)
        meta = folder / name / "meta.json"
        meta.write_text(json.dumps({**json.loads(meta.read_text()), "created": created}))
    shutil.copytree(tiny_run.path, bundled / "demo")
    (bundled / "not-a-run").mkdir()
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", bundled)
    listed = R.list_runs(folder=folder)
    assert [r.id for r in listed] == ["b-new", "c-middle", "a-old", "demo"]
    assert [r.bundled for r in listed] == [False, False, False, True]
    assert [r.id for r in R.list_runs(include_bundled=False, folder=folder)] == [
        "b-new", "c-middle", "a-old"]
    assert [r.id for r in R.list_runs(folder=tmp_path / "none")] == ["demo"]
