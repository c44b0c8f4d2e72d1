#!/usr/bin/env python3
"""Render scripts/bench.sh's raw figures (JSON lines) as BENCHMARKS.md."""
import json
import os
import platform
import subprocess
import sys
import time


WHERE = """## Where the time goes (profiles: `perf record -e cpu-clock` on the CLI, Chromium's profiler and traces for the page)

- **Scan traffic, native engine in memory (2.1–2.9 M packets/s from run to run on
  2026-11-30, against 10 M; 2.5 M at the start).** This machine is shared and its speed
  drifts: the build that measured 4.2–5.7 M on 2026-11-27 measures 2.5–2.7 M on
  2026-11-30. Counted with `valgrind --tool=cachegrind` on the first 32 MiB of
  `scan-256M.pcap` (419,430 packets; the same count whatever the machine's load): 7,772
  instructions a packet for the whole run (8,314 before heavy hitters compared 32-bit
  tags in one fixed array), and, with the last-level cache set to this CPU's 4 MiB L2,
  about 24 misses a packet: the pending index ~5, the input ~4 (read in order, which the
  hardware fetches ahead), the contact sets and the conversations' table most of the
  rest. The engine is bound by memory latency: every SYN is a first contact (a lookup in
  its source's contact set, up to 64 Ki entries), opens an attempt (a line of the pending
  index) and records a conversation; every answer looks one up. Done: open attempts in a
  ring in arrival order with a set-associative index keyed by a 64-bit flow hash, judged
  from the ring's old end; the reader reads 64 KiB ahead into cache in order (42 → 9 ms
  to walk 256 MiB of records); heavy hitters over a fixed-size table, found by tags; the
  HyperLogLog estimate without `powi`; the engine crate built at `opt-level = 3`. Tried
  and not kept, each against the code before it in paired runs: counting packets in
  batches of 16 after first reading the table lines they need (no gain above the noise);
  a touch-ahead stride of 128 bytes (−20%) and of 16 or 256 KiB (no gain); a single-array
  contact set; index buckets aligned to their cache line (9% fewer simulated misses, 5%
  slower); a table of our own for the UDP flows and conversations, one array probed in
  order, one line a lookup where the map reads two (2.5% slower, while leaving the
  conversation out altogether, which changes results, measured 11% faster: the cost is
  not the lines it reads). Prefetch instructions proper need `unsafe`, which the
  workspace forbids. The engine in wasm runs at 0.77–0.91× native on scan traffic from
  run to run (the same memory-bound hot spots). 10 M packets/s would need about 100 ns a
  packet on this machine: under two misses to memory.
- **The default command (with SHA-256) on real traffic.** The release profile's
  `opt-level = "s"` (for the wasm) applied to `sha2` and to the CLI itself: the default
  command spent 2.38 s of CPU on `real-1G.pcap`, most of it hashing. The CLI and every
  dependency are now built at `opt-level = 3` (the page's own package, and so its
  link-time pass, stays at "s"), and the hash runs on a thread of its own over the
  reader's buffers, shared, each handed back by whichever of hash and analysis is done
  last. The 1.25× target cannot be met on this CPU: SHA-256 is one sequential stream,
  and one core here hashes at most 1.78 GB/s (`openssl speed -evp sha256`, 1 MiB
  blocks; sha2 0.10 uses the same SHA instructions and ring's assembly measured the
  same), 0.60 s for `real-1G.pcap`, while the whole analysis of it takes 0.31–0.33 s:
  the hash alone is 1.8× the analysis, and 1.25× would need 2.6 GB/s. In the default
  command the hashing thread runs at 1.2–1.4 GB/s (its data arrive from the other core's
  cache, and the two threads share the machine's two cores with the kernel's copies).
  Tried and not kept: reads of 1 MiB instead of 8 MiB (1.006× in paired runs), and the
  hashing thread reading the file on its own into a buffer that stays in its own cache
  (1.01×; it would also hash bytes other than those analysed if the file changed
  between the two reads). The page hashes after the answer, in wasm without SHA
  instructions: ~250 MB/s.
- **Mixed traffic, native engine in memory (3.0–3.4 GB/s; 4.0–4.9 GB/s end to end on 1 GB).**
  The in-memory run streams the whole input from RAM (the touch-ahead reads every line:
  ~18% of the profile); heavy hitters ~8%; coarsening merges ~5% (the grid steps up from
  1 ms to 2 s bins eleven times as the span grows); the pending index ~5%. The CLI end to
  end (0.22–0.27 s for 1 GB) meets its target because its chunks arrive in cache.
- **Web app against a bare reader (0.81–0.89× on mixed, 0.21–0.29× on scan; 0.43× and
  0.12× at the start).** Reading a `File` costs CPU outside the worker (the browser process, IPC, the
  renderer's copy): the bare reader keeps most of a core busy. Slices are read on a reader
  thread of the worker's own, the worker is started with the page, previews cost at most a
  tenth of the time. On this 2-core machine the engine shares the machine with the reading:
  on mixed it takes ~205 ms in the app against ~96 ms alone on the same bytes, and the app
  (0.42 s) is within 10% of the bare 8 MiB-slice reader (0.39 s) but not of
  `file.stream()` (0.34 s in this run; the two bare readers trade places from run to run).
  On scan traffic the app is engine-bound (about 1 s of its 1.26 s).
- **Time on the `wide` capture (every packet a new source).** `perf` put 45% of the
  engine's time in glibc's allocator (`_int_malloc` 19%, `malloc_consolidate` 11%, frees
  the rest), and DHAT counted 12 allocations a packet: each new source made a dozen small
  tables (its contacts, probes, top ports and targets, bursts, spread windows), and
  shedding the single-contact sources freed them again. A new source now takes the
  tables of a shed single-contact source (each holds at most one entry, in the room a new
  table takes for its first, so they behave as new ones, iteration order included; a
  test checks a reused state against a new one): the engine in memory went from 0.39 to
  0.69 M packets/s, `wide-1G.pcap` through the CLI from 27.3 to 13.6 s (paired runs),
  peak RSS unchanged (100 → 101 MiB), reports byte-identical on every shared capture and
  on the benchmark files. Tried and not kept: mimalloc as the CLI's allocator (1.64× on
  the engine in memory, but its return of freed memory to the system made each 8 MiB
  read fault its pages in again: mixed-1G.pcap end to end 0.41 → 2.34 s; turning that
  off needs an environment variable or `unsafe`, and doubled the RSS of mixed).
- **Memory and responsiveness on the `wide` capture (every port busy, 65 Ki sources).**
  CLI: 101 MiB RSS at 1 GB (201 MiB at the start), 14–16 s (186 s). In the browser:
  42–52 MiB of wasm memory (117 MiB before), first chart 97–136 ms (324 ms), no task
  over 50 ms (64 ms). What did it: the worker's engine works within compact bounds (a
  quarter of the timelines and remembered contacts, half the UDP flows and tracked
  sources; the CLI keeps the full ones); slices are copied into wasm 1 MiB at a time (a whole 8 MiB slice's copy
  stayed as memory wasm never returns); the state that only follows the traffic is let go
  before the report is built; the final report's 65 Ki ports go to the page in pages of
  4,096 (no 11 MB JSON string on either side; the page parses a page per task); the
  result link is serialised from the report in place into the compressor (it cloned the
  report and its JSON: +28 MiB), and lists the top ports only when even the port list
  does not fit in a link; previews carry 20 timelines instead of 100 (a 2.3 MB preview
  took 55 ms to parse and draw), and the first comes after the first 1 MiB rather than
  the first 8 MiB slice. Measured from `data-worker-memory` after the result link is
  built, so the link's packing counts.
- **Multi-gigabyte captures.** A 5 GiB capture of each kind completes in the CLI and in the
  page within the memory targets. A first 5 GiB run found two misses: `wide` took 65 MiB
  of wasm memory in the page (52 MiB at 256 MiB: the allocator's fragmentation grows with
  a long run, as wasm memory never shrinks) and 128 MiB of RSS in the CLI (a counting
  allocator showed 58 MiB held through most of the run, then 90 MiB when thousands of
  ports earned a timeline back near the end). The page now tracks half the sources
  (2 Ki) and the CLI lets at most 4 Ki ports hold a timeline (8 Ki before; the report
  carries timelines for the top 100 and detection needs no more candidates): 52 and
  113 MiB. Reports of every capture within the bounds are unchanged. The page's longest
  task on the 5 GiB mixed capture (54–83 ms, in one of three runs none) is the first
  render of a non-empty preview: a Chromium profile puts most of it in the browser's own
  style and layout work for the new page and the chart's forced layout (it reads the
  canvas's width). Profiling it also found the page comparing reports by content on
  every render (props), 177 ms of `memcmp` in its first 2.5 s; props now compare them by
  identity.
"""


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "not found"


