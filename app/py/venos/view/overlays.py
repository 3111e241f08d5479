"""Overlay planes (PS3.3 C.9.2, groups 6000–601E): 1-bit graphics drawn over the rendered image.

Each plane's Overlay Data is bit-packed like 1-bit pixel data (first pixel in bit 0). A plane has its own size and
an Overlay Origin (1-based, may lie outside the image: the part outside is not drawn). A multi-frame plane covers
image frames Image Frame Origin … + Number of Frames in Overlay − 1. Drawn as white, as dcmtk's "Replace" mode does
for Graphics planes at full foreground density. Overlays embedded in unused high bits of Pixel Data (retired) are
not read.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FOREGROUND = 255


@dataclass(frozen=True)
class OverlayPlane:
    group: int
    rows: int
    columns: int
    origin: tuple[int, int]  # 0-based (row, column) of the plane's first pixel in the image
    first_frame: int  # 0-based image frame of the plane's first frame
    frames: int
    kind: str  # "G" graphics or "R" region of interest
    label: str
    bits: np.ndarray  # bool (frames, rows, columns)

    def mask_for(self, frame: int, rows: int, columns: int) -> np.ndarray | None:
        """The plane's pixels on image frame ``frame`` as a bool (rows, columns) mask, or None if it has none."""
        i = frame - self.first_frame
        if not 0 <= i < self.frames:
            return None
        out = np.zeros((rows, columns), dtype=bool)
        r0, c0 = self.origin
        rs, re = max(r0, 0), min(r0 + self.rows, rows)
        cs, ce = max(c0, 0), min(c0 + self.columns, columns)
        if rs >= re or cs >= ce:
            return None
        out[rs:re, cs:ce] = self.bits[i, rs - r0:re - r0, cs - c0:ce - c0]
        return out


def overlay_planes(ds) -> tuple[OverlayPlane, ...]:
    """The readable overlay planes of a pydicom Dataset (malformed planes are skipped, never fatal)."""
    planes = []
    for group in range(0x6000, 0x6020, 2):
        data = ds.get((group, 0x3000))
        if data is None:
            continue
        try:
            rows = int(ds[group, 0x0010].value)
            cols = int(ds[group, 0x0011].value)
            origin = ds.get((group, 0x0050))
            r1, c1 = (int(v) for v in origin.value) if origin is not None else (1, 1)
            frames = int(ds.get((group, 0x0015)).value) if (group, 0x0015) in ds else 1
            first = int(ds.get((group, 0x0051)).value) if (group, 0x0051) in ds else 1
            kind_el = ds.get((group, 0x0040))
            label_el = ds.get((group, 0x1500))
            raw = np.frombuffer(bytes(data.value), dtype=np.uint8)
            need = rows * cols * max(frames, 1)
            bits = np.unpackbits(raw, bitorder="little")
            if rows <= 0 or cols <= 0 or bits.size < need:
                continue
            planes.append(OverlayPlane(
                group=group, rows=rows, columns=cols, origin=(r1 - 1, c1 - 1), first_frame=max(first, 1) - 1,
                frames=max(frames, 1), kind=str(kind_el.value).strip().upper() if kind_el is not None else "G",
                label=str(label_el.value).strip() if label_el is not None else "",
                bits=bits[:need].reshape(max(frames, 1), rows, cols).astype(bool)))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return tuple(planes)


def planes_of(instance) -> tuple[OverlayPlane, ...]:
    """Overlay planes of a loaded instance, parsed once and kept on its dataset."""
    source = instance.source
    if source is None or isinstance(source, np.ndarray):  # still on its way, or a plain image
        return ()
    ds = source.dataset
    planes = getattr(ds, "_venos_overlays", None)
    if planes is None:
        planes = overlay_planes(ds)
        try:
            object.__setattr__(ds, "_venos_overlays", planes)
        except (AttributeError, TypeError):
            pass
    return planes


def burn(rgba: np.ndarray, planes: tuple[OverlayPlane, ...], frame: int) -> np.ndarray:
    """Draw the planes that cover ``frame`` into an RGBA image (a new array; the input may be a cached view)."""
    rows, cols = rgba.shape[:2]
    masks = [m for p in planes if (m := p.mask_for(frame, rows, cols)) is not None]
    if not masks:
        return rgba
    out = np.array(rgba, copy=True)
    union = np.logical_or.reduce(masks)
    out[union, :3] = FOREGROUND
    return out
