#!/usr/bin/env bash
# Install what is missing, build the web app and serve it on http://127.0.0.1:8080/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
bash scripts/build.sh
port="${PORT:-8080}"
echo "portspike: open http://127.0.0.1:$port/ and press \"Try the sample capture\""
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist
