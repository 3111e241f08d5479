"""A loopback static server for the benchmarks: dist/ at /, generated data at /bench-data/.

Serves the MIME types a browser insists on (application/wasm for streaming compilation, text/javascript for
modules), counts bytes and status codes per request (so a warm start can show what came from the HTTP cache), and
can send COOP/COEP so the page is cross-origin isolated (needed for performance.measureUserAgentSpecificMemory).
"""
from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

MIME = {".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
        ".json": "application/json", ".zip": "application/zip", ".whl": "application/zip",
        ".dcm": "application/dicom"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME}

    def __init__(self, *args, server_state: "BenchServer", **kwargs):
        self.state = server_state
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if clean.startswith("/bench-data/") and self.state.data_dir is not None:
            rel = clean[len("/bench-data/"):]
            target = (self.state.data_dir / rel).resolve()
            if self.state.data_dir.resolve() in target.parents or target == self.state.data_dir.resolve():
                return str(target)
            return str(self.state.data_dir / "__outside__")
        return super().translate_path(path)

    def end_headers(self) -> None:
        if self.state.isolated:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def send_response(self, code: int, message: str | None = None) -> None:
        self._code = code
        super().send_response(code, message)

    def copyfile(self, source, outputfile) -> None:  # count body bytes actually sent
        n = 0
        while True:
            block = source.read(1 << 16)
            if not block:
                break
            outputfile.write(block)
            n += len(block)
        self.state.record(self.path, getattr(self, "_code", 0), n)

    def do_GET(self) -> None:
        super().do_GET()
        if getattr(self, "_code", 200) != 200:
            self.state.record(self.path, self._code, 0)

    def log_message(self, *args) -> None:
        pass


class BenchServer:
    """``with BenchServer(dist, data_dir) as s: s.url`` — a ThreadingHTTPServer on 127.0.0.1, any free port."""

    def __init__(self, root: Path, data_dir: Path | None = None, *, isolated: bool = False) -> None:
        self.root = Path(root)
        self.data_dir = Path(data_dir) if data_dir else None
        self.isolated = isolated
        self.requests: list[tuple[str, int, int]] = []
        self._lock = threading.Lock()
        handler = functools.partial(_Handler, directory=str(self.root), server_state=self)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def record(self, path: str, code: int, nbytes: int) -> None:
        with self._lock:
            self.requests.append((path, code, nbytes))

    def take_log(self) -> list[tuple[str, int, int]]:
        """Requests since the last call: (path, status, body bytes)."""
        with self._lock:
            out, self.requests = self.requests, []
        return out

    def __enter__(self) -> "BenchServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def summarize(log: list[tuple[str, int, int]], *, exclude_prefix: str = "/bench-data/") -> dict:
    """Bytes and status counts of an app's own requests (data files excluded)."""
    own = [r for r in log if not r[0].startswith(exclude_prefix)]
    return {"requests": len(own), "bytes": sum(r[2] for r in own),
            "status200": sum(1 for r in own if r[1] == 200), "status304": sum(1 for r in own if r[1] == 304)}
