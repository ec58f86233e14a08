"""Pictures as small SVG documents, as ``data:`` URIs for the dashboard's ``st.image`` and
for the self-contained report (:mod:`distill.report`).

Explore redraws its pictures on every click, and every viewer's click costs the server CPU,
so a picture is made as cheaply as it can be: a map of pixels is a PNG at its own size (28 x
28 pixels, a few hundred bytes) inside an SVG that the browser scales up with crisp pixels;
rectangles, numbers, bars and labels are SVG elements, drawn by the browser in its own
fonts. No picture is kept on the server or fetched over HTTP: the page embeds it.
"""

from __future__ import annotations

import base64
import io
from html import escape

import numpy as np
from PIL import Image

RED = np.array([178, 24, 43], float)
BLUE = np.array([33, 102, 172], float)
WHITE = np.array([255, 255, 255], float)
NAVY = np.array([8, 48, 107], float)
MORE_INK = "#ff7f0e"  # orange: the digit had more ink than the threshold
LESS_INK = "#1f77b4"  # blue: less ink
HIGHLIGHT = "#d62728"
TEACHER = "#4c4c4c"
FONT = 'font-family="Helvetica, Arial, sans-serif"'


# --------------------------------------------------------------------------------------
# maps of pixels: (H, W) values -> (H, W, 3) uint8 colours, at their own size


def ink_pixels(image: np.ndarray) -> np.ndarray:
    """A digit as dark ink on white: (H, W) uint8 grey."""
    return np.rint(255 * (1 - np.clip(image, 0, 1))).astype(np.uint8)


def diverging_pixels(values: np.ndarray, zmax: float | None = None) -> np.ndarray:
    """Blue below zero, white at zero, red above; symmetric around 0 up to ``zmax``."""
    m = zmax or float(np.abs(values).max()) or 1.0
    v = np.clip(values / m, -1, 1)[..., None]
    return np.where(v > 0, WHITE + (RED - WHITE) * v, WHITE + (BLUE - WHITE) * (-v)).astype(
        np.uint8)


def sequential_pixels(values: np.ndarray, lo: float | None = None,
                      hi: float | None = None) -> np.ndarray:
    """White (low) to dark blue (high)."""
    lo = float(values.min()) if lo is None else lo
    hi = float(values.max()) if hi is None else hi
    v = np.clip((values - lo) / ((hi - lo) or 1.0), 0, 1)[..., None]
    return (WHITE + (NAVY - WHITE) * v).astype(np.uint8)


def ink_rgb(image: np.ndarray) -> np.ndarray:
    """The digit's ink as (H, W, 3), to sit among colour maps."""
    return np.repeat(ink_pixels(image)[..., None], 3, axis=2)


def png_uri(pixels: np.ndarray) -> str:
    """(H, W) grey or (H, W, 3) RGB uint8 pixels as a PNG ``data:`` URI, at their own size."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8)).save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _pixels(pixels: np.ndarray, x: float = 0, y: float = 0) -> str:
    """An <image> of a pixel map, one user unit a pixel, drawn with crisp pixels."""
    h, w = pixels.shape[:2]
    return (f'<image x="{x}" y="{y}" width="{w}" height="{h}" href="{png_uri(pixels)}" '
            'preserveAspectRatio="none" style="image-rendering:pixelated"/>')


def _svg(width: float, height: float, body: str, scale: float = 1.0) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * scale:g}" '
            f'height="{height * scale:g}" viewBox="0 0 {width:g} {height:g}" {FONT}>{body}</svg>')


def picture(pixels: np.ndarray, scale: int = 8) -> str:
    """A map of pixels as a ``data:`` URI, shown ``scale`` times its size."""
    h, w = pixels.shape[:2]
    return svg_uri(_svg(w, h, _pixels(pixels), scale))


def ink(image: np.ndarray, scale: int = 8) -> str:
    return picture(ink_pixels(image), scale)


def diverging(values: np.ndarray, scale: int = 8, zmax: float | None = None) -> str:
    return picture(diverging_pixels(values, zmax), scale)


# --------------------------------------------------------------------------------------
# drawings


def with_regions(image: np.ndarray, overlay: list[dict], scale: int = 14) -> str:
    """The digit with each split's rectangle outlined and numbered in path order."""
    h, w = image.shape
    unit = max(h, w) / 28  # lines and labels the same size on the screen for 8x8 and 28x28
    parts = [_pixels(ink_pixels(image))]
    label, pen, inset = 1.1 * unit, 0.14 * unit, 0.06 * unit
    for o in overlay:
        t, l, b, r = o["region"]
        colour = MORE_INK if o["more_ink"] else LESS_INK
        parts.append(f'<rect x="{l + inset:.3f}" y="{t + inset:.3f}" '
                     f'width="{r - l - 2 * inset:.3f}" height="{b - t - 2 * inset:.3f}" '
                     f'fill="{colour}" fill-opacity="0.18" stroke="{colour}" '
                     f'stroke-width="{pen:.3f}"/>')
        text = str(o["order"])
        parts.append(f'<rect x="{l}" y="{t}" width="{(0.25 + 0.62 * len(text)) * label:.3f}" '
                     f'height="{label:.3f}" fill="{colour}"/>')
        parts.append(f'<text x="{l + 0.12 * unit:.3f}" y="{t + 0.9 * label:.3f}" '
                     f'font-size="{label:.3f}" font-weight="bold" fill="white">{text}</text>')
    return svg_uri(_svg(w, h, "".join(parts), scale))