def pct(sorted_ms, q):
    """The q-quantile (0..1) of an ascending list, nearest rank below."""
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def first_line(text):
    return text.splitlines()[0] if text else "?"


SMALL = """## Small captures: drop → first port row painted

`node tests/browser/firstrow.mjs 9 FILE…` (headless Chromium, 1280×800): the time from the file input's change to the frame after the first port row appears, median of 9. "First drop": each on a freshly loaded page whose worker is ready (what a user does); "next drop": later drops on the same page. Phases from the worker's own timings; "to the DOM" is the rest until the first row exists (the report's transfer, parsing and the page's render); "to paint" the frame that shows it (the timeline and the heatmap are drawn in it). 2026-12-02, load average 2.0 (no other job running).

| capture | drop | painted (goal) | first slice | engine | report built | to the DOM | to paint |
|---|---|---:|---:|---:|---:|---:|---:|
| markofu-pcaps__TCP_SYN_SCAN.pcap, 152 KB, 1,001 ports | first | **211 ms** (≤ 250) | 12 ms | 2 ms | 40 ms | 72 ms | 72 ms |
| same | next | 115 ms | 7 ms | 0.4 ms | 19 ms | 53 ms | 32 ms |
| pcapplusplus__example.pcap, 3.8 MB | first | **182 ms** (≤ 300) | 16 ms | 24 ms | 7 ms | 67 ms | 50 ms |
| same | next | 119 ms | 15 ms | 6 ms | 4 ms | 65 ms | 9 ms |

Both goals are met as the page stands, so nothing was changed for them. The largest parts left are the first report's build in the worker (40 ms on the first drop, 19 ms after: code run for the first time), the transfer and first render of the page (about 70 ms), and the first paint with its charts (up to 72 ms); the engine itself takes 0.4–24 ms. Under load (average 5) the same first drops took 205 and 188 ms.
"""

