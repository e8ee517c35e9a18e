"""How many cores other processes keep busy, so that a command's torch threads use only the free ones.

With one of 2 cores held by another process, restoring a 3000x2000 photo took 14.5-15.5 s on 2 threads and
11.1-11.2 s on 1 (each thread waits for the slowest). The CLI samples the machine's CPU time from its start
to its first photo (Linux ``/proc``), minus its own, and sets torch's threads to the cores left.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

# /proc/stat's first line: user nice system idle iowait irq softirq steal ...; the busy ones
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)


@dataclass(frozen=True)
class CpuSample:
    """CPU time (seconds) of the whole machine and of this process, at a wall-clock time."""

    machine: float
    own: float
    wall: float


def sample() -> CpuSample | None:
    """Now, or None where ``/proc`` is not there (not Linux)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    times = os.times()
    return CpuSample(sum(fields[i] for i in _BUSY_FIELDS if i < len(fields)) / ticks, times.user + times.system,
                     time.monotonic())


def busy_elsewhere(start: CpuSample, end: CpuSample) -> float:
    """Cores kept busy by other processes between two samples (0 when the window is empty)."""
    wall = end.wall - start.wall
    if wall <= 0:
        return 0.0
    return max(0.0, ((end.machine - start.machine) - (end.own - start.own)) / wall)


def cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def free_threads(start: CpuSample | None, min_window: float = 0.2) -> int:
    """Threads for the cores other processes leave free since ``start`` (all cores without a sample);
    waits until ``min_window`` seconds have passed, for a measure worth its name."""
    if start is None:
        return cores()
    time.sleep(max(0.0, min_window - (time.monotonic() - start.wall)))
    end = sample()
    busy = busy_elsewhere(start, end) if end is not None else 0.0
    return max(1, cores() - int(busy + 0.5))


_started: CpuSample | None = None


def mark_start() -> None:
    """Start the window :func:`use_free_cores` measures (the CLI does, as it starts)."""
    global _started
    _started = sample()


def use_free_cores() -> int | None:
    """Set torch's threads to the cores other processes left free since :func:`mark_start`; the count set.
    Nothing without a start mark (a library caller) or when ``OMP_NUM_THREADS`` says how many."""
    if _started is None or os.environ.get("OMP_NUM_THREADS"):
        return None
    import torch

    threads = free_threads(_started)
    torch.set_num_threads(threads)
    return threads
