#!/usr/bin/env bash
# Train the bundled weights of every operator, exactly as shipped.
#
#   bash scripts/train_all.sh [OP ...]      # default: every operator below
#
# Each run is resumable: re-running the script continues a stopped run where it
# left off (`--resume`) and skips finished ones. Checkpoints go to runs/all/;
# bundle them with `python scripts/bundle_weights.py runs/all/OP.safetensors`
# (version 2: `... runs/all/OP-v2.safetensors --version 2`; style-a: runs/all/style-a-w4;
# version 3: `... runs/all/bwp-v3.safetensors --version 3`).
# Needs the training extra (`pip install -e ".[train]"`) and ../shared/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${DATA:-../shared/corpus/train}
VAL=${VAL:-../shared/corpus/val}
STEPS=${STEPS:-2500}
OUT=runs/all
BUNDLED=restorable/weights/bundled  # session-5 stages start from a bundled version (fp16)
mkdir -p "$OUT"

# l0 was trained first and longer (issue 3): 8000 steps, same settings.
# rgf missed the 35 dB restoration bar at 2500 steps (34.89 dB): it was then
# resumed to 3500 steps (the cosine schedule stretched from there).
declare -A RESUME_TO=([rgf]=3500)
OPS=("$@")
if [ ${#OPS[@]} -eq 0 ]; then
  OPS=(wls llf wmf rtv rgf bwp exposure retouch cpd style-a style-b l0 gray rescale-2x rescale-4x pack-2 pack-3 pack-4)
fi

stage() {  # stage NAME OP ARGS...: one run into runs/all/NAME.safetensors
  local name=$1 op=$2; shift 2
  local ckpt="$OUT/$name.safetensors" resume=()
  if [ -f "$ckpt" ]; then  # continue a stopped run (its start is recorded in it)
    resume=(--resume)
    [ "$1" = --init ] && shift 2
  fi
  echo "== $name $(date -u +%H:%M:%S)"
  restorable train --op "$op" --data "$DATA" --val "$VAL" --out "$ckpt" "${resume[@]}" --aux reference --val-every 500 "$@" \
    --stage "$name"
}

# Version-1 settings of every operator.
V1=(--jpeg --w-restore 2 --code-scale 0.25)
for op in "${OPS[@]}"; do
  # gray (new in 0.2), bwp (in the gray family since 0.2), rescale-2x/4x and pack-2/3/4: their stages are at the end. bwp
  # versions 1-3 are colour (effect) networks of restorable 0.1.0: commit 5ba0e2f of this
  # repository reproduces them with the stages below (the bwp operator then returned 3 channels).
  case $op in gray | bwp | rescale-* | pack-*) continue ;; esac
  steps=$STEPS
  [ "$op" = l0 ] && steps=8000
  stage "$op" "$op" "${V1[@]}" --steps "$steps"
  if [ -n "${RESUME_TO[$op]:-}" ]; then
    stage "$op" "$op" "${V1[@]}" --steps "${RESUME_TO[$op]}"
  fi
done

# Versions 2 (session 3) and 3 (session 5) of the operators that missed their
# bars with the settings above. bwp and exposure start from their version-1 run (--init) with
# restoration weighted 4 and JPEG qualities 85-95; retouch is a fresh run with
# restoration weighted 1 (its effect is small, so the hidden code must be quieter).
# bwp's version-1 run had been resumed towards 6,000 steps and stopped at 2,739.
# cpd (Type III: no JPEG bar) trains afresh with two fusion blocks and without
# JPEG, then continues with restoration weighted 4; style-a and style-b the same
# with restoration weighted 4, then 8.
# Session 5, checked on six photos in neither corpus folder
# (benchmarks/heldout_photos.sh): rgf version 1 restored 33.96 dB after PNG
# there (under the 35 dB bar it held on val/ by 0.4 dB), bwp version 2 34.85,
# rtv version 1 35.16. rgf and rtv continue from their bundled version 1 with
# the bwp recipe (rtv with restoration weighted 3); bwp version 3 continues
# from its bundled version 2 with the same settings (restoration weighted 6
# instead gave 30.41 / 35.41 dB approximation / PNG on val/: too little
# approximation margin). style-a continues once more with restoration weighted
# 4: after the weight-8 stage it approximated at only 30.40 dB (restoring
# 33.59); 1,000 more steps gave 32.78 / 34.89 dB.
for op in "${OPS[@]}"; do
  case $op in
    # bwp versions 2-3 (colour networks): commit 5ba0e2f, as version 1 above
    exposure) stage exposure-v2 exposure --init "$OUT/exposure.safetensors" --jpeg --jpeg-quality 85-95 --w-restore 4 --steps 2000 ;;
    retouch) stage retouch-v2 retouch --jpeg --w-restore 1 --steps 2500 ;;
    rgf) stage rgf-v2 rgf --init "$BUNDLED/rgf-v1.safetensors" --jpeg --jpeg-quality 85-95 --w-restore 4 --steps 2000 ;;
    rtv) stage rtv-v2 rtv --init "$BUNDLED/rtv-v1.safetensors" --jpeg --jpeg-quality 85-95 --w-restore 3 --steps 2000 ;;
    cpd)
      stage cpd-f2 cpd --fusion-blocks 2 --w-restore 2 --code-scale 0.25 --steps 2500
      stage cpd-v2 cpd --init "$OUT/cpd-f2.safetensors" --w-restore 4 --steps 1500 ;;
    style-a | style-b)
      stage $op-f2 $op --fusion-blocks 2 --w-restore 4 --code-scale 0.25 --steps 2500
      stage $op-v2 $op --init "$OUT/$op-f2.safetensors" --w-restore 8 --steps 1000
      if [ "$op" = style-a ]; then
        stage style-a-w4 style-a --init "$OUT/style-a-v2.safetensors" --w-restore 4 --steps 1000
      fi ;;
  esac
