import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from distill.data import load_dataset
from distill.runs import load_student, save_student
from distill.students import STUDENTS, TreeStudent, make_student


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", max_train=500, max_test=150)


@pytest.mark.parametrize("name", list(STUDENTS))
def test_every_student_learns_and_round_trips_without_pickle(name, digits, tmp_path):
    quick = {"soft-tree": {"depth": 4, "epochs": 20, "lr": 0.05, "min_steps": 0}}
    student = make_student(name, n_classes=10, **quick.get(name, {}))
    assert student.fit(digits.x_train, digits.y_train) is student  # fit returns self
    proba = student.predict_proba(digits.x_test)
    assert proba.shape == (len(digits.x_test), 10)
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-6)
    assert (student.predict(digits.x_test) == digits.y_test).mean() > 0.5
    saved = save_student(student, tmp_path / "s")
    if saved.suffix == ".npz":
        with np.load(saved, allow_pickle=False) as z:  # nothing pickled inside
            assert "__meta__" in z.files
    else:
        import torch
        torch.load(saved, weights_only=True)  # plain tensors only
    again = load_student(saved)
    np.testing.assert_array_equal(again.predict_proba(digits.x_test), proba)
    assert again.size() == student.size()


def test_pixel_tree_predicts_exactly_as_scikit_learn(digits):
    ours = make_student("pixel-tree", n_classes=10, max_leaf_nodes=40)
    ours.fit(digits.x_train, digits.y_train)
    ref = DecisionTreeClassifier(max_leaf_nodes=40, random_state=0).fit(
        digits.x_train.reshape(len(digits.x_train), -1), digits.y_train)
    np.testing.assert_array_equal(ours.predict(digits.x_test),
                                  ref.predict(digits.x_test.reshape(len(digits.x_test), -1)))
    assert ours.n_leaves_ == ref.get_n_leaves() and ours.depth_ == ref.get_depth()
    np.testing.assert_array_equal(ours.node_depths(), ref.tree_.compute_node_depths() - 1)
    under = ref.decision_path(digits.x_train.reshape(len(digits.x_train), -1))  # (N, nodes)
    leaf_of = ref.apply(digits.x_train.reshape(len(digits.x_train), -1))
    reached_leaves = [len(np.unique(leaf_of[under[:, n].nonzero()[0]]))
                      for n in range(ref.tree_.node_count)]
    np.testing.assert_array_equal(ours.leaves_under(), reached_leaves)  # every leaf has samples


def test_a_tree_refitted_or_loaded_answers_for_its_new_shape(digits):
    small = TreeStudent(max_leaf_nodes=6).fit(digits.x_train, digits.y_train)
    assert small.leaves_under()[0] == 6 and small.depth_ <= 5
    small.set_state(TreeStudent(max_leaf_nodes=20).fit(digits.x_train, digits.y_train)
                    .get_state())
    assert small.leaves_under()[0] == 20 and small.n_leaves_ == 20
    small.fit(digits.x_train, digits.y_train)  # max_leaf_nodes=6 again
    assert small.leaves_under()[0] == 6


def test_tree_respects_its_size_limits(digits):
    t = TreeStudent(max_leaf_nodes=None, max_depth=3).fit(digits.x_train, digits.y_train)
    assert t.depth_ <= 3 and t.n_leaves_ <= 8
    t = TreeStudent(max_leaf_nodes=10).fit(digits.x_train, digits.y_train)
    assert t.n_leaves_ == 10 and t.size()["leaves"] == 10


def test_tree_fits_soft_targets_as_regression(digits):
    rng = np.random.default_rng(0)
    soft = rng.dirichlet(np.ones(10), len(digits.y_train)) * 0.3 + np.eye(10)[digits.y_train] * 0.7
    t = TreeStudent(max_leaf_nodes=30).fit(digits.x_train, soft)
    proba = t.predict_proba(digits.x_test)
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-6)
    assert (proba.argmax(1) == digits.y_test).mean() > 0.5


def test_classes_missing_from_training_still_get_a_column(digits):
    keep = digits.y_train < 8
    for name in ("tree", "bernoulli-nb"):
        s = make_student(name, n_classes=10).fit(digits.x_train[keep], digits.y_train[keep])
        proba = s.predict_proba(digits.x_test)
        assert proba.shape[1] == 10 and np.allclose(proba[:, 8:], 0)


def test_same_seed_gives_the_same_tree(digits):
    a = make_student("tree", random_state=3).fit(digits.x_train, digits.y_train)
    b = make_student("tree", random_state=3).fit(digits.x_train, digits.y_train)
    np.testing.assert_array_equal(a.threshold_, b.threshold_)


def test_bad_parameters_are_refused_with_reasons():
    with pytest.raises(ValueError, match="no parameter depth"):
        make_student("tree", depth=3)
    with pytest.raises(ValueError, match="max leaves"):
        make_student("tree", max_leaf_nodes=1)
    with pytest.raises(ValueError, match="variance smoothing"):
        make_student("gaussian-nb", var_smoothing=-1)
    with pytest.raises(ValueError, match="unknown student"):
        make_student("forest")
