// Links and the capture they name: a view link's notes and comparison are
// attached only to the capture whose SHA-256 it names (else a notice, and a
// button to attach them anyway); a result link whose SHA-256 is not its
// report's is refused; a result link past the bound on bins is refused and
// one at the bound is drawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { suite, dropFile, waitState, root, cutPcap } from './harness.mjs';

const { server, browser } = suite({ needs: ['dist'] });
const sample = fs.readFileSync(path.join(root, 'static', 'sample.pcap'));
const sha = crypto.createHash('sha256').update(sample).digest('hex');
const other = 'ab'.repeat(32);
const MAX_LINK_BINS = 100000;

const notes = (page) => page.$$eval('[data-testid="annotation"]', (ls) => ls.map((l) => l.querySelector('.long').textContent));

test("a view link's notes go only to the capture it names; another gets a notice and may take them anyway", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Made for another capture, with a setting of its own.
  await page.goto(`${server.url}#note=1772442100000000~1772442200000000~the%20sweep&sha256=${other}&bin=5s`);
  await page.waitForSelector('[data-testid="drop-zone"]');
  await dropFile(page, 'sample.pcap', sample);
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  await page.waitForSelector('[data-testid="view-link-mismatch"]', { timeout: 30000 });
  const said = await page.textContent('[data-testid="view-link-mismatch"]');
  assert.ok(said.includes(other.slice(0, 16)) && said.includes(sha.slice(0, 16)), said);
  assert.ok(said.includes('bin 5s'), `the settings that apply anyway are named: ${said}`);
  assert.deepEqual(await notes(page), []);
  // The settings did apply: 5 s bins.
  assert.equal(await page.getAttribute('[data-testid="timeline"]', 'data-bin-width'), '5000000');
  await page.click('[data-testid="link-apply-anyway"]');
  await page.waitForSelector('[data-testid="annotation"]');
  assert.deepEqual(await notes(page), ['the sweep']);
  assert.equal(await page.$('[data-testid="view-link-mismatch"]'), null);

  // The same link naming this capture: the note is attached once the
  // capture is hashed, without a notice.
  const right = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await right.goto(`${server.url}#note=1772442100000000~1772442200000000~the%20sweep&sha256=${sha.toUpperCase()}`);
  await right.waitForSelector('[data-testid="drop-zone"]');
  await dropFile(right, 'sample.pcap', sample);
  assert.equal(await waitState(right, ['done', 'error']), 'done');
  await right.waitForSelector('[data-testid="annotation"]', { timeout: 30000 });
  assert.deepEqual(await notes(right), ['the sweep']);
  assert.equal(await right.$('[data-testid="view-link-mismatch"]'), null);
  // Its own view link names the capture with the note.
  const link = await right.$eval('[data-testid="share-link"]', (a) => a.href);
  assert.ok(link.includes(`sha256=${sha}`) && link.includes('note='), link);
  assert.deepEqual(errors, []);
  await Promise.all([page.close(), right.close()]);
});

/** A result link (packed as the page packs it) for `report`, naming `sha256`. */
function resultLink(report, sha256) {
  const v = zlib.deflateRawSync(Buffer.from(JSON.stringify(report)), { level: 9 }).toString('base64url');
  return `${server.url}#v=1&sha256=${sha256}&result=${v}`;
}

/** The sample's report (as the CLI writes it, hashed) with `ports` ports of `bins` bins each. */
function withBins(ports, bins) {
  const r = JSON.parse(execFileSync(path.join(root, 'target', 'debug', 'portspike'),
    ['analyze', path.join(root, 'static', 'sample.pcap'), '--json'], { maxBuffer: 1 << 26 }).toString());
  const w = r.bin_width_us;
  const start = r.capture.first_ts - (r.capture.first_ts % w);
  r.capture.last_ts = start + bins * w - 1;
  const arr = Array.from({ length: bins }, (_, i) => (i * 7919) % 13);
  const p0 = r.ports[0];
  r.ports = Array.from({ length: ports }, (_, i) => ({ ...structuredClone(p0), port: 1000 + i,
    series: { start_ts: start, bin_width_us: w, packets: arr, bytes: arr, attempts: arr, failures: arr, sources: arr, destinations: arr } }));
  r.spikes = [];
  r.scanners = [];
  return r;
}

test("a result link is refused unless its SHA-256 is its report's, and past the bound on bins", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const r = withBins(7, 901);
  assert.equal(r.capture.files[0].sha256, sha);
  await page.goto(resultLink(r, other));
  assert.equal(await waitState(page, ['done', 'error']), 'error');
  const e = await page.textContent('[data-testid="error"]');
  assert.ok(e.includes(other) && e.includes(sha) && e.includes('not shown'), e);
  assert.equal(await page.$('[data-testid="timeline"]'), null);

  // At the bound: shown and drawn (in about a second: see the commit).
  const big = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await big.goto(server.url);
  await big.waitForSelector('[data-testid="drop-zone"]');
  const t = Date.now();
  await big.evaluate((l) => { location.href = l; }, resultLink(withBins(100, MAX_LINK_BINS / 100), sha));
  assert.equal(await waitState(big, ['done', 'error']), 'done');
  await big.waitForSelector('[data-testid="timeline"][data-draw-ms]', { state: 'attached' });
  const ms = Date.now() - t;
  console.log(`a result link of ${MAX_LINK_BINS} bins in 100 timelines shown and drawn in ${ms} ms`);
  assert.ok(ms < 10000, `${ms} ms`);
  // One bin more: refused, saying so.
  const past = withBins(100, MAX_LINK_BINS / 100);
  past.ports[99].series.packets.push(1);
  await big.evaluate((l) => { location.href = l; }, resultLink(past, sha));
  await big.waitForSelector('[data-testid="error"]');
  const why = await big.textContent('[data-testid="error"]');
  assert.ok(why.includes(`${MAX_LINK_BINS} timeline bins in all`), why);
  await Promise.all([page.close(), big.close()]);
});

