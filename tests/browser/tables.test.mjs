// Tables and the heatmap at a desktop's width and a phone's, on the sample
// and on a 1,000-port scan: at 1280 px every column of every table is in
// view (no sideways scroll); on a phone the ports table keeps each port's
// key numbers; the heatmap labels its rows, keeps them readable (it scrolls
// rather than squeezing them) and says how many of how many ports it shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suite, openAnalysed } from './harness.mjs';

const { server, browser } = suite();

async function open(w, h, file) {
  const page = await openAnalysed(browser, server.url, w, h, file);
  await page.waitForSelector('[data-testid="port-row"]');
  return page;
}

/** Each visible table: its scroller's widths and its headers' right edges. */
const tables = (page) => page.evaluate(() => [...document.querySelectorAll('table')]
  .filter((t) => t.getClientRects().length > 0)
  .map((t) => {
    const box = t.parentElement;
    const heads = [...t.querySelectorAll('thead th')]
      .filter((th) => getComputedStyle(th).display !== 'none')
      .map((th) => [th.textContent.trim(), th.getBoundingClientRect().right, box.getBoundingClientRect().right]);
    return { where: t.closest('section')?.getAttribute('aria-label'), scroll: box.scrollWidth, client: box.clientWidth, heads };
  }));

for (const file of ['sample', 'markofu-pcaps__TCP_SYN_SCAN.pcap']) {
  test(`at 1280 px every column of every table of ${file} is in view`, async () => {
    const page = await open(1280, 800, file);
    const all = await tables(page);
    assert.ok(all.length >= 2, JSON.stringify(all));
    for (const t of all) {
      assert.ok(t.scroll <= t.client + 1, `${t.where}: ${t.scroll} px wide in ${t.client} px`);
      for (const [name, right, edge] of t.heads) assert.ok(right <= edge + 1 && right <= 1280, `${t.where}: column ${name} at ${right} px`);
    }
    const ports = await page.$$eval('[data-testid="ports"] thead th, section.ports thead th', (ths) => ths.map((th) => th.textContent.trim()));
    for (const name of ['Port', 'Service', 'Activity', 'Score', 'Packets', 'Sources']) assert.ok(ports.includes(name), `${name} in ${ports}`);
    await page.close();
  });

  test(`on a phone the ports table of ${file} keeps each port's key numbers in view`, async () => {
    const page = await open(390, 844, file);
    const shown = await page.$$eval('section.ports thead th', (ths) => ths
      .filter((th) => getComputedStyle(th).display !== 'none')
      .map((th) => [th.textContent.trim(), th.getBoundingClientRect().right]));
    const names = shown.map((s) => s[0]);
    for (const name of ['Port', 'Score', 'Packets', 'Sources']) assert.ok(names.includes(name), `${name} in ${names}`);
    for (const [name, right] of shown) assert.ok(right <= 390, `${name} ends at ${right} px`);
    const row = await page.$eval('[data-testid="port-row"]', (tr) => [...tr.cells]
      .filter((td) => getComputedStyle(td).display !== 'none').map((td) => td.textContent.trim()));
    assert.equal(row.length, names.length, 'the first row shows a value under each heading');
    assert.ok(row.every((v) => v.length > 0), JSON.stringify(row));
    await page.close();
  });

  test(`the heatmap of ${file} labels its rows, keeps them readable and counts them`, async () => {
    const page = await open(1280, 800, file);
    const h = await page.$eval('[data-testid="heatmap"]', (c) => ({
      rows: c.dataset.ports.split(','), height: c.getBoundingClientRect().height,
    }));
    const labels = await page.$$eval('[data-testid="heatmap-labels"] li', (li) => li.map((l) => l.textContent));
    assert.deepEqual(labels, h.rows, 'one label a row, in the rows\' order');
    assert.ok(h.height / h.rows.length >= 12, `${(h.height / h.rows.length).toFixed(1)} px a row`);
    const count = await page.$eval('[data-testid="heatmap-count"]', (e) => ({ shown: Number(e.dataset.shown), ports: Number(e.dataset.ports), text: e.textContent }));
    assert.equal(count.shown, h.rows.length);
    const table = await page.textContent('section.ports h2');
    const total = Number(/of (\d+)/.exec(table)[1]);
    assert.equal(count.ports, total, `the heatmap counts the ports the table does (${table})`);
    assert.match(count.text, new RegExp(`${count.shown} of ${total} ports`));
    // Many rows scroll inside the panel, the page does not grow with them.
    const box = await page.$eval('.heat-scroll', (e) => ({ client: e.clientHeight, scroll: e.scrollHeight }));
    assert.ok(box.client <= 421, `${box.client} px tall`);
    if (h.rows.length > 30) assert.ok(box.scroll > box.client, 'its rows scroll');
    await page.close();
  });
}
