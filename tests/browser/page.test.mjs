// The page end to end in headless Chromium: open a capture, wait for the
// answer, check it against the CLI, and check nothing leaves the origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import zlib from 'node:zlib';
import { suite, dropFile, dropFiles, waitState, inkedPixels, root, captures, SUBPATH, dropBigSynCapture, cli } from './harness.mjs';

const { server, browser } = suite({ needs: ['dist', 'cli'] });

function cliReport(...files) {
  // Exit code 3 (read partly) still prints the report.
  let out;
  try {
    out = execFileSync(cli, ['analyze', ...files, '--json'], { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    out = e.stdout;
  }
  return JSON.parse(out.toString());
}

async function openPage(options = {}, before = async () => {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, ...options });
  await before(page);
  const foreign = [];
  const failed = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(server.origin) && !u.startsWith('blob:') && !u.startsWith('data:')) foreign.push(u);
  });
  page.on('requestfailed', (r) => failed.push(r.url()));
  page.on('pageerror', (e) => failed.push(`pageerror: ${e.message}`));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="drop-zone"]');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.state), 'idle');
  return { page, foreign, failed };
}

async function rankedPorts(page) {
  return page.$$eval('[data-testid="port-row"]', (rows) => rows.map((r) => r.dataset.port));
}

test('dropping the sample capture ranks tcp/445 first and draws its timeline', async () => {
  const { page, foreign, failed } = await openPage();
  const bytes = fs.readFileSync(path.join(root, 'static', 'sample.pcap'));
  await dropFile(page, 'sample.pcap', bytes);
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  const ports = await rankedPorts(page);
  assert.equal(ports[0], 'tcp/445');
  const expected = cliReport(path.join(root, 'static', 'sample.pcap'));
  assert.deepEqual(ports.slice(0, 10), expected.ports.slice(0, 10).map((p) => `${p.proto}/${p.port}`));
  assert.equal(await page.textContent('[data-testid="summary"] [data-field="packets"]'), String(expected.capture.packets));
  const ink = await inkedPixels(page);
  assert.ok(ink.inked > ink.total * 0.01, `timeline drew something: ${JSON.stringify(ink)}`);
  const canvas = await page.$('[data-testid="timeline"]');
  const t0 = Number(await canvas.getAttribute('data-t0'));
  const t1 = Number(await canvas.getAttribute('data-t1'));
  assert.equal(t0, expected.ports[0].series.start_ts);
  assert.ok(t1 > t0);
  assert.deepEqual(foreign, [], 'no request leaves the page origin');
  assert.deepEqual(failed, []);
  await page.close();
});

test('the sample button analyses the bundled capture (served from a sub-path)', async () => {
  const { page, foreign } = await openPage();
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  assert.equal((await rankedPorts(page))[0], 'tcp/445');
  assert.ok(server.requests.some((u) => u === `${SUBPATH}static/sample.pcap`), 'sample fetched relative to the page');
  assert.ok(server.requests.every((u) => u.startsWith(SUBPATH)), `all requests under the sub-path: ${server.requests}`);
  assert.deepEqual(foreign, []);
  await page.close();
});

test('choosing a port in the table redraws the timeline for it', async () => {
  const { page } = await openPage();
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  const before = await page.evaluate(() => document.querySelector('[data-testid="timeline"]').toDataURL());
  await page.click('[data-testid="port-row"][data-port="udp/53"]');
  await page.waitForSelector('[data-testid="port-row"][data-port="udp/53"].selected');
  await page.waitForFunction((b) => document.querySelector('[data-testid="timeline"]').toDataURL() !== b, before);
  const label = await page.getAttribute('[data-testid="timeline"]', 'aria-label');
  assert.match(label, /udp\/53/);
  await page.close();
});

test('a corpus capture dropped on the page matches the CLI report', async () => {
  const file = path.join(captures, 'markofu-pcaps__TCP_SYN_SCAN.pcap');
  const expected = cliReport(file);
  const { page } = await openPage();
  await dropFile(page, path.basename(file), fs.readFileSync(file), 'body');
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  const ports = await rankedPorts(page);
  assert.deepEqual(ports.slice(0, 20), expected.ports.slice(0, 20).map((p) => `${p.proto}/${p.port}`));
  assert.equal(await page.textContent('[data-testid="summary"] [data-field="packets"]'), String(expected.capture.packets));
  await page.close();
});

test('a file that is not a capture shows a clear error', async () => {
  const { page } = await openPage();
  await dropFile(page, 'notes.txt', Buffer.from('just some text, not a capture\n'));
  assert.equal(await waitState(page, ['done', 'error']), 'error');
  const msg = await page.textContent('[data-testid="error"]');
  assert.match(msg, /not a pcap\/pcapng file/);
  assert.match(msg, /byte offset 0/);
  // Nothing was read: no all-clear beside the error, and nothing "exact".
  const quiet = await page.$$eval('.headline-quiet, [data-testid="no-findings"]', (q) => q.map((x) => x.textContent));
  assert.deepEqual(quiet, [], 'no all-clear for a file not read');
  assert.notEqual(await page.getAttribute('html', 'data-evidence'), 'exact');
  // An empty file is the same.
  await dropFile(page, 'empty.pcap', Buffer.alloc(0));
  assert.equal(await waitState(page, ['done', 'error']), 'error');
  assert.deepEqual(await page.$$eval('.headline-quiet, [data-testid="no-findings"]', (q) => q.length), 0);
  assert.notEqual(await page.getAttribute('html', 'data-evidence'), 'exact');
  // The page stays usable: a real capture afterwards is analysed.
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done']), 'done');
  assert.equal(await page.$('[data-testid="error"]'), null);
  await page.close();
});

