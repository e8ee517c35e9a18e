#!/usr/bin/env bash
# Issue 31: does speed cost quality? Val PSNR against crops seen for today's training setting (batch 8,
# lr 5e-4) and the large-batch one (batch 256, lr scaled by sqrt(32), warm-up), the same number of crops,
# and the large batch with 4x the crops (what the same GPU minutes buy). One GPU, about 6 minutes:
#
#   bash benchmarks/gpu_curve.sh TRAIN_DIR VAL_DIR OUT_DIR [CROPS]      (CROPS: default 32000; DEVICE=cpu: a dry run)
#
# The bundled l0 configuration (reference auxiliary branch, code scale 0.25, restore weight 2), without
# JPEG in the loop (its CPU codec would cap the large batch, and both settings see the same losses); compiled
# passes, crops cut on the GPU. Validation on VAL_DIR every 6,000 crops or so. Runs from a plain copy of
# the repository; tables in OUT_DIR/curves.md as each run ends.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 RESTORABLE_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE
DATA=$1 VAL=$2 OUT=$3 CROPS=${4:-32000}
mkdir -p "$OUT"
restorable() { python3 -c 'import sys; from restorable.cli import main; sys.argv[0] = "restorable"; main()' "$@"; }
run() {  # NAME BATCH LR WARMUP CROPS
  local steps=$(($5 / $2)) every=$(( (6000 + $2 - 1) / $2 ))
  echo "== $1: batch $2, lr $3, warm-up $4, $steps steps ($(date -u +%H:%M:%S))"
  restorable train --op l0 --data "$DATA" --val "$VAL" --cache "$OUT/cache" --aux reference --code-scale 0.25 \
    --w-restore 2 --device "${DEVICE:-cuda}" --save-minutes 100 --out "$OUT/$1.safetensors" --batch "$2" --lr "$3" \
    --warmup "$4" --steps "$steps" --val-every "$every" 2>&1 | tr '\r' '\n' | grep -E '^(l0:|saved|val:|error)'
  { echo "### $1"; python3 benchmarks/train_curve.py "$OUT/$1.safetensors"; echo; } | tee -a "$OUT/curves.md"
}
run today-b8 8 5e-4 0 "$CROPS"
run b256 256 2.83e-3 20 "$CROPS"
run b256-4x 256 2.83e-3 20 $((4 * CROPS))
echo "== done ($(date -u +%H:%M:%S))"
