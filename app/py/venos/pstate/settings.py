"""The grayscale pipeline and geometry a presentation state sets (PS3.3 C.11.1, C.11.8, C.11.6, C.10.4, C.10.6,
C.7.6.11), each read into plain values. Nothing raises: what is malformed is said in ``notes``."""
from __future__ import annotations

from .colour import cielab_css, grey_css
from .values import Notes, code, codes, get, integer, number, numbers, plain

VOI_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")
SIZE_MODES = ("SCALE TO FIT", "TRUE SIZE", "MAGNIFY")
MAX_LUT = 65536


def lut_table(item, notes: Notes, what: str, *, signed_first: bool) -> dict | None:
    """A LUT (LUT Descriptor + LUT Data, PS3.3 C.11.1.1.1/C.11.2.1.1) as ``{first, bits, entries}``: input value
    ``first + i`` maps to ``entries[i]``, entries span 0 … 2**bits − 1."""
    desc = numbers(item, "LUTDescriptor", count=3)
    data = get(item, "LUTData")
    if desc is None or data is None:
        notes.add(f"{what}: LUT Descriptor or LUT Data missing or malformed: the LUT is not used")
        return None
    n, first, bits = (int(v) for v in desc)
    n = n or 65536
    if signed_first and first > 32767:
        first -= 65536  # a US descriptor holding a signed first input value (PS3.3 C.11.2.1.1)
    if not 0 < n <= MAX_LUT or not 8 <= bits <= 16:
        notes.add(f"{what}: LUT Descriptor {n}\\{first}\\{bits} is out of range: the LUT is not used")
        return None
    if isinstance(data, bytes):
        import numpy as np

        width = 1 if bits <= 8 and len(data) == n else 2  # OW with 8-bit entries written one per byte
        if len(data) < n * width:
            notes.add(f"{what}: LUT Data holds {len(data) // width} of {n} entries: the LUT is not used")
            return None
        entries = np.frombuffer(data[: n * width], dtype="u1" if width == 1 else "<u2").tolist()
    else:
        vals = [data] if isinstance(data, int) else list(data)
        if len(vals) < n or not all(isinstance(v, int) for v in vals[:n]):
            notes.add(f"{what}: LUT Data holds {len(vals)} values for {n} entries: the LUT is not used")
            return None
        entries = [int(v) for v in vals[:n]]
    return {"first": first, "bits": bits, "entries": entries}


def window(item, notes: Notes, what: str) -> dict | None:
    """One Softcopy VOI LUT Sequence item (PS3.3 C.11.8, C.11.2): a window or a VOI LUT."""
    expl = plain(get(item, "WindowCenterWidthExplanation"), limit=64)
    luts = get(item, "VOILUTSequence")
    if luts is not None:
        if not len(luts):
            notes.add(f"{what}: an empty VOI LUT Sequence: no VOI for its images")
            return None
        if len(luts) > 1:
            notes.add(f"{what}: {len(luts)} VOI LUTs: only the first is returned")
        table = lut_table(luts[0], notes, f"{what} VOI LUT", signed_first=True)
        if table is None:
            return None
        return {"lut": True, "explanation": plain(get(luts[0], "LUTExplanation"), limit=64), **table}
    centers, widths = numbers(item, "WindowCenter"), numbers(item, "WindowWidth")
    if centers is None or widths is None:
        notes.add(f"{what}: neither a valid window (Window Center/Width) nor a VOI LUT: no VOI for its images")
        return None
    function = code(item, "VOILUTFunction") or "LINEAR"
    if function not in VOI_FUNCTIONS:
        notes.add(f"{what}: VOI LUT Function {function!r} is not LINEAR, LINEAR_EXACT or SIGMOID: LINEAR is used")
        function = "LINEAR"
    if len(centers) > 1 or len(widths) > 1:
        notes.add(f"{what}: {max(len(centers), len(widths))} windows given: the first is used")
    center, width = centers[0], widths[0]
    if width <= 0 or (function == "LINEAR" and width < 1):
        notes.add(f"{what}: Window Width {width:g} is not allowed for {function} (PS3.3 C.11.2.1.2): no VOI")
        return None
    return {"center": center, "width": width, "function": function,
            "explanation": expl.split("\\")[0] if expl else ""}


