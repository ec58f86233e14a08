"""How runs are kept on disk: their ids, atomic writes, leftovers, JSON and evidence files,
students' files, listing, renaming and deleting (distill.runs). Each test states one property a
user relies on, with exact messages where a refusal is the point."""

import json
import os
import re
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from distill import runs as R

# --------------------------------------------------------------------------------------
# run ids


def test_a_new_run_id_is_its_local_time_the_data_set_and_four_hex_digits():
    when = time.mktime((2026, 12, 3, 9, 5, 7, 0, 0, -1))
    run_id = R.new_run_id("mnist5k", when)
    assert re.fullmatch(r"20261203-090507-mnist5k-[0-9a-f]{4}", run_id)
    assert R.check_run_id(run_id) == run_id


def test_a_new_run_id_without_a_time_is_stamped_now():
    before = datetime.now().replace(microsecond=0)
    stamp = datetime.strptime(R.new_run_id("digits")[:15], "%Y%m%d-%H%M%S")
    assert before <= stamp <= datetime.now()


# --------------------------------------------------------------------------------------
# atomic writes and what a killed write leaves


def _write_one(name: str, text: str = "1"):
    return lambda folder: (folder / name).write_text(text)


def test_an_atomic_write_makes_the_folders_above_it(tmp_path):
    R.write_atomically(tmp_path / "a" / "b" / "r1", _write_one("metrics.json"))
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == ["r1"]
    assert (tmp_path / "a" / "b" / "r1" / "metrics.json").read_text() == "1"


def test_an_atomic_write_replaces_what_an_earlier_write_of_this_process_left(tmp_path):
    """A temporary folder of the same name (the same process id, reused) holds an older,
    killed write: it must not end up in the new run, nor stop it."""
    stale = tmp_path / f"{R.TMP_PREFIX}r1-{os.getpid()}"
    stale.mkdir()
    (stale / "old.json").write_text("{}")
    R.write_atomically(tmp_path / "r1", _write_one("new.json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r1"]
    assert sorted(p.name for p in (tmp_path / "r1").iterdir()) == ["new.json"]


def test_the_callers_error_comes_through_even_when_the_fill_removed_its_folder(tmp_path):
    def fill(folder):
        shutil.rmtree(folder)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="^disk full$"):
        R.write_atomically(tmp_path / "r1", fill)
    assert list(tmp_path.iterdir()) == []


