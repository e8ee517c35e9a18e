# Rescale-family stages (issue 17: a 2x / 4x smaller image that restores the full size), one per line:
# NAME OP ARGS... for `restorable train` (train_all.sh adds --aux reference, which a rescaling network ignores,
# and --val-every 500). Sourced by scripts/train_all.sh.
# IRN's design at a CPU size: 8 coupling blocks per 2x level, 32-channel subnets; the small image's guidance
# (its MSE to a Lanczos downscale) and the restoration weighted alike; real JPEG 85-95 for half of each batch.
RESCALE_STAGES=(
  "rescale-2x-a rescale-2x --inv-blocks 8 --width 32 --jpeg --jpeg-quality 85-95 --w-restore 1 --steps 6000"
  "rescale-4x-a rescale-4x --inv-blocks 8 --width 32 --jpeg --jpeg-quality 85-95 --w-restore 1 --steps 6000"
)
