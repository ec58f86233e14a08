"""Teachers made elsewhere: a network in an ONNX file (any framework made it), or a Python
function (a notebook's model). Both only answer: images (N, H, W) in [0, 1] in, class
scores out. Everything a run does with a teacher needs only answers, except the teacher's
evidence map, which for these comes from occlusion (:mod:`distill.explain.saliency`).

An ONNX file is checked before anything runs it: one file (no external weights), within a
size limit, loadable by onnxruntime; its input layout is worked out from the graph, and its
output is the one float (N, classes) tensor (or the one named). Nothing is unpickled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_ONNX_BYTES = 200 * 1024 ** 2  # a small image classifier is a few MB
BATCH = 256  # images per onnxruntime call
INPUT_SCALES = ("0-1", "0-255")  # or "MEAN,STD": (x - MEAN) / STD on pixels in [0, 1]
LAYOUTS = {"nchw": "(N, 1, H, W)", "nhwc": "(N, H, W, 1)", "nhw": "(N, H, W)",
           "flat": "(N, H*W)"}


class TeacherFileError(ValueError):
    """A teacher file this app will not run, with the reason in words."""


def parse_input(text: str | None) -> tuple[float, float]:
    """The pixel preprocessing a network was trained with, as (shift, scale): the network is
    given (x - shift) / scale for pixels x in [0, 1]. "0-1": as they are; "0-255": bytes;
    "MEAN,STD": normalised (MEAN and STD on the 0-1 scale, as torchvision's Normalize)."""
    text = (text or "0-1").strip()
    if text == "0-1":
        return 0.0, 1.0
    if text == "0-255":
        return 0.0, 1.0 / 255.0
    try:
        mean, std = (float(v) for v in text.split(","))
    except ValueError:
        raise TeacherFileError(f"teacher input {text!r}: give 0-1, 0-255 or MEAN,STD "
                               "(e.g. 0.1307,0.3081)") from None
    if std <= 0:
        raise TeacherFileError(f"teacher input {text!r}: the standard deviation must be "
                               "positive")
    return mean, std


def to_logits(scores: np.ndarray) -> np.ndarray:
    """Scores as logits: rows that are probability distributions become their logs (softmax
    of the result gives them back); anything else is taken as logits already."""
    scores = np.asarray(scores, np.float64)
    if is_probabilities(scores):
        return np.log(np.clip(scores, 1e-12, None)).astype(np.float32)
    return scores.astype(np.float32)


def is_probabilities(scores: np.ndarray) -> bool:
    return bool(len(scores) and np.all(scores >= -1e-6) and np.all(scores <= 1 + 1e-6)
                and np.allclose(scores.sum(1), 1.0, atol=1e-3))


class AnswersOnly:
    """What a teacher that only answers offers, on top of :meth:`logits`: probabilities at a
    temperature and top classes, as the trained :class:`distill.teacher.Teacher` does."""

    differentiable = False  # its evidence comes from occlusion, not gradients
    image_shape: tuple[int, int]
    n_classes: int

    def logits(self, images: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict_proba(self, images: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        from scipy.special import softmax
        return softmax(self.logits(images) / temperature, axis=1).astype(np.float32)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.logits(images).argmax(1)

    def check_data(self, image_shape: tuple[int, int], n_classes: int) -> None:
        """Refuse a data set this teacher cannot read, before anything is trained."""
        if tuple(image_shape) != tuple(self.image_shape):
            raise TeacherFileError(f"the teacher reads {self.image_shape[0]}x"
                                   f"{self.image_shape[1]} images; the data set's are "
                                   f"{image_shape[0]}x{image_shape[1]}")
        if n_classes != self.n_classes:
            raise TeacherFileError(f"the teacher answers {self.n_classes} classes; the data "
                                   f"set has {n_classes}")


# --------------------------------------------------------------------------------------
# ONNX


@dataclass(frozen=True)
class OnnxInfo:
    """What the graph says of its input and output."""

    input_name: str
    layout: str  # a key of LAYOUTS
    image_shape: tuple[int, int] | None  # None when the graph leaves H and W open
    input_type: str  # "tensor(float)" or "tensor(double)"
    output_name: str
    n_classes: int | None  # None when the graph leaves it open
    fixed_batch: int | None  # a batch size the graph insists on


class OnnxTeacher(AnswersOnly):
    """A network in an ONNX file, run by onnxruntime on the CPU (and CUDA where present)."""

    kind = "onnx"

    def __init__(self, path: str | Path, input_scale: str = "0-1", output: str | None = None,
                 image_shape: tuple[int, int] | None = None, n_classes: int | None = None,
                 max_bytes: int = MAX_ONNX_BYTES):
        self.path = Path(path).expanduser()
        self.input_scale = input_scale or "0-1"
        self.shift, self.scale = parse_input(self.input_scale)
        self.session = open_session(self.path, max_bytes)
        self.info = describe(self.session, output, image_shape)
        self.image_shape = tuple(image_shape or self.info.image_shape or ())
        if len(self.image_shape) != 2:
            raise TeacherFileError(f"{self.path.name}: the graph leaves the image size open; "
                                   "it is taken from the data set when there is one")
        self.n_classes = n_classes or self.info.n_classes or self._count_classes()
        self.sha256 = file_sha256(self.path)

    @property
    def name(self) -> str:
        return self.path.name

    def _count_classes(self) -> int:
        return int(self._run(np.zeros((1, *self.image_shape), np.float32)).shape[1])

    def _feed(self, images: np.ndarray) -> np.ndarray:
        """(N, H, W) in [0, 1] -> the graph's input layout and preprocessing."""
        x = (np.asarray(images, np.float32) - self.shift) / self.scale
        n, (h, w) = len(x), self.image_shape
        x = {"nchw": lambda: x[:, None], "nhwc": lambda: x[..., None], "nhw": lambda: x,
             "flat": lambda: x.reshape(n, h * w)}[self.info.layout]()
        dtype = np.float64 if self.info.input_type == "tensor(double)" else np.float32
        return np.ascontiguousarray(x, dtype)

    def _run(self, images: np.ndarray) -> np.ndarray:
        step = self.info.fixed_batch or BATCH
        out = []
        for start in range(0, len(images), step):
            feed = {self.info.input_name: self._feed(images[start:start + step])}
            (scores,) = self.session.run([self.info.output_name], feed)
            scores = np.asarray(scores)
            if scores.ndim != 2:
                raise TeacherFileError(f"{self.path.name}: output {self.info.output_name!r} "
                                       f"has shape {scores.shape}; a classifier's is (N, "
                                       "classes)")
            out.append(scores)
        return np.concatenate(out) if out else np.zeros((0, self.n_classes), np.float32)

    def logits(self, images: np.ndarray) -> np.ndarray:
        """(N, H, W) images -> (N, C) logits (log-probabilities for a graph that ends in a
        softmax)."""
        if len(images) and tuple(np.shape(images)[1:]) != tuple(self.image_shape):
            raise TeacherFileError(f"images of {np.shape(images)[1:]} for a teacher that reads "
                                   f"{self.image_shape}")
        return to_logits(self._run(images))

    def entry(self) -> dict:
        """The teacher's part of metrics.json."""
        return {"name": self.path.name, "arch": "onnx", "kind": "onnx", "file": "teacher.onnx",
                "sha256": self.sha256, "input": self.input_scale,
                "output": self.info.output_name, "layout": self.info.layout,
                "parameters": onnx_parameters(self.path), "evidence": "occlusion",
                "image_shape": list(self.image_shape), "n_classes": self.n_classes}


def keep_teacher_file(data: bytes, name: str, max_bytes: int = MAX_ONNX_BYTES) -> Path:
    """An uploaded network kept where its training job finds it (the runs folder's
    ``teachers/``, named by content, written atomically), checked first: a refused file is
    never kept."""
    import os
    import tempfile

    from .places import teachers_dir
    stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in Path(name).stem)[:60]
    target = teachers_dir() / f"{hashlib.sha256(data).hexdigest()[:16]}-{stem}.onnx"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".", suffix=".onnx",
                                     delete=False) as tmp:
        tmp.write(data)
    try:
        open_session(Path(tmp.name), max_bytes)
        os.replace(tmp.name, target)
    finally:
        Path(tmp.name).unlink(missing_ok=True)
    return target


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def open_session(path: Path, max_bytes: int = MAX_ONNX_BYTES):
    """An onnxruntime session for a checked file: one file, within ``max_bytes``, loadable."""
    import onnx
    import onnxruntime as ort
    if not path.is_file():
        raise TeacherFileError(f"{path.name}: no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise TeacherFileError(f"{path.name}: {size / 1024 ** 2:,.0f} MB, over the limit of "
                               f"{max_bytes / 1024 ** 2:,.0f} MB here")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as err:  # onnx raises DecodeError, ValueError and others
        raise TeacherFileError(f"{path.name}: not an ONNX model ({_first_line(err)})") from None
    external = [t.name for t in _tensors(model)
                if t.data_location == onnx.TensorProto.EXTERNAL]
    if external:
        raise TeacherFileError(f"{path.name}: its weights live in other files (external data, "
                               f"e.g. {external[0]!r}); save the model as one file")
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider")
                 if p in ort.get_available_providers()]
    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initialisers are not the user's
    try:
        return ort.InferenceSession(model.SerializeToString(), options, providers=providers)
    except Exception as err:  # onnxruntime's errors are of its own types
        raise TeacherFileError(f"{path.name}: onnxruntime cannot run it "
                               f"({_first_line(err)})") from None


