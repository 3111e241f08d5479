"""A real 512×512 CT re-encoded in every transfer syntax by independent tools (dcmtk, GDCM, OpenJPH, pydicom),
decoded in the browser; lossless variants must give the source pixels, lossy ones the encoding tool's own decode."""
from __future__ import annotations

import numpy as np
import pytest

from codec_refs import array_hash, browser_decode, codec_page, decoded, staged_url  # noqa: F401
from conftest import data_path

pytestmark = pytest.mark.browser

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from variants import Variant, make_variants, reference_pixels, tools_missing  # noqa: E402

NAMES = ["explicit-vr-le", "implicit-vr-le", "explicit-vr-be", "deflated-explicit-vr-le", "jpeg-baseline",
         "jpeg-extended-12bit", "jpeg-spectral-selection", "jpeg-progressive", "jpeg-lossless", "jpeg-lossless-sv1",
         "jpeg-ls-lossless", "jpeg-ls-near-lossless", "j2k-lossless", "j2k-lossy", "rle", "htj2k-lossless",
         "htj2k-lossless-rpcl", "htj2k-lossy", "encapsulated-uncompressed", "deflated-image-frame"]
# Lossy variants are compared with the encoding tool family's own decode (dcmtk's IJG for JPEG, CharLS for
# JPEG-LS, GDCM's OpenJPEG for JPEG 2000) and agree exactly. HTJ2K has no second decoder on Debian: its lossy
# variant is compared with the source: PSNR over the value range at least 40 dB (the quantization error).


@pytest.fixture(scope="module")
def variants(tmp_path_factory) -> dict[str, Variant]:
    missing = tools_missing()
    if missing:
        pytest.skip(f"tools missing: {', '.join(missing)} (apt-get install dcmtk libgdcm-tools nodejs)")
    made = make_variants(data_path("dcm_qa_ct/GE/01.dcm"), tmp_path_factory.mktemp("variants"))
    return {v.name: v for v in made}


@pytest.mark.parametrize("name", NAMES)
def test_ct_variant_decodes_in_the_browser(codec_page, site, variants, name):
    v = variants[name]
    url = staged_url(codec_page, site, f"{name}.dcm", v.path.read_bytes())
    r = browser_decode(codec_page, url, f"{name}.dcm", pixels=not v.lossless)
    assert r.get("ok"), r.get("errors") or r.get("error")
    assert r["syntax"] == v.syntax
    ref = reference_pixels(v)
    if v.lossless:
        assert r["sha256"] == array_hash(ref), f"{name} ({v.tool}) did not decode to the source pixels"
        return
    got = decoded(r)
    err = got.astype(np.float64) - ref.astype(np.float64)
    if name == "htj2k-lossy":
        rms, span = float(np.sqrt(np.mean(err ** 2))), float(ref.max() - ref.min())
        psnr = 20 * np.log10(span / rms)
        assert psnr >= 40, f"{name}: PSNR {psnr:.1f} dB (RMS error {rms:.1f} over a range of {span:.0f})"
        return
    assert np.abs(err).max() == 0, f"{name}: max |browser − {v.tool.split()[0]} decode| = {np.abs(err).max()}"