test('a truncated capture reports what was read and where it stopped', async () => {
  const bytes = fs.readFileSync(path.join(root, 'static', 'sample.pcap'));
  const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
  const tmp = path.join(root, 'target', 'truncated-sample.pcap');
  fs.writeFileSync(tmp, cut);
  const expected = cliReport(tmp);
  assert.ok(expected.capture.error, 'the CLI sees the cut');
  const { page } = await openPage();
  await dropFile(page, 'truncated.pcap', cut);
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  const msg = await page.textContent('[data-testid="error"]');
  assert.match(msg, new RegExp(`byte offset ${expected.capture.error.offset}\\b`));
  assert.match(msg, new RegExp(`${expected.capture.packets} packets`));
  await page.close();
});

test('a long analysis shows progress and can be cancelled', async () => {
  const { page } = await openPage();
  // Build a 400 MB pcap of 64-byte SYNs in the page: a header and one record repeated.
  await dropBigSynCapture(page);
  await page.waitForSelector('[data-testid="progress"]');
  await page.waitForFunction(() => /[1-9]\d* packets/.test(document.querySelector('[data-testid="progress"]')?.textContent || ''));
  // The chart appears while the file is still being read.
  await page.waitForSelector('[data-testid="port-row"][data-port="tcp/445"]');
  await page.waitForSelector('[data-testid="timeline"]');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.state), 'loading');
  const ink = await inkedPixels(page);
  assert.ok(ink.inked > 0, 'the partial timeline drew something');
  await page.click('[data-testid="cancel"]');
  assert.equal(await waitState(page, ['cancelled']), 'cancelled');
  assert.equal(await page.$('[data-testid="progress"]'), null);
  // It says what was read, and never that the rest is clean.
  const partial = await page.textContent('[data-testid="partial"]');
  assert.match(partial, /^Partial: [\d.]+ [kM]?B of 398\.46 MB read, up to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  assert.match(partial, /the rest of the capture was never read/);
  assert.doesNotMatch(await page.textContent('body'), /in this capture\./);
  assert.match(await page.textContent('[data-testid="summary"]'), /not computed \(the read was cancelled\)/);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.evidence), 'estimates');
  // The page stays usable.
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done']), 'done');
  assert.equal(await page.$('[data-testid="partial"]'), null);
  await page.close();
});

test('a rotated set of files and a gzip capture match the CLI', async () => {
  const file = path.join(captures, 'pcapplusplus__example.pcap');
  const bytes = fs.readFileSync(file);
  // Split at a record boundary near the middle (classic pcap, little-endian).
  let at = 24;
  while (at < bytes.length / 2) at += 16 + bytes.readUInt32LE(at + 8);
  const a = bytes.subarray(0, at);
  const b = Buffer.concat([bytes.subarray(0, 24), bytes.subarray(at)]);
  const dir = path.join(root, 'target');
  fs.writeFileSync(path.join(dir, 'part-a.pcap'), a);
  fs.writeFileSync(path.join(dir, 'part-b.pcap'), b);
  const expected = cliReport(path.join(dir, 'part-b.pcap'), path.join(dir, 'part-a.pcap'));
  assert.equal(expected.capture.files.length, 2);
  const whole = cliReport(file);
  assert.deepEqual(expected.ports.map((p) => p.totals), whole.ports.map((p) => p.totals));

  const { page } = await openPage();
  await dropFiles(page, [{ name: 'part-b.pcap', bytes: b }, { name: 'part-a.pcap', bytes: a }]);
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  assert.deepEqual((await rankedPorts(page)).slice(0, 20), expected.ports.slice(0, 20).map((p) => `${p.proto}/${p.port}`));
  assert.equal(await page.textContent('[data-testid="summary"] [data-field="packets"]'), String(whole.capture.packets));

  await dropFile(page, 'example.pcap.gz', zlib.gzipSync(bytes));
  await page.waitForFunction(() => document.documentElement.dataset.state === 'loading' || /gzip/.test(document.body.textContent));
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  assert.match(await page.textContent('[data-testid="summary"]'), /gzip/);
  assert.equal(await page.textContent('[data-testid="summary"] [data-field="packets"]'), String(whole.capture.packets));
  await page.close();
});

test('findings: the sample sweep is explained, zooms the timeline, and exports like the CLI', async () => {
  const expected = cliReport(path.join(root, 'static', 'sample.pcap'));
  const { page } = await openPage();
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done']), 'done');
  const rows = await page.$$eval('[data-testid="spike-row"]', (r) => r.map((x) => [x.dataset.port, x.dataset.kind]));
  assert.deepEqual(rows, expected.spikes.map((s) => [`${s.proto}/${s.port}`, s.kind]));
  assert.deepEqual(rows[0], ['tcp/445', 'sweep']);
  const scanners = await page.$$eval('[data-testid="scanner-row"]', (r) => r.map((x) => x.dataset.source));
  assert.deepEqual(scanners, expected.scanners.map((s) => s.source));

  const canvas = '[data-testid="timeline"]';
  const full = [await page.getAttribute(canvas, 'data-t0'), await page.getAttribute(canvas, 'data-t1')].map(Number);
  await page.click('[data-testid="spike-row"][data-port="tcp/445"]');
  await page.waitForSelector('[data-testid="spike-detail"]');
  const zoomed = [await page.getAttribute(canvas, 'data-t0'), await page.getAttribute(canvas, 'data-t1')].map(Number);
  const sp = expected.spikes[0];
  assert.ok(zoomed[0] > full[0] && zoomed[1] < full[1], `zoomed ${zoomed} within ${full}`);
  assert.ok(zoomed[0] <= sp.start_ts && zoomed[1] >= sp.end_ts, 'the finding is in view');
  assert.equal(await page.textContent('[data-testid="wireshark-filter"]'), sp.wireshark_filter);
  await page.click('[data-testid="reset-zoom"]');
  await page.waitForFunction((t) => document.querySelector('[data-testid="timeline"]').dataset.t0 === t, String(full[0]));

  // Exported once the findings are counted exactly (as the CLI counts them).
  await page.waitForSelector('html[data-evidence="exact"]', { state: 'attached' });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-json"]')]);
  const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.deepEqual(exported, expected);
  await page.close();
});

