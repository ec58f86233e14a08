"""--method auto: each student chooses how it learns, by held-out agreement with the teacher."""

import json

import numpy as np
import pytest
from conftest import shared_run

from distill import runs as R
from distill.auto import (
    FOLDS,
    Answers,
    Candidate,
    Choice,
    Pool,
    auto_splits,
    candidates,
    choose,
    clear_winner,
    holdout_split,
    transfer_set_apart,
)
from distill.config import RunConfig, StudentChoice
from distill.data import load_dataset
from distill.distillation import fit_student
from distill.students import make_student
from tests.test_pages import APP, navigation_mode  # noqa: F401  (pages run as on a server)


class PermutingTeacher:
    """Answers (true digit + 1) mod 10 on the images it knows and 0 on any other: learning its
    labels on the training images is the one way to agree with it. Transfer copies it has
    never seen dilute that with zeros; the true labels agree with it nowhere."""

    def __init__(self, *datasets):
        self.known = {x.tobytes(): (y + 1) % 10 for d in datasets
                      for x, y in zip(np.concatenate([d.x_train, d.x_test]),
                                      np.concatenate([d.y_train, d.y_test]))}
        self.asked = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.asked += len(x)
        answer = np.array([self.known.get(np.asarray(i, np.float32).tobytes(), 0) for i in x])
        return np.eye(10)[answer] * 0.9 + 0.01  # probabilities, every class a little

    def predict_proba(self, x, temperature=1.0):
        from scipy.special import softmax
        return softmax(np.log(self(x)) / temperature, axis=1)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", max_train=500, max_test=150)


def test_candidates_start_with_the_true_labels_and_name_each_generator():
    options = candidates(("jitter", "munge"))
    assert [c.label for c in options] == ["true labels", "teacher's labels",
                                          "teacher's probabilities", "transfer (jitter)",
                                          "transfer (munge)"]


def test_the_held_out_part_is_stratified_disjoint_capped_and_seeded():
    y = np.repeat(np.arange(5), [40, 40, 40, 40, 240])  # 400 images, one class six times more
    split = holdout_split(y, seed=3, held_share=0.25, held_cap=60, fit_cap=100)
    assert len(split.held) == 60 and len(split.fit) == 100
    assert not set(split.held) & set(split.fit)
    np.testing.assert_array_equal(np.bincount(y[split.held]), [6, 6, 6, 6, 36])
    again = holdout_split(y, seed=3, held_share=0.25, held_cap=60, fit_cap=100)
    np.testing.assert_array_equal(split.held, again.held)
    np.testing.assert_array_equal(split.fit, again.fit)
    assert not np.array_equal(holdout_split(y, seed=4, held_cap=60).held, split.held)


def test_a_candidate_must_beat_the_true_labels_clearly():
    teacher = np.zeros(100, int)
    base = np.r_[np.zeros(80, int), np.ones(20, int)]  # agrees on 80
    slightly = base.copy()
    slightly[80:82] = 0  # 82: two wins, no loss
    clearly = base.copy()
    clearly[80:90] = 0  # 90: ten wins
    swapped = base.copy()
    swapped[80:95], swapped[:10] = 0, 1  # 85: fifteen wins, ten losses: 5 = sqrt(25)
    truth, a, b, c = (Candidate("ground-truth"), Candidate("hard"), Candidate("soft"),
                      Candidate("transfer", "munge"))
    assert clear_winner(teacher, {truth: base, c: swapped}) == truth
    assert clear_winner(teacher, {truth: base, a: slightly, b: clearly}) == b
    assert clear_winner(teacher, {truth: base, b: clearly, a: slightly, c: swapped}) == b
    # three wins and no loss pass one and a half standard deviations (3 > 1.5 sqrt(3)); two
    # do not (2 < 1.5 sqrt(2)), though they pass one (2 > sqrt(2))
    three = base.copy()
    three[80:83] = 0
    assert clear_winner(teacher, {truth: base, a: three}) == a
    assert clear_winner(teacher, {truth: base, a: slightly}) == truth
    assert clear_winner(teacher, {truth: base, a: slightly}, clear_win=1.0) == a


