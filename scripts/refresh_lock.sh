#!/usr/bin/env bash
# Refresh requirements.lock, the exact versions the README's set-up installs (issue 30).
#
#   bash scripts/refresh_lock.sh            (TORCH=2.14.1 to move torch too; default: the lock's torch)
#
# Resolves the newest versions pyproject allows into a new, clean venv (torch pinned to TORCH),
# runs the whole test suite there, and writes requirements.lock only if every test passes.
# Review the diff (`git diff requirements.lock`) and commit it with the test run's closing line.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="train,onnx,test,serve,ray"
TORCH=${TORCH:-$(sed -n 's/^torch==\([^ ]*\).*/\1/p' requirements.lock)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "torch==$TORCH" -e ".[$EXTRAS]"
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider
{
  echo "# The exact versions the README's set-up installs (pip install -c requirements.lock ...)."
  echo "# Written by scripts/refresh_lock.sh on $(date -u +%Y-%m-%d) after the whole test suite passed on them:"
  echo "# $("$work/venv/bin/python" -c 'import platform; print(f"CPython {platform.python_version()}, {platform.system()} {platform.machine()}")')."
  echo "# torch is pinned without its local label (+cpu / CUDA builds both match)."
  "$work/venv/bin/pip" freeze --exclude-editable | sed -E 's/^(torch==[^+]+)\+.*/\1/'
} > requirements.lock.new
mv requirements.lock.new requirements.lock
echo "requirements.lock written: $(grep -vc '^#' requirements.lock) packages"
