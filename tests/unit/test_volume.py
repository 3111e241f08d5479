"""A series as a volume (model/volume.py through the API): what is resampled and said, what is refused and why,
where voxels land in the patient, and what the one volume costs in memory. Synthetic series (tests/synthetic.py)
carry their truth; two real CT series check the rules on scanner output."""
from __future__ import annotations

import json
import math

import numpy as np
import pydicom
import pytest

import synthetic as sy
from conftest import data_path
from venos import api
from venos.errors import NotAVolume, error_codes
from venos.session import session


@pytest.fixture(autouse=True)
def fresh():
    api.clear()
    yield
    api.clear()


def flat_slices(heights, value=lambda z: 100 * z, size=8, **kw) -> dict[str, bytes]:
    """Axial slices at these heights, each filled with ``value(height)``."""
    vol = np.stack([np.full((size, size), int(round(value(z))), np.int16) for z in heights])
    return sy.series(vol, positions=[(0.0, 0.0, z) for z in heights], **kw)


def built(sid: str):
    """The volume the session holds for a series (built by asking for a plane)."""
    meta, _ = api.render({"series": sid, "plane": "axial"})
    assert "error" not in meta, meta
    return session.volumes.built(sid)


# ------------------------------------------------------------------------------------------------ clean volumes

def test_a_regular_stack_is_a_volume_of_its_own_slices():
    vol = np.random.default_rng(3).integers(-500, 1500, size=(6, 12, 10)).astype(np.int16)
    sid = sy.load(sy.series(vol, spacing=(0.5, 0.75), positions=sy.stacked(6, 2.5, origin=(-3, 4, 10))))
    info = api.volume_info(sid)
    assert info["ok"] and info["reason"] == "" and info["notes"] == []
    assert info["shape"] == [6, 12, 10] and info["spacing"] == pytest.approx([2.5, 0.5, 0.75])
    assert info["acquisitionPlane"] == "axial" and info["pending"] == 0
    assert info["planes"]["coronal"] == {"rows": 6, "columns": 10, "slices": 12}
    v = built(sid)
    assert v.data.dtype == np.int16 and np.array_equal(v.data, vol)  # the stored values, not a copy in float
    assert v.grid.point((0, 0, 0)) == pytest.approx([-3, 4, 10])
    assert v.grid.point((5, 11, 9)) == pytest.approx([-3 + 9 * 0.75, 4 + 11 * 0.5, 10 + 5 * 2.5])


def test_slices_arriving_in_any_order_fill_the_volume_by_position():
    vol = np.arange(5 * 4 * 4, dtype=np.int16).reshape(5, 4, 4)
    files = sy.series(vol, positions=sy.stacked(5, 3.0))
    sid = sy.load(files, order=sorted(files, reverse=True))
    assert np.array_equal(built(sid).data, vol)


def test_rescale_that_differs_between_slices_gives_float_modality_values():
    vol = np.full((4, 4, 4), 100, np.int16)
    slopes = [(1.0, -1024.0), (2.0, -1024.0), (1.0, 0.0), (0.5, 10.0)]
    sid = sy.load(sy.series(vol, positions=sy.stacked(4, 1.0), slopes=slopes))
    v = built(sid)
    assert v.data.dtype == np.float32
    assert [float(v.data[k, 0, 0]) for k in range(4)] == [100 * s + i for s, i in slopes]
    r = api.value_at({"series": sid, "plane": "axial", "slice": 1}, 1, 1)
    assert r["value"] == r["stored"] == -824.0  # modality values, shown as they are


# ------------------------------------------------------------------------------------------------ resampled, said

def test_irregular_spacing_is_resampled_to_the_median_and_said():
    heights = [0, 2, 4, 6, 8.5, 10.5, 12.5, 14.5]
    sid = sy.load(flat_slices(heights, thickness=2.0))
    info = api.volume_info(sid)
    assert info["ok"] and info["shape"][0] == 8 and info["spacing"][0] == pytest.approx(2.0)
    assert info["notes"] == ["irregular spacing 2.00–2.50 mm resampled to the median 2.00 mm (linear interpolation)"]
    v = built(sid)
    # every 2 mm from the first slice, linearly between the two slices around it: 100 × height exactly
    assert [int(v.data[t, 0, 0]) for t in range(8)] == [200 * t for t in range(8)]
    meta, _ = api.render({"series": sid, "plane": "coronal"})
    assert meta["overlay"]["notes"] == info["notes"]


