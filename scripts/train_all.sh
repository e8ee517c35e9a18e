#!/usr/bin/env bash
# Train the bundled weights of every operator, exactly as shipped.
#
#   bash scripts/train_all.sh [OP ...]      # default: every operator below
#
# Each run is resumable: re-running the script continues a stopped run where it
# left off (`--resume`) and skips finished ones. Checkpoints go to runs/all/;
# bundle them with `python scripts/bundle_weights.py runs/all/OP.safetensors`.
# Needs the training extra (`pip install -e ".[train]"`) and ../shared/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${DATA:-../shared/corpus/train}
VAL=${VAL:-../shared/corpus/val}
STEPS=${STEPS:-2500}
OUT=runs/all
mkdir -p "$OUT"

# l0 was trained first and longer (issue 3): 8000 steps, same settings.
# rgf missed the 35 dB restoration bar at 2500 steps (34.89 dB): it was then
# resumed to 3500 steps (the cosine schedule stretched from there).
declare -A RESUME_TO=([rgf]=3500)
OPS=("$@")
if [ ${#OPS[@]} -eq 0 ]; then
  OPS=(wls llf wmf rtv rgf bwp exposure retouch cpd style-a style-b l0)
fi

for op in "${OPS[@]}"; do
  steps=$STEPS
  [ "$op" = l0 ] && steps=8000
  ckpt="$OUT/$op.safetensors"
  resume=()
  [ -f "$ckpt" ] && resume=(--resume)
  echo "== $op: $steps steps $(date -u +%H:%M:%S)"
  restorable train --op "$op" --data "$DATA" --val "$VAL" --out "$ckpt" "${resume[@]}" \
    --aux reference --jpeg --w-restore 2 --code-scale 0.25 \
    --steps "$steps" --val-every 500
  if [ -n "${RESUME_TO[$op]:-}" ]; then
    restorable train --op "$op" --data "$DATA" --val "$VAL" --out "$ckpt" --resume \
      --aux reference --jpeg --w-restore 2 --code-scale 0.25 \
      --steps "${RESUME_TO[$op]}" --val-every 500
  fi
done
