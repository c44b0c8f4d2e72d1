// Render the page with the sample capture and save the README's pictures:
// docs/screenshot.png (the answer) and docs/detail.png (a finding's detail,
// the timeline zoomed to it at re-read 200 ms bins).
// Usage: node tests/browser/screenshot.mjs  (after scripts/build.sh)
import path from 'node:path';
import { serve, launch, waitState, root } from './harness.mjs';

const docs = path.join(root, 'docs');
const server = await serve();
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1280 }, deviceScaleFactor: 1 });
  await page.goto(server.url);
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  await page.screenshot({ path: path.join(docs, 'screenshot.png'), fullPage: false });
  await page.setViewportSize({ width: 1280, height: 2200 });
  await page.click('[data-testid="spike-row"][data-port="tcp/445"]');
  await page.waitForSelector('[data-testid="zoom-note"][data-fine="true"]');
  const detail = await page.$('[data-testid="spike-detail"]');
  await detail.scrollIntoViewIfNeeded();
  const top = (await detail.boundingBox()).y;
  const bottom = await page.$eval('.timeline-panel', (e) => e.getBoundingClientRect().bottom);
  await page.screenshot({
    path: path.join(docs, 'detail.png'),
    clip: { x: 0, y: Math.max(0, top - 8), width: 1280, height: Math.min(2200, bottom - top + 16) },
  });
  console.log(`wrote ${docs}/screenshot.png and ${docs}/detail.png`);
} finally {
  await browser.close();
  await server.close();
}
