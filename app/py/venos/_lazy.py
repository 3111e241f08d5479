"""Modules that arrive when first imported.

The build ships eagerly only the modules the viewer imports while loading and showing images (build.py's runtime
diet); every other module of the standard library, numpy and pydicom sits in a bundle listed in
``_lazy_index.json`` (module → bundle, sha256). :class:`LazyBundles` is the last finder on ``sys.meta_path``: when
an import names one of those modules, it fetches the bundle (a synchronous request, allowed in a Web Worker),
checks its sha256, unpacks it and returns the module's spec. Every failure is an ``ImportError`` naming the module,
the bundle and the reason, so code that falls back on ``ImportError`` keeps working offline.

A few modules are imported at start-up but used only inside functions the viewer never calls (numpy.linalg's
LAPACK extension): the index lists them as ``deferred``, and a stand-in module takes their place until one of
their attributes is read, which fetches and loads the real one.
"""
from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import json
import os
import sys
import time
import types
import zipfile
from typing import Callable

INDEX = os.path.join(os.path.dirname(__file__), "_lazy_index.json")


class LazyBundles(importlib.abc.MetaPathFinder):
    def __init__(self, index: dict, base_url: str, fetch: Callable[[str], bytes]) -> None:
        self.root = index["root"]
        self.bundles = index["bundles"]
        self.where = {mod: name for name, b in self.bundles.items() for mod in b["modules"]}
        self.base_url = base_url
        self.fetch = fetch
        self.loaded: dict[str, dict] = {}  # bundle → {"ms", "bytes", "by"} in the order they arrived

    def find_spec(self, fullname, path=None, target=None):
        name = self.where.get(fullname)
        if name is None:
            return None
        return self.real_spec(fullname)

    def real_spec(self, fullname: str):
        name = self.where[fullname]
        if name not in self.loaded:
            self._load(name, fullname)
        rel, is_pkg = self.bundles[name]["modules"][fullname]
        origin = f"{self.root}{name}/{rel}"
        return importlib.util.spec_from_file_location(
            fullname, origin, submodule_search_locations=[os.path.dirname(origin)] if is_pkg else None)

    def _load(self, name: str, wanted: str) -> None:
        entry = self.bundles[name]
        url = self.base_url + entry["url"]
        t0 = time.perf_counter()
        try:
            data = self.fetch(url)
        except Exception as exc:  # offline, blocked, HTTP error: the import fails, the viewer goes on
            raise ImportError(f"module {wanted} is in the runtime bundle {name}, which could not be fetched "
                              f"from {url}: {exc}", name=wanted) from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            raise ImportError(f"module {wanted}: the runtime bundle {url} has sha256 {digest}, the build says "
                              f"{entry['sha256']} (a stale cache or a different build): reload the page",
                              name=wanted)
        unpack(data, f"{self.root}{name}")
        forget_listings()
        self.loaded[name] = {"ms": round((time.perf_counter() - t0) * 1000, 1), "bytes": len(data), "by": wanted}

    def status(self) -> dict:
        return {"bundles": len(self.bundles), "loaded": dict(self.loaded)}


def forget_listings() -> None:
    """New files are in place: drop the import system's cached folder listings (the path finders). Not
    ``importlib.invalidate_caches()``, which first imports importlib.metadata — a lazy module itself, and ~60 ms
    that nothing at start needs."""
    sys.path_importer_cache.clear()


def unpack(data, dest: str) -> int:
    """Write every file of a zip (bytes, or a JS buffer) under ``dest``; about twice as fast as
    ``pyodide.unpackArchive``, which first copies the archive to a file. Returns the number of files."""
    if hasattr(data, "to_bytes"):
        data = data.to_bytes()
    made = set()
    n = 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            path = os.path.normpath(os.path.join(dest, info.filename))
            if not path.startswith(dest.rstrip("/") + "/"):
                raise ValueError(f"{info.filename}: outside the folder it unpacks into")
            folder = os.path.dirname(path)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            with open(path, "wb") as f:
                f.write(zf.read(info))
            n += 1
    return n


