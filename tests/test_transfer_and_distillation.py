import numpy as np
import pytest

from distill.config import ConfigError, RunConfig
from distill.data import load_dataset
from distill.distillation import Targets, expand_soft_targets, fit_student, make_targets
from distill.students import make_student
from distill.transfer import make_transfer_set, munge_copy, nearest_neighbours


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", max_train=200, max_test=60)


class FakeTeacher:
    """Predicts class = (ink > median) for transparency in tests."""

    def predict_proba(self, x, temperature=1.0):
        z = np.stack([x.mean((1, 2)), 1 - x.mean((1, 2))], 1) * 10 / temperature
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    def predict(self, x):
        return self.predict_proba(x).argmax(1)


def test_nearest_neighbour_is_never_itself(digits):
    nn = nearest_neighbours(digits.x_train)
    assert (nn != np.arange(len(nn))).all()
    d = ((digits.x_train[:, None] - digits.x_train[None, :5]) ** 2).sum((2, 3))
    d[np.arange(5), np.arange(5)] = np.inf
    assert (nn[:5] == d[:, :5].argmin(0)).all()


def test_elastic_moves_strokes_a_little_and_keeps_them_in_place(rng):
    from distill.transfer import elastic_copy
    x = np.zeros((20, 28, 28), np.float32)
    x[:, 6:22, 12:16] = 1.0  # a vertical bar
    out = elastic_copy(x, rng, alpha=2.0, sigma=3.0)
    assert not np.allclose(out, x)
    ys, xs = np.nonzero(out.mean(0) > 0.5)
    assert ys.min() >= 4 and ys.max() <= 23 and xs.min() >= 10 and xs.max() <= 17
    np.testing.assert_allclose(out.sum((1, 2)), x.sum((1, 2)), rtol=0.15)


def test_munge_only_moves_pixels_where_the_neighbour_differs(rng):
    x = rng.random((10, 8, 8)).astype(np.float32)
    partner = x.copy()
    partner[:, :4] = 0  # differs in the top half only
    out = munge_copy(x, partner, rng)
    np.testing.assert_array_equal(out[:, 4:], x[:, 4:])
    assert not np.allclose(out[:, :4], x[:, :4])


@pytest.mark.parametrize("kind", ["elastic", "munge", "jitter", "mixup", "shift-mirror"])
def test_transfer_sets_are_sized_bounded_and_seeded(kind, digits):
    a = make_transfer_set(digits.x_train, kind, 3, seed=1)
    b = make_transfer_set(digits.x_train, kind, 3, seed=1)
    assert a.shape == (3 * len(digits.x_train), 8, 8) and a.dtype == np.float32
    assert a.min() >= 0 and a.max() <= 1.0001
    np.testing.assert_array_equal(a, b)


def test_each_method_gives_its_targets(digits):
    t = FakeTeacher()
    gt = make_targets("ground-truth", digits.x_train, digits.y_train, t)
    assert gt.y is digits.y_train
    hard = make_targets("hard", digits.x_train, digits.y_train, t)
    np.testing.assert_array_equal(hard.y, t.predict(digits.x_train))
    soft = make_targets("soft", digits.x_train, digits.y_train, t, temperature=4)
    assert soft.soft and soft.y.shape == (len(digits.x_train), 2)
    tr = make_targets("transfer", digits.x_train, digits.y_train, t, transfer_size=2,
                      transfer_labels="hard")
    assert len(tr.x) == 3 * len(digits.x_train)
    np.testing.assert_array_equal(tr.y, t.predict(tr.x))
    tr = make_targets("transfer", digits.x_train, digits.y_train, t, temperature=2,
                      transfer_size=2, transfer="munge")
    assert tr.soft and len(tr.x) == 3 * len(digits.x_train)
    np.testing.assert_allclose(tr.y, t.predict_proba(tr.x, 2))


def test_soft_targets_become_weighted_labels():
    x = np.arange(3)[:, None, None].astype(np.float32) * np.ones((3, 2, 2), np.float32)
    p = np.array([[0.7, 0.3, 0.0], [0.0, 1.0, 0.0], [0.5, 0.2, 0.3]])
    xs, ys, w = expand_soft_targets(x, p)
    assert len(ys) == 6
    for i in range(3):
        rows = xs[:, 0, 0] == i
        assert w[rows].sum() == pytest.approx(1.0)
        np.testing.assert_allclose(w[rows], p[i][ys[rows]])


def test_students_without_soft_support_fit_soft_targets(digits):
    soft = np.eye(10)[digits.y_train] * 0.8 + 0.02
    nb = make_student("multinomial-nb", n_classes=10)
    fit_student(nb, Targets(digits.x_train, soft))
    assert (nb.predict(digits.x_test) == digits.y_test).mean() > 0.6
    # the fit saw each image once per likely class, weighted: the class counts add up to N
    assert nb.model_.class_count_.sum() == pytest.approx(len(digits.x_train))