ROWS = """## Every packet in a row, reflection's holders: the engine before and after

Measured on 2026-12-02 on this 2-core machine, release builds of the code before (every IP
packet without ports dropped, the service side by the old rules) and this one, on the same
64 MiB `portspike bulk` files (and a 256 MiB one of real traffic). *Engine*: `portspike
bench` (the engine alone on the capture in memory), best of 11, median of three rounds.
*Whole process*: `portspike bench --repeat 1` or `analyze -q --no-hash`, alternating, the
median of the pairwise ratios.

| capture | engine before | engine after | after / before | whole process, after / before (median of pairs) |
|---|---:|---:|---:|---:|
| `scan` (64 MiB, 839 k SYNs) | 265.5 ms | 301.3 ms | 1.13× (rounds 207–278 against 256–304 ms) | 1.04× (`bench --repeat 1`, 11 pairs, 0.97–1.09) |
| `mixed` (64 MiB) | 26.8 ms | 27.3 ms | 1.02× | 1.01× (`analyze`, 7 pairs) |
| `real` (64 MiB, real sessions repeated) | 13.6 ms | 14.3 ms | 1.05× | — |
| `real` (256 MiB) | 41.8 ms | 44.2 ms | 1.06× | 1.07× (`analyze`, 9 pairs, 1.02–1.27) |

What costs: each packet between two low or listed ports, or two others, reads and sets two
16-bit maps of holders (256 KiB in all; a SYN or SYN-ACK, and a packet between a known port
and another, skip them); each bin keeps a majority vote of its answers' receivers' /22; a
port judged on attempts is scored a second time on its answers when it has at least 20 of
them, a fixed cost per port (about 1.5 ms here). Tried and not kept: 64-bit maps of holders
(1 MiB) read and set for every TCP and UDP packet but SYNs, with the second scoring for
every port with 20 answers in all: real traffic (64 MiB) 1.17× the engine before (14.6
against 12.5 ms, three rounds each); the same maps for SYNs too: scan 1.19× (2.15 against 2.57 M packets/s).
"""

