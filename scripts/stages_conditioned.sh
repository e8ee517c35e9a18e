# Conditioned stages (issue 18: one network per operator for its parameters' ranges), one per line:
# NAME OP ARGS... for `restorable train` (train_all.sh adds --aux reference and --val-every 500).
# Sourced by scripts/train_all.sh. Each starts from the operator's bundled default network (--init), which
# gains the condition input (starting as that network), and trains on every photo at its defaults and at
# 12 settings drawn over the conditioned parameters' ranges (--draws), with the settings of that version
# (restoring from PNG and JPEG: the conditioned version serves both file kinds). exposure-c1 lost 1.0-1.4 dB
# against its unconditioned network at the defaults: the later stages have 8 invertible blocks (--grow-blocks).
CONDITIONED_STAGES=(
  "exposure-c1 exposure --init $BUNDLED/exposure-v3.safetensors --conditioned --draws 12 --jpeg --jpeg-quality 85-95 --w-restore 4 --w-ssim 0.04 --w-grid 0.02 --steps 3000"
  "exposure-c2 exposure --init $RUNS/exposure-c1.safetensors --grow-blocks 4 --conditioned --draws 12 --jpeg --jpeg-quality 85-95 --w-restore 4 --w-ssim 0.04 --w-grid 0.02 --steps 3000"
  "l0-c1 l0 --init $BUNDLED/l0-v4.safetensors --grow-blocks 4 --conditioned --draws 12 --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.05 --steps 3000"
  # tried, not kept: retouch's unconditioned v3 already holds over its amount range (approximation 46.1-46.3 dB,
  # restored after PNG 38.3-40.3), retouch-c1 approximates at 42.9-43.1 dB (restored 38.5-40.6)
  "retouch-c1 retouch --init $BUNDLED/retouch-v3.safetensors --grow-blocks 4 --conditioned --draws 12 --jpeg --jpeg-quality 85-95 --w-restore 4 --steps 3000"
  # session 12: the l0-c1 recipe with each operator's own loss weights (those of its bundled default's stage).
  # wmf and cpd need none: their unconditioned networks hold over their ranges as at the default
  # (approximation 39.2-40.6 / 38.4-38.6 dB mean, restoration within 1.4 / 0.2 dB of the default's).
  "wls-c1 wls --init $BUNDLED/wls-v1.safetensors --grow-blocks 4 --conditioned --draws 12 --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.05 --steps 3000"
  "llf-c1 llf --init $BUNDLED/llf-v1.safetensors --grow-blocks 4 --conditioned --draws 12 --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.05 --steps 3000"
  "rgf-c1 rgf --init $BUNDLED/rgf-v3.safetensors --grow-blocks 4 --conditioned --draws 12 --jpeg --jpeg-quality 85-95 --w-restore 4 --w-ssim 0.04 --w-grid 0.02 --steps 3000"
  "bwp-c1 bwp --init $BUNDLED/bwp-v3.safetensors --grow-blocks 4 --conditioned --draws 12 --jpeg --jpeg-quality 85-95 --w-restore 4 --steps 3000"
  "rtv-c1 rtv --init $BUNDLED/rtv-v5.safetensors --grow-blocks 4 --conditioned --draws 12 --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.06 --w-grid 0.03 --steps 3000"
)
