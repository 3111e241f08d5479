"""Window/level math against values worked out by hand from PS3.3 C.11.2.1.2 / C.11.2.1.3."""
import numpy as np
import pytest

from venos.view.lut import (LutKey, StoredValueLut, grey_levels, quantize, voi_linear, voi_linear_exact,
                            voi_sigmoid)


def test_linear_by_hand():
    # c=40, w=400: lower edge c-0.5-(w-1)/2 = -160, upper edge c-0.5+(w-1)/2 = 239
    x = np.array([-1000.0, -160.0, -159.0, 39.5, 239.0, 239.5, 3000.0])
    y = voi_linear(x, 40, 400)
    assert y[0] == 0 and y[1] == 0  # x <= lower edge → ymin
    assert y[2] == pytest.approx(((-159 - 39.5) / 399 + 0.5) * 255)  # = 0.5113 → 1 after rounding
    assert y[3] == pytest.approx(127.5)  # the centre - 0.5 maps to mid grey
    assert y[4] == pytest.approx(255.0)  # ((239-39.5)/399+0.5)*255 = 255 exactly
    assert y[5] == 255 and y[6] == 255  # x > upper edge → ymax
    assert list(quantize(y)) == [0, 0, 1, 128, 255, 255, 255]


def test_linear_width_one_is_a_threshold():
    y = voi_linear(np.array([9.0, 9.5, 10.0]), 10, 1)
    assert list(y) == [0, 0, 255]


def test_linear_exact_by_hand():
    # c=100, w=50: window [75, 125]; y = ((x-100)/50 + 0.5)*255
    y = voi_linear_exact(np.array([75.0, 87.5, 100.0, 125.0, 125.1]), 100, 50)
    assert list(y) == pytest.approx([0.0, 63.75, 127.5, 255.0, 255.0])


def test_sigmoid_by_hand():
    y = voi_sigmoid(np.array([100.0, 125.0]), 100, 50)
    assert y[0] == pytest.approx(127.5)
    assert y[1] == pytest.approx(255 / (1 + np.exp(-2.0)))


def test_pipeline_rescale_then_window_then_invert():
    stored = np.array([0, 1024, 1064, 4095], dtype=np.uint16)  # CT: HU = stored - 1024
    g = grey_levels(stored, slope=1, intercept=-1024, center=40, width=80)
    # HU -1024 → 0; 0 → ((0-39.5)/79+0.5)*255 = 0 → 0; 40 → ((40-39.5)/79+.5)*255 = 129.11 → 129; 3071 → 255
    assert list(g) == [0, 0, 129, 255]
    gi = grey_levels(stored, slope=1, intercept=-1024, center=40, width=80, invert=True)
    assert list(gi) == [255, 255, 126, 0]


@pytest.mark.parametrize("dtype", ["int16", "uint16", "uint8", "int8"])
def test_stored_value_lut_equals_direct_computation(dtype):
    rng = np.random.default_rng(1)
    info = np.iinfo(dtype)
    frame = rng.integers(max(info.min, -3000), min(info.max, 3000), size=(64, 64), endpoint=True).astype(dtype)
    key = LutKey(1.5, -20.0, 100.0, 700.0, "LINEAR", False)
    lut = StoredValueLut(key)
    # cover in two steps, as when later frames widen the range
    lut.cover(int(frame[32:].min()), int(frame[32:].max()))
    lo, hi = int(frame.min()), int(frame.max())
    table = lut.cover(lo, hi)
    assert len(table) == hi - lo + 1  # only the values in use
    via_lut = (table[frame.astype(np.int64) - lo] & 0xFF).astype(np.uint8)
    direct = grey_levels(frame, slope=1.5, intercept=-20.0, center=100.0, width=700.0)
    assert np.array_equal(via_lut, direct)
    assert np.all(table >> 24 == 255)  # opaque
    # a frame with a narrower range gets the same entries for its values
    sub = frame[:8]
    part = lut.cover(int(sub.min()), int(sub.max()))
    assert np.array_equal(part[sub.astype(np.int64) - int(sub.min())], table[sub.astype(np.int64) - lo])


@pytest.mark.parametrize("dtype", ["int16", "uint16", "uint8", "int8"])
def test_render_mono_matches_the_pipeline_and_reuses_the_index_of_a_frame_redrawn(dtype):
    from venos.view import render as R
    rng = np.random.default_rng(2)
    info = np.iinfo(dtype)
    frame = rng.integers(max(info.min, -3000), min(info.max, 3000), size=(48, 40), endpoint=True).astype(dtype)
    frame.flags.writeable = False  # as every cached frame is (pixels.store.Frame)
    lo, hi = int(frame.min()), int(frame.max())
    for center, width in ((100.0, 700.0), (-50.0, 300.0)):
        d = R.Display("MONOCHROME2", 1.5, -20.0, center, width, "LINEAR", False)
        rgba = R.render_mono(frame, lo, hi, d)
        direct = grey_levels(frame, slope=1.5, intercept=-20.0, center=center, width=width)
        assert rgba.shape == frame.shape + (4,)
        assert np.array_equal(rgba[..., 0], direct) and np.array_equal(rgba[..., 2], direct)
        assert np.all(rgba[..., 3] == 255)
    assert R.stored_index(frame, lo) is R.stored_index(frame, lo)  # the window drag's second draw: no new index
    writable = frame.copy()
    assert R.stored_index(writable, lo) is not R.stored_index(writable, lo)  # may change: never kept
    others = [np.array(frame[::-1]) for _ in range(3)]  # a 2×2 layout whose windows move together
    for o in others:
        o.flags.writeable = False
        R.stored_index(o, int(o.min()))
    assert R.stored_index(frame, lo) is R.stored_index(frame, lo) and len(R._indexes) == 4
    fifth = np.array(frame)
    fifth.flags.writeable = False
    R.stored_index(fifth, lo)
    assert len(R._indexes) == 4 and id(others[0]) not in R._indexes  # the least recently drawn goes
    R.forget_indexes()
    assert not R._indexes
