"""Random affine jitter of image batches: the teacher's augmentation, and one transfer set.

Written with ``affine_grid`` rather than torchvision's ``v2.RandomAffine`` because v2 draws one
transform per call, and a per-image call is an order of magnitude slower an epoch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_affine(x: torch.Tensor, gen: torch.Generator, degrees: float = 12.0,
                  scale: float = 0.12, shift: float = 0.12, mirror: bool = False
                  ) -> torch.Tensor:
    """Jitter each image of a (B, 1, H, W) batch by its own rotation, scale and shift; with
    ``mirror``, also flip half of them left to right (for pictures whose mirror image is the
    same class; never for digits). Resampling blurs a little: right for strokes."""
    b = x.shape[0]

    def uniform() -> torch.Tensor:  # (B,) in U(-1, 1)
        return torch.rand(b, generator=gen, device=gen.device) * 2 - 1

    angle = uniform() * math.radians(degrees)
    s = 1 + uniform() * scale
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack([torch.stack([cos, -sin, uniform() * 2 * shift], 1),
                         torch.stack([sin, cos, uniform() * 2 * shift], 1)], 1)  # (B, 2, 3)
    if mirror:  # the input's x is the output's -x: negate the x column
        flip = torch.where(uniform() < 0, -1.0, 1.0)  # (B,)
        theta = theta * torch.stack([flip, torch.ones_like(flip), torch.ones_like(flip)],
                                    1)[:, None, :]
    grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


def shift_and_mirror(x: torch.Tensor, gen: torch.Generator, pixels: int = 2) -> torch.Tensor:
    """Move each image of a (B, 1, H, W) batch by up to ``pixels`` whole pixels each way and
    flip half of them left to right. Every output pixel is an input pixel (no resampling), so
    fine texture such as the weave of cloth stays sharp."""
    b, _, h, w = x.shape

    def whole() -> torch.Tensor:  # (B,) whole-pixel offsets in [-pixels, pixels]
        return torch.randint(-pixels, pixels + 1, (b,), generator=gen, device=gen.device)

    flip = torch.where(torch.rand(b, generator=gen, device=gen.device) < 0.5, -1.0, 1.0)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1] = flip, 1.0
    theta[:, 0, 2], theta[:, 1, 2] = whole() * 2.0 / w, whole() * 2.0 / h  # one pixel is 2 / size
    grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", align_corners=False, padding_mode="zeros")


# the teacher's augmentation, by the name a data set gives (DatasetInfo.jitter)
JITTERS = {"affine": random_affine, "shift-mirror": shift_and_mirror}
