"""What the user chose (:class:`Options`) and what must stay the same across every file of a study (:class:`Context`).

UIDs are always remapped (the Retain UIDs Option is not offered). A new UID is a keyed hash of the original: the
key is the context's secret (random unless given), so the same original UID maps to the same new one in every file
de-identified with this context, and nobody without the secret can derive one from the other or test a guess.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass, field

from ..errors import VenosError

MAX_OFFSET_DAYS = 3650  # a random shift lies in [-MAX_OFFSET_DAYS, -365]: years, never zero


@dataclass(frozen=True)
class Options:
    """The PS3.15 E.3 options VeNOS offers (each False: the Basic Profile alone), and the values it writes.

    ``date_offset_days``: under ``modified_dates``, the shift applied to every date (negative moves dates back);
    None lets the :class:`Context` draw one at random, once, for all its files. ``patient_name`` / ``patient_id``:
    the dummies written for Patient's Name and Patient ID (empty: zero length, PS3.15 action Z). ``dummy_text``:
    what a D action writes in a text attribute. ``safe_private``: private attributes kept, as (group, private
    creator, element byte) — e.g. ``(0x0019, "GEMS_ACQU_01", 0x1A)``; empty by default: no private attribute is
    known to be free of identity in every file a vendor writes.
    """

    modified_dates: bool = False
    patient_characteristics: bool = False
    device_identity: bool = False
    clean_descriptors: bool = False
    date_offset_days: int | None = None
    patient_name: str = ""
    patient_id: str = ""
    dummy_text: str = "ANONYMIZED"
    safe_private: frozenset[tuple[int, str, int]] = frozenset()

    def __post_init__(self) -> None:
        if self.date_offset_days is not None and not isinstance(self.date_offset_days, int):
            raise VenosError(f"date_offset_days must be a whole number of days, not {self.date_offset_days!r}")
        if self.date_offset_days == 0:
            raise VenosError("a date shift of 0 days keeps the real dates: give a shift, or leave it empty for one "
                             "drawn at random (1 to 10 years back)")
        if self.date_offset_days is not None and abs(self.date_offset_days) > 100 * 366:
            raise VenosError(f"date_offset_days {self.date_offset_days} is more than a century: give at most "
                             f"{100 * 366} days either way")
        for text, what in ((self.patient_name, "patient_name"), (self.patient_id, "patient_id"),
                           (self.dummy_text, "dummy_text")):
            if not isinstance(text, str) or len(text) > 64 or "\\" in text:
                raise VenosError(f"{what} must be text of at most 64 characters without a backslash, not {text!r}")
        if not self.dummy_text:
            raise VenosError("dummy_text must not be empty: a D action writes a non-empty value (PS3.15 E.1.1)")

    @property
    def enabled(self) -> frozenset[str]:
        """The names of the options chosen, as ``deid.table.OPTIONS`` spells them."""
        return frozenset(n for n in ("modified_dates", "patient_characteristics", "device_identity",
                                     "clean_descriptors") if getattr(self, n))


@dataclass(eq=False)
class Context:
    """Per-study (or per-session) state shared by every file de-identified together: the secret that keys the UID
    map and the pseudonyms, the date shift once drawn, and the reports of the files done so far."""

    secret: bytes = field(default_factory=lambda: os.urandom(32), repr=False)
    _offset: int | None = field(default=None, repr=False)
    uids: dict[str, str] = field(default_factory=dict, repr=False)
    reports: list = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes) or len(self.secret) < 16:
            raise VenosError("the context's secret must be at least 16 random bytes")

    def _mac(self, kind: str, text: str) -> bytes:
        return hmac.new(self.secret, f"{kind}\0{text}".encode("utf-8"), hashlib.sha256).digest()

    def uid(self, original: str) -> str:
        """The new UID for ``original``: ``2.25.`` and the decimal of a UUID made from a keyed hash (PS3.5 B.2)."""
        new = self.uids.get(original)
        if new is None:
            new = "2.25." + str(uuid.UUID(bytes=self._mac("uid", original)[:16], version=4).int)
            self.uids[original] = new
        return new

    def pseudonym(self, original: str, *, length: int = 16) -> str:
        """A stable stand-in for an identifier kept distinct but not readable (AE titles under Retain Device
        Identity): 'X' and upper-case hex, ``length`` characters."""
        return ("X" + self._mac("name", original).hex().upper())[:length]

    def date_offset(self, options: Options) -> int:
        """The shift in days for every date of this context: the options' when given, else drawn once."""
        if options.date_offset_days is not None:
            return options.date_offset_days
        if self._offset is None:
            span = MAX_OFFSET_DAYS - 365 + 1
            self._offset = -(365 + int.from_bytes(self._mac("offset", "")[:4], "big") % span)
        return self._offset
