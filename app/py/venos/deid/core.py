"""De-identify one dataset in place: PS3.15 Annex E Basic Application Level Confidentiality Profile (Table E.1-1,
edition 2024b) with the Retain Longitudinal Temporal Information with Modified Dates (E.3.6), Retain Patient
Characteristics (E.3.7), Retain Device Identity (E.3.8) and Clean Descriptors (E.3.5) Options. Every item of every
sequence is walked (PS3.15 E.1.1: "whether contained in the main dataset or embedded in an Item").

Beyond the table (its Note 4 asks de-identifiers to look past it): person names (PN) and free text (LT, ST, UT, UC)
the table does not name are emptied, dates (DA, DT) it does not name are emptied or shifted like the others, and
every UID that is not a well-known one (pydicom's UID dictionary, the DICOM root 1.2.840.10008, HL7 coding schemes,
class / coding-scheme / transfer-syntax attributes) is remapped.
"""
from __future__ import annotations

import os

from pydicom.datadict import dictionary_VM, keyword_for_tag
from pydicom.dataelem import empty_value_for_VR
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.uid import UID

from ..errors import InvalidDataset
from . import table
from .options import Context, Options
from .report import Report
from .values import FREE_TEXT_VRS, clean_text, dummy, identifiers_of, shift_date

