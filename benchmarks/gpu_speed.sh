#!/usr/bin/env bash
# Issue 33's GPU measure, one prepared call of about 5 minutes on one H100/H200:
#
#   bash benchmarks/gpu_speed.sh [OUT_DIR]
#
# Runs from a plain copy of the repository (PYTHONPATH) with the packages of a CUDA PyTorch image (torch,
# numpy, pillow, scipy, safetensors, typer, rich); installs and downloads nothing (bundled weights,
# RESTORABLE_OFFLINE=1, a RESTORABLE_CACHE of its own: no platformdirs needed). Parts, each writing its table
# into OUT_DIR as it goes, so that a run cut short keeps what it measured:
#   0. machine; GPU use sampled every 2 s all along (OUT/dmon.txt)
#   1. whole commands (benchmarks/throughput.py --device cuda): a 6000x4000 photo, `apply --op l0` and
#      `restore`, and a folder of 256 photos of 640x480 (goals: <= 4 s, <= 3 s, >= 100 and >= 150 photos/s)
#   2. the engine alone (benchmarks/speed.py): 640x480 and 6000x4000, torch on CUDA
# DEVICE=cpu SIZE=640x480 FOLDER=4 REPEATS=1: a dry run on the CPU.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 RESTORABLE_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE
export RESTORABLE_CACHE=${RESTORABLE_CACHE:-$(mktemp -d)}
OUT=${1:-$(mktemp -d)} DEVICE=${DEVICE:-cuda} SIZE=${SIZE:-6000x4000} FOLDER=${FOLDER:-256} REPEATS=${REPEATS:-2}
mkdir -p "$OUT"
part() { echo; echo "== $* ($(date -u +%H:%M:%S))"; }
part "0. machine"
{
  python3 -c 'import platform, torch; print(f"python {platform.python_version()}, torch {torch.__version__}"); [print(torch.cuda.get_device_name(i)) for i in range(torch.cuda.device_count())]'
  echo "$(nproc) cores"
} 2>&1 | tee "$OUT/machine.txt"
command -v nvidia-smi >/dev/null && { nvidia-smi dmon -s u -d 2 >"$OUT/dmon.txt" 2>&1 & }
part "1. whole commands"
python3 benchmarks/throughput.py --device "$DEVICE" --size "$SIZE" --folder "$FOLDER" --repeats "$REPEATS" 2>&1 \
  | tee "$OUT/throughput.md"
part "2. the engine alone"
python3 benchmarks/speed.py --op l0 --device "$DEVICE" --size 640x480 --size "$SIZE" --repeats 3 --backends torch 2>&1 \
  | grep -v Warning | tee "$OUT/engine.md"
part "done"
kill %1 2>/dev/null
exit 0
