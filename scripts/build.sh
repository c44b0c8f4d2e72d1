#!/usr/bin/env bash
# Build the static page into dist/ (offline, relative URLs) and pin its
# Content-Security-Policy to the inline loader Trunk writes, by hash.
set -euo pipefail
cd "$(dirname "$0")/.."
trunk build --release --offline
# Shrink the wasm with binaryen's wasm-opt (from npm: see setup.sh).
opt=tests/browser/node_modules/.bin/wasm-opt
if [ -x "$opt" ]; then
  for w in dist/*_bg.wasm; do
    before=$(stat -c %s "$w")
    "$opt" -Os --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue "$w" -o "$w.opt"
    mv "$w.opt" "$w"
    echo "wasm-opt -Os $(basename "$w"): $before -> $(stat -c %s "$w") bytes"
  done
else
  echo "wasm-opt not installed (bash scripts/setup.sh app): the wasm is left as rustc wrote it"
fi
python3 scripts/csp.py dist/index.html