def test_leftovers_are_cleaned_after_an_hour_and_nothing_else(tmp_path):
    now = time.time()
    ages = {f"{R.TMP_PREFIX}two-hours": 7200, f"{R.TMP_PREFIX}just-over-an-hour": 3610,
            f"{R.TMP_PREFIX}a-minute": 60, "old-run": 7200}
    for name, age in ages.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "f").write_text("x")
        os.utime(tmp_path / name, (now - age, now - age))
    R.clean_temporary(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{R.TMP_PREFIX}a-minute", "old-run"]


def test_a_leftover_is_an_hour_old_by_default(tmp_path):
    leftover = tmp_path / f"{R.TMP_PREFIX}r1-1"
    leftover.mkdir()
    then = time.time() - 3600.5
    os.utime(leftover, (then, then))
    R.clean_temporary(tmp_path)
    assert not leftover.exists()


def test_cleaning_passes_over_a_file_named_like_a_leftover_and_a_missing_folder(tmp_path):
    stray = tmp_path / f"{R.TMP_PREFIX}notes.txt"
    stray.write_text("mine")
    os.utime(stray, (0, 0))
    R.clean_temporary(tmp_path)  # a file is not a run's leftover: no error, left alone
    assert stray.read_text() == "mine"
    R.clean_temporary(tmp_path / "absent")


def test_a_run_that_cannot_be_saved_is_kept_in_a_new_temporary_folder():
    folder = R.keep_unsaved(_write_one("metrics.json", "{}"), "r1")
    try:
        assert folder.parent == Path(tempfile.gettempdir())
        assert folder.name.startswith("distill-unsaved-r1-")
        assert sorted(p.name for p in folder.iterdir()) == ["metrics.json"]
    finally:
        shutil.rmtree(folder)


# --------------------------------------------------------------------------------------
# where a run may be saved


def _a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    return tmp_path / "notes.txt"


def _a_full_folder(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("mine")
    return tmp_path / "full"


OUTPUT_PLACES = {  # the place, the whole message ({target} and {tmp} filled in)
    "a file": (_a_file, "{target} is a file; choose a folder that does not exist yet"),
    "a folder that is not empty": (_a_full_folder, "{target} already exists and is not "
                                                   "empty; choose another folder"),
    "under a file": (lambda tmp: _a_file(tmp) / "a" / "b",
                     "cannot save in {target}: {tmp}/notes.txt is a file, not a folder"),
}


@pytest.mark.parametrize("place", list(OUTPUT_PLACES))
def test_a_place_a_run_cannot_be_saved_in_is_refused_before_any_work(place, tmp_path):
    make, message = OUTPUT_PLACES[place]
    target = make(tmp_path)
    whole = message.format(target=target, tmp=tmp_path)
    with pytest.raises(R.RunError, match=f"^{re.escape(whole)}$"):
        R.check_output_place(target)


def test_a_folder_that_cannot_be_written_is_refused_with_the_systems_reason():
    target = Path("/proc/distill-test/run")  # /proc takes no new files, even from root
    with pytest.raises(R.RunError, match=r"^cannot save in /proc/distill-test/run: /proc "
                       r"cannot be written \([A-Z][a-z ]+\)$"):
        R.check_output_place(target)


def test_new_and_empty_folders_are_good_places(tmp_path):
    (tmp_path / "empty").mkdir()
    for target in (tmp_path / "empty", tmp_path / "new" / "deeper" / "run"):
        R.check_output_place(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # nothing made or left


# --------------------------------------------------------------------------------------
# JSON and evidence files


def test_json_files_are_indented_for_people_and_take_numpy_values_and_paths(tmp_path):
    data = {"n": np.int64(3), "x": np.float32(0.5), "a": np.arange(3), "p": Path("/x/y"),
            "nested": {"k": [1]}}
    R.write_json(tmp_path / "m.json", data)
    text = (tmp_path / "m.json").read_text()
    assert json.loads(text) == {"n": 3, "x": 0.5, "a": [0, 1, 2], "p": "/x/y",
                                "nested": {"k": [1]}}
    assert text.splitlines()[1] == '  "n": 3,'
    assert '\n    "k": [' in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


def test_what_json_cannot_hold_is_refused_and_the_file_kept(tmp_path):
    R.write_json(tmp_path / "m.json", {"a": 1})
    with pytest.raises(TypeError, match="^cannot write set to JSON$"):
        R.write_json(tmp_path / "m.json", {"a": {1, 2}})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": 1}


def test_a_missing_json_file_is_named_by_its_path_unless_given_a_label(tmp_path):
    path = tmp_path / "config.json"
    with pytest.raises(R.RunError, match=f"^{re.escape(str(path))} is missing: the run is "
                       "incomplete$"):
        R.read_json(path)
    with pytest.raises(R.RunError, match="^run r1: config.json is missing"):
        R.read_json(path, "run r1: config.json")


def test_evidence_maps_are_written_as_float16_with_their_steps(tmp_path, rng):
    from distill.explain.saliency import STEPS
    maps = rng.normal(size=(3, 4, 4)).astype(np.float32)
    R.write_saliency(tmp_path, maps)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saliency.npz"]
    with np.load(tmp_path / "saliency.npz", allow_pickle=False) as z:
        assert sorted(z.files) == ["steps", "teacher_ig"]
        assert z["teacher_ig"].dtype == np.float16
        np.testing.assert_array_equal(z["teacher_ig"], maps.astype(np.float16))
        assert int(z["steps"]) == STEPS


def test_an_exception_reads_as_its_kind_and_first_line():
    assert R._what(ValueError("bad value\nmore detail")) == "ValueError: bad value"
    assert R._what(KeyError()) == "KeyError"
    assert R._what(RuntimeError("x" * 500)) == "RuntimeError: " + "x" * 120


# --------------------------------------------------------------------------------------
# students' files


@pytest.fixture(scope="module")
def digits():
    from distill.data import load_dataset
    return load_dataset("digits", max_train=120, max_test=30)


def test_a_saved_students_record_names_its_kind_class_and_parameters(digits, tmp_path):
    from distill.students import make_student
    tree = make_student("tree", max_leaf_nodes=np.int64(8)).fit(digits.x_train,
                                                                 digits.y_train)
    path = R.save_student(tree, tmp_path / "tree.transfer")
    assert path == tmp_path / "tree.transfer.npz"
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["__meta__"]))
        assert {k for k in z.files if k != "__meta__"} == {f"state.{k}"
                                                           for k in tree.get_state()}
    assert meta == {"kind": "tree", "class": type(tree).__name__,
                    "params": json.loads(json.dumps(tree.get_params(), default=int))}
    again = R.load_student(path)
    np.testing.assert_array_equal(again.predict_proba(digits.x_test),
                                  tree.predict_proba(digits.x_test))


def test_a_torch_student_is_saved_as_tensors_and_loads_back(digits, tmp_path):
    import torch

    from distill.students import make_student
    soft = make_student("soft-tree", depth=2, epochs=2, min_steps=0).fit(digits.x_train,
                                                                       digits.y_train)
    path = R.save_student(soft, tmp_path / "soft-tree.transfer")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["soft-tree.transfer.pt"]
    blob = torch.load(path, weights_only=True)
    assert json.loads(blob["meta"])["kind"] == "soft-tree"
    np.testing.assert_allclose(R.load_student(tmp_path / "soft-tree.transfer")
                               .predict_proba(digits.x_test), soft.predict_proba(digits.x_test),
                               atol=1e-6)


class _Trap:
    """Unpickled, it creates a file: proof that a loader ran code from the file it read."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_a_students_file_carrying_code_is_refused_and_never_run(digits, tmp_path):
    import torch

    from distill.students import make_student
    marker = tmp_path / "code-ran"
    tree = make_student("tree", max_leaf_nodes=4).fit(digits.x_train, digits.y_train)
    R.save_student(tree, tmp_path / "a")
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    np.savez(tmp_path / "b.npz", **{**arrays, "__meta__": np.array([_Trap(marker)],
                                                                  dtype=object)})
    soft = make_student("soft-tree", depth=2, epochs=1, min_steps=0).fit(digits.x_train,
                                                                       digits.y_train)
    R.save_student(soft, tmp_path / "c")
    blob = torch.load(tmp_path / "c.pt", weights_only=True)
    torch.save({**blob, "extra": _Trap(marker)}, tmp_path / "d.pt")
    for name in ("b", "d"):
        with pytest.raises(R.RunError, match=f"^students/{name} is damaged \\("):
            R.load_student(tmp_path / name)
    assert not marker.exists()


def test_a_student_file_without_one_of_its_arrays_is_damaged_and_says_which(digits,
                                                                             tmp_path):
    from distill.students import make_student
    tree = make_student("tree", max_leaf_nodes=4).fit(digits.x_train, digits.y_train)
    R.save_student(tree, tmp_path / "t")
    with np.load(tmp_path / "t.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "state.image_shape_"}
    np.savez(tmp_path / "t.npz", **arrays)
    with pytest.raises(R.RunError, match=r"^students/t is damaged \(KeyError: "
                       r"'image_shape_'\)$"):
        R.load_student(tmp_path / "t")


# --------------------------------------------------------------------------------------
# listing, opening, renaming, deleting


def _store(tiny_run, folder: Path, *names: str) -> Path:
    for name in names:
        shutil.copytree(tiny_run.path, folder / name)
    return folder


def test_listing_again_gives_the_same_run_until_its_small_files_change(tiny_run, tmp_path):
    folder = _store(tiny_run, tmp_path / "mine", "r1")
    first = R.list_runs(include_bundled=False, folder=folder)[0]
    assert R.list_runs(include_bundled=False, folder=folder)[0] is first
    assert R._listed(folder / "r1", bundled=True) is not first  # listed apart, as bundled

    def touched(name: str) -> R.Run:
        later = (folder / "r1" / name).stat().st_mtime_ns + 10**9
        os.utime(folder / "r1" / name, ns=(later, later))
        return R.list_runs(include_bundled=False, folder=folder)[0]

    after_metrics = touched("metrics.json")
    assert after_metrics is not first
    (folder / "r1" / "meta.json").write_text(json.dumps({"title": "renamed elsewhere"}))
    after_meta = touched("meta.json")
    assert after_meta is not after_metrics and after_meta.title == "renamed elsewhere"


def test_the_listing_memory_is_bounded(tiny_run, tmp_path, monkeypatch):
    folder = _store(tiny_run, tmp_path / "mine", "r1", "r2", "r3")
    monkeypatch.setattr(R, "_LISTED", {})
    monkeypatch.setattr(R, "_LISTED_MAX", 2)
    assert len(R.list_runs(include_bundled=False, folder=folder)) == 3
    assert len(R._LISTED) <= 2


def test_a_run_opened_from_the_bundled_folder_is_bundled(tiny_run, tmp_path, monkeypatch):
    mine = _store(tiny_run, tmp_path / "mine", "r1", "both")
    bundled = _store(tiny_run, tmp_path / "bundled", "demo", "both")
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", bundled)
    assert R.load_run("demo", mine).bundled is True
    assert R.load_run(bundled / "demo").bundled is True
    assert R.load_run(mine / "r1").bundled is False
    assert R.load_run("r1", mine).bundled is False
    both = R.load_run("both", mine)  # the user's own run first
    assert (both.path, both.bundled) == (mine / "both", False)


def test_a_title_is_1_to_80_characters_and_the_open_run_shows_it_at_once(tiny_run,
                                                                          tmp_path):
    run = R.Run(_store(tiny_run, tmp_path, "r1") / "r1")
    assert run.title == run.meta.get("title", "r1")  # read once, before the rename
    R.rename_run(run, "x" * 80)
    assert run.title == "x" * 80
    for bad in ("x" * 81, "   "):
        with pytest.raises(R.RunError, match="^a run title must be 1 to 80 characters$"):
            R.rename_run(run, bad)
    assert R.Run(tmp_path / "r1").title == "x" * 80


def test_the_bundled_runs_refuse_changes_in_words(tiny_run):
    bundled = R.Run(tiny_run.path, bundled=True)
    with pytest.raises(R.RunError, match="^the bundled demo run cannot be renamed$"):
        R.rename_run(bundled, "mine")
    with pytest.raises(R.RunError, match="^the bundled demo run cannot be deleted$"):
        R.delete_run(bundled)
    assert tiny_run.path.is_dir()


def test_a_runs_problem_is_the_message_of_its_first_damaged_file(tiny_run, tmp_path):
    folder = _store(tiny_run, tmp_path, "r1") / "r1"
    assert R.Run(folder).problem() is None
    (folder / "metrics.json").unlink()
    assert R.Run(folder).problem() == "run r1: metrics.json is missing: the run is incomplete"
