# Gray-family stages (issue 15: restorable grayscale; bwp as a grey image), one per line:
# NAME OP ARGS... for `restorable train` (train_all.sh adds --aux reference --val-every 500).
# Sourced by scripts/train_all.sh; needs RUNS (the folder of the stages' checkpoints).
# gray-a was stopped at step 1,584 of its 12,000-step schedule (too slow beside other
# work on 2 cores); --stop-at records that. Its successor trains with restoration
# weighted 4 and JPEG qualities around the judged 90.
GRAY_STAGES=(
  "gray-a gray --jpeg --jpeg-quality 80-95 --w-restore 2 --steps 12000 --stop-at 1584"
  "gray-b gray --init $RUNS/gray-a.safetensors --jpeg --jpeg-quality 85-95 --w-restore 4 --steps 5000"
  # gray version 2, for lossless files: no JPEG, the grey's SSIM weighted in (a quieter code)
  "gray-png-d gray --init $RUNS/gray-b.safetensors --w-restore 4 --w-ssim 0.03 --steps 3000"
  # tried: --w-ssim 0.1 --w-grid 0.05 (gray-png-c): restoration fell to 28.2 dB at step 500, stopped at 1,000;
  # gray-png-d for 3,000 more steps at --lr 2e-4 (gray-png-f): val/ 43.12 / 34.67 dB at step 2,000, no gain: stopped
  # tried: gray-b with --jpeg --jpeg-quality 85-95 --w-restore 4 --w-ssim 0.03 (gray-jpeg-e, 3,000 steps), for a quieter
  # grey in JPEG files: val/ grey 40.42 dB / SSIM 0.976, colour after JPEG-90 31.08 dB (gray-b: 36.49 / 0.932, 33.51):
  # a better grey but below the 32 dB JPEG bar, so not bundled
  # tried (session 10): gray-png-d with two more coupling blocks in H (--grow-fusion 2: a deeper colour decoder; float
  # restoration on val/ had been 29.3 dB on picture_1a with no quantisation at all, so the decoder, not the 8 bits,
  # limits it), --w-restore 6 --w-ssim 0.03 (gray-png-g): val/ 42.73 / 35.55 dB at step 500, 42.38 / 35.16 at 1,000
  # (gray-png-d: 42.71 / 34.84): far from 38 dB, stopped
  # bwp as a grey image, from gray version 1: val/ 30.03 dB grey, 29.92 dB colour after PNG (mean): not bundled
  "bwp-a bwp --init $RUNS/gray-b.safetensors --jpeg --jpeg-quality 85-95 --w-restore 4 --steps 4000"
)
