import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from distill import runs as R
from tests.conftest import forget_local_fidelity


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
    with pytest.raises(R.RunError, match=f"^run {tiny_run.id} has no student 'forest'; "):
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


def _remove(name):
    return lambda run: (run.path / name).unlink()


def _garbage(name):
    """Bytes that are not the file: an archive's signature then nothing of one for .npz."""
    head = b"PK\x03\x04" if name.endswith(".npz") else b""
    return lambda run: (run.path / name).write_bytes(head + b"garbage")


def _rewrite_meta(change):
    """A student file whose parameters' record is changed by ``change``."""
    def damage(run):
        path = run.path / "students" / "tree.transfer.npz"
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays["__meta__"]))
        change(meta)
        arrays["__meta__"] = np.array(json.dumps(meta))
        np.savez_compressed(path, **arrays)
    return damage


def _without_saliency_key(run):
    np.savez_compressed(run.path / "saliency.npz", other=np.zeros(3))


def _set_teacher(**fields):
    def damage(run):
        metrics = json.loads((run.path / "metrics.json").read_text())
        metrics["teacher"].update(fields)
        (run.path / "metrics.json").write_text(json.dumps(metrics))
    return damage


LOADER_CHECKS = {  # a damage, what reads it, the whole message after "run <id>: "
    "metrics missing": (_remove("metrics.json"), lambda r: r.metrics,
                        "metrics.json is missing: the run is incomplete"),
    "metrics damaged": (_garbage("metrics.json"), lambda r: r.metrics,
                        r"metrics.json is damaged \(Expecting value: line 1 column 1 "
                        r"\(char 0\)\)"),
    "config missing": (_remove("config.json"), lambda r: r.config,
                       "config.json is missing: the run is incomplete"),
    "predictions missing": (_remove("predictions.npz"), lambda r: r.predictions,
                            "predictions.npz is missing"),
    "predictions damaged": (_garbage("predictions.npz"), lambda r: r.predictions,
                            r"predictions.npz is damaged \(BadZipFile: "),
    "saliency damaged": (_garbage("saliency.npz"), lambda r: r.saliency,
                         r"saliency.npz is damaged \(BadZipFile: "),
    "saliency without maps": (_without_saliency_key, lambda r: r.saliency,
                              r"saliency.npz is damaged \(KeyError: "),
    "student missing": (_remove("students/tree.transfer.npz"),
                        lambda r: r.load_student("tree.transfer"),
                        "students/tree.transfer is missing"),
    "student damaged": (_garbage("students/tree.transfer.npz"),
                        lambda r: r.load_student("tree.transfer"),
                        r"students/tree.transfer is damaged \(BadZipFile: "),
    "student of no known kind": (_rewrite_meta(lambda m: m.update({"class": "Nothing",
                                                                   "kind": "nothing"})),
                                 lambda r: r.load_student("tree.transfer"),
                                 r"students/tree.transfer is damaged \(KeyError: \"unknown "
                                 r"student 'nothing'\"\)$"),
    "teacher missing": (_remove("teacher.pt"), lambda r: r.load_teacher(),
                        "teacher.pt is missing"),
    "teacher damaged": (_garbage("teacher.pt"), lambda r: r.load_teacher(),
                        r"teacher.pt is damaged \(UnpicklingError: .+\)$"),
    "teacher a function": (_set_teacher(kind="function"), lambda r: r.load_teacher(),
                           "its teacher was a Python function, which is not saved with a "
                           r"run \(its answers and evidence maps are\)"),
    "onnx teacher missing": (_set_teacher(kind="onnx"), lambda r: r.load_teacher(),
                             "teacher.onnx is missing"),
}


@pytest.mark.parametrize("check", list(LOADER_CHECKS))
def test_each_loader_check_trips_alone_with_its_own_message(check, tiny_run, tmp_path):
    import shutil
    damage, read, message = LOADER_CHECKS[check]
    shutil.copytree(tiny_run.path, tmp_path / "r")
    whole = R.Run(tmp_path / "r")
    read(whole)  # the undamaged run reads
    run = R.Run(tmp_path / "r")
    damage(run)
    with pytest.raises(R.RunError, match=f"^run r: {message}"):
        read(R.Run(tmp_path / "r"))


def test_a_student_name_the_run_lacks_lists_the_ones_it_has(tiny_run):
    names = ", ".join(tiny_run.student_names)
    with pytest.raises(R.RunError, match=f"^run {tiny_run.id} has no student 'nope'; it has: "
                       f"{re.escape(names)}$"):
        tiny_run.student_entry("nope")


