# Gray-family stages (issue 15: restorable grayscale; bwp as a grey image), one per line:
# NAME OP ARGS... for `restorable train` (train_all.sh adds --aux reference --val-every 500).
# Sourced by scripts/train_all.sh; needs RUNS (the folder of the stages' checkpoints).
# gray-a was stopped at step 1,584 of its 12,000-step schedule (too slow beside other
# work on 2 cores); --stop-at records that. Its successor trains with restoration
# weighted 4 and JPEG qualities around the judged 90.
GRAY_STAGES=(
  "gray-a gray --jpeg --jpeg-quality 80-95 --w-restore 2 --steps 12000 --stop-at 1584"
  "gray-b gray --init $RUNS/gray-a.safetensors --jpeg --jpeg-quality 85-95 --w-restore 4 --steps 5000"
)
