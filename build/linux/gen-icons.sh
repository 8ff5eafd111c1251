#!/usr/bin/env bash
# Regenerates the hicolor PNGs under build/linux/icons from build/appicon.png.
# Run it (needs ImageMagick) after changing the app icon and commit the
# result; packaging and install then need no image tools.
set -euo pipefail
cd "$(dirname "$0")"
src=../appicon.png
for n in 16 24 32 48 64 128 256 512; do
  mkdir -p "icons/${n}x${n}"
  convert "$src" -filter Lanczos -resize "${n}x${n}" -strip "PNG32:icons/${n}x${n}/relink.png"
done
