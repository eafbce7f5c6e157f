/// <reference lib="dom" />
// The HTML report in a real browser (chromium, offline), on receipts recorded here by the built
// gh-run with real BPF: the demo, a make build of a small C project, a 2,000-process tree, a run
// whose argv and paths are hostile HTML; and on the committed receipts of schemas 0.3 and 0.4.
// GLASSHOUSE_REPORT_PNG=path also writes the demo's screenshot there (docs/report.png).
import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { readReceiptFile, type Shown } from '../../controller/show/read.js';
import { checkReport, launch, requireChromium } from '../helpers/browser.js';
import { ghRun, requireBpf, PYTHON, ROOT, type RunOptions } from '../helpers/gh-run.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-report-'));
let browser: Browser | undefined;
t.teardown(async () => {
  await browser?.close();
  if (!process.env.GLASSHOUSE_KEEP_REPORTS) rmSync(dir, { recursive: true, force: true });
  else t.comment(`reports kept in ${dir}`);
});

async function getBrowser(): Promise<Browser> {
  browser ??= await launch();
  return browser;
}

/** Record `command` with the built gh-run, and read its receipt back as the views do. */
async function record(name: string, command: string[], opts: RunOptions = {}): Promise<{ shown: Shown; code: number | null }> {
  const r = await ghRun(command, opts);
  if (!r.receipt) throw new Error(`gh-run wrote no receipt (exit ${r.code}): ${r.stderr}`);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(r.receipt));
  return { shown: readReceiptFile(file), code: r.code };
}

t.test('the demo', async (t) => {
  if (!requireChromium(t) || !(await requireBpf(t))) return;
  const { shown, code } = await record('demo', [PYTHON, 'demo/sneaky.py'], { cwd: ROOT });
  t.equal(code, 3, 'the demo exits 3 on purpose');
  t.equal(shown.receipt.collector.status, 'ok', 'recorded with BPF');
  const o = await checkReport(t, await getBrowser(), shown, dir, 'demo');
  t.equal(await o.page.$eval('.badge-fail', (e) => e.textContent), 'exit 3', 'the failing exit stands out');
  // the demo reaches the network: the table has its peers, with bytes
  const net = await o.page.$eval('#table-network .count', (e) => Number((e as HTMLElement).dataset.total));
  t.equal(net, shown.receipt.network.length, 'every network entry');
  t.ok(net > 0, 'the demo has network entries');
  const png = process.env.GLASSHOUSE_REPORT_PNG;
  if (png) {
    // fresh (the checks folded and sorted things), the header and the whole timeline in view
    await o.page.reload({ waitUntil: 'load' });
    await o.page.waitForSelector('body[data-ready-ms]');
    await o.page.evaluate(() => {
      const tl = document.getElementById('tree')!.getBoundingClientRect();
      window.scrollTo(0, Math.max(0, tl.top + window.scrollY + 80 - window.innerHeight));
    });
    await o.page.screenshot({ path: png });
    t.comment(`wrote ${png}`);
  }
  await o.page.close();
});

