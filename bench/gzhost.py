"""A static host that behaves like a typical production one: gzip on the wire, revalidation, keep-alive.

    host = GzipHost({"/": dist_dir, "/peers/": peers_dir})
    host.url                      # http://127.0.0.1:<port>/
    host.close()

* ``Content-Encoding: gzip`` for compressible types (html, js, mjs, css, json, wasm, svg, txt, map) when the
  client accepts it, plain bytes for types that are already compressed (zip, whl, png, jpg, dcm, …). Every file is
  read and gzipped once at start-up (level 6, as common hosts do) and kept in memory, so the first cold visit does
  not pay for compression and ``Content-Length`` is always exact.
* ``Cache-Control: no-cache`` with a strong ``ETag`` (per encoding) and ``Last-Modified``: a second visit
  revalidates every file and gets ``304 Not Modified`` with no body.
* HTTP/1.1 keep-alive, one thread per connection (``ThreadingHTTPServer``); MIME types a browser insists on
  (``application/wasm`` for streaming compilation, ``text/javascript`` for modules).
"""
from __future__ import annotations

import email.utils
import gzip
import hashlib
import http.server
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MIME = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
    ".css": "text/css", ".json": "application/json", ".map": "application/json", ".wasm": "application/wasm",
    ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8", ".zip": "application/zip",
    ".whl": "application/zip", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".dcm": "application/dicom", ".gz": "application/gzip",
}
COMPRESSIBLE = {".html", ".js", ".mjs", ".css", ".json", ".map", ".wasm", ".svg", ".txt"}


@dataclass
class Entry:
    mime: str
    raw: bytes
    gz: bytes | None  # None: sent as is
    etag: str
    modified: str  # HTTP date


def _load(path: Path) -> Entry:
    raw = path.read_bytes()
    ext = path.suffix.lower()
    gz = gzip.compress(raw, compresslevel=6, mtime=0) if ext in COMPRESSIBLE else None
    digest = hashlib.sha1(raw).hexdigest()[:20]
    return Entry(MIME.get(ext, "application/octet-stream"), raw, gz, digest,
                 email.utils.formatdate(path.stat().st_mtime, usegmt=True))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    host: "GzipHost"

    def log_message(self, *args) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, body: bool) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path.endswith("/"):
            path += "index.html"
        entry = self.host.files.get(path)
        if entry is None:
            return self._reply(404, b"not found", {"Content-Type": "text/plain"}, body)
        gzip_ok = entry.gz is not None and "gzip" in self.headers.get("Accept-Encoding", "")
        etag = f'"{entry.etag}{"-gz" if gzip_ok else ""}"'
        headers = {"Cache-Control": "no-cache", "ETag": etag, "Last-Modified": entry.modified}
        if entry.gz is not None:
            headers["Vary"] = "Accept-Encoding"
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if (inm and etag in [t.strip() for t in inm.split(",")]) or (not inm and ims == entry.modified):
            self.host.count(path, 304, 0)
            return self._reply(304, b"", headers, body, length=False)
        data = entry.gz if gzip_ok else entry.raw
        headers["Content-Type"] = entry.mime
        if gzip_ok:
            headers["Content-Encoding"] = "gzip"
        self.host.count(path, 200, len(data) if body else 0)
        self._reply(200, data, headers, body)

    def _reply(self, code: int, data: bytes, headers: dict, body: bool, length: bool = True) -> None:
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body and data:
            self.wfile.write(data)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request, client_address) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, socket.timeout)):
            return  # the browser closed a connection: normal at the end of a context
        super().handle_error(request, client_address)


class GzipHost:
    """Serve ``mounts`` ({url prefix: folder}) on a free loopback port, everything precompressed in memory."""

    def __init__(self, mounts: dict[str, Path], *, skip=lambda p: False) -> None:
        t = time.perf_counter()
        self.files = self._snapshot(mounts, skip)
        self.prepare_s = time.perf_counter() - t
        self.sent: dict[str, int] = {}  # path → body bytes sent
        self.status: dict[int, int] = {}
        self._lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), type("H", (_Handler,), {"host": self}))
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def _snapshot(mounts: dict[str, Path], skip, tries: int = 5) -> dict[str, Entry]:
        """Every file, read once. A folder being rebuilt meanwhile (a file vanished) is read again a bit later."""
        for attempt in range(tries):
            files: dict[str, Entry] = {}
            try:
                for prefix, folder in mounts.items():
                    folder = Path(folder)
                    for f in sorted(folder.rglob("*")):
                        if f.is_file() and not skip(f):
                            files[prefix.rstrip("/") + "/" + f.relative_to(folder).as_posix()] = _load(f)
                return files
            except FileNotFoundError:
                if attempt == tries - 1:
                    raise
                time.sleep(10)
        raise AssertionError("unreachable")

    def count(self, path: str, code: int, n: int) -> None:
        with self._lock:
            self.sent[path] = self.sent.get(path, 0) + n
            self.status[code] = self.status.get(code, 0) + 1

    def sizes(self, path: str) -> tuple[int, int]:
        """(raw, on the wire with gzip) bytes of one file."""
        e = self.files[path]
        return len(e.raw), len(e.gz if e.gz is not None else e.raw)

    def totals(self) -> dict:
        """Files served, their bytes, and their bytes on the wire when gzip is accepted."""
        return {"files": len(self.files), "bytes": sum(len(e.raw) for e in self.files.values()),
                "wire_bytes": sum(len(e.gz if e.gz is not None else e.raw) for e in self.files.values())}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
