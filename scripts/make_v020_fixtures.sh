#!/usr/bin/env bash
# Files written by restorable 0.2.0 (provenance version 2), kept as test fixtures so that later
# versions are checked to restore them exactly as 0.2.0 did (tests/test_compat.py). Run once with
# the 0.2.0 code: `git worktree add /tmp/v020 394fe5d && CODE=/tmp/v020 bash scripts/make_v020_fixtures.sh`.
# tests/data/v020/expected.json gets the sha256 of the pixels 0.2.0 restored from each file, and their PSNR.
set -euo pipefail
cd "$(dirname "$0")/.."
code=$(cd "${CODE:-.}" && pwd)
src=$PWD/tests/data/cups_96x72.png out=$PWD/tests/data/v020
mkdir -p "$out"
# run in $code: python puts the current folder first on its path, so this checkout's package would shadow it
rs() { (cd "$code" && PYTHONPATH="$code" RESTORABLE_OFFLINE=1 python -c "import sys; from restorable.cli import main; sys.argv[0] = 'restorable'; main()" "$@"); }
python -c "from PIL import Image, ImageOps; ImageOps.mirror(Image.open('$src')).save('$out/mirrored.png')"
rs apply --op l0 "$src" "$out/l0.png" --overwrite --min-restore-db 0
rs apply --op l0 "$src" "$out/l0.jpg" --overwrite --min-restore-db 0 --quality 90
rs apply --op l0 --payload "$src" "$out/l0-payload.png" --overwrite --min-restore-db 0
rs apply --op wls -p fine=4 "$src" "$out/wls-fine4.png" --overwrite --min-restore-db 0
rs apply --op gray "$src" "$out/gray.png" --overwrite --min-restore-db 0
rs apply --op rescale-2x "$src" "$out/rescale-2x.png" --overwrite --min-restore-db 0
rs pack "$src" "$out/mirrored.png" -o "$out/pack-2.png" --overwrite --min-restore-db 0
cd "$code"
PYTHONPATH="$code" RESTORABLE_OFFLINE=1 python - "$src" "$out" <<'PY'
import hashlib, json, sys
from pathlib import Path
import restorable
from restorable import __version__
print("restorable from", restorable.__file__)
from restorable.metrics import psnr
from restorable.photo import read_photo
from restorable.session import Session
from restorable.settings import RunSettings
src, out = Path(sys.argv[1]), Path(sys.argv[2])
session = Session(RunSettings(device="cpu"))
originals = {"cups_96x72.png": read_photo(src).rgb, "mirrored.png": read_photo(out / "mirrored.png").rgb}
figures = {}
for path in sorted(p for p in out.iterdir() if p.suffix in (".png", ".jpg") and p.name != "mirrored.png"):
    photo = read_photo(path)
    if photo.provenance.family == "pack":
        images = [(name, image.rgb) for name, image in session.unpack(photo)]
    else:
        images = [("cups_96x72.png", session.restore(photo).rgb)]
    figures[path.name] = [
        {"original": name, "sha256": hashlib.sha256(rgb.tobytes()).hexdigest(), "psnr": round(psnr(rgb, originals[name]), 3)}
        for name, rgb in images
    ]
(out / "expected.json").write_text(json.dumps({"written_by": __version__, "restored": figures}, indent=1) + "\n")
print(json.dumps(figures, indent=1))
PY