def test_the_teacher_is_asked_about_each_image_once(digits):
    teacher = PermutingTeacher(digits)
    answers = Answers(teacher, digits.x_train, temperature=1.0)
    first = answers(np.arange(10))
    again = answers(np.arange(5, 15))
    assert teacher.asked == 15
    np.testing.assert_array_equal(first[5:], again[:5])
    np.testing.assert_allclose(answers(np.array([3])), teacher.predict_proba(digits.x_train[3:4]))


def test_a_transfer_candidate_reads_its_rows_and_their_copies(digits):
    n = len(digits.x_train)
    copies = np.stack([digits.x_train + 0.0, digits.x_train * 0.5]).reshape(2 * n, 8, 8)
    pool = Pool(digits.x_train, digits.y_train, {"halves": copies}, PermutingTeacher(digits),
                1.0, transfer_labels="hard")
    rows = np.array([4, 7])
    t = pool.targets(Candidate("transfer", "halves"), rows)
    np.testing.assert_array_equal(t.x, np.stack([digits.x_train[4], digits.x_train[7],
                                                 copies[4], copies[7], copies[n + 4],
                                                 copies[n + 7]]))
    # the copies are the teacher's to label: known images get its permuted digit, halves 0
    expected = (digits.y_train[[4, 7, 4, 7]] + 1) % 10
    np.testing.assert_array_equal(t.y, np.r_[expected, 0, 0])
    first = pool.targets(Candidate("transfer", "halves"), rows, copies=1)
    np.testing.assert_array_equal(first.x, t.x[:4])


def test_candidates_fit_on_as_many_copies_as_the_pixel_cap_allows():
    from distill.auto import FIT_CAP, copies_for
    for shape, made, expected in (((28, 28), 5, 5), ((28, 28), 10, 5), ((8, 8), 10, 10),
                                  ((8, 8), 3, 3), ((64, 64), 5, 1)):
        x = np.zeros((1500, *shape), np.float32)
        pool = Pool(x, np.zeros(1500, int), {"g": np.zeros((made * 1500, *shape))}, None, 1.0)
        assert copies_for(pool, FIT_CAP) == expected, shape


@pytest.mark.parametrize("dataset", ["mnist5k", "digits", "fashion-mnist", "mnist"])
def test_candidates_fit_on_the_final_fits_share_of_copies_on_every_bundled_data_set(dataset):
    """Where a run's default transfer set is, the sample keeps as many copies of each image as
    the final fit reads: fewer would compare another share of synthetic images than the one
    the chosen student then learns from."""
    from distill.auto import FIT_CAP, copies_within
    from distill.config import transfer_size_for
    from distill.data import dataset_info
    size = transfer_size_for(dataset)
    pixels = int(np.prod(dataset_info(dataset).image_shape))
    assert copies_within(size, FIT_CAP, pixels) == size


def test_auto_chooses_the_candidate_built_to_win_and_its_figures_are_a_recount(digits):
    n = len(digits.x_train)
    teacher = PermutingTeacher(digits)
    copies = np.concatenate([digits.x_train * 0.9, digits.x_train * 0.8])  # unknown to it
    pool = Pool(digits.x_train, digits.y_train, {"dim": copies}, teacher, 2.0)
    split = holdout_split(digits.y_train, seed=0)
    options = candidates(("dim",))
    choices = choose({"nb": lambda: make_student("gaussian-nb", n_classes=10)}, pool, [split],
                     options)
    choice = choices["nb"]
    assert choice.candidate == Candidate("hard")
    assert choice.held == len(split.held) == round(0.2 * n) and choice.fitted_on == len(split.fit)
    # every figure is the held-out agreement of that candidate refitted here
    says = (digits.y_train[split.held] + 1) % 10
    for candidate in options:
        student = make_student("gaussian-nb", n_classes=10)
        fit_student(student, pool.targets(candidate, split.fit))
        agreement = np.mean(student.predict(digits.x_train[split.held]) == says)
        assert choice.heldout[candidate.label] == pytest.approx(agreement, abs=1e-4)
    assert choice.heldout["true labels"] < 0.2 < 0.6 < choice.heldout["teacher's labels"]
    assert choice.heldout["transfer (dim)"] < choice.heldout["teacher's labels"]


