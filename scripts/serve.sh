#!/usr/bin/env bash
# Install what is missing, build the web app and serve it on http://127.0.0.1:8080/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
echo "portspike: open http://127.0.0.1:8080/ and press \"Try the sample capture\""
exec trunk serve --release --offline --address 127.0.0.1 --port "${PORT:-8080}"
