"""The teacher's view of a digit: which pixels pushed its score for a class up or down.

Integrated gradients (Sundararajan, Taly & Yan 2017) from a black image: the attributions
sum to the class logit of the image minus that of the black image (completeness), so the map
is in the same "evidence" units as the students' maps. Gradient x input is the one-step,
cheaper variant.

A run stores the map of every test digit for the teacher's own answer, computed once when it
is saved (:func:`saliency_maps`), so showing a digit needs no network at all.
"""

from __future__ import annotations

import numpy as np
import torch

from ..progress import Reporter, StopCheck, check_stop, never, silent
from ..teacher import FORMAT

METHODS = ("integrated-gradients", "gradient-x-input")
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


def saliency(teacher, image: np.ndarray, target: int, method: str = "integrated-gradients",
             steps: int = STEPS) -> np.ndarray:
    """(H, W) attribution of the teacher's logit for ``target`` to each pixel of ``image``."""
    if method not in METHODS:
        raise ValueError(f"unknown saliency method {method!r}; choose one of {', '.join(METHODS)}")
    device = teacher.device
    if method == "gradient-x-input":
        alphas = torch.ones(1, device=device)
    else:  # midpoint Riemann sum along the straight line from black to the image
        alphas = (torch.arange(steps, device=device, dtype=torch.float32) + 0.5) / steps
    grads = _path_gradients(teacher, np.asarray(image)[None], np.array([target]), alphas)
    return (np.asarray(image, np.float32) * grads[0].detach().cpu().numpy())


def saliency_maps(teacher, images: np.ndarray, targets: np.ndarray, steps: int = STEPS,
                  progress: Reporter = silent, should_stop: StopCheck = never) -> np.ndarray:
    """Integrated gradients of many digits, a batch at a time: (N, H, W) float16."""
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