@pytest.fixture(scope="module")
def auto_run(tmp_path_factory):
    """A tiny auto run on 8x8 digits with the permuting teacher given as a function."""
    from distill.pipeline import run_experiment
    from distill.teachers import FunctionTeacher
    data = load_dataset("digits", max_train=500, max_test=150)

    def build(out):
        teacher = FunctionTeacher(PermutingTeacher(data), 10, name="permuter")
        cfg = RunConfig(dataset="digits", max_train=500, max_test=150, transfer_size=1,
                        insist=True, students=[StudentChoice("gaussian-nb"),
                                               StudentChoice("tree", {"max_leaf_nodes": 16})])
        run_experiment(cfg, out=out, teacher=teacher)
    return shared_run(tmp_path_factory, "tiny-auto", build)


def test_an_auto_run_saves_each_choice_with_its_figures(auto_run):
    m = auto_run.metrics
    assert m["method"] == "auto" and m["transfer_sets"] == ["jitter", "munge", "mixup"]
    assert m["auto"]["candidates"] == [c.label for c in candidates(m["transfer_sets"])]
    auto = [s for s in m["students"] if s["method"] == "auto"]
    assert [s["name"] for s in auto] == ["gaussian-nb.auto", "tree.auto"]
    for s in auto:
        chosen = s["chosen"]  # the teacher's own answers on the training images, either form
        assert chosen["method"] in ("hard", "soft")
        assert chosen["heldout"][chosen["label"]] == max(chosen["heldout"].values())
        # 500 small digits are cross-validated: every training image judges once
        assert chosen["held_out"] == m["auto"]["held_out"] == m["n_train"] == 500
        assert chosen["folds"] == m["auto"]["folds"] == FOLDS
        # and the saved student is the one refitted on the whole training set: it agrees
        # with the teacher on the test digits about as it did on the held-out ones
        assert s["agreement"] > chosen["heldout"]["true labels"] + 0.4
        assert s["fit_samples"] == m["n_train"]


def test_a_student_that_keeps_the_true_labels_is_its_baseline(tmp_path):
    """A teacher that agrees with the true labels offers nothing to win by; whatever each
    student keeps, one that keeps the true labels is its baseline, prediction for prediction."""
    from distill.pipeline import run_experiment
    from distill.teachers import FunctionTeacher
    data = load_dataset("digits", max_train=300, max_test=100)
    truth = {x.tobytes(): y for x, y in zip(np.concatenate([data.x_train, data.x_test]),
                                             np.concatenate([data.y_train, data.y_test]))}

    def honest(x):
        return np.eye(10)[[truth.get(np.asarray(i, np.float32).tobytes(), 0) for i in x]]
    cfg = RunConfig(dataset="digits", max_train=300, max_test=100, transfer_size=1,
                    students=[StudentChoice("multinomial-nb")])
    run = run_experiment(cfg, out=tmp_path / "r", teacher=FunctionTeacher(honest, 10))
    entry = run.student_entry("multinomial-nb.auto")
    assert entry["chosen"]["label"] == "true labels"
    np.testing.assert_array_equal(run.predictions["proba_multinomial-nb.auto"],
                                  run.predictions["proba_multinomial-nb.ground-truth"])


def test_the_choice_is_told_everywhere(auto_run, cli, tmp_path):
    from distill.report import build_report
    from distill.summary import choice_phrase, method_phrase, model_rows
    entry = auto_run.student_entry("gaussian-nb.auto")
    phrase = choice_phrase(entry)
    held = entry["chosen"]["heldout"]
    assert phrase == (f"chose {chosen_label(entry)}: {held[chosen_label(entry)]:.1%} held-out "
                      f"agreement vs {held['true labels']:.1%} true labels (500 held-out images "
                      f"in {FOLDS} folds, each training image once)")
    assert f"gaussian-nb from {chosen_label(entry)}" in method_phrase(auto_run.metrics)
    rows = {r["model"]: r for r in model_rows(auto_run.metrics)}
    assert rows["gaussian-nb.auto"]["method"] == f"auto: {chosen_label(entry)}"
    report = build_report(auto_run)  # a function's run: the edits go without the verdict
    assert phrase.replace("'", "&#x27;") in report
    assert "the teacher was not saved with the run to ask" in report
    shown = cli("show", str(auto_run.path))
    assert f"gaussian-nb: {phrase}" in shown.stdout
    assert "choosing took" in shown.stdout


def chosen_label(entry: dict) -> str:
    return entry["chosen"]["label"]


