// The numbers on a finding are the ones the CLI reports (each the count its
// own Wireshark filter selects): the page shows its findings at once, says
// its figures are estimates until the evidence pass has counted them, then
// shows exactly the CLI's, for a plain capture and for the same gzipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { suite, dropFile, waitState, root, cli } from './harness.mjs';

const sample = path.join(root, 'static', 'sample.pcap');
const { server, browser } = suite();

function cliReport(file) {
  return JSON.parse(execFileSync(cli, ['analyze', file, '--json', '--no-hash', '-q'], { maxBuffer: 1 << 28 }).toString());
}

/** Drop `bytes` as `name`; wait until the findings are counted exactly. */
async function analysed(name, bytes) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="drop-zone"]');
  await dropFile(page, name, bytes);
  assert.equal(await waitState(page, ['done', 'error']), 'done');
  await page.waitForSelector('html[data-evidence="exact"]', { state: 'attached', timeout: 60000 });
  return page;
}

/** What the open finding's detail says. */
async function detail(page) {
  return page.$eval('[data-testid="spike-detail"]', (d) => ({
    talkers: [...d.querySelectorAll('[data-testid="talker"]')].map((t) => [t.dataset.addr, Number(t.dataset.packets), t.title]),
    spread: d.querySelector('[data-testid="finding-spread"]').textContent,
    packets: d.querySelector('[data-testid="finding-packets"]').textContent,
    state: d.querySelector('[data-testid="evidence-state"]').dataset.exact,
  }));
}

async function sameAsCli(page, expected) {
  const rows = await page.$$eval('[data-testid="spike-row"]', (r) => r.map((x) => x.dataset.port));
  assert.ok(rows.length > 0, 'findings listed');
  for (const port of rows) {
    const sp = expected.spikes.find((s) => `${s.proto}/${s.port}` === port);
    await page.click(`[data-testid="spike-row"][data-port="${port}"]`);
    await page.waitForSelector('[data-testid="spike-detail"]');
    const d = await detail(page);
    assert.equal(d.state, 'true', 'the page says its numbers are counts');
    const listed = [...sp.top_sources, ...sp.top_destinations].map((t) => [t.addr, t.packets, t.wireshark_filter]);
    assert.deepEqual(d.talkers, listed, `${port}: talkers, counts and filters`);
    const [from, to] = { reflection: ['reflectors', 'victims'], flood: ['sources', 'victims'] }[sp.kind] ?? ['sources', 'destinations'];
    assert.equal(d.spread, `${sp.sources} ${from} → ${sp.destinations} ${to}`);
    assert.match(d.packets, new RegExp(`^${sp.packets} packets`));
  }
  // Scanners: targets, ports and outcomes as the CLI counts them.
  for (const sc of expected.scanners.slice(0, 3)) {
    await page.click(`[data-testid="scanner-row"][data-source="${sc.source}"]`);
    await page.waitForSelector(`[data-testid="scanner-detail"][data-source="${sc.source}"]`);
    const text = await page.textContent('[data-testid="scanner-detail"]');
    assert.ok(text.includes(`Targets (${sc.targets})`), `${sc.source}: targets ${sc.targets}`);
    assert.ok(text.includes(`Ports (${sc.ports})`), `${sc.source}: ports ${sc.ports}`);
    assert.equal(await page.textContent('[data-testid="scanner-outcomes"]'),
      `${sc.attempts} first contacts: ${sc.answered} answered, ${sc.failures} failed`);
  }
}

test('each finding shows the counts the CLI reports, talkers with their own filters', async () => {
  const expected = cliReport(sample);
  assert.equal(expected.evidence.exact, true);
  const page = await analysed('sample.pcap', fs.readFileSync(sample));
  await sameAsCli(page, expected);
  // The export is the CLI's report (the same exact numbers).
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-json"]')]);
  const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.deepEqual(exported.spikes, expected.spikes);
  assert.deepEqual(exported.scanners, expected.scanners);
  await page.close();
});

