#!/usr/bin/env bash
# Train several stages at once on one GPU: one `restorable train --device cuda`
# process per stage, each pinned to its own CPU cores (a small model is
# launch-bound: processes side by side keep the GPU busier than one alone).
#
#   bash scripts/train_parallel_gpu.sh DATA CACHE OUT_DIR MINUTES [NAME ...]
#
# Stages come from scripts/stages_v4.sh (all of them, or the NAMEs given; another file: STAGES=FILE
# ARRAY=NAME, e.g. STAGES=scripts/stages_rescale.sh ARRAY=RESCALE_GPU_STAGES). Each
# stops at its --steps or after MINUTES, whichever comes first, and saves (a stage
# stopped by time resumes with `--resume`). Runs from a plain copy of the
# repository (PYTHONPATH), without network. VAL=FOLDER: validation photos (every 500 steps); WORKERS=N: batch workers per stage (default 0). Logs: OUT_DIR/NAME.log. DEVICE=cpu: a dry run here.
set -uo pipefail
cd "$(dirname "$0")/.."
DATA=$1 CACHE=$2 OUT=$3 MINUTES=$4
shift 4
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 RESTORABLE_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE
BUNDLED=restorable/weights/bundled RUNS=$OUT
# shellcheck disable=SC1090  # the stage file is chosen by STAGES
source "${STAGES:-scripts/stages_v4.sh}"
declare -n STAGE_LINES=${ARRAY:-V4_STAGES}
mkdir -p "$OUT"
cores=$(nproc)
chosen=()
for line in "${STAGE_LINES[@]}"; do
  name=${line%% *}
  if [ $# -eq 0 ] || [[ " $* " == *" $name "* ]]; then chosen+=("$line"); fi
done
per=$(( cores / ${#chosen[@]} )); [ "$per" -ge 1 ] || per=1
val=()  # VAL=FOLDER: validate every 500 steps
[ -n "${VAL:-}" ] && val=(--val "$VAL" --val-every 500)
pids=() i=0
for line in "${chosen[@]}"; do
  read -r name op args <<<"$line"
  first=$(( (i * per) % cores )); last=$(( first + per - 1 ))
  # shellcheck disable=SC2086  # args is a word list
  taskset -c "$first-$last" python3 -c 'import sys; from restorable.cli import main; sys.argv[0] = "restorable"; main()' \
    train --op "$op" --data "$DATA" --out "$OUT/$name.safetensors" --cache "$CACHE" $args \
    "${val[@]}" --device "${DEVICE:-cuda}" --workers "${WORKERS:-0}" --no-compile --minutes "$MINUTES" --save-minutes 1 --stage "$name" >"$OUT/$name.log" 2>&1 &
  pids+=($!) i=$((i + 1))
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for line in "${chosen[@]}"; do
  name=${line%% *}
  printf '%s: %s\n' "$name" "$(tr '\r' '\n' <"$OUT/$name.log" | grep -v '^\s*$' | tail -1)"
done
exit $status
