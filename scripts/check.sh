#!/usr/bin/env bash
# Every test layer, in the order a failure is cheapest to find. This is what CI
# runs (.ci/run here, .github/workflows/ci.yml on GitHub). Each step's wall
# time is printed as it ends, and all of them at the end.
#   bash scripts/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

times=()
started=$(date +%s)
current=""
step_start=0
finish_step() {
  if [ -n "$current" ]; then
    local took=$(($(date +%s) - step_start))
    times+=("$(printf '%5ds  %s' "$took" "$current")")
    printf '\033[2m-- %s: %ds\033[0m\n' "$current" "$took"
  fi
}
step() {
  finish_step
  current="$*"
  step_start=$(date +%s)
  printf '\n\033[1m== %s\033[0m\n' "$*"
}
report() {
  local status=$?
  failed_in="$current"
  finish_step
  current=""
  printf '\n\033[1m== step times\033[0m\n'
  printf '%s\n' "${times[@]}"
  printf '%5ds  total\n' "$(($(date +%s) - started))"
  if [ "$status" = 0 ]; then
    printf '\n\033[1m== all checks passed\033[0m\n'
  else
    printf '\n\033[1m== failed in: %s\033[0m\n' "$failed_in"
  fi
}
trap report EXIT

step "setup (installs only what is missing)"
bash scripts/setup.sh test

step "test captures (../shared/captures, fetched by tests/captures.tsv when absent)"
bash scripts/captures.sh

step "workflows (actionlint)"
actionlint .github/workflows/*.yml

step "format and sizes (files at most 600 lines, functions 120)"
cargo fmt --all --check
python3 scripts/sizes.py

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
