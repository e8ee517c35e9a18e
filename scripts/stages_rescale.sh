# Rescale-family stages (issue 17: a 2x / 4x smaller image that restores the full size), one per line:
# NAME OP ARGS... for `restorable train` (train_all.sh adds --aux reference, which a rescaling network ignores,
# and --val-every 500). Sourced by scripts/train_all.sh.
# IRN's design at a CPU size: 8 coupling blocks per 2x level, 32-channel subnets; the small image's guidance
# (its MSE to a Lanczos downscale) and the restoration weighted alike; real JPEG 85-95 for half of each batch.
RESCALE_STAGES=(
  "rescale-2x-a rescale-2x --inv-blocks 8 --width 32 --jpeg --jpeg-quality 85-95 --w-restore 1 --steps 6000"
  "rescale-4x-a rescale-4x --inv-blocks 8 --width 32 --jpeg --jpeg-quality 85-95 --w-restore 1 --steps 6000"
)

# Versions 2 (default: JPEG files) and 3 (lossless files) of both: rounds 7 and 8 of session 11 on one H100
# (scripts/train_parallel_gpu.sh, STAGES=scripts/stages_rescale.sh ARRAY=RESCALE_GPU_STAGES, then
# ARRAY=RESCALE_GPU_STAGES_8 WORKERS=3; logs in docs/device/). From the CPU stages above with 4x the batch,
# larger crops and half the learning rate (3 Adam steps at 5e-4 cost 4 dB), one network per file kind: -png
# never sees JPEG (the lossless weights, PNG/TIFF files), -jpeg restores every crop from real JPEG 85-95 (the
# default weights). x4 weighs the small image's guidance 2 against the drift seen above. Each round stopped by
# time; --stop-at is where, so that train_all.sh repeats the same runs on the CPU (the cosine schedules
# still run to --steps). Also tried in round 7, not kept: guidance weighted 4 (x2) / 6 (x4), no JPEG:
# val/ small image 47.41 / 45.68 dB, restored after PNG 37.55 / 30.74 dB (the -b stages: 44.51 / 43.14,
# 38.36 / 31.13).
GPU=(--batch 32 --crop 160)
RESCALE_GPU_STAGES=(
  "rescale-2x-png-b rescale-2x --init $RUNS/rescale-2x-a.safetensors ${GPU[*]} --lr 2.5e-4 --w-restore 1 --steps 3000 --stop-at 1750"
  "rescale-2x-jpeg-b rescale-2x --init $RUNS/rescale-2x-a.safetensors ${GPU[*]} --lr 2.5e-4 --jpeg --jpeg-share 1 --jpeg-quality 85-95 --w-restore 1 --steps 3000 --stop-at 1571"
  "rescale-4x-png-b rescale-4x --init $RUNS/rescale-4x-a.safetensors ${GPU[*]} --lr 2.5e-4 --w-approx 2 --w-restore 1 --steps 3000 --stop-at 943"
  "rescale-4x-jpeg-b rescale-4x --init $RUNS/rescale-4x-a.safetensors ${GPU[*]} --lr 2.5e-4 --jpeg --jpeg-share 1 --jpeg-quality 85-95 --w-approx 2 --w-restore 1 --steps 3000 --stop-at 903"
)
RESCALE_GPU_STAGES_8=(
  "rescale-2x-png-d rescale-2x --init $RUNS/rescale-2x-png-b.safetensors ${GPU[*]} --lr 1.5e-4 --w-restore 1 --steps 2000 --stop-at 1569"
  "rescale-2x-jpeg-d rescale-2x --init $RUNS/rescale-2x-jpeg-b.safetensors ${GPU[*]} --lr 1.5e-4 --jpeg --jpeg-share 1 --jpeg-quality 85-95 --w-restore 1 --steps 2000 --stop-at 1386"
  "rescale-4x-png-d rescale-4x --init $RUNS/rescale-4x-png-b.safetensors ${GPU[*]} --lr 1.5e-4 --w-approx 2 --w-restore 1 --steps 2000 --stop-at 850"
  "rescale-4x-jpeg-d rescale-4x --init $RUNS/rescale-4x-jpeg-b.safetensors ${GPU[*]} --lr 1.5e-4 --jpeg --jpeg-share 1 --jpeg-quality 85-95 --w-approx 2 --w-restore 1 --steps 2000 --stop-at 810"
)