def test_the_compare_page_shows_how_each_student_chose(auto_run, tmp_path, monkeypatch):
    import shutil

    from streamlit.testing.v1 import AppTest
    shutil.copytree(auto_run.path, tmp_path / "runs" / "auto-run")
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setattr(R, "BUNDLED_RUNS_DIR", tmp_path / "no-bundled-runs")
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["run"] = "auto-run"
    at.run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "How each student chose to learn" in [s.value for s in at.subheader]
    shown = " ".join(m.value for m in at.markdown)
    assert choice_phrase_of(auto_run, "tree.auto") in shown
    table = next(d.value for d in at.dataframe if "chose" in d.value.columns)
    assert list(table["chose"]) == [chosen_label(auto_run.student_entry(n))
                                    for n in ("gaussian-nb.auto", "tree.auto")]


def choice_phrase_of(run, name: str) -> str:
    from distill.summary import choice_phrase
    return choice_phrase(run.student_entry(name))


def test_auto_is_recorded_in_the_saved_config(auto_run):
    config = json.loads((auto_run.path / "config.json").read_text())
    assert config["method"] == "auto" and config["transfer"] == "auto"


def test_a_student_that_kept_the_true_labels_shows_no_arrow_on_the_overview(monkeypatch,
                                                                             tmp_path):
    """The bundled demo's multinomial naive Bayes kept the true labels: its card says +0.0
    without the green of a gain."""
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("DISTILL_RUNS_DIR", str(tmp_path / "runs"))
    demo = R.list_runs()[0]
    kept = [e for e in demo.facts.distilled if e["chosen"]["method"] == "ground-truth"]
    gained = [e for e in demo.facts.distilled if demo.facts.gain(e) > 0.0005]
    assert kept and gained
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    cards = {m.label: m for m in at.metric}
    colour = at.metric[0].proto.MetricColor
    for entry, shown in [(kept[0], colour.GRAY), (gained[0], colour.GREEN)]:
        card = cards[entry["short_title"]]
        assert card.proto.color == shown, (entry["label"], card.proto.color)


