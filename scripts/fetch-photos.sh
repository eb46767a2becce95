#!/usr/bin/env bash
# Fetches real photographs for benchmarks from Debian packages (no other network source) into .bench-data/photos/.
# Used by benchmarks only; tests generate their images in code. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.bench-data/photos
[ -f "$out/.done" ] && { echo "photos already in $out ($(ls "$out" | wc -l) files)"; exit 0; }
mkdir -p .bench-data/debs "$out"
cd .bench-data/debs
for pkg in gnome-backgrounds ukui-wallpapers python3-skimage; do
  ls ${pkg}_*.deb >/dev/null 2>&1 || apt-get download "$pkg" >/dev/null 2>&1 || { apt-get update -qq && apt-get download "$pkg"; }
done
for deb in *.deb; do dpkg-deb -x "$deb" unpacked; done
cd ../..
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  ext="${f##*.}"; ext="$(echo "$ext" | tr 'A-Z' 'a-z')"
  cp "$f" "$out/photo-$(printf %03d $n).$ext"
done < <(find .bench-data/debs/unpacked \( -path '*skimage/data/*' -o -path '*backgrounds*' -o -path '*wallpaper*' \) \
          \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' \) -size +40k -print0 | sort -z)
touch "$out/.done"
echo "fetched $n photos into $out"
