"""Reformatted planes through the API (view/mpr.py): axial, coronal, sagittal and oblique images in true
proportions with their orientation letters, slab projections, and the probe, measurements, scroll and window on
them — checked against synthetic volumes whose geometry and values are known (tests/synthetic.py)."""
from __future__ import annotations

import numpy as np
import pytest

import synthetic as sy
from venos import api
from venos.view.mpr import image, plane_of
from venos.session import session

# An anisotropic CT: 0.5 × 0.5 mm pixels, 2 mm slices, axial, voxel (k, i, j) at ORIGIN + (0.5 j, 0.5 i, 2 k).
SHAPE = (30, 80, 72)
ORIGIN = np.array([-20.0, -25.0, -30.0])
PIXEL, SLICE = 0.5, 2.0
CENTRE, RADIUS = np.array([-1.3, -4.6, -1.0]), 11.0


def voxel_points(shape=SHAPE) -> np.ndarray:
    k, i, j = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    return ORIGIN + np.stack([j * PIXEL, i * PIXEL, k * SLICE], axis=-1)


def load_volume(vol: np.ndarray) -> str:
    return sy.load(sy.series(vol, spacing=(PIXEL, PIXEL), positions=sy.stacked(len(vol), SLICE, origin=ORIGIN),
                             thickness=SLICE))


@pytest.fixture(autouse=True)
def fresh():
    api.clear()
    yield
    api.clear()


@pytest.fixture
def sphere() -> str:
    inside = np.linalg.norm(voxel_points() - CENTRE, axis=-1) <= RADIUS
    return load_volume(np.where(inside, 1000, 24).astype(np.int16))


@pytest.fixture
def noise() -> tuple[str, np.ndarray]:
    vol = np.random.default_rng(11).integers(-1000, 3000, size=SHAPE).astype(np.int16)
    return load_volume(vol), vol


