"""Transfer sets: synthetic images near the training data, for the teacher to label.

A student can only copy the teacher where it sees the teacher's answers; the train set alone
is small. Sources:
- ``munge``: Bucila, Caruana & Niculescu-Mizil 2006 (MUNGE): each copy swaps every pixel with
  the nearest neighbour's with probability ``p`` and adds noise of |difference| / ``s``.
  Keeps strokes where test digits have them; measured best for trees on 28x28 digits.
- ``jitter``: small random rotations, scalings and shifts (moves strokes off the pixels
  test digits use: hurts single-pixel students on aligned 28x28 digits, helps on 8x8).
- ``mixup``: convex mixtures of two training images (Zhang et al. 2018).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .progress import Reporter, StopCheck, check_stop, never, silent

GENERATORS = ("munge", "jitter", "mixup")


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


def jitter(x: np.ndarray, k: int, rng: np.random.Generator, progress: Reporter = silent,
           should_stop: StopCheck = never) -> np.ndarray:
    """``k`` randomly rotated, scaled and shifted copies of every image."""
    import torch
    from .teacher import random_affine
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


_GENERATE: dict[str, Callable[..., np.ndarray]] = {"munge": munge, "jitter": jitter,
                                                   "mixup": mixup}


def make_transfer_set(x: np.ndarray, kind: str, k: int, seed: int, progress: Reporter = silent,
                      should_stop: StopCheck = never) -> np.ndarray:
    """``k`` synthetic copies of ``x`` by ``kind``; the caller has the teacher label them."""
    if kind not in _GENERATE:
        raise ValueError(f"unknown transfer set {kind!r}; choose one of: {', '.join(GENERATORS)}")
    rng = np.random.default_rng(seed)
    return _GENERATE[kind](x, k, rng, progress=progress, should_stop=should_stop)