test('settings: a new threshold and key re-analyse the same capture, echoed in the export', async () => {
  const { page } = await openPage();
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done']), 'done');
  assert.ok((await page.$$('[data-testid="spike-row"]')).length > 0);
  await page.click('.settings summary');
  await page.fill('[data-testid="settings-home"]', '10.0.0.0/99');
  assert.ok(await page.isDisabled('[data-testid="settings-apply"]'), 'a bad CIDR cannot be applied');
  await page.fill('[data-testid="settings-home"]', '10.1.0.0/16');
  await page.fill('[data-testid="settings-threshold"]', '1000');
  await page.selectOption('[data-testid="settings-key"]', 'dst-port');
  await page.click('[data-testid="settings-apply"]');
  await page.waitForSelector('html[data-state="loading"]', { state: 'attached' }).catch(() => {});
  assert.equal(await waitState(page, ['done']), 'done');
  assert.equal((await page.$$('[data-testid="spike-row"]')).length, 0, 'no bin reaches z = 1000');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-json"]')]);
  const r = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.equal(r.params.detection.threshold, 1000);
  assert.equal(r.params.key, 'dst-port');
  assert.deepEqual(r.params.detection.home, ['10.1.0.0/16']);
  // The sweepers sit inside the home network: never inbound.
  assert.ok(r.scanners.length > 0);
  assert.ok(r.scanners.every((s) => ['internal', 'outbound'].includes(s.direction)), JSON.stringify(r.scanners.map((s) => s.direction)));
  await page.close();
});

test('CSV and PNG exports: the CSV equals the CLI, the PNG has the canvas size at the pixel density', async () => {
  const file = path.join(root, 'static', 'sample.pcap');
  const csv = execFileSync(cli, ['analyze', file, '--csv'], { maxBuffer: 1 << 28 }).toString();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 2 });
  await page.goto(server.url);
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  await page.waitForSelector('html[data-evidence="exact"]', { state: 'attached' });
  const [d1] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
  assert.equal(fs.readFileSync(await d1.path(), 'utf8'), csv);
  const [d2] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-png"]')]);
  const png = fs.readFileSync(await d2.path());
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  const box = await page.$eval('[data-testid="timeline"]', (c) => [c.clientWidth, c.clientHeight, c.width, c.height]);
  assert.deepEqual([w, h], [box[2], box[3]]);
  assert.deepEqual([w, h], [Math.round(box[0] * 2), Math.round(box[1] * 2)]);
  const [d3] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv-spikes"]')]);
  const spikes = execFileSync(cli, ['analyze', file, '--csv', 'spikes']).toString();
  assert.equal(fs.readFileSync(await d3.path(), 'utf8'), spikes);
  await page.close();
});

test('share links: a view link restores the view on the same capture; a result link shows it without the capture', async () => {
  const { page } = await openPage();
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  await page.click('[data-testid="spike-row"][data-port="tcp/445"]');
  await page.selectOption('[data-testid="metric-select"]', 'attempts');
  await page.waitForSelector('[data-testid="timeline"][data-metric="attempts"]');
  // Zoomed to the finding, the page re-reads its window at finer bins.
  await page.waitForSelector('[data-testid="zoom-note"][data-fine="true"]');
  const attrs = (p) => p.$eval('[data-testid="timeline"]', (c) => [c.dataset.t0, c.dataset.t1, c.dataset.metric, c.dataset.binWidth, c.toDataURL()]);
  const original = await attrs(page);
  const viewLink = await page.$eval('[data-testid="share-link"]', (a) => a.href);
  // The result link is built in a task of its own once the report is final.
  await page.waitForSelector('[data-testid="share-result"]');
  const resultLink = await page.$eval('[data-testid="share-result"]', (a) => a.href);
  assert.ok(viewLink.startsWith(server.url) && viewLink.includes('#') && !viewLink.includes('result='));
  const spikes = await page.$$eval('[data-testid="spike-row"]', (r) => r.map((x) => x.dataset.port + ' ' + x.dataset.kind));
  await page.close();

  // The view link, then the same capture.
  const p2 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await p2.goto(viewLink);
  await p2.click('[data-testid="sample-button"]');
  await waitState(p2, ['done']);
  await p2.waitForSelector('[data-testid="timeline"][data-metric="attempts"]');
  await p2.waitForSelector('[data-testid="zoom-note"][data-fine="true"]');
  assert.deepEqual(await attrs(p2), original);
  await p2.close();

  // The result link alone: same findings, same pixels, no capture read.
  const p3 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests = [];
  p3.on('request', (r) => requests.push(r.url()));
  await p3.goto(resultLink);
  assert.equal(await waitState(p3, ['done', 'error']), 'done');
  await p3.waitForSelector('[data-testid="shared-note"]');
  assert.deepEqual(await p3.$$eval('[data-testid="spike-row"]', (r) => r.map((x) => x.dataset.port + ' ' + x.dataset.kind)), spikes);
  await p3.waitForSelector('[data-testid="timeline"][data-metric="attempts"]');
  // Same view; with no capture to re-read, at the stored bins.
  const shared = await attrs(p3);
  assert.deepEqual(shared.slice(0, 3), original.slice(0, 3));
  assert.equal(shared[3], '1000000');
  assert.ok((await inkedPixels(p3)).inked > 1000, 'the shared timeline is drawn');
  assert.ok(!requests.some((u) => u.includes('sample.pcap')), 'the capture was not fetched');
  await p3.close();
});