# Written by VeNOS after the walk (PS3.15 E.1.1 step 6, PS3.3 C.12.1.1.7 / C.7.6.1.1.6); never walked.
WRITTEN = frozenset({0x00120062, 0x00120063, 0x00120064, 0x00280303})
KEEP_UID_KEYWORDS = ("ClassUID", "CodingSchemeUID", "TransferSyntaxUID", "ContextUID", "MappingResourceUID")
IDENT_VRS = frozenset({"PN", "LO", "SH", "LT", "ST", "UT", "UC", "AE", "DA", "DT"})
# CID 7050 De-identification Method (PS3.16), scheme DCM.
METHOD_CODES = (("basic", "113100", "Basic Application Confidentiality Profile"),
                ("clean_descriptors", "113105", "Clean Descriptors Option"),
                ("modified_dates", "113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
                ("patient_characteristics", "113108", "Retain Patient Characteristics Option"),
                ("device_identity", "113109", "Retain Device Identity Option"))


def well_known_uid(value: str, keyword: str = "") -> bool:
    """A UID that names no patient, study or device: kept as is."""
    value = str(value)
    return (bool(UID(value).keyword) or value.startswith("1.2.840.10008.") or value.startswith("2.16.840.1.113883.6.")
            or keyword.endswith(KEEP_UID_KEYWORDS))


def deidentify(ds: Dataset, *, options: Options, context: Context, name: str = "") -> Report:
    """De-identify ``ds`` in place (file meta rebuilt, preamble zeroed) and return what was done; the report is
    also kept in ``context.reports``. ``name`` only labels the report."""
    offset = context.date_offset(options) if options.modified_dates else None
    report = Report(name=name)
    walker = _Walker(options, context, offset, report, _identifiers(ds, options.enabled))
    walker.walk(ds)
    _write_method(ds, options)
    _rebuild_file_meta(ds, context, name)
    report.study = str(ds.get("StudyInstanceUID", ""))
    context.reports.append(report)
    return report


def _identifiers(ds: Dataset, enabled: frozenset[str]) -> list[str]:
    """The identifying strings of the file (values of table attributes it removes or replaces), longest first:
    what Clean Descriptors takes out of the descriptors it keeps."""
    found: set[str] = set()

    def visit(d: Dataset) -> None:
        for elem in d:
            if elem.VR == "SQ":
                for item in elem.value or ():
                    visit(item)
                continue
            row = table.lookup(int(elem.tag))
            if row is None or elem.VR not in IDENT_VRS or not elem.value:
                continue
            if table.concrete(row.action(enabled)) in ("X", "Z", "D"):
                found.update(identifiers_of(elem.value))

    visit(ds)
    return sorted(found, key=len, reverse=True)


class _Walker:
    def __init__(self, options: Options, context: Context, offset: int | None, report: Report,
                 identifiers: list[str]) -> None:
        self.options, self.context, self.offset, self.report = options, context, offset, report
        self.enabled = options.enabled
        self.identifiers = identifiers

    def walk(self, ds: Dataset) -> None:
        creators = {int(e.tag): str(e.value) for e in ds if table.is_private(int(e.tag))
                    and 0x10 <= (int(e.tag) & 0xFFFF) <= 0xFF}
        for elem in list(ds):
            tag = int(elem.tag)
            if tag in WRITTEN:
                continue
            if table.is_private(tag):
                self._private(ds, elem, creators)
            elif tag >> 16 == 0x0002 or tag & 0xFFFF == 0:  # file meta inside a data set, group lengths
                del ds[tag]
                self.report.add(tag, keyword_for_tag(tag) or "GroupLength", "removed")
            elif table.is_overlay_or_curve(tag):  # curve data X; overlay data X: the plane goes with it
                del ds[tag]
                row = table.lookup(tag)
                self.report.add(tag, row.keyword if row else "OverlayPlane", "removed")
            else:
                row = table.lookup(tag)
                if row is None:
                    self._outside_table(ds, elem)
                else:
                    self._apply(ds, elem, table.concrete(row.action(self.enabled)), row)

    def _private(self, ds: Dataset, elem, creators: dict[int, str]) -> None:
        tag = int(elem.tag)
        group, el = tag >> 16, tag & 0xFFFF
        safe = self.options.safe_private
        if 0x10 <= el <= 0xFF:
            keep = any(g == group and c == creators.get(tag) for g, c, _b in safe)
        else:
            creator = creators.get((group << 16) | (el >> 8))
            keep = creator is not None and (group, creator, el & 0xFF) in safe
        if not keep:
            del ds[tag]
            self.report.add(tag, "(private)", "removed")
            return
        self.report.add(tag, "(private)", "kept")
        if elem.VR == "SQ":
            self._items(elem)

    def _items(self, elem) -> None:
        for item in elem.value or ():
            self.walk(item)

    def _outside_table(self, ds: Dataset, elem) -> None:
        tag, vr = int(elem.tag), elem.VR
        keyword = elem.keyword or keyword_for_tag(tag)
        if vr == "SQ":
            self._items(elem)
        elif vr == "UI":
            if elem.value and self._remap(elem, keyword):
                self.report.add(tag, keyword, "remapped")
        elif vr == "PN" or vr in FREE_TEXT_VRS:
            elem.value = empty_value_for_VR(vr)
            self.report.add(tag, keyword, "emptied")
        elif vr in ("DA", "DT"):
            self._dates(ds, elem, keyword)

    def _remap(self, elem, keyword: str) -> bool:
        """Remap the element's UIDs in place; False when all were well-known (nothing changed)."""
        values = list(elem.value) if isinstance(elem.value, MultiValue) else [elem.value]
        new = [v if not v or well_known_uid(v, keyword) else self.context.uid(str(v)) for v in values]
        if new == values:
            return False
        elem.value = new if len(new) > 1 else new[0]
        return True

    def _dates(self, ds: Dataset, elem, keyword: str) -> None:
        tag = int(elem.tag)
        if self.offset is None:
            elem.value = empty_value_for_VR(elem.VR)
            self.report.add(tag, keyword, "emptied")
            return
        if not elem.value:
            return
        values = list(elem.value) if isinstance(elem.value, MultiValue) else [elem.value]
        new = [shift_date(str(v), elem.VR, self.offset) for v in values]
        if None in new:  # unreadable: not kept
            elem.value = empty_value_for_VR(elem.VR)
            self.report.add(tag, keyword, "emptied")
            return
        elem.value = new if len(new) > 1 else new[0]
        self.report.add(tag, keyword, "date shifted")

    def _apply(self, ds: Dataset, elem, code: str, row: table.Row) -> None:
        tag, vr, keyword = int(elem.tag), elem.VR, row.keyword
        if code == "C":
            code = self._clean(ds, elem, row)
            if code is None:
                return
        if code == "X":
            del ds[tag]
            self.report.add(tag, keyword, "removed")
        elif code == "K":
            if vr == "SQ":
                self._items(elem)
            self.report.add(tag, keyword, "kept")
        elif code == "Z":
            patient = {0x00100010: self.options.patient_name, 0x00100020: self.options.patient_id}.get(tag)
            if patient:
                elem.value = patient
                self.report.add(tag, keyword, "replaced")
            else:
                elem.value = empty_value_for_VR(vr)
                self.report.add(tag, keyword, "emptied")
        elif vr == "SQ":  # U (X/Z/U*) or D on a sequence: its items, walked, UIDs remapped
            self._items(elem)
            self.report.add(tag, keyword, "remapped" if code == "U" else "cleaned")
        elif vr == "UI":
            if elem.value:
                self._remap(elem, "")  # the table asks U: only a well-known value is kept, whatever the keyword
            self.report.add(tag, keyword, "remapped")
        else:  # D (or U on a non-UID VR, which the table never asks)
            elem.value = dummy(vr, dictionary_VM(tag) if elem.keyword else "1", text=self.options.dummy_text)
            self.report.add(tag, keyword, "replaced")

    def _clean(self, ds: Dataset, elem, row: table.Row) -> str | None:
        """Carry out C; return None when done, or the code to fall back on (the basic profile's) when C has no
        meaning for this VR (a timestamp in OB cannot be shifted)."""
        tag, vr, keyword = int(elem.tag), elem.VR, row.keyword
        if vr in ("DA", "DT") and self.offset is not None:
            self._dates(ds, elem, keyword)
        elif vr == "TM" and self.offset is not None:
            self.report.add(tag, keyword, "kept")  # a whole-day shift leaves the time of day as it was
        elif vr == "SQ":
            self._items(elem)
            self.report.add(tag, keyword, "cleaned")
        elif vr == "AE":
            values = list(elem.value) if isinstance(elem.value, MultiValue) else [elem.value]
            new = [self.context.pseudonym(str(v)) if v else v for v in values]
            elem.value = new if len(new) > 1 else new[0]
            self.report.add(tag, keyword, "cleaned")
        elif vr in ("LO", "SH", "ST", "LT", "UT", "UC", "PN"):
            values = list(elem.value) if isinstance(elem.value, MultiValue) else [elem.value]
            new = [clean_text(str(v), self.identifiers) if v else v for v in values]
            elem.value = new if len(new) > 1 else new[0]
            self.report.add(tag, keyword, "cleaned")
        elif vr == "CS":
            self.report.add(tag, keyword, "kept")  # defined terms carry no identity (PS3.15 E.1.1 Note 9)
        else:
            return table.concrete(row.basic)
        return None


def _write_method(ds: Dataset, options: Options) -> None:
    """Patient Identity Removed, the method's text and CID 7050 codes (PS3.15 E.1.1 step 6), and Longitudinal
    Temporal Information Modified: MODIFIED under the Modified Dates Option, else REMOVED (PS3.15 E.1.1, E.3.6)."""
    enabled = options.enabled | {"basic"}
    codes = [c for c in METHOD_CODES if c[0] in enabled]
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = [f"VeNOS {table.edition().split(',')[0]} E.1-1"[:64]] + [m[:64] for _k, _v, m in
                                                                                         codes]
    items = []
    for _key, value, meaning in codes:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)
    ds.LongitudinalTemporalInformationModified = "MODIFIED" if options.modified_dates else "REMOVED"


def _rebuild_file_meta(ds: Dataset, context: Context, name: str) -> None:
    """New File Meta Information: the original's (source AE title, private info, old UID) could identify (PS3.15
    E.1.1 step 7); the 128-byte preamble is zeroed. SOP Class and Instance UIDs come from the data set, else from
    the old meta (the instance UID remapped)."""
    old = ds.get("file_meta") or FileMetaDataset()
    meta = FileMetaDataset()
    if "TransferSyntaxUID" in old:
        meta.TransferSyntaxUID = old.TransferSyntaxUID
    sop_class = ds.get("SOPClassUID") or old.get("MediaStorageSOPClassUID")
    if not sop_class:
        raise InvalidDataset("no SOP Class UID in the data set or its file meta: a DICOM file cannot be written "
                             "without one", source=name)
    meta.MediaStorageSOPClassUID = sop_class
    instance = ds.get("SOPInstanceUID")
    if not instance:
        instance = context.uid(str(old.get("MediaStorageSOPInstanceUID") or os.urandom(16).hex()))
    meta.MediaStorageSOPInstanceUID = instance
    meta.ImplementationVersionName = "VENOS_DEID"
    ds.file_meta = meta
    ds.preamble = b"\x00" * 128
