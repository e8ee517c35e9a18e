"""A local HTTP file server on 127.0.0.1 for download tests: Range support, cut transfers, slow transfers."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FileServer:
    """Serves ``files`` (name -> bytes) at ``url``; records every request as (name, Range header or None).

    ``cut_once``: names whose first full transfer stops after half the bytes
    (the connection closes mid-body). ``delay``: seconds to sleep per ``chunk`` bytes sent.
    ``ignore_range``: answer every request with the whole file (200), as some servers do.
    """

    def __init__(
        self,
        files: dict[str, bytes],
        cut_once: set[str] = frozenset(),
        delay: float = 0.0,
        ignore_range: bool = False,
        chunk: int = 1 << 16,
    ) -> None:
        self.files = dict(files)
        self.chunk = chunk
        self.ignore_range = ignore_range
        self.cut_once = set(cut_once)
        self.delay = delay
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                range_header = self.headers.get("Range")
                server.requests.append((name, range_header))
                data = server.files.get(name)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                match = None if server.ignore_range else re.fullmatch(r"bytes=(\d+)-", range_header or "")
                if match:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                body = data[start:]
                if name in server.cut_once and start == 0:
                    server.cut_once.discard(name)
                    body = body[: len(body) // 2]  # then the connection closes early
                for offset in range(0, len(body), server.chunk):
                    try:
                        self.wfile.write(body[offset : offset + server.chunk])
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return
                    if server.delay:
                        time.sleep(server.delay)
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def gets(self, name: str) -> list[str | None]:
        """Range headers of the requests for ``name`` (None for a whole-file request)."""
        return [rng for got, rng in self.requests if got == name]
