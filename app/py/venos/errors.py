"""One error family. Every message says which file, what was found, and what the user can do."""
from __future__ import annotations


class VenosError(Exception):
    """Base of every error VeNOS raises on purpose. ``code`` is stable, machine-readable and kebab-case; raised
    as is, it means the call itself was wrong (an unknown tool, a wrong number of points)."""

    code = "bad-call"

    def __init__(self, message: str, *, source: str = "", frame: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.frame = frame

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "source": self.source, "frame": self.frame}

    def __str__(self) -> str:
        where = self.source
        if self.frame is not None:
            where = f"{where}, frame {self.frame + 1}" if where else f"frame {self.frame + 1}"
        return f"{where}: {self.message}" if where else self.message


def _kind(name: str, code: str, doc: str) -> type[VenosError]:
    return type(name, (VenosError,), {"code": code, "__doc__": doc, "__module__": __name__})


# The kinds of error, each with its stable code (docs/api.md "Error codes").
SourceError = _kind("SourceError", "source", "The bytes could not be obtained (network, permission, CORS, missing file).")
NotDicom = _kind("NotDicom", "not-dicom", "The bytes are neither DICOM nor an image format we open.")
InvalidDataset = _kind("InvalidDataset", "invalid", "DICOM, but malformed, truncated or inconsistent.")
NotAnImage = _kind("NotAnImage", "not-image", "A valid DICOM object that holds no pixels to show (SR, RT plan, KO …).")
UnsupportedTransferSyntax = _kind("UnsupportedTransferSyntax", "unsupported-transfer-syntax",
                                  "The pixels use an encoding this build has no decoder for.")
DecodeError = _kind("DecodeError", "decode", "A decoder was found but failed on this frame.")
UnknownSeries = _kind("UnknownSeries", "unknown-series", "No loaded series has this id.")
Duplicate = _kind("Duplicate", "duplicate", "The same image (SOP Instance UID) is already loaded.")
PendingPixels = _kind("PendingPixels", "pending",
                      "The slice is known from metadata but its bytes have not arrived yet (remote loading).")
NotAVolume = _kind("NotAVolume", "not-a-volume",
                   "A reformatted plane was asked of a series whose slices do not form a volume; the message says "
                   "why (docs/api.md \"Multiplanar reformatting\").")


def error_codes() -> dict[str, str]:
    """Exception class name → code, for every VenosError: the worker maps a Python exception that reaches it to
    the same kebab-case code the JavaScript API documents (anything else is ``internal``)."""
    out, todo = {}, [VenosError]
    while todo:
        cls = todo.pop()
        out[cls.__name__] = cls.code
        todo.extend(cls.__subclasses__())
    return out
