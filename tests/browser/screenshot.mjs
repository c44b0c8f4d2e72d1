// Render the page with the sample capture and save docs/screenshot.png.
// Usage: node tests/browser/screenshot.mjs  (after trunk build --release)
import path from 'node:path';
import { serve, launch, waitState, root } from './harness.mjs';

const out = process.argv[2] || path.join(root, 'docs', 'screenshot.png');
const server = await serve();
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1280 }, deviceScaleFactor: 1 });
  await page.goto(server.url);
  await page.click('[data-testid="sample-button"]');
  await waitState(page, ['done']);
  await page.screenshot({ path: out, fullPage: false });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
