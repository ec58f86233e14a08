"""The teacher's view of a digit: which pixels pushed its score for a class up or down.

Integrated gradients (Sundararajan, Taly & Yan 2017) from a black image: the attributions
sum to the class logit of the image minus that of the black image (completeness), so the map
is in the same "evidence" units as the students' maps. Gradient x input is the one-step,
cheaper variant.

A teacher that only answers (an ONNX file, a function: :mod:`distill.teachers`) has no
gradients: its map is occlusion (Zeiler & Fergus 2014, Captum's FeatureAblation), each patch
of the image blacked out in turn; a pixel gets its patch's drop in the class logit divided
by the patch's pixels, so the map adds up to the sum of the patches' drops.

A run stores the map of every test digit for the teacher's own answer, computed once when it
is saved (:func:`saliency_maps`), so showing a digit needs no network at all.
"""

from __future__ import annotations

import numpy as np
import torch

from ..progress import Reporter, StopCheck, check_stop, never, silent
from ..teacher import FORMAT

METHODS = ("integrated-gradients", "gradient-x-input", "occlusion")
OCCLUSION_BATCH = 512  # occluded images through the network at once
STEPS = 32  # the midpoint rule's steps: close to the integral (bench/results/ui.md)
BATCH = 128  # images through the network at once (digits x steps): larger batches run slower on CPU


def _path_gradients(teacher, images: np.ndarray, targets: np.ndarray,
                    alphas: torch.Tensor) -> torch.Tensor:
    """(N, H, W) images -> (N, H, W) mean gradient of each one's target logit along the
    straight path from black to it, at the given fractions ``alphas`` (S,)."""
    net, device = teacher.inference_net, teacher.device
    x = torch.as_tensor(np.asarray(images, np.float32), device=device)[:, None]  # (N,1,H,W)
    n, s = len(x), len(alphas)
    path = (alphas[None, :, None, None, None] * x[:, None]).reshape(n * s, *x.shape[1:])
    path = path.contiguous(memory_format=FORMAT).requires_grad_(True)  # (N*S, 1, H, W)
    logits = net(path).reshape(n, s, -1)  # (N, S, C)
    chosen = logits.gather(2, torch.as_tensor(targets, device=device)[:, None, None]
                           .expand(n, s, 1))
    (grads,) = torch.autograd.grad(chosen.sum(), path)
    return grads.reshape(n, s, *x.shape[2:]).mean(1)  # (N, H, W)


def method_for(teacher) -> str:
    """The evidence a teacher's map shows: integrated gradients where it has gradients,
    occlusion where it only answers."""
    return "integrated-gradients" if getattr(teacher, "differentiable", True) else "occlusion"


def patch_side(image_shape: tuple[int, int]) -> int:
    """The occluded patches' side: 2 pixels on 28x28 digits, 1 on small images."""
    return max(1, min(image_shape) // 14)


def patch_mask(image_shape: tuple[int, int]) -> np.ndarray:
    """(H, W) int: which patch each pixel belongs to (squares of :func:`patch_side`)."""
    h, w = image_shape
    side = patch_side(image_shape)
    rows, cols = np.arange(h)[:, None] // side, np.arange(w)[None, :] // side
    return (rows * ((w + side - 1) // side) + cols).astype(np.int64)


def occlusion_maps(teacher, images: np.ndarray, targets: np.ndarray,
                   progress: Reporter = silent, should_stop: StopCheck = never) -> np.ndarray:
    """(N, H, W) float32: each patch blacked out in turn; every pixel of a patch gets the
    patch's drop in the target logit divided by its pixel count (Captum's FeatureAblation)."""
    from captum.attr import FeatureAblation

    mask = patch_mask(images.shape[1:])
    sizes = np.bincount(mask.ravel())[mask].astype(np.float32)  # (H, W) pixels per patch

    def forward(x: torch.Tensor) -> torch.Tensor:  # (B, H, W) -> (B, C), no gradients
        return torch.as_tensor(teacher.logits(x.detach().cpu().numpy()))

    ablation = FeatureAblation(forward)
    per_call = max(1, OCCLUSION_BATCH // (int(mask.max()) + 1))
    out = np.zeros(images.shape, np.float32)
    for start in range(0, len(images), per_call):
        check_stop(should_stop)
        chunk = slice(start, start + per_call)
        x = torch.as_tensor(np.asarray(images[chunk], np.float32))
        attr = ablation.attribute(x, baselines=0.0, target=torch.as_tensor(targets[chunk]),
                                  feature_mask=torch.as_tensor(mask)[None].expand_as(x),
                                  perturbations_per_eval=int(mask.max()) + 1)
        out[chunk] = attr.numpy() / sizes
        progress({"stage": "saliency", "fraction": min(0.99, (start + per_call) / len(images))})
    return out


def saliency(teacher, image: np.ndarray, target: int, method: str | None = None,
             steps: int = STEPS) -> np.ndarray:
    """(H, W) attribution of the teacher's logit for ``target`` to each pixel of ``image``
    (by default integrated gradients, or occlusion for a teacher without gradients)."""
    method = method or method_for(teacher)
    if method not in METHODS:
        raise ValueError(f"unknown saliency method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "occlusion":
        return occlusion_maps(teacher, np.asarray(image, np.float32)[None],
                              np.array([target]))[0]
    device = teacher.device
    if method == "gradient-x-input":
        alphas = torch.ones(1, device=device)
    else:  # midpoint Riemann sum along the straight line from black to the image
        alphas = (torch.arange(steps, device=device, dtype=torch.float32) + 0.5) / steps
    grads = _path_gradients(teacher, np.asarray(image)[None], np.array([target]), alphas)
    return (np.asarray(image, np.float32) * grads[0].detach().cpu().numpy())


def saliency_maps(teacher, images: np.ndarray, targets: np.ndarray, steps: int = STEPS,
                  progress: Reporter = silent, should_stop: StopCheck = never) -> np.ndarray:
    """Integrated gradients (or occlusion, for a teacher without gradients) of many digits,
    a batch at a time: (N, H, W) float16."""
    if method_for(teacher) == "occlusion":
        return occlusion_maps(teacher, images, targets, progress,
                              should_stop).astype(np.float16)
    device = teacher.device
    alphas = (torch.arange(steps, device=device, dtype=torch.float32) + 0.5) / steps
    per_batch = max(1, BATCH // steps)
    out = np.zeros(images.shape, np.float16)
    for start in range(0, len(images), per_batch):
        check_stop(should_stop)
        chunk = slice(start, start + per_batch)
        grads = _path_gradients(teacher, images[chunk], targets[chunk], alphas)
        out[chunk] = (images[chunk] * grads.detach().cpu().numpy()).astype(np.float16)
        progress({"stage": "saliency", "fraction": min(0.99, (start + per_batch) / len(images))})
    return out


def logit_gap(teacher, image: np.ndarray, target: int) -> float:
    """logit(image) - logit(black image): what integrated gradients should add up to."""
    x = np.stack([np.asarray(image, np.float32), np.zeros_like(image, np.float32)])
    z = teacher.logits(x)
    return float(z[0, target] - z[1, target])
