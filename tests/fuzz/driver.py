"""Run the hostile-input cases against the ``restorable`` CLI and judge how it ends (issue 13).

``python -m tests.fuzz.driver [--quick] [--out DIR] [--only NAME]`` prints a
markdown table (one row per class) and the failing cases; it exits 1 when any
case fails. ``run_case(case, workdir)`` runs one case (for pytest).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from restorable.metrics import psnr
from tests.fuzz.cases import CLASSES, Case, all_cases, build_case

TIMEOUT_S = 60.0
MEMORY_KIB = 3 * 1024 * 1024  # 3 GiB: over this a run fails (and is killed, to spare the machine)
ENTRY = "import sys; from restorable.cli import main; sys.argv[0]='restorable'; main()"
BOX = set("│┃┆┊╭╮╰╯┌┐└┘├┤┬┴┼╔╗╚╝║")  # Typer/Rich panel borders (not the progress bar's ━)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif"}


@dataclass
class Run:
    """How one CLI process ended."""

    argv: list[str]
    rc: int  # exit status; -N when killed by signal N
    stderr: str
    seconds: float
    peak_kib: int  # ru_maxrss of the child
    timed_out: bool = False
    over_memory: bool = False


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _watch(pid: int, start: float, done: threading.Event, flags: dict) -> None:
    """Kill the child's process group when it runs past the timeout or over the memory limit."""
    while not done.wait(0.1):
        reason = "timed_out" if time.monotonic() - start > TIMEOUT_S else "over_memory" if _rss_kib(pid) > MEMORY_KIB else None
        if reason:
            flags[reason] = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return


def start_cli(argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple:
    """Start ``restorable ARGV`` in ``cwd`` (stdin closed, output to files); returns what :func:`wait_cli` needs."""
    out, err = open(log.with_suffix(".stdout"), "wb"), open(log.with_suffix(".stderr"), "wb")
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, *argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=out, stderr=err, start_new_session=True)
    out.close()
    err.close()
    flags: dict = {}
    done = threading.Event()
    start = time.monotonic()
    watcher = threading.Thread(target=_watch, args=(proc.pid, start, done, flags), daemon=True)
    watcher.start()
    return argv, proc, start, done, flags, watcher, log


def wait_cli(started: tuple) -> Run:
    """Wait for a started CLI with ``os.wait4`` (for its peak memory) and read its stderr."""
    argv, proc, start, done, flags, watcher, log = started
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    watcher.join()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # anything it left running in its group
    except (ProcessLookupError, PermissionError):
        pass
    stderr = log.with_suffix(".stderr").read_bytes().decode("utf-8", "replace")
    return Run(argv, proc.returncode, stderr, time.monotonic() - start, usage.ru_maxrss,
               flags.get("timed_out", False), flags.get("over_memory", False))


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _matches(folder: Path, pattern: str) -> list[Path]:
    """Files matching ``pattern``, hidden ones (temporary files) left out."""
    return sorted(p for p in folder.glob(pattern) if p.is_file() and not p.name.startswith("."))


def _decodes(path: Path) -> bool:
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return path.stat().st_size > 0
    try:
        with Image.open(path) as img:
            img.load()
        return True
    except Exception:
        return False


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def _make_writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


def _remove(path: Path) -> None:
    if path.exists():
        _make_writable(path)
        shutil.rmtree(path)


def _judge_run(run: Run, case: Case, fail) -> None:
    if "Traceback" in run.stderr:
        fail("traceback", "Traceback: " + run.stderr.strip().splitlines()[-1][:160])
    if run.timed_out:
        fail("hang", f"still running after {TIMEOUT_S:.0f} s (killed)")
    if run.peak_kib > MEMORY_KIB:
        fail("memory", f"peak memory {run.peak_kib / 2**20:.1f} GiB" + (" (killed)" if run.over_memory else ""))
    if run.rc != 0 and not run.timed_out and not run.over_memory:
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("error:")]
        if len(errors) > 1 or BOX & set(run.stderr) or (case.one_line and len(lines) != 1):
            fail("multiline", f"error not on one line ({len(lines)} lines on stderr)")


