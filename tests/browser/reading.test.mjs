// Reading the page: times keep their precision when bins are finer than a
// second, the port search knows everyday service names, and "nothing found"
// waits for the end of the analysis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, waitState, dropBigSynCapture } from './harness.mjs';

const { server, browser } = suite();

async function openSample() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  await page.click('[data-testid="sample-button"]');
  assert.equal(await waitState(page, ['done']), 'done');
  return page;
}

const canvas = '[data-testid="timeline"]';

test('at bins finer than a second, the tooltip and the table view carry milliseconds', async () => {
  const page = await openSample();
  await page.focus(canvas);
  // Each + keeps the middle 60%: from ten minutes to under a minute.
  for (let i = 0; i < 6; i++) await page.keyboard.press('+');
  await page.waitForFunction((c) => Number(document.querySelector(c).dataset.binWidth) < 1000000, canvas);
  const width = Number(await page.getAttribute(canvas, 'data-bin-width'));
  const box = await page.$eval(canvas, (c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
  await page.mouse.move(box.x + box.w * 0.5, box.y + box.h * 0.5);
  const tip = await page.waitForSelector('[data-testid="tooltip"]');
  const text = await tip.$eval('strong', (s) => s.textContent);
  const m = text.match(/^(\d\d:\d\d:\d\d\.\d{3})–(\d\d:\d\d:\d\d\.\d{3}) UTC$/);
  assert.ok(m, `tooltip "${text}" at ${width} µs bins`);
  assert.notEqual(m[1], m[2], 'the bin\'s two ends read differently');
  const start = Number(await tip.getAttribute('data-bin-start'));
  assert.equal(m[1].slice(-3), String(Math.floor((start % 1000000) / 1000)).padStart(3, '0'));
  await page.click('[data-testid="timeline-table"] summary');
  await page.waitForSelector('[data-testid="timeline-table"][open] tbody tr');
  const cells = await page.$$eval('[data-testid="timeline-table"] tbody tr td:first-child', (tds) => tds.slice(0, 3).map((t) => t.textContent));
  assert.ok(cells.every((c) => /^\d\d:\d\d:\d\d\.\d{3}$/.test(c)), cells.join(', '));
  assert.equal(new Set(cells).size, cells.length);
  await page.close();
});

test('the port search knows everyday service names: smb finds tcp/445', async () => {
  const page = await openSample();
  await page.fill('[data-testid="port-filter"]', 'smb');
  await page.waitForSelector('[data-testid="port-row"][data-port="tcp/445"]');
  const ports = await page.$$eval('[data-testid="port-row"]', (r) => r.map((x) => x.dataset.port));
  assert.ok(ports.length >= 1 && ports.every((p) => ['tcp/445', 'tcp/139'].includes(p)), ports.join(', '));
  // The registered name still works.
  await page.fill('[data-testid="port-filter"]', 'microsoft-ds');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="port-row"]')].map((r) => r.dataset.port).join() === 'tcp/445');
  await page.close();
});

test('no "nothing found" while the capture is still being read', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="drop-zone"]');
  // A 400 MB pcap of one repeated SYN: nothing to find, and long to read.
  await dropBigSynCapture(page);
  // The preview is on the page (its summary and ports) while reading goes on.
  await page.waitForSelector('[data-testid="port-row"][data-port="tcp/445"]');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.state), 'loading');
  assert.ok(!(await page.textContent('body')).includes('No port spikes'), 'no verdict before the end');
  assert.equal(await page.$('[data-testid="findings"]'), null);
  await page.click('[data-testid="cancel"]');
  assert.equal(await waitState(page, ['cancelled']), 'cancelled');
  await page.close();
});
