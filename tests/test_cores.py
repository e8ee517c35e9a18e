"""restorable.cores: the cores other processes keep busy (this process's own time left out)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from restorable.cores import CpuSample, busy_elsewhere, cores, free_threads, sample

pytestmark = pytest.mark.skipif(sample() is None, reason="needs Linux /proc")


def test_busy_elsewhere_is_the_machines_cpu_time_less_this_processes_per_second():
    start, end = CpuSample(machine=10.0, own=1.0, wall=100.0), CpuSample(machine=13.0, own=2.0, wall=102.0)
    assert busy_elsewhere(start, end) == pytest.approx(1.0)
    assert busy_elsewhere(start, start) == 0.0


def test_a_process_spinning_elsewhere_counts_and_this_ones_own_work_does_not():
    start = sample()
    deadline = time.monotonic() + 0.6
    while time.monotonic() < deadline:  # this process keeps a core busy: not counted
        pass
    assert busy_elsewhere(start, sample()) < 0.5
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # the spinner is up
        start = sample()
        time.sleep(0.6)
        assert busy_elsewhere(start, sample()) > 0.6
        assert free_threads(sample(), min_window=0.6) == max(1, cores() - 1)
    finally:
        spinner.kill()
