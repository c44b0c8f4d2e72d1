#!/usr/bin/env bash
# Benchmarks (measurements, not tests): the CLI end to end, the engine in
# memory (native and wasm), the web app in headless Chromium beside a bare
# worker reading the same File, and tshark/capinfos as references, all on the
# same generated files in one run, and on real traffic: a corpus capture
# repeated to the same size, addresses remapped per repetition (`real`).
# Writes BENCHMARKS.md.
#   bash scripts/bench.sh            # 1 GiB CLI files, 256 MiB web files, 5 GiB files once each
#   BIG=5G WEB=256M HUGE=0 bash scripts/bench.sh   # HUGE=0 skips the 5 GiB files
set -euo pipefail
cd "$(dirname "$0")/.."
BIG="${BIG:-1G}"
WEB="${WEB:-256M}"
HUGE="${HUGE:-5G}"
# The captures `real` repeats (the default path's reference: 823 B a packet).
REAL_FROM="${REAL_FROM:-../shared/captures/pcapplusplus__example.pcap}"
dir="${BENCH_DIR:-${TMPDIR:-/tmp}/portspike-bench}"
mkdir -p "$dir"

bash scripts/setup.sh test >/dev/null
cargo build --release --locked -q -p portspike-cli
bash scripts/build.sh >/dev/null
bin=target/release/portspike

gen() { # mix size format
  local f="$dir/$1-$2.$3"
  if [ "$1" = real ]; then
    # shellcheck disable=SC2086 # REAL_FROM is a list of files
    [ -s "$f" ] || "$bin" bulk --from $REAL_FROM --size "$2" -o "$f" 2>/dev/null
  else
    [ -s "$f" ] || "$bin" bulk --mix "$1" --size "$2" --format "$3" -o "$f" 2>/dev/null
  fi
  echo "$f"
}
timed() { # prints "seconds peak_rss_kb" of a command (its output discarded)
  /usr/bin/time -f '%e %M' -o "$dir/time.txt" "$@" >/dev/null 2>&1 || true
  cat "$dir/time.txt"
}

results="$dir/results.jsonl"
: >"$results"
for f in $(gen mixed "$BIG" pcap) $(gen scan "$BIG" pcap) $(gen mixed "$BIG" pcapng) $(gen real "$BIG" pcap); do
  cat "$f" >/dev/null # from the page cache, as "a cached file"
  packets=$("$bin" analyze -q --no-hash --json "$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["capture"]["packets"])')
  read -r cli_s cli_kb < <(timed "$bin" analyze -q --no-hash --json "$f")
  read -r sha_s sha_kb < <(timed "$bin" analyze -q --json "$f")
  read -r sum_s _ < <(timed sha256sum "$f")
  read -r io_s _ < <(timed tshark -q -z io,stat,1 -r "$f")
  read -r cap_s _ < <(timed capinfos "$f")
  echo "{\"kind\":\"cli\",\"file\":\"$(basename "$f")\",\"bytes\":$(stat -c %s "$f"),\"packets\":$packets,\"cli_s\":$cli_s,\"cli_kb\":$cli_kb,\"sha_s\":$sha_s,\"sha_kb\":$sha_kb,\"sha256sum_s\":$sum_s,\"tshark_io_s\":$io_s,\"capinfos_s\":$cap_s}" >>"$results"
done
# Summaries for many sensors: summarize beside analyze --no-hash on the real-traffic
# file, and what its Parquet summary weighs per hour of capture.
real=$(gen real "$BIG" pcap)
rm -rf "$dir/summaries"
read -r sz_s sz_kb < <(timed "$bin" summarize -q --no-hash --out "$dir/summaries" "$real")
read -r an_s _ < <(timed "$bin" analyze -q --no-hash --json "$real")
sz_bytes=$(find "$dir/summaries" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
hours=$("$bin" analyze -q --no-hash --json "$real" | python3 -c 'import json,sys; c=json.load(sys.stdin)["capture"]; print((c["last_ts"]-c["first_ts"])/3.6e9)')
echo "{\"kind\":\"summary\",\"file\":\"$(basename "$real")\",\"summarize_s\":$sz_s,\"summarize_kb\":$sz_kb,\"analyze_s\":$an_s,\"parquet_bytes\":$sz_bytes,\"hours\":$hours}" >>"$results"

wide=$(gen wide "$BIG" pcap)
read -r w_s w_kb < <(timed "$bin" analyze -q --no-hash --json "$wide")
echo "{\"kind\":\"cli\",\"file\":\"$(basename "$wide")\",\"bytes\":$(stat -c %s "$wide"),\"packets\":0,\"cli_s\":$w_s,\"cli_kb\":$w_kb}" >>"$results"

web=()
for m in mixed scan wide real; do
  f=$(gen "$m" "$WEB" pcap)
  web+=("$f")
  echo "{\"kind\":\"native\",\"file\":\"$(basename "$f")\",\"engine\":$("$bin" bench "$f")}" >>"$results"
done
"$bin" synth --scenario all -o "$dir/all.pcap" 2>/dev/null
(cd tests/browser && node bench.mjs "${web[@]}" "$dir/all.pcap") | sed 's/^/{"kind":"web","r":/; s/$/}/' >>"$results"

# A capture of $HUGE of each kind, once through the CLI and once through the
# page: they complete, and memory stays within its bounds.
if [ "$HUGE" != 0 ]; then
  huge=()
  for m in mixed scan wide; do
    f=$(gen "$m" "$HUGE" pcap)
    huge+=("$f")
    read -r h_s h_kb < <(timed "$bin" analyze -q --no-hash --json "$f")
    echo "{\"kind\":\"huge_cli\",\"file\":\"$(basename "$f")\",\"bytes\":$(stat -c %s "$f"),\"cli_s\":$h_s,\"cli_kb\":$h_kb}" >>"$results"
  done
  (cd tests/browser && BENCH_APP_ONLY=1 BENCH_RUNS=1 node bench.mjs "${huge[@]}") | sed 's/^/{"kind":"huge_web","r":/; s/$/}/' >>"$results"
fi

# Precision and recall on real background: the labeled benchmark's table.
mkdir -p target/bench
cargo test --release --locked -q -p portspike-core --test integration labeled::on_real_background -- --nocapture 2>&1 \
  | grep -E '^\||scenarios: recall' >target/bench/precision.md || true

# The labeled benchmark on real tool runs (tests/real).
cargo test --release --locked -q -p portspike-core --test integration real::real_tool -- --nocapture --test-threads=1 2>&1 \
  | grep -E '^\||real captures: recall' >target/bench/real.md || true

# The heatmap's redraw and the diff (target/bench/views.md).
bash scripts/bench_views.sh >/dev/null

python3 scripts/benchmarks_md.py "$results" >BENCHMARKS.md
echo "wrote BENCHMARKS.md (raw figures in $results)"
