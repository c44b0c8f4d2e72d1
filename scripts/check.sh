#!/usr/bin/env bash
# Every test layer, in the order a failure is cheapest to find. This is what CI runs.
#   bash scripts/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "setup (installs only what is missing)"
bash scripts/setup.sh test

step "format"
cargo fmt --all --check

step "clippy, native"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy, wasm32 (the web app and worker)"
cargo clippy --target wasm32-unknown-unknown -p portspike --all-targets --locked -- -D warnings

step "unit, property and CLI tests (the CLI runs over ../shared/captures)"
cargo test --workspace --locked

step "web build (trunk, offline, relative URLs)"
bash scripts/build.sh

step "browser tests (headless Chromium against dist/ served from a sub-path)"
(cd tests/browser && node --test --test-concurrency=1 .)

step "fuzz smoke run (30 s per target; needs nightly)"
bash scripts/fuzz.sh 30

step "all checks passed"