def grid(tiles: list[np.ndarray], labels: list[str], columns: int = 5,
         bold: set[int] | None = None, scale: int = 4, pad: int = 6) -> str:
    """Small multiples: maps of pixels with a label (one or more lines) above each."""
    h, w = tiles[0].shape[:2]
    tw, th = w * scale, h * scale
    lines = max(label.count("\n") + 1 for label in labels)
    head = 4 + 15 * lines
    rows = -(-len(tiles) // columns)
    width, height = columns * (tw + pad) - pad, rows * (th + head + pad) - pad + 2  # frames
    parts = []
    for i, (tile, label) in enumerate(zip(tiles, labels)):
        x, y = (i % columns) * (tw + pad), (i // columns) * (th + head + pad)
        marked = bool(bold) and i in bold
        colour = HIGHLIGHT if marked else "#3c3c3c"
        for k, line in enumerate(label.split("\n")):
            parts.append(f'<text x="{x + tw / 2}" y="{y + 13 + 15 * k}" font-size="13" '
                         f'font-weight="bold" text-anchor="middle" fill="{colour}">'
                         f'{escape(line)}</text>')
        parts.append(f'<g transform="translate({x},{y + head}) scale({scale})">'
                     f'{_pixels(tile)}</g>')
        if marked:
            parts.append(f'<rect x="{x - 1}" y="{y + head - 1}" width="{tw + 2}" '
                         f'height="{th + 2}" fill="none" stroke="{HIGHLIGHT}" '
                         'stroke-width="2"/>')
    return svg_uri(_svg(width, height, "".join(parts)))


def tree_of_tiles(levels: list[list[tuple[np.ndarray, str]]], scale: int = 2,
                  pad: int = 10) -> str:
    """Maps of pixels laid out as a binary tree, level by level (level k has 2**k tiles,
    heap order), each centred over the tiles below it, with its label (lines) above it."""
    h, w = levels[0][0][0].shape[:2]
    tw, th = w * scale, h * scale
    slot = tw + pad
    slots = 2 ** (len(levels) - 1)
    lines = max(label.count("\n") + 1 for level in levels for _, label in level)
    head = 4 + 13 * lines
    row = th + head + 2 * pad
    width, height = slots * slot, len(levels) * row
    parts = []
    for k, level in enumerate(levels):
        span = width / 2 ** k  # each node of this level is centred in its share of the width
        for i, (tile, label) in enumerate(level):
            cx, y = (i + 0.5) * span, k * row
            if k:  # a line up to the parent
                parts.append(f'<line x1="{cx}" y1="{y}" x2="{(i // 2 + 0.5) * 2 * span}" '
                             f'y2="{y - 2 * pad + 4}" stroke="#bbb" stroke-width="1"/>')
            for j, line in enumerate(label.split("\n")):
                parts.append(f'<text x="{cx}" y="{y + 11 + 13 * j}" font-size="11" '
                             f'text-anchor="middle" fill="#3c3c3c">{escape(line)}</text>')
            parts.append(f'<g transform="translate({cx - tw / 2},{y + head}) scale({scale})">'
                         f'{_pixels(tile)}</g>')
    return svg_uri(_svg(width, height, "".join(parts)))


def proba_bars(series: list[tuple[str, np.ndarray, str]], names: list[str],
               width: int = 520, height: int = 170) -> str:
    """Grouped probability bars per class, with a legend: [(label, probs, colour), ...]."""
    return svg_uri(_svg(width, height, _bars(series, names, width, height)))


def digit_card(image: np.ndarray, evidence: np.ndarray | None, captions: tuple[str, str],
               series: list[tuple[str, np.ndarray, str]], names: list[str],
               width: int = 520) -> str:
    """One picture for a digit: the digit and the teacher's evidence side by side (the digit
    alone when there is no teacher), each with its caption, and the models' probabilities
    below (one element for the page to send)."""
    side = (width - 20) / 2
    parts = []
    panels = [(ink_pixels(image), captions[0])]
    if evidence is not None:
        panels.append((diverging_pixels(evidence), captions[1]))
    for k, (pixels, caption) in enumerate(panels):
        x = k * (side + 20)
        h, w = pixels.shape[:2]
        parts.append(f'<g transform="translate({x},0) scale({side / w})">{_pixels(pixels)}</g>')
        parts.append(f'<text x="{x + side / 2}" y="{side + 16}" font-size="12" '
                     f'text-anchor="middle" fill="#787878">{escape(caption)}</text>')
    top = side + 28
    parts.append(f'<g transform="translate(0,{top})">{_bars(series, names, width, 170)}</g>')
    return svg_uri(_svg(width, top + 170, "".join(parts)))


def _bars(series: list[tuple[str, np.ndarray, str]], names: list[str], width: int,
          height: int) -> str:
    top, bottom, left = 26, height - 20, 34
    slot = (width - left - 6) / len(names)
    bar = slot * 0.8 / len(series)
    parts = []
    for frac in (0.0, 0.5, 1.0):
        y = bottom - frac * (bottom - top)
        parts.append(f'<line x1="{left}" y1="{y}" x2="{width - 6}" y2="{y}" stroke="#e6e6e6"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 3}" font-size="10" text-anchor="end" '
                     f'fill="#787878">{frac:.0%}</text>')
    for k, (label, probs, colour) in enumerate(series):
        for c, p in enumerate(probs):
            x0 = left + c * slot + slot * 0.1 + k * bar
            y0 = bottom - float(p) * (bottom - top)
            parts.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{bar - 1:.1f}" '
                         f'height="{bottom - y0:.1f}" fill="{colour}"/>')
            if p >= 0.15:
                parts.append(f'<text x="{x0 + bar / 2:.1f}" y="{y0 - 2:.1f}" font-size="10" '
                             f'text-anchor="middle" fill="{colour}">{p:.0%}</text>')
        lx = width - 6 - (len(series) - k) * 150
        parts.append(f'<rect x="{lx}" y="6" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 14}" y="15" font-size="12" fill="#3c3c3c">'
                     f'{escape(label)}</text>')
    for c, name in enumerate(names):
        parts.append(f'<text x="{left + (c + 0.5) * slot:.1f}" y="{bottom + 14}" font-size="12" '
                     f'text-anchor="middle" fill="#3c3c3c">{escape(str(name)[:10])}</text>')
    return "".join(parts)
