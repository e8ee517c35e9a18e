"""Hostile and broken inputs (issue 13): every quick case of the fuzz corpus through the real CLI.

Each case is built from code in a fresh folder and judged by ``tests/fuzz/driver.py``:
no traceback, no hang (60 s), at most 3 GiB, no partial or lost output, inputs untouched,
the expected exit status and message. The slow cases run with
``python -m tests.fuzz.driver`` (see the README).
"""

from __future__ import annotations

import pytest

from tests.fuzz.cases import all_cases
from tests.fuzz.driver import run_case

QUICK = [case for case in all_cases() if case.quick]


@pytest.mark.parametrize("case", QUICK, ids=[case.name for case in QUICK])
def test_hostile_input(case, tmp_path):
    result = run_case(case, tmp_path)
    assert result["passed"], "; ".join(result["reasons"])