def test_a_run_id_that_is_not_saved_says_how_to_list_them(tmp_path, monkeypatch):
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "none")
    with pytest.raises(R.RunError, match=r"^no run 'absent'; `python -m distill runs` lists "
                       "the saved runs$"):
        R.load_run("absent", tmp_path)
    with pytest.raises(R.RunGone, match=r"^the run 'gone' was deleted \(or moved\) since it "
                       "was opened$"):
        R.load_run(tmp_path / "gone", tmp_path)


def test_a_run_without_a_teacher_says_its_students_learned_the_true_labels(tiny_truth_run):
    with pytest.raises(R.RunError, match=f"^run {tiny_truth_run.id} has no teacher: its "
                       "students learned the true labels$"):
        tiny_truth_run.load_teacher()


# --------------------------------------------------------------------------------------
# what a run works out once and keeps: evidence maps, follows figures, local fidelity


def _copy(run, tmp_path, name="r"):
    import shutil
    shutil.copytree(run.path, tmp_path / name)
    return tmp_path / name


def test_evidence_maps_missing_from_a_run_are_made_once_kept_and_reported(tiny_run, tmp_path):
    folder = _copy(tiny_run, tmp_path)
    with np.load(folder / "saliency.npz", allow_pickle=False) as z:
        made_in_training = z["teacher_ig"]
    (folder / "saliency.npz").unlink()
    run, heard = R.Run(folder), []
    assert run.saliency is None
    maps = run.ensure_saliency(progress=heard.append)
    np.testing.assert_allclose(maps.astype(np.float32), made_in_training.astype(np.float32),
                               atol=2e-3)
    assert heard and {e["stage"] for e in heard} == {"saliency"}
    assert run.saliency is maps and run.ensure_saliency() is maps
    np.testing.assert_array_equal(R.Run(folder).saliency, maps)  # kept in the run's folder


def test_a_bundled_or_unwritable_run_keeps_what_it_works_out_in_memory(tiny_run, tmp_path,
                                                                       monkeypatch):
    bundled = _copy(tiny_run, tmp_path, "bundled")
    (bundled / "saliency.npz").unlink()
    run = R.Run(bundled, bundled=True)
    assert run.ensure_saliency().shape == run.predictions["x_test"].shape
    assert not (bundled / "saliency.npz").exists() and run.saliency is not None

    def refused(*args):
        raise PermissionError("read-only file system")

    folder = _copy(tiny_run, tmp_path, "read-only")
    (folder / "saliency.npz").unlink()
    (folder / R.FOLLOWS_FILE).unlink(missing_ok=True)
    monkeypatch.setattr(R, "write_saliency", refused)
    monkeypatch.setattr(R, "write_json", refused)
    figures = {"students": {}, "per_group": 1}
    monkeypatch.setattr("distill.explain.follows.measure_run", lambda run, progress: figures)
    run = R.Run(folder)
    assert run.ensure_saliency() is run.saliency is not None
    assert run.ensure_follows() is figures and run.follows is figures
    assert not (folder / "saliency.npz").exists() and not (folder / R.FOLLOWS_FILE).exists()
    from distill.layout import LOCAL_FIDELITY
    forget_local_fidelity(folder)
    monkeypatch.setattr("distill.explain.local_fidelity.measure_run",
                        lambda run, names, progress: {n: {LOCAL_FIDELITY: None} for n in names})
    saved = (folder / "metrics.json").read_text()
    assert R.Run(folder).ensure_local_fidelity()["students"][0][LOCAL_FIDELITY] is None
    assert (folder / "metrics.json").read_text() == saved


def test_local_fidelity_is_measured_only_for_the_students_that_lack_it(tiny_mnist_run,
                                                                        tmp_path, monkeypatch):
    from distill.layout import LOCAL_FIDELITY, LOCAL_FIDELITY_DETAIL
    measured = {s["name"]: {k: s[k] for k in (LOCAL_FIDELITY, LOCAL_FIDELITY_DETAIL)}
                for s in tiny_mnist_run.metrics["students"]}
    folder = _copy(tiny_mnist_run, tmp_path)
    lacking = tiny_mnist_run.student_names[1]
    metrics = json.loads((folder / "metrics.json").read_text())
    for s in metrics["students"]:
        if s["name"] == lacking:
            del s[LOCAL_FIDELITY], s[LOCAL_FIDELITY_DETAIL]
    (folder / "metrics.json").write_text(json.dumps(metrics))
    asked = []

    def measure_run(run, names, progress):
        asked.append(list(names))
        return {name: measured[name] for name in names}

    monkeypatch.setattr("distill.explain.local_fidelity.measure_run", measure_run)
    run = R.Run(folder)
    assert not run.has_local_fidelity
    whole = run.ensure_local_fidelity()
    assert asked == [[lacking]]
    assert whole == tiny_mnist_run.metrics and run.metrics == whole and run.has_local_fidelity
    assert json.loads((folder / "metrics.json").read_text()) == whole  # kept
    assert R.Run(folder).ensure_local_fidelity() == whole and asked == [[lacking]]