t.test('a make build of a small C project', async (t) => {
  if (!requireChromium(t) || !(await requireBpf(t))) return;
  const src = join(dir, 'cproj');
  mkdirSync(src);
  const names = ['alpha', 'beta', 'gamma', 'delta'];
  for (const n of names) {
    writeFileSync(join(src, `${n}.h`), `int ${n}(int x);\n`);
    writeFileSync(join(src, `${n}.c`), `#include "${n}.h"\nint ${n}(int x) { return x * ${n.length}; }\n`);
  }
  writeFileSync(join(src, 'main.c'), `#include <stdio.h>\n${names.map((n) => `#include "${n}.h"`).join('\n')}\nint main(void) { printf("%d\\n", ${names.map((n) => `${n}(1)`).join(' + ')}); return 0; }\n`);
  const objs = [...names, 'main'].map((n) => `${n}.o`).join(' ');
  writeFileSync(join(src, 'Makefile'), `CFLAGS = -O1\nprog: ${objs}\n\t$(CC) -o $@ ${objs}\n%.o: %.c\n\t$(CC) $(CFLAGS) -c -o $@ $<\n`);
  const { shown, code } = await record('make', ['make', '-j2', '-C', src], { cwd: src });
  t.equal(code, 0, 'the build succeeded');
  t.ok(shown.receipt.processes.length >= 10, `make, the shells, gcc and its tools (${shown.receipt.processes.length} processes)`);
  const o = await checkReport(t, await getBrowser(), shown, dir, 'make');
  // the object files are outputs, with their digests, shortened with the full one in the title
  const outputs = shown.receipt.filesystem.outputs.filter((x) => x.path.endsWith('.o') && x.digest);
  t.equal(outputs.length, names.length + 1, 'one output per object file');
  await o.page.type('#table-outputs .filter', 'main.o');
  await o.page.waitForFunction(() => (document.querySelector('#table-outputs .count') as HTMLElement).dataset.shown === '1');
  const hash = await o.page.$eval('#table-outputs .tbody .hash', (e) => ({ text: e.textContent, title: (e as HTMLElement).title }));
  const main = outputs.find((x) => x.path.endsWith('/main.o'))!;
  t.equal(hash.text, `${main.digest!.sha256.slice(0, 12)}…`, 'the digest shortened');
  t.match(hash.title, main.digest!.sha256, 'the whole digest in its title');
  await o.page.close();
});

t.test('a tree of 2,000 processes, three levels deep', async (t) => {
  if (!requireChromium(t) || !(await requireBpf(t))) return;
  const { shown, code } = await record('tree', [PYTHON, join(ROOT, 'test/fixtures/programs/fork-tree.py'), '12,12,13']);
  t.equal(code, 0);
  const r = shown.receipt;
  t.ok(r.processes.length >= 2029, `1 + 12 + 144 + 1872 processes (${r.processes.length})`);
  const o = await checkReport(t, await getBrowser(), shown, dir, 'tree');
  // a big tree starts folded below the root's children: their subtrees are a click away
  t.equal(await o.page.$eval('.tree-list', (e) => Number((e as HTMLElement).dataset.rows)), 1 + r.process_tree!.children.length, 'the root and its children');
  // every outcome is in this tree: each has its colour
  const outcomes = new Set(r.processes.map((p) => (p.signal ? 'signal' : p.exit_code === 0 ? 'ok' : 'nonzero')));
  t.same([...outcomes].sort(), ['nonzero', 'ok', 'signal'], 'the tree has exits 0, non-zero and signals');
  const killed = r.processes.find((p) => p.signal === 'SIGKILL')!;
  const killedBar = await o.page.evaluate(async (pid) => {
    const list = document.querySelector('.tl-list') as HTMLElement;
    for (let top = 0; top <= list.scrollHeight; top += list.clientHeight) {
      list.scrollTop = top;
      list.dispatchEvent(new Event('scroll'));
      const row = list.querySelector(`.tl-row[data-pid="${pid}"] .bar`);
      if (row) return row.className;
    }
    return null;
  }, killed.pid);
  t.match(killedBar, /\bbar-signal\b/, 'a process killed by a signal has its colour');
  await o.page.close();
});

t.test('hostile argv and paths are shown as text, and run nothing', async (t) => {
  if (!requireChromium(t) || !(await requireBpf(t))) return;
  const evil = '</script><script>alert(1)</script>';
  const img = '<img src=x onerror=alert(2)>';
  const work = join(dir, 'hostile');
  mkdirSync(work);
  writeFileSync(join(work, img), 'x');
  const { shown } = await record('hostile', ['/bin/sh', '-c', 'cat "$2" "$1" 2>/dev/null; exit 0', 'sh', evil, img], { cwd: work });
  t.ok(shown.receipt.filesystem.reads.some((x) => x.path.endsWith(`/${img}`)), 'the run read the file named as an <img>');
  t.ok(shown.receipt.filesystem.failed.some((x) => x.path.endsWith(evil)), 'and failed to open the one named as a </script>');
  const o = await checkReport(t, await getBrowser(), shown, dir, 'hostile');
  t.same(o.dialogs, [], 'no alert');
  t.equal(await o.page.$$eval('img', (i) => i.length), 0, 'no <img> element');
  t.equal(await o.page.$$eval('script', (s) => s.length), 2, 'no script element but the report\'s two');
  const command = await o.page.$eval('.command', (e) => e.textContent ?? '');
  t.ok(command.includes(evil) && command.includes(img), 'the command shows them literally');
  await o.page.type('#table-failed .filter', '</script>');
  await o.page.waitForFunction(() => (document.querySelector('#table-failed .count') as HTMLElement).dataset.shown === '1');
  const failed = await o.page.$eval('#table-failed .tbody .trow .td', (e) => e.textContent ?? '');
  t.ok(failed.endsWith(evil), 'the failed path shows it literally');
  await o.page.close();
});

t.test('the committed receipts of schemas 0.3 and 0.4', async (t) => {
  if (!requireChromium(t)) return;
  const fixtures = join(ROOT, 'test/fixtures/receipts');
  for (const name of readdirSync(fixtures).filter((f) => f.endsWith('.json'))) {
    await t.test(name, async (t) => {
      copyFileSync(join(fixtures, name), join(dir, name));
      const shown = readReceiptFile(join(dir, name));
      const o = await checkReport(t, await getBrowser(), shown, dir, name.replace(/\.json$/, ''));
      if (shown.unrecorded.has('process_ends')) {
        const noEnd = await o.page.$$eval('.tl-list .bar', (b) => b.filter((x) => x.classList.contains('bar-noend')).length);
        const bars = await o.page.$$eval('.tl-list .bar', (b) => b.length);
        t.equal(noEnd, bars, 'ends not recorded: every bar in its own style');
        await o.page.hover('.tl-list .bar');
        t.match(await o.page.$eval('.tooltip', (e) => e.textContent), /not recorded/, 'and the tooltip says so');
      }
      await o.page.close();
    });
  }
});
