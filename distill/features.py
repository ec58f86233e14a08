"""Rectangle features: the mean ink of a rectangle of the image.

A tree that splits on these still reads plainly ("mean ink in rows 4-7, columns 10-13 >
0.35") and agrees with the teacher far more often than one that splits on single pixels
(bench/results/fidelity.md): a stroke counts wherever in a rectangle it falls. A single
pixel is a 1x1 rectangle, so the pixel tree and the region tree share one code path, and so
do their explanations.
"""

from __future__ import annotations

import numpy as np

from .parallel import map_rows

BANKS = ("regions", "pixels")


def pixel_rects(h: int, w: int) -> np.ndarray:
    """Every pixel as a rectangle, in row-major order (feature j is pixel j of the flat image)."""
    rows, cols = np.divmod(np.arange(h * w), w)
    return np.stack([rows, cols, rows + 1, cols + 1], 1).astype(np.int32)


def sliding_rects(h: int, w: int, rh: int, rw: int, stride: int) -> list[tuple[int, int, int, int]]:
    """All rh x rw rectangles at the given stride that fit in an h x w image."""
    if rh > h or rw > w:
        return []
    tops = range(0, h - rh + 1, stride)
    lefts = range(0, w - rw + 1, stride)
    return [(t, l, t + rh, l + rw) for t in tops for l in lefts]


def region_rects(h: int, w: int) -> np.ndarray:
    """Squares, bars, whole rows and whole columns (~1,200 rectangles on 28x28).

    Sizes are for 28x28 images; images under 16 pixels a side use the scaled-down bank
    (squares of 1 to 4 at stride 1), where single pixels still matter.
    """
    if min(h, w) < 16:
        shapes = [(1, 1, 1), (2, 2, 1), (3, 3, 1), (4, 4, 1), (1, 4, 1), (4, 1, 1),
                  (2, 6, 2), (6, 2, 2)]
    else:
        shapes = [(2, 2, 2), (4, 4, 2), (6, 6, 2), (8, 8, 2),
                  (2, 8, 2), (8, 2, 2), (4, 14, 2), (14, 4, 2)]
    rects: list[tuple[int, int, int, int]] = []
    for rh, rw, stride in shapes:
        rects += sliding_rects(h, w, rh, rw, stride)
    rects += [(r, 0, r + 1, w) for r in range(h)]  # whole rows
    rects += [(0, c, h, c + 1) for c in range(w)]  # whole columns
    return np.array(list(dict.fromkeys(rects)), dtype=np.int32)


def make_rects(bank: str, image_shape: tuple[int, int]) -> np.ndarray:
    """(F, 4) rectangles [top, left, bottom, right), bottom and right exclusive."""
    h, w = image_shape
    if bank == "pixels":
        return pixel_rects(h, w)
    if bank == "regions":
        return region_rects(h, w)
    raise ValueError(f"unknown feature bank {bank!r}; choose one of: {', '.join(BANKS)}")


def integral_images(images: np.ndarray) -> np.ndarray:
    """(N, H, W) -> (N, H+1, W+1) summed-area tables, so any rectangle's sum is 4 lookups."""
    n, h, w = images.shape
    table = np.zeros((n, h + 1, w + 1), dtype=np.float64)
    np.cumsum(np.cumsum(images, axis=1, dtype=np.float64), axis=2, out=table[:, 1:, 1:])
    return table


def rect_means(images: np.ndarray, rects: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """(N, H, W) images, (F, 4) rects -> (N, F) float32 mean ink of each rectangle.

    float32 because that is what scikit-learn's trees compare against their thresholds.
    """
    images = np.asarray(images, dtype=np.float32)
    rects = np.asarray(rects, dtype=np.int64).reshape(-1, 4)
    t, l, b, r = rects.T
    area = ((b - t) * (r - l)).astype(np.float64)
    w1 = images.shape[2] + 1  # the corners as columns of the flattened tables: gathers of
    corners = [b * w1 + r, t * w1 + r, b * w1 + l, t * w1 + l]  # whole rows, faster than 2-D

    def means(block: np.ndarray) -> np.ndarray:  # (n, H, W) -> (n, F)
        s = integral_images(block).reshape(len(block), -1)
        br, tr, bl, tl = (np.take(s, c, axis=1) for c in corners)
        return ((br - tr - bl + tl) / area).astype(np.float32)

    return map_rows(means, images, block=chunk)


def describe_rect(rect, image_shape: tuple[int, int]) -> str:
    """Plain words for a rectangle: "pixel (row 5, column 12)", "rows 4-7, columns 10-13"."""
    t, l, b, r = (int(v) for v in rect)
    h, w = image_shape
    if b - t == 1 and r - l == 1:
        return f"pixel (row {t}, column {l})"
    rows = f"row {t}" if b - t == 1 else f"rows {t}-{b - 1}"
    cols = f"column {l}" if r - l == 1 else f"columns {l}-{r - 1}"
    if t == 0 and b == h:
        return f"the whole {cols}" if r - l == 1 else f"{cols}, all rows"
    if l == 0 and r == w:
        return f"the whole {rows}" if b - t == 1 else f"{rows}, all columns"
    return f"{rows}, {cols}"
