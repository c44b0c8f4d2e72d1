// Notes: an analyst's note on a range of the timeline survives a view link,
// a result link (no capture) and Export JSON, and exports as CSV; a pcapng's
// own comments are shown as notes from the capture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { suite, dropFile, waitState, root, captures } from './harness.mjs';

const { server, browser } = suite({ needs: ['dist'] });

const notes = (page) => page.$$eval('[data-testid="annotation"]', (ls) => ls.map((l) => ({
  t0: Number(l.dataset.t0), t1: Number(l.dataset.t1), source: l.dataset.source, text: l.querySelector('.long').textContent,
})));

test('a note on the sweep survives a view link, a result link and Export JSON', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const foreign = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(server.origin) && !u.startsWith('blob:') && !u.startsWith('data:')) foreign.push(u);
  });
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="drop-zone"]');
  const sample = fs.readFileSync(path.join(root, 'static', 'sample.pcap'));
  await dropFile(page, 'sample.pcap', sample);
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  // The strongest finding (the sweep) zooms the timeline to it; note that range.
  await page.click('[data-testid="spike-row"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="reset-zoom"]')?.disabled === false);
  const t0 = Number(await page.getAttribute('[data-testid="timeline"]', 'data-t0'));
  const t1 = Number(await page.getAttribute('[data-testid="timeline"]', 'data-t1'));
  await page.click('[data-testid="annotate"]');
  const text = 'SMB sweep from the three infected hosts, ticket #4521 & "escalated"';
  await page.fill('[data-testid="annotation-text"]', text);
  await page.click('[data-testid="annotation-save"]');
  await page.waitForSelector('[data-testid="annotation"]');
  assert.deepEqual(await notes(page), [{ t0, t1, source: 'analyst', text }]);
  // The heatmap marks it too, over the same range.
  const marked = await page.$$eval('[data-testid="heatmap-note"]', (ms) => ms.map((m) => [Number(m.dataset.t0), Number(m.dataset.t1)]));
  assert.deepEqual(marked, [[t0, t1]]);

  // Export JSON carries it beside the capture's own (none in a pcap).
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-json"]')]);
  const report = JSON.parse(fs.readFileSync(await json.path(), 'utf8'));
  assert.deepEqual(report.annotations, [{ start_ts: t0, end_ts: t1, text, source: 'analyst' }]);
  // And the notes CSV, a file of its own.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv-annotations"]')]);
  const lines = fs.readFileSync(await csv.path(), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'start_ts,end_ts,start,end,source,text');
  assert.ok(lines[1].startsWith(`${t0},${t1},`) && lines[1].includes('analyst'), lines[1]);

  // A view link: the capture dropped again, the note is back.
  // Once the capture is hashed, the view link names it beside the note.
  await page.waitForSelector('[data-testid="share-result"]', { timeout: 30000 });
  const viewLink = await page.$eval('[data-testid="share-link"]', (a) => a.href);
  const resultLink = await page.$eval('[data-testid="share-result"]', (a) => a.href);
  assert.ok(viewLink.includes('note=') && /[#&]sha256=[0-9a-f]{64}/.test(viewLink), viewLink);
  const p2 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await p2.goto(viewLink);
  await p2.waitForSelector('[data-testid="drop-zone"]');
  await dropFile(p2, 'sample.pcap', sample);
  assert.equal(await waitState(p2, ['done', 'error']), 'done');
  // Attached once the capture is hashed and found to be the link's.
  await p2.waitForSelector('[data-testid="annotation"]', { timeout: 30000 });
  assert.deepEqual(await notes(p2), [{ t0, t1, source: 'analyst', text }]);
  assert.equal(await p2.$('[data-testid="view-link-mismatch"]'), null);
  // A result link: no capture at all, the note is there.
  const p3 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await p3.goto(resultLink);
  await p3.waitForSelector('[data-testid="shared-note"]');
  await p3.waitForSelector('[data-testid="annotation"]');
  assert.deepEqual(await notes(p3), [{ t0, t1, source: 'analyst', text }]);
  // Removed, it is gone from the page and the view link.
  await page.click('[data-testid="annotation-remove"]');
  await page.waitForSelector('[data-testid="annotation"]', { state: 'detached' });
  assert.ok(!(await page.$eval('[data-testid="share-link"]', (a) => a.href)).includes('note='));
  assert.deepEqual(foreign, [], 'no request leaves the page origin');
  await Promise.all([page.close(), p2.close(), p3.close()]);
});

test("a pcapng's own comments are notes from the capture", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="drop-zone"]');
  const name = 'pcapplusplus__pcapng-example.pcapng';
  await dropFile(page, name, fs.readFileSync(path.join(captures, name)));
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  const shown = await notes(page);
  // 100 packet comments and the section's (as the CLI lists them).
  assert.equal(shown.length, 101);
  assert.ok(shown.every((n) => n.source === 'capture'));
  assert.ok(shown.some((n) => n.text.startsWith('CLIENT_RANDOM')), 'the section comment');
  assert.ok(shown.some((n) => n.text.startsWith('Packet #') && n.t0 === n.t1), 'a packet comment at its packet');
  await page.close();
});