def _tensors(model):
    yield from model.graph.initializer
    for node in model.graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t


def onnx_parameters(path: Path) -> int:
    import onnx
    model = onnx.load(str(path), load_external_data=False)
    return int(sum(np.prod(t.dims) for t in model.graph.initializer))


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:160] if text else type(err).__name__


def _dim(d) -> int | None:
    return d if isinstance(d, int) and d > 0 else None


def describe(session, output: str | None, image_shape: tuple[int, int] | None) -> OnnxInfo:
    """The graph's input layout and its class-score output, or why it fits none."""
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise TeacherFileError(f"the graph has {len(inputs)} inputs "
                               f"({', '.join(i.name for i in inputs)}); a classifier of "
                               "images has one")
    (inp,) = inputs
    if inp.type not in ("tensor(float)", "tensor(double)"):
        raise TeacherFileError(f"input {inp.name!r} is {inp.type}; this app gives float "
                               "pixels")
    layout, shape = _layout(inp.shape, image_shape)
    outputs = [o for o in session.get_outputs()
               if o.type in ("tensor(float)", "tensor(double)") and len(o.shape) == 2]
    if output is not None:
        chosen = [o for o in session.get_outputs() if o.name == output]
        if not chosen:
            raise TeacherFileError(f"no output named {output!r}; the graph's outputs: "
                                   f"{', '.join(o.name for o in session.get_outputs())}")
        outputs = chosen
    if len(outputs) != 1:
        found = ", ".join(o.name for o in outputs) or "none"
        raise TeacherFileError(f"{len(outputs)} float (N, classes) outputs ({found}); name "
                               "the class scores with --teacher-output NAME")
    return OnnxInfo(inp.name, layout, shape, inp.type, outputs[0].name,
                    _dim(outputs[0].shape[1]), _dim(inp.shape[0]))


