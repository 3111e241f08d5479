"""Measurements kept as a DICOM SR Measurement Report (PS3.16 TID 1500): written from the viewer's list
(write.py) and read back from ours or another tool's (read.py). Pure Python on pydicom; no JavaScript here."""
from __future__ import annotations

from .read import is_measurement_report, read_measurement_report
from .write import WrittenReport, measurement_report, write_measurement_report

__all__ = ["WrittenReport", "is_measurement_report", "measurement_report", "read_measurement_report",
           "write_measurement_report"]
