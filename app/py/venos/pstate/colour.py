"""Recommended display colours of a presentation state as CSS colours.

CIELab values are ICC PCS-Values (PS3.3 C.10.7.1.1): L* 0…100 and a*, b* −128…127 scaled to 0…0xFFFF (0x8080 is
a* = b* = 0), relative to the ICC PCS white D50. Converted with the CIE formulas to XYZ (D50), then to linear sRGB
with the Bradford-adapted D50 matrix (sRGB is D65, IEC 61966-2-1), then the sRGB transfer curve; out-of-gamut
values are clipped.
"""
from __future__ import annotations

_WHITE_D50 = (0.96422, 1.0, 0.82521)
# XYZ (D50) → linear sRGB, Bradford chromatic adaptation D50 → D65 folded in.
_XYZ50_TO_SRGB = ((3.1338561, -1.6168667, -0.4906146),
                  (-0.9787684, 1.9161415, 0.0334540),
                  (0.0719453, -0.2289914, 1.4052427))


def pcs_to_lab(values) -> tuple[float, float, float]:
    """Three DICOM PCS-Values (0…0xFFFF) → (L*, a*, b*)."""
    l, a, b = (min(max(float(v), 0.0), 65535.0) for v in values)
    return l * 100.0 / 65535.0, a * 255.0 / 65535.0 - 128.0, b * 255.0 / 65535.0 - 128.0


def lab_to_srgb(lab) -> tuple[int, int, int]:
    """CIE L*a*b* (D50) → 8-bit sRGB."""
    l, a, b = lab
    fy = (l + 16.0) / 116.0
    fx, fz = fy + a / 500.0, fy - b / 200.0
    eps, kappa = 216.0 / 24389.0, 24389.0 / 27.0

    def inv(f: float) -> float:
        return f ** 3 if f ** 3 > eps else (116.0 * f - 16.0) / kappa

    yr = fy ** 3 if l > kappa * eps else l / kappa
    xyz = (inv(fx) * _WHITE_D50[0], yr * _WHITE_D50[1], inv(fz) * _WHITE_D50[2])
    out = []
    for row in _XYZ50_TO_SRGB:
        c = min(max(sum(m * v for m, v in zip(row, xyz)), 0.0), 1.0)
        c = 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055
        out.append(int(round(c * 255.0)))
    return out[0], out[1], out[2]


def cielab_css(values) -> str | None:
    """PCS-Values → "#rrggbb", or None if they are not three finite numbers."""
    try:
        r, g, b = lab_to_srgb(pcs_to_lab(values))
    except (TypeError, ValueError, OverflowError):
        return None
    return f"#{r:02x}{g:02x}{b:02x}"


def grey_css(p_value) -> str | None:
    """A P-Value 0…0xFFFF (a recommended grayscale display value) → "#gggggg", scaled linearly: P-Values are
    perceptually linear (PS3.14) and so, roughly, are sRGB levels."""
    try:
        g = int(round(min(max(float(p_value), 0.0), 65535.0) * 255.0 / 65535.0))
    except (TypeError, ValueError, OverflowError):
        return None
    return f"#{g:02x}{g:02x}{g:02x}"
