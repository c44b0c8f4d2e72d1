// The first view in plain words, driven by the keyboard: after an analysis
// focus is on the first finding, j / k walk the findings and the scanners as
// one list, Escape cancels a read, and Tab stops only on what can be seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { suite, dropFile, waitState, root, dropBigSynCapture, cli } from './harness.mjs';

const { server, browser } = suite({ needs: ['dist', 'cli'] });
const SAMPLE = path.join(root, 'static', 'sample.pcap');

async function sample(viewport = { width: 1280, height: 900 }) {
  const page = await browser.newPage({ viewport });
  await page.goto(server.url);
  await dropFile(page, 'sample.pcap', fs.readFileSync(SAMPLE));
  assert.equal(await waitState(page, ['done']), 'done');
  return page;
}

/** What has the focus: a finding's port, a scanner's source, or a test id. */
const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return a?.dataset?.testid === 'scanner-row' ? `scanner ${a.dataset.source}`
    : a?.dataset?.testid === 'spike-row' ? `finding ${a.dataset.port}`
      : a?.dataset?.testid ?? a?.tagName;
});

/** What is open in detail. */
const open = (page) => page.evaluate(() => {
  const sc = document.querySelector('[data-testid="scanner-detail"]');
  if (sc) return `scanner ${sc.dataset.source}`;
  const sp = document.querySelector('[data-testid="spike-row"].selected');
  return sp && document.querySelector('[data-testid="spike-detail"]') ? `finding ${sp.dataset.port}` : null;
});

test('after an analysis focus is on the first finding; j / k walk findings and scanners as one list', async () => {
  const expected = JSON.parse(execFileSync(cli, ['analyze', SAMPLE, '--json'], { maxBuffer: 1 << 26 }).toString());
  const page = await sample();
  assert.equal(await focused(page), 'finding tcp/445');
  // The listing's order: attack findings, then the scanners, then surges.
  const list = [
    ...expected.spikes.filter((s) => s.kind !== 'surge').map((s) => `finding ${s.proto}/${s.port}`),
    ...expected.scanners.map((s) => `scanner ${s.source}`),
    ...expected.spikes.filter((s) => s.kind === 'surge').map((s) => `finding ${s.proto}/${s.port}`),
  ];
  assert.equal(list.length, 4, JSON.stringify(list));
  const walked = [];
  for (let i = 0; i < list.length + 1; i++) {
    await page.keyboard.press('j');
    await page.waitForFunction((want) => {
      const sc = document.querySelector('[data-testid="scanner-detail"]');
      const sp = document.querySelector('[data-testid="spike-row"].selected');
      const now = sc ? `scanner ${sc.dataset.source}` : sp && document.querySelector('[data-testid="spike-detail"]') ? `finding ${sp.dataset.port}` : null;
      return now === want;
    }, list[i % list.length]);
    walked.push(await open(page));
    // Focus follows (once the selection is drawn), so Enter and Tab go on from there.
    await page.waitForFunction((want) => {
      const a = document.activeElement;
      const now = a?.dataset?.testid === 'scanner-row' ? `scanner ${a.dataset.source}`
        : a?.dataset?.testid === 'spike-row' ? `finding ${a.dataset.port}` : null;
      return now === want;
    }, list[i % list.length], { timeout: 2000 }).catch(() => {});
    assert.equal(await focused(page), list[i % list.length]);
  }
  assert.deepEqual(walked, [...list, list[0]]);
  await page.keyboard.press('k');
  await page.waitForFunction((want) => document.querySelector('[data-testid="scanner-detail"]')?.dataset.source === want,
    expected.scanners.at(-1).source);
  await page.keyboard.press('k');
  await page.waitForFunction((want) => document.querySelector('[data-testid="scanner-detail"]')?.dataset.source === want,
    expected.scanners.at(-2).source);
  await page.close();
});

test('Escape cancels a read in progress', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  await page.waitForSelector('html[data-drop="ready"]', { state: 'attached' });
  await dropBigSynCapture(page);
  await page.waitForFunction(() => /[1-9]\d* packets/.test(document.querySelector('[data-testid="progress"]')?.textContent || ''));
  await page.keyboard.press('Escape');
  assert.equal(await waitState(page, ['cancelled', 'done']), 'cancelled');
  assert.match(await page.textContent('[data-testid="partial"]'), /^Partial: /);
  // The headline says it covers only the part read.
  assert.match(await page.textContent('[data-testid="headline"]'), /part read/);
  await page.close();
});

/** Tab through the page from its top; every stop's box, or why it is not visible. */
async function tabStops(page) {
  await page.evaluate(() => window.scrollTo(0, 0));
  // Tab from the top of the page.
  await page.click('h1');
  const stops = [];
  for (let i = 0; i < 150; i++) {
    await page.keyboard.press('Tab');
    const s = await page.evaluate(() => {
      const a = document.activeElement;
      if (!a || a === document.body) return null;
      if (a.__seen) return { again: true };
      a.__seen = true;
      const r = a.getBoundingClientRect();
      let hidden = null;
      for (let e = a; e; e = e.parentElement) {
        const st = getComputedStyle(e);
        if (st.visibility === 'hidden' || st.display === 'none' || Number(st.opacity) === 0) { hidden = `${e.tagName}.${e.className} is not shown`; break; }
      }
      if (r.width < 8 || r.height < 8) hidden = `${Math.round(r.width)}×${Math.round(r.height)} px`;
      const id = a.dataset.testid ?? `${a.tagName.toLowerCase()}${a.className ? `.${a.className}` : ''}:${(a.textContent || a.getAttribute('aria-label') || '').trim().slice(0, 24)}`;
      return { id, hidden };
    });
    if (!s || s.again) break;
    stops.push(s);
  }
  return stops;
}

for (const width of [1280, 390]) {
  test(`at ${width} px every Tab stop can be seen, before and after an analysis`, async () => {
    const page = await browser.newPage({ viewport: { width, height: 844 } });
    await page.goto(server.url);
    await page.waitForSelector('html[data-drop="ready"]', { state: 'attached' });
    let stops = await tabStops(page);
    assert.ok(stops.some((s) => s.id.startsWith('label.button')), `the file chooser is a stop: ${stops.map((s) => s.id)}`);
    assert.deepEqual(stops.filter((s) => s.hidden || /file-input|compare-input/.test(s.id)), [], 'before');
    await page.close();
    const done = await sample({ width, height: 844 });
    stops = await tabStops(done);
    assert.ok(stops.some((s) => s.id === 'headline-item'), stops.map((s) => s.id).join(' '));
    assert.ok(stops.some((s) => s.id === 'scanner-row'), `scanner rows are stops: ${stops.map((s) => s.id).join(' ')}`);
    assert.deepEqual(stops.filter((s) => s.hidden || /file-input|compare-input/.test(s.id)), [], 'after');
    await done.close();
  });
}

test('the first view speaks plainly; the technical terms stay in hover text', async () => {
  const page = await sample();
  const first = await page.evaluate(() => ['headline', 'findings', 'summary']
    .map((t) => document.querySelector(`[data-testid="${t}"]`).innerText).join('\n'));
  for (const jargon of [/\btrw\b/i, /first contacts/, /rhythm/, /by threshold/, /memory bound/, /\(threshold\)/]) {
    assert.doesNotMatch(first, jargon);
  }
  const title = await page.getAttribute('[data-testid="scanner-row"] [data-testid="scanner-caught"]', 'title');
  assert.match(title, /TRW/);
  assert.match(title, /first contacts/);
  await page.close();
});
