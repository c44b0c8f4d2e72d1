// Shared harness: serve dist/ under a sub-path on loopback, and drive Debian's
// Chromium with playwright-core (never a downloaded browser).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const dist = path.join(root, 'dist');
export const captures = path.resolve(root, '..', 'shared', 'captures');
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

/** Drop a file on the drop zone through a real `drop` event carrying a DataTransfer. */
export async function dropFile(page, name, bytes, target = '[data-testid="drop-zone"]') {
  return dropFiles(page, [{ name, bytes }], target);
}

/** Drop several files at once (a rotated capture set). */
export async function dropFiles(page, files, target = '[data-testid="drop-zone"]') {
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
