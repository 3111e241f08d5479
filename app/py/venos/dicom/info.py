"""The attributes VeNOS shows and computes with, as typed, immutable values (what ``attrs.image_info`` reads out
of a dataset). Everything above the dicom layer sees these — snake_case names, plain Python values — never pydicom
element values."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Window:
    center: float
    width: float
    explanation: str = ""


@dataclass(frozen=True)
class Lut:
    """A Modality or VOI LUT (PS3.3 C.11.1, C.11.2): input value ``first + i`` maps to entry ``i``; inputs below
    ``first`` take the first entry, above the last the last. Entries as little-endian uint16 bytes (hashable, so
    rendering tables can be memoized by value)."""

    first: int
    bits: int  # LUT Descriptor value 3: entries span 0 .. 2**bits - 1
    data: bytes = field(repr=False)
    explanation: str = ""

    @property
    def entries(self) -> "np.ndarray":
        import numpy as np

        return np.frombuffer(self.data, dtype="<u2")

    def lookup(self, x: "np.ndarray") -> "np.ndarray":
        import numpy as np

        table = self.entries
        i = np.clip(np.floor(np.asarray(x, dtype=np.float64)) - self.first, 0, len(table) - 1).astype(np.int64)
        return table[i].astype(np.float64)


@dataclass(frozen=True)
class UsRegion:
    """One item of the Sequence of Ultrasound Regions (PS3.3 C.8.5.5.1): a rectangle of pixels
    [x0, x1] × [y0, y1] whose pixels measure ``delta_x`` × ``delta_y`` physical units (units code 3 = cm)."""

    x0: int
    y0: int
    x1: int
    y1: int
    spatial_format: int  # 1 = 2D (tissue), 2 = M-mode, 3 = spectral, 4 = waveform, …
    units_x: int
    units_y: int
    delta_x: float
    delta_y: float

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 + 1 and self.y0 <= y <= self.y1 + 1

    @property
    def is_2d_cm(self) -> bool:
        return self.spatial_format == 1 and self.units_x == 3 and self.units_y == 3 and \
            self.delta_x != 0 and self.delta_y != 0


@dataclass(frozen=True)
class FrameInfo:
    """What can differ between frames of one object (Enhanced multi-frame per-frame functional groups)."""

    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    slope: float
    intercept: float
    windows: tuple[Window, ...]
    modality_lut: Lut | None = None  # replaces slope/intercept when present (PS3.3 C.11.1)
    voi_luts: tuple[Lut, ...] = ()  # VOI LUT Sequence items, offered next to the windows


@dataclass(frozen=True)
class ImageInfo:
    source: str
    sop_class_uid: str
    sop_instance_uid: str
    study_uid: str
    series_uid: str
    transfer_syntax: str
    modality: str
    patient_name: str
    patient_id: str
    study_date: str
    study_description: str
    series_description: str
    series_number: int | None
    instance_number: int | None
    rows: int
    columns: int
    frames: int
    samples_per_pixel: int
    photometric: str
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    planar_configuration: int
    pixel_keyword: str
    rescale_type: str
    voi_lut_function: str
    presentation_lut_shape: str
    pixel_spacing: tuple[float, float] | None
    spacing_source: str
    slice_thickness: float | None
    frame_time_ms: float | None  # cine: Frame Time, else 1000 / Cine Rate or Recommended Display Frame Rate
    frame_info: tuple[FrameInfo, ...] = field(repr=False)
    patient_orientation: tuple[str, ...] = ()  # (0020,0020): row and column directions, e.g. ("A", "F")
    lossy: str = ""  # "" or why the pixels are not the original ones: lossy compression, its ratio and method
    padding: tuple[int, int] | None = None  # stored values that are padding, not image (inclusive interval)
    us_regions: tuple[UsRegion, ...] = ()  # ultrasound calibration, where the file has no Pixel Spacing
    aspect: float = 1.0  # displayed height / width of one pixel (row spacing / column spacing, or Pixel Aspect Ratio)
    frame_of_reference: str = ""  # Frame of Reference UID: positions in two different ones cannot be compared

    @property
    def is_color(self) -> bool:
        return self.samples_per_pixel > 1

    def frame(self, index: int) -> FrameInfo:
        return self.frame_info[index if len(self.frame_info) > 1 else 0]
