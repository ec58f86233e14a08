"""Straightening digits before a student reads them (deskewing, LeCun et al. 1998).

A slanted 7 and an upright 7 put their ink on different pixels, so a filter over pixels has
to learn every slant. Deskewing shears each image so that its ink's principal axis is
vertical and moves its centre of ink to the middle: two numbers a digit (the shear and the
shift) measured from the digit's own ink, so the straightened image is easy to show beside
the original. It lifts the soft tree's agreement with the teacher on 28x28 digits (three
seeds in bench/results/fidelity.md).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import numpy as np

from .parallel import map_rows

MAX_SHEAR = 1.0  # |column shift per row|; 45 degrees, beyond any real slant


@dataclass(frozen=True)
class Skew:
    """How one image is straightened: source column = column + shear * (row - centre)."""

    shear: float  # columns of slant per row of height; positive leans right going down
    row: float  # centre of ink, in pixels
    col: float

    @property
    def degrees(self) -> float:
        """The digit's slant before straightening, in degrees from vertical (positive: its
        top leaned right, as in italics)."""
        return float(np.degrees(np.arctan(-self.shear)))


def measure_skew(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, H, W) -> shear, centre row, centre column of each image's ink, each (N,).

    The shear is cov(row, col) / var(row) of the ink; an image without ink is left as it is.
    """
    x = np.asarray(images, np.float64)
    n, h, w = x.shape
    rows = np.arange(h, dtype=np.float64)
    cols = np.arange(w, dtype=np.float64)
    by_row = x.sum(2)  # (N, H) ink per row: every moment but the cross one needs only this
    mass = by_row.sum(1)
    ink = mass > 1e-9
    safe = np.where(ink, mass, 1.0)
    r0 = by_row @ rows / safe
    c0 = x.sum(1) @ cols / safe
    dr = rows[None, :] - r0[:, None]  # (N, H)
    var_r = (by_row * dr ** 2).sum(1) / safe
    across = x @ cols - c0[:, None] * by_row  # (N, H): sum over columns of ink x (col - c0)
    cov = (dr * across).sum(1) / safe
    shear = np.where(ink & (var_r > 1e-9), cov / np.maximum(var_r, 1e-9), 0.0)
    centre_r, centre_c = (h - 1) / 2, (w - 1) / 2
    return (np.clip(shear, -MAX_SHEAR, MAX_SHEAR), np.where(ink, r0, centre_r),
            np.where(ink, c0, centre_c))


_LAST: dict = {}  # the last large set straightened: its digest and result
_LAST_LOCK = threading.Lock()
REMEMBER = 1000  # images: sets at least this large are remembered (one set)


def deskew(images: np.ndarray) -> np.ndarray:
    """(N, H, W) -> (N, H, W) float32: each image sheared upright with its ink centred.

    Output pixel (r, c) reads the input at (r + r0 - rc, c + c0 - cc + shear * (r - rc))
    by bilinear interpolation, zero outside (rc, cc: the image centre). A run fits several
    students on one large transfer set; each straightens it as it reads it, so the last large
    set's result is remembered (keyed by a digest of its pixels) and handed out read-only.
    """
    x = np.asarray(images, np.float32)
    if len(x) < REMEMBER:
        return _deskew(x)
    digest = (x.shape, hashlib.blake2b(np.ascontiguousarray(x).data, digest_size=16).digest())
    with _LAST_LOCK:
        if _LAST.get("digest") == digest:
            return _LAST["result"]
    result = _deskew(x)
    result.flags.writeable = False
    with _LAST_LOCK:
        _LAST.update(digest=digest, result=result)
    return result


def _deskew(x: np.ndarray) -> np.ndarray:
    return map_rows(_deskew_block, x, block=2048)


def _deskew_block(x: np.ndarray) -> np.ndarray:
    n, h, w = x.shape
    shear, r0, c0 = measure_skew(x)
    rc, cc = (h - 1) / 2, (w - 1) / 2
    rows = np.arange(h, dtype=np.float32)[None, :, None]
    cols = np.arange(w, dtype=np.float32)[None, None, :]
    src_r = np.broadcast_to(rows + (r0 - rc).astype(np.float32)[:, None, None], (n, h, w))
    src_c = (cols + (c0 - cc).astype(np.float32)[:, None, None]
             + shear.astype(np.float32)[:, None, None] * (rows - rc))  # (N, H, W)
    return _bilinear(x, src_r, src_c)


def skew_of(image: np.ndarray) -> Skew:
    """The straightening of one (H, W) image, for showing it."""
    shear, r0, c0 = measure_skew(np.asarray(image)[None])
    return Skew(float(shear[0]), float(r0[0]), float(c0[0]))


def lean_in_words(degrees: float) -> str:
    """A slant for people: "12° right", "3° left", "0°"."""
    shown = round(abs(degrees))
    return f"{shown}°" + ("" if shown == 0 else " right" if degrees > 0 else " left")


def _bilinear(x: np.ndarray, src_r: np.ndarray, src_c: np.ndarray) -> np.ndarray:
    """Sample (N, H, W) images at fractional (N, H, W) coordinates; zero outside."""
    from scipy.ndimage import map_coordinates
    n = np.broadcast_to(np.arange(len(x), dtype=np.float32)[:, None, None], src_r.shape)
    return map_coordinates(x, np.stack([n, src_r, src_c]), order=1, mode="constant",
                           cval=0.0, prefilter=False).astype(np.float32)


def deskew_matrix(image: np.ndarray):
    """The straightening of ``image`` as a linear map (a sparse P x P matrix, P = H * W): for
    the shear and centre measured on ``image``, straightened pixels = M @ pixels. It is exact
    for ``image`` itself and for any image straightened with the same shear and centre, which
    is what makes a soft tree's path linear in the pixels
    (:mod:`distill.explain.counterfactual`)."""
    from scipy import sparse
    image = np.asarray(image, np.float32)
    h, w = image.shape
    shear, r0, c0 = (float(v[0]) for v in measure_skew(image[None]))
    rc, cc = (h - 1) / 2, (w - 1) / 2
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32),
                             indexing="ij")
    src_r = (rows + np.float32(r0 - rc)).ravel().astype(np.float64)
    src_c = (cols + np.float32(c0 - cc) + np.float32(shear) * (rows - np.float32(rc))).ravel(
        ).astype(np.float64)
    inside = (src_r >= 0) & (src_r <= h - 1) & (src_c >= 0) & (src_c <= w - 1)
    out, ins, weights = [], [], []
    r_lo = np.floor(src_r).astype(int)
    c_lo = np.floor(src_c).astype(int)
    fr, fc = src_r - r_lo, src_c - c_lo
    for dr, dc, wt in ((0, 0, (1 - fr) * (1 - fc)), (0, 1, (1 - fr) * fc),
                       (1, 0, fr * (1 - fc)), (1, 1, fr * fc)):
        rr, cc_ = r_lo + dr, c_lo + dc
        ok = inside & (wt > 0) & (rr < h) & (cc_ < w)
        out.append(np.flatnonzero(ok))
        ins.append(rr[ok] * w + cc_[ok])
        weights.append(wt[ok])
    return sparse.csr_matrix((np.concatenate(weights), (np.concatenate(out),
                                                        np.concatenate(ins))), shape=(h * w,) * 2)