@pytest.mark.parametrize("settings, words", [
    ({"method": "magic"},
     "method must be one of auto, transfer, boundary, hard, soft, ground-truth"),
    ({"method": "soft", "temperature": 0}, "temperature must be a number from 0.1 to 20"),
    ({"transfer_size": 500}, "transfer-set size must be a whole number from 1 to 50"),
    ({"transfer_labels": "fuzzy"}, "transfer labels must be one of auto, soft, hard"),
    ({"transfer": "blur"}, "transfer set must be one of auto, elastic"),
])
def test_method_settings_are_checked(settings, words):
    with pytest.raises(ConfigError, match=words):
        RunConfig(**settings).validate()


def test_auto_transfer_labels_give_trees_probabilities_and_others_the_argmax(digits):
    t = FakeTeacher()
    auto = make_targets("transfer", digits.x_train, digits.y_train, t, temperature=4,
                        transfer_size=1, transfer="mixup")
    assert auto.soft and auto.argmax_for_others
    nb_auto, nb_hard = make_student("bernoulli-nb"), make_student("bernoulli-nb")
    fit_student(nb_auto, auto)
    nb_hard.fit(auto.x, t.predict(auto.x))
    np.testing.assert_array_equal(nb_auto.predict_proba(digits.x_test),
                                  nb_hard.predict_proba(digits.x_test))
    tree = make_student("tree", max_leaf_nodes=4)
    fit_student(tree, auto)  # fitted on the probabilities: leaves hold soft distributions
    assert tree.value_.max() < 1.0


def test_soft_label_naive_bayes_is_the_hand_worked_weighted_fit():
    """Two images of two pixels, each three quarters one class: worked out by hand."""
    x = np.array([[[1.0, 0.0]], [[0.0, 1.0]]], np.float32)  # (2, 1, 2)
    p = np.array([[0.75, 0.25], [0.25, 0.75]])
    multinomial = make_student("multinomial-nb", alpha=1.0).fit(x, p).model_
    # class 0 counts 0.75 of image 1's ink and 0.25 of image 2's: [0.75, 0.25], +1 smoothing
    np.testing.assert_allclose(multinomial.feature_count_, [[0.75, 0.25], [0.25, 0.75]])
    np.testing.assert_allclose(np.exp(multinomial.feature_log_prob_[0]), [1.75 / 3, 1.25 / 3])
    np.testing.assert_allclose(np.exp(multinomial.class_log_prior_), [0.5, 0.5])
    bernoulli = make_student("bernoulli-nb", alpha=1.0, binarize=0.5).fit(x, p).model_
    np.testing.assert_allclose(np.exp(bernoulli.feature_log_prob_[0]), [1.75 / 3, 1.25 / 3])
    gaussian = make_student("gaussian-nb", var_smoothing=0.1).fit(x, p).model_
    np.testing.assert_allclose(gaussian.theta_[0], [0.75, 0.25])
    # 0.75 (1 - 0.75)^2 + 0.25 (0 - 0.75)^2 = 0.1875, plus 0.1 x the largest pixel variance
    np.testing.assert_allclose(gaussian.var_[0], [0.1875 + 0.025, 0.1875 + 0.025])


@pytest.mark.parametrize("kind", ["gaussian-nb", "bernoulli-nb", "multinomial-nb"])
def test_soft_label_naive_bayes_equals_scikit_learns_fit_on_weighted_copies(kind, digits):
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.full(10, 0.3), len(digits.x_train))
    mine = make_student(kind, n_classes=10).fit(digits.x_train, p)
    x, y, w = expand_soft_targets(digits.x_train, p, min_weight=0)
    theirs = make_student(kind, n_classes=10).fit(x, y, sample_weight=w)
    np.testing.assert_allclose(mine.predict_proba(digits.x_test),
                               theirs.predict_proba(digits.x_test), atol=1e-9)
    # and probabilities that are certain are the labels themselves
    one_hot = make_student(kind, n_classes=10).fit(digits.x_train, np.eye(10)[digits.y_train])
    labels = make_student(kind, n_classes=10).fit(digits.x_train, digits.y_train)
    np.testing.assert_allclose(one_hot.predict_proba(digits.x_test),
                               labels.predict_proba(digits.x_test), atol=1e-9)


def test_naive_bayes_learns_from_the_teachers_own_probabilities(digits):
    """Softened targets are sharpened back to temperature 1 before naive Bayes counts them."""
    t = FakeTeacher()
    soft = make_targets("soft", digits.x_train, digits.y_train, t, temperature=4)
    nb = make_student("gaussian-nb", n_classes=2)
    fit_student(nb, soft)
    direct = make_student("gaussian-nb", n_classes=2).fit(digits.x_train,
                                                          t.predict_proba(digits.x_train))
    np.testing.assert_allclose(nb.model_.theta_, direct.model_.theta_, atol=1e-6)

