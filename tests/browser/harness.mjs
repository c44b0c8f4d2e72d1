// Shared harness: serve dist/ under a sub-path on loopback, and drive Debian's
// Chromium with playwright-core (never a downloaded browser).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const dist = path.join(root, 'dist');
export const captures = path.resolve(root, '..', 'shared', 'captures');
/** The CLI the page is checked against (cargo build). */
export const cli = path.join(root, 'target', 'debug', 'portspike');
/** The page is served from this sub-path to prove its URLs are relative. */
export const SUBPATH = '/some/sub/path/';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.pcap': 'application/vnd.tcpdump.pcap', '.png': 'image/png', '.json': 'application/json',
};

/** Start a static server for dist/ at SUBPATH (plus `extra` files: name → JS source);
 * resolves to {url, requests, close}. */
export function serve(extra = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url);
    const url = new URL(req.url, 'http://x');
    if (!url.pathname.startsWith(SUBPATH)) { res.writeHead(404); res.end(); return; }
    let rel = decodeURIComponent(url.pathname.slice(SUBPATH.length)) || 'index.html';
    if (extra[rel] !== undefined) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(extra[rel]);
      return;
    }
    const file = path.join(dist, rel);
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404); res.end('not found'); return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        origin: `http://127.0.0.1:${port}`,
        url: `http://127.0.0.1:${port}${SUBPATH}`,
        requests,
        close: () => new Promise((r) => server.close(r)),
      });
    });
  });
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps'],
  });
}

/** What a suite may need built before it starts: the file that shows it is,
 * and what to say if it is not. */
const BUILT = {
  dist: [path.join(dist, 'index.html'), 'dist/ is built (bash scripts/build.sh)'],
  cli: [cli, 'the CLI is built (cargo build)'],
};

/** A test file's server and browser, set up and torn down by node:test:
 * before its tests, check that what it `needs` is built ('dist', 'cli'),
 * serve dist/ and launch Chromium; after them, close both. The server and
 * browser are returned at once and usable from the tests on: the server is
 * what serve() resolves to ({origin, url, requests}), the browser opens
 * pages and contexts in the launched Chromium. */
export function suite({ needs = [] } = {}) {
  const server = {};
  let launched;
  const browser = {
    newPage: (options) => launched.newPage(options),
    newContext: (options) => launched.newContext(options),
  };
  before(async () => {
    for (const what of needs) {
      if (!BUILT[what]) throw new Error(`suite: unknown need ${what}`);
      assert.ok(fs.existsSync(BUILT[what][0]), BUILT[what][1]);
    }
    Object.assign(server, await serve());
    launched = await launch();
  });
  after(async () => {
    await launched?.close();
    await server.close?.();
  });
  return { server, browser };
}

/** A new page of `width`×`height` with `file` analysed: `sample` (the
 * bundled sample's button) or the name of a shared capture, dropped. */
export async function openAnalysed(browser, url, width, height, file) {
  const page = await browser.newPage({ viewport: { width, height } });
  await page.goto(url);
  if (file === 'sample') {
    await page.click('[data-testid="sample-button"]');
  } else {
    await page.waitForSelector('[data-testid="drop-zone"]');
    await dropFile(page, file, fs.readFileSync(path.join(captures, file)));
  }
  const state = await waitState(page, ['done', 'error']);
  if (state !== 'done') throw new Error(`${file}: the analysis ended in ${state}`);
  return page;
}

/** Drop a file on the drop zone through a real `drop` event carrying a DataTransfer. */
export async function dropFile(page, name, bytes, target = '[data-testid="drop-zone"]') {
  return dropFiles(page, [{ name, bytes }], target);
}

/** Drop several files at once (a rotated capture set). */
export async function dropFiles(page, files, target = '[data-testid="drop-zone"]') {
  // As a person would: onto a page that shows its drop zone and listens for
  // drops (a busy machine can take seconds to start the app).
  await page.waitForSelector(target, { state: 'attached' });
  await page.waitForSelector('html[data-drop="ready"]', { state: 'attached' });
  const payload = files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') }));
  await page.evaluate(({ payload, target }) => {
    const dt = new DataTransfer();
    for (const { name, b64 } of payload) {
      const bin = atob(b64);
      const arr = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) arr[i] = bin.charCodeAt(i);
      dt.items.add(new File([arr], name, { type: 'application/octet-stream' }));
    }
    const el = document.querySelector(target);
    el.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: dt }));
    el.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
    el.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, { payload, target });
}

/** Wait until <html data-state> is one of the given states; returns it. */
export async function waitState(page, states, timeout = 60000) {
  const sel = states.map((s) => `html[data-state="${s}"]`).join(',');
  await page.waitForSelector(sel, { state: 'attached', timeout });
  return page.evaluate(() => document.documentElement.dataset.state);
}

/** Count canvas pixels that differ from the background (white). */
export async function inkedPixels(page, sel = '[data-testid="timeline"]') {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const ctx = c.getContext('2d');
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0 && (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240)) n++;
    }
    return { inked: n, total: data.length / 4, width: c.width, height: c.height };
  }, sel);
}

/** The records of a classic pcap from before `seconds` after its first
 * packet (or, with `after`, from then on). */
export function cutPcap(bytes, seconds, after = false) {
  const le = bytes.readUInt32LE(0) === 0xa1b2c3d4 || bytes.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (at) => (le ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const parts = [bytes.subarray(0, 24)];
  let at = 24;
  let first = null;
  while (at + 16 <= bytes.length) {
    const sec = u32(at);
    const len = u32(at + 8);
    first ??= sec;
    const later = sec - first >= seconds;
    if (later && !after) break;
    if (later === after) parts.push(bytes.subarray(at, at + 16 + len));
    at += 16 + len;
  }
  return Buffer.concat(parts);
}

/** Packets tshark reads from `file` (those `filter` selects, if given). */
export function tsharkCount(file, filter) {
  const args = ['-r', file, '-T', 'fields', '-e', 'frame.number'];
  if (filter) args.push('-Y', filter);
  const out = execFileSync('tshark', args, { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  return out.split('\n').filter((l) => l.trim()).length;
}

/** Drop a 400 MB pcap built in the page (one 64-byte SYN, 5.2 M times):
 * nothing to find, and long to read. */
export async function dropBigSynCapture(page) {
  await page.evaluate(() => {
    const rec = new Uint8Array(16 + 60);
    const dv = new DataView(rec.buffer);
    dv.setUint32(0, 1700000000, true); dv.setUint32(8, 60, true); dv.setUint32(12, 60, true);
    rec.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0, 0, 46, 0, 0, 0, 0, 64, 6, 0, 0,
      10, 0, 0, 1, 10, 0, 0, 2, 0xc3, 0x50, 0x01, 0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02], 16);
    const block = new Uint8Array(rec.length * 65536);
    for (let i = 0; i < 65536; i++) block.set(rec, i * rec.length);
    const hdr = new Uint8Array(24);
    const h = new DataView(hdr.buffer);
    h.setUint32(0, 0xa1b2c3d4, true); h.setUint16(4, 2, true); h.setUint16(6, 4, true);
    h.setUint32(16, 65535, true); h.setUint32(20, 1, true);
    const parts = [hdr];
    for (let i = 0; i < 80; i++) parts.push(block);
    const dt = new DataTransfer();
    dt.items.add(new File(parts, 'big.pcap'));
    document.body.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  });
}