/** The report a result link carries. */
const decode = (href) => JSON.parse(zlib.inflateRawSync(Buffer.from(new URL(href).hash.match(/[#&]result=([^&]*)/)[1], 'base64url')).toString());

test('the result link: built in the worker, with the SHA-256 once hashed, and with addresses hashed on request', async () => {
  const expected = cliReport(path.join(root, 'static', 'sample.pcap'));
  const { page } = await openPage();
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  const link = () => page.$eval('[data-testid="share-result"]', (a) => a.href);
  // The link is rebuilt once the capture's SHA-256 is known.
  await page.waitForFunction(() => /sha256=[0-9a-f]{64}/.test(document.querySelector('[data-testid="share-result"]')?.href || ''));
  const plainLink = await link();
  const plain = decode(plainLink);
  assert.equal(plain.capture.files[0].sha256, expected.capture.files[0].sha256);
  assert.deepEqual(plain.scanners.map((s) => s.source), expected.scanners.map((s) => s.source));
  assert.deepEqual(plain.spikes.map((s) => s.top_sources.map((a) => a.addr)), expected.spikes.map((s) => s.top_sources.map((a) => a.addr)));
  // Hashed: no address of the capture is left; the same address gets the same name.
  await page.check('[data-testid="share-anonymise"]');
  await page.waitForFunction((before) => {
    const a = document.querySelector('[data-testid="share-result"]');
    return a && a.href !== before;
  }, plainLink);
  const hashed = decode(await link());
  const text = JSON.stringify(hashed);
  for (const s of expected.scanners) assert.ok(!text.includes(`"${s.source}"`), `${s.source} left in the link`);
  assert.ok(hashed.scanners.every((s) => /^h-[0-9a-f]{8}$/.test(s.source)));
  const name = new Map(hashed.scanners.map((s, i) => [expected.scanners[i].source, s.source]));
  for (const [i, sp] of hashed.spikes.entries()) {
    for (const [j, a] of sp.top_sources.entries()) {
      const orig = expected.spikes[i].top_sources[j].addr;
      if (name.has(orig)) assert.equal(a.addr, name.get(orig));
    }
  }
  assert.deepEqual(hashed.spikes.map((s) => [s.port, s.kind]), expected.spikes.map((s) => [s.port, s.kind]));
  // Back to plain addresses.
  const hashedLink = await link();
  await page.uncheck('[data-testid="share-anonymise"]');
  await page.waitForFunction((before) => {
    const a = document.querySelector('[data-testid="share-result"]');
    return a && a.href !== before;
  }, hashedLink);
  assert.deepEqual(decode(await link()).scanners.map((s) => s.source), expected.scanners.map((s) => s.source));
  await page.close();
});

test('the page runs under its Content-Security-Policy and keeps working offline after the first visit', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
  // No inline scripts or style sheets beyond the hashed loader (style attributes only).
  assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
  assert.match(csp, /style-src 'self';/);
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done']), 'done');
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(errors, []);
  // Offline: the service worker serves the page, the app and the sample.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('[data-testid="sample-button"]');
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  assert.equal((await rankedPorts(page))[0], 'tcp/445');
  await context.close();
});

test('a crashing analysis worker is reported and the page stays usable', async () => {
  // Requests must reach the route below, not the offline cache.
  // Stand in for a worker that dies (a wasm trap or running out of memory),
  // from the page's first load (it starts a worker before any file is dropped).
  const { page } = await openPage({ serviceWorkers: 'block' }, (p) => p.route('**/worker_loader.js', (route) => route.fulfill({
    contentType: 'text/javascript',
    body: 'throw new RangeError("WebAssembly.Memory.grow(): Maximum memory size exceeded");',
  })));
  await dropFile(page, 'sample.pcap', fs.readFileSync(path.join(root, 'static', 'sample.pcap')));
  assert.equal(await waitState(page, ['error', 'done']), 'error');
  assert.match(await page.textContent('[data-testid="error"]'), /worker crashed.*Maximum memory size exceeded/);
  await page.unroute('**/worker_loader.js');
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done']), 'done');
  assert.equal(await page.$('[data-testid="error"]'), null);
  await page.close();
});

test('timeline: wheel, brush and pan zoom, double-click resets, tooltip shows the report values, scale and zone switch', async () => {
  const expected = cliReport(path.join(root, 'static', 'sample.pcap'));
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Berlin' });
  await page.goto(server.url);
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  const sel = '[data-testid="timeline"]';
  const range = () => page.$eval(sel, (c) => [Number(c.dataset.t0), Number(c.dataset.t1)]);
  const full = await range();
  await page.$eval(sel, (c) => c.scrollIntoView({ block: 'center' }));
  const box = await (await page.$(sel)).boundingBox();
  const cx = box.x + box.width * 0.6;
  const cy = box.y + box.height * 0.5;

  // Wheel at the cursor: narrower, still containing the time under the cursor.
  await page.mouse.move(cx, cy);
  await page.mouse.wheel(0, -300);
  await page.waitForFunction((f) => Number(document.querySelector('[data-testid="timeline"]').dataset.t0) !== f, full[0]);
  const wheeled = await range();
  assert.ok(wheeled[1] - wheeled[0] < full[1] - full[0]);
  // Double-click resets.
  await page.mouse.dblclick(cx, cy);
  await page.waitForFunction((f) => Number(document.querySelector('[data-testid="timeline"]').dataset.t0) === f, full[0]);

  // Brush: drag across a fifth of the plot.
  await page.mouse.move(box.x + box.width * 0.4, cy);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, cy, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction((f) => Number(document.querySelector('[data-testid="timeline"]').dataset.t0) !== f, full[0]);
  const brushed = await range();
  assert.ok(brushed[0] > full[0] && brushed[1] < full[1] && brushed[1] - brushed[0] < (full[1] - full[0]) / 3);
  // Shift-drag pans: same width, later start when dragging left.
  await page.keyboard.down('Shift');
  await page.mouse.move(box.x + box.width * 0.6, cy);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, cy, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  const panned = await range();
  assert.ok(panned[0] > brushed[0], `${panned} after ${brushed}`);
  assert.ok(Math.abs((panned[1] - panned[0]) - (brushed[1] - brushed[0])) <= 1);
  await page.click('[data-testid="reset-zoom"]');

  // Tooltip: the hovered bin's exact range and value, as in the report.
  await page.mouse.move(cx, cy);
  await page.waitForSelector('[data-testid="tooltip"]');
  const tip = await page.$eval('[data-testid="tooltip"]', (t) => ({ ...t.dataset, text: t.textContent }));
  const port = expected.ports.find((p) => `${p.proto}/${p.port}` === 'tcp/445');
  const bin = (Number(tip.binStart) - port.series.start_ts) / port.series.bin_width_us;
  assert.ok(Number.isInteger(bin) && bin >= 0);
  assert.equal(Number(tip.binEnd) - Number(tip.binStart), port.series.bin_width_us);
  assert.equal(Number(tip.value), port.series[tip.metric][bin]);
  assert.match(tip.text, new RegExp(`${tip.metric}: ${tip.value}(?!\\d)`));

  // Scale and zone switches change what is drawn.
  const before = await page.$eval(sel, (c) => c.toDataURL());
  await page.click('[data-testid="scale-toggle"]');
  await page.waitForSelector(`${sel}[data-scale="log"]`);
  assert.notEqual(await page.$eval(sel, (c) => c.toDataURL()), before);
  assert.equal(await page.$eval(sel, (c) => c.dataset.tz), 'UTC');
  await page.click('[data-testid="tz-toggle"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="timeline"]').dataset.tz === 'UTC+01:00');
  await page.close();
});

test('the port table stays small in the DOM for 65,535 ports, and filters and sorts', async () => {
  const { page } = await openPage();
  // A SYN to every TCP port of one host, built in the page.
  await page.evaluate(() => {
    const n = 65535;
    const rec = 16 + 54;
    const buf = new Uint8Array(24 + n * rec);
    const dv = new DataView(buf.buffer);
    dv.setUint32(0, 0xa1b2c3d4, true); dv.setUint16(4, 2, true); dv.setUint16(6, 4, true);
    dv.setUint32(16, 65535, true); dv.setUint32(20, 1, true);
    for (let i = 0; i < n; i++) {
      const o = 24 + i * rec;
      dv.setUint32(o, 1700000000 + Math.floor(i / 1000), true); dv.setUint32(o + 4, (i % 1000) * 1000, true);
      dv.setUint32(o + 8, 54, true); dv.setUint32(o + 12, 54, true);
      const p = o + 16;
      buf.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0,
        10, 0, 0, 1, 10, 0, 0, 2, 0xc3, 0x50], p);
      dv.setUint16(p + 36, i + 1);
      buf[p + 46] = 0x50; buf[p + 47] = 0x02;
    }
    const dt = new DataTransfer();
    dt.items.add(new File([buf], 'fullscan.pcap'));
    document.body.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  });
  assert.equal(await waitState(page, ['done', 'error'], 120000), 'done');
  assert.match(await page.textContent('.ports h2'), /65535 of 65535/);
  const rendered = (await page.$$('[data-testid="port-row"]')).length;
  assert.ok(rendered > 10 && rendered < 60, `${rendered} rows in the DOM`);
  await page.click('[data-testid="sort-port"]');
  assert.equal(await page.getAttribute('[data-testid="port-row"]', 'data-port'), 'tcp/1');
  await page.$eval('.port-scroll', (el) => { el.scrollTop = el.scrollHeight; el.dispatchEvent(new Event('scroll')); });
  await page.waitForSelector('[data-testid="port-row"][data-port="tcp/65535"]');
  await page.fill('[data-testid="port-filter"]', 'tcp/4444');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="port-row"]').length === 1);
  assert.equal(await page.getAttribute('[data-testid="port-row"]', 'data-port'), 'tcp/4444');
  // Ranked far below the top 100, it has no stored timeline: the page reads the
  // capture again for it and draws it.
  await page.click('[data-testid="port-row"][data-port="tcp/4444"]');
  await page.waitForSelector('[data-testid="timeline"][data-ports="tcp/4444"]:not([data-bin-width="0"])', { timeout: 30000 });
  assert.equal(await page.$('[data-testid="timeline-note"]'), null);
  assert.ok((await inkedPixels(page)).inked > 1000, 'the re-read timeline is drawn');
  // And the scanner behind it is found.
  assert.equal(await page.getAttribute('[data-testid="scanner-row"]', 'data-source'), '10.0.0.1');
  // A result link cannot hold 65,535 ports: it lists the top ones and says so.
  await page.waitForSelector('[data-testid="share-result"]');
  const text = await page.textContent('[data-testid="share-result"]');
  const top = text.match(/the top (\d+) of 65535 ports, without timelines/);
  assert.ok(top, text);
  const href = await page.$eval('[data-testid="share-result"]', (a) => a.href);
  assert.ok(href.length < 70000, `${href.length} characters`);
  const linked = decode(href);
  assert.equal(linked.ports.length, Number(top[1]));
  assert.ok(linked.capture.warnings.some((w) => w.code === 'link_ports_trimmed' && w.message.includes(`top ${top[1]} of`)));
  await page.close();
});

