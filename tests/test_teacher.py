import numpy as np
import pytest
import torch

from distill.augment import random_affine
from distill.config import NETS, TeacherConfig
from distill.data import load_dataset
from distill.nets import build_net
from distill.progress import Cancelled
from distill.teacher import Teacher, train_teacher


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", max_train=300, max_test=100)


@pytest.mark.parametrize("name", list(NETS))
@pytest.mark.parametrize("shape", [(28, 28), (8, 8)])
def test_every_net_maps_images_to_class_scores(name, shape):
    net = build_net(name, shape, 10)
    assert net(torch.rand(3, 1, *shape)).shape == (3, 10)


@pytest.mark.parametrize("name", ["cnn", "resnet"])
def test_folded_batch_norms_predict_what_the_trained_net_does_and_follow_training(name, digits):
    net = build_net(name, (8, 8), 10)
    teacher = Teacher(net, name, (8, 8), 10)
    x = digits.x_test[:20]

    def plain():
        with torch.no_grad():
            return teacher.net.eval()(torch.as_tensor(x)[:, None]).numpy()
    np.testing.assert_allclose(teacher.logits(x), plain(), rtol=1e-4, atol=1e-4)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in teacher.inference_net.modules())
    net.train()  # a step of training changes weights and batch statistics in place
    torch.optim.SGD(net.parameters(), lr=0.01).zero_grad()
    net(torch.as_tensor(digits.x_train[:32])[:, None]).sum().backward()
    torch.optim.SGD(net.parameters(), lr=0.01).step()
    np.testing.assert_allclose(teacher.logits(x), plain(), rtol=1e-4, atol=1e-4)


def test_training_reports_plain_progress_and_learns(digits):
    events = []
    cfg = TeacherConfig(arch="cnn", epochs=3, seed=0)
    teacher, history = train_teacher(cfg, digits.x_train, digits.y_train, digits.x_test,
                                     digits.y_test, 10, progress=events.append)
    batch = [e for e in events if "loss" in e]
    keys = {"stage", "epoch", "batch", "loss", "accuracy", "elapsed", "eta"}
    assert batch and keys <= set(batch[0])
    assert all(isinstance(v, (int, float, str, type(None))) for e in events for v in e.values())
    assert len(history.test_accuracy) == 3
    assert (teacher.predict(digits.x_test) == digits.y_test).mean() > 0.5  # chance is 0.1
    assert history.loss[-1] < history.loss[0]


def test_training_stops_when_asked(digits):
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        train_teacher(TeacherConfig(epochs=50), digits.x_train, digits.y_train, should_stop=stop)
    assert len(calls) == 4


def test_same_seed_same_teacher(digits):
    cfg = TeacherConfig(arch="mlp", epochs=2, seed=7)
    a, _ = train_teacher(cfg, digits.x_train, digits.y_train)
    b, _ = train_teacher(cfg, digits.x_train, digits.y_train)
    np.testing.assert_allclose(a.logits(digits.x_test), b.logits(digits.x_test), atol=1e-5)


def test_saved_weights_load_with_weights_only(digits, tmp_path):
    t, _ = train_teacher(TeacherConfig(arch="lenet5", epochs=1), digits.x_train, digits.y_train)
    t.save(tmp_path / "t.pt")
    again = Teacher.load(tmp_path / "t.pt", "lenet5", (8, 8), 10)
    np.testing.assert_allclose(again.logits(digits.x_test), t.logits(digits.x_test), atol=1e-5)
    probs = again.predict_proba(digits.x_test, temperature=4.0)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
    assert probs.max() < t.predict_proba(digits.x_test).max() + 1e-6  # T > 1 softens


def test_bad_teacher_config_is_refused():
    with pytest.raises(ValueError, match="epochs"):
        TeacherConfig(epochs=0).validate()
    with pytest.raises(ValueError, match="unknown teacher"):
        build_net("vgg", (28, 28), 10)


def test_random_affine_keeps_shape_and_moves_ink():
    x = torch.zeros(4, 1, 28, 28)
    x[:, :, 10:18, 12:16] = 1
    gen = torch.Generator().manual_seed(0)
    y = random_affine(x, gen)
    assert y.shape == x.shape and not torch.allclose(y, x)
    assert y.min() >= 0 and y.max() <= 1.0001


def test_shift_and_mirror_moves_whole_pixels_and_flips_without_blurring():
    from distill.augment import shift_and_mirror
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(64, 1, 28, 28)
    y = shift_and_mirror(x, gen, pixels=2)
    flipped = 0
    for before, after in zip(x[:, 0], y[:, 0]):
        # every output is the input, maybe mirrored, moved by whole pixels (zeros come in)
        found = [(m, dy, dx) for m in (False, True) for dy in range(-2, 3) for dx in range(-2, 3)
                 if torch.equal(after[2:-2, 2:-2], torch.roll(
                     before.flip(1) if m else before, (dy, dx), (0, 1))[2:-2, 2:-2])]
        assert found, "an output pixel is not an input pixel"
        flipped += found[0][0]
    assert 16 < flipped < 48  # about half are mirrored


def test_every_data_set_names_a_jitter_the_teacher_knows():
    from distill.augment import JITTERS
    from distill.data import DATASETS
    assert {info.jitter for info in DATASETS.values()} <= set(JITTERS)
    assert DATASETS["fashion-mnist"].jitter == "shift-mirror"  # a mirrored shirt is a shirt
    assert DATASETS["mnist5k"].jitter == "affine"  # a mirrored 7 is not a 7
