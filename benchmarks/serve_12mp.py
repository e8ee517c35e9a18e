"""Issue 19: a 12 MP upload through ``restorable serve`` on this machine: the page keeps answering while the
job runs (progress shown), and the server's peak memory stays under 3 GB.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/serve_12mp.py [--op l0] [--format png] [--photo P]

Makes a 4000 x 3000 JPEG (quality 92) from PHOTO (Lanczos; default: a val/ photo, or the bundled example),
starts ``restorable serve`` as its own process, uploads it, runs the effect job as the page does (apply,
write, restore from the written file, PSNR/SSIM, previews) and polls the job every 0.25 s as the page does.
Reports each poll's answer time (the worst: does the page freeze?), the progress values seen, the job's
time, and the server's peak resident memory (VmHWM from /proc: Linux only).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
BAR_GB = 3.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_gb(pid: int) -> float:
    """VmHWM (peak resident set) of ``pid`` in GB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e9
    raise RuntimeError("no VmHWM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = ROOT.parent / "shared" / "corpus" / "val" / "greentock_by_peter_nerlich.png"
    parser.add_argument("--photo", type=Path, default=default if default.exists() else ROOT / "examples" / "photo.jpg")
    parser.add_argument("--op", default="l0")
    parser.add_argument("--format", default="png", choices=("png", "jpg"))
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="serve12mp-"))
    big = work / "12mp.jpg"
    Image.open(args.photo).convert("RGB").resize((4000, 3000), Image.LANCZOS).save(big, quality=92)
    port = free_port()
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    server = subprocess.Popen(["restorable", "serve", "--port", str(port)],
                              env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                requests.get(f"{url}/api/config", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        started_gb = peak_gb(server.pid)
        t0 = time.monotonic()
        item = requests.post(f"{url}/api/uploads", data=big.read_bytes(), headers={"X-Filename": big.name}, timeout=300).json()
        upload_s = time.monotonic() - t0
        job = requests.post(f"{url}/api/jobs", json={"kind": "effect", "upload": item["id"], "op": args.op, "format": args.format},
                            timeout=60).json()
        t1, answers, seen = time.monotonic(), [], []
        while job["state"] in ("queued", "running"):
            time.sleep(0.25)
            asked = time.monotonic()
            job = requests.get(f"{url}/api/jobs/{job['id']}", timeout=60).json()
            answers.append(time.monotonic() - asked)
            if not seen or seen[-1][0] != job["progress"]:
                seen.append((job["progress"], job["stage"]))
        job_s = time.monotonic() - t1
        for what in ("original", "processed", "restored"):
            requests.get(f"{url}/api/jobs/{job['id']}/files/{what}", timeout=120).raise_for_status()
        peak = peak_gb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
    if job["state"] != "done":
        sys.exit(f"job {job['state']}: {job.get('error')}")
    r = job["result"]
    print(f"photo: {args.photo.name} at 4000 x 3000 ({big.stat().st_size / 1e6:.1f} MB JPEG); op {args.op}, {args.format}")
    print(f"upload + check: {upload_s:.1f} s; job: {job_s:.1f} s; restored PSNR {r['psnr']} dB, SSIM {r['ssim']}")
    print(f"polls: {len(answers)}, answer time median {sorted(answers)[len(answers) // 2] * 1000:.0f} ms, worst {max(answers) * 1000:.0f} ms")
    print(f"progress seen ({len(seen)} values): " + ", ".join(f"{p:.2f}" for p, _ in seen))
    print(f"server peak memory: {peak:.2f} GB (after start: {started_gb:.2f} GB); bar {BAR_GB} GB: {'ok' if peak < BAR_GB else 'MISSED'}")


if __name__ == "__main__":
    main()