test('keyboard moves through findings; the chart has a table view; dark mode follows the system', async () => {
  const expected = cliReport(path.join(root, 'static', 'sample.pcap'));
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
  await page.goto(server.url);
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  await page.keyboard.press('j');
  await page.waitForSelector('[data-testid="spike-detail"]');
  assert.equal(await page.getAttribute('[data-testid="spike-row"].selected', 'data-port'), 'tcp/445');
  // Background pixel of the chart: dark.
  const [r, g, b] = await page.$eval('[data-testid="timeline"]', (c) => [...c.getContext('2d').getImageData(2, 2, 1, 1).data]);
  assert.ok(r + g + b < 200, `background ${r},${g},${b}`);
  // The table view lists the bins in view with the report's values: at the
  // stored bins, over the whole capture (a finding's window is re-read finer).
  await page.click('[data-testid="reset-zoom"]');
  await page.waitForFunction(() => !document.querySelector('[data-testid="zoom-note"][data-fine="true"]'));
  await page.click('[data-testid="timeline-table"] summary');
  // Rows are built when the table is opened.
  await page.waitForSelector('[data-testid="timeline-table"][open] tbody tr');
  const rows = await page.$$eval('[data-testid="timeline-table"] tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  const [t0, t1] = await page.$eval('[data-testid="timeline"]', (c) => [Number(c.dataset.t0), Number(c.dataset.t1)]);
  const s = expected.ports.find((p) => p.proto === 'tcp' && p.port === 445).series;
  const first = Math.max(0, Math.floor((t0 - s.start_ts) / s.bin_width_us));
  const last = Math.min(s.packets.length, Math.ceil((t1 - s.start_ts) / s.bin_width_us));
  assert.equal(rows.length, Math.min(500, last - first));
  assert.equal(Number(rows[0][2]), s.packets[first]);
  assert.equal(Number(rows[rows.length - 1][3]), s.attempts[first + rows.length - 1]);
  await page.close();
});

test('ctrl-click overlays more ports on the timeline with a legend', async () => {
  const { page } = await openPage();
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  const sel = '[data-testid="timeline"]';
  assert.equal(await page.getAttribute(sel, 'data-ports'), 'tcp/445');
  const before = await page.$eval(sel, (c) => c.toDataURL());
  await page.click('[data-testid="port-row"][data-port="udp/53"]', { modifiers: ['Control'] });
  await page.click('[data-testid="port-row"][data-port="tcp/443"]', { modifiers: ['Control'] });
  await page.waitForSelector(`${sel}[data-ports="tcp/445,udp/53,tcp/443"]`);
  assert.notEqual(await page.$eval(sel, (c) => c.toDataURL()), before);
  // Orange (the first overlay colour) now appears in the chart.
  const orange = await page.$eval(sel, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 200 && d[i + 1] > 60 && d[i + 1] < 120 && d[i + 2] < 40) n++;
    return n;
  });
  assert.ok(orange > 50, `${orange} orange pixels`);
  await page.click('[data-testid="port-row"][data-port="udp/53"]', { modifiers: ['Control'] });
  await page.waitForSelector(`${sel}[data-ports="tcp/445,tcp/443"]`);
  await page.close();
});

