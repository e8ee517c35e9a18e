# Version-4 stages (issue 14: effects that look like the effect), one per line:
# NAME OP ARGS... for `restorable train`. Each fine-tunes a bundled version with
# the SSIM and grid terms (--w-ssim, --w-grid). "-jpeg" stages keep compression-
# aware training (JPEG 85-95, the qualities people share at); "-png" stages are the
# lossless operating point (no JPEG in training, so the hidden code can be quieter).
# Sourced by scripts/train_all.sh (one after another, any device) and
# scripts/train_parallel_gpu.sh (all at once on one GPU). Needs BUNDLED and RUNS
# (the folder of the stages' checkpoints) set. Round 2 starts from round 1's results.
V4_STAGES=(
  "l0-jpeg l0 --init $BUNDLED/l0-v1.safetensors --jpeg --jpeg-quality 85-95 --w-restore 2.5 --w-ssim 0.04 --w-grid 0.02 --steps 3000"
  "l0-jpeg-b l0 --init $BUNDLED/l0-v1.safetensors --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.06 --w-grid 0.03 --steps 3000"
  "l0-png l0 --init $BUNDLED/l0-v1.safetensors --w-restore 2 --w-ssim 0.1 --w-grid 0.05 --steps 3000"
  "l0-png-b l0 --init $BUNDLED/l0-v1.safetensors --w-restore 2 --w-ssim 0.2 --w-grid 0.1 --steps 3000"
  "rtv-jpeg rtv --init $BUNDLED/rtv-v2.safetensors --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.06 --w-grid 0.03 --steps 3000"
  "rtv-png rtv --init $BUNDLED/rtv-v2.safetensors --w-restore 2 --w-ssim 0.1 --w-grid 0.05 --steps 3000"
  "rtv-png-b rtv --init $BUNDLED/rtv-v2.safetensors --w-restore 2 --w-ssim 0.2 --w-grid 0.1 --steps 3000"
  "rgf-jpeg rgf --init $BUNDLED/rgf-v2.safetensors --jpeg --jpeg-quality 85-95 --w-restore 4 --w-ssim 0.04 --w-grid 0.02 --steps 3000"
  "exposure-jpeg exposure --init $BUNDLED/exposure-v2.safetensors --jpeg --jpeg-quality 85-95 --w-restore 4 --w-ssim 0.04 --w-grid 0.02 --steps 3000"
  "cpd-png cpd --init $BUNDLED/cpd-v2.safetensors --w-restore 4 --w-ssim 0.04 --w-grid 0.02 --steps 3000"
  "style-b-png style-b --init $BUNDLED/style-b-v2.safetensors --w-restore 8 --w-ssim 0.04 --w-grid 0.02 --steps 3000"
  # round 2: SSIM weighted less against restoration, no grid term; q90: JPEG at the quality judged
  "l0-jpeg-c l0 --init $RUNS/l0-jpeg.safetensors --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.03 --steps 2000"
  "l0-jpeg-d l0 --init $RUNS/l0-jpeg.safetensors --jpeg --jpeg-quality 90-90 --w-restore 3 --w-ssim 0.03 --steps 2000"
  "l0-jpeg-e l0 --init $RUNS/l0-jpeg.safetensors --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.02 --steps 2000"
  "l0-png-c l0 --init $RUNS/l0-jpeg.safetensors --w-restore 2 --w-ssim 0.03 --steps 2000"
  "rtv-jpeg-c rtv --init $RUNS/rtv-jpeg.safetensors --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.03 --steps 2000"
  "rtv-jpeg-d rtv --init $RUNS/rtv-jpeg.safetensors --jpeg --jpeg-quality 90-90 --w-restore 3 --w-ssim 0.03 --steps 2000"
  "rgf-jpeg-c rgf --init $RUNS/rgf-jpeg.safetensors --jpeg --jpeg-quality 85-95 --w-restore 4 --w-ssim 0.03 --steps 2000"
  # round 3, on the CPU: the lossless l0 with SSIM weighted less; retouch's quieter code (its GPU run needed opencv-contrib)
  "l0-png-d l0 --init $RUNS/l0-png-c.safetensors --w-restore 2 --w-ssim 0.008 --steps 2000"
  "l0-png-e l0 --init $RUNS/l0-png-d.safetensors --w-restore 2 --w-ssim 0.004 --steps 2000"
  # retouch-jpeg (not shipped): SSIM 0.999, restoration after PNG 33.81 dB on val/, below version 2's 35.40
  "retouch-jpeg retouch --init $BUNDLED/retouch-v2.safetensors --jpeg --jpeg-quality 85-95 --w-restore 2 --w-ssim 0.02 --steps 2000"
  # round 4, on the CPU: a larger invertible branch (4 -> 8 coupling blocks, the new ones starting as the identity);
  # not shipped: +0.1-0.2 dB after JPEG-90 for a restore 1.8x slower (README)
  "l0-jpeg-g l0 --init $RUNS/l0-jpeg-c.safetensors --grow-blocks 4 --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.03 --steps 2000"
  # round 5, on the H200: weights for JPEG files restore from JPEG in the whole batch (--jpeg-share 1),
  # longer runs at a lower learning rate; rtv-jpeg-g is the control (half the batch from PNG, as before)
  "rtv-jpeg-f rtv --init $BUNDLED/rtv-v3.safetensors --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.06 --w-grid 0.03 --lr 2e-4 --steps 5000"
  "rtv-jpeg-g rtv --init $BUNDLED/rtv-v3.safetensors --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.06 --w-grid 0.03 --lr 2e-4 --steps 5000"
  "rtv-jpeg-h rtv --init $BUNDLED/rtv-v3.safetensors --grow-blocks 4 --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.06 --w-grid 0.03 --lr 2e-4 --steps 5000"
  "rtv-jpeg-i rtv --init $BUNDLED/rtv-v3.safetensors --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.045 --w-grid 0.02 --lr 2e-4 --steps 5000"
  "l0-jpeg-h l0 --init $BUNDLED/l0-v2.safetensors --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.03 --lr 2e-4 --steps 5000"
  "retouch-b retouch --init $BUNDLED/retouch-v2.safetensors --jpeg --jpeg-quality 70-95 --w-restore 3 --lr 2e-4 --steps 5000"
  # round 6, on the H200: from round 5's results, SSIM weighted more to buy back the look
  "rtv-jpeg-j rtv --init $RUNS/rtv-jpeg-f.safetensors --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.08 --w-grid 0.04 --lr 1.5e-4 --steps 3000"
  "rtv-jpeg-k rtv --init $RUNS/rtv-jpeg-f.safetensors --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.06 --w-grid 0.03 --lr 1.5e-4 --steps 3000"
  "l0-jpeg-j l0 --init $RUNS/l0-jpeg-h.safetensors --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.04 --lr 1.5e-4 --steps 3000"
  "l0-jpeg-k l0 --init $RUNS/l0-jpeg-h.safetensors --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.05 --lr 1.5e-4 --steps 3000"
  "retouch-c retouch --init $RUNS/retouch-b.safetensors --jpeg --jpeg-quality 70-95 --w-restore 8 --lr 1.5e-4 --steps 3000"
  "rtv-png-c rtv --init $RUNS/rtv-jpeg-g.safetensors --w-restore 3 --w-ssim 0.06 --w-grid 0.03 --lr 1.5e-4 --steps 3000"
  # round 7, on the CPU: retouch's lossless point (no JPEG in training: its restoration after PNG has room);
  # rtv's JPEG point from rtv-jpeg-j, the SSIM term as the power mean 2 of the crops' 1 - SSIM (the worst photo)
  "retouch-png retouch --init $RUNS/retouch-b.safetensors --w-restore 3 --lr 2e-4 --steps 2500"
  "rtv-jpeg-l rtv --init $RUNS/rtv-jpeg-j.safetensors --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.07 --ssim-power 2 --w-grid 0.035 --lr 1e-4 --steps 2500"
  "retouch-png-b retouch --init $RUNS/retouch-png.safetensors --w-restore 10 --lr 2e-4 --steps 2500"
  "retouch-png-c retouch --init $RUNS/retouch-png-b.safetensors --w-restore 5 --lr 1e-4 --steps 1500"
  # round 8, on the CPU: rtv-jpeg-j trained longer, SSIM weighted a little less
  "rtv-jpeg-m rtv --init $RUNS/rtv-jpeg-j.safetensors --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.075 --w-grid 0.0375 --lr 1e-4 --steps 6000"
  "rtv-jpeg-n rtv --init $RUNS/rtv-jpeg-m.safetensors --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.075 --w-grid 0.0375 --lr 1e-4 --steps 4500"
)
