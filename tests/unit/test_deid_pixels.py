"""Burned-in text: the signs, black_out on every frame of real multi-frame files, and cleaned pixels written back
uncompressed (Explicit VR Little Endian) through deidentify_bytes."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from venos.deid import Context, Options, black_out, burned_in_reasons, deidentify_bytes, verify
from venos.errors import VenosError

DATA = Path(__file__).resolve().parents[2].parent / "shared/data/dicom"
if not (DATA / "manifest.json").exists():
    DATA = Path("/work/shared/data/dicom")
MULTIFRAME = DATA / "pydicom-data/emri_small.dcm"  # 10 frames, 16-bit MONOCHROME2, native
RGB_FRAMES = DATA / "pydicom-data/SC_rgb_16bit_2frame.dcm"
YBR = DATA / "pydicom-data/SC_ybr_full_uncompressed.dcm"
RECTS = [(0, 0, 10, 5), (20, 30, 25, 64), (60, 60, 999, 999), (5, 5, 5, 9)]  # the last one is empty


def mask(shape_rc, rects):
    m = np.zeros(shape_rc, dtype=bool)
    for x0, y0, x1, y1 in rects:
        m[max(0, y0):y1, max(0, x0):x1] = True
    return m


def test_black_out_sets_exactly_the_rectangles_on_every_frame():
    frames = pydicom.dcmread(MULTIFRAME).pixel_array
    assert frames.ndim == 3 and frames.shape[0] == 10
    out = black_out(frames, RECTS)
    m = mask(frames.shape[1:], RECTS)
    assert out.dtype == frames.dtype and out.shape == frames.shape
    for i in range(frames.shape[0]):
        assert (out[i][m] == frames.min()).all()
        assert np.array_equal(out[i][~m], frames[i][~m])
    assert not np.array_equal(frames, out) and np.shares_memory(frames, out) is False


def test_black_out_colour_monochrome1_and_ybr():
    rgb = pydicom.dcmread(RGB_FRAMES).pixel_array  # (2, rows, cols, 3)
    out = black_out(rgb, [(1, 2, 4, 6)], photometric="RGB")
    assert (out[:, 2:6, 1:4, :] == 0).all()
    assert np.array_equal(np.delete(out, np.s_[2:6], axis=1), np.delete(rgb, np.s_[2:6], axis=1))
    mono1 = np.arange(12, dtype=np.uint16).reshape(3, 4)
    assert black_out(mono1, [(0, 0, 2, 1)], photometric="MONOCHROME1")[0, :2].tolist() == [11, 11]
    ybr = np.full((4, 4, 3), 77, np.uint8)
    assert black_out(ybr, [(0, 0, 1, 1)], photometric="YBR_FULL")[0, 0].tolist() == [0, 128, 128]
    with pytest.raises(VenosError):
        black_out(np.zeros((4, 4)), [(0, 0, 1, 1)], photometric="RGB")
    with pytest.raises(VenosError):
        black_out(np.zeros((4, 4)), [("a", 0, 1, 1)])


def test_cleaned_frames_are_written_uncompressed_and_marked():
    data = MULTIFRAME.read_bytes()
    cleaned = black_out(pydicom.dcmread(MULTIFRAME).pixel_array, RECTS)
    out, _r = deidentify_bytes(data, "mf", options=Options(), context=Context(), pixels=cleaned, text_removed=True)
    ds = pydicom.dcmread(io.BytesIO(out))
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert ds.BurnedInAnnotation == "NO" and int(ds.NumberOfFrames) == 10
    assert np.array_equal(ds.pixel_array, cleaned)
    assert verify(data, out, Options()) == []
    src = pydicom.dcmread(MULTIFRAME)
    src.BurnedInAnnotation = "YES"
    buf = io.BytesIO()
    src.save_as(buf, enforce_file_format=True)
    kept, _r = deidentify_bytes(buf.getvalue(), "mf", options=Options(), context=Context(), pixels=cleaned)
    assert pydicom.dcmread(io.BytesIO(kept)).BurnedInAnnotation == "YES"  # not cleaned: left as it was


def test_ybr_decoded_to_rgb_is_written_as_rgb():
    src = pydicom.dcmread(YBR)
    assert src.PhotometricInterpretation == "YBR_FULL"
    rgb = src.pixel_array  # pydicom converts YBR_FULL to RGB
    out, _r = deidentify_bytes(YBR.read_bytes(), "ybr", options=Options(), context=Context(),
                               pixels=black_out(rgb, [(0, 0, 8, 8)], photometric="RGB"), text_removed=True)
    ds = pydicom.dcmread(io.BytesIO(out))
    assert ds.PhotometricInterpretation == "RGB" and ds.PlanarConfiguration == 0 and ds.BitsAllocated == 8
    got = ds.pixel_array
    assert (got[:8, :8] == 0).all() and np.array_equal(got[8:], rgb[8:])


def test_burned_in_signs():
    assert burned_in_reasons(pydicom.dcmread(DATA / "dcm_qa_ct/GE/01.dcm", stop_before_pixels=True)) == []
    us = burned_in_reasons(pydicom.dcmread(DATA / "pydicom-data/color-px.dcm", stop_before_pixels=True))
    assert any("US" in r for r in us)
    sc = burned_in_reasons(pydicom.dcmread(YBR, stop_before_pixels=True))
    assert any("Secondary Capture" in r for r in sc)
    ds = Dataset()
    ds.BurnedInAnnotation = "YES"
    ds.ImageType = ["DERIVED", "SECONDARY", "SCREEN SAVE"]
    reasons = burned_in_reasons(ds)
    assert len(reasons) == 3 and "Burned In Annotation is YES" in reasons
