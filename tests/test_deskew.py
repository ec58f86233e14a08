"""Straightening digits: the measured slant, the sheared image, and the words for it."""

import numpy as np
import pytest

from distill.data import load_dataset
from distill.deskew import deskew, lean_in_words, measure_skew, skew_of


def slanted_bar(slope: float, size: int = 28, centre_col: float = 13.5) -> np.ndarray:
    """A one-pixel-wide stroke whose column moves ``slope`` pixels per row going down."""
    img = np.zeros((size, size), np.float32)
    for r in range(4, size - 4):
        c = centre_col + slope * (r - (size - 1) / 2)
        lo = int(np.floor(c))
        img[r, lo] += 1 - (c - lo)
        img[r, lo + 1] += c - lo
    return img


def test_an_italic_stroke_is_measured_and_stood_upright():
    italic = slanted_bar(-0.4)  # top to the right: "/"
    shear, r0, c0 = measure_skew(italic[None])
    assert shear[0] == pytest.approx(-0.4, abs=0.02)
    assert skew_of(italic).degrees == pytest.approx(np.degrees(np.arctan(0.4)), abs=1.5)
    upright = deskew(italic[None])
    assert abs(measure_skew(upright)[0][0]) < 0.03
    assert abs(measure_skew(slanted_bar(0.0)[None])[0][0]) < 1e-6


def test_ink_is_centred_and_kept():
    off = slanted_bar(0.2, centre_col=9.0)
    out = deskew(off[None])[0]
    _, r0, c0 = measure_skew(out[None])
    assert r0[0] == pytest.approx(13.5, abs=0.3) and c0[0] == pytest.approx(13.5, abs=0.3)
    assert out.sum() == pytest.approx(off.sum(), rel=0.02)


def test_real_digits_come_out_straighter_with_shape_and_type_kept():
    data = load_dataset("mnist5k", max_train=300, max_test=10)
    before = np.abs(measure_skew(data.x_train)[0])
    out = deskew(data.x_train)
    assert out.shape == data.x_train.shape and out.dtype == np.float32
    after = np.abs(measure_skew(out)[0])
    assert after.mean() < 0.2 * before.mean()
    assert out.min() >= 0 and out.max() <= 1.0 + 1e-6
    small = load_dataset("digits", max_train=50, max_test=10).x_train
    assert deskew(small).shape == small.shape


def test_a_blank_image_stays_blank():
    out = deskew(np.zeros((2, 8, 8), np.float32))
    assert np.all(out == 0) and np.isfinite(measure_skew(np.zeros((1, 8, 8)))[0]).all()


def test_lean_in_words():
    assert lean_in_words(12.4) == "12° right"
    assert lean_in_words(-3.6) == "4° left"
    assert lean_in_words(0.3) == "0°"


def test_a_large_set_is_straightened_once_and_handed_out_read_only(rng):
    from distill import deskew as D
    images = rng.random((D.REMEMBER, 12, 12)).astype(np.float32)
    first = D.deskew(images)
    assert D.deskew(images.copy()) is first  # the same pixels: remembered
    assert not first.flags.writeable
    changed = images.copy()
    changed[0, 0, 0] += 0.5
    again = D.deskew(changed)
    assert again is not first and not np.array_equal(again[0], first[0])
    np.testing.assert_array_equal(D.deskew(images[:10]), first[:10])  # small sets: computed
