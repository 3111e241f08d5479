"""The test command: install what the tests need on a fresh Debian machine, build dist/, run pytest.

    python3 tests/run.py [pytest arguments]

What it installs when missing (each step is skipped when already there, so a second run goes straight to pytest):
Debian packages (the browser, the reference tools, the real servers the tests start: chromium, dcmtk,
libgdcm-tools, orthanc, orthanc-dicomweb, nginx, and nodejs/npm for the build) with apt-get (as root, or through
sudo); the Python test dependencies (`pip install -e .[test]`); the built site (`python3 build.py`, whose downloads
are cached in .cache/ and checked by sha256). Debian starts Orthanc and nginx on install; the tests run their own
instances on free loopback ports, so the system services are stopped. `.ci/run` calls this same command.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APT = ["chromium", "dcmtk", "libgdcm-tools", "orthanc", "orthanc-dicomweb", "nginx"]


def log(msg: str) -> None:
    print(f"\n=== {msg} ===", flush=True)


def installed(pkg: str) -> bool:
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def system_packages() -> None:
    if shutil.which("dpkg-query") is None:
        print("not a Debian system: install Chromium, dcmtk, GDCM tools, Orthanc + DICOMweb, nginx, Node.js/npm by hand")
        return
    wanted = APT + ([] if shutil.which("npm") and shutil.which("node") else ["nodejs", "npm"])
    missing = [p for p in wanted if not installed(p)]
    if missing:
        log(f"apt-get install {' '.join(missing)}")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env)
        for svc in ("orthanc", "nginx"):  # the tests start their own instances
            if shutil.which("systemctl"):
                subprocess.run(sudo + ["systemctl", "stop", svc], capture_output=True)
            else:
                subprocess.run(sudo + ["service", svc, "stop"], capture_output=True)


def python_packages() -> None:
    if all(importlib.util.find_spec(m) for m in ("pytest", "playwright", "PIL")):
        return
    log("pip install test dependencies")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", ".[test]"],
                   check=True, cwd=ROOT)


def site() -> None:
    log("python3 build.py")
    subprocess.run([sys.executable, "build.py"], check=True, cwd=ROOT)


def main(argv: list[str]) -> int:
    system_packages()
    python_packages()
    site()  # quick when nothing changed (~25 s): it checks the cache and rebuilds dist/ from it
    log("pytest")
    env = {**os.environ, "VENOS_SKIP_BUILD": "1"}  # just built
    return subprocess.run([sys.executable, "-m", "pytest", *argv], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
