"""Turn a drawing or an uploaded picture into the image the models expect.

MNIST digits were made by cropping each digit to its ink, scaling it to fit a 20 x 20 box
(keeping its aspect ratio) and centring its centre of mass in a 28 x 28 image (LeCun et
al.). scikit-learn's 8 x 8 ``digits`` come from 32 x 32 bitmaps whose 4 x 4 blocks were
counted. A drawing is put through the same steps, so that a digit drawn anywhere, at any
size, reaches the models as they were trained to see digits.

Bad input raises :class:`SketchError` with a message for the person who drew it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import numpy as np

MAX_UPLOAD_BYTES = 5 * 2**20
MAX_PIXELS = 25_000_000  # a larger picture is refused before it is decoded
INK_LEVEL = 0.2  # a pixel is ink above this (0 = background, 1 = full ink)


class SketchError(ValueError):
    """A picture that cannot be turned into a digit, with what to do about it."""


@dataclass
class Sketch:
    image: np.ndarray  # (H, W) float32 in [0, 1], as the models see it
    warning: str | None = None  # shown beside the predictions, nothing refused


def ink_from_rgba(rgba: np.ndarray) -> np.ndarray:
    """Canvas pixels (H, W, 4) of dark strokes on a transparent or white ground -> ink [0, 1]."""
    rgba = np.asarray(rgba, dtype=np.float32) / 255.0
    grey = rgba[..., :3].mean(-1)
    alpha = rgba[..., 3] if rgba.shape[-1] == 4 else np.ones(grey.shape, np.float32)
    return np.clip(alpha * (1.0 - grey), 0.0, 1.0)


def _open_picture(data: bytes, formats: tuple[str, ...], mode: str) -> np.ndarray:
    """Bytes of a picture -> pixels in ``mode``, bounded in file size and pixel count before
    anything is decoded; every failure is a SketchError that says what to do."""
    from PIL import Image, UnidentifiedImageError
    if len(data) > MAX_UPLOAD_BYTES:
        raise SketchError(f"that file is {len(data) / 2**20:.1f} MB; please upload a picture "
                          f"under {MAX_UPLOAD_BYTES // 2**20} MB (a crop of the digit is best)")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
        raise SketchError("that is an SVG drawing (lines, not pixels); please export it as a "
                          "PNG, or upload a PNG or JPEG photo of the digit")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise SketchError(f"that picture is {img.width} x {img.height} pixels; please "
                                  "upload one under 25 megapixels (a crop of the digit is best)")
            if img.format not in formats:
                raise SketchError(f"that is a {img.format} file; please upload "
                                  f"{' or '.join(formats)}")
            return np.asarray(img.convert(mode))
    except SketchError:
        raise
    except Image.DecompressionBombError as err:
        pixels = re.search(r"\((\d+) pixels\)", str(err))
        size = f"{int(pixels.group(1)) / 1e6:,.0f} megapixels" if pixels else "too many pixels"
        raise SketchError(f"that picture has {size}; please upload one under "
                          f"{MAX_PIXELS // 1_000_000} megapixels (a crop of the digit is best)"
                          ) from err
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise SketchError("that file could not be read as a picture; please upload a PNG or "
                          "JPEG of a digit") from err


def ink_from_picture(data: bytes) -> np.ndarray:
    """An uploaded PNG or JPEG -> ink in [0, 1], whichever way round its colours are."""
    grey = _open_picture(data, ("PNG", "JPEG"), "L").astype(np.float32) / 255.0
    # the background is the colour of the border; ink is whatever differs from it
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return 1.0 - grey if np.median(border) > 0.5 else grey


def ink_from_data_uri(uri: str) -> np.ndarray:
    """The drawing pad's ``data:image/png;base64,...`` -> ink in [0, 1]. It comes from the
    browser, so it gets the same bounds as an upload."""
    import base64
    import binascii
    head, _, payload = uri.partition(",")
    if not head.startswith("data:image/png;base64"):
        raise SketchError("the drawing did not arrive as a PNG; please draw again")
    if len(payload) > MAX_UPLOAD_BYTES * 4 // 3 + 4:
        raise SketchError("the drawing is too large; please clear it and draw again")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as err:
        raise SketchError("the drawing could not be read; please draw again") from err
    return ink_from_rgba(_open_picture(data, ("PNG",), "RGBA"))


def _resize(ink: np.ndarray, height: int, width: int) -> np.ndarray:
    from PIL import Image
    img = Image.fromarray((np.clip(ink, 0, 1) * 255).astype(np.uint8))
    return np.asarray(img.resize((width, height), Image.Resampling.LANCZOS),
                      dtype=np.float32) / 255.0


def _crop_to_ink(ink: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero((ink > INK_LEVEL).any(1))
    cols = np.flatnonzero((ink > INK_LEVEL).any(0))
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _fit(ink: np.ndarray, box: int) -> np.ndarray:
    """Scale so the longer side is ``box`` pixels, keeping the aspect ratio."""
    h, w = ink.shape
    scale = box / max(h, w)
    return _resize(ink, max(1, round(h * scale)), max(1, round(w * scale)))


def _check(ink: np.ndarray) -> str | None:
    """Refuse what cannot be a digit; return a warning for what looks unlike one."""
    inked = ink > INK_LEVEL
    if not inked.any():
        raise SketchError("the canvas is empty: draw a digit, or upload a picture of one")
    rows, cols = np.flatnonzero(inked.any(1)), np.flatnonzero(inked.any(0))
    extent = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    if extent < 0.08 * max(ink.shape) or inked.sum() < 12:
        raise SketchError("that is too small to read: draw the digit larger, filling most of "
                          "the square")
    box = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] > INK_LEVEL
    if box.mean() > 0.6:
        return ("this does not look much like a digit (it is mostly ink); the models will "
                "still say what they see")
    return None


def mnist_style(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink, fit a 20 x 20 box, centre the centre of mass in 28 x 28."""
    from scipy.ndimage import center_of_mass, shift
    digit = _fit(_crop_to_ink(ink), 20)
    canvas = np.zeros((28, 28), np.float32)
    h, w = digit.shape
    top, left = (28 - h) // 2, (28 - w) // 2
    canvas[top:top + h, left:left + w] = digit
    cy, cx = center_of_mass(canvas)
    moved = shift(canvas, (13.5 - cy, 13.5 - cx), order=1, mode="constant")
    return np.clip(moved, 0, 1).astype(np.float32)


