// Heatmap redraw benchmark (a measurement, not a test): a report of 200 ports
// × 2,000 bins, opened in the page from a result link, redrawn 40 times by
// zooming the shared view in and out; prints one JSON line with the draw
// times read from the heatmap's data-draw-ms.
//   node viewbench.mjs REPORT.json
import fs from 'node:fs';
import zlib from 'node:zlib';
import { serve, launch } from './harness.mjs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node viewbench.mjs REPORT.json');
  process.exit(2);
}
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const value = zlib.deflateRawSync(JSON.stringify(report), { level: 9 }).toString('base64url');
const series = report.ports.filter((p) => p.series);
const bins = series[0]?.series.packets.length ?? 0;

const server = await serve();
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.url}#result=${value}`);
  await page.waitForSelector('[data-testid="heatmap"][data-draw-ms]', { timeout: 120000 });
  const rows = (await page.getAttribute('[data-testid="heatmap"]', 'data-ports')).split(',').length;
  const ms = await page.evaluate(async () => {
    const timeline = document.querySelector('[data-testid="timeline"]');
    const heat = document.querySelector('[data-testid="heatmap"]');
    const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const out = [];
    for (let i = 0; i < 40; i++) {
      heat.removeAttribute('data-draw-ms');
      timeline.dispatchEvent(new KeyboardEvent('keydown', { key: i % 8 < 4 ? '+' : '-', bubbles: true }));
      for (let k = 0; k < 50 && !heat.dataset.drawMs; k++) await frame();
      out.push(Number(heat.dataset.drawMs));
    }
    return out;
  });
  console.log(JSON.stringify({ file: file.split('/').pop(), rows, bins, ms }));
} finally {
  await browser.close();
  await server.close();
}