def test_jitter_within_one_percent_is_regular():
    heights = [0, 2.01, 4.0, 5.99, 8.005]  # gaps 2.01, 1.99, 1.99, 2.015: at most 0.015 mm from the median 2.0
    info = api.volume_info(sy.load(flat_slices(heights)))
    assert info["ok"] and info["notes"] == [] and info["spacing"][0] == pytest.approx(8.005 / 4)


def tilted_sphere(tilt_deg: float, centre, radius: float, *, count=30, table=2.0, size=64):
    """A gantry-tilted stack (the table moves along z, the image plane is tilted about x) imaging a sphere given
    in patient coordinates: each pixel holds 1000 where its centre is inside the sphere."""
    t = math.radians(tilt_deg)
    row, col = np.array([1.0, 0, 0]), np.array([0.0, math.cos(t), -math.sin(t)])
    i, j = np.mgrid[0:size, 0:size]
    vol, positions = [], []
    for k in range(count):
        p = np.array([0.0, 0.0, k * table])
        pts = p + j[..., None] * row + i[..., None] * col
        vol.append(np.where(np.linalg.norm(pts - np.asarray(centre), axis=-1) <= radius, 1000, 24))
        positions.append(p)
    return sy.series(np.array(vol, dtype=np.int16), positions=positions, orientation=tuple(row) + tuple(col),
                     thickness=table * math.cos(t))


def test_gantry_tilt_is_resampled_said_and_voxels_land_where_they_are_in_the_patient():
    centre = np.array([32.0, 30.0, 30.0])
    sid = sy.load(tilted_sphere(20.0, centre, 8.0))
    info = api.volume_info(sid)
    assert info["ok"] and info["notes"] == ["gantry tilt 20.0° resampled (each slice shifted in-plane, linear "
                                            "interpolation)"]
    assert info["spacing"][0] == pytest.approx(2.0 * math.cos(math.radians(20)))  # along the normal
    v = built(sid)
    q = np.argwhere(v.data > 500).mean(axis=0)
    assert v.grid.point(q) == pytest.approx(centre, abs=0.25)  # the sphere is where the patient has it
    # through the API: the slice nearest the centre, the blob's centre in it, back to the patient
    st = {"series": sid, "plane": "axial", "slice": api.slice_at({"series": sid, "plane": "axial"},
                                                                  list(centre))["slice"]}
    meta, rgba = api.render({**st, "center": -500, "width": 10})  # HU: inside 1000 − 1024, outside 24 − 1024
    rows, cols = np.nonzero(rgba[..., 0] > 128)
    p = api.point_at(st, cols.mean() + 0.5, rows.mean() + 0.5)["point"]
    assert np.array(p) == pytest.approx(centre, abs=1.0)  # within the 1.88 mm slice spacing


def test_without_the_shift_the_tilted_sphere_would_be_elsewhere():
    """The control: placing each slice by its position along the normal only (ignoring the in-plane offset)
    misplaces the sphere by height × tan(tilt) — what the resampling corrects."""
    centre = np.array([32.0, 30.0, 30.0])
    files = tilted_sphere(20.0, centre, 8.0)
    sid = sy.load(files)
    v = built(sid)
    sv = v.survey
    naive = np.stack([session.pixels.get(sl.instance.key, sl.instance.info, sl.instance.source, 0).pixels
                      for sl in sv.slices])
    q = np.argwhere(naive > 500).mean(axis=0)
    first = np.array(sv.slices[0].instance.info.frame(0).position)
    naive_point = first + (q * sv.grid.spacing) @ sv.grid.axes
    assert np.linalg.norm(naive_point - centre) > 5.0


# ------------------------------------------------------------------------------------------------ refused, named

