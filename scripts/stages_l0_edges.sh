# l0 on the reference with reflecting edges (issue 32, reference revision 2: OpenCV's circular solve had put
# bright or tinted lines at the right and bottom edges, which the networks copied), one per line:
# NAME OP ARGS... for `restorable train` (train_all.sh adds --aux reference --val-every 500).
# Each fine-tunes a bundled l0 network on the new targets with the settings of the stage that made it
# (l0-jpeg-k: version 4, the default; l0-png-e: version 3, lossless files; l0-c1: version 5, conditioned),
# at a lower learning rate. Sourced by scripts/train_all.sh and scripts/gpu_window.sh; needs BUNDLED.
# Session 15, on 2 CPU cores: l0-jpeg-r stopped at step 1,131 (20 min): val/ 39.28 / 35.85 / 31.74 dB (approx /
# restore after PNG / after JPEG-90) at step 1,000, where it started from 39.24 / 35.95 / 31.77 (version 4 on the new
# reference): flat, not bundled. Session 22, on 2 CPU cores: l0-png-r ran its 2,000 steps (57 min): val/ 42.86 / 40.37 dB
# (approx / restore after PNG; v3 on the new reference: 42.61 / 40.09), better on the held-out photos too: bundled as
# l0 v6, the network for PNG/TIFF files. Next: these stages in a GPU window, with more crops.
L0_EDGE_STAGES=(
  "l0-jpeg-r l0 --init $BUNDLED/l0-v4.safetensors --jpeg --jpeg-quality 85-95 --jpeg-share 1 --w-restore 3 --w-ssim 0.05 --lr 1e-4 --steps 2000"
  "l0-png-r l0 --init $BUNDLED/l0-v3.safetensors --w-restore 2 --w-ssim 0.004 --lr 1e-4 --steps 2000"
  "l0-c-r l0 --init $BUNDLED/l0-v5.safetensors --conditioned --draws 12 --jpeg --jpeg-quality 85-95 --w-restore 3 --w-ssim 0.05 --lr 1e-4 --steps 2000"
)
