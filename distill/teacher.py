"""Train a teacher network with a plain loop, and use it: logits, probabilities, saving.

The loop reports progress through a callback of plain dicts and stops when asked, so it
runs the same under the CLI, a dashboard worker and a test.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .augment import JITTERS
from .config import TeacherConfig
from .nets import build_net, count_parameters, default_device
from .optim import Adam
from .progress import Clock, Reporter, StopCheck, check_stop, never, silent


@dataclass
class History:
    """Curves for plotting: per-batch training loss/accuracy and per-epoch test accuracy."""

    step: list[float] = field(default_factory=list)  # fractional epoch of each logged batch
    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0


# channels-last convolutions: measured faster for inference and training on the
# CPU than the default layout (bench/results/speed.md), no harm on CUDA
FORMAT = torch.channels_last
# images per inference batch: small enough that a batch's activations stay in the CPU's
# caches (measured against 1,024 in bench/results/speed.md)
INFERENCE_BATCH = 256


class Teacher:
    """A trained network with numpy-in, numpy-out prediction."""

    def __init__(self, net: torch.nn.Module, arch: str, image_shape: tuple[int, int],
                 n_classes: int):
        self.net = net.to(memory_format=FORMAT).eval()
        self.arch = arch
        self.image_shape = tuple(image_shape)
        self.n_classes = n_classes
        self._folded: tuple[tuple, torch.nn.Module] | None = None  # (weights' versions, net)

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    @property
    def n_parameters(self) -> int:
        return count_parameters(self.net)

    @property
    def inference_net(self) -> torch.nn.Module:
        """The net for predictions and saliency: the same function with each batch norm folded
        into the convolution before it (one pass over the data less); ``net`` stays as
        trained, for saving. Refolded whenever training has changed a weight or statistic."""
        version = tuple((id(t), t._version) for t in (*self.net.parameters(),
                                                      *self.net.buffers()))
        if self._folded is None or self._folded[0] != version:
            net = fold_batch_norms(copy.deepcopy(self.net).eval())
            self._folded = version, net.requires_grad_(False)  # saliency: input gradients only
        return self._folded[1]

    @torch.no_grad()
    def logits(self, images: np.ndarray, batch_size: int = INFERENCE_BATCH) -> np.ndarray:
        """(N, H, W) images -> (N, C) logits."""
        net = self.inference_net
        out = [net(to_tensor(images[i:i + batch_size], self.device)).float().cpu()
               for i in range(0, len(images), batch_size)]
        return torch.cat(out).numpy() if out else np.zeros((0, self.n_classes), np.float32)

    def predict_proba(self, images: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """(N, C) float32 class probabilities, softened by ``temperature``."""
        from scipy.special import softmax
        return softmax(self.logits(images) / temperature, axis=1).astype(np.float32)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.logits(images).argmax(1)

    def save(self, path: Path) -> None:
        torch.save({k: v.cpu() for k, v in self.net.state_dict().items()}, path)

    @staticmethod
    def from_onnx(path: str | Path, input_scale: str = "0-1", output: str | None = None):
        """Your own network from an ONNX file (:class:`distill.teachers.OnnxTeacher`):
        ``input_scale`` "0-1", "0-255" or "MEAN,STD"; ``output``: the class scores' name."""
        from .teachers import OnnxTeacher
        return OnnxTeacher(path, input_scale, output)

    @staticmethod
    def from_function(fn, classes, image_shape: tuple[int, int] | None = None):
        """Any callable from float32 images (N, H, W) in [0, 1] to (N, classes) scores
        (:class:`distill.teachers.FunctionTeacher`); ``classes``: a count or the names."""
        from .teachers import FunctionTeacher
        return FunctionTeacher(fn, classes, image_shape)

    @classmethod
    def load(cls, path: Path, arch: str, image_shape, n_classes: int,
             device: torch.device | None = None) -> Teacher:
        net = build_net(arch, image_shape, n_classes)
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(state)
        return cls(net.to(device or default_device()), arch, image_shape, n_classes)


def export_onnx(teacher: Teacher, path: str | Path) -> Path:
    """The trained network as one ONNX file that any runtime reads: input ``image``
    (N, 1, H, W) float32 pixels in [0, 1], output ``logits`` (N, classes), any batch size.
    Imported back (distill.teachers.OnnxTeacher) it gives the same answers."""
    import warnings
    path = Path(path)
    net = copy.deepcopy(teacher.inference_net).cpu().float().eval()
    dummy = torch.zeros(2, 1, *teacher.image_shape)
    with warnings.catch_warnings():  # the TorchScript-based exporter: one file, no onnxscript
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (dummy,), str(path), input_names=["image"],
                          output_names=["logits"], dynamic_axes={"image": {0: "batch"},
                                                                 "logits": {0: "batch"}},
                          dynamo=False)
    return path