def modality_lut(ds, notes: Notes) -> dict | None:
    """The presentation state's Modality LUT module (PS3.3 C.11.1), which replaces the image's own; None if
    absent."""
    seq = get(ds, "ModalityLUTSequence")
    if seq is not None:
        item = seq[0] if len(seq) else None
        table = lut_table(item, notes, "Modality LUT", signed_first=False)
        if table is None:
            return None
        return {"lut": True, "type": plain(get(item, "ModalityLUTType"), limit=64),
                "explanation": plain(get(item, "LUTExplanation"), limit=64), **table}
    slope, intercept = number(ds, "RescaleSlope"), number(ds, "RescaleIntercept")
    if slope is None and intercept is None:
        if get(ds, "RescaleSlope") is not None or get(ds, "RescaleIntercept") is not None:
            notes.add("Modality LUT: Rescale Slope/Intercept are malformed: not used")
        return None
    if slope is None or intercept is None or slope == 0:
        notes.add(f"Modality LUT: Rescale Slope {slope} / Intercept {intercept} incomplete or zero slope: not used")
        return None
    return {"slope": slope, "intercept": intercept, "type": plain(get(ds, "RescaleType"), limit=64)}


def presentation_lut(ds, notes: Notes) -> dict | None:
    """Presentation LUT Shape (PS3.3 C.11.6): ``inverse`` true means low P-values white, whatever the image's
    Photometric Interpretation."""
    seq = get(ds, "PresentationLUTSequence")
    if seq is not None:
        table = lut_table(seq[0] if len(seq) else None, notes, "Presentation LUT", signed_first=False)
        notes.add("Presentation LUT Sequence (LUT data, PS3.3 C.11.6): returned as a table but not applied "
                  "(VeNOS has no presentation LUT stage)")
        return {"shape": None, "inverse": False, "lut": True, **(table or {})}
    shape = code(ds, "PresentationLUTShape")
    if not shape:
        return None
    if shape not in ("IDENTITY", "INVERSE"):
        notes.add(f"Presentation LUT Shape {shape!r} is not IDENTITY or INVERSE: IDENTITY is used")
        shape = "IDENTITY"
    return {"shape": shape, "inverse": shape == "INVERSE"}


def venos_invert(inverse: bool, *, photometric: str, image_shape: str = "") -> bool:
    """VeNOS's ``invert`` view flag that shows a presentation state's shape: VeNOS inverts MONOCHROME1 and an image's
    own INVERSE shape by itself (view/display.py), the presentation state's shape replaces both (PS3.3 C.11.6)."""
    own = (photometric.upper() == "MONOCHROME1") ^ (image_shape.upper() == "INVERSE")
    return bool(inverse) ^ own


def displayed_area(item, notes: Notes, what: str) -> dict | None:
    """One Displayed Area Selection item (PS3.3 C.10.4). ``tlhc``/``brhc`` as stored: 1-based column\\row of the
    pixels shown at the top left / bottom right after the spatial transformation (so a flip or rotation may put
    ``tlhc`` right of or below ``brhc``). ``area`` = [x0, y0, x1, y1] in VeNOS image coordinates (pixel (c, r)
    covers [c, c+1) × [r, r+1)): columns min…max and rows min…max inclusive, i.e. x0 = min column − 1,
    x1 = max column (and rows alike)."""
    tl, br = numbers(item, "DisplayedAreaTopLeftHandCorner", count=2), numbers(
        item, "DisplayedAreaBottomRightHandCorner", count=2)
    if tl is None or br is None:
        notes.add(f"{what}: Displayed Area corners missing or malformed: the whole image is displayed")
        return None
    tl, br = [int(v) for v in tl], [int(v) for v in br]
    area = [min(tl[0], br[0]) - 1, min(tl[1], br[1]) - 1, max(tl[0], br[0]), max(tl[1], br[1])]
    mode = code(item, "PresentationSizeMode")
    spacing = numbers(item, "PresentationPixelSpacing", count=2)
    ratio = numbers(item, "PresentationPixelAspectRatio", count=2)
    mag = number(item, "PresentationPixelMagnificationRatio")
    if spacing is not None and min(spacing) <= 0:
        spacing = None
    if ratio is not None and min(ratio) <= 0:
        ratio = None
    if mode not in SIZE_MODES or (mode == "TRUE SIZE" and spacing is None) or (mode == "MAGNIFY" and not (
            mag and mag > 0)):
        notes.add(f"{what}: Presentation Size Mode {mode or 'missing'!r} without what it needs (TRUE SIZE needs "
                  "Presentation Pixel Spacing, MAGNIFY a positive ratio): SCALE TO FIT is used")
        mode = "SCALE TO FIT"
    aspect = spacing[0] / spacing[1] if spacing else (ratio[0] / ratio[1] if ratio else 1.0)
    if code(item, "PixelOriginInterpretation") == "VOLUME":
        notes.add(f"{what}: Pixel Origin Interpretation VOLUME (a whole-slide total pixel matrix) is not supported: "
                  "the corners are read per frame")
    return {"tlhc": tl, "brhc": br, "area": area, "sizeMode": mode,
            "magnification": mag if mode == "MAGNIFY" else None, "pixelSpacing": spacing,
            "aspectRatio": [int(v) for v in ratio] if ratio else None, "aspect": aspect}


