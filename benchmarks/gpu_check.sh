#!/usr/bin/env bash
# The CUDA check of issue 16, one prepared script of at most ~5 minutes on one H100/H200:
#
#   bash benchmarks/gpu_check.sh [OUT_DIR]          (SKIP_TRAINING=1: leave out part 3)
#
# Runs from a plain copy of the repository (it puts the copy on PYTHONPATH) with the packages of
# a typical CUDA PyTorch image: torch, numpy, pillow, typer, rich, requests, safetensors, scipy,
# opencv(-python-headless), pytest; nothing is installed and nothing is downloaded (the bundled
# weights, RESTORABLE_OFFLINE=1). Parts:
#   1. the CUDA tests (pytest marker `cuda`)
#   2. apply/restore speed of l0 at 640x480, 1920x1080 and 6000x4000 on CUDA
#   3. training throughput of the bundled l0 configuration: 60 s (compiled passes, the GPU default),
#      10 s without compiling, and `restorable train --device cuda` itself for 60 steps
#   4. cross-device: files made on the GPU restored on the GPU and on the CPU
# Without a GPU it says which parts it skipped (parts 2-4) and still runs part 1 (all skipped).
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 RESTORABLE_OFFLINE=1
export RESTORABLE_CACHE=${RESTORABLE_CACHE:-$(mktemp -d)}
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
status=0
part() { echo; echo "== $* ($(date -u +%H:%M:%S))"; }
restorable() { python3 -c 'import sys; from restorable.cli import main; sys.argv[0] = "restorable"; main()' "$@"; }

part "0. machine"
date -u +%Y-%m-%d
python3 - <<'PY'
import torch, platform
print(f"python {platform.python_version()}, torch {torch.__version__}, cuda available: {torch.cuda.is_available()}")
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print(f"gpu: {p.name}, {p.total_memory / 2**30:.0f} GiB, {p.multi_processor_count} SMs")
PY
cuda=$(python3 -c 'import torch; print(int(torch.cuda.is_available()))')

part "1. CUDA tests"
python3 -m pytest -q -m cuda -p no:cacheprovider tests/test_device.py || status=1

if [ "$cuda" != 1 ]; then
  part "2-4 skipped"
  echo "skipped: 2. speed table, 3. training throughput, 4. cross-device check (no CUDA device)"
  exit $status
fi

part "2. speed (median; apply includes the reference operator, file I/O left out)"
python3 benchmarks/speed.py --op l0 --device cuda --backends torch --repeats 9 \
  --size 640x480 --size 1920x1080 --size 6000x4000 | tee "$OUT/speed.md" || status=1
echo "without CUDA graphs (RESTORABLE_CUDA_GRAPHS=0):"
RESTORABLE_CUDA_GRAPHS=0 python3 benchmarks/speed.py --op l0 --device cuda --backends torch --repeats 9 \
  --size 640x480 --size 1920x1080 | tee -a "$OUT/speed.md" || status=1

if [ "${SKIP_TRAINING:-0}" = 1 ]; then
  part "3 skipped (SKIP_TRAINING=1)"
else
part "3. training throughput (bundled l0 configuration)"
python3 benchmarks/train_speed.py --device cuda --seconds 60 | tee "$OUT/train_speed.md" || status=1
python3 benchmarks/train_speed.py --device cuda --seconds 10 --variant eager | tee -a "$OUT/train_speed.md" || status=1
data=$(mktemp -d)
cp examples/photo.jpg tests/data/cups_511x383.jpg "$data"/
restorable train --op l0 --data "$data" --out "$OUT/l0-cuda.safetensors" --aux reference --jpeg --w-restore 2 \
  --code-scale 0.25 --device cuda --steps 60 --cache "$data/targets" || status=1
rm -f "$OUT/l0-cuda.safetensors" "$OUT/l0-cuda.safetensors.state"
fi

part "4. cross-device (made on CUDA, restored on CUDA and on the CPU)"
python3 benchmarks/cross_device.py | tee "$OUT/cross_device.md" || status=1

part "done (status $status)"
exit $status