def fold_batch_norms(net: torch.nn.Module) -> torch.nn.Module:
    """Fold every eval-mode BatchNorm2d that directly follows a Conv2d in a Sequential into
    that convolution, in place; returns ``net``."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    for seq in [m for m in net.modules() if isinstance(m, torch.nn.Sequential)]:
        for i in range(len(seq) - 1):
            if isinstance(seq[i], torch.nn.Conv2d) and isinstance(seq[i + 1],
                                                                  torch.nn.BatchNorm2d):
                seq[i] = fuse_conv_bn_eval(seq[i], seq[i + 1])
                seq[i + 1] = torch.nn.Identity()
    return net


def to_tensor(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """(N, H, W) numpy -> (N, 1, H, W) float tensor on ``device``, in the networks' memory
    format."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).unsqueeze(1).to(device)
    return x.contiguous(memory_format=FORMAT)


def one_cycle(step: int, total: int, warmup: float = 0.25, floor: float = 0.04) -> float:
    """Learning-rate factor: linear warm-up from ``floor`` to 1, then cosine down to ~0.

    Written out (not OneCycleLR) because it must also work for runs of a handful of steps.
    """
    warm = max(1, int(warmup * total))
    if step < warm:
        return floor + (1 - floor) * step / warm
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))


def train_teacher(cfg: TeacherConfig, x_train: np.ndarray, y_train: np.ndarray,
                  x_test: np.ndarray | None = None, y_test: np.ndarray | None = None,
                  n_classes: int | None = None, progress: Reporter = silent,
                  should_stop: StopCheck = never, device: torch.device | None = None,
                  jitter: str = "affine") -> tuple[Teacher, History]:
    """Train ``cfg.arch`` on (N, H, W) images; report every few batches; stop when asked.
    ``jitter``: the augmentation (a name of :data:`distill.augment.JITTERS`; the data set's
    choice)."""
    cfg.validate()
    augment = JITTERS[jitter]
    device = device or default_device()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator(device="cpu").manual_seed(cfg.seed)
    n_classes = n_classes or int(y_train.max()) + 1
    image_shape = tuple(x_train.shape[1:])
    net = build_net(cfg.arch, image_shape, n_classes).to(device)

    fmt = FORMAT
    net = net.to(memory_format=fmt)
    x = to_tensor(x_train, device)  # (N, 1, H, W)
    y = torch.as_tensor(y_train, dtype=torch.long, device=device)
    steps_per_epoch = math.ceil(len(x) / cfg.batch_size)
    total_steps = cfg.epochs * steps_per_epoch
    opt = Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, decoupled=True)
    teacher = Teacher(net, cfg.arch, image_shape, n_classes)
    history, clock = History(), Clock()
    log_every = max(1, steps_per_epoch // 10)
    for epoch in range(cfg.epochs):
        net.train()
        order = torch.randperm(len(x), generator=gen).to(device)
        for b in range(steps_per_epoch):
            check_stop(should_stop)
            idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            xb, yb = x[idx], y[idx]
            if cfg.augment:
                xb = augment(xb, gen)
            logits = net(xb.contiguous(memory_format=fmt))  # (B, C)
            loss = F.cross_entropy(logits, yb, label_smoothing=cfg.label_smoothing)
            opt.zero_grad()
            loss.backward()
            opt.lr = cfg.lr * one_cycle(epoch * steps_per_epoch + b, total_steps)
            opt.step()
            if b % log_every == 0 or b == steps_per_epoch - 1:
                done = (epoch * steps_per_epoch + b + 1) / total_steps
                acc = (logits.argmax(1) == yb).float().mean().item()
                history.step.append(epoch + (b + 1) / steps_per_epoch)
                history.loss.append(loss.item())
                history.train_accuracy.append(acc)
                progress({"stage": "teacher", "fraction": done, "epoch": epoch + 1,
                          "epochs": cfg.epochs, "batch": b + 1, "batches": steps_per_epoch,
                          "loss": loss.item(), "accuracy": acc, "elapsed": clock.elapsed(),
                          "eta": clock.eta(done)})
        if x_test is not None and y_test is not None:
            test_acc = float((teacher.predict(x_test) == y_test).mean())
            history.epoch.append(epoch + 1)
            history.test_accuracy.append(test_acc)
            progress({"stage": "teacher", "fraction": (epoch + 1) / cfg.epochs,
                      "epoch": epoch + 1, "epochs": cfg.epochs, "test_accuracy": test_acc,
                      "elapsed": clock.elapsed(), "eta": clock.eta((epoch + 1) / cfg.epochs)})
    history.seconds = clock.elapsed()
    net.eval()
    return teacher, history
