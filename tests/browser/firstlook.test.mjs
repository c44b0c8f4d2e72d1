// The first look is the answer: after an analysis the headline (one plain
// sentence per incident, with the report's own numbers) and the findings are
// in view without scrolling, on a desktop and on a phone; a sentence or a
// finding opens the timeline in the finding's metric, zoomed to its window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { suite, dropFile, waitState, root, captures, cli } from './harness.mjs';

const { server, browser } = suite({ needs: ['dist', 'cli'] });
const SAMPLE = path.join(root, 'static', 'sample.pcap');
const SYN_SCAN = path.join(captures, 'markofu-pcaps__TCP_SYN_SCAN.pcap');
const VIEWPORTS = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];

function cliReport(file) {
  return JSON.parse(execFileSync(cli, ['analyze', file, '--json'], { maxBuffer: 1 << 28 }).toString());
}

/** A count as the headline writes it: `6,012`. */
const n = (x) => x.toLocaleString('en-US');
/** `HH:MM:SS` in UTC, the page's default zone. */
const hms = (us) => new Date(Math.floor(us / 1e6) * 1000).toISOString().slice(11, 19);
const window = (t0, t1) => `${hms(t0)}–${hms(t1)} UTC`;

/** A page at `viewport` with `file` dropped, analysed and counted exactly. */
async function analysed(file, viewport) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await dropFile(page, path.basename(file), fs.readFileSync(file));
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  await page.waitForSelector('html[data-evidence="exact"]', { state: 'attached' });
  return { page, errors };
}

/** The headline's box and the first finding's, and how far the page is scrolled. */
function boxes(page) {
  return page.evaluate(() => {
    const box = (el) => { const r = el.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; };
    const row = document.querySelector('[data-testid="spike-row"], [data-testid="scanner-row"]');
    return {
      headline: box(document.querySelector('[data-testid="headline"]')),
      row: row && box(row),
      scrollY: window.scrollY,
      vw: window.innerWidth,
      vh: window.innerHeight,
    };
  });
}

function inView(b, what) {
  assert.equal(b.scrollY, 0, 'nothing scrolled');
  assert.ok(b.headline.top >= 0 && b.headline.bottom <= b.vh && b.headline.left >= 0 && b.headline.right <= b.vw,
    `the headline is in view: ${JSON.stringify(b)} (${what})`);
  assert.ok(b.row && b.row.top < b.vh, `the first finding starts in view: ${JSON.stringify(b)} (${what})`);
}

