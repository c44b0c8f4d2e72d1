// Scanners are findings too: a scanner row opens its detail (every burst's
// times, targets and ports with counts, probe mix and outcomes, its own
// Wireshark filter), the timeline moves to its activity, and "save these
// packets" writes exactly what that filter selects in tshark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite, dropFile, waitState, root, captures, tsharkCount } from './harness.mjs';

const sample = path.join(root, 'static', 'sample.pcap');
const { server, browser } = suite();

async function open(file) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="drop-zone"]');
  await dropFile(page, path.basename(file), fs.readFileSync(file));
  assert.equal(await waitState(page, ['done']), 'done');
  return page;
}

/** Click the scanner's row, wait for its detail; returns the detail's handle. */
async function openScanner(page, source) {
  await page.click(`[data-testid="scanner-row"][data-source="${source}"]`);
  return page.waitForSelector(`[data-testid="scanner-detail"][data-source="${source}"]`);
}

async function saveAndCount(page, file, filter) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('[data-testid="scanner-detail"] [data-testid="save-pcap"]'),
  ]);
  assert.match(download.suggestedFilename(), /^portspike-scanner-[0-9a-f_]+-\d{8}T\d{6}\.\d{6}Z\.pcap$/);
  const out = path.join(os.tmpdir(), `portspike-scanner-${process.pid}.pcap`);
  await download.saveAs(out);
  const saved = tsharkCount(out);
  assert.equal(tsharkCount(out, filter), saved, 'only what the filter selects');
  fs.rmSync(out);
  return saved;
}

test('a scanner row opens its detail: bursts, targets, ports, probes, filter, packets and the timeline on its activity', async () => {
  const page = await open(sample);
  const rows = await page.$$eval('[data-testid="scanner-row"]', (r) => r.map((x) => x.dataset.source));
  assert.ok(rows.length >= 3, `${rows.length} scanners`);
  const source = rows[0];
  const detail = await openScanner(page, source);
  // It is brought into view.
  assert.ok(await detail.isVisible());
  const inView = await detail.evaluate((el) => { const r = el.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; });
  assert.ok(inView, 'the detail is scrolled into view');
  const t0 = Number(await detail.getAttribute('data-t0'));
  const t1 = Number(await detail.getAttribute('data-t1'));
  assert.ok(t1 > t0);
  const bursts = await page.$$eval('[data-testid="scanner-burst"]', (b) => b.map((x) => [Number(x.dataset.t0), Number(x.dataset.t1)]));
  assert.ok(bursts.length >= 1);
  assert.equal(bursts[0][0], t0, 'the first burst starts with the scanner');
  assert.equal(bursts.at(-1)[1] <= t1, true);
  const targets = await page.$$('[data-testid="scanner-target"]');
  assert.ok(targets.length >= 5, `${targets.length} targets listed`);
  assert.match(await page.textContent('[data-testid="scanner-port"]'), /^tcp\/445 \(\d+ first contacts\)$/);
  assert.match(await page.textContent('[data-testid="scanner-probes"]'), /syn \d+/);
  assert.match(await page.textContent('[data-testid="scanner-outcomes"]'), /\d+ first contacts: \d+ answered, \d+ failed/);
  // The timeline shows its activity: its port, over its whole span.
  const canvas = '[data-testid="timeline"]';
  await page.waitForFunction(({ canvas, t0, t1 }) => {
    const c = document.querySelector(canvas);
    return Number(c.dataset.t0) <= t0 && Number(c.dataset.t1) >= t1 && c.dataset.ports.split(',')[0] === 'tcp/445';
  }, { canvas, t0, t1 });
  // Its own filter, and exactly its packets.
  const filter = await page.textContent('[data-testid="scanner-detail"] [data-testid="wireshark-filter"]');
  assert.ok(filter.startsWith(`ip.addr == ${source} && frame.time_epoch >= `), filter);
  const selected = tsharkCount(sample, filter);
  assert.ok(selected > 100, `${selected} packets`);
  assert.equal(await saveAndCount(page, sample, filter), selected, 'the saved capture holds every packet the filter selects');
  await page.waitForSelector('[data-testid="save-status"]');
  assert.match(await page.textContent('[data-testid="save-status"]'), new RegExp(`^Saved ${selected} packets as .*: every packet the filter selects$`));
  // Another scanner's row switches the detail; Close closes it.
  await openScanner(page, rows[1]);
  await page.click('[data-testid="scanner-close"]');
  assert.equal(await page.$('[data-testid="scanner-detail"]'), null);
  // A finding's detail replaces a scanner's.
  await openScanner(page, rows[0]);
  await page.click('[data-testid="spike-row"]');
  await page.waitForSelector('[data-testid="spike-detail"]');
  assert.equal(await page.$('[data-testid="scanner-detail"]'), null);
  await page.close();
});

test('an nmap SYN scan: one scanner with its target and probe mix; the victim\'s resets stay on the probed ports', async () => {
  const file = path.join(captures, 'markofu-pcaps__TCP_SYN_SCAN.pcap');
  const page = await open(file);
  const rows = await page.$$eval('[data-testid="scanner-row"]', (r) => r.map((x) => x.dataset.source));
  assert.deepEqual(rows, ['192.168.1.10']);
  await openScanner(page, rows[0]);
  assert.match(await page.textContent('[data-testid="scanner-target"]'), /^192\.168\.1\.25 \(1000 first contacts\)$/);
  assert.equal(await page.textContent('[data-testid="scanner-probes"]'), 'syn 1000');
  // nmap's source port is no port of the capture's (it was, made of the victim's resets).
  assert.equal(await page.$('[data-testid="port-row"][data-port="tcp/35503"]'), null);
  const filter = await page.textContent('[data-testid="scanner-detail"] [data-testid="wireshark-filter"]');
  const selected = tsharkCount(file, filter);
  assert.equal(await saveAndCount(page, file, filter), selected);
  await page.close();
});
