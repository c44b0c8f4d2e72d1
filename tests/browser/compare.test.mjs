// Compare: the sample against a baseline cut from its own first 8 minutes
// (before the sweep). The diff ranks tcp/445 first, its timeline draws both
// captures, the page's diff equals the CLI's, and nothing leaves the origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { suite, dropFile, waitState, root, cutPcap, captures, cli } from './harness.mjs';

const { server, browser } = suite({ needs: ['dist', 'cli'] });
const sample = path.join(root, 'static', 'sample.pcap');

test('the sample against its first 8 minutes: tcp/445 grew, drawn over its baseline, as the CLI says', async () => {
  const full = fs.readFileSync(sample);
  const base = cutPcap(full, 8 * 60);
  assert.ok(base.length > 24 && base.length < full.length, 'the baseline is a proper part of the sample');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portspike-compare-'));
  const basePath = path.join(dir, 'before.pcap');
  fs.writeFileSync(basePath, base);

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const foreign = [];
  const errors = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(server.origin) && !u.startsWith('blob:') && !u.startsWith('data:')) foreign.push(u);
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="drop-zone"]');
  await dropFile(page, 'sample.pcap', full);
  assert.equal(await waitState(page, ['done', 'error']), 'done');

  // "Compare with a baseline…", then the baseline through its file input.
  await page.click('[data-testid="compare-button"]');
  await page.waitForSelector('[data-testid="compare-armed"]');
  await page.setInputFiles('[data-testid="compare-input"]', basePath);
  await page.waitForSelector('[data-testid="diff-row"]', { timeout: 60000 });
  const rows = await page.$$eval('[data-testid="diff-row"]', (rs) => rs.map((r) => ({ port: r.dataset.port, change: r.dataset.change })));
  assert.equal(rows[0].port, 'tcp/445', `tcp/445 first: ${JSON.stringify(rows.slice(0, 5))}`);
  assert.ok(['grew', 'new'].includes(rows[0].change), rows[0].change);

  // The same ranking as the CLI's diff of the same pair.
  const cliDiff = JSON.parse(execFileSync(cli, ['diff', basePath, sample, '--json'], { maxBuffer: 1 << 26 }).toString());
  assert.deepEqual(rows.map((r) => `${r.port} ${r.change}`),
    cliDiff.ports.slice(0, rows.length).map((p) => `${p.proto}/${p.port} ${p.change}`));

  // Its Export JSON is the diff the CLI writes (files named as dropped),
  // once both captures' findings are counted exactly.
  await page.waitForSelector('html[data-evidence="exact"][data-compare-evidence="exact"]', { state: 'attached' });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-diff-json"]')]);
  const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.equal(exported.schema, 'portspike.diff/1');
  assert.deepEqual(exported.ports, cliDiff.ports);
  assert.deepEqual(exported.new_sources, cliDiff.new_sources);
  assert.deepEqual(exported.new_findings.map((f) => `${f.kind} ${f.proto}/${f.port}`),
    cliDiff.new_findings.map((f) => `${f.kind} ${f.proto}/${f.port}`));

  // A row opens the port's timeline with the baseline drawn beneath it.
  await page.click('[data-testid="diff-row"][data-port="tcp/445"]');
  await page.waitForSelector('[data-testid="timeline"][data-baseline="tcp/445"]');
  assert.equal(await page.getAttribute('[data-testid="timeline"]', 'data-ports'), 'tcp/445');

  // Aligned at their starts: the baseline's ink sits under the incident's first 8 minutes.
  await page.click('[data-testid="diff-align"]');
  assert.equal(await page.isChecked('[data-testid="diff-align"]'), true);

  // The result link carries the comparison: opened elsewhere, without
  // either capture, the same changes are listed.
  await page.waitForFunction(() => /[#&]diff=/.test(document.querySelector('[data-testid="share-result"]')?.href || ''), null, { timeout: 30000 });
  const resultLink = await page.$eval('[data-testid="share-result"]', (a) => a.href);
  const shared = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const fetched = [];
  shared.on('request', (r) => fetched.push(r.url()));
  await shared.goto(resultLink);
  await shared.waitForSelector('[data-testid="diff-row"]');
  const sharedRows = await shared.$$eval('[data-testid="diff-row"]', (rs) => rs.map((r) => `${r.dataset.port} ${r.dataset.change}`));
  assert.deepEqual(sharedRows, rows.map((r) => `${r.port} ${r.change}`));
  assert.ok(!fetched.some((u) => u.endsWith('.pcap')), 'no capture was fetched');
  await shared.close();
  // So does the view link: the changes are listed with the capture once it
  // is dropped again.
  const viewLink = await page.$eval('[data-testid="share-link"]', (a) => a.href);
  assert.ok(/[#&]diff=/.test(viewLink) && /[#&]sha256=[0-9a-f]{64}/.test(viewLink), viewLink);
  const viewed = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await viewed.goto(viewLink);
  await viewed.waitForSelector('[data-testid="drop-zone"]');
  await dropFile(viewed, 'sample.pcap', full);
  assert.equal(await waitState(viewed, ['done', 'error']), 'done');
  // Attached once the capture is hashed and found to be the link's.
  await viewed.waitForSelector('[data-testid="diff-row"]', { timeout: 30000 });
  assert.deepEqual(await viewed.$$eval('[data-testid="diff-row"]', (rs) => rs.map((r) => `${r.dataset.port} ${r.dataset.change}`)),
    rows.map((r) => `${r.port} ${r.change}`));
  await viewed.close();

  // The sample against itself: nothing changed.
  await page.setInputFiles('[data-testid="compare-input"]', sample);
  await page.waitForSelector('[data-testid="diff-none"]', { timeout: 60000 });
  assert.equal(await page.$$eval('[data-testid="diff-row"]', (r) => r.length), 0);

  await page.click('[data-testid="compare-clear"]');
  await page.waitForSelector('[data-testid="diff"]', { state: 'detached' });
  assert.deepEqual(foreign, [], 'no request leaves the page origin');
  assert.deepEqual(errors, []);
  await page.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('before / after a moment: the sample split at 8 minutes, as the CLI compares its two parts', async () => {
  const full = fs.readFileSync(sample);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portspike-split-'));
  const before = path.join(dir, 'before.pcap');
  const afterPath = path.join(dir, 'after.pcap');
  fs.writeFileSync(before, cutPcap(full, 8 * 60));
  fs.writeFileSync(afterPath, cutPcap(full, 8 * 60, true));
  const cliDiff = JSON.parse(execFileSync(cli, ['diff', before, afterPath, '--json'], { maxBuffer: 1 << 26 }).toString());
  const first = JSON.parse(execFileSync(cli, ['analyze', sample, '--json', '--no-hash'], { maxBuffer: 1 << 26 }).toString()).capture.first_ts;
  const at = (Math.floor(first / 1e6) + 8 * 60) * 1e6;

  // A view link zoomed from that moment: "Before / after" splits there.
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.url}#t0=${at}&t1=${at + 120e6}`);
  await page.waitForSelector('[data-testid="drop-zone"]');
  await dropFile(page, 'sample.pcap', full);
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  assert.equal(Number(await page.getAttribute('[data-testid="timeline"]', 'data-t0')), at);
  await page.click('[data-testid="compare-split"]');
  await page.waitForSelector('[data-testid="diff-row"]', { timeout: 60000 });
  const rows = await page.$$eval('[data-testid="diff-row"]', (rs) => rs.map((r) => `${r.dataset.port} ${r.dataset.change}`));
  assert.equal(rows[0].split(' ')[0], 'tcp/445');
  assert.deepEqual(rows, cliDiff.ports.slice(0, rows.length).map((p) => `${p.proto}/${p.port} ${p.change}`));
  // A new capture ends the split.
  await dropFile(page, 'sample.pcap', full);
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  assert.equal(await page.$('[data-testid="diff"]'), null);
  await page.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a baseline not read whole is refused, saying why; a fit one with warnings shows them above the diff', async () => {
  const full = fs.readFileSync(sample);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="drop-zone"]');
  await dropFile(page, 'sample.pcap', full);
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  const give = async (name, bytes) => {
    await page.click('[data-testid="compare-button"]');
    await page.waitForSelector('[data-testid="compare-armed"]');
    await page.setInputFiles('[data-testid="compare-input"]', { name, mimeType: 'application/octet-stream', buffer: bytes });
  };

  // The sample's first 8 minutes with its last record cut short: refused,
  // naming the file and where reading stopped; no diff, nothing to export.
  const cut = cutPcap(full, 8 * 60);
  await give('cut-short.pcap', cut.subarray(0, cut.length - 7));
  await page.waitForSelector('[data-testid="compare-refused"]', { timeout: 60000 });
  const refused = await page.textContent('[data-testid="compare-refused"]');
  assert.ok(refused.includes('cut-short.pcap'), refused);
  assert.ok(refused.includes('could not be read to its end') && refused.includes('at byte'), refused);
  assert.equal(await page.$('[data-testid="diff-row"]'), null);
  assert.equal(await page.$('[data-testid="diff-none"]'), null);
  assert.equal(await page.$('[data-testid="export-diff-json"]'), null);
  // Neither link carries a comparison.
  assert.ok(!/[#&]diff=/.test(await page.$eval('[data-testid="share-link"]', (a) => a.href)));
  assert.equal(await page.getAttribute('[data-testid="timeline"]', 'data-baseline'), null);

  // A capture none of whose packets decode (a link type not read here): refused too.
  const odd = 'pcapplusplus__microsecs_big_endian.pcap';
  await give(odd, fs.readFileSync(path.join(captures, odd)));
  await page.waitForFunction((n) => document.querySelector('[data-testid="compare-refused"]')?.textContent.includes(n), odd, { timeout: 60000 });
  assert.ok((await page.textContent('[data-testid="compare-refused"]')).includes('could be decoded'));

  // A whole capture with a warning (one direction only): compared, the
  // warning above the diff on one line.
  const scan = 'markofu-pcaps__portscan.pcap';
  await give(scan, fs.readFileSync(path.join(captures, scan)));
  await page.waitForSelector('[data-testid="diff-row"]', { timeout: 60000 });
  assert.equal(await page.$('[data-testid="compare-refused"]'), null);
  const problems = await page.textContent('[data-testid="compare-baseline-problems"]');
  assert.ok(problems.includes(scan), problems);
  const cli = JSON.parse(execFileSync(path.join(root, 'target', 'debug', 'portspike'),
    ['analyze', path.join(captures, scan), '--json', '--no-hash'], { maxBuffer: 1 << 26 }).toString());
  assert.equal(cli.capture.warnings.length, 1);
  assert.ok(problems.includes(cli.capture.warnings[0].message.split('\n')[0].slice(0, 100)), problems);
  // The diff comes after the problems.
  const order = await page.evaluate(() => {
    const p = document.querySelector('[data-testid="compare-baseline-problems"]');
    const r = document.querySelector('[data-testid="diff-row"]');
    return p.compareDocumentPosition(r) & Node.DOCUMENT_POSITION_FOLLOWING;
  });
  assert.ok(order, 'problems above the diff');
  assert.deepEqual(errors, []);
  await page.close();
});