def test_a_choice_that_does_not_win_at_full_size_gives_way_to_the_true_labels():
    """The full-size check applies the rule with its stricter bar: 9 wins against 3 losses is
    luck there (it would pass the first, 1.5-sd bar), 30 against 10 is not; either way the
    figures are the two fits' own agreement."""
    says = np.arange(400) % 10
    base = says.copy()
    base[:40] = (says[:40] + 1) % 10  # the true labels' fit misses 40 ...
    from distill.auto import CLEAR_WIN
    assert CLEAR_WIN * np.sqrt(9 + 3) < 9 - 3
    for wins, kept in ((9, False), (30, True)):
        said = says.copy()
        said[wins:40] = base[wins:40]  # ... the winner gets the first `wins` of them right
        said[40:40 + wins // 3] = (says[40:40 + wins // 3] + 1) % 10  # and loses a third as many
        choice = Choice(Candidate("transfer", "mixup"), {"true labels": 0.8}, 400, 1000, 1.0)
        assert choice.confirm(says, base, said, fitted_on=59_000, seconds=2.5) is kept
        assert choice.candidate == (Candidate("transfer", "mixup") if kept
                                    else Candidate("ground-truth"))
        assert choice.confirmed == {
            "candidate": "transfer (mixup)", "fitted_on": 59_000, "kept": kept, "seconds": 2.5,
            "heldout": {"transfer (mixup)": round(float(np.mean(said == says)), 4),
                        "true labels": round(float(np.mean(base == says)), 4)}}
        saved = choice.to_dict()
        assert saved["label"] == ("transfer (mixup)" if kept else "true labels")
        assert saved["confirmed"] == choice.confirmed


def test_the_true_labels_after_a_failed_check_are_told_as_such():
    from distill.summary import choice_phrase
    entry = {"chosen": {**Choice(Candidate("ground-truth"), {"true labels": 0.8,
                                                               "transfer (mixup)": 0.85},
                                 1000, 1000, 1.0).to_dict(),
                        "confirmed": {"candidate": "transfer (mixup)", "fitted_on": 59_000,
                                      "kept": False, "seconds": 30.0,
                                      "heldout": {"transfer (mixup)": 0.821,
                                                  "true labels": 0.829}}}}
    assert choice_phrase(entry) == (
        "kept the true labels: transfer (mixup) won when fitted on 1,000 training images, not "
        "on 59,000 (82.1% vs 82.9% true labels)")


def test_a_large_training_set_confirms_each_choice_at_full_size(tmp_path, monkeypatch):
    """With the threshold lowered to every size, the permuting teacher's winner is fitted on
    every training image but the held-out ones, checked there against the true labels fitted
    on the same images, and kept; the saved figures are a recount with the saved student."""
    import distill.auto as auto
    from distill.pipeline import run_experiment
    from distill.teachers import FunctionTeacher
    monkeypatch.setattr(auto, "CONFIRM_FROM", 0)
    monkeypatch.setattr(auto, "FOLD_PIXELS", 0)  # one held-out part, as a large set has
    data = load_dataset("digits", max_train=300, max_test=100)
    cfg = RunConfig(dataset="digits", max_train=300, max_test=100, transfer_size=1,
                    insist=True, students=[StudentChoice("gaussian-nb")])
    run = run_experiment(cfg, out=tmp_path / "r",
                         teacher=FunctionTeacher(PermutingTeacher(data), 10, name="permuter"))
    entry = run.student_entry("gaussian-nb.auto")
    split = holdout_split(data.y_train, seed=0)
    confirmed = entry["chosen"]["confirmed"]
    assert confirmed["kept"] and confirmed["candidate"] == entry["chosen"]["label"]
    assert confirmed["fitted_on"] == 300 - len(split.held) == entry["fit_samples"]
    says = (data.y_train[split.held] + 1) % 10
    student = run.load_student("gaussian-nb.auto")
    held_x = data.x_train[split.held]
    assert confirmed["heldout"][confirmed["candidate"]] == pytest.approx(
        np.mean(student.predict(held_x) == says), abs=1e-4)
    truth = make_student("gaussian-nb", n_classes=10)
    rest = np.setdiff1d(np.arange(300), split.held)
    fit_student(truth, auto.Pool(data.x_train, data.y_train, {}, None, 1.0).targets(
        Candidate("ground-truth"), rest))
    assert confirmed["heldout"]["true labels"] == pytest.approx(
        np.mean(truth.predict(held_x) == says), abs=1e-4)
    assert run.metrics["auto"]["confirmed_on"] == len(rest)


@pytest.mark.parametrize("kind", ["mixup", "munge"])  # the two that draw on other images
def test_no_copy_a_candidate_fits_on_draws_on_a_held_out_image(kind):
    """Every held-out image is the next image's twin (its nearest neighbour) with ink at a
    marker pixel no other image has: a copy of an image the candidates fit on that blends in
    or borrows from a held-out image shows it."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 0.5, (60, 8, 8)).astype(np.float32)
    x[:, 0, 0] = 0.0
    held = np.arange(0, 60, 4)
    x[held] = x[held + 1]
    x[held, 0, 0] = 1.0
    copies = transfer_set_apart(x, [held], kind, 3, seed=0)
    assert copies.shape == (180, 8, 8)
    of_held = np.isin(np.arange(180) % 60, held)
    assert (copies[~of_held, 0, 0] == 0).all()
    assert (copies[of_held, 0, 0] > 0).any()  # a held-out image's own copies keep its marker


def test_copies_that_draw_on_no_other_image_are_made_as_for_any_run():
    from distill.transfer import make_transfer_set
    x = np.random.default_rng(1).uniform(0, 1, (20, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(transfer_set_apart(x, [np.arange(5)], "elastic", 2, seed=3),
                                  make_transfer_set(x, "elastic", 2, seed=3))


def test_a_small_training_set_is_cross_validated_in_stratified_folds():
    """8x8 digits fit within FOLD_PIXELS: FOLDS folds, each an equal share of every
    class, together every image once, each fitted on the others; 28x28 digits as many are not,
    nor a set with a class too rare to be in every fold."""
    y = np.arange(500) % 10
    folds = auto_splits(y, seed=0, pixels=64)
    assert len(folds) == FOLDS > 1
    np.testing.assert_array_equal(np.sort(np.concatenate([f.held for f in folds])),
                                  np.arange(500))
    for f in folds:
        share = np.bincount(y[f.held], minlength=10)  # each class split evenly
        assert share.max() - share.min() <= 1 and abs(len(f.held) - 500 / FOLDS) <= 10
        np.testing.assert_array_equal(f.fit, np.setdiff1d(np.arange(500), f.held))
    again = auto_splits(y, seed=0, pixels=64)
    assert all(np.array_equal(a.held, b.held) for a, b in zip(folds, again))
    assert not np.array_equal(auto_splits(y, seed=1, pixels=64)[0].held, folds[0].held)
    large = auto_splits(y, seed=0, pixels=28 * 28 * 10)
    assert len(large) == 1 and np.array_equal(large[0].held, holdout_split(y, seed=0).held)
    rare = y.copy()
    rare[np.flatnonzero(rare == 1)[FOLDS - 1:]] = 0  # class 1 too rare for one in each fold
    assert len(auto_splits(rare, seed=0, pixels=64)) == 1


@pytest.mark.parametrize("kind", ["mixup", "munge"])
def test_no_copy_draws_on_an_image_of_another_fold(kind):
    """Each of three folds' images carries ink at its own marker pixel: every copy keeps only
    its own fold's marker, so no candidate fits on copies that drew on the fold judging it."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 0.5, (60, 8, 8)).astype(np.float32)
    fold = np.arange(60) % 3
    x[:, 0, :3] = 0.0
    x[np.arange(60), 0, fold] = 1.0
    copies = transfer_set_apart(x, [np.flatnonzero(fold == f) for f in range(3)], kind, 2, 0)
    own = np.tile(fold, 2)
    for f in range(3):
        others = [g for g in range(3) if g != f]
        assert (copies[own == f][:, 0, others] == 0).all()
        assert (copies[own == f][:, 0, f] > 0).any()


def test_over_folds_auto_chooses_the_winner_and_its_figures_are_a_recount(digits):
    """Folds: the candidate built to win is chosen, and each figure is that candidate's
    agreement over every training image, each judged by the fit that did not see it."""
    n = len(digits.x_train)
    teacher = PermutingTeacher(digits)
    pool = Pool(digits.x_train, digits.y_train, {}, teacher, 2.0)
    folds = auto_splits(digits.y_train, seed=0, pixels=64)
    options = candidates(())
    choice = choose({"nb": lambda: make_student("gaussian-nb", n_classes=10)}, pool, folds,
                    options)["nb"]
    assert choice.candidate == Candidate("hard") and choice.folds == FOLDS
    assert choice.held == n and choice.to_dict()["folds"] == FOLDS
    says = (digits.y_train + 1) % 10
    for candidate in options:
        right = 0
        for f in folds:
            student = make_student("gaussian-nb", n_classes=10)
            fit_student(student, pool.targets(candidate, f.fit))
            right += int(np.sum(student.predict(digits.x_train[f.held]) == says[f.held]))
        assert choice.heldout[candidate.label] == pytest.approx(right / n, abs=1e-4)


def test_a_candidate_must_win_by_one_and_a_half_deviations_over_folds_or_one_part(digits,
                                                                                 monkeypatch):
    """9 wins against 4 losses (z = 1.39) clears one standard deviation, not CLEAR_WIN: with
    four or five candidates against the true labels, one could pass a student's luck about
    every other time. A choice over folds and one over a single held-out part ask for the same
    bar."""
    import distill.auto as auto
    says = np.zeros(200, int)
    base = says.copy()
    base[:20] = 1  # the true labels' fit misses 20 ...
    said = base.copy()
    said[:9] = 0  # ... the candidate gets 9 of them right
    said[20:24] = 1  # ... and misses 4 others
    answers = {Candidate("ground-truth"): base, Candidate("hard"): said}
    assert clear_winner(says, answers, 1.0) == Candidate("hard")
    assert clear_winner(says, answers, auto.CLEAR_WIN) == Candidate("ground-truth")
    bars = []
    real = auto.clear_winner
    monkeypatch.setattr(auto, "clear_winner",
                        lambda says, answers, bar: bars.append(bar) or real(says, answers, bar))
    pool = Pool(digits.x_train, digits.y_train, {}, PermutingTeacher(digits), 2.0)
    nb = {"nb": lambda: make_student("gaussian-nb", n_classes=10)}
    for splits in (auto_splits(digits.y_train, 0, 64), [holdout_split(digits.y_train, 0)]):
        choose(nb, pool, splits, candidates(()))
    assert bars == [auto.CLEAR_WIN] * 2
