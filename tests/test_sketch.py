"""Drawings and uploads become model inputs the way the data sets were made."""

import base64
import io

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy.ndimage import center_of_mass

from distill.data import load_dataset
from distill.sketch import (
    MAX_UPLOAD_BYTES,
    SketchError,
    ink_from_data_uri,
    ink_from_picture,
    ink_from_rgba,
    prepare,
)


def canvas_with(lines, size=280, width=20) -> np.ndarray:
    """A white canvas with dark strokes, as the drawing pad sends it: (H, W, 4)."""
    img = Image.new("RGBA", (size, size), "white")
    draw = ImageDraw.Draw(img)
    for line in lines:
        draw.line(line, fill=(17, 17, 17, 255), width=width, joint="curve")
    return np.asarray(img)


def seven(scale=1.0, dx=0, dy=0):
    def p(x, y):
        return (dx + 140 + (x - 140) * scale, dy + 140 + (y - 140) * scale)
    return [[p(80, 60), p(200, 60), p(120, 230)]]


def test_a_vertical_stroke_lands_centred_and_upright():
    ink = ink_from_rgba(canvas_with([[(200, 30), (200, 250)]]))
    image = prepare(ink, (28, 28)).image
    assert image.shape == (28, 28) and image.dtype == np.float32
    cy, cx = center_of_mass(image)
    assert abs(cy - 13.5) < 0.6 and abs(cx - 13.5) < 0.6
    rows = np.flatnonzero((image > 0.3).any(1))
    cols = np.flatnonzero((image > 0.3).any(0))
    assert rows[-1] - rows[0] + 1 >= 18  # fills the 20-pixel box top to bottom
    assert cols[-1] - cols[0] + 1 <= 5  # and stays a thin upright stroke


@pytest.mark.parametrize("scale, dx, dy", [(0.5, -60, -50), (0.8, 40, 30), (1.0, 0, 0)])
def test_scale_and_position_do_not_change_the_input_beyond_a_pixel(scale, dx, dy):
    ref = prepare(ink_from_rgba(canvas_with(seven(), width=22)), (28, 28)).image
    moved = prepare(ink_from_rgba(canvas_with(seven(scale, dx, dy), width=round(22 * scale))),
                    (28, 28)).image
    assert np.allclose(center_of_mass(ref), center_of_mass(moved), atol=1.0)
    for axis in (0, 1):
        a, b = np.flatnonzero((ref > 0.5).any(axis)), np.flatnonzero((moved > 0.5).any(axis))
        assert abs(a[0] - b[0]) <= 1 and abs(a[-1] - b[-1]) <= 1
    assert np.abs(ref - moved).mean() < 0.05


def test_the_8x8_reduction_matches_the_digits_data():
    image = prepare(ink_from_rgba(canvas_with(seven())), (8, 8)).image
    assert image.shape == (8, 8) and image.min() >= 0 and image.max() <= 1
    assert np.allclose(image * 16, np.round(image * 16))  # counts of 16 pixels, like digits
    assert image[0].sum() > image[-1].sum()  # the bar of the 7 is at the top


def test_an_mnist_digit_survives_the_round_trip_through_a_picture():
    digit = load_dataset("mnist5k").x_test[0]
    big = Image.fromarray((255 * (1 - digit)).astype(np.uint8)).resize((280, 280))
    buf = io.BytesIO()
    big.save(buf, format="PNG")
    image = prepare(ink_from_picture(buf.getvalue()), (28, 28)).image
    assert np.corrcoef(image.ravel(), digit.ravel())[0, 1] > 0.8


def test_white_on_black_pictures_work_too():
    img = Image.new("L", (100, 100), 0)
    ImageDraw.Draw(img).line([(50, 10), (50, 90)], fill=255, width=8)
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    ink = ink_from_picture(buf.getvalue())
    assert ink[50, 50] > 0.8 and ink[5, 5] < 0.2


@pytest.mark.parametrize("lines, words", [
    ([], "canvas is empty"),
    ([[(140, 140), (141, 141)]], "too small"),
])
def test_empty_and_dot_drawings_are_refused_kindly(lines, words):
    with pytest.raises(SketchError, match=words):
        prepare(ink_from_rgba(canvas_with(lines, width=4)), (28, 28))


def test_a_blob_is_read_with_a_warning():
    blob = np.zeros((280, 280), np.float32)
    blob[40:240, 40:240] = 1.0
    sketch = prepare(blob, (28, 28))
    assert sketch.warning and "does not look much like a digit" in sketch.warning


def test_bad_uploads_are_refused_with_reasons():
    with pytest.raises(SketchError, match="could not be read"):
        ink_from_picture(b"this is not an image")
    with pytest.raises(SketchError, match="under 5 MB"):
        ink_from_picture(b"0" * (MAX_UPLOAD_BYTES + 1))
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, format="GIF")
    with pytest.raises(SketchError, match="PNG or JPEG"):
        ink_from_picture(buf.getvalue())
    huge = io.BytesIO()
    Image.new("1", (6000, 6000)).save(huge, format="PNG")  # small file, 36 megapixels
    with pytest.raises(SketchError, match="6000 x 6000 pixels; please upload one under 25"):
        ink_from_picture(huge.getvalue())
    with pytest.raises(SketchError, match="400 megapixels; please upload one under 25"):
        ink_from_picture(png_header(20_000, 20_000))  # refused before a pixel is decoded
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>'
    with pytest.raises(SketchError, match="SVG drawing .* export it as a PNG"):
        ink_from_picture(svg)


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size and holds nothing: what a decompression bomb looks like."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_the_pads_data_uri_reads_like_its_pixels_and_bad_ones_are_refused():
    pixels = canvas_with(seven())
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buf, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    np.testing.assert_allclose(ink_from_data_uri(uri), ink_from_rgba(pixels), atol=1e-6)
    jpeg = io.BytesIO()
    Image.fromarray(pixels[..., :3]).save(jpeg, format="JPEG")
    for bad, words in (
            ("data:text/plain;base64,aGk=", "the drawing did not arrive as a PNG"),
            ("data:image/png;base64,not base64!", "the drawing could not be read"),
            ("data:image/png;base64," + base64.b64encode(b"not a png").decode(),
             "that file could not be read as a picture"),
            ("data:image/png;base64," + base64.b64encode(jpeg.getvalue()).decode(),
             "that is a JPEG file; please upload PNG$"),
            ("data:image/png;base64," + "A" * (MAX_UPLOAD_BYTES * 2),
             "the drawing is too large")):
        with pytest.raises(SketchError, match=words):
            ink_from_data_uri(bad)
