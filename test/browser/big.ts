/// <reference lib="dom" />
// The HTML report of a big run, recorded here by the built gh-run with real BPF: 10,000 processes
// (a tree three levels deep) that read 100,000 files between them. The report must open and be
// usable in under 3 s in chromium.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readReceiptFile } from '../../controller/show/read.js';
import { checkReport, launch, requireChromium } from '../helpers/browser.js';
import { collect, ghRun, requireBpf, PYTHON, ROOT } from '../helpers/gh-run.js';

// recording ~6 s and rendering ~1 s here; room for a slower machine
t.setTimeout(300_000);

const FILES = 100_000;
const FANOUTS = '100,99'; // 1 + 100 + 9,900 processes

t.test('10,000 processes reading 100,000 files', async (t) => {
  if (!requireChromium(t) || !(await requireBpf(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'gh-report-big-'));
  t.teardown(() => {
    if (!process.env.GLASSHOUSE_KEEP_REPORTS) rmSync(dir, { recursive: true, force: true });
  });
  const files = join(dir, 'files');
  mkdirSync(files);
  // the files are made before the run, untraced: the run reads them
  const made = await collect([PYTHON, '-c', `import sys\nfor i in range(${FILES}):\n    open(f"${files}/f{i}", "wb").write(b"%d" % i)`]);
  t.equal(made.code, 0, `${FILES} files made (${made.ms} ms)`);

  const run = await ghRun([PYTHON, join(ROOT, 'test/fixtures/programs/fork-tree.py'), FANOUTS, files, String(FILES)], { args: ['-q'] });
  t.comment(`recorded in ${run.ms} ms (gh-run, from spawn to exit)`);
  t.equal(run.code, 0, 'the run succeeded');
  const receiptFile = join(dir, 'big.json');
  writeFileSync(receiptFile, JSON.stringify(run.receipt));
  const shown = readReceiptFile(receiptFile);
  const r = shown.receipt;
  t.equal(r.collector.status, 'ok', 'complete');
  t.ok(r.processes.length >= 10_001, `10,001 processes (${r.processes.length})`);
  const ours = r.filesystem.reads.filter((x) => x.path.startsWith(`${files}/f`)).length;
  t.equal(ours, FILES, `every one of the ${FILES} files read`);

  const browser = await launch();
  t.teardown(() => browser.close());
  const wallStart = Date.now();
  const o = await checkReport(t, browser, shown, dir, 'big');
  t.comment(`report: ${(statSync(join(dir, 'big.html')).size / 1e6).toFixed(2)} MB of HTML; opened in ${o.wallMs.toFixed(0)} ms; timeline ${o.timelineMs} ms after navigation, every section ${o.readyMs} ms; checks done ${Date.now() - wallStart} ms after the render began`);
  t.ok(o.readyMs < 3000, `loaded (timeline, tree and tables in the DOM) in under 3 s of navigation: ${o.readyMs} ms`);
  t.ok(o.wallMs < 3000, `and under 3 s from asking the browser: ${o.wallMs.toFixed(0)} ms`);

  // interactive: each of these answers at once
  const timed = async (what: string, f: () => Promise<unknown>): Promise<void> => {
    const s = performance.now();
    await f();
    const ms = performance.now() - s;
    t.comment(`${what}: ${ms.toFixed(0)} ms`);
    t.ok(ms < 3000, `${what} in under 3 s`);
  };
  await timed('scroll the timeline to its end', () =>
    o.page.$eval('.tl-list', (e) => {
      e.scrollTop = e.scrollHeight;
      e.dispatchEvent(new Event('scroll'));
    }),
  );
  await timed('sort 100,000 reads by count', () => o.page.click('#table-reads .th:last-child'));
  await timed('filter 100,000 reads', async () => {
    await o.page.type('#table-reads .filter', 'f4242');
    await o.page.waitForFunction(() => (document.querySelector('#table-reads .count') as HTMLElement).dataset.shown !== (document.querySelector('#table-reads .count') as HTMLElement).dataset.total);
  });
  const expected = r.filesystem.reads.filter((x) => x.path.includes('f4242')).length;
  t.equal(await o.page.$eval('#table-reads .count', (e) => Number((e as HTMLElement).dataset.shown)), expected, `f4242: the ${expected} files named so`);
  t.ok((await o.page.$$eval('*', (all) => all.length)) < 3000, 'the DOM stays small');
  await o.page.close();
});