class Deferred(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path``: a deferred module is imported as a stand-in; the first public attribute read
    finds the real module the usual way (or in a lazy bundle) and loads it."""

    def __init__(self, names) -> None:
        self.names = set(names)
        self.realizing: set[str] = set()
        self.realized: list[str] = []

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.names or fullname in self.realizing:
            return None
        return importlib.machinery.ModuleSpec(fullname, _StandInLoader(self), origin="deferred")

    def realize(self, stand_in: types.ModuleType) -> types.ModuleType:
        """Load the real module behind a stand-in; every reference to the stand-in then sees its contents."""
        fullname = stand_in.__name__
        parent, _, child = fullname.rpartition(".")
        self.realizing.add(fullname)
        try:
            search = getattr(sys.modules.get(parent), "__path__", None) if parent else None
            spec = importlib.machinery.PathFinder.find_spec(fullname, search)
            if spec is None and _finder is not None and fullname in _finder.where:
                spec = _finder.real_spec(fullname)
            if spec is None:
                raise ImportError(f"no module named {fullname!r}", name=fullname)
            real = importlib.util.module_from_spec(spec)
            sys.modules[fullname] = real
            try:
                spec.loader.exec_module(real)
            except BaseException:
                sys.modules[fullname] = stand_in
                raise
        finally:
            self.realizing.discard(fullname)
        if parent in sys.modules:
            setattr(sys.modules[parent], child, real)
        stand_in.__dict__.update({k: v for k, v in real.__dict__.items() if k not in _IMPORT_STATE})
        stand_in.__dict__["_venos_real"] = real
        self.realized.append(fullname)
        return real


# A stand-in keeps its own import-system identity; everything else of the real module is copied onto it.
_IMPORT_STATE = {"__name__", "__spec__", "__loader__", "__package__", "__path__", "__file__", "__cached__"}


class _StandInLoader(importlib.abc.Loader):
    def __init__(self, finder: Deferred) -> None:
        self.finder = finder

    def create_module(self, spec):
        module = _StandIn(spec.name)
        module.__dict__["_venos_deferred"] = self.finder
        return module

    def exec_module(self, module) -> None:
        pass


class _StandIn(types.ModuleType):
    """A deferred module before its first use: reading any public attribute loads the real one; afterwards every
    attribute (including ones the real module computes on access) comes from the real module."""

    def __getattr__(self, attr: str):
        real = self.__dict__.get("_venos_real")
        if real is None:
            if attr in _IMPORT_STATE or attr == "__getattr__":  # the import system probing: not a use
                raise AttributeError(attr)
            real = self.__dict__["_venos_deferred"].realize(self)
        return getattr(real, attr)


_finder: LazyBundles | None = None
_deferred: Deferred | None = None


def load(name: str) -> None:
    """Load a deferred module now if it is still a stand-in (the worker does this for numpy once the viewer is
    ready after restoring a snapshot, before any pixel work needs it)."""
    module = sys.modules.get(name)
    if isinstance(module, _StandIn) and module.__dict__.get("_venos_real") is None:
        module.__dict__["_venos_deferred"].realize(module)


def package_version(name: str) -> str:
    """A package's version without loading it when it is still a stand-in (read from its dist-info)."""
    module = sys.modules.get(name)
    if module is not None and not (isinstance(module, _StandIn) and module.__dict__.get("_venos_real") is None):
        return str(getattr(module, "__version__", ""))
    for folder in sys.path:  # importlib.metadata would pull the email package in for one line of text
        try:
            found = [n for n in os.listdir(folder) if n.startswith(f"{name}-") and n.endswith(".dist-info")]
        except OSError:
            continue
        for n in found:
            with open(os.path.join(folder, n, "METADATA"), encoding="utf-8") as f:
                for line in f:
                    if line.startswith("Version:"):
                        return line.split(":", 1)[1].strip()
    return ""


def defer(names) -> None:
    """Import ``names`` as stand-ins from now on (the build's trace uses this too, so it sees what is deferred)."""
    global _deferred
    if _deferred is None:
        _deferred = Deferred(())
        sys.meta_path.insert(0, _deferred)
    _deferred.names.update(names)


def install(base_url: str, fetch: Callable[[str], bytes] | None = None) -> bool:
    """Put the lazy finder last on ``sys.meta_path`` and the deferral first; False when this build has no lazy
    bundles (the unbuilt page)."""
    global _finder
    if _finder is not None:
        return True
    if not os.path.exists(INDEX):
        return False
    with open(INDEX, "rb") as f:
        index = json.load(f)
    if fetch is None:
        from ._js import fetch_bytes_sync as fetch
    _finder = LazyBundles(index, base_url, fetch)
    sys.meta_path.append(_finder)
    defer(index.get("deferred", ()))
    return True


def status() -> dict:
    out = _finder.status() if _finder is not None else {"bundles": 0, "loaded": {}}
    out["realized"] = list(_deferred.realized) if _deferred is not None else []
    return out
