"""ViewState: the plain-dict round trip JavaScript relies on (share links, viewState(), every render's reply)."""
import dataclasses

from venos.view.state import ViewState


def test_to_dict_has_every_field_as_plain_values():
    s = ViewState(series="s1", slice=3, center=40.0, width=400.0, invert=True, voi_function="SIGMOID", voi_lut=1,
                  overlays=False, zoom=2.0, pan=(1.5, -2.0), plane="oblique", slab=10.0, slab_mode="minip",
                  angle=30.0)
    d = s.to_dict()
    camel = {"voi_function": "voiFunction", "voi_lut": "voiLut", "slab_mode": "slabMode"}
    assert set(d) == {camel.get(f.name, f.name) for f in dataclasses.fields(ViewState)}  # every field, as JS names it
    assert d["pan"] == [1.5, -2.0] and isinstance(d["pan"], list)
    assert ViewState.from_dict(d) == s


def test_from_dict_sanitizes_what_javascript_sends():
    s = ViewState.from_dict({"slice": -4, "center": float("nan"), "width": -10, "voiFunction": "sigmoid",
                             "zoom": float("inf"), "pan": [1, float("nan")], "unknown": 1})
    assert s.slice == 0 and s.center is None and s.width == 1.0 and s.voi_function == "SIGMOID"
    assert s.zoom == 0.0 and s.pan == (0.0, 0.0)


def test_snake_case_keys_are_not_part_of_the_contract():
    s = ViewState.from_dict({"voi_function": "SIGMOID", "voi_lut": 2})
    assert s.voi_function == "" and s.voi_lut == -1


def test_plane_fields_are_sanitized():
    s = ViewState.from_dict({"plane": "Coronal", "slab": -3, "slabMode": "AVG", "angle": float("nan")})
    assert (s.plane, s.slab, s.slab_mode, s.angle) == ("coronal", 0.0, "avg", 0.0)
    s = ViewState.from_dict({"plane": "transverse", "slab": float("nan"), "slabMode": "sum", "angle": -45})
    assert (s.plane, s.slab, s.slab_mode, s.angle) == ("", 0.0, "mip", -45.0)
    assert ViewState.from_dict({"slab": 12.5}).slab == 12.5
