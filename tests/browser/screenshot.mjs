// Render the page with the sample capture and save the README's pictures:
// docs/screenshot.png (the first view at 1280×800: the answer),
// docs/phone.png (the same first view on a 390×844 phone), docs/detail.png (a finding's detail,
// the timeline zoomed to it at re-read 200 ms bins, with a note on it),
// docs/compare.png (the sample against its first 8 minutes) and
// docs/heatmap.png (every port at once).
// Usage: node tests/browser/screenshot.mjs  (after scripts/build.sh)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { serve, launch, waitState, dropFile, root, cutPcap } from './harness.mjs';

const docs = path.join(root, 'docs');
const server = await serve();
const browser = await launch();
try {
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  await phone.goto(server.url);
  await phone.click('[data-testid="sample-button"]');
  await waitState(phone, ['done']);
  await phone.screenshot({ path: path.join(docs, 'phone.png'), fullPage: false });
  await phone.close();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  await page.goto(server.url);
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  await page.screenshot({ path: path.join(docs, 'screenshot.png'), fullPage: false });
  await page.setViewportSize({ width: 1280, height: 2200 });
  await page.click('[data-testid="spike-row"][data-port="tcp/445"]');
  await page.waitForSelector('[data-testid="zoom-note"][data-fine="true"]');
  await page.click('[data-testid="annotate"]');
  await page.fill('[data-testid="annotation-text"]', 'SMB sweep from three infected hosts: isolate them');
  await page.click('[data-testid="annotation-save"]');
  await page.waitForSelector('[data-testid="annotation"]');
  const detail = await page.$('[data-testid="spike-detail"]');
  await detail.scrollIntoViewIfNeeded();
  const top = (await detail.boundingBox()).y;
  const bottom = await page.$eval('.timeline-panel', (e) => e.getBoundingClientRect().bottom);
  await page.screenshot({
    path: path.join(docs, 'detail.png'),
    clip: { x: 0, y: Math.max(0, top - 8), width: 1280, height: Math.min(2200, bottom - top + 16) },
  });
  // Every port at once, on a busy generated capture (1,500 ports, 40 findings).
  const tmpBusy = path.join(os.tmpdir(), 'portspike-shot-busy.pcap');
  execFileSync(path.join(root, 'target', 'debug', 'portspike'), ['synth', '--scenario', 'busy', '-o', tmpBusy], { stdio: 'ignore' });
  const busy = await browser.newPage({ viewport: { width: 1280, height: 1600 }, deviceScaleFactor: 1 });
  await busy.goto(server.url);
  await busy.waitForSelector('[data-testid="drop-zone"]');
  await dropFile(busy, 'busy.pcap', fs.readFileSync(tmpBusy));
  await waitState(busy, ['done']);
  const heat = await busy.$('.heatmap-panel');
  await heat.scrollIntoViewIfNeeded();
  await heat.screenshot({ path: path.join(docs, 'heatmap.png') });
  await busy.close();
  fs.rmSync(tmpBusy, { force: true });

  // The sample against its own first 8 minutes (before the sweep).
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'portspike-shot-'));
  const base = path.join(tmp, 'before-the-sweep.pcap');
  fs.writeFileSync(base, cutPcap(fs.readFileSync(path.join(root, 'static', 'sample.pcap')), 8 * 60));
  await page.setInputFiles('[data-testid="compare-input"]', base);
  await page.waitForSelector('[data-testid="diff-row"]');
  await page.click('[data-testid="diff-row"][data-port="tcp/445"]');
  await page.waitForSelector('[data-testid="timeline"][data-baseline="tcp/445"]');
  const diff = await page.$('[data-testid="diff"]');
  await diff.scrollIntoViewIfNeeded();
  const dtop = (await diff.boundingBox()).y;
  const dbottom = await page.$eval('.timeline-panel .plot', (e) => e.getBoundingClientRect().bottom);
  await page.screenshot({
    path: path.join(docs, 'compare.png'),
    clip: { x: 0, y: Math.max(0, dtop - 8), width: 1280, height: Math.min(2200, dbottom - dtop + 16) },
  });
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`wrote ${docs}/screenshot.png, phone.png, detail.png, heatmap.png and compare.png`);
} finally {
  await browser.close();
  await server.close();
}
