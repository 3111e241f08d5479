"""De-identification: PS3.15 Annex E Basic Application Level Confidentiality Profile (Table E.1-1, edition 2024b)
with the Modified Dates, Patient Characteristics, Device Identity and Clean Descriptors Options. Pure Python (stdlib,
numpy, pydicom): no threads, no I/O beyond the bytes given.

A study::

    context = Context()                       # one per study (or session): same UIDs, same date shift
    options = Options(modified_dates=True)
    for name, data in files:
        out, report = deidentify_bytes(data, name, options=options, context=context)
        assert verify(data, out, options) == []
    by_study(context.reports)                 # per-study summary: tag, keyword, action, count
"""
from __future__ import annotations

from .core import deidentify, well_known_uid
from .files import deidentify_bytes
from .options import Context, Options
from .pixels import black_out, burned_in_reasons, set_pixels
from .report import Report, by_study
from .verify import verify

__all__ = ["Context", "Options", "Report", "black_out", "burned_in_reasons", "by_study", "deidentify",
           "deidentify_bytes", "set_pixels", "verify", "well_known_uid"]