for (const vp of VIEWPORTS) {
  test(`at ${vp.width}×${vp.height} the sample's headline says the sweep with the report's numbers, in view`, async () => {
    const expected = cliReport(SAMPLE);
    const sp = expected.spikes[0];
    const { page, errors } = await analysed(SAMPLE, vp);
    inView(await boxes(page), 'sample');
    const items = await page.$$eval('[data-testid="headline-item"]', (b) => b.map((x) => x.textContent));
    assert.equal(items.length, 1, `one incident: the sweep (its scanners are its sources): ${items}`);
    const t = items[0];
    for (const part of [
      `swept TCP 445 (SMB) across ${n(sp.destinations)} addresses`,
      `${n(sp.sources)} hosts (busiest ${sp.top_sources.slice(0, 2).map((a) => a.addr).join(', ')}`,
      window(sp.start_ts, sp.end_ts),
      `${n(sp.failures)} of ${n(sp.attempts)} attempts failed (${Math.round((sp.failures * 100) / sp.attempts)} %)`,
    ]) assert.ok(t.includes(part), `"${part}" in "${t}"`);
    // The drop zone is one line naming the capture, with a way to open another.
    assert.match(await page.textContent('[data-testid="file-line"]'), new RegExp(`^sample\\.pcap · ${n(expected.capture.packets)} packets over 15 min$`));
    assert.ok(await page.isVisible('[data-testid="drop-zone"] label.button'));
    // The sentence opens its finding: the timeline in its metric, zoomed to it.
    await page.click('[data-testid="headline-item"]');
    await page.waitForSelector('[data-testid="spike-detail"]');
    assert.equal(await page.getAttribute('[data-testid="spike-row"].selected', 'data-port'), 'tcp/445');
    assert.equal(await page.$eval('[data-testid="metric-select"]', (s) => s.value), sp.metric);
    const [t0, t1] = await page.$eval('[data-testid="timeline"]', (c) => [Number(c.dataset.t0), Number(c.dataset.t1)]);
    assert.ok(t0 <= sp.start_ts && t1 >= sp.end_ts, `the window ${sp.start_ts}–${sp.end_ts} in view ${t0}–${t1}`);
    assert.ok(t1 - t0 < (expected.capture.last_ts - expected.capture.first_ts) / 2, `zoomed: ${t1 - t0} µs`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test(`at ${vp.width}×${vp.height} a SYN scan's headline names the scanner with the report's numbers, in view`, async () => {
    const expected = cliReport(SYN_SCAN);
    assert.equal(expected.spikes.length, 0);
    const sc = expected.scanners[0];
    const { page, errors } = await analysed(SYN_SCAN, vp);
    inView(await boxes(page), 'syn scan');
    const t = await page.textContent('[data-testid="headline-item"]');
    for (const part of [
      `${sc.source} probed ${n(sc.ports)} ports on ${sc.top_targets[0].addr}`,
      window(sc.first_ts, sc.last_ts),
      `${n(sc.failures)} of ${n(sc.attempts)} probes failed`,
      `answered on ports ${sc.open_ports.slice(0, 4).map((o) => o.port).join(', ')}`,
    ]) assert.ok(t.includes(part), `"${part}" in "${t}"`);
    assert.equal(sc.targets, 1);
    await page.click('[data-testid="headline-item"]');
    await page.waitForSelector(`[data-testid="scanner-detail"][data-source="${sc.source}"]`);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('a capture with nothing to find says so, with its size', async () => {
  const file = path.join(captures, 'pcapplusplus__example.pcap');
  const expected = cliReport(file);
  assert.equal(expected.spikes.length + expected.scanners.length, 0);
  const { page } = await analysed(file, VIEWPORTS[0]);
  assert.match(await page.textContent('[data-testid="headline"]'),
    new RegExp(`^Nothing that looks like an attack: ${n(expected.capture.packets)} packets on ${expected.ports.length} ports over [\\d.]+ (s|min)\\.$`));
  assert.equal(await page.$('[data-testid="headline-item"]'), null);
  await page.close();
});

test("choosing a finding shows the timeline in the finding's metric, zoomed to its window", async () => {
  const expected = cliReport(SAMPLE);
  const sp = expected.spikes[0];
  const { page } = await analysed(SAMPLE, { width: 1280, height: 900 });
  await page.selectOption('[data-testid="metric-select"]', 'bytes');
  await page.waitForSelector('[data-testid="timeline"][data-metric="bytes"]');
  const whole = await page.$eval('[data-testid="timeline"]', (c) => Number(c.dataset.t1) - Number(c.dataset.t0));
  await page.click('[data-testid="spike-row"]');
  await page.waitForSelector(`[data-testid="timeline"][data-metric="${sp.metric}"]`);
  assert.equal(await page.$eval('[data-testid="metric-select"]', (s) => s.value), sp.metric);
  const [t0, t1] = await page.$eval('[data-testid="timeline"]', (c) => [Number(c.dataset.t0), Number(c.dataset.t1)]);
  assert.ok(t0 <= sp.start_ts && sp.end_ts <= t1, `${t0}–${t1} holds ${sp.start_ts}–${sp.end_ts}`);
  assert.ok(t1 - t0 < whole / 2, `zoomed: ${t1 - t0} of ${whole}`);
  await page.close();
});
