"""Transfer sets: synthetic images near the training data, for the teacher to label.

A student can only copy the teacher where it sees the teacher's answers; the train set alone
is small. Sources:
- ``munge``: Bucila, Caruana & Niculescu-Mizil 2006 (MUNGE): each copy swaps every pixel with
  the nearest neighbour's with probability ``p`` and adds noise of |difference| / ``s``.
- ``elastic``: Simard, Steinkraus & Platt 2003: each pixel moves along a smooth random
  displacement field by at most ``alpha`` pixels. Strokes bend and thicken locally but stay
  where test digits have them: measured best here for trees (bench/results/fidelity.md).
- ``jitter``: small random rotations, scalings and shifts (moves strokes off the pixels
  test digits use: hurts single-pixel students on aligned 28x28 digits, helps on 8x8).
- ``mixup``: convex mixtures of two training images (Zhang et al. 2018).
- ``shift-mirror``: whole-pixel shifts and left-right mirror images, no resampling (pictures
  such as clothes, whose class survives a mirror and whose texture a resampling would blur).

Which suit a data set is the data set's own fact (:attr:`DatasetInfo.transfer_sets`, measured
in bench/results/gain.md); ``auto`` names them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .progress import Reporter, StopCheck, check_stop, never, silent

GENERATORS = ("elastic", "munge", "jitter", "mixup", "shift-mirror")
AUTO = "auto"  # the data set's own suitable generators (DatasetInfo.transfer_sets)
DEFAULT_TRANSFER = AUTO


def nearest_neighbours(x: np.ndarray) -> np.ndarray:
    """Index of each image's nearest other image (Euclidean, on flattened pixels)."""
    from sklearn.neighbors import NearestNeighbors
    flat = x.reshape(len(x), -1)
    nn = NearestNeighbors(n_neighbors=2).fit(flat)
    idx = nn.kneighbors(flat, return_distance=False)  # (N, 2): itself, then its neighbour
    self_first = idx[:, 0] == np.arange(len(x))
    return np.where(self_first, idx[:, 1], idx[:, 0])


def munge_copy(x: np.ndarray, partner: np.ndarray, rng: np.random.Generator,
               p: float = 0.5, s: float = 5.0) -> np.ndarray:
    """One MUNGE pass: swap pixels with the partner's with probability ``p``, then add noise."""
    swap = rng.random(x.shape) < p
    base = np.where(swap, partner, x)
    sd = np.abs(x - partner) / s
    return np.clip(base + rng.normal(size=x.shape) * sd, 0.0, 1.0).astype(np.float32)


def munge(x: np.ndarray, k: int, rng: np.random.Generator, p: float = 0.5, s: float = 5.0,
          progress: Reporter = silent, should_stop: StopCheck = never) -> np.ndarray:
    """``k`` MUNGE copies of every image: (k * N, H, W)."""
    partner = x[nearest_neighbours(x)]
    out = []
    for i in range(k):
        check_stop(should_stop)
        out.append(munge_copy(x, partner, rng, p, s))
        progress({"stage": "transfer", "fraction": (i + 1) / k})
    return np.concatenate(out) if out else x[:0]


def elastic_copy(x: np.ndarray, rng: np.random.Generator, alpha: float = 2.0,
                 sigma: float = 3.0) -> np.ndarray:
    """One elastic distortion of each (N, H, W) image: a displacement field, smoothed by a
    Gaussian of ``sigma`` pixels and scaled so its largest move is ``alpha`` pixels."""
    import torch
    import torch.nn.functional as F
    from scipy.ndimage import gaussian_filter
    n, h, w = x.shape
    field = gaussian_filter(rng.uniform(-1, 1, (2, n, h, w)), (0, 0, sigma, sigma))  # (2,N,H,W)
    field *= alpha / (np.abs(field).max(axis=(2, 3), keepdims=True) + 1e-9)
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    gx = (cols + field[0]) / (w - 1) * 2 - 1  # grid_sample wants x, y in [-1, 1]
    gy = (rows + field[1]) / (h - 1) * 2 - 1
    grid = torch.as_tensor(np.stack([gx, gy], -1), dtype=torch.float32)  # (N, H, W, 2)
    images = torch.as_tensor(x, dtype=torch.float32)[:, None]  # (N, 1, H, W)
    return F.grid_sample(images, grid, align_corners=True)[:, 0].numpy()


