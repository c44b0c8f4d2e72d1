// A one-minute bin asked of a capture spanning 139 days: the engine coarsens
// its grid (warning bins_coarsened) instead of the worker running out of
// memory, and the page shows the analysis with the warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, dropFile, waitState } from './harness.mjs';

const { server, browser } = suite({ needs: ['dist'] });

/** A pcap of TCP SYNs to `ports` ports at the start and again 139 days later. */
function longSpan(ports) {
  const recs = [];
  const t0 = 1700000000;
  const syn = (sec, port) => {
    const r = Buffer.alloc(16 + 54);
    r.writeUInt32LE(sec, 0); r.writeUInt32LE(0, 4); r.writeUInt32LE(54, 8); r.writeUInt32LE(54, 12);
    Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]).copy(r, 16);
    const ip = Buffer.from([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    ip.copy(r, 30);
    r.writeUInt16BE(40000, 50); r.writeUInt16BE(port, 52);
    r.writeUInt8(0x50, 62); r.writeUInt8(0x02, 63);
    return r;
  };
  for (const day of [0, 139]) {
    for (let p = 0; p < ports; p++) recs.push(syn(t0 + day * 86400 + p, 1000 + p));
  }
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0); hdr.writeUInt16LE(2, 4); hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16); hdr.writeUInt32LE(1, 20);
  return Buffer.concat([hdr, ...recs]);
}

test('#bin=1m on a capture spanning 139 days: analysed, with its bins coarsened and said so', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}#bin=1m`);
  await page.waitForSelector('[data-testid="drop-zone"]');
  await dropFile(page, 'long.pcap', longSpan(300));
  assert.equal(await waitState(page, ['done', 'error'], 120000), 'done');
  await page.waitForSelector('[data-testid="summary"]');
  const warnings = await page.$$eval('[data-testid="summary"] .warning', (ws) => ws.map((w) => w.textContent));
  assert.ok(warnings.some((w) => w.includes('timeline cells') && w.includes('wide instead')), JSON.stringify(warnings));
  assert.ok(await page.$('[data-testid="timeline"]'), 'the timeline is drawn');
  assert.equal(await page.$('[data-testid="error"]'), null);
  assert.deepEqual(errors, []);
  await page.close();
});
