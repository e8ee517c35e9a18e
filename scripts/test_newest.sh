#!/usr/bin/env bash
# CI's second run (issue 30): the test suite against the newest versions pyproject allows,
# in a clean venv without the lock, so that a release of torch, numpy, OpenCV... that breaks
# us is caught here and not by a user. Prints what differs from requirements.lock first.
# It also runs on torch's and oneDNN's AVX2 kernels (where the CPU has AVX-512, the first run took those):
# the float results of another machine class, so a test that passes only on this CPU's rounding shows
# here (one did: the tiny gray network of tests/conftest.py). KERNELS=native leaves the kernels alone.
#
#   bash scripts/test_newest.sh [PYTEST ARGS...]      (VENV=DIR: where the venv goes; default .venv-newest)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-newest}
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q -e ".[train,onnx,test,serve,ray]"
"$VENV/bin/pip" freeze --exclude-editable | sed -E 's/^(torch==[^+]+)\+.*/\1/' >"$VENV/resolved.txt"
echo "--- newest allowed versions, where they differ from requirements.lock:"
grep -v '^#' requirements.lock | sort >"$VENV/locked.txt"
sort "$VENV/resolved.txt" | comm -13 "$VENV/locked.txt" - | tr '\n' ' '
echo
echo "---"
# shellcheck disable=SC1091  # the venv made above
. "$VENV/bin/activate"  # tests that start `restorable` as a process find this venv's
if [ "${KERNELS:-avx2}" = avx2 ]; then export ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2; fi
python -m pytest -q -p no:cacheprovider "$@"
