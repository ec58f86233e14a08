import numpy as np
import pytest

from distill import metrics as M


def onehot(labels, c=3):
    return np.eye(c)[labels]


def test_accuracy_agreement_and_errors_by_definition():
    y = np.array([0, 1, 2, 2])
    teacher = onehot([0, 1, 1, 2])  # wrong on sample 2
    student = onehot([0, 2, 1, 0])
    assert M.accuracy(y, student) == 0.25
    assert M.agreement(teacher, student) == 0.5  # samples 0 and 2
    assert M.agreement_on_teacher_errors(y, teacher, student) == 1.0  # copies the mistake
    assert M.agreement_per_class(y, teacher, student, 3) == [1.0, 0.0, 0.5]


def test_agreement_on_errors_is_none_for_a_perfect_teacher():
    y = np.array([0, 1])
    assert M.agreement_on_teacher_errors(y, onehot(y), onehot([1, 1])) is None


def test_top2_agreement_counts_the_runner_up():
    teacher = onehot([0, 1])
    student = np.array([[0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
    assert M.top2_agreement(teacher, student) == 1.0
    assert M.top2_agreement(onehot([2, 1]), student) == 0.5


def test_kl_is_zero_for_identical_and_finite_for_zeros():
    p = np.array([[0.7, 0.2, 0.1]])
    assert M.mean_kl(p, p) == pytest.approx(0.0, abs=1e-9)
    q = np.array([[0.0, 1.0, 0.0]])
    kl = M.mean_kl(p, q)
    assert np.isfinite(kl) and kl > 5  # the floored zeros cost a lot, not infinity


def test_confusion_counts_pairs():
    y = np.array([0, 1, 2, 2])
    teacher, student = np.array([0, 1, 1, 2]), np.array([0, 2, 1, 0])
    assert M.confusion(y, teacher, 3)[2].tolist() == [0, 1, 1]
    agreement = M.confusion(teacher, student, 3)
    assert agreement.sum() == 4 and np.trace(agreement) == 2


def test_bootstrap_interval_matches_resampling_the_test_digits():
    rng = np.random.default_rng(0)
    hits = np.r_[np.ones(930), np.zeros(70)]
    resampled = hits[rng.integers(0, len(hits), (20_000, len(hits)))].mean(1)
    low, high = M.bootstrap_interval(0.93, len(hits))
    assert (low, high) == pytest.approx(tuple(np.quantile(resampled, [0.025, 0.975])),
                                        abs=0.002)
    assert low < 0.93 < high
    narrow = M.bootstrap_interval(0.93, 10_000)
    assert narrow[1] - narrow[0] < (high - low) / 2  # 10x the digits, ~1/3 the width
    assert M.bootstrap_interval(1.0, 500) == (1.0, 1.0)


def test_each_row_is_read_on_its_own_and_an_absent_class_has_no_figure():
    """Answers that are not every row's first class, and no test digit of class 0."""
    y = np.array([2, 1, 1])
    teacher, student = onehot([2, 1, 1]), onehot([2, 0, 1])
    assert M.accuracy(y, student) == pytest.approx(2 / 3)
    assert M.agreement(teacher, student) == pytest.approx(2 / 3)
    assert M.agreement_per_class(y, teacher, student, 3) == [None, 0.5, 1.0]


def test_kl_by_hand_with_zeros_and_answers_that_do_not_sum_to_one():
    """KL(p || q) per row, then the mean over rows; q is read as proportions (the second row
    sums to 0.8) and p's zeros add nothing: ln 2 for each row here."""
    p = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    q = np.array([[0.25, 0.25, 0.5], [0.4, 0.2, 0.2]])
    assert M.mean_kl(p, q) == pytest.approx(np.log(2))
    assert M.mean_kl(p[:1], q[:1]) == pytest.approx(0.5 * np.log(2) * 2)


def test_confusion_counts_whole_numbers_of_labels_of_any_number_type():
    counts = M.confusion(np.array([0.0, 1.0, 1.0]), np.array([1.0, 1.0, 0.0]), 2)
    assert counts.dtype.kind == "i" and counts.tolist() == [[0, 1], [1, 1]]


def test_model_metrics_gathers_every_figure_and_none_without_a_teacher():
    y = np.array([2, 1, 1])
    teacher = onehot([2, 1, 0])  # wrong on the last digit
    student = np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1], [0.5, 0.1, 0.4]])
    m = M.model_metrics(y, teacher, student, 3)
    assert m == {"test_accuracy": pytest.approx(1 / 3), "agreement": pytest.approx(2 / 3),
                 "top2_agreement": pytest.approx(1.0),
                 "kl": pytest.approx(M.mean_kl(teacher, student)),
                 "agreement_on_teacher_errors": 1.0, "agreement_per_class": [None, 0.5, 1.0]}
    assert M.mean_kl(teacher, student) == pytest.approx(
        -(np.log(0.7) + np.log(0.3) + np.log(0.5)) / 3)
    alone = M.model_metrics(y, None, student, 3)
    assert alone == {"test_accuracy": pytest.approx(1 / 3), "agreement": None,
                     "top2_agreement": None, "kl": None, "agreement_on_teacher_errors": None,
                     "agreement_per_class": None}