def test_a_missing_slice_is_refused_naming_where():
    sid = sy.load(flat_slices([0, 2, 4, 6, 10, 12, 14], thickness=2.0))
    info = api.volume_info(sid)
    want = ("slices are missing between slice 4 (s0003.dcm) and slice 5 (s0004.dcm): a gap of 4.00 mm where the "
            "spacing is 2.00 mm")
    assert not info["ok"] and info["reason"] == want and info["shape"] == []
    meta, rgba = api.render({"series": sid, "plane": "coronal"})
    assert rgba is None and meta["error"]["code"] == "not-a-volume" and meta["error"]["message"] == want
    for call in (lambda: api.tool("scroll", {"series": sid, "plane": "sagittal"}, {"delta": 1}),
                 lambda: api.value_at({"series": sid, "plane": "coronal"}, 1, 1),
                 lambda: api.measure("length", {"series": sid, "plane": "axial"}, [[0, 0], [1, 1]])):
        with pytest.raises(NotAVolume, match="slices are missing"):
            call()
    meta, rgba = api.render({"series": sid, "slice": 4})  # as acquired, every slice still shows
    assert rgba is not None and "error" not in meta


def test_a_gap_the_slices_thickness_covers_is_irregular_spacing_not_missing():
    # 2 mm slices, then 5 mm ones: the 5 mm gaps are 2.5 × the median, but 5 mm thick slices leave no hole
    vol = np.zeros((8, 8, 8), np.int16)
    heights = [0, 2, 4, 6, 8, 13, 18, 23]
    files = {}
    for k, z in enumerate(heights):
        files.update({f"s{k:04d}.dcm": sy.ct_slice(vol[k], (0, 0, z), thickness=2.0 if z <= 8 else 5.0,
                                                    series_uid="1.2.3.9", frame_uid="1.2.3.10", number=k + 1)})
    info = api.volume_info(sy.load(files))
    assert info["ok"] and "irregular spacing 2.00–5.00 mm resampled to the median 2.00 mm" in info["notes"][0]


@pytest.mark.parametrize("case, reason", [
    ("two", "a volume needs at least 3 slices; this series has 2"),
    ("orientation", "inconsistent orientation"),
    ("spacing", "a volume needs one spacing"),
    ("colour", "colour images (RGB) are not reformatted"),
    ("no position", "has no Image Position / Image Orientation (Patient)"),
    ("same position", "lie at one position"),
    ("frame of reference", "in another frame of reference"),
])
def test_what_cannot_be_a_volume_is_refused_with_the_reason(case, reason):
    uid, frame = "1.2.3.7", "1.2.3.8"

    def one(k, **kw):
        args = dict(pixels=np.zeros((8, 8), np.int16), position=(0, 0, 2.0 * k), series_uid=uid, frame_uid=frame,
                    number=k + 1)
        args.update(kw)
        return sy.ct_slice(**args)

    files = {f"s{k}.dcm": one(k) for k in range(4)}
    if case == "two":
        files = {k: files[k] for k in ("s0.dcm", "s1.dcm")}
    elif case == "orientation":
        files["s2.dcm"] = one(2, orientation=(1, 0, 0, 0, 0.996, 0.0872))
    elif case == "spacing":
        files["s2.dcm"] = one(2, spacing=(1.0, 1.2))
    elif case == "colour":
        files = {f"s{k}.dcm": one(k, pixels=np.zeros((8, 8, 3), np.uint8), photometric="RGB") for k in range(4)}
    elif case == "no position":
        ds = pydicom.dcmread(__import__("io").BytesIO(files["s1.dcm"]))
        del ds.ImagePositionPatient
        files["s1.dcm"] = _bytes(ds)
    elif case == "same position":
        files["s3.dcm"] = one(3, position=(0, 0, 4.0))
    elif case == "frame of reference":
        files["s3.dcm"] = one(3, frame_uid="1.2.3.99")
    sid = sy.load(files)
    info = api.volume_info(sid)
    assert not info["ok"] and reason in info["reason"], info
    meta, _ = api.render({"series": sid, "plane": "coronal"})
    assert meta["error"]["code"] == "not-a-volume" and reason in meta["error"]["message"]


def _bytes(ds) -> bytes:
    import io

    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def test_not_a_volume_is_a_registered_error_kind():
    assert error_codes()["NotAVolume"] == "not-a-volume"


