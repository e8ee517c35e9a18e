# Conditioned stages (issue 18: one network per operator for its parameters' ranges), one per line:
# NAME OP ARGS... for `restorable train` (train_all.sh adds --aux reference and --val-every 500).
# Sourced by scripts/train_all.sh. Each starts from the operator's bundled default network (--init), which
# gains the condition input (starting as that network), and trains on every photo at its defaults and at
# 12 settings drawn over the conditioned parameters' ranges (--draws), with the settings of that version.
CONDITIONED_STAGES=(
  "exposure-c1 exposure --init $BUNDLED/exposure-v3.safetensors --conditioned --draws 12 --jpeg --jpeg-quality 85-95 --w-restore 4 --w-ssim 0.04 --w-grid 0.02 --steps 3000"
)
