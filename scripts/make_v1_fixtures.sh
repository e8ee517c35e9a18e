#!/usr/bin/env bash
# Files written by restorable 0.1.0 (provenance version 1), kept as test fixtures so that
# later versions are checked to restore them offline (tests/test_compat.py). Run once, with
# the version that wrote them; the expected figures go to tests/data/v1/expected.json (a 96x72
# photo: too small for good figures, and that is not what these files test).
set -euo pipefail
cd "$(dirname "$0")/.."
src=tests/data/cups_96x72.png out=tests/data/v1
mkdir -p "$out"
restorable apply --op l0 "$src" "$out/l0-learned.png" --overwrite --min-restore-db 0
restorable apply --op l0 "$src" "$out/l0-learned.jpg" --overwrite --min-restore-db 0
restorable apply --op l0 --payload "$src" "$out/l0-payload.png" --overwrite --min-restore-db 0
restorable apply --op l0 --mode exact "$src" "$out/l0-exact.png" --overwrite --min-restore-db 0
restorable apply --op exposure "$src" "$out/exposure-learned.png" --overwrite --min-restore-db 0
restorable apply --op bwp "$src" "$out/bwp-learned.png" --overwrite --min-restore-db 0
python - "$src" "$out" <<'PY'
import json, sys
from pathlib import Path
from restorable import __version__
from restorable.api import restore_photo
from restorable.photo import read_photo
from restorable.metrics import psnr
src, out = Path(sys.argv[1]), Path(sys.argv[2])
original = read_photo(src).rgb
figures = {}
for path in sorted(out.glob("*-*.*")):
    figures[path.name] = round(psnr(restore_photo(read_photo(path), device="cpu").rgb, original), 3)
(out / "expected.json").write_text(json.dumps({"written_by": __version__, "source": src.name, "restore_psnr": figures}, indent=1) + "\n")
print(figures)
PY