def same_geometry(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(a[k] == b[k] if isinstance(a[k], str) else np.allclose(a[k], b[k], atol=1e-9)
                                        for k in a)


def inside_pixels(sid: str, state: dict) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the pixels of the (bright) object in the rendered image."""
    meta, rgba = api.render({**state, "series": sid, "center": -500, "width": 10})  # stored 1000 → −24 HU: white
    assert rgba is not None, meta
    return np.nonzero(rgba[..., 0] > 128)


# ------------------------------------------------------------------------------------------------ proportions

@pytest.mark.parametrize("plane, size, aspect, count", [
    ("axial", (72, 80), 1.0, 30), ("coronal", (72, 30), 4.0, 80), ("sagittal", (80, 30), 4.0, 72)])
def test_planes_have_their_size_spacing_and_true_proportions(sphere, plane, size, aspect, count):
    meta, rgba = api.render({"series": sphere, "plane": plane})
    assert (meta["width"], meta["height"]) == size and rgba.shape == (size[1], size[0], 4)
    assert meta["aspect"] == aspect  # row spacing / column spacing: drawn 4× taller per pixel
    o = meta["overlay"]
    assert o["slices"] == count and o["slice"] == 1 and o["plane"] == plane.capitalize()
    assert o["pixelSpacing"] == ([PIXEL, PIXEL] if plane == "axial" else [SLICE, PIXEL])
    assert o["spacingSource"].startswith("reformatted from") and "slice positions" in o["spacingSource"]
    g = meta["geometry"]
    assert (g["rows"], g["columns"]) == (size[1], size[0]) and g["spacing"] == o["pixelSpacing"]


def test_orientation_letters_of_a_standard_axial_ct(sphere):
    letters = {p: api.render({"series": sphere, "plane": p})[0]["overlay"]["orientation"]
               for p in ("axial", "coronal", "sagittal")}
    assert letters["axial"] == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    assert letters["coronal"] == {"left": "R", "right": "L", "top": "H", "bottom": "F"}
    assert letters["sagittal"] == {"left": "A", "right": "P", "top": "H", "bottom": "F"}
    assert letters["axial"] == api.render({"series": sphere})[0]["overlay"]["orientation"]  # as acquired


def test_the_acquisition_plane_as_a_volume_is_the_slices_themselves(noise):
    sid, vol = noise
    for k in (0, 17, 29):
        reformatted = api.render({"series": sid, "plane": "axial", "slice": k, "center": 0, "width": 2000})[1]
        acquired = api.render({"series": sid, "slice": k, "center": 0, "width": 2000})[1]
        assert np.array_equal(reformatted, acquired)


# ------------------------------------------------------------------------------------------------ geometry in mm

@pytest.mark.parametrize("plane", ["coronal", "sagittal"])
def test_sphere_diameter_and_centre_measured_in_reformatted_planes(sphere, plane):
    st = {"series": sphere, "plane": plane}
    hit = api.slice_at(st, list(CENTRE))
    assert hit["within"]
    st["slice"] = hit["slice"]
    rows, cols = inside_pixels(sphere, st)
    mid_row, mid_col = int(round(np.median(rows))), int(round(np.median(cols)))
    across = cols[rows == mid_row]
    down = rows[cols == mid_col]
    # from the first pixel's left edge to the last pixel's right edge: the diameter within one voxel
    width = api.measure("length", st, [[across.min(), mid_row + 0.5], [across.max() + 1, mid_row + 0.5]])
    height = api.measure("length", st, [[mid_col + 0.5, down.min()], [mid_col + 0.5, down.max() + 1]])
    assert width["units"] == "mm" and "reformatted" in width["spacing"]
    assert width["value"] == pytest.approx(2 * RADIUS, abs=PIXEL)
    assert height["value"] == pytest.approx(2 * RADIUS, abs=SLICE)
    centre = api.point_at(st, cols.mean() + 0.5, rows.mean() + 0.5)["point"]
    assert np.all(np.abs(np.array(centre) - CENTRE) <= [PIXEL, PIXEL, SLICE])


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_rods_along_each_axis_lie_where_they_are_in_every_plane(axis):
    """A rod of radius 1.5 mm along patient x, y or z through a known point: every bright pixel of every plane
    through that point maps (point_at) to within the rod, and the rod crosses the whole image in the two planes
    that contain it."""
    through = np.array([-3.0, 2.0, 6.0])
    pts = voxel_points()
    off = pts - through
    off[..., axis] = 0
    sid = load_volume(np.where(np.linalg.norm(off, axis=-1) <= 1.5, 1000, 24).astype(np.int16))
    contains = {0: ("axial", "coronal"), 1: ("axial", "sagittal"), 2: ("coronal", "sagittal")}[axis]
    for plane in ("axial", "coronal", "sagittal"):
        st = {"series": sid, "plane": plane, "slice": api.slice_at({"series": sid, "plane": plane},
                                                                    list(through))["slice"]}
        rows, cols = inside_pixels(sid, st)
        assert rows.size, plane
        for r, c in list(zip(rows, cols))[:: max(1, rows.size // 40)]:
            p = np.array(api.point_at(st, c + 0.5, r + 0.5)["point"]) - through
            p[axis] = 0
            assert np.linalg.norm(p) <= 1.5 + SLICE / 2, (plane, r, c)
        if plane in contains:
            meta = api.render(st)[0]
            length_px = meta["width"] if axis == 0 or (axis == 1 and plane == "sagittal") else meta["height"]
            assert len(set(cols if length_px == meta["width"] else rows)) == length_px, plane


def test_point_and_slice_round_trip_in_every_plane(sphere):
    for plane, angle in (("axial", 0), ("coronal", 0), ("sagittal", 0), ("oblique", 35)):
        base = {"series": sphere, "plane": plane, "angle": angle}
        count = api.render(base)[0]["overlay"]["slices"]
        for k in (0, count // 3, count - 1):
            p = api.point_at({**base, "slice": k}, 10.5, 7.5)
            assert p["ok"]
            hit = api.slice_at(base, p["point"])
            assert hit["slice"] == k and hit["distance"] == pytest.approx(0, abs=1e-6) and hit["within"]
    # half a spacing off is still within; beyond the volume is not
    g = api.render({"series": sphere, "plane": "coronal", "slice": 5})[0]["geometry"]
    p = np.array(g["origin"]) + np.array(g["normal"]) * (PIXEL / 2 - 1e-6)
    assert api.slice_at({"series": sphere, "plane": "coronal"}, list(p))["within"]
    far = np.array(g["origin"]) - np.array(g["normal"]) * 100
    hit = api.slice_at({"series": sphere, "plane": "coronal"}, list(far))
    assert hit["slice"] == 0 and not hit["within"] and hit["distance"] == pytest.approx(100 - 5 * PIXEL)


def test_the_crosshair_needs_no_pixels(sphere):
    st = {"series": sphere, "plane": "sagittal", "slice": 9}
    p = api.point_at(st, 3.5, 4.5)["point"]
    assert api.slice_at({"series": sphere, "plane": "coronal"}, p)["ok"]
    assert api.memory()["volume"] == 0  # answered from the metadata: no volume was built
    meta = api.render(st)[0]
    g = meta["geometry"]
    want = np.array(g["origin"]) + 3.0 * g["spacing"][1] * np.array(g["row"]) \
        + 4.0 * g["spacing"][0] * np.array(g["col"])
    assert p == pytest.approx(list(want))  # the same point the rendered image's geometry gives


def test_slice_at_as_acquired_uses_each_slices_own_position():
    heights = [0, 2, 4, 6, 10, 12]  # a gap: no volume, but slices still have places
    vol = np.zeros((6, 8, 8), np.int16)
    sid = sy.load(sy.series(vol, positions=[(0, 0, z) for z in heights], thickness=2.0))
    assert not api.volume_info(sid)["ok"]
    assert api.slice_at({"series": sid}, [3, 3, 6.9]) == {"ok": True, "slice": 3, "distance": pytest.approx(0.9),
                                                          "within": True}
    assert api.slice_at({"series": sid}, [3, 3, 8.1])["within"] is True  # half of the 4 mm gap on that side
    assert api.slice_at({"series": sid}, [3, 3, 8.1])["slice"] == 4
    assert api.slice_at({"series": sid}, [3, 3, 13.5])["within"] is False
    p = api.point_at({"series": sid, "slice": 4}, 0.5, 0.5)
    assert p == {"ok": True, "point": [0.0, 0.0, 10.0]}  # pixel (0, 0)'s centre is at (0.5, 0.5)
    assert api.point_at({"series": sid, "plane": "coronal"}, 0, 0)["ok"] is False


def test_geometry_of_an_acquired_slice():
    sid = sy.load(sy.series(np.zeros((3, 4, 6), np.int16), spacing=(0.7, 0.6), positions=sy.stacked(3, 1.0)))
    g = api.render({"series": sid, "slice": 2})[0]["geometry"]
    assert g == {"origin": [0.0, 0.0, 2.0], "row": [1.0, 0.0, 0.0], "col": [0.0, 1.0, 0.0],
                 "normal": [0.0, 0.0, 1.0], "spacing": [0.7, 0.6], "rows": 4, "columns": 6,
                 "frameOfReference": api.volume_info(sid)["frameOfReference"]}
    assert g["frameOfReference"]  # planes of two series compare only within one frame of reference


# ------------------------------------------------------------------------------------------------ values

def test_probe_in_reformatted_planes_reads_the_voxel(noise):
    sid, vol = noise
    nz, ny, nx = SHAPE
    for plane, k, x, y, want in (("coronal", 40, 7, 3, vol[nz - 1 - 3, 40, 7]),
                                 ("sagittal", 10, 25, 0, vol[nz - 1, 25, nx - 1 - 10]),
                                 ("axial", 12, 70, 79, vol[12, 79, 70])):
        r = api.value_at({"series": sid, "plane": plane, "slice": k}, x + 0.5, y + 0.5)
        assert r["inside"] and r["stored"] == float(want) and r["value"] == float(want) - 1024 and r["units"] == "HU"


def test_region_statistics_on_reformatted_pixels(noise):
    sid, vol = noise
    st = {"series": sid, "plane": "coronal", "slice": 20}
    r = api.measure("rectangle", st, [[10, 4], [30, 9]])  # pixel centres inside: columns 10–29, rows 4–8
    want = vol[::-1, 20, :][4:9, 10:30].astype(np.float64) - 1024
    assert r["pixels"] == want.size and r["mean"] == pytest.approx(want.mean()) and r["units"] == "HU"
    assert r["areaUnits"] == "mm²" and r["area"] == pytest.approx(20 * PIXEL * 5 * SLICE)


@pytest.mark.parametrize("mode, pick", [("mip", np.max), ("minip", np.min), ("avg", np.mean)])
def test_slab_projections_over_millimetres(noise, mode, pick):
    sid, vol = noise
    nz = SHAPE[0]
    # coronal, 2.5 mm = 5 images of 0.5 mm centred on the slice
    st = {"series": sid, "plane": "coronal", "slice": 40, "slab": 2.5, "slabMode": mode}
    r = api.value_at(st, 7.5, 3.5)
    assert r["stored"] == pytest.approx(float(pick(vol[nz - 1 - 3, 38:43, 7])), abs=1e-3)
    meta = api.render(st)[0]
    assert meta["overlay"]["plane"] == f"Coronal · {dict(mip='MIP', minip='MinIP', avg='Average')[mode]} 2.5 mm"
    # the acquisition plane of the volume, 6 mm = 3 slices of 2 mm
    st = {"series": sid, "plane": "axial", "slice": 10, "slab": 6, "slabMode": mode}
    assert api.value_at(st, 5.5, 6.5)["stored"] == pytest.approx(float(pick(vol[9:12, 6, 5])), abs=1e-3)
    # sagittal, at the volume's end the slab is clipped to what exists
    st = {"series": sid, "plane": "sagittal", "slice": 0, "slab": 2.0, "slabMode": mode}
    nx = SHAPE[2]
    assert api.value_at(st, 4.5, 0.5)["stored"] == pytest.approx(float(pick(vol[nz - 1, 4, nx - 3:nx])), abs=1e-3)


def test_a_thin_slab_is_one_image_and_says_so(noise):
    sid, vol = noise
    meta, _ = api.render({"series": sid, "plane": "coronal", "slab": 0.2})
    assert "within one image" in meta["overlay"]["plane"]


# ------------------------------------------------------------------------------------------------ oblique

def test_oblique_at_0_is_coronal_and_at_90_sagittal(noise):
    sid, _ = noise
    win = {"series": sid, "center": 500, "width": 3000}
    for angle, named in ((0, "coronal"), (90, "sagittal")):
        for k in (0, 23, 50):
            obl = api.render({**win, "plane": "oblique", "angle": angle, "slice": k})
            ref = api.render({**win, "plane": named, "slice": k})
            assert same_geometry(obl[0]["geometry"], ref[0]["geometry"])
            assert np.array_equal(obl[1], ref[1])


def test_oblique_rotates_about_the_stacking_axis(sphere):
    """At any angle the sphere through its centre is a disc of its diameter; rows stay the axial slices."""
    for angle in (20, 45, 133):
        st = {"series": sphere, "plane": "oblique", "angle": angle}
        meta = api.render(st)[0]
        assert meta["height"] == SHAPE[0] and meta["overlay"]["plane"].startswith(f"Oblique {angle}°")
        g = meta["geometry"]
        assert g["col"] == pytest.approx([0, 0, -1]) and g["normal"][2] == pytest.approx(0, abs=1e-12)
        assert abs(np.dot(g["row"], [1, 0, 0])) == pytest.approx(abs(np.cos(np.radians(angle))), abs=1e-9)
        st["slice"] = api.slice_at(st, list(CENTRE))["slice"]
        rows, cols = inside_pixels(sphere, st)
        mid = int(round(np.median(rows)))
        across = cols[rows == mid]
        width = api.measure("length", st, [[across.min(), mid + 0.5], [across.max() + 1, mid + 0.5]])["value"]
        assert width == pytest.approx(2 * RADIUS, abs=2 * PIXEL)  # interpolated edges: within two pixels


def test_oblique_slab_matches_the_mean_of_its_planes():
    grid_vol = np.random.default_rng(5).integers(0, 1000, size=(6, 40, 40)).astype(np.int16)
    sid = sy.load(sy.series(grid_vol, spacing=(1.0, 1.0), positions=sy.stacked(6, 1.0)))
    api.render({"series": sid, "plane": "oblique", "angle": 30})
    vol = session.volumes.built(sid)
    plane = plane_of(vol.grid, "oblique", 30)
    k = plane.count // 2
    singles = np.stack([image(vol, plane, k + d).astype(np.float64) for d in (-1, 0, 1)])
    avg = image(vol, plane, k, slab=3.0, mode="avg")
    inside = np.all(singles > vol.fill_value, axis=0)  # away from the rotated box's corners
    # each single image was rounded to stored values: the mean of unrounded samples is within half a unit
    assert np.allclose(avg[inside], singles.mean(axis=0)[inside], atol=0.5)
    mip = image(vol, plane, k, slab=3.0, mode="mip")
    assert np.all(mip[inside] >= singles.max(axis=0)[inside] - 0.5)


# ------------------------------------------------------------------------------------------------ tools, window

def test_scroll_clamps_to_the_planes_count(sphere):
    st = {"series": sphere, "plane": "sagittal", "slice": 3}
    assert api.tool("scroll", st, {"delta": 1000})["slice"] == SHAPE[2] - 1
    assert api.tool("scroll", st, {"delta": -1000})["slice"] == 0
    assert api.tool("scroll", {**st, "plane": "coronal"}, {"to": 79})["slice"] == 79
    assert api.render({**st, "slice": 500})[0]["state"]["slice"] == SHAPE[2] - 1


def test_window_default_is_the_middle_slices_and_drags_work(sphere):
    meta = api.render({"series": sphere, "plane": "coronal"})[0]
    assert (meta["state"]["center"], meta["state"]["width"]) == (40.0, 400.0)  # the files' window
    st = api.tool("window_level", meta["state"], {"dx": 100, "dy": 0})
    assert st["width"] > 400 and st["plane"] == "coronal"
    inverted = api.render({**meta["state"], "invert": True})[1]
    plain = api.render(meta["state"])[1]
    assert np.array_equal(inverted[..., :3], 255 - plain[..., :3])


def test_state_round_trips_the_plane_fields():
    st = api.render({"series": "1"})[0]["state"]  # no series loaded: an error, but the state comes back
    assert st["plane"] == "" and st["slab"] == 0.0 and st["slabMode"] == "mip" and st["angle"] == 0.0


def test_a_sagittal_acquisition_maps_each_named_plane_to_its_own_axis():
    """Slices acquired sagittally (rows towards posterior, columns towards the feet, stacked right to left): the
    sagittal plane is the slices themselves, the others are cut across them, with the letters of their names."""
    vol = np.random.default_rng(2).integers(0, 1000, size=(20, 48, 40)).astype(np.int16)
    sid = sy.load(sy.series(vol, spacing=(1.0, 1.0), orientation=(0, 1, 0, 0, 0, -1),
                            positions=sy.stacked(20, 2.0, origin=(30, -20, 20), normal=(-1, 0, 0))))
    info = api.volume_info(sid)
    assert info["acquisitionPlane"] == "sagittal"
    assert info["planes"] == {"axial": {"rows": 40, "columns": 20, "slices": 48},
                              "coronal": {"rows": 48, "columns": 20, "slices": 40},
                              "sagittal": {"rows": 48, "columns": 40, "slices": 20}}
    win = {"series": sid, "center": -524, "width": 1000}
    for k in (0, 7, 19):
        assert np.array_equal(api.render({**win, "plane": "sagittal", "slice": k})[1],
                              api.render({**win, "slice": k})[1])
    letters = {p: api.render({**win, "plane": p})[0]["overlay"]["orientation"] for p in ("axial", "coronal")}
    assert letters["axial"] == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    assert letters["coronal"] == {"left": "R", "right": "L", "top": "H", "bottom": "F"}
    # the oblique turns about the foot–head axis here too; 90° is the sagittal plane, stepping 1 mm (the finer
    # spacing) instead of the slices' 2 mm: oblique image 2k is sagittal image k
    obl = api.render({**win, "plane": "oblique", "angle": 90, "slice": 8})
    sag = api.render({**win, "plane": "sagittal", "slice": 4})
    assert same_geometry(obl[0]["geometry"], sag[0]["geometry"]) and np.array_equal(obl[1], sag[1])
    assert obl[0]["overlay"]["slices"] == 39
    # at 0° it is the coronal plane, sampled at the finer spacing (1 mm, not the slices' 2 mm) across
    obl, cor = (api.render({**win, "plane": p, "slice": 9})[0] for p in ("oblique", "coronal"))
    assert obl["geometry"]["row"] == pytest.approx(cor["geometry"]["row"]) and obl["width"] == 39
    assert obl["geometry"]["origin"] == pytest.approx(cor["geometry"]["origin"])
