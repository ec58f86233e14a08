import numpy as np
import pytest

from distill.features import describe_rect, make_rects, pixel_rects, rect_means, region_rects


def test_rect_means_equal_the_mean_of_the_pixels(rng):
    images = rng.random((5, 28, 28)).astype(np.float32)
    rects = region_rects(28, 28)
    values = rect_means(images, rects)
    for j in rng.choice(len(rects), 50, replace=False):
        t, l, b, r = rects[j]
        np.testing.assert_allclose(values[:, j], images[:, t:b, l:r].mean(axis=(1, 2)), atol=1e-6)


def test_pixel_bank_is_the_flattened_image(rng):
    images = rng.random((3, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(rect_means(images, pixel_rects(8, 8)), images.reshape(3, -1))


@pytest.mark.parametrize("shape", [(28, 28), (8, 8)])
def test_region_bank_is_unique_in_bounds_and_readable(shape):
    rects = make_rects("regions", shape)
    h, w = shape
    assert len({tuple(r) for r in rects}) == len(rects)
    assert (rects[:, 0] >= 0).all() and (rects[:, 2] <= h).all() and (rects[:, 3] <= w).all()
    assert (rects[:, 2] > rects[:, 0]).all() and (rects[:, 3] > rects[:, 1]).all()
    if shape == (28, 28):
        assert 1000 <= len(rects) <= 1500
        sizes = {(b - t, r - l) for t, l, b, r in rects}
        assert {(2, 2), (8, 8), (2, 8), (8, 2), (4, 14), (14, 4), (1, 28), (28, 1)} <= sizes


def test_unknown_bank_is_refused():
    with pytest.raises(ValueError, match="regions"):
        make_rects("haar", (28, 28))


def test_rects_read_plainly():
    assert describe_rect((4, 10, 8, 14), (28, 28)) == "rows 4-7, columns 10-13"
    assert describe_rect((5, 12, 6, 13), (28, 28)) == "pixel (row 5, column 12)"
    assert describe_rect((3, 0, 4, 28), (28, 28)) == "the whole row 3"
    assert describe_rect((0, 7, 28, 8), (28, 28)) == "the whole column 7"
