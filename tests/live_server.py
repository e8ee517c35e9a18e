"""Run a ``restorable serve`` app on 127.0.0.1 in a thread, for the web page's tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import requests


@contextlib.contextmanager
def running(app) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yields its base URL; stops it (and its lifespan) after."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def wait_job(url: str, job: dict, timeout: float = 120) -> dict:
    """Poll a job until it ends; returns its last state."""
    deadline = time.monotonic() + timeout
    while job["state"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job['id']} still {job['state']} ({job['stage']})")
        time.sleep(0.1)
        job = requests.get(f"{url}/api/jobs/{job['id']}", timeout=10).json()
    return job


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A valid 1-bit grey PNG of ``width`` x ``height`` pixels, all black, in ~100 KB (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\0" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
