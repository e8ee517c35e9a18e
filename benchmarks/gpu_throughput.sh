#!/usr/bin/env bash
# Issue 31's GPU measure, one prepared call of about 7 minutes on one H100/H200:
#
#   bash benchmarks/gpu_throughput.sh [OUT_DIR]
#
# Runs from a plain copy of the repository (PYTHONPATH) with the packages of a CUDA PyTorch image
# (torch, torchvision, numpy, pillow, safetensors, typer, rich, pytest); installs and downloads nothing.
#   0. machine; GPU use sampled every 2 s all along (OUT/dmon.txt)
#   1. CUDA checks of the new data path: crops cut on the GPU equal the CPU's; nvJPEG in the loop vs PIL
#   2. throughput (benchmarks/train_throughput.py): first 8 and 32 bundled l0 networks at batch 8 each trained
#      together in one process (restorable train-together), eager and compiled; then the bundled l0 network at batch 256 and 1024, the
#      IRN-size one at 256, without JPEG, with nvJPEG and with PIL JPEG in the loop, compiled; today's setting (batch 8,
#      eager) and batch 256 eager as the baselines
# Each part writes its table into OUT_DIR as it goes, so a run cut short keeps what it measured.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 RESTORABLE_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
part() { echo; echo "== $* ($(date -u +%H:%M:%S))"; }
part "0. machine"
python3 -c 'import torch, platform; p = torch.cuda.get_device_properties(0); import torchvision; print(f"python {platform.python_version()}, torch {torch.__version__}, torchvision {torchvision.__version__}, {p.name}, {p.total_memory / 2**30:.0f} GiB, {p.multi_processor_count} SMs")'
nvidia-smi dmon -s u -d 2 >"$OUT/dmon.txt" 2>&1 &
part "1. CUDA checks"
python3 -m pytest -q -s -m cuda -p no:cacheprovider tests/test_device_batches.py 2>&1 | tee "$OUT/cuda_checks.txt"
part "2. throughput"
bench() { python3 benchmarks/train_throughput.py --seconds 8 "$@" 2>&1 | grep -v Warning | tee -a "$OUT/throughput.md"; }
bench --configs bundled --batches 8 --together 8 32 --jpeg none nvjpeg --passes eager compiled
bench --configs bundled --batches 256 1024 --jpeg none nvjpeg real
bench --configs irn --batches 256 --jpeg none nvjpeg
bench --configs bundled --batches 8 256 --jpeg real --passes eager
part "done"
kill %1 2>/dev/null