const SYN_SCAN = path.join(path.dirname(root), 'shared', 'captures', 'markofu-pcaps__TCP_SYN_SCAN.pcap');

for (const width of [1280, 390]) {
  test(`at ${width} px a view link opened alone says what it holds and which capture it needs; another capture gets the mismatch notice`, async () => {
    const page = await browser.newPage({ viewport: { width, height: 844 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const [t0, t1] = [1772442540000000, 1772442655000000];
    await page.goto(`${server.url}#port=tcp/445&metric=attempts&t0=${t0}&t1=${t1}&note=${t0}~${t1}~the%20sweep&note=${t0}~${t0 + 1}~its%20start&sha256=${sha}`);
    await page.waitForSelector('[data-testid="view-link-expects"]');
    const said = await page.textContent('[data-testid="view-link-expects"]');
    for (const part of ['port tcp/445', 'attempts', '2 notes', sha, '2026-03-02 09:09:00', '2026-03-02 09:10:55']) {
      assert.ok(said.includes(part), `"${part}" in "${said}"`);
    }
    assert.equal(await page.textContent('[data-testid="view-link-expects"] [data-field="sha256"]'), sha);
    const box = await page.$eval('[data-testid="view-link-expects"]', (e) => e.getBoundingClientRect().toJSON());
    assert.ok(box.right <= width && box.bottom <= 844, `in view: ${JSON.stringify(box)}`);
    // Another capture: the notice naming both, before anything is attached.
    await dropFile(page, path.basename(SYN_SCAN), fs.readFileSync(SYN_SCAN));
    assert.equal(await waitState(page, ['done', 'error']), 'done');
    assert.equal(await page.$('[data-testid="view-link-expects"]'), null);
    await page.waitForSelector('[data-testid="view-link-mismatch"]', { timeout: 30000 });
    assert.ok((await page.textContent('[data-testid="view-link-mismatch"]')).includes(sha.slice(0, 16)));
    assert.deepEqual(await notes(page), []);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test("a comparison's view link opened alone names the capture it was made for; a diff row shows its timeline in the metric that changed", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(server.url);
  await dropFile(page, 'sample.pcap', sample);
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  const base = path.join(root, 'target', 'viewlink-before.pcap');
  fs.writeFileSync(base, cutPcap(sample, 8 * 60));
  await page.setInputFiles('[data-testid="compare-input"]', base);
  await page.waitForSelector('[data-testid="diff-row"]', { timeout: 60000 });
  // The row opens its port's timeline, scrolled into view, in the metric that changed.
  const row = await page.$eval('[data-testid="diff-row"]', (r) => ({ port: r.dataset.port, metric: r.dataset.metric }));
  assert.ok(row.metric, JSON.stringify(row));
  await page.selectOption('[data-testid="metric-select"]', row.metric === 'bytes' ? 'packets' : 'bytes');
  await page.click(`[data-testid="diff-row"][data-port="${row.port}"]`);
  await page.waitForSelector(`[data-testid="timeline"][data-metric="${row.metric}"][data-ports="${row.port}"]`);
  assert.equal(await page.$eval('[data-testid="metric-select"]', (s) => s.value), row.metric);
  await page.waitForFunction(() => {
    const r = document.querySelector('[data-testid="timeline"]').getBoundingClientRect();
    return r.top >= 0 && r.top < window.innerHeight;
  });
  // Its view link, opened alone, names the capture by name and SHA-256.
  await page.waitForFunction(() => /[#&]diff=/.test(document.querySelector('[data-testid="share-link"]')?.href || '') &&
    /[#&]sha256=[0-9a-f]{64}/.test(document.querySelector('[data-testid="share-link"]')?.href || ''), null, { timeout: 30000 });
  const link = await page.$eval('[data-testid="share-link"]', (a) => a.href);
  const alone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await alone.goto(link);
  await alone.waitForSelector('[data-testid="view-link-expects"] [data-field="name"]');
  assert.equal(await alone.textContent('[data-testid="view-link-expects"] [data-field="name"]'), 'sample.pcap');
  const said = await alone.textContent('[data-testid="view-link-expects"]');
  assert.ok(said.includes(sha) && said.includes('a comparison with a baseline'), said);
  await Promise.all([page.close(), alone.close()]);
  fs.rmSync(base, { force: true });
});
