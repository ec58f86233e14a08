"""The teacher's view of a digit: which pixels pushed its score for a class up or down.

Integrated gradients (Sundararajan, Taly & Yan 2017) from a black image: the attributions
sum to the class logit of the image minus that of the black image (completeness), so the map
is in the same "evidence" units as the students' maps. Gradient x input is the one-step,
cheaper variant.
"""

from __future__ import annotations

import numpy as np
import torch

METHODS = ("integrated-gradients", "gradient-x-input")


def saliency(teacher, image: np.ndarray, target: int, method: str = "integrated-gradients",
             steps: int = 32) -> np.ndarray:
    """(H, W) attribution of the teacher's logit for ``target`` to each pixel of ``image``."""
    if method not in METHODS:
        raise ValueError(f"unknown saliency method {method!r}; choose one of {', '.join(METHODS)}")
    net = teacher.net.eval()
    device = teacher.device
    x = torch.as_tensor(np.asarray(image, np.float32), device=device)[None, None]  # (1,1,H,W)
    if method == "gradient-x-input":
        alphas = torch.ones(1, device=device)
    else:  # midpoint Riemann sum along the straight line from black to the image
        alphas = (torch.arange(steps, device=device, dtype=torch.float32) + 0.5) / steps
    path = (alphas[:, None, None, None] * x).requires_grad_(True)  # (S, 1, H, W)
    logits = net(path)[:, target]  # (S,)
    (grads,) = torch.autograd.grad(logits.sum(), path)
    attribution = x[0, 0] * grads.mean(0)[0]  # (H, W)
    return attribution.detach().cpu().numpy()


def logit_gap(teacher, image: np.ndarray, target: int) -> float:
    """logit(image) - logit(black image): what integrated gradients should add up to."""
    x = np.stack([np.asarray(image, np.float32), np.zeros_like(image, np.float32)])
    z = teacher.logits(x)
    return float(z[0, target] - z[1, target])
