// The web app's throughput in headless Chromium, beside a bare worker that
// only reads the same File: `node bench.mjs FILE [FILE...]` prints one JSON
// line per file. Run by scripts/bench.sh, which writes BENCHMARKS.md.
import path from 'node:path';
import fs from 'node:fs';
import { serve, launch } from './harness.mjs';

// A worker that reads the File the way the app's worker does (8 MiB slices,
// three reads in flight) and does nothing else; and one that reads file.stream().
const BARE = `
onmessage = async (e) => {
  const { file, how } = e.data;
  const t0 = performance.now();
  let n = 0;
  if (how === 'stream') {
    const r = file.stream().getReader();
    for (;;) { const { done, value } = await r.read(); if (done) break; n += value.length; }
  } else {
    const SLICE = 8 * 1024 * 1024, DEPTH = 3;
    let next = 0; const q = [];
    for (;;) {
      while (q.length < DEPTH && next < file.size) {
        const end = Math.min(next + SLICE, file.size);
        q.push(file.slice(next, end).arrayBuffer()); next = end;
      }
      if (!q.length) break;
      n += (await q.shift()).byteLength;
    }
  }
  postMessage({ ms: performance.now() - t0, bytes: n });
};`;

/** One drop of `file` on a freshly loaded page: from the File's arrival to
 * data-state="done", with the first chart's time, the longest main-thread task,
 * the worker's phases and wasm memory, and when the file's SHA-256 (the
 * worker's second read, after the answer) is shown. */
async function appRun(page, file) {
  await page.goto(page.__url);
  await page.waitForSelector('[data-testid="drop-zone"]');
  // As a user would: the page has loaded its worker before a file is dropped.
  await page.waitForSelector('html[data-worker="ready"]');
  await page.evaluate(() => {
    window.__bench = { longest: 0 };
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) window.__bench.longest = Math.max(window.__bench.longest, e.duration);
    }).observe({ type: 'longtask', buffered: false });
    const input = document.querySelector('[data-testid="file-input"]');
    // On the document, capturing: before the app's own handler takes the file.
    document.addEventListener('change', () => {
      window.__bench.start = performance.now();
      // The app clears the input after taking the file; keep it for the readers below.
      window.__file = input.files[0];
      const seen = () => {
        if (window.__bench.chart === undefined && document.querySelector('[data-testid="timeline"]')) {
          window.__bench.chart = performance.now() - window.__bench.start;
        }
        if (document.documentElement.dataset.state === 'done' && window.__bench.done === undefined) {
          window.__bench.done = performance.now() - window.__bench.start;
        }
        const sha = document.querySelector('[data-testid="summary"] [data-field="sha256"]');
        if (window.__bench.hashed === undefined && sha && /^[0-9a-f]{64}$/.test(sha.textContent.trim())) {
          window.__bench.hashed = performance.now() - window.__bench.start;
        }
      };
      new MutationObserver(seen).observe(document.documentElement, { attributes: true, childList: true, subtree: true });
    }, { capture: true });
  });
  await page.setInputFiles('[data-testid="file-input"]', file);
  await page.waitForFunction(() => window.__bench.done !== undefined, null, { timeout: 30 * 60 * 1000 });
  // The worker then packs the result link: its memory counts too.
  await page.waitForSelector('[data-testid="share-result"]', { state: 'attached', timeout: 60 * 1000 });
  await page.waitForFunction(() => window.__bench.hashed !== undefined, null, { timeout: 30 * 60 * 1000 });
  const app = await page.evaluate(() => ({
    ...window.__bench,
    file: undefined,
    memory: Number(document.documentElement.dataset.workerMemory || 0),
    phases: JSON.parse(document.documentElement.dataset.workerPhases || "{}"),
    packets: Number(document.querySelector('[data-testid="summary"] [data-field="packets"]').textContent),
  }));
  return app;
}

const RUNS = Number(process.env.BENCH_RUNS || 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function run(page, file) {
  // The app, RUNS times on a fresh page each: the run with the median time,
  // with the median first chart and longest task over all runs.
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await appRun(page, file));
  const app = {
    ...[...runs].sort((a, b) => a.done - b.done)[Math.floor(runs.length / 2)],
    chart: median(runs.map((r) => r.chart)),
    longest: median(runs.map((r) => r.longest)),
    hash: median(runs.map((r) => r.hashed - r.done)),
    runs: runs.map((r) => ({ done: r.done, chart: r.chart, longest: r.longest, hashed: r.hashed })),
  };
  // BENCH_APP_ONLY=1: the app's drop → done alone (for the multi-gigabyte files).
  if (process.env.BENCH_APP_ONLY) return { file: path.basename(file), bytes: fs.statSync(file).size, app };

  // Zoom redraws with 20 series: overlay 19 more ports, then zoom in and out.
  const draws = await page.evaluate(async () => {
    const rows = [...document.querySelectorAll('[data-testid="port-row"]')].slice(1, 20);
    for (const r of rows) r.dispatchEvent(new MouseEvent('click', { bubbles: true, ctrlKey: true }));
    const canvas = document.querySelector('[data-testid="timeline"]');
    const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    await frame();
    const out = [];
    for (let i = 0; i < 40; i++) {
      canvas.dispatchEvent(new KeyboardEvent('keydown', { key: i % 8 < 4 ? '+' : '-', bubbles: true }));
      await frame();
      out.push(Number(canvas.dataset.drawMs));
    }
    return { series: 1 + rows.length, ms: out };
  });

  // The bare readers, on the same File, in the same page.
  const bare = {};
  for (const how of ['slices', 'stream']) {
    bare[how] = await page.evaluate(async ({ how }) => {
      const file = window.__file;
      // Same origin (the bench's server adds it), as the page's CSP requires.
      const w = new Worker('./bench-bare.js');
      const r = await new Promise((res) => { w.onmessage = (e) => res(e.data); w.postMessage({ file, how }); });
      w.terminate();
      return r;
    }, { how });
  }

  // The engine alone in wasm, on the first 256 MiB held in memory.
  const engine = await page.evaluate(async () => {
    const file = window.__file;
    const blob = file.slice(0, Math.min(file.size, 256 * 1024 * 1024));
    const w = new Worker('./worker_loader.js', { name: 'bench' });
    const r = await new Promise((res) => {
      w.onmessage = (e) => {
        if (e.data.type === 'ready') w.postMessage({ type: 'bench', blob });
        if (e.data.type === 'bench') res(e.data);
      };
    });
    w.terminate();
    return r;
  });
  return { file: path.basename(file), bytes: fs.statSync(file).size, app, draws, bare, engine };
}

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: node bench.mjs CAPTURE...');
  process.exit(2);
}
const server = await serve({ 'bench-bare.js': BARE });
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.__url = server.url;
  page.on('crash', () => console.error('the page crashed'));
  page.on("pageerror", (e) => console.error(`page error: ${e.stack}`));
  if (process.env.BENCH_DEBUG) page.on('console', (m) => console.error(`console: ${m.text()}`));
  if (process.env.BENCH_DEBUG) page.on('framenavigated', (f) => console.error(`navigated: ${f.url()}`));
  for (const f of files) console.log(JSON.stringify(await run(page, path.resolve(f))));
} finally {
  await browser.close();
  await server.close();
}
