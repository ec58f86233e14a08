"""Your own network: an ONNX file (made by torch here, or scikit-learn) in every input layout,
with one or several outputs, logits or probabilities; every refusal; the teacher's evidence
by occlusion; a run's own teacher exported and imported back to the same answers."""

import warnings

import numpy as np
import pytest
import torch

from distill.teachers import (
    FunctionTeacher,
    OnnxTeacher,
    TeacherFileError,
    parse_input,
    to_logits,
)

SHAPE = (8, 8)


class Net(torch.nn.Module):
    """A small CNN on (N, 1, 8, 8), deterministic weights."""

    def __init__(self, classes: int = 3, softmax: bool = False):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4 * 64, classes)
        self.softmax = softmax

    def forward(self, x):  # (N, 1, 8, 8) -> (N, C)
        z = self.fc(torch.relu(self.conv(x)).flatten(1))
        return torch.softmax(z, 1) if self.softmax else z


class Layout(torch.nn.Module):
    """The same net reading another input layout."""

    def __init__(self, net, layout):
        super().__init__()
        self.net, self.layout = net, layout

    def forward(self, x):
        if self.layout == "nhwc":
            x = x.permute(0, 3, 1, 2)
        elif self.layout == "nhw":
            x = x[:, None]
        elif self.layout == "flat":
            x = x.reshape(-1, 1, *SHAPE)
        return self.net(x)