test('a gzipped capture is counted too (read again from its start)', async () => {
  const expected = cliReport(sample);
  const page = await analysed('sample.pcap.gz', zlib.gzipSync(fs.readFileSync(sample)));
  await sameAsCli(page, expected);
  await page.close();
});

test('a reflection names its reflectors as sources and its victim as the destination', async () => {
  const file = path.join(root, '..', 'shared', 'captures', 'stopddos__amp.TCP.reflection.SYNACK.pcap');
  const expected = cliReport(file);
  const page = await analysed(path.basename(file), fs.readFileSync(file));
  const rows = await page.$$eval('[data-testid="spike-row"]', (r) => r.map((x) => [x.dataset.port, x.dataset.kind]));
  // Two reflected services onto the one victim: tcp/80 (5,890 SYN-ACKs) and tcp/443 (760).
  assert.deepEqual(rows, [['tcp/80', 'reflection'], ['tcp/443', 'reflection']]);
  assert.deepEqual(expected.spikes.map((s) => s.incident), [1, 1], 'one incident');
  await sameAsCli(page, expected);
  // The larger vector's detail.
  await page.click('[data-testid="spike-row"][data-port="tcp/80"]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="spike-detail"] h3')]
    .some((h) => h.textContent.includes('from tcp/80')));
  const heads = await page.$$eval('[data-testid="spike-detail"] h3', (h) => h.map((x) => x.textContent));
  assert.ok(heads.includes('Top reflectors (packets from tcp/80 in this window)'), heads.join(' | '));
  assert.ok(heads.includes('Top victims (packets from tcp/80 in this window)'), heads.join(' | '));
  const role = (r) => page.$$eval(`[data-testid="spike-detail"] ol[data-role="${r}"] [data-testid="talker"]`, (t) => t.map((x) => x.dataset.addr));
  const [reflectors, victims] = [await role('reflectors'), await role('victims')];
  const sp = expected.spikes[0];
  assert.equal(sp.top_destinations[0].addr, '10.10.10.10');
  assert.deepEqual(victims, sp.top_destinations.map((t) => t.addr));
  assert.deepEqual(reflectors, sp.top_sources.map((t) => t.addr));
  assert.ok(!reflectors.includes('10.10.10.10'), 'the victim is not a reflector');
  assert.equal(victims[0], '10.10.10.10');
  // The fingerprint export: a vector per reflected service, with the counts.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-fingerprint"]')]);
  const fp = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  const byPort = (a, b) => a[1] - b[1];
  assert.deepEqual(fp.attack_vectors.map((v) => [v.protocol, v.source_port, v.nr_packets]).sort(byPort),
    expected.spikes.map((s) => ['TCP', s.port, s.packets]).sort(byPort));
  assert.equal(fp.total_packets, expected.spikes.reduce((n, s) => n + s.packets, 0));
  await page.close();
});

test('ICMP and other protocols get rows of their own, with their counts', async () => {
  const file = path.join(root, '..', 'shared', 'captures', 'pcapplusplus__IcmpPackets.pcap');
  const expected = cliReport(file);
  const page = await analysed(path.basename(file), fs.readFileSync(file));
  await page.selectOption('[data-testid="proto-filter"]', 'icmp');
  const rows = await page.$$eval('[data-testid="port-row"]', (r) => r.map((x) => x.dataset.port));
  const icmp = expected.ports.filter((p) => p.proto === 'icmp').map((p) => `icmp/${p.port}`);
  assert.ok(icmp.includes('icmp/8'), icmp.join(' '));
  assert.deepEqual(rows.slice().sort(), icmp.slice().sort());
  // Every packet is in a row: the summary says how many are not.
  assert.equal(expected.capture.no_row.packets, 0);
  assert.equal(await page.getAttribute('[data-testid="summary"] [data-field="no-row"]', 'data-packets'), '0');
  await page.close();
});