def _layout(dims: list, image_shape: tuple[int, int] | None
            ) -> tuple[str, tuple[int, int] | None]:
    """Which of LAYOUTS an input shape is, and the image size it fixes (if any)."""
    d = [_dim(x) for x in dims]
    want = tuple(image_shape) if image_shape else None
    candidates = []
    if len(d) == 4 and d[1] == 1:
        candidates.append(("nchw", (d[2], d[3])))
    if len(d) == 4 and d[3] == 1:
        candidates.append(("nhwc", (d[1], d[2])))
    if len(d) == 3:
        candidates.append(("nhw", (d[1], d[2])))
    if len(d) == 2:
        side = int(round(np.sqrt(d[1]))) if d[1] else None
        flat = want or ((side, side) if side and side * side == d[1] else (None, None))
        if d[1] is None or flat[0] is None or flat[0] * flat[1] == d[1]:
            candidates.append(("flat", flat))
    for layout, (h, w) in candidates:
        known = (h, w) if h and w else None
        if want is None or known is None or known == want:
            return layout, known or want
    shown = "(" + ", ".join(str(x) if x else "?" for x in dims) + ")"
    if candidates and want:
        raise TeacherFileError(f"the graph's input is {shown}, for images of another size "
                               f"than the data set's {want[0]}x{want[1]}")
    raise TeacherFileError(f"the graph's input is {shown}; this app gives grey images as "
                           f"{', '.join(LAYOUTS.values())}")


# --------------------------------------------------------------------------------------
# a Python function


class FunctionTeacher(AnswersOnly):
    """Any callable from float32 images (N, H, W) in [0, 1] to (N, classes) scores (logits
    or probabilities): a notebook's model. It cannot be saved with a run; a run keeps its
    answers and its evidence maps, made while it is trained."""

    kind = "function"

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], classes: int | list[str],
                 image_shape: tuple[int, int] | None = None, name: str | None = None):
        self.fn = fn
        self.class_names = list(classes) if not isinstance(classes, int) else None
        self.n_classes = classes if isinstance(classes, int) else len(classes)
        self.image_shape = tuple(image_shape) if image_shape else ()
        self.name = name or getattr(fn, "__name__", "function")

    def check_data(self, image_shape: tuple[int, int], n_classes: int) -> None:
        if not self.image_shape:
            self.image_shape = tuple(image_shape)
        super().check_data(image_shape, n_classes)

    def logits(self, images: np.ndarray) -> np.ndarray:
        out = []
        for start in range(0, len(images), BATCH):
            scores = np.asarray(self.fn(np.asarray(images[start:start + BATCH], np.float32)))
            if scores.shape != (len(images[start:start + BATCH]), self.n_classes):
                raise TeacherFileError(f"the function {self.name!r} returned scores of shape "
                                       f"{scores.shape}; expected (N, {self.n_classes})")
            out.append(scores)
        return to_logits(np.concatenate(out)) if out else np.zeros((0, self.n_classes),
                                                                    np.float32)

    def entry(self) -> dict:
        return {"name": self.name, "arch": "function", "kind": "function",
                "parameters": 0, "evidence": "occlusion",
                "image_shape": list(self.image_shape), "n_classes": self.n_classes}
