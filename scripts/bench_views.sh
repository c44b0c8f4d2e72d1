#!/usr/bin/env bash
# The views' benchmarks (measurements, not tests), written to
# target/bench/views.md for BENCHMARKS.md:
# - the heatmap's redraw, 200 ports × 2,000 bins, in headless Chromium;
# - `portspike diff` beside analysing its two captures one after the other.
#   bash scripts/bench_views.sh            # 256 MiB captures for the diff
#   SIZE=1G bash scripts/bench_views.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${SIZE:-256M}"
dir="${BENCH_DIR:-${TMPDIR:-/tmp}/portspike-bench}"
mkdir -p "$dir" target/bench
cargo build --release --locked -q -p portspike-cli
[ -f dist/index.html ] || bash scripts/build.sh >/dev/null
bin=target/release/portspike

# 200 ports with timelines of 2,000 bins: the busy scenario (30 minutes) at 900 ms.
"$bin" synth --scenario busy -o "$dir/busy.pcap" 2>/dev/null
"$bin" analyze -q --no-hash --json --bin 900ms --series-top 200 "$dir/busy.pcap" >"$dir/busy-200.json"
heat=$(cd tests/browser && node viewbench.mjs "$dir/busy-200.json")

# The diff of two captures against analysing each.
base="$dir/mixed-$SIZE.pcap"
inc="$dir/scan-$SIZE.pcap"
[ -s "$base" ] || "$bin" bulk --mix mixed --size "$SIZE" --format pcap -o "$base" 2>/dev/null
[ -s "$inc" ] || "$bin" bulk --mix scan --size "$SIZE" --format pcap -o "$inc" 2>/dev/null
cat "$base" "$inc" >/dev/null
secs() { # wall seconds of a command, output discarded
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  t1=$(date +%s.%N)
  python3 -c "print(round($t1 - $t0, 2))"
}
runs=3
diff_s=() ; both_s=()
for _ in $(seq $runs); do
  diff_s+=("$(secs "$bin" diff --no-hash "$base" "$inc" --json)")
  a=$(secs "$bin" analyze -q --no-hash --json "$base")
  b=$(secs "$bin" analyze -q --no-hash --json "$inc")
  both_s+=("$(python3 -c "print(round($a + $b, 2))")")
done

python3 - "$heat" "$SIZE" "${diff_s[*]}" "${both_s[*]}" >target/bench/views.md <<'PY'
import json, sys
heat = json.loads(sys.argv[1])
size, diff_s, both_s = sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
ms = sorted(heat["ms"])
q = lambda p: ms[min(len(ms) - 1, int(round(p * (len(ms) - 1))))]
med = lambda v: sorted(float(x) for x in v)[len(v) // 2]
print("## Views: the heatmap's redraw and the diff\n")
print("| measure | goal | this run |\n|---|---:|---:|")
p95 = q(0.95)
print(f"| heatmap redraw p95, {heat['rows']} ports × {heat['bins']} bins ({len(ms)} redraws; median {q(0.5):.1f} ms, max {ms[-1]:.1f} ms) | ≤ 16 ms | {p95:.1f} ms{'' if p95 <= 16 else ' (**missed**)'} |")
d, b = med(diff_s), med(both_s)
print(f"| `portspike diff` of mixed-{size} against scan-{size} (median of {len(diff_s)}) | — | {d:.2f} s |")
print(f"| `portspike analyze` of each, one after the other (median of {len(both_s)}) | — | {b:.2f} s |")
print(f"| diff ÷ both analyses | ≈ 1 | {d / b:.2f}× |\n")
print("The heatmap's redraw is its canvas draw alone (an `ImageData` filled and put), read from its `data-draw-ms` after each zoom step of the shared view; the report comes in through a result link, so no capture is read. The diff reads both captures with the same settings, one after the other, and compares their reports; comparing is a small part of it.")
PY
cat target/bench/views.md