EVIDENCE = """## The evidence pass: what counting each finding exactly costs

Measured on 2026-12-02 on this 2-core machine, release build, `analyze -q --no-hash --json`
against the build before the evidence pass, five runs of each in turn (A B A B …), medians
and the median of the pairwise ratios; the files are `portspike bulk` and `synth` output.
The pass reads only the byte ranges the time index names for the findings' windows, so its
cost follows how much of the capture the findings span, not the capture's size.

| capture | findings + scanners | their windows cover | wall before (median) | after / before, wall (median of pairs) | peak RSS, before → after |
|---|---:|---:|---:|---:|---:|
| `real-1G.pcap` (1 GiB, real traffic repeated) | 0 | nothing: no second read | 0.205 s | 1.03× (7 runs; pairs 0.79–1.30) | 18 → 18 MiB |
| `busy.pcap` (16 MB, `synth --scenario busy`) | 44 | parts of 30 minutes | 0.270 s | 1.10× (pairs 0.89–1.61) | 27 → 28 MiB |
| `scan-256M.pcap` (3.4 M SYNs, the scan everywhere) | 8 + 16 | the whole capture | 1.90 s | 2.32× (pairs 2.29–2.47) | 61 → 175 MiB |

The last row is the worst case: every packet is in a finding's window, and 16 scanners of
112,000 contacts each and 8 sweeps of 64,000 destinations each are counted in exact tables
(the `bench` command times the two passes apart on the same bytes in memory: detection
1.45–1.81 s, evidence 1.84–3.0 s). Memory is bounded by one budget for all of a report's
tables: 4,000,000 entries on the command line (about 180 MB), 400,000 in the page, each table
at most 1,000,000; past it a field is listed as estimated instead of growing.
"""

REAL = """
## Findings on real tool runs

`cargo test -p portspike-core --test integration real::` analyses captures of real tools
recorded on the loopback interface (`tests/real/`, labeled by hand in `LABELS.tsv`): nmap
(-sS -sT -sA -sW -sM -sN -sF -sX -sU, T1/T3/T5, sweeps of 256–8,192 hosts), hping3 (SYN,
ACK, FIN, UDP, a random-destination ACK sweep), masscan and zmap (5,000–8,192 hosts in
0.3–0.7 s), each both ways and as a one-way tap records it; real servers under attack
(dnsmasq as 27 resolvers reflecting onto a victim, twice, the second too sparse for the
report's 200 ms bins; a web server's slow backscatter to 515 spoofed hosts seen by a
telescope, and the slow spoofed SYN flood it is at the server); and ordinary downloads
joined mid-connection. *Found*: a labeled scanner with its kind, probe and tool, a labeled
spike with its port, kind and its scanner, server or victim; *extra*: any other attack
finding or scanner. Target: every event found, none extra.

| set | before (6b75670) | now |
|---|---|---|
| real tool runs and servers: 41 captures, 50 events | 30/50 found (tools not named), 0 extra | 50/50 found, each scanner's tool as labeled, 0 extra |
| generated on real background: 198 scenarios | 207/207, 0 extra | 207/207, 0 extra |
| generated scenarios (`labeled::every_scenario`) | 72/72 | 72/72 |

Before, the misses were: ACK, window and Maimon probes without answers (and Maimon
with them), nothing judged in captures under a second (masscan, zmap, one-way nmap), ACK
sweeps (no attempts, so never a sweep spike), and the low-rate attacks only coarser bins
show (the sparse reflection, the slow backscatter and the slow SYN flood).

"""

