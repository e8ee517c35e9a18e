#!/usr/bin/env bash
# Gather six colour photos that are in neither ../shared/corpus/train nor val/,
# for checking the bundled weights on photos they never saw:
#
#   bash benchmarks/heldout_photos.sh /tmp/heldout
#   python benchmarks/quality.py --data /tmp/heldout
#
# Five come from scikit-image's wheel (astronaut, chelsea, coffee,
# motorcycle_left, rocket; their sources and licences are in the docstrings of
# skimage.data), one from Debian's lomiri-wallpapers-20.04 (Kleiber by Lukas
# Baubkus). Needs pip and apt-get download (the package registries); nothing
# is committed to the project.
set -euo pipefail
dest=${1:?usage: heldout_photos.sh DEST}
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && pip download -q --no-deps scikit-image==0.26.0 -d . && unzip -q -o scikit_image-*.whl 'skimage/data/*')
for name in astronaut.png chelsea.png coffee.png motorcycle_left.png rocket.jpg; do
  cp "$work/skimage/data/$name" "$dest/"
done
(cd "$work" && apt-get download lomiri-wallpapers-20.04 && dpkg -x lomiri-wallpapers-20.04_*.deb deb)
cp "$work/deb/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg" "$dest/"
ls "$dest"
