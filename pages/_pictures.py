"""Pictures as plain RGB arrays: digits, explanation maps, region overlays, small multiples.

Drawn with numpy and Pillow rather than plotly because the Explore page redraws them on
every click: a PNG of a 28 x 28 map costs about a millisecond to make and to show, a plotly
heatmap with shapes tens of milliseconds on the server and more in the browser.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

RED = np.array([178, 24, 43], float)
BLUE = np.array([33, 102, 172], float)
WHITE = np.array([255, 255, 255], float)
MORE_INK = (255, 127, 14)  # orange: the digit had more ink than the threshold
LESS_INK = (31, 119, 180)  # blue: less ink
HIGHLIGHT = (214, 39, 40)
TEACHER = (76, 76, 76)


def _font(size: int):
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf", size)
    except OSError:
        return ImageFont.load_default(size)


def upscale(rgb: np.ndarray, scale: int) -> np.ndarray:
    """Whole-pixel enlargement (no blur): (H, W, 3) -> (H*s, W*s, 3)."""
    return np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)


def ink(image: np.ndarray, scale: int = 8) -> np.ndarray:
    """A digit as dark ink on white."""
    grey = 255 * (1 - np.clip(image, 0, 1))
    return upscale(np.repeat(grey[..., None], 3, axis=2).astype(np.uint8), scale)


def diverging(values: np.ndarray, scale: int = 8, zmax: float | None = None) -> np.ndarray:
    """Blue below zero, white at zero, red above; symmetric around 0 up to ``zmax``."""
    m = zmax or float(np.abs(values).max()) or 1.0
    v = np.clip(values / m, -1, 1)[..., None]
    rgb = np.where(v > 0, WHITE + (RED - WHITE) * v, WHITE + (BLUE - WHITE) * (-v))
    return upscale(rgb.astype(np.uint8), scale)


def sequential(values: np.ndarray, scale: int = 8, lo: float | None = None,
               hi: float | None = None) -> np.ndarray:
    """White (low) to dark blue (high)."""
    lo = float(values.min()) if lo is None else lo
    hi = float(values.max()) if hi is None else hi
    v = np.clip((values - lo) / ((hi - lo) or 1.0), 0, 1)[..., None]
    rgb = WHITE + (np.array([8, 48, 107], float) - WHITE) * v
    return upscale(rgb.astype(np.uint8), scale)


def with_regions(image: np.ndarray, overlay: list[dict], scale: int = 14) -> np.ndarray:
    """The digit with each split's rectangle outlined and numbered in path order."""
    canvas = Image.fromarray(ink(image, scale))
    tint = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(tint)
    font = _font(max(10, scale - 2))
    for o in overlay:
        t, l, b, r = o["region"]
        colour = MORE_INK if o["more_ink"] else LESS_INK
        box = [l * scale, t * scale, r * scale - 1, b * scale - 1]
        draw.rectangle(box, fill=colour + (45,), outline=colour + (255,), width=2)
        label = str(o["order"])
        w = draw.textlength(label, font=font)
        draw.rectangle([box[0], box[1], box[0] + w + 4, box[1] + scale], fill=colour + (255,))
        draw.text((box[0] + 2, box[1]), label, fill=(255, 255, 255, 255), font=font)
    return np.asarray(Image.alpha_composite(canvas.convert("RGBA"), tint).convert("RGB"))


def grid(tiles: list[np.ndarray], labels: list[str], columns: int = 5,
         bold: set[int] | None = None, pad: int = 6) -> np.ndarray:
    """Small multiples: equally sized RGB tiles with a label (one or more lines) above each."""
    h, w = tiles[0].shape[:2]
    rows = -(-len(tiles) // columns)
    head = 4 + 15 * max(label.count("\n") + 1 for label in labels)
    out = Image.new("RGB", (columns * (w + pad) - pad, rows * (h + head + pad) - pad), "white")
    draw = ImageDraw.Draw(out)
    for i, (tile, label) in enumerate(zip(tiles, labels)):
        x, y = (i % columns) * (w + pad), (i // columns) * (h + head + pad)
        out.paste(Image.fromarray(tile), (x, y + head))
        marked = bold and i in bold
        draw.multiline_text((x + w / 2, y + 2), label, anchor="ma", align="center",
                            font=_font(13), spacing=2,
                            fill=HIGHLIGHT if marked else (60, 60, 60))
        if marked:
            draw.rectangle([x - 2, y + head - 2, x + w + 1, y + head + h + 1], outline=HIGHLIGHT,
                           width=2)
    return np.asarray(out)


def proba_bars(series: list[tuple[str, np.ndarray, tuple]], names: list[str],
               width: int = 520, height: int = 170) -> np.ndarray:
    """Grouped probability bars per class, with a legend: [(label, probs, rgb), ...]."""
    out = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(out)
    font, small = _font(12), _font(10)
    top, bottom, left = 26, height - 20, 34
    plot_w = width - left - 6
    slot = plot_w / len(names)
    bar = slot * 0.8 / len(series)
    for frac in (0.0, 0.5, 1.0):
        y = bottom - frac * (bottom - top)
        draw.line([left, y, width - 6, y], fill=(230, 230, 230))
        draw.text((left - 4, y), f"{frac:.0%}", anchor="rm", font=small, fill=(120, 120, 120))
    for k, (label, probs, colour) in enumerate(series):
        for c, p in enumerate(probs):
            x0 = left + c * slot + slot * 0.1 + k * bar
            y0 = bottom - float(p) * (bottom - top)
            draw.rectangle([x0, y0, x0 + bar - 1, bottom], fill=colour)
            if p >= 0.15:
                draw.text((x0 + bar / 2, y0 - 1), f"{p:.0%}", anchor="mb", font=small,
                          fill=colour)
        lx = width - 6 - (len(series) - k) * 150
        draw.rectangle([lx, 6, lx + 10, 16], fill=colour)
        draw.text((lx + 14, 11), label, anchor="lm", font=font, fill=(60, 60, 60))
    for c, name in enumerate(names):
        draw.text((left + (c + 0.5) * slot, bottom + 3), str(name)[:10], anchor="mt", font=font,
                  fill=(60, 60, 60))
    return np.asarray(out)
