"""Sharing a case, measurement reports and presentation states, as api.py offers them to JavaScript (which calls
them through ``venos.api``). Each imports its feature's modules on first use: they ship in lazy bundles
(app/build/runtime_diet.py ``VENOS_LAZY``), so none of them costs anything at start-up."""
from __future__ import annotations

from typing import Any

from ._js import to_plain


def share_survey() -> dict:
    """What the Share dialog shows before writing: per series its files, those not arrived, burned-in text flags."""
    from . import export_api

    return export_api.share_survey()


def export_case(spec: Any = None) -> dict:
    """The loaded series as a zip for a static host, de-identified if asked (docs/api.md "Share a case")."""
    from . import export_api

    return export_api.export_case(to_plain(spec))


# ------------------------------------------------------------------------------------------------ measurement reports
def reports() -> dict:
    """The loaded measurement reports' measurements, placed on the images loaded now (venos/reports.py)."""
    from . import reports as _reports

    return _reports.resolved()


def report_write(items: Any) -> dict:
    """The measurement layer's items as a DICOM SR Measurement Report file: ``{data, name, saved, notSaved}``."""
    from . import reports as _reports

    return _reports.write(to_plain(items))


def locate(refs: Any) -> list:
    """Where images are (``[{sop, frame}]``, a share link's measurements): ``{series, slice, source}`` each, or
    None for one not loaded."""
    from . import reports as _reports

    return _reports.locate(to_plain(refs) or [])


def presentations() -> dict:
    """The loaded presentation states on the images loaded now (venos/presentations.py)."""
    from . import presentations as _presentations

    return _presentations.resolved()
