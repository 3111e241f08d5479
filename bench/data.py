"""Benchmark inputs derived on CPython with pydicom from a real CT series (never downloaded, never committed).

* ``series(n)``: n slices of 512×512 int16 CT made by cycling the 28 GE HiSpeed slices, each copy with a new
  SOPInstanceUID and InstanceNumber and its ImagePositionPatient shifted along z by whole blocks, so the result is
  one series (same SeriesInstanceUID) whose slices sort into a long stack.
* ``big(size)``: one size×size 16-bit CT image tiled from distinct real slices (a mosaic), for window-change cost
  at large matrix sizes.
"""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import generate_uid

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_SOURCE = Path("/work/shared/data/dicom/dcm_qa_ct/GE")


def source_dir() -> Path:
    for cand in (SHARED / "data/dicom/dcm_qa_ct/GE", DEFAULT_SOURCE):
        if cand.is_dir():
            return cand
    raise SystemExit(f"benchmark source series not found (looked in {SHARED / 'data/dicom/dcm_qa_ct/GE'} and "
                     f"{DEFAULT_SOURCE}); pass --source DIR")


def _read_all(src: Path) -> list[pydicom.Dataset]:
    files = sorted(p for p in src.iterdir() if p.suffix == ".dcm" or p.is_file())
    dss = [pydicom.dcmread(p) for p in files]
    dss.sort(key=lambda d: float(d.ImagePositionPatient[2]))
    return dss


def series(n: int, out: Path, src: Path) -> list[str]:
    """Write n slices into ``out``; return the file names in write order."""
    out.mkdir(parents=True, exist_ok=True)
    base = _read_all(src)
    zs = [float(d.ImagePositionPatient[2]) for d in base]
    block = (max(zs) - min(zs)) + float(np.median(np.diff(zs)))  # one cycle's z-extent plus one step
    names = []
    for i in range(n):
        cyc, k = divmod(i, len(base))
        ds = copy.deepcopy(base[k])
        uid = generate_uid(entropy_srcs=[ds.SeriesInstanceUID, "venos-bench", str(n), str(i)])
        ds.SOPInstanceUID = uid
        ds.file_meta.MediaStorageSOPInstanceUID = uid
        ds.InstanceNumber = i + 1
        x, y, z = (float(v) for v in ds.ImagePositionPatient)
        ds.ImagePositionPatient = [x, y, round(z + cyc * block, 4)]
        name = f"{i + 1:04d}.dcm"
        ds.save_as(out / name, enforce_file_format=True)
        names.append(name)
    return names


def big(size: int, out: Path, src: Path) -> list[str]:
    """Write one size×size image (a mosaic of 512×512 slices) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    base = _read_all(src)
    ds = copy.deepcopy(base[len(base) // 2])
    tile = ds.Rows
    per = size // tile
    arr = np.empty((size, size), dtype=ds.pixel_array.dtype)
    for i in range(per):
        for j in range(per):
            arr[i * tile:(i + 1) * tile, j * tile:(j + 1) * tile] = base[(i * per + j) % len(base)].pixel_array
    ds.Rows = ds.Columns = size
    ds.PixelData = arr.tobytes()
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=["venos-bench-big", str(size)])
    ds.SOPInstanceUID = generate_uid(entropy_srcs=["venos-bench-big", str(size), "sop"])
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.SeriesDescription = f"bench mosaic {size}x{size}"
    name = "big.dcm"
    ds.save_as(out / name, enforce_file_format=True)
    return [name]