PRECISION = """
## Findings on real background

`cargo test -p portspike-core --test integration labeled::on_real_background` replays real sessions from
the shared corpus as ten-minute scenarios (three mixes of different captures × three
seeds; each attack kind injected at minute 4; one-way copies of the benign mix: the
clients' side and the servers' side). *Found*: injected events reported with the right
kind and window; *extra*: every other finding (spikes of any kind, scanners). Target:
every event found, at most one extra per scenario.

Before the incident and rhythm rules (same scenarios, the previous engine): 81/81 found,
**1,146 extra findings** (714 on the 63 two-way scenarios — 10 to 24 surges per
scenario on tcp/80, udp/53 and tcp/6000 — and 432 on the 18 one-way copies).

This code (the DDoS scenarios — DNS, NTP, SNMP, CLDAP, SSDP, Ubiquiti and BACnet reflection,
memcached reflection in fragments, TCP SYN-ACK reflection, SSDP carpet bombing of a /24, ICMP
echo, random-protocol and later-fragment floods — carry their victims and reflectors in their
truth; a finding counts as found only with its roles right: the busiest victim, a reflector
first among the senders, no victim among them, the carpet's prefix; and no reflector or victim
may be called a scanner):

"""

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
cli = [r for r in rows if r["kind"] == "cli"]
native = {r["file"]: r["engine"] for r in rows if r["kind"] == "native"}
web = [r["r"] for r in rows if r["kind"] == "web"]
huge_cli = {r["file"]: r for r in rows if r["kind"] == "huge_cli"}
huge_web = [r["r"] for r in rows if r["kind"] == "huge_web"]

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
GB = 1e9
MiB = 2**20


def wasm_bps(r):
    """The engine in the browser's worker, bytes per second."""
    return r["engine"]["bytes"] / (r["engine"]["ms"] / 1000)


def table(title, *columns):
    """A section heading and a table header: the first column left-aligned,
    the figures right-aligned."""
    w(f"## {title}\n")
    w("| " + " | ".join(columns) + " |")
    w("|---|" + "---:|" * (len(columns) - 1))


def longest(r):
    """The longest main-thread task (the page records only those over 50 ms)."""
    ms = r["app"]["longest"]
    return f"{ms:.0f} ms" if ms > 0 else "none over 50 ms"


def hashed(r):
    """From the answer to the file's SHA-256 on the page (the worker reads the File again)."""
    ms = r["app"].get("hash")
    return f"{ms / 1000:.2f} s ({r['bytes'] / (ms / 1000) / 1e6:.0f} MB/s)" if ms else ""


def app_vs_bare(r):
    """The app's File → report rate over the faster bare reader's."""
    return min(r["bare"]["slices"]["ms"], r["bare"]["stream"]["ms"]) / r["app"]["done"]


out = []
w = out.append
w("# Benchmarks\n")
w("Measured by `bash scripts/bench.sh` in one run on generated captures "
  "(`portspike bulk`: `scan` is 64-byte SYN scan traffic with its answers, `mixed` is "
  "conversations averaging ~800 B a packet, `wide` is UDP between random ports on both "
  "sides, every port busy: the worst case for memory) and on real traffic (`real`: "
  "`portspike bulk --from` repeating a corpus capture, `pcapplusplus__example.pcap`, to the "
  "same size, each repetition with addresses of its own). The web app's figures are the median "
  "of three drops on a fresh page; the others are single runs (the engine in memory: best of "
  "three). The machine is shared: expect up to ±10% between runs. Not tests: nothing here "
  "fails a build.\n")