def digits_style(ink: np.ndarray) -> np.ndarray:
    """The ``digits`` reduction: fit 32 x 32, binarise, count each 4 x 4 block (0..16)/16."""
    digit = _fit(_crop_to_ink(ink), 32) > 0.5
    canvas = np.zeros((32, 32), bool)
    h, w = digit.shape
    top, left = (32 - h) // 2, (32 - w) // 2
    canvas[top:top + h, left:left + w] = digit
    return canvas.reshape(8, 4, 8, 4).sum((1, 3)).astype(np.float32) / 16.0


def as_drawn(ink: np.ndarray, image_shape: tuple[int, int]) -> np.ndarray:
    """The pad's ink read pixel for pixel at the model's size: each model pixel is the mean of
    its block of the canvas, nothing cropped or centred. For a digit put on the pad to be
    edited, so that an untouched digit reads back as itself."""
    from PIL import Image
    h, w = image_shape
    img = Image.fromarray(np.asarray(ink, np.float32), mode="F")
    return np.clip(np.asarray(img.resize((w, h), Image.Resampling.BOX), np.float32), 0, 1)


def prepare(ink: np.ndarray, image_shape: tuple[int, int]) -> Sketch:
    """Ink (H, W) in [0, 1] at any size -> the model input for ``image_shape`` images."""
    warning = _check(np.asarray(ink, np.float32))
    if tuple(image_shape) == (28, 28):
        return Sketch(mnist_style(ink), warning)
    if tuple(image_shape) == (8, 8):
        return Sketch(digits_style(ink), warning)
    raise SketchError(f"drawing is supported for 28 x 28 and 8 x 8 images, not "
                      f"{image_shape[0]} x {image_shape[1]}")
