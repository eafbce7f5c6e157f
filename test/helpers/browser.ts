/// <reference lib="dom" />
// A real browser for the tests of the HTML report: apt's chromium driven by puppeteer-core,
// offline. Opens a report from file:// and records what a user would not want to see: console
// errors, page errors, dialogs (alert from a hostile receipt) and any request other than the
// document itself.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.GLASSHOUSE_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Gate for the browser tests: true when chromium is there. Without it the test is skipped with
 * the reason; in CI (CI=true) that is a failure instead, never a silent pass.
 */
export function requireChromium(t: { fail(msg: string): unknown; skip(...args: any[]): unknown }): boolean {
  if (existsSync(CHROMIUM)) return true;
  const why = `no chromium at ${CHROMIUM} (make deps installs it: apt-get install chromium)`;
  if (process.env.CI === 'true') t.fail(`the browser tests must run in CI: ${why}`);
  else t.skip(why);
  return false;
}

export function launch(): Promise<Browser> {
  const args = [
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-default-apps',
    '--disable-domain-reliability',
    '--disable-sync',
    '--no-first-run',
    '--no-default-browser-check',
    '--metrics-recording-only',
    '--disable-features=Translate,OptimizationHints,MediaRouter',
    '--disable-gpu',
    '--disable-dev-shm-usage',
  ];
  // chromium's sandbox refuses to run as root (CI runs as root); a normal user keeps it
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args, defaultViewport: { width: 1280, height: 800 } });
}

export interface Opened {
  page: Page;
  /** every request the page made, as URLs */
  requests: string[];
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
  /** from the start of the navigation to the report's timeline in the DOM, by the page's clock */
  timelineMs: number;
  /** ... to every section in the DOM */
  readyMs: number;
  /** by the test's clock: from asking for the page to the report rendered */
  wallMs: number;
}

