// Re-reading a window of the capture: zoom re-bins finer (or says why it
// cannot), a finding's packets are saved as a pcap that tshark reads, and a
// link pasted into an open tab moves the view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import zlib from 'node:zlib';
import { suite, dropFile, waitState, root, tsharkCount, cli } from './harness.mjs';

const sample = path.join(root, 'static', 'sample.pcap');
const { server, browser } = suite();

async function openSample() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done']), 'done');
  return page;
}

const canvas = '[data-testid="timeline"]';
const attr = (page, name) => page.getAttribute(canvas, name);

/** Zoom with the keyboard: each + keeps the middle 60%. */
async function zoomIn(page, times) {
  await page.focus(canvas);
  for (let i = 0; i < times; i++) await page.keyboard.press('+');
}

test('zooming in re-reads the window at finer bins; the tooltip equals the CLI at that width', async () => {
  const page = await openSample();
  assert.equal(await attr(page, 'data-bin-width'), '1000000');
  const port = await attr(page, 'data-ports');
  await zoomIn(page, 4);
  await page.waitForSelector('[data-testid="zoom-note"][data-fine="true"]');
  const width = Number(await attr(page, 'data-bin-width'));
  assert.equal(width, 200000, 'a ~117 s view gets 200 ms bins');
  assert.match(await page.textContent('[data-testid="zoom-note"]'), /200 ms bins, read again from the file/);

  // Hover a few places: each bin's range and values are the CLI's at 200 ms.
  const cliRun = JSON.parse(execFileSync(cli, ['analyze', sample, '--json', '--bin', '200ms', '--series-top', '1000'], { maxBuffer: 1 << 28 }));
  const series = cliRun.ports.find((p) => `${p.proto}/${p.port}` === port.split(',')[0]).series;
  const box = await page.$eval(canvas, (c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
  let checked = 0;
  for (const f of [0.3, 0.45, 0.6, 0.75]) {
    await page.mouse.move(box.x + box.w * f, box.y + box.h * 0.5);
    const tip = await page.waitForSelector('[data-testid="tooltip"]');
    const start = Number(await tip.getAttribute('data-bin-start'));
    const end = Number(await tip.getAttribute('data-bin-end'));
    assert.equal(end - start, 200000);
    const i = (start - series.start_ts) / series.bin_width_us;
    assert.ok(Number.isInteger(i), `bin ${start} on the CLI's grid`);
    assert.equal(Number(await tip.getAttribute('data-value')), series.packets[i] ?? 0, `packets in the bin at ${start}`);
    checked++;
  }
  assert.equal(checked, 4);

  // Back to the whole capture: the stored bins again.
  await page.click('[data-testid="reset-zoom"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="timeline"]').dataset.binWidth === '1000000');
  assert.equal(await page.$('[data-testid="zoom-note"]'), null);
  await page.close();
});

test('a compressed capture is read again whole: zoom re-bins finer and a finding\'s packets are saved', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="drop-zone"]');
  const gz = path.join(os.tmpdir(), `portspike-sample-${process.pid}.pcap.gz`);
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(sample)));
  await dropFile(page, 'sample.pcap.gz', fs.readFileSync(gz));
  assert.equal(await waitState(page, ['done']), 'done');
  await zoomIn(page, 4);
  await page.waitForSelector('[data-testid="zoom-note"][data-fine="true"]');
  assert.equal(await attr(page, 'data-bin-width'), '200000', 'finer bins, from the whole file read again');
  await page.click('[data-testid="spike-row"][data-port="tcp/445"]');
  await page.waitForSelector('[data-testid="spike-detail"]');
  const filter = await page.textContent('[data-testid="wireshark-filter"]');
  const selected = tsharkCount(gz, filter);
  assert.ok(selected > 1000, `${selected} packets in the sweep`);
  assert.ok(!(await page.isDisabled('[data-testid="save-pcap"]')), 'saving is offered');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="save-pcap"]')]);
  const file = path.join(os.tmpdir(), `portspike-save-gz-${process.pid}.pcap`);
  await download.saveAs(file);
  assert.equal(tsharkCount(file), selected, 'the saved capture holds the filtered packets of the compressed file');
  assert.equal(tsharkCount(file, filter), selected, 'and only those');
  fs.rmSync(file);
  fs.rmSync(gz);
  await page.close();
});

test('"save these packets as pcap": tshark reads exactly what the Wireshark filter selects', async () => {
  const page = await openSample();
  await page.click('[data-testid="spike-row"][data-port="tcp/445"]');
  await page.waitForSelector('[data-testid="spike-detail"]');
  const filter = await page.textContent('[data-testid="wireshark-filter"]');
  const selected = tsharkCount(sample, filter);
  assert.ok(selected > 1000, `${selected} packets in the sweep`);
  // The detail's packet count is the filter's in tshark.
  await page.waitForSelector('html[data-evidence="exact"]', { state: 'attached' });
  assert.match(await page.textContent('[data-testid="finding-packets"]'), new RegExp(`^${selected} packets[ ,]`));

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="save-pcap"]')]);
  assert.match(download.suggestedFilename(), /^portspike-tcp445-\d{8}T\d{6}\.\d{6}Z\.pcap$/);
  const file = path.join(os.tmpdir(), `portspike-save-${process.pid}.pcap`);
  await download.saveAs(file);
  assert.equal(tsharkCount(file), selected, 'the saved capture holds the filtered packets');
  assert.equal(tsharkCount(file, filter), selected, 'and only those');
  await page.waitForSelector('[data-testid="save-status"]');
  assert.match(await page.textContent('[data-testid="save-status"]'), new RegExp(`Saved ${selected} packets`));
  fs.rmSync(file);
  await page.close();
});