test('#url= opens a capture from a URL after the user confirms, and says clearly when the server refuses', async () => {
  // No service worker here: it would precache the sample before the user agrees.
  const { page } = await openPage({ serviceWorkers: 'block' });
  const sampleUrl = `${server.url}static/sample.pcap`;
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  // (A new fragment on the same page is not a new load: reload, as opening the link would.)
  await page.goto(`${server.url}#url=${encodeURIComponent(sampleUrl)}&metric=attempts`);
  await page.reload();
  await page.waitForSelector('[data-testid="url-confirm"]');
  assert.match(await page.textContent('[data-testid="url-confirm"]'), /127\.0\.0\.1/);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.state), 'idle');
  assert.ok(!requests.includes(sampleUrl), 'nothing is fetched before the user agrees');
  await page.click('[data-testid="url-open"]');
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  assert.equal((await rankedPorts(page))[0], 'tcp/445');
  assert.equal(await page.getAttribute('[data-testid="timeline"]', 'data-metric'), 'attempts');
  const link = await page.$eval('[data-testid="share-link"]', (a) => a.href);
  assert.equal(new URLSearchParams(new URL(link).hash.slice(1)).get('url'), sampleUrl);
  // A refusing server: a clear message, and the page stays usable.
  await page.goto(`${server.url}#url=${encodeURIComponent(`${server.url}static/missing.pcap`)}`);
  await page.reload();
  await page.click('[data-testid="url-open"]');
  assert.equal(await waitState(page, ['error', 'done']), 'error');
  assert.match(await page.textContent('[data-testid="error"]'), /HTTP 404/);
  await page.close();
});

