"""Real servers on loopback ports for the remote-loading tests and benchmarks.

* :class:`FileHost` — a static file server on its own port (another origin than the page), with or without CORS
  headers, answering preflights, counting requests per path, and able to misbehave on chosen paths (5xx a few
  times, stall, never exist, or any answer a test writes) so retries and error reports are tested against real HTTP.
* :class:`Pacs` — Orthanc with its DICOMweb plugin (Debian's ``orthanc`` and ``orthanc-dicomweb``), loaded with
  real files, behind nginx that adds CORS headers and answers preflights for ``Authorization``, optionally
  requiring a bearer token. Configs are written into a temporary folder; both run as the current user.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler(http.server.SimpleHTTPRequestHandler):
    host: "FileHost"
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers: requests are not all new connections
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".dcm": "application/dicom",
                      ".json": "application/json", ".zip": "application/zip", "": "application/octet-stream"}

    def log_message(self, *args):
        pass

    def end_headers(self):
        if self.host.cors:
            self.send_header("Access-Control-Allow-Origin", self.host.cors)
            self.send_header("Access-Control-Expose-Headers", "Content-Length, Content-Type")
        self.send_header("Cache-Control", "no-store")  # the viewer's own cache is under test, not the browser's
        super().end_headers()

    def do_OPTIONS(self):
        self.host.hits["OPTIONS " + self.path.split("?")[0]] += 1
        self.send_response(204 if self.host.cors else 405)
        if self.host.cors:
            self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Authorization, Accept")
            self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        path = self.path.split("?")[0]
        self.host.hits[path] += 1
        self.host.order.append(path)
        rule = self.host.rules.get(path)
        if rule:
            kind, arg = rule
            if kind == "status" and arg:  # answer with the next status of the list, then serve normally
                code = self.host.rules[path][1].pop(0)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if kind == "stall":  # headers, then nothing for `arg` seconds
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.flush()
                time.sleep(arg)
                return
            if kind == "custom":  # the test writes the whole answer (hostile servers: bombs, trickles, redirects)
                arg(self)
                return
            if kind == "html":
                body = b"<!doctype html><title>Sign in</title><p>Please sign in"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        if self.host.auth and self.headers.get("Authorization") != f"Bearer {self.host.auth}":
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return  # the viewer aborted a request (cancel, stall, no-cors probe): expected
        super().handle_error(request, client_address)


class FileHost:
    """Serve ``directory`` on a free loopback port. ``cors``: the Access-Control-Allow-Origin value, or None."""

    def __init__(self, directory: Path, *, cors: str | None = "*", auth: str = "") -> None:
        self.directory = Path(directory)
        self.cors = cors
        self.auth = auth
        self.hits: Counter = Counter()
        self.order: list[str] = []  # paths in the order they were asked for
        self.rules: dict[str, tuple[str, object]] = {}
        handler = type("H", (_Handler,), {"host": self})
        self.port = free_port()
        self.httpd = _QuietServer(("127.0.0.1", self.port), functools.partial(handler, directory=str(self.directory)))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}/"

    def fail(self, path: str, *codes: int) -> None:
        self.rules[path] = ("status", list(codes))

    def stall(self, path: str, seconds: float) -> None:
        self.rules[path] = ("stall", seconds)

    def html(self, path: str) -> None:
        self.rules[path] = ("html", None)

    def custom(self, path: str, answer) -> None:
        """Answer GET ``path`` with ``answer(handler)``, which sends status, headers (``handler.end_headers()`` adds
        this host's CORS headers) and body itself."""
        self.rules[path] = ("custom", answer)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------------------------------------------------- PACS

ORTHANC = shutil.which("Orthanc") or "/usr/sbin/Orthanc"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DICOMWEB_PLUGIN = next((p for p in ("/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
                                    "/usr/lib/orthanc/libOrthancDicomWeb.so.1.7") if Path(p).exists()), "")

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_max_body_size 256m;  # STOW-RS bodies (app/js/net/stow.js sends at most 16 MB, or one larger file)
  client_body_temp_path {tmp}/client_body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      if ($request_method = OPTIONS) {{
        add_header Access-Control-Allow-Origin "*" always;
        add_header Access-Control-Allow-Methods "GET, POST, OPTIONS" always;
        add_header Access-Control-Allow-Headers "Authorization, Accept, Content-Type" always;
        add_header Access-Control-Max-Age 600 always;
        add_header Content-Length 0;
        return 204;
      }}
      {auth}
      add_header Access-Control-Allow-Origin "*" always;
      add_header Access-Control-Expose-Headers "Content-Type, Content-Length" always;
      proxy_pass http://127.0.0.1:{orthanc};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_request_buffering off;  # STOW-RS bodies stream to Orthanc (the workers may not write temp files here)
    }}
  }}
}}
"""


class Pacs:
    """Orthanc (+DICOMweb) behind nginx with CORS, in ``tmp``. ``url`` is the DICOMweb root seen by the page."""

    def __init__(self, tmp: Path, *, token: str = "") -> None:
        if not (Path(ORTHANC).exists() and Path(NGINX).exists() and DICOMWEB_PLUGIN):
            raise RuntimeError("Orthanc, its DICOMweb plugin and nginx are needed: "
                               "apt-get install orthanc orthanc-dicomweb nginx")
        self.tmp = Path(tmp)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.orthanc_port = free_port()
        self.port = free_port()
        self.token = token
        (self.tmp / "db").mkdir(exist_ok=True)
        import json

        cfg = {
            "Name": "venos-test", "StorageDirectory": str(self.tmp / "db"), "IndexDirectory": str(self.tmp / "db"),
            "HttpPort": self.orthanc_port, "DicomServerEnabled": False, "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False, "HttpCompressionEnabled": False, "Plugins": [DICOMWEB_PLUGIN],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": True, "WadoRoot": "/wado",
                         "Ssl": False, "StudiesMetadata": "Full", "SeriesMetadata": "Full",
                         "PublicRoot": "/dicom-web/"},
        }
        (self.tmp / "orthanc.json").write_text(json.dumps(cfg))
        auth = (f'if ($http_authorization != "Bearer {token}") {{ add_header Access-Control-Allow-Origin "*" always;'
                f" return 401; }}") if token else ""
        (self.tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=self.tmp, port=self.port,
                                                               orthanc=self.orthanc_port, auth=auth))
        self.logs = [open(self.tmp / "orthanc.log", "wb"), open(self.tmp / "nginx.log", "wb")]
        self.orthanc = subprocess.Popen([ORTHANC, str(self.tmp / "orthanc.json")], stdout=self.logs[0],
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.nginx = subprocess.Popen([NGINX, "-c", str(self.tmp / "nginx.conf"), "-p", str(self.tmp)],
                                      stdout=self.logs[1], stderr=subprocess.STDOUT, start_new_session=True)
        self.rest = f"http://127.0.0.1:{self.orthanc_port}"
        self.url = f"http://127.0.0.1:{self.port}/dicom-web"
        self.wado = f"http://127.0.0.1:{self.port}/wado"
        self._wait()

    def _wait(self, timeout: float = 30.0) -> None:
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            for p, name in ((self.orthanc, "Orthanc"), (self.nginx, "nginx")):
                if p.poll() is not None:
                    log = (self.tmp / f"{name.lower()}.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{name} exited with {p.returncode}:\n{log}")
            try:
                with urllib.request.urlopen(self.rest + "/system", timeout=2) as r:
                    r.read()
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError as exc:
                last = exc
                time.sleep(0.2)
        self.close()
        raise RuntimeError(f"Orthanc/nginx did not answer within {timeout} s: {last}")

    def store(self, files) -> list[dict]:
        """Upload DICOM files through Orthanc's REST API (not through nginx)."""
        import json

        out = []
        for f in files:
            req = urllib.request.Request(self.rest + "/instances", data=Path(f).read_bytes(), method="POST")
            with urllib.request.urlopen(req, timeout=30) as r:
                out.append(json.loads(r.read()))
        return out

    def close(self) -> None:
        for p in (self.nginx, self.orthanc):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in (self.nginx, self.orthanc):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in self.logs:
            f.close()


def started_pacs(tmp: Path, *, token: str = "", files=()) -> "Pacs":
    """A PACS for a test fixture, holding `files`; the test is skipped (saying why) where none can start here."""
    import pytest

    why = pacs_available()
    if why:
        pytest.skip(f"no PACS here: {why}")
    p = Pacs(tmp, token=token)
    if files:
        p.store(files)
    return p


def pacs_available() -> str:
    """'' when a PACS can be started here, else why not."""
    missing = [n for n, p in (("orthanc", ORTHANC), ("nginx", NGINX)) if not Path(p).exists()]
    if not DICOMWEB_PLUGIN:
        missing.append("orthanc-dicomweb")
    return f"apt-get install {' '.join(missing)}" if missing else ""


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")