done

# Version-4 stages (issue 14: SSIM and grid terms, a lossless operating point):
# scripts/stages_v4.sh. Rounds 1 and 2 ran on one H200, all stages side by side
# (scripts/train_parallel_gpu.sh ... 6.6, then 3.2 minutes; each stopped by time
# a few hundred steps short of its --steps, where it says so in its manifest
# entry); here they run one after another to their full --steps.
RUNS=$OUT

run_stages() {  # run_stages "NAME OP ARGS..." ...: the stages of the operators asked for, in order
  local line name op args want
  for line in "$@"; do
    read -r name op args <<<"$line"
    for want in "${OPS[@]}"; do
      # shellcheck disable=SC2086  # args is a word list
      if [ "$want" = "$op" ]; then stage "$name" "$op" $args; fi
    done
  done
}

# shellcheck source=stages_v4.sh
source scripts/stages_v4.sh
run_stages "${V4_STAGES[@]}"

# Gray-family stages (issue 15): gray, and bwp as a grey image (scripts/stages_gray.sh).
# shellcheck source=stages_gray.sh
source scripts/stages_gray.sh
run_stages "${GRAY_STAGES[@]}"

# Rescale-family stages (issue 17): rescale-2x, rescale-4x (scripts/stages_rescale.sh).
# shellcheck source=stages_rescale.sh
source scripts/stages_rescale.sh
run_stages "${RESCALE_STAGES[@]}"
# versions 2 and 3 (a GPU's rounds 7 and 8, here one after another: about 5 hours on 2 cores)
run_stages "${RESCALE_GPU_STAGES[@]}" "${RESCALE_GPU_STAGES_8[@]}"

# Conditioned networks (issue 18): scripts/stages_conditioned.sh.
# shellcheck source=stages_conditioned.sh
source scripts/stages_conditioned.sh
run_stages "${CONDITIONED_STAGES[@]}"

# l0 on the reference with reflecting edges (issue 32): scripts/stages_l0_edges.sh. The l0 stages above ran on
# revision 1 of the reference (OpenCV's circular solve, commit 9416e59 and before); here they now train on revision 2.
# shellcheck source=stages_l0_edges.sh
source scripts/stages_l0_edges.sh
run_stages "${L0_EDGE_STAGES[@]}"

# JPEG-only weights (issue 32: >= 30 dB after JPEG-90 on every photo): scripts/stages_jpeg90.sh.
# shellcheck source=stages_jpeg90.sh
source scripts/stages_jpeg90.sh
run_stages "${JPEG90_STAGES[@]}"

# Pack family (issue 20): pack-2, pack-3, pack-4 (scripts/stages_pack.sh).
# shellcheck source=stages_pack.sh
source scripts/stages_pack.sh
run_stages "${PACK_STAGES[@]}"