w(f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
w(f"- Machine: {os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB, {platform.system()} {platform.release()}")
w(f"- {first_line(sh('rustc', '--version'))}; {first_line(sh('chromium', '--version'))}; "
  f"{first_line(sh('tshark', '--version'))}")
w("")

table("Command line, end to end (file in the page cache)", "file", "size", "packets", "portspike", "MB/s", "packets/s", "peak RSS", "with SHA-256", "sha256sum", "tshark -z io,stat,1", "capinfos")
for r in cli:
    size = r["bytes"]
    if not r.get("packets"):
        w(f"| {r['file']} | {size / GB:.2f} GB | | {r['cli_s']:.2f} s | {size / r['cli_s'] / 1e6:.0f} | | "
          f"{r['cli_kb'] / 1024:.0f} MiB | | | | |")
        continue
    w(f"| {r['file']} | {size / GB:.2f} GB | {r['packets']:,} | {r['cli_s']:.2f} s | "
      f"{size / r['cli_s'] / 1e6:.0f} | {r['packets'] / r['cli_s'] / 1e6:.2f} M | {r['cli_kb'] / 1024:.0f} MiB | "
      f"{r['sha_s']:.2f} s ({r['sha_kb'] / 1024:.0f} MiB) | {r['sha256sum_s']:.2f} s | {r['tshark_io_s']:.1f} s "
      f"({size / r['tshark_io_s'] / 1e6:.0f} MB/s) | {r['capinfos_s']:.1f} s |")
w("")
w("`portspike` is `analyze --no-hash --json`; \"with SHA-256\" is the default command, "
  "`analyze --json`, which hashes the file on a thread of its own over the same chunks: where "
  "the analysis reads faster than one core hashes (1.5–1.9 GB/s with SHA instructions), the "
  "hash bounds it (compare `sha256sum`).\n")

table("The engine in memory: native and wasm on the same bytes", "file", "native", "wasm (Chromium worker)", "wasm / native")
for r in web:
    n = native.get(r["file"])
    e = r["engine"]
    if not n:
        continue
    w(f"| {r['file']} | {n['bytes_per_s'] / GB:.2f} GB/s, {n['packets_per_s'] / 1e6:.2f} M packets/s | "
      f"{wasm_bps(r) / GB:.2f} GB/s, {e['packets'] / (e['ms'] / 1000) / 1e6:.2f} M packets/s | "
      f"{wasm_bps(r) / n['bytes_per_s']:.2f} |")
w("")

table("The web app: File → report, beside a bare worker reading the same File", "file", "size", "app: drop → done", "first chart", "bare worker, 8 MiB slices ×3", "bare worker, file.stream()", "app / fastest bare", "worker wasm memory", "longest main-thread task", "then the SHA-256 (second read)")
for r in web:
    size = r["bytes"]
    app_s = r["app"]["done"] / 1000
    sl = r["bare"]["slices"]["ms"] / 1000
    st = r["bare"]["stream"]["ms"] / 1000
    w(f"| {r['file']} | {size / MiB:.0f} MiB | {app_s:.2f} s ({size / app_s / GB:.2f} GB/s) | "
      f"{r['app'].get('chart', 0):.0f} ms | {sl:.2f} s ({size / sl / GB:.2f} GB/s) | "
      f"{st:.2f} s ({size / st / GB:.2f} GB/s) | {app_vs_bare(r):.2f} | {r['app']['memory'] / MiB:.0f} MiB | "
      f"{longest(r)} | {hashed(r)} |")
w("")
table("Where the app's time goes in its worker", "file", "request → first slice", "copy into wasm", "engine", "previews (count)", "final report", "waiting for reads", "engine alone, in memory")
for r in web:
    p = r["app"].get("phases") or {}
    if not p:
        continue
    w(f"| {r['file']} | {p['first_slice']:.0f} ms | {p['copy']:.0f} ms | {p['engine']:.0f} ms | "
      f"{p['preview']:.0f} ms ({p['previews']}) | {p['report']:.0f} ms | {p['wait']:.0f} ms | {r['engine']['ms']:.0f} ms |")
w("")
w("Read from `<html data-worker-phases>` after the run. Slices are read on a reader thread "
  "(`reader.js`) while the engine works; \"waiting for reads\" is time the engine had nothing to do. "
  "The last column is the same engine over the first 256 MiB held in memory, alone on the machine.\n")
table("Timeline redraws while zooming", "file", "series drawn", "redraws", "median", "p95", "max")
for r in web:
    ms = sorted(r["draws"]["ms"])
    if not ms:
        continue
    w(f"| {r['file']} | {r['draws']['series']} | {len(ms)} | {pct(ms, 0.5):.1f} ms | {pct(ms, 0.95):.1f} ms | {ms[-1]:.1f} ms |")
w("")
w("Redraw time is `chart::draw` alone (plotters on the canvas, at most two points per pixel), "
  "read from the canvas's `data-draw-ms` after each zoom step.\n")

if huge_cli or huge_web:
    table("Multi-gigabyte captures: they complete, memory stays bounded (one run each)", "file", "size", "CLI", "CLI peak RSS", "web app: drop → done", "worker wasm memory", "longest main-thread task")
    for name in sorted(set(huge_cli) | {r["file"] for r in huge_web}):
        c = huge_cli.get(name)
        r = next((x for x in huge_web if x["file"] == name), None)
        size = (c or r)["bytes"]
        cells = [f"{c['cli_s']:.1f} s" if c else "", f"{c['cli_kb'] / 1024:.0f} MiB" if c else ""]
        if r:
            cells += [f"{r['app']['done'] / 1000:.1f} s ({size / (r['app']['done'] / 1000) / GB:.2f} GB/s)",
                      f"{r['app']['memory'] / MiB:.0f} MiB", longest(r)]
        else:
            cells += ["", "", ""]
        w(f"| {name} | {size / 2**30:.1f} GiB | " + " | ".join(cells) + " |")
    w("")

import gzip

page = [f for f in sorted(os.listdir("dist")) if f.endswith("_bg.wasm")] if os.path.isdir("dist") else []
if page:
    table("Page weight (after wasm-opt -Os)", "file", "bytes", "gzip -9")
    for f in page:
        data = open(os.path.join("dist", f), "rb").read()
        w(f"| {f} | {len(data) / 1000:.0f} kB | {len(gzip.compress(data, 9)) / 1000:.0f} kB |")
    w("")

# The targets of the performance issue, each with this run's figure.
def find(name):
    return next((r for r in cli if r["file"].startswith(name)), None)


tgt = []
for r in (r for r in rows if r["kind"] == "summary"):
    ratio = r["summarize_s"] / max(r["analyze_s"], 1e-9)
    tgt.append((f"summarize vs analyze --no-hash ({r['file']})", "≤ 1.2×",
                f"{ratio:.2f}× ({r['summarize_s']:.2f} s / {r['analyze_s']:.2f} s)", ratio <= 1.2))
    per_hour = r["parquet_bytes"] / max(r["hours"], 1e-9)
    tgt.append((f"Parquet summary per hour of capture ({r['file']}, 1-minute bins)", "(stated)",
                f"{per_hour / 1e3:.0f} kB", True))
m, sc, wd = find("mixed-"), find("scan-"), find("wide-")
nm = next((v for k, v in native.items() if k.startswith("mixed")), None)
ns = next((v for k, v in native.items() if k.startswith("scan")), None)
wm = next((r for r in web if r["file"].startswith("mixed")), None)
ws = next((r for r in web if r["file"].startswith("scan")), None)
if ns:
    tgt.append(("engine, native, in memory, 64-byte SYN scan traffic", "≥ 10 M packets/s",
                f"{ns['packets_per_s'] / 1e6:.2f} M packets/s", ns["packets_per_s"] >= 10e6))
if nm:
    tgt.append(("engine, native, in memory, mixed traffic", "≥ 4 GB/s",
                f"{nm['bytes_per_s'] / GB:.2f} GB/s", nm["bytes_per_s"] >= 4 * GB))
if m:
    tgt.append(("CLI end to end, cached 1 GB mixed file", "≤ 0.3 s", f"{m['cli_s']:.2f} s", m["cli_s"] <= 0.3))
rl = find("real-")
if rl and rl.get("sha_s"):
    ratio = rl["sha_s"] / rl["cli_s"]
    tgt.append((f"CLI default command (with SHA-256) vs --no-hash, real traffic ({rl['file']})", "≤ 1.25×",
                f"{ratio:.2f}× ({rl['sha_s']:.2f} s / {rl['cli_s']:.2f} s)", ratio <= 1.25))
for r in web:
    n = native.get(r["file"])
    if n:
        ratio = wasm_bps(r) / n["bytes_per_s"]
        tgt.append((f"engine in wasm vs native ({r['file']})", "≥ 0.8×", f"{ratio:.2f}×", ratio >= 0.8))
for r in (wm, ws):
    if r:
        ratio = app_vs_bare(r)
        tgt.append((f"web app File → report vs bare worker ({r['file']})", "≥ 0.9×", f"{ratio:.2f}×", ratio >= 0.9))
for r in web:
    mem = r["app"]["memory"] / MiB
    tgt.append((f"worker wasm memory ({r['file']})", "≤ 64 MiB", f"{mem:.1f} MiB", mem <= 64))
for r in cli:
    mib = r["cli_kb"] / 1024
    tgt.append((f"CLI peak RSS ({r['file']})", "≤ 128 MiB", f"{mib:.0f} MiB", mib <= 128))
for r in web:
    if r["app"].get("chart") is not None:
        tgt.append((f"first chart after the drop ({r['file']}, {r['bytes'] / MiB:.0f} MiB)", "≤ 250 ms",
                    f"{r['app']['chart']:.0f} ms", r["app"]["chart"] <= 250))
    tgt.append((f"longest main-thread task during analysis ({r['file']})", "≤ 50 ms",
                longest(r), r["app"]["longest"] <= 50))
for r in web:
    ms = sorted(r["draws"]["ms"])
    if ms and r["draws"]["series"] >= 20:
        p95 = pct(ms, 0.95)
        tgt.append((f"zoom redraw p95, {r['draws']['series']} series ({r['file']})", "≤ 16 ms", f"{p95:.1f} ms", p95 <= 16))
for name, c in sorted(huge_cli.items()):
    mib = c["cli_kb"] / 1024
    tgt.append((f"a {c['bytes'] / 2**30:.0f} GiB capture through the CLI ({name}): completes, peak RSS", "≤ 128 MiB", f"{mib:.0f} MiB", mib <= 128))
for r in huge_web:
    mem = r["app"]["memory"] / MiB
    tgt.append((f"a {r['bytes'] / 2**30:.0f} GiB capture through the page ({r['file']}): completes, worker wasm memory", "≤ 64 MiB", f"{mem:.0f} MiB", mem <= 64))
if page:
    total = sum(len(gzip.compress(open(os.path.join("dist", f), "rb").read(), 9)) for f in page)
    tgt.append(("page weight, wasm gzipped (app + worker)", "≤ 1 MB", f"{total / 1e6:.2f} MB", total <= 1e6))
out.insert(6, "## Targets\n")
out.insert(7, "| target | goal | this run | met |\n|---|---:|---:|:---:|\n" + "\n".join(
    f"| {a} | {b} | {c} | {'yes' if ok else '**no**'} |" for a, b, c, ok in tgt) + "\n\n"
    "Where a target is missed, the section \"Where the time goes\" below says why.\n")
out.append(WHERE)
out.append(EVIDENCE)
out.append(ROWS)
out.append(SMALL)
# The views (bench_views.sh): the heatmap's redraw and the diff.
if os.path.exists("target/bench/views.md"):
    out.append(open("target/bench/views.md").read())
# The labeled benchmark on real tool runs (bench.sh saves the test's table).
if os.path.exists("target/bench/real.md"):
    out.append(REAL + open("target/bench/real.md").read())
# The labeled benchmark on real background (bench.sh saves the test's table).
if os.path.exists("target/bench/precision.md"):
    out.append(PRECISION + open("target/bench/precision.md").read())
print("\n".join(out))
