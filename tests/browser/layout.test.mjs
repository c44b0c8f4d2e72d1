// The page's layout holds on a desktop and on a phone: the document never
// scrolls sideways, no two pieces of text overlap, and no text runs out of its
// box (a long value is either wrapped or cut with an ellipsis and shown whole
// on hover). Checked on the bundled sample and on a generated half hour with
// 40+ findings and 1,500 ports, with a finding's detail open.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { suite, dropFile, waitState, root, cli } from './harness.mjs';

const { server, browser } = suite({ needs: ['cli'] });
const LONG_NAME = 'office-capture-2026-03-02-building-7-floor-3-span-port-17-sensor-b.pcap';

// The generated half hour, made by the CLI for this file's tests alone.
let busy;
before(() => {
  const dir = fs.mkdtempSync(path.join(root, 'target', 'layout-'));
  busy = path.join(dir, 'busy.pcap');
  execFileSync(cli, ['synth', '--scenario', 'busy', '-o', busy], { stdio: 'ignore' });
});

after(() => {
  if (busy) fs.rmSync(path.dirname(busy), { recursive: true, force: true });
});

/** Layout problems on the page as it is now (empty when the layout holds). */
function problems(page) {
  return page.evaluate(() => {
    const out = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) out.push(`the document scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth}`);
    const visible = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (s.display === 'none' || s.visibility === 'hidden') return false;
        if (e.tagName === 'DETAILS' && !e.open && e !== el && !(el.closest('summary')?.parentElement === e)) return false;
      }
      return true;
    };
    const clip = (el) => {
      // The visible part of an element: its box cut by every ancestor that clips.
      let r = el.getBoundingClientRect();
      let box = { l: r.left, r: r.right, t: r.top, b: r.bottom };
      for (let e = el.parentElement; e; e = e.parentElement) {
        const s = getComputedStyle(e);
        if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
          const c = e.getBoundingClientRect();
          box = { l: Math.max(box.l, c.left), r: Math.min(box.r, c.right), t: Math.max(box.t, c.top), b: Math.min(box.b, c.bottom) };
        }
      }
      return box;
    };
    const blockOf = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const d = getComputedStyle(e).display;
        if (d !== 'inline' && d !== 'contents') return e;
      }
      return doc;
    };
    const texts = [];
    let node = 0;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim()) continue;
      node++;
      const el = n.parentElement;
      if (!el || !visible(el) || el.closest('option, script, style, .tooltip')) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const view = clip(el);
      const block = blockOf(el);
      const bs = getComputedStyle(block);
      const cut = bs.textOverflow === 'ellipsis' && bs.overflowX === 'hidden';
      if (cut && !block.title) out.push(`"${n.textContent.trim().slice(0, 40)}" is cut without its whole value on hover`);
      const b = block.getBoundingClientRect();
      for (const r of range.getClientRects()) {
        if (r.width < 1 || r.height < 1) continue;
        if (!cut && (r.right > b.right + 1 || r.left < b.left - 1)) {
          out.push(`"${n.textContent.trim().slice(0, 40)}" runs out of its box (${Math.round(r.left)}–${Math.round(r.right)} in ${Math.round(b.left)}–${Math.round(b.right)}, <${block.tagName.toLowerCase()} class="${block.className}">)`);
        }
        const l = Math.max(r.left, view.l), rr = Math.min(r.right, view.r), t = Math.max(r.top, view.t), bb = Math.min(r.bottom, view.b);
        if (rr - l >= 1 && bb - t >= 1) texts.push({ l, r: rr, t, b: bb, node, s: n.textContent.trim().slice(0, 30) });
      }
    }
    let overlaps = 0;
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i], c = texts[j];
        if (a.node === c.node) continue;
        const w = Math.min(a.r, c.r) - Math.max(a.l, c.l);
        const h = Math.min(a.b, c.b) - Math.max(a.t, c.t);
        if (w > 2 && h > 2) {
          if (overlaps++ < 10) out.push(`"${a.s}" overlaps "${c.s}"`);
        }
      }
    }
    return out.slice(0, 20);
  });
}

for (const width of [1280, 390]) {
  for (const capture of ['sample', 'busy']) {
    test(`layout holds at ${width} px on the ${capture} capture`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(server.url);
      await page.waitForSelector('[data-testid="drop-zone"]');
      if (capture === 'sample') {
        await page.click('[data-testid="sample-button"]');
      } else {
        await dropFile(page, LONG_NAME, fs.readFileSync(busy));
      }
      assert.equal(await waitState(page, ['done']), 'done');
      // The SHA-256 is computed after the answer: wait for it, then open a finding.
      await page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector('[data-field="sha256"]')?.textContent ?? ''));
      const findings = await page.$$eval('[data-testid="spike-row"]', (r) => r.length);
      assert.ok(findings >= (capture === 'busy' ? 40 : 1), `${findings} findings`);
      if (capture === 'busy') assert.ok((await page.textContent('.ports h2')).includes('1'), 'the port table is there');
      assert.deepEqual(await problems(page), [], 'before a finding is opened');
      await page.click('[data-testid="spike-row"]');
      await page.waitForSelector('[data-testid="spike-detail"]');
      assert.deepEqual(await problems(page), [], 'with a finding open');
      // A note with a long text, and a comparison with another capture.
      await page.click('[data-testid="annotate"]');
      await page.fill('[data-testid="annotation-text"]', `${LONG_NAME} `.repeat(4));
      await page.click('[data-testid="annotation-save"]');
      await page.waitForSelector('[data-testid="annotation"]');
      await page.setInputFiles('[data-testid="compare-input"]', capture === 'busy' ? path.join(root, 'static', 'sample.pcap') : busy);
      await page.waitForSelector('[data-testid="diff-row"]', { timeout: 60000 });
      assert.deepEqual(await problems(page), [], 'with a note and a comparison');
      await page.close();
    });
  }
}
