"""VeNOS: a zero-footprint DICOM viewer whose logic is Python (pydicom + numpy) running in the browser.

Layers, lowest first (a lower layer never imports a higher one):
``errors`` → ``dicom`` (parse, typed attributes) → ``pixels`` (decode, cache) → ``model`` (series) →
``view`` (state, LUTs, render) → ``tools`` → ``api`` (the only module JavaScript calls).
"""

__version__ = "0.1.0"
