// The timeline's labels never overlap, at a desktop's width and a phone's,
// on the whole capture and zoomed in to millisecond labels: the chart
// records every text it draws (`data-text-boxes`, CSS pixels), and no two
// boxes on one row may share a pixel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, openAnalysed } from './harness.mjs';

const { server, browser } = suite();

const canvas = '[data-testid="timeline"]';

/** Boxes of one row (tops within 3 px) whose horizontal extents meet. */
function overlaps(boxes) {
  const bad = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [ax, ay, aw] = boxes[i];
      const [bx, by, bw] = boxes[j];
      if (Math.abs(ay - by) <= 3 && ax < bx + bw && bx < ax + aw) bad.push([boxes[i][4], boxes[j][4]]);
    }
  }
  return bad;
}

async function labels(page) {
  await page.waitForSelector(`${canvas}[data-text-boxes]`);
  return JSON.parse(await page.getAttribute(canvas, 'data-text-boxes'));
}

for (const [w, h] of [[1280, 800], [390, 844]]) {
  for (const file of ['sample', 'markofu-pcaps__TCP_SYN_SCAN.pcap']) {
    test(`at ${w} px the timeline's labels of ${file} do not overlap, whole and zoomed in`, async () => {
      const page = await openAnalysed(browser, server.url, w, h, file);
      const whole = await labels(page);
      const times = whole.filter((b) => /^\d\d:\d\d:\d\d/.test(b[4]));
      assert.ok(times.length >= 2, `time labels drawn: ${JSON.stringify(times.map((b) => b[4]))}`);
      assert.deepEqual(overlaps(whole), [], `overlapping labels at ${w} px`);
      // Zoomed in until the labels carry milliseconds (longer text).
      await page.focus(canvas);
      for (let i = 0; i < 20; i++) await page.keyboard.press('+');
      await page.waitForFunction((sel) => {
        const b = JSON.parse(document.querySelector(sel).dataset.textBoxes || '[]');
        return b.some((x) => /^\d\d:\d\d:\d\d\.\d{3}/.test(x[4]));
      }, canvas);
      const zoomed = await labels(page);
      assert.deepEqual(overlaps(zoomed), [], `overlapping labels zoomed in at ${w} px`);
      await page.close();
    });
  }
}
