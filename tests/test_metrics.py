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