def spatial(ds, notes: Notes) -> dict:
    """Spatial Transformation (PS3.3 C.10.6): the flip is applied before the clockwise rotation. VeNOS's canvas
    also mirrors first and then turns clockwise (app/js/canvas.js), so ``view`` carries the same two values."""
    rotation = integer(ds, "ImageRotation")
    if get(ds, "ImageRotation") is not None and rotation not in (0, 90, 180, 270):
        notes.add(f"Image Rotation {plain(get(ds, 'ImageRotation'), limit=20)!r} is not 0, 90, 180 or 270 "
                  "(PS3.3 C.10.6): no rotation")
    rotation = rotation if rotation in (0, 90, 180, 270) else 0
    flip = code(ds, "ImageHorizontalFlip")
    if flip not in ("", "Y", "N"):
        notes.add(f"Image Horizontal Flip {flip!r} is not Y or N: no flip")
    return {"rotation": rotation, "flip": flip == "Y", "view": {"rotate": rotation, "flip": flip == "Y"}}


def shutters(ds, notes: Notes) -> dict | None:
    """Display Shutter (PS3.3 C.7.6.11), returned for the viewer to draw. The visible region is inside every
    shape. Integer positions name 1-based pixels: a rectangle's edges are inclusive, so the visible area is
    [left − 1, right) × [upper − 1, lower); a circle centre and polygon vertices are taken at the centre of the
    named pixel, (column − 0.5, row − 0.5) in VeNOS image coordinates."""
    kinds = codes(ds, "ShutterShape")
    if not kinds:
        return None
    shapes = []
    for k in kinds:
        if k == "RECTANGULAR":
            e = [integer(ds, kw) for kw in ("ShutterLeftVerticalEdge", "ShutterRightVerticalEdge",
                                            "ShutterUpperHorizontalEdge", "ShutterLowerHorizontalEdge")]
            if None in e:
                notes.add("rectangular display shutter: an edge is missing or malformed: not returned")
                continue
            shapes.append({"kind": "rectangle", "area": [min(e[0], e[1]) - 1, min(e[2], e[3]) - 1,
                                                         max(e[0], e[1]), max(e[2], e[3])]})
        elif k == "CIRCULAR":
            c, r = numbers(ds, "CenterOfCircularShutter", count=2), number(ds, "RadiusOfCircularShutter")
            if c is None or r is None or r <= 0:
                notes.add("circular display shutter: centre or radius missing or malformed: not returned")
                continue
            shapes.append({"kind": "circle", "center": [c[1] - 0.5, c[0] - 0.5], "radius": r})
        elif k == "POLYGONAL":
            v = numbers(ds, "VerticesOfThePolygonalShutter", limit=20_000)
            if v is None or len(v) % 2 or len(v) < 6:
                notes.add("polygonal display shutter: vertices missing, malformed or fewer than 3: not returned")
                continue
            shapes.append({"kind": "polygon", "points": [[v[i + 1] - 0.5, v[i] - 0.5] for i in range(0, len(v), 2)]})
        elif k == "BITMAP":
            notes.add("bitmap display shutter (an overlay plane, PS3.3 C.7.6.15) is not returned")
        else:
            notes.add(f"display shutter shape {k!r} is not known")
    if not shapes:
        return None
    value = integer(ds, "ShutterPresentationValue")
    lab = numbers(ds, "ShutterPresentationColorCIELabValue", count=3)
    colour = cielab_css(lab) if lab else (grey_css(value) if value is not None else "#000000")
    return {"shapes": shapes, "value": value, "color": colour}