def elastic(x: np.ndarray, k: int, rng: np.random.Generator, alpha: float = 2.0,
            sigma: float = 3.0, progress: Reporter = silent,
            should_stop: StopCheck = never) -> np.ndarray:
    """``k`` elastic distortions of every image: (k * N, H, W)."""
    if min(x.shape[1:]) < 16:  # 8x8 digits: a 2-pixel move is a quarter of the image
        alpha, sigma = alpha / 2, sigma / 2
    out = []
    for i in range(k):
        check_stop(should_stop)
        out.append(elastic_copy(x, rng, alpha, sigma))
        progress({"stage": "transfer", "fraction": (i + 1) / k})
    return np.concatenate(out).astype(np.float32) if out else x[:0]


def jitter(x: np.ndarray, k: int, rng: np.random.Generator, progress: Reporter = silent,
           should_stop: StopCheck = never) -> np.ndarray:
    """``k`` randomly rotated, scaled and shifted copies of every image."""
    import torch

    from .augment import random_affine
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    t = torch.as_tensor(x, dtype=torch.float32).unsqueeze(1)
    out = []
    for i in range(k):
        check_stop(should_stop)
        out.append(random_affine(t, gen, degrees=10, scale=0.1, shift=0.08)[:, 0].numpy())
        progress({"stage": "transfer", "fraction": (i + 1) / k})
    return np.concatenate(out) if out else x[:0]


def mixup(x: np.ndarray, k: int, rng: np.random.Generator, alpha: float = 0.4,
          progress: Reporter = silent, should_stop: StopCheck = never) -> np.ndarray:
    """``k`` mixtures per image with a random partner, weights from Beta(alpha, alpha)."""
    out = []
    for i in range(k):
        check_stop(should_stop)
        lam = rng.beta(alpha, alpha, size=(len(x), 1, 1)).astype(np.float32)
        partner = x[rng.permutation(len(x))]
        out.append(lam * x + (1 - lam) * partner)
        progress({"stage": "transfer", "fraction": (i + 1) / k})
    return np.concatenate(out).astype(np.float32) if out else x[:0]


def shift_mirror(x: np.ndarray, k: int, rng: np.random.Generator, progress: Reporter = silent,
                 should_stop: StopCheck = never) -> np.ndarray:
    """``k`` copies of every image, each moved by up to 2 whole pixels and mirrored half the
    time (the clothes teacher's own augmentation, :func:`distill.augment.shift_and_mirror`)."""
    import torch

    from .augment import shift_and_mirror
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    t = torch.as_tensor(x, dtype=torch.float32).unsqueeze(1)  # (N, 1, H, W)
    out = []
    for i in range(k):
        check_stop(should_stop)
        out.append(shift_and_mirror(t, gen)[:, 0].numpy())
        progress({"stage": "transfer", "fraction": (i + 1) / k})
    return np.concatenate(out) if out else x[:0]


DRAWS_ON_OTHERS = ("munge", "mixup")  # a copy takes from another image: a neighbour, a blend

_GENERATE: dict[str, Callable[..., np.ndarray]] = {"elastic": elastic, "munge": munge,
                                                   "jitter": jitter, "mixup": mixup,
                                                   "shift-mirror": shift_mirror}


def make_transfer_set(x: np.ndarray, kind: str, k: int, seed: int, progress: Reporter = silent,
                      should_stop: StopCheck = never) -> np.ndarray:
    """``k`` synthetic copies of ``x`` by ``kind``; the caller has the teacher label them."""
    if kind not in _GENERATE:
        raise ValueError(f"unknown transfer set {kind!r}; choose one of: {', '.join(GENERATORS)}")
    rng = np.random.default_rng(seed)
    return _GENERATE[kind](x, k, rng, progress=progress, should_stop=should_stop)
