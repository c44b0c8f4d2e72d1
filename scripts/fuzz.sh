#!/usr/bin/env bash
# Fuzz the reader, the decoder, the whole engine, and the time the reader and
# decompressors take (throughput), seeded from ../shared/captures.
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
# Needs a nightly toolchain (cargo-fuzz builds with sanitizers); installs cargo-fuzz if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "fuzz: no nightly toolchain on this machine; skipping the fuzz run" >&2
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo install cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
captures=../shared/captures
# Limits from the README's bounds: a capture of any format is read in a few
# tens of MB (the sanitizer build roughly doubles that, its shadow memory
# more), and an input of at most 1 MiB is done in well under a second
# (-timeout=10 s leaves room for a slow machine; the throughput target
# asserts the rate itself).
# detect's Parquet reading, seeded with the summaries of a few shared captures.
seed_summaries() {
  local bin=target/debug/portspike out
  [ -x "$bin" ] || cargo build -q --locked -p portspike-cli
  out="$(mktemp -d)"
  for f in tcpdump__afs.pcap markofu-pcaps__TCP_SYN_SCAN.pcap pcapplusplus__example.pcap; do
    [ -f "$captures/$f" ] && "$bin" summarize -q --out "$out" --sensor fuzz "$captures/$f" >/dev/null 2>&1 || true
  done
  find "$out" -name '*.parquet' | while read -r p; do cp "$p" "fuzz/corpus/summary/$(echo "$p" | md5sum | cut -c1-12).parquet"; done
  rm -rf "$out"
}
# FUZZ_TARGETS picks some (the nightly workflow runs one a job).
for t in ${FUZZ_TARGETS:-reader decode analyze throughput summary}; do
  mkdir -p "fuzz/corpus/$t"
  if [ "$t" = summary ]; then
    seed_summaries
  elif [ -d "$captures" ]; then
    for f in "$captures"/*; do
      case "$f" in *MANIFEST.tsv) continue ;; esac
      case "$t" in
        # The reader target takes a chunk-size byte first.
        reader) { printf '\007'; cat "$f"; } > "fuzz/corpus/$t/$(basename "$f")" ;;
        # The decoder gets frames; seed with the first 2 KiB of each capture.
        decode) { printf '\001'; head -c 2048 "$f"; } > "fuzz/corpus/$t/$(basename "$f")" ;;
        *) cp "$f" "fuzz/corpus/$t/" ;;
      esac
    done
  fi
  echo "fuzz: $t for ${secs}s"
  log="fuzz/$t.log"
  status=0
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -max_len=1048576 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|INFO: seed corpus|Done [0-9]+ runs)' "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$log" >&2
    echo "fuzz: $t failed (status $status); the input is under fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