# ------------------------------------------------------------------------------------------------ real series

def load_folder(rel: str) -> str:
    sid = ""
    for f in sorted(data_path(rel).iterdir()):
        r = api.add_file(f.name, f.read_bytes())
        assert r["ok"], r
        sid = r["series"]
    return sid


def test_ge_head_ct_tilt_and_two_slice_thicknesses_are_resampled_and_said():
    """dcm_qa_ct/GE: 28 slices, gantry tilt 18.5°, 14 slices 4 mm thick every 4.0 mm then 14 slices 7 mm thick
    every 7.0 mm (1.08 mm between the two parts). The 7 mm gaps are 1.75 × the median 4.0 mm, but each is covered
    by its 7 mm thick slices: no slice is missing, the spacing is irregular (a head CT's two reconstructions of
    the posterior fossa and the cerebrum). So: tilt resampled, spacing resampled to the median, both said."""
    sid = load_folder("dcm_qa_ct/GE")
    info = api.volume_info(sid)
    assert info["ok"], info
    assert info["notes"] == ["gantry tilt 18.5° resampled (each slice shifted in-plane, linear interpolation)",
                             "irregular spacing 1.08–7.00 mm resampled to the median 4.00 mm (linear interpolation)"]
    assert info["shape"] == [37, 512, 512] and info["spacing"][0] == pytest.approx(4.0019, abs=1e-3)
    meta, rgba = api.render({"series": sid, "plane": "sagittal", "slice": 256})
    assert rgba is not None and meta["overlay"]["notes"] == info["notes"]
    assert meta["overlay"]["plane"] == "Sagittal"


def test_ge_tilted_slice_is_sampled_where_the_file_puts_it():
    """Voxels of the GE volume's first slice, taken to the patient and from there into the file's first slice,
    hold the file's values there (linearly between its rows: the tilt shifts each slice along its columns)."""
    sid = load_folder("dcm_qa_ct/GE")
    v = built(sid)
    first = v.survey.slices[0].instance
    pixels = pydicom.dcmread(data_path("dcm_qa_ct/GE") / first.info.source).pixel_array.astype(np.float64)
    fi = first.info.frame(0)
    row, col, pos = np.array(fi.orientation[:3]), np.array(fi.orientation[3:]), np.array(fi.position)
    dr, dc = first.info.pixel_spacing
    for i, j in ((256, 256), (300, 200), (180, 330), (120, 250)):
        p = v.grid.point((0, i, j)) - pos
        r, c = p @ col / dr, p @ row / dc  # where the voxel lies in the file's slice
        assert c == pytest.approx(j, abs=1e-6) and abs(p @ np.cross(row, col)) < 1e-6
        r0 = int(math.floor(r))
        want = (1 - (r - r0)) * pixels[r0, j] + (r - r0) * pixels[r0 + 1, j]
        assert float(v.data[0, i, j]) == pytest.approx(want, abs=0.5)  # rounded to the stored value


def test_philips_ct_is_a_clean_volume_equal_to_its_slices():
    sid = load_folder("dcm_qa_ct/Philips/S21570/S2010")
    info = api.volume_info(sid)
    assert info["ok"] and info["notes"] == [] and info["shape"] == [28, 512, 512]
    assert info["spacing"] == pytest.approx([5.0, 0.451171875, 0.451171875])
    v = built(sid)
    folder = data_path("dcm_qa_ct/Philips/S21570/S2010")
    for k in (0, 13, 27):
        ds = pydicom.dcmread(folder / v.survey.slices[k].instance.info.source)
        assert np.array_equal(v.data[k], ds.pixel_array)


# ------------------------------------------------------------------------------------------------ memory, life

def test_the_one_volume_is_counted_and_dropped_on_clear_and_when_its_series_changes():
    vol = np.zeros((10, 32, 32), np.int16)
    files = sy.series(vol, positions=sy.stacked(10, 1.0))
    names = sorted(files)
    sid = sy.load({n: files[n] for n in names[:-1]})
    assert api.memory()["volume"] == 0  # nothing is built until a plane is asked for
    api.render({"series": sid, "plane": "coronal"})
    assert api.memory()["volume"] >= 9 * 32 * 32 * 2
    assert api.add_file(names[-1], files[names[-1]])["ok"]  # the series changed: its volume is stale
    assert api.memory()["volume"] == 0
    meta, _ = api.render({"series": sid, "plane": "coronal"})
    assert meta["overlay"]["slices"] == 32 and session.volumes.built(sid).data.shape == (10, 32, 32)
    api.clear()
    assert api.memory()["volume"] == 0


