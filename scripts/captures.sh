#!/usr/bin/env bash
# The shared test captures: ../shared/captures (beside the repository), as
# listed in tests/captures.tsv — each from its public repository at a pinned
# commit, checked against its SHA-256. Nothing is fetched when every file is
# there already (the machines this project is developed on have them).
#   bash scripts/captures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=../shared/captures
manifest=tests/captures.tsv
mkdir -p "$dir"
missing=0
fetched=0
while IFS=$'\t' read -r file repo path commit bytes sha rest; do
  [ "$file" = file ] && continue
  if [ -f "$dir/$file" ] && [ "$(sha256sum "$dir/$file" | cut -d' ' -f1)" = "$sha" ]; then
    continue
  fi
  missing=$((missing + 1))
  tmp="$dir/.$file.part"
  ok=0
  # raw.githubusercontent.com serves a Git LFS file as its pointer; the media host serves it whole.
  for url in "https://raw.githubusercontent.com/$repo/$commit/$path" \
             "https://media.githubusercontent.com/media/$repo/$commit/$path"; do
    if curl -fsSL --retry 3 -o "$tmp" "$url" \
      && [ "$(sha256sum "$tmp" | cut -d' ' -f1)" = "$sha" ]; then
      mv "$tmp" "$dir/$file"
      ok=1
      fetched=$((fetched + 1))
      break
    fi
  done
  rm -f "$tmp"
  if [ "$ok" != 1 ]; then
    echo "captures: $file ($repo@${commit:0:12}:$path) could not be fetched with SHA-256 $sha" >&2
    exit 1
  fi
done < "$manifest"
[ -f "$dir/MANIFEST.tsv" ] || cp "$manifest" "$dir/MANIFEST.tsv"
total=$(($(wc -l < "$manifest") - 1))
echo "captures: $total in $dir ($fetched fetched)"
