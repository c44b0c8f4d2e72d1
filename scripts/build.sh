#!/usr/bin/env bash
# Build the static page into dist/ (offline, relative URLs) and pin its
# Content-Security-Policy to the inline loader Trunk writes, by hash.
set -euo pipefail
cd "$(dirname "$0")/.."
trunk build --release --offline
python3 scripts/csp.py dist/index.html