def test_two_volumes_are_kept_and_the_least_recently_used_goes_first():
    """A current and a prior study reformatted side by side must not rebuild each other's volume on every image."""
    a = sy.load(sy.series(np.zeros((4, 16, 16), np.int16), positions=sy.stacked(4, 1.0)))
    b = sy.load(sy.series(np.zeros((5, 8, 8), np.int16), positions=sy.stacked(5, 1.0, origin=(0, 0, 50))))
    c = sy.load(sy.series(np.zeros((3, 4, 4), np.int16), positions=sy.stacked(3, 1.0, origin=(0, 0, 90))))
    assert len({a, b, c}) == 3
    api.render({"series": a, "plane": "sagittal"})
    api.render({"series": b, "plane": "sagittal"})
    vol_a = session.volumes.built(a)
    api.render({"series": a, "plane": "coronal"})
    assert session.volumes.built(a) is vol_a and session.volumes.built(b) is not None  # both kept
    api.render({"series": c, "plane": "sagittal"})  # b was used least recently: it goes
    assert session.volumes.built(b) is None and session.volumes.built(a) is vol_a and session.volumes.built(c)
    assert api.memory()["volume"] >= (4 * 16 * 16 + 3 * 4 * 4) * 2


def test_a_plane_waits_for_slices_still_on_their_way():
    vol = np.arange(4 * 8 * 8, dtype=np.int16).reshape(4, 8, 8)
    files = sy.series(vol, positions=sy.stacked(4, 2.0))
    base = "https://cases.example.org/vol/"
    insts = []
    for name, data in files.items():
        ds = pydicom.dcmread(__import__("io").BytesIO(data), stop_before_pixels=True)
        meta = {k: ds[k].value for k in ("Columns", "Rows", "InstanceNumber", "SOPClassUID", "SOPInstanceUID",
                                          "PhotometricInterpretation", "BitsAllocated", "BitsStored",
                                          "PixelRepresentation", "SamplesPerPixel", "FrameOfReferenceUID")}
        meta.update(ImagePositionPatient=[float(x) for x in ds.ImagePositionPatient],
                    ImageOrientationPatient=[float(x) for x in ds.ImageOrientationPatient],
                    PixelSpacing=[float(x) for x in ds.PixelSpacing], RescaleSlope=1, RescaleIntercept=-1024)
        insts.append({"url": base + name, "metadata": meta})
    manifest = {"studies": [{"StudyInstanceUID": "1.2.3.4", "series": [{
        "SeriesInstanceUID": pydicom.dcmread(__import__("io").BytesIO(files["s0000.dcm"])).SeriesInstanceUID,
        "Modality": "CT", "instances": insts}]}]}
    res = api.open_case("manifest", json.dumps(manifest), base + "manifest.json")
    assert res["ok"]
    sid = res["series"][0]["id"]
    st = {"series": sid, "plane": "coronal", "slice": 3}
    info = api.volume_info(sid)
    assert info["ok"] and info["pending"] == 4  # metadata is enough to know
    assert info["frameOfReference"] == meta["FrameOfReferenceUID"]
    meta, rgba = api.render(st)
    assert rgba is None and meta["pending"] and meta["source"].startswith(base)
    assert meta["overlay"]["slices"] == 8 and meta["geometry"]["rows"] == 4  # the plane is known already
    with pytest.raises(Exception, match="not arrived"):
        api.value_at(st, 1, 1)
    for p in res["plan"]:
        api.add_file(p["url"], files[p["url"].rsplit("/", 1)[1]])
    meta, rgba = api.render(st)
    assert rgba is not None and "pending" not in meta
    assert api.value_at(st, 2.5, 0.5)["stored"] == float(vol[3, 3, 2])  # top row: the highest slice
