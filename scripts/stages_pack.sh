# Pack-family stages (issue 20: 2 to 4 images in one that looks like the first), one per line:
# NAME OP ARGS... for `restorable train` (train_all.sh adds --aux reference, which a packing network ignores,
# and --val-every 500). Sourced by scripts/train_all.sh. Groups: shifted views of each training photo and
# unrelated photos (restorable.train.data.load_pack_groups). pack-2 trains in two stages: a first 1,500
# steps with a light grid weight, then 3,000 more at a lower learning rate with a 2.5x heavier one against the
# checker grid it left (at 5x and the first rate, 5e-4, the continuation fell from 31.5 to 24.5 dB in 500 steps).
# pack-2-b (with real JPEG) is pack-2's default, for JPEG files; pack-2-l, trained without JPEG as pack-3 and
# pack-4, its version for lossless files (PNG, TIFF), where the hidden images need not survive JPEG.
PACK_STAGES=(
  "pack-2-a pack-2 --inv-blocks 8 --width 32 --jpeg --jpeg-quality 85-95 --w-restore 2 --w-freq 1 --w-grid 0.02 --steps 1500"
  "pack-2-b pack-2 --init runs/all/pack-2-a.safetensors --lr 2e-4 --jpeg --jpeg-quality 85-95 --w-restore 2 --w-freq 1 --w-grid 0.05 --steps 3000"
  "pack-2-l pack-2 --inv-blocks 8 --width 32 --w-restore 2 --w-freq 1 --w-grid 0.05 --steps 2500"
  "pack-3-a pack-3 --inv-blocks 8 --width 32 --w-restore 2 --w-freq 1 --w-grid 0.05 --steps 2500"
  "pack-4-a pack-4 --inv-blocks 8 --width 32 --w-restore 2 --w-freq 1 --w-grid 0.05 --steps 2500"
)