def run_case(case: Case, workdir: Path) -> dict:
    """Build ``case`` in a fresh ``workdir/<name>``, run it, judge it; a dict with ``passed`` and ``reasons``."""
    folder, logs = workdir / case.name, workdir / f"{case.name}.logs"
    for path in (folder, logs):
        _remove(path)
    logs.mkdir(parents=True)
    flags: dict[str, int] = {}
    reasons: list[str] = []

    def fail(flag: str, reason: str) -> None:
        flags[flag] = flags.get(flag, 0) + 1
        reasons.append(reason)

    result = {"name": case.name, "cls": case.cls, "quick": case.quick, "flags": flags, "reasons": reasons,
              "rc": [], "seconds": 0.0, "peak_kib": 0}
    try:
        build_case(case, folder)
    except Exception as exc:  # a case that cannot be built fails, with why
        fail("build", f"could not build: {exc.__class__.__name__}: {exc}")
        result["passed"] = False
        return result
    env = {**os.environ, "RESTORABLE_OFFLINE": "1", "RESTORABLE_CACHE": str(workdir / f"{case.name}.cache")}
    env.update({key: value.replace("{dir}", str(folder)) for key, value in case.env.items()})
    watched = [*case.inputs]
    before = {rel: _sha(folder / rel) for rel in watched + case.keep}

    started = [start_cli(case.argv, folder, env, logs / f"run{i}") for i in range(case.parallel)]
    runs = [wait_cli(s) for s in started]
    for run in runs:
        _judge_run(run, case, fail)
        if run.rc not in case.exit and not run.timed_out and not run.over_memory:
            fail("exit", f"exit status {run.rc}, expected {sorted(case.exit)}: {_last_line(run.stderr)}")
        if case.stderr and not re.search(case.stderr, run.stderr):
            fail("stderr", f"stderr does not match {case.stderr!r}: {_last_line(run.stderr)}")
    if case.parallel > 1:  # concurrent batches claim files: together they make each output once
        made = sum(int(m.group(1)) for r in runs for m in [re.search(r"(\d+) done", r.stderr)] if m)
        wanted = sum(case.count.values())
        if made != wanted:
            fail("twice", f"the {case.parallel} runs made {made} outputs in all, expected {wanted} (work done twice?)")
    main = runs[0]
    if case.roundtrip and main.rc == 0 and not re.search(r"dB", main.stderr):
        rt = case.roundtrip
        back = Path(rt.processed).with_suffix(".roundtrip.png").as_posix()
        run = wait_cli(start_cli(["restore", *rt.extra, rt.processed, back], folder, env, logs / "roundtrip"))
        runs.append(run)
        _judge_run(run, case, fail)
        if run.rc != 0:
            fail("poor", f"apply said nothing, then restore failed: {_last_line(run.stderr)}")
        elif not re.search(r"dB", run.stderr):
            original, restored = _rgb(folder / rt.original), _rgb(folder / back)
            db = psnr(original, restored) if original.shape == restored.shape else 0.0
            if db < rt.min_db:
                fail("poor", f"silent poor restore: {db:.1f} dB (< {rt.min_db:g}) with no warning naming dB")

    for rel in watched:
        if _sha(folder / rel) != before[rel]:
            fail("inputs", f"input {rel} was modified or removed")
    for rel in case.keep:
        if _sha(folder / rel) != before[rel]:
            fail("lost", f"{rel} existed and was overwritten or removed")
    outputs: set[Path] = set()
    for pattern in case.expect:
        found = _matches(folder, pattern)
        outputs.update(found)
        if not found:
            fail("lost", f"expected output {pattern} missing")
    for pattern, n in case.count.items():
        found = _matches(folder, pattern)
        outputs.update(found)
        if len(found) != n:
            fail("lost", f"{len(found)} files match {pattern}, expected {n}")
    for pattern in case.distinct:
        hashes = [_sha(p) for p in _matches(folder, pattern)]
        if len(set(hashes)) != len(hashes):
            fail("lost", f"outputs {pattern} from different inputs have identical bytes")
    for pattern in case.absent:
        for path in _matches(folder, pattern):
            fail("unexpected", f"{path.relative_to(folder)} was written although the run must not write it")
    leftovers = [p for p in folder.rglob("*.tmp") if p.is_file()]
    if leftovers:
        fail("partial", f"temporary files left: {', '.join(sorted({p.name for p in leftovers}))}")
    for path in sorted(outputs):
        if not _decodes(path):
            fail("partial", f"output {path.relative_to(folder)} is not a decodable image")
    if case.check:
        reason = case.check(folder, main.rc, main.stderr)
        if reason:
            fail("check", reason)

    result.update(rc=[r.rc for r in runs], seconds=sum(r.seconds for r in runs),
                  peak_kib=max(r.peak_kib for r in runs), stderr=main.stderr, passed=not reasons)
    return result


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[-1] if lines else "(no stderr)")[:160]


def table(results: list[dict]) -> str:
    """The markdown summary: one row per class, and a total."""
    head = ["class", "cases", "lost outputs", "tracebacks", "hangs", "partial files", "inputs modified",
            "silent poor restores", "peak memory max", "failures"]
    keys = [("lost",), ("traceback",), ("hang",), ("partial",), ("inputs",), ("poor",)]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cls in [*CLASSES, "total"]:
        group = [r for r in results if cls in (r["cls"], "total")]
        if not group:
            continue
        counts = [sum(1 for r in group if any(r["flags"].get(k) for k in ks)) for ks in keys]
        peak = max(r["peak_kib"] for r in group) / 2**20
        failures = sum(1 for r in group if not r["passed"])
        label = f"**{cls}**" if cls == "total" else cls
        rows.append(f"| {label} | {len(group)} | " + " | ".join(map(str, counts)) + f" | {peak:.2f} GiB | {failures} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Only the quick cases (those of the test suite).")
    parser.add_argument("--out", type=Path, help="Keep each case's folder and logs here (default: a removed temp folder).")
    parser.add_argument("--only", action="append", help="Run only this case (a name or glob; repeatable).")
    parser.add_argument("--list", action="store_true", help="List the cases and exit.")
    args = parser.parse_args()
    cases = [c for c in all_cases() if c.quick or not args.quick]
    if args.only:
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c.name, pattern) for pattern in args.only)]
    if args.list:
        for c in cases:
            print(f"{c.name:32} {c.cls:22} {'quick' if c.quick else 'slow '}  restorable {' '.join(c.argv)}")
        return
    if not cases:
        sys.exit("no case selected")
    workdir = args.out or Path(tempfile.mkdtemp(prefix="restorable-fuzz-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for case in cases:
            result = run_case(case, workdir)
            results.append(result)
            status = "ok  " if result["passed"] else "FAIL"
            print(f"{status} {case.name:32} rc={result['rc']} {result['seconds']:5.1f} s "
                  f"{result['peak_kib'] / 1024:6.0f} MiB", file=sys.stderr, flush=True)
    finally:
        if args.out is None:
            _remove(workdir)
    print(table(results))
    failing = [r for r in results if not r["passed"]]
    if failing:
        print("\nFailing cases:\n")
        for r in failing:
            print(f"- `{r['name']}` ({r['cls']}): " + "; ".join(r["reasons"]))
    sys.exit(1 if failing else 0)


if __name__ == "__main__":
    main()