class TwoOutputs(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        z = self.net(x)
        return z, torch.softmax(z, 1)


DUMMY = {"nchw": (2, 1, *SHAPE), "nhwc": (2, *SHAPE, 1), "nhw": (2, *SHAPE),
         "flat": (2, SHAPE[0] * SHAPE[1])}


def export(module, path, shape, outputs=("scores",), **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (torch.zeros(shape),), str(path),
                          input_names=["x"], output_names=list(outputs),
                          dynamic_axes={"x": {0: "n"}, **{o: {0: "n"} for o in outputs}},
                          dynamo=False, **kwargs)
    return path


def images(n=12, seed=0):
    return np.random.default_rng(seed).random((n, *SHAPE)).astype(np.float32)


def torch_logits(net, x):
    with torch.no_grad():
        return net(torch.as_tensor(x)[:, None]).numpy()


@pytest.mark.parametrize("layout", ["nchw", "nhwc", "nhw", "flat"])
def test_every_input_layout_gives_the_networks_own_answers(tmp_path, layout):
    net = Net()
    path = export(Layout(net, layout), tmp_path / f"{layout}.onnx", DUMMY[layout])
    teacher = OnnxTeacher(path)
    assert teacher.info.layout == layout and teacher.image_shape == SHAPE
    assert teacher.n_classes == 3
    x = images()
    np.testing.assert_allclose(teacher.logits(x), torch_logits(net, x), atol=1e-5)


def test_a_network_ending_in_softmax_answers_with_its_own_probabilities(tmp_path):
    net = Net(softmax=True)
    teacher = OnnxTeacher(export(net, tmp_path / "p.onnx", DUMMY["nchw"]))
    x = images()
    np.testing.assert_allclose(teacher.predict_proba(x), torch_logits(net, x), atol=1e-5)
    assert (teacher.predict(x) == torch_logits(net, x).argmax(1)).all()


def test_logits_and_probabilities_are_told_apart():
    p = np.array([[0.2, 0.8], [0.5, 0.5]])
    np.testing.assert_allclose(np.exp(to_logits(p)), p, rtol=1e-6)  # log-probabilities
    z = np.array([[2.0, -1.0], [0.3, 0.1]])
    assert np.array_equal(to_logits(z), z.astype(np.float32))  # logits stay as they are


def test_of_two_outputs_the_named_one_is_read(tmp_path):
    net = Net()
    path = export(TwoOutputs(net), tmp_path / "two.onnx", DUMMY["nchw"], ("logits", "probs"))
    with pytest.raises(TeacherFileError, match=r"^2 float \(N, classes\) outputs \(logits, "
                                               r"probs\); name the class scores with "
                                               r"--teacher-output NAME$"):
        OnnxTeacher(path)
    x = images()
    for name in ("logits", "probs"):  # either way, the same answers
        teacher = OnnxTeacher(path, output=name)
        np.testing.assert_allclose(teacher.predict_proba(x),
                                   torch.softmax(torch.as_tensor(torch_logits(net, x)), 1),
                                   atol=1e-5)
    with pytest.raises(TeacherFileError, match=r"^no output named 'nope'; the graph's outputs: "
                                               r"logits, probs$"):
        OnnxTeacher(path, output="nope")


def test_a_scikit_learn_model_made_anywhere_is_a_teacher(tmp_path):
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression
    x = images(60).reshape(60, -1)
    y = (x[:, :32].mean(1) > x[:, 32:].mean(1)).astype(int)
    model = LogisticRegression(max_iter=200).fit(x, y)
    path = tmp_path / "logreg.onnx"
    path.write_bytes(to_onnx(model, x[:1], options={id(model): {"zipmap": False}})
                     .SerializeToString())
    teacher = OnnxTeacher(path)  # a label output (int64) and a probability output (float)
    assert teacher.info.layout == "flat" and teacher.info.output_name == "probabilities"
    np.testing.assert_allclose(teacher.predict_proba(x.reshape(60, *SHAPE)),
                               model.predict_proba(x), atol=1e-5)


@pytest.mark.parametrize("scale, fed", [("0-1", 0.5), ("0-255", 127.5),
                                        ("0.5,0.25", 0.0)])
def test_pixels_reach_the_network_as_it_was_trained(tmp_path, scale, fed):
    class Echo(torch.nn.Module):  # the mean of what it is given, as two scores
        def forward(self, x):
            m = x.mean((1, 2, 3))[:, None]
            return torch.cat([m, -m], 1)
    teacher = OnnxTeacher(export(Echo(), tmp_path / "echo.onnx", DUMMY["nchw"]), scale)
    assert teacher.logits(np.full((1, *SHAPE), 0.5, np.float32))[0, 0] == pytest.approx(fed)


@pytest.mark.parametrize("text", ["0-100", "a,b", "0.5,0"])
def test_a_bad_input_scale_is_refused(text):
    with pytest.raises(TeacherFileError, match=rf"^teacher input {text!r}"):
        parse_input(text)


def test_a_model_with_external_weights_is_refused(tmp_path):
    import onnx
    path = export(Net(), tmp_path / "m.onnx", DUMMY["nchw"])
    model = onnx.load(str(path))
    onnx.save_model(model, str(tmp_path / "ext.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="ext.data", size_threshold=0)
    with pytest.raises(TeacherFileError, match=r"^ext\.onnx: its weights live in other files "
                                               r"\(external data"):
        OnnxTeacher(tmp_path / "ext.onnx")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = export(Net(), tmp_path / "m.onnx", DUMMY["nchw"])
    with pytest.raises(TeacherFileError, match=r"^m\.onnx: \d+ MB, over the limit of 0 MB "
                                               r"here$"):
        OnnxTeacher(path, max_bytes=100)


def test_a_file_that_is_not_onnx_is_refused(tmp_path):
    (tmp_path / "junk.onnx").write_bytes(b"\x80\x04 certainly not a protobuf" * 10)
    with pytest.raises(TeacherFileError, match=r"^junk\.onnx: not an ONNX model"):
        OnnxTeacher(tmp_path / "junk.onnx")


def test_an_input_the_app_cannot_give_is_refused(tmp_path):
    class Colour(torch.nn.Module):
        def forward(self, x):
            return x.mean((2, 3))
    with pytest.raises(TeacherFileError, match=r"^the graph's input is \(n, 3, 8, 8\); this "
                                               r"app gives grey images as"):
        OnnxTeacher(export(Colour(), tmp_path / "rgb.onnx", (2, 3, *SHAPE)))


def test_a_teacher_for_another_image_size_or_class_count_is_refused(tmp_path):
    teacher = OnnxTeacher(export(Net(), tmp_path / "m.onnx", DUMMY["nchw"]))
    with pytest.raises(TeacherFileError, match=r"^the teacher reads 8x8 images; the data "
                                               r"set's are 28x28$"):
        teacher.check_data((28, 28), 3)
    with pytest.raises(TeacherFileError, match=r"^the teacher answers 3 classes; the data set "
                                               r"has 10$"):
        teacher.check_data(SHAPE, 10)


def test_only_onnx_files_are_teachers(tmp_path):
    from distill.config import ConfigError, RunConfig
    (tmp_path / "model.pt").write_bytes(b"pickle")
    with pytest.raises(ConfigError, match=r"model\.pt: the teacher must be an ONNX file "
                                          r"\(\.onnx\); pickles and TorchScript files can run "
                                          r"any code and are never loaded"):
        RunConfig(teacher_file=str(tmp_path / "model.pt")).validate()


def test_a_function_is_a_teacher():
    net = Net()
    teacher = FunctionTeacher(lambda x: torch_logits(net, x), 3)
    teacher.check_data(SHAPE, 3)
    x = images()
    np.testing.assert_allclose(teacher.logits(x), torch_logits(net, x), atol=1e-6)
    bad = FunctionTeacher(lambda x: np.zeros((len(x), 2)), 3, SHAPE, name="wrong")
    with pytest.raises(TeacherFileError, match=r"^the function 'wrong' returned scores of "
                                               r"shape \(12, 2\); expected \(N, 3\)$"):
        bad.logits(x)


def test_occlusion_gives_each_patch_its_drop_in_the_class_logit(tmp_path):
    """The map against a reference computed here by hand: black out one patch, rerun."""
    from distill.explain.saliency import patch_mask, saliency, saliency_maps
    teacher = OnnxTeacher(export(Net(), tmp_path / "m.onnx", DUMMY["nchw"]))
    x = images(3, seed=1) * 0.8 + 0.1
    targets = teacher.predict(x)
    maps = saliency_maps(teacher, x, targets).astype(np.float32)
    mask = patch_mask(SHAPE)
    checked = 0
    for i in range(len(x)):
        base = teacher.logits(x[i:i + 1])[0, targets[i]]
        for patch in np.unique(mask):
            occluded = x[i].copy()
            occluded[mask == patch] = 0.0
            drop = base - teacher.logits(occluded[None])[0, targets[i]]
            assert maps[i][mask == patch].sum() == pytest.approx(drop, abs=2e-3)
            checked += 1
    assert checked == 3 * 64  # 1x1 patches on 8x8 images
    one = saliency(teacher, x[0], int(targets[0]))  # the page's one-digit call: the same map
    np.testing.assert_allclose(one, maps[0], atol=2e-3)
