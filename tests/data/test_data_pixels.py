"""uint8 <-> [-1, 1] float conversion: exact round trip, clipping, no wrap-around."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scratchgan.data import to_float, to_uint8


def every_pixel_value():
    """All 256 values laid out as one (1, 16, 16) image."""
    return np.arange(256, dtype=np.uint8).reshape(1, 16, 16)


def test_to_float_range_shape_dtype():
    images = np.array([[[0, 255], [127, 128]]], dtype=np.uint8)  # (1, 2, 2)

    x = to_float(images)

    assert x.shape == (1, 1, 2, 2) and x.dtype == np.float32
    assert x[0, 0, 0, 0] == -1.0 and x[0, 0, 0, 1] == 1.0
    # float32 keeps about 7 significant digits
    expected = [127 / 127.5 - 1, 128 / 127.5 - 1]
    np.testing.assert_allclose(x[0, 0, 1], expected, rtol=1e-6, atol=1e-7)


def test_round_trip_is_exact_for_every_value():
    images = every_pixel_value()
    np.testing.assert_array_equal(to_uint8(to_float(images)), images)


@given(arrays(np.uint8, st.tuples(st.integers(1, 3), st.just(28), st.just(28))))
def test_round_trip_property(images):
    np.testing.assert_array_equal(to_uint8(to_float(images)), images)


def test_to_uint8_clips_without_wrapping():
    x = np.array([[[-1.5, 1.5, -1.0, 1.0, -1e9, 1e9, 0.0]]])  # (1, 1, 7)

    pixels = to_uint8(x)

    np.testing.assert_array_equal(pixels, [[[0, 255, 0, 255, 0, 255, 128]]])


def test_to_uint8_accepts_channel_axis():
    x = np.zeros((2, 1, 28, 28), dtype=np.float32)
    assert to_uint8(x).shape == (2, 28, 28)
    assert to_uint8(x[:, 0]).shape == (2, 28, 28)


def test_to_uint8_maps_nan_to_black():
    assert to_uint8(np.full((1, 1, 1), np.nan))[0, 0, 0] == 0


@given(arrays(np.float64, (2, 3, 3), elements=st.floats(-3, 3)))
def test_to_uint8_is_monotonic_and_in_range(x):
    flat = np.sort(x.ravel())
    pixels = to_uint8(flat.reshape(1, 1, -1)).ravel()
    assert np.all(np.diff(pixels.astype(int)) >= 0)


def test_to_float_refuses_floats():
    with pytest.raises(TypeError):
        to_float(np.zeros((1, 28, 28), dtype=np.float32))


def test_to_uint8_refuses_many_channels():
    with pytest.raises(ValueError):
        to_uint8(np.zeros((1, 3, 28, 28)))