def test_local_fidelity_is_not_measured_without_a_teacher(tiny_truth_run, monkeypatch):
    def measure_run(*args, **kwargs):
        raise AssertionError("measured")

    monkeypatch.setattr("distill.explain.local_fidelity.measure_run", measure_run)
    assert tiny_truth_run.ensure_local_fidelity() is tiny_truth_run.metrics


# --------------------------------------------------------------------------------------
# teachers reopened


def test_a_trained_teacher_downloads_as_an_onnx_file_that_answers_as_it_does(tiny_run,
                                                                           tmp_path):
    from distill.teachers import OnnxTeacher
    (tmp_path / "t.onnx").write_bytes(tiny_run.teacher_onnx())
    x = tiny_run.predictions["x_test"][:40]
    np.testing.assert_array_equal(OnnxTeacher(tmp_path / "t.onnx").predict(x),
                                  tiny_run.teacher_answers[:40])


def _recorded(folder, **fields):
    metrics = json.loads((folder / "metrics.json").read_text())
    for key, value in fields.items():
        if value is None:
            metrics["teacher"].pop(key, None)
        else:
            metrics["teacher"][key] = value
    (folder / "metrics.json").write_text(json.dumps(metrics))


def test_your_network_is_reopened_as_the_run_recorded_it(tiny_onnx_run, tmp_path):
    folder = _copy(tiny_onnx_run, tmp_path)
    t = tiny_onnx_run.metrics["teacher"]
    teacher = R.Run(folder).load_teacher()
    assert (teacher.path, teacher.image_shape, teacher.n_classes, teacher.input_scale) == (
        folder / "teacher.onnx", tuple(t["image_shape"]), t["n_classes"], t["input"])
    x = tiny_onnx_run.predictions["x_test"][:40]
    np.testing.assert_array_equal(teacher.predict(x), tiny_onnx_run.teacher_answers[:40])
    assert R.Run(folder).teacher_onnx() == (folder / "teacher.onnx").read_bytes()  # as given
    _recorded(folder, sha256=None, input="0-255")  # read as recorded, even if odd
    assert R.Run(folder).load_teacher().input_scale == "0-255"
    _recorded(folder, input=None)
    assert R.Run(folder).load_teacher().input_scale == "0-1"


ONNX_CHECKS = {  # a change to the run, the whole message after "run r: teacher.onnx "
    "another file": (lambda f: (f / "teacher.onnx").write_bytes(
        (f / "teacher.onnx").read_bytes() + b"\0"),
        r"is not the file the run was trained with \(its sha256 differs\)"),
    "not a network": (lambda f: _recorded(f, sha256=None) or (f / "teacher.onnx").write_bytes(
        b"garbage"), r"is damaged \(TeacherFileError: .+\)"),
    "an output it lacks": (lambda f: _recorded(f, output="nope"),
                           r"is damaged \(TeacherFileError: no output named 'nope'; .+\)"),
    "another image size": (lambda f: _recorded(f, image_shape=[27, 27]),
                           r"is damaged \(TeacherFileError: the graph's input is .+, for "
                           r"images of another size than the data set's 27x27\)"),
    "no class count": (lambda f: _recorded(f, n_classes=None),
                       r"is damaged \(KeyError: 'n_classes'\)"),
}


@pytest.mark.parametrize("check", list(ONNX_CHECKS))
def test_each_check_of_your_reopened_network_has_its_own_message(check, tiny_onnx_run,
                                                                tmp_path):
    change, message = ONNX_CHECKS[check]
    folder = _copy(tiny_onnx_run, tmp_path)
    R.Run(folder).load_teacher()
    change(folder)
    with pytest.raises(R.RunError, match=f"^run r: teacher.onnx {message}$"):
        R.Run(folder).load_teacher()