test('findings: one incident is one row with its episodes; attack kinds lead; many surges fold behind their count', async () => {
  const dir = fs.mkdtempSync(path.join(root, 'target', 'findings-'));
  const make = (scenario) => {
    const file = path.join(dir, `${scenario}.pcap`);
    execFileSync(cli, ['synth', '--scenario', scenario, '-o', file], { stdio: 'ignore' });
    return file;
  };
  // A flood in three waves two minutes apart, and a flash crowd later on.
  const waves = make('waves');
  const expected = cliReport(waves);
  let { page } = await openPage();
  await dropFile(page, 'waves.pcap', fs.readFileSync(waves));
  assert.equal(await waitState(page, ['done']), 'done');
  const rows = await page.$$eval('[data-testid="spike-row"]', (r) => r.map((x) => [x.dataset.port, x.dataset.kind]));
  assert.equal(rows.filter(([, k]) => k === 'flood').length, 1, JSON.stringify(rows));
  assert.deepEqual(rows[0], ['tcp/80', 'flood'], 'the attack comes first');
  assert.ok(rows.slice(1).every(([, k]) => k === 'surge'), JSON.stringify(rows));
  const flood = expected.spikes.find((s) => s.kind === 'flood');
  assert.equal(flood.episodes.length, 3);
  await page.click('[data-testid="spike-row"][data-kind="flood"]');
  await page.waitForSelector('[data-testid="spike-detail"]');
  const episodes = await page.$$eval('[data-testid="episode"]', (e) => e.map((x) => [Number(x.dataset.t0), Number(x.dataset.t1)]));
  assert.deepEqual(episodes, flood.episodes.map((e) => [e.start_ts, e.end_ts]));
  await page.close();

  // Five flash crowds: surges, listed behind their count until one is chosen.
  const crowds = make('crowds');
  const surges = cliReport(crowds).spikes.filter((s) => s.kind === 'surge').length;
  assert.ok(surges > 3, `${surges} surges`);
  ({ page } = await openPage());
  await dropFile(page, 'crowds.pcap', fs.readFileSync(crowds));
  assert.equal(await waitState(page, ['done']), 'done');
  const fold = '[data-testid="ordinary-surges"]';
  assert.equal(await page.textContent(`${fold} > summary`), `${surges} ordinary surges`);
  assert.equal(await page.$eval(fold, (d) => d.open), false);
  assert.equal(await page.$$eval(`${fold} [data-testid="spike-row"]`, (r) => r.length), surges);
  await page.keyboard.press('j');
  await page.waitForSelector('[data-testid="spike-detail"]');
  assert.equal(await page.$eval(fold, (d) => d.open), true, 'choosing a surge unfolds the list');
  await page.close();

  // A port's recurring bursts of one shape: its rhythm on its row, no finding.
  const rhythm = path.join(dir, 'rhythm.pcap');
  execFileSync(cli, ['synth', '--scenario', 'background', '--period', '20', '-o', rhythm,
    '--background', path.join(captures, 'pcapplusplus__pcapng-example.pcapng')], { stdio: 'ignore' });
  const pattern = cliReport(rhythm).ports.find((p) => p.port === 6000).pattern;
  ({ page } = await openPage());
  await dropFile(page, 'rhythm.pcap', fs.readFileSync(rhythm));
  assert.equal(await waitState(page, ['done']), 'done');
  assert.equal(await page.$$eval('[data-testid="spike-row"]', (r) => r.length), 0);
  const badge = '[data-testid="port-row"][data-port="tcp/6000"] [data-testid="pattern"]';
  assert.equal(await page.textContent(badge), `busy every 20 s (${pattern.bursts}×)`);
  assert.match(await page.getAttribute(badge, 'title'), /rhythm/);
  assert.match(await page.getAttribute(badge, 'title'), /about every 20 s/);
  await page.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('hostile links: a result with an impossible time is refused by name and the page stays usable; bad settings are named, the rest kept; the prompt shows the host fetched', async () => {
  // A real result link, its report changed to a time no capture can hold.
  let { page } = await openPage();
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  await page.waitForSelector('[data-testid="share-result"]');
  const link = await page.$eval('[data-testid="share-result"]', (a) => a.href);
  await page.close();
  const report = decode(link);
  report.capture.first_ts = -9e18;
  const packed = zlib.deflateRawSync(Buffer.from(JSON.stringify(report))).toString('base64url');
  ({ page } = await openPage());
  await page.goto(`${server.url}#result=${packed}`);
  await page.reload();
  assert.equal(await waitState(page, ['error', 'done']), 'error');
  assert.match(await page.textContent('[data-testid="error"]'), /capture\.first_ts/);
  // The page still analyses a capture dropped afterwards.
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done']), 'done');
  await page.close();

  // A view link with impossible settings: each named, the others applied.
  ({ page } = await openPage());
  await page.goto(`${server.url}#threshold=NaN&min_excess=1e999&bin=1e300&metric=attempts`);
  await page.reload();
  const problems = await page.textContent('[data-testid="link-problems"]');
  for (const field of ['threshold', 'min_excess', 'bin']) assert.match(problems, new RegExp(field));
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done', 'error']), 'done', 'later files are analysed');
  assert.equal(await page.getAttribute('[data-testid="timeline"]', 'data-metric'), 'attempts', 'the valid setting is kept');
  await page.close();

  // #url= with a backslash host: the prompt names the host the browser would fetch, and it is refused (not https).
  ({ page } = await openPage({ serviceWorkers: 'block' }));
  await page.goto(`${server.url}#url=${encodeURIComponent('/\\evil.example/x.pcap')}`);
  await page.reload();
  const shown = await page.textContent('[data-testid="url-confirm"], [data-testid="link-problems"], [data-testid="error"]');
  assert.match(shown, /evil\.example/);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  if (await page.$('[data-testid="url-open"]')) {
    await page.click('[data-testid="url-open"]');
    await waitState(page, ['error', 'done']);
  }
  assert.ok(!requests.some((u) => u.includes('evil.example')), `no request to the other host: ${requests}`);
  await page.close();
});

test('heatmap: every port at once; hover equals the report, a click picks the port and zooms, the sweep is outlined', async () => {
  const expected = cliReport(path.join(root, 'static', 'sample.pcap'));
  const { page } = await openPage();
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  const map = '[data-testid="heatmap"]';
  await page.waitForSelector(map);
  const rows = expected.ports.filter((p) => p.series);
  assert.deepEqual((await page.getAttribute(map, 'data-ports')).split(','), rows.map((p) => `${p.proto}/${p.port}`));
  const s = rows[0].series;
  assert.equal(`${rows[0].proto}/${rows[0].port}`, 'tcp/445');
  const t0 = Number(await page.getAttribute(map, 'data-t0'));
  assert.equal(t0, s.start_ts);
  // The bin with the most packets of the top port, under the pointer.
  const bin = s.packets.indexOf(Math.max(...s.packets));
  const place = async () => {
    const box = await page.$eval(map, (c) => {
      c.scrollIntoView({ block: 'center' });
      const b = c.getBoundingClientRect();
      return { x: b.left, y: b.top, w: b.width, h: b.height };
    });
    return [box.x + ((bin + 0.5) / s.packets.length) * box.w, box.y + box.h / rows.length / 2];
  };
  let [x, y] = await place();
  await page.mouse.move(x, y);
  // The tooltip names the bin under the pointer (within a pixel of the one
  // aimed at) and says exactly what the report holds for it.
  const tip = await page.textContent('[data-testid="heatmap-tooltip"]');
  const m = tip.match(/^tcp\/445 · (\d\d):(\d\d):(\d\d)–\S+ UTC · (\d+) packets$/);
  assert.ok(m, tip);
  const day = Math.floor(s.start_ts / 86400e6) * 86400e6;
  const shown = (day + ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1e6 - s.start_ts) / s.bin_width_us;
  assert.ok(Math.abs(shown - bin) <= 1, `${tip}: bin ${shown}, aimed at ${bin}`);
  assert.equal(Number(m[4]), s.packets[shown], tip);
  // The sweep's cells are outlined in red on the top row.
  const sweep = expected.spikes.find((f) => f.port === 445);
  const outline = (fx) => page.$eval(map, (c, [fx, rowsN]) => {
    // The pixels around the finding's left edge in the top row: one of them is the outline's red.
    const x0 = Math.max(0, Math.floor(fx * c.width) - 2);
    const d = c.getContext('2d').getImageData(x0, 0, 5, Math.max(1, Math.floor(c.height / rowsN))).data;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 180 && d[i + 1] < 90 && d[i + 2] < 90) return true;
    return false;
  }, [fx, rows.length]);
  const frac = (t) => (t - s.start_ts) / (s.packets.length * s.bin_width_us);
  assert.ok(await outline(frac(sweep.start_ts)), 'the sweep is outlined');
  assert.ok(!(await outline(frac(sweep.start_ts) / 2)), 'nothing is outlined before it');
  // A click picks tcp/445 and zooms both views to that bin's neighbourhood.
  await page.click('[data-testid="port-row"]:nth-child(3)');
  [x, y] = await place();
  await page.mouse.click(x, y);
  await page.waitForFunction((sel) => document.querySelector(sel).dataset.selected === 'tcp/445', map);
  const view = await page.$eval('[data-testid="timeline"]', (c) => [Number(c.dataset.t0), Number(c.dataset.t1)]);
  const b0 = s.start_ts + bin * s.bin_width_us;
  assert.ok(view[0] <= b0 && view[1] >= b0 + s.bin_width_us && view[1] - view[0] <= 30 * s.bin_width_us, `${view} around ${b0}`);
  assert.deepEqual([Number(await page.getAttribute(map, 'data-t0')), Number(await page.getAttribute(map, 'data-t1'))], view, 'the heatmap follows');
  await page.close();
});

test('plain words: an invalid setting is named and cannot be applied; the time-zone choice reaches the findings', async () => {
  const { page } = await openPage({ timezoneId: 'Europe/Paris' });
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  await page.click('.settings summary');
  await page.fill('[data-testid="settings-threshold"]', 'abc');
  assert.match(await page.textContent('[data-testid="settings-invalid"]'), /Spike threshold/);
  assert.equal(await page.isDisabled('[data-testid="settings-apply"]'), true);
  // The core's bounds, as the command line and links have them: a threshold
  // above 0, a persistence K/N with N at most 1000, a baseline of a bin or more.
  for (const [field, value] of [['settings-threshold', '0'], ['settings-threshold', 'NaN'], ['settings-persistence', '2/5000'], ['settings-baseline', '0'], ['settings-min-excess', '-1']]) {
    await page.fill('[data-testid="settings-threshold"]', '7');
    await page.fill(`[data-testid="${field}"]`, value);
    assert.equal(await page.isDisabled('[data-testid="settings-apply"]'), true, `${field} = ${value} cannot be applied`);
    await page.fill(`[data-testid="${field}"]`, { 'settings-threshold': '7', 'settings-persistence': '2/3', 'settings-baseline': '60', 'settings-min-excess': '8' }[field]);
  }
  await page.fill('[data-testid="settings-threshold"]', '7');
  await page.waitForSelector('[data-testid="settings-invalid"]', { state: 'detached' });
  assert.equal(await page.isDisabled('[data-testid="settings-apply"]'), false);
  // UTC first; the toggle moves the findings' times to the browser's zone too.
  const when = () => page.$eval('[data-testid="spike-row"] td[data-label="When"]', (td) => td.textContent);
  assert.match(await when(), /^09:09:00–09:10:55 UTC/);
  await page.click('[data-testid="tz-toggle"]');
  await page.waitForFunction(() => /UTC\+01:00/.test(document.querySelector('[data-testid="spike-row"] td[data-label="When"]').textContent));
  assert.match(await when(), /^10:09:00–10:10:55 UTC\+01:00/);
  await page.close();
});
