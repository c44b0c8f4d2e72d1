// Drop → first port row painted, for small captures, with where the time
// goes: `node firstrow.mjs [RUNS] FILE [FILE...]` prints one JSON line per
// file and mode with the median of RUNS drops (default 5): the first drop on a
// freshly loaded page (its worker ready), and later drops on the same page.
//
// Phases, each in ms from the File's arrival (the input's change event):
//   worker   the worker's own phases (first slice, copy, engine, report), summed
//   done     the final report posted and data-state="done"
//   row      the first port row in the DOM
//   painted  the frame after it (requestAnimationFrame twice): what a user sees
//   transfer the rest of `row` not spent in the worker (messages, parsing, the
//            state update and render up to the row)
import path from 'node:path';
import fs from 'node:fs';
import { serve, launch } from './harness.mjs';

async function drop(page, file) {
  await page.evaluate(() => {
    window.__t = {};
    const input = document.querySelector('[data-testid="file-input"]');
    const onChange = () => {
      document.removeEventListener('change', onChange, true);
      const t = (window.__t = { start: performance.now() });
      const seen = () => {
        const now = performance.now() - t.start;
        if (t.row === undefined && document.querySelector('[data-testid="port-row"]')) {
          t.row = now;
          requestAnimationFrame(() => requestAnimationFrame(() => { t.painted = performance.now() - t.start; }));
        }
        if (t.done === undefined && document.documentElement.dataset.state === 'done') t.done = now;
      };
      new MutationObserver(seen).observe(document.documentElement, { attributes: true, childList: true, subtree: true });
    };
    document.addEventListener('change', onChange, true);
    void input;
  });
  await page.setInputFiles('[data-testid="file-input"]', file);
  await page.waitForFunction(() => window.__t.painted !== undefined && window.__t.done !== undefined, null, { timeout: 120000 });
  return page.evaluate(() => {
    const p = JSON.parse(document.documentElement.dataset.workerPhases || '{}');
    const worker = ['first_slice', 'copy', 'engine', 'preview', 'report', 'wait'].reduce((s, k) => s + (p[k] || 0), 0);
    return { ...window.__t, worker, phases: p };
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const args = process.argv.slice(2);
const runs = /^\d+$/.test(args[0] || '') ? Number(args.shift()) : 5;
const server = await serve();
const browser = await launch();
try {
  for (const f of args) {
    const file = path.resolve(f);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // First drops: each on a freshly loaded page whose worker is ready (the
    // browser's caches warm from the loads before), as a user drops a file.
    const first = [];
    for (let i = 0; i <= runs; i++) {
      await page.goto(server.url);
      await page.waitForSelector('html[data-worker="ready"]', { state: 'attached' });
      const r = await drop(page, file);
      if (i > 0) first.push(r);
    }
    // Later drops on the same page.
    const again = [];
    for (let i = 0; i < runs; i++) again.push(await drop(page, file));
    for (const [mode, all] of [['first drop', first], ['next drop', again]]) {
      const out = { file: path.basename(file), mode, bytes: fs.statSync(file).size, runs };
      for (const k of ['worker', 'done', 'row', 'painted']) out[k] = Math.round(median(all.map((r) => r[k])) * 10) / 10;
      out.transfer = Math.round((out.row - out.worker) * 10) / 10;
      out.painted_all = all.map((r) => Math.round(r.painted));
      out.phases = all[Math.floor(runs / 2)].phases;
      console.log(JSON.stringify(out));
    }
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