/** Open an HTML file in a new page and wait until the report says it has rendered. */
export async function openReport(browser: Browser, file: string): Promise<Opened> {
  const page = await browser.newPage();
  const o: Opened = { page, requests: [], consoleErrors: [], pageErrors: [], dialogs: [], timelineMs: NaN, readyMs: NaN, wallMs: NaN };
  const asked = performance.now();
  page.on('request', (r) => o.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') o.consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => o.pageErrors.push(String(e)));
  page.on('dialog', (d) => {
    o.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready-ms]', { timeout: 30_000 });
  const marks = await page.evaluate(() => ({ timeline: Number(document.body.dataset.timelineMs), ready: Number(document.body.dataset.readyMs) }));
  o.timelineMs = marks.timeline;
  o.readyMs = marks.ready;
  o.wallMs = performance.now() - asked;
  return o;
}

// --- what every report must do, checked on a receipt ---------------------------------------------

import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHtml } from '../../controller/show/html.js';
import type { Shown } from '../../controller/show/read.js';

type T = {
  equal(a: unknown, b: unknown, msg?: string): unknown;
  ok(a: unknown, msg?: string): unknown;
  same(a: unknown, b: unknown, msg?: string): unknown;
  match(a: unknown, b: unknown, msg?: string): unknown;
  comment(...args: unknown[]): unknown;
};

/** The receipt's processes, depth first (as the timeline and the tree list them). */
export function treeOrder(receipt: Shown['receipt']): { pid: number; children: number[] }[] {
  const out: { pid: number; children: number[] }[] = [];
  const stack = receipt.process_tree ? [receipt.process_tree] : [];
  while (stack.length) {
    const n = stack.pop()!;
    out.push({ pid: n.pid, children: n.children.map((c) => c.pid) });
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

const visiblePids = (page: Page, list: string): Promise<number[]> =>
  page.$$eval(`${list} .vspacer > [data-pid]`, (rows) =>
    rows.sort((a, b) => Number((a as HTMLElement).dataset.pos) - Number((b as HTMLElement).dataset.pos)).map((r) => Number((r as HTMLElement).dataset.pid)),
  );
const rowCount = (page: Page, list: string): Promise<number> => page.$eval(list, (e) => Number((e as HTMLElement).dataset.rows));

async function scrollTo(page: Page, list: string, where: 'top' | 'end'): Promise<void> {
  await page.$eval(list, (e, w) => {
    e.scrollTop = w === 'end' ? e.scrollHeight : 0;
    e.dispatchEvent(new Event('scroll'));
  }, where);
}

/** Scroll a windowed list until the row of `pid` is in the DOM. */
async function scrollUntil(page: Page, list: string, pid: number): Promise<void> {
  const found = await page.$eval(list, (e, p) => {
    for (let top = 0; top <= e.scrollHeight; top += Math.max(1, e.clientHeight - 44)) {
      e.scrollTop = top;
      e.dispatchEvent(new Event('scroll'));
      if (e.querySelector(`[data-pid="${p}"]`)) return true;
    }
    return false;
  }, pid);
  if (!found) throw new Error(`pid ${pid} is nowhere in ${list}`);
}

async function tableCount(page: Page, id: string): Promise<{ shown: number; total: number; text: string }> {
  return page.$eval(`#table-${id} .count`, (e) => ({ shown: Number((e as HTMLElement).dataset.shown), total: Number((e as HTMLElement).dataset.total), text: e.textContent ?? '' }));
}

async function setFilter(page: Page, id: string, text: string): Promise<void> {
  const box = `#table-${id} .filter`;
  await page.$eval(box, (e) => ((e as HTMLInputElement).value = ''));
  if (text) await page.type(box, text);
  else await page.$eval(box, (e) => e.dispatchEvent(new Event('input')));
  // the filter waits for the keys to pause on big tables
  await page.waitForFunction((sel, q) => {
    const c = document.querySelector(sel) as HTMLElement;
    const rows = c.closest('section')!.querySelectorAll('.tbody .trow');
    return q === '' ? c.dataset.shown === c.dataset.total : rows.length === 0 || [...rows].every((r) => (r.textContent ?? '').toLowerCase().includes(q));
  }, { timeout: 10_000 }, `#table-${id} .count`, text.toLowerCase());
}

const firstCells = (page: Page, id: string): Promise<string[]> =>
  page.$$eval(`#table-${id} .tbody .trow`, (rows) =>
    rows.sort((a, b) => Number((a as HTMLElement).dataset.pos) - Number((b as HTMLElement).dataset.pos)).map((r) => r.firstElementChild?.textContent ?? ''),
  );

/**
 * Render `shown` into dir/name.html, open it, and check what every report must do: no error,
 * no request but the file, one timeline row per process (the last one reached by scrolling),
 * a tooltip, a tree node that expands to its children, and a table that filters and sorts.
 * Leaves a screenshot at dir/name.png. Returns the opened page (closed by the caller).
 */
export async function checkReport(t: T, browser: Browser, shown: Shown, dir: string, name: string): Promise<Opened> {
  const file = join(dir, `${name}.html`);
  const started = Date.now();
  writeFileSync(file, renderHtml(shown));
  const renderMs = Date.now() - started;
  const o = await openReport(browser, file);
  const { page } = o;
  const r = shown.receipt;
  const order = treeOrder(r);
  t.comment(`${name}: ${r.processes.length} processes, ${r.filesystem.reads.length} reads; rendered in ${renderMs} ms (${(statSync(file).size / 1e6).toFixed(2)} MB); opened in ${o.wallMs.toFixed(0)} ms; timeline in the DOM ${o.timelineMs} ms after navigation, all sections ${o.readyMs} ms`);

  t.same(o.pageErrors, [], 'no page error');
  t.same(o.consoleErrors, [], 'no console error or warning');
  t.same(o.requests, [page.url()], 'no request but the file itself');
  t.match(page.url(), /^file:\/\//, 'opened from file://');
  t.same(o.dialogs, [], 'no dialog opened');

  // the header
  const command = await page.$eval('.command', (e) => e.textContent);
  t.ok(command && command.length > 0, 'the command is shown');
  const exitBadge = await page.$eval('.summary .badge', (e) => e.textContent);
  t.equal(exitBadge, r.outcome.signal !== null ? `killed by ${r.outcome.signal}` : `exit ${r.outcome.exit_code}`, 'the exit as the receipt says');
  if (shown.unrecorded.size > 0) {
    const line = await page.$eval('.banner-unrecorded', (e) => e.textContent ?? '');
    t.match(line, `schema ${shown.schema}`, 'says what the schema did not record');
  }

  // the timeline: one row per process, in tree order, the last reached by scrolling
  t.equal(await rowCount(page, '.tl-list'), r.processes.length, 'one timeline row per process');
  const bars = await page.$$eval('.tl-list .bar', (b) => b.length);
  const shownRows = await page.$$eval('.tl-list .tl-row', (b) => b.length);
  t.equal(bars, shownRows, 'each row in view has its bar');
  t.ok(shownRows <= Math.min(r.processes.length, 60), `only the rows in view are in the DOM (${shownRows})`);
  t.same((await visiblePids(page, '.tl-list')).slice(0, 5), order.slice(0, 5).map((p) => p.pid), 'the first rows in tree order');
  await scrollTo(page, '.tl-list', 'end');
  const atEnd = await visiblePids(page, '.tl-list');
  t.equal(atEnd[atEnd.length - 1], order[order.length - 1]!.pid, 'scrolled to the end: the last process of the tree');
  await scrollTo(page, '.tl-list', 'top');
  const firstBar = await page.$('.tl-list .tl-row .bar');
  await firstBar!.hover();
  const tip = await page.$eval('.tooltip', (e) => ({ hidden: (e as HTMLElement).hidden, text: e.textContent ?? '' }));
  t.equal(tip.hidden, false, 'hovering a bar shows its tooltip');
  t.match(tip.text, new RegExp(`pid ${order[0]!.pid}\\b[\\s\\S]*start \\+[\\s\\S]*(duration|running)`), 'with pid, start and duration');

  // the tree: a node with children folds and unfolds them
  // a folded node in view unfolds to its children (folded themselves, in a big tree); with none
  // folded, a node whose children are leaves is folded, then unfolded
  const byPid = new Map(order.map((p) => [p.pid, p]));
  const leaves = new Set(order.filter((p) => p.children.length === 0).map((p) => p.pid));
  const foldedPid = await page.$eval('.tree-list', (e) => {
    const row = e.querySelector('.tree-row:has(.toggle[aria-expanded="false"]:not(:disabled))') as HTMLElement | null;
    return row ? Number(row.dataset.pid) : null;
  });
  const parent = foldedPid !== null ? byPid.get(foldedPid) : order.find((p) => p.children.length > 0 && p.children.every((c) => leaves.has(c)));
  if (parent) {
    await scrollUntil(page, '.tree-list', parent.pid);
    const toggle = `.tree-list .tree-row[data-pid="${parent.pid}"] .toggle`;
    if ((await page.$eval(toggle, (e) => e.getAttribute('aria-expanded'))) === 'true') await page.click(toggle);
    const folded = await rowCount(page, '.tree-list');
    await page.click(toggle);
    const unfolded = await rowCount(page, '.tree-list');
    t.equal(unfolded, folded + parent.children.length, `expanding pid ${parent.pid} shows its ${parent.children.length} children`);
    const pids = await visiblePids(page, '.tree-list');
    const at = pids.indexOf(parent.pid);
    t.same(pids.slice(at + 1, at + 1 + Math.min(5, parent.children.length)), parent.children.slice(0, 5), 'right under it, in order');
    await page.click(toggle);
    t.equal(await rowCount(page, '.tree-list'), folded, 'folding it again hides them');
  }

  // a table: the reads (every run reads something); filter narrows, clearing restores, sort orders
  const paths = r.filesystem.reads.map((e) => e.path);
  const all = await tableCount(page, 'reads');
  t.equal(all.total, paths.length, 'the reads table has every read');
  t.equal(all.text, `${paths.length.toLocaleString('en-US')} of ${paths.length.toLocaleString('en-US')}`, 'N of M');
  if (paths.length > 1) {
    const query = paths[Math.floor(paths.length / 2)]!.toUpperCase(); // case-insensitive
    const expected = paths.filter((p) => p.toLowerCase().includes(query.toLowerCase())).length;
    await setFilter(page, 'reads', query);
    const narrowed = await tableCount(page, 'reads');
    t.equal(narrowed.shown, expected, `filtering on ${JSON.stringify(query)} leaves the ${expected} paths holding it`);
    t.ok(narrowed.shown < paths.length, 'fewer than all');
    await setFilter(page, 'reads', '');
    t.equal((await tableCount(page, 'reads')).shown, paths.length, 'clearing the filter restores every row');

    const sorted = [...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    await page.click('#table-reads .th');
    t.same((await firstCells(page, 'reads')).slice(0, 3), sorted.slice(0, 3), 'sorted by path, ascending');
    await page.click('#table-reads .th');
    t.same((await firstCells(page, 'reads')).slice(0, 3), sorted.reverse().slice(0, 3), 'again: descending');
    const countCol = '#table-reads .th:last-child';
    await page.click(countCol);
    const counts = r.filesystem.reads.map((e) => e.count).sort((a, b) => a - b);
    const firstCounts = await page.$$eval('#table-reads .tbody .trow', (rows) =>
      rows.sort((a, b) => Number((a as HTMLElement).dataset.pos) - Number((b as HTMLElement).dataset.pos)).map((row) => Number((row.lastElementChild?.textContent ?? '').replace(/,/g, ''))),
    );
    t.same(firstCounts.slice(0, 3), counts.slice(0, 3), 'sorted by count, as numbers');
  }
  await page.$eval('body', () => window.scrollTo(0, 0));
  await page.screenshot({ path: join(dir, `${name}.png`) });
  return o;
}