test('a link pasted into an open tab (hashchange) moves the view without reloading', async () => {
  const page = await openSample();
  await page.evaluate(() => { window.__same = true; });
  const t0 = Number(await attr(page, 'data-t0'));
  const range = [t0 + 60_000_000, t0 + 180_000_000];
  await page.evaluate((r) => { location.hash = `port=udp/53&metric=bytes&t0=${r[0]}&t1=${r[1]}`; }, range);
  await page.waitForSelector(`${canvas}[data-metric="bytes"]`);
  assert.equal((await attr(page, 'data-ports')).split(',')[0], 'udp/53');
  assert.deepEqual([await attr(page, 'data-t0'), await attr(page, 'data-t1')].map(Number), range);
  assert.equal(await page.evaluate(() => window.__same), true, 'the page did not reload');
  await page.close();
});

test('a file that changes on disk while it is read: what was read is reported, with where reading stopped', async () => {
  // A 256 MiB pcap of 64-byte SYNs: reading runs a few slices ahead of the
  // engine, so most of it is still unread when the file is replaced.
  const tmp = path.join(os.tmpdir(), `portspike-changing-${process.pid}.pcap`);
  const rec = Buffer.alloc(16 + 60);
  rec.writeUInt32LE(1700000000, 0); rec.writeUInt32LE(60, 8); rec.writeUInt32LE(60, 12);
  Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0, 0, 46, 0, 0, 0, 0, 64, 6, 0, 0,
    10, 0, 0, 1, 10, 0, 0, 2, 0xc3, 0x50, 0x01, 0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02]).copy(rec, 16);
  const block = Buffer.concat(Array(1 << 16).fill(rec));
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0); hdr.writeUInt16LE(2, 4); hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16); hdr.writeUInt32LE(1, 20);
  const fd = fs.openSync(tmp, 'w');
  fs.writeSync(fd, hdr);
  for (let i = 0; i < 54; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const size = fs.statSync(tmp).size;
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.url);
    await page.waitForSelector('html[data-worker="ready"]');
    await page.setInputFiles('[data-testid="file-input"]', tmp);
    await page.waitForFunction(() => /[1-9]\d* packets/.test(document.querySelector('[data-testid="progress"]')?.textContent || ''));
    // Replaced on disk: the browser refuses to read the rest.
    fs.writeFileSync(tmp, hdr);
    assert.equal(await waitState(page, ['done', 'error'], 120000), 'done');
    const msg = await page.textContent('[data-testid="error"]');
    assert.match(msg, /could not be read past here/);
    const at = Number(msg.match(/byte offset (\d+)/)[1]);
    // At a slice boundary: a first slice of 1 MiB, then 8 MiB each.
    assert.ok(at > 0 && at < size && (at - (1 << 20)) % (8 << 20) === 0, `stopped at ${at} of ${size}`);
    // Every whole record before that offset is counted.
    const packets = Number(await page.textContent('[data-testid="summary"] [data-field="packets"]'));
    assert.equal(packets, Math.floor((at - 24) / rec.length));
    await page.close();
  } finally {
    fs.rmSync(tmp, { force: true });
  }
});

test('the analyst path: drop, top finding, save its packets, its scanners, copy a link (counting the actions)', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  const page = await context.newPage();
  await page.goto(server.url);
  let actions = 0;
  const act = async (f) => { actions += 1; return f(); };
  await act(() => dropFile(page, 'sample.pcap', fs.readFileSync(sample)));
  const state = await waitState(page, ['done', 'error']);
  if (state !== 'done') assert.fail(await page.textContent('[data-testid="error"]'));
  // The top finding is the sweep; its detail opens in view.
  await act(() => page.click('[data-testid="spike-row"]'));
  await page.waitForSelector('[data-testid="spike-detail"]');
  assert.equal(await page.getAttribute('[data-testid="spike-row"].selected', 'data-port'), 'tcp/445');
  // The detail is scrolled into view after it is drawn: wait for it to be seen.
  const inView = (sel) => page.waitForFunction((s) => {
    const r = document.querySelector(s).getBoundingClientRect();
    return r.top < innerHeight && r.bottom > 0;
  }, sel, { timeout: 5000 }).then(() => true, () => false);
  assert.ok(await inView('[data-testid="spike-detail"]'), 'the detail is where the eye is');
  // Its packets, saved: exactly what its Wireshark filter selects.
  const filter = await page.textContent('[data-testid="wireshark-filter"]');
  const [download] = await act(() => Promise.all([page.waitForEvent('download'), page.click('[data-testid="save-pcap"]')]));
  const file = path.join(os.tmpdir(), `portspike-path-${process.pid}.pcap`);
  await download.saveAs(file);
  assert.equal(tsharkCount(file), tsharkCount(sample, filter));
  fs.rmSync(file);
  // Who swept: the first scanner's detail.
  await act(() => page.click('[data-testid="scanner-row"]'));
  await page.waitForSelector('[data-testid="scanner-detail"]');
  assert.ok(await inView('[data-testid="scanner-detail"]'));
  // Hand it on: the link is copied, and the page says so.
  await page.waitForSelector('[data-testid="share-result"]');
  const href = await page.$eval('[data-testid="share-result"]', (a) => a.href);
  // Offered only once complete: it names the capture's SHA-256.
  assert.match(href, /[#&]sha256=[0-9a-f]{64}(&|$)/);
  await act(() => page.click('[data-testid="share-result"]'));
  await page.waitForSelector('[data-testid="share-copied"]');
  assert.equal(page.url().split('#')[0], server.url, 'the tab stays on the analysis');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), href);
  assert.ok(actions <= 5, `${actions} actions from drop to a shared answer`);
  await context.close();
});
