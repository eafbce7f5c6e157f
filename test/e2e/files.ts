// Files: relative, dirfd-relative, symlinked and '..' paths become the absolute path of the
// file actually opened; failures keep the requested path made absolute; O_RDWR is both.
import t from 'tap';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { ghRun, requireBpf, PROGRAMS, PYTHON } from '../helpers/gh-run.js';

t.test('opens are absolute, resolved and classified', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = realpathSync(t.testdir({}));
  const r = await ghRun([PYTHON, join(PROGRAMS, 'files.py'), d]);
  t.equal(r.code, 0, r.stderr);
  const fs = r.receipt.filesystem;
  const reads = fs.reads.map((e: any) => e.path);
  const writes = fs.writes.map((e: any) => e.path);
  const target = join(d, 'sub', 'target.txt');
  const rw = join(d, 'sub', 'rw.txt');

  t.ok(writes.includes(target), 'write by absolute path');
  const tr = fs.reads.find((e: any) => e.path === target);
  t.ok(tr, 'read through symlink / relative / dirfd resolves to the target');
  t.equal(tr.count, 3, 'symlink, "..", and dirfd reads all counted on the real file');
  t.notOk(reads.includes(join(d, 'link.txt')), 'the symlink itself is not reported as read');
  t.ok(reads.includes(rw) && writes.includes(rw), 'O_RDWR is both a read and a write');
  t.ok(reads.some((p: string) => p.endsWith('/python3.11') || p.includes('libpython') || p.endsWith('.so.6')), 'loader reads present');

  const failed = (p: string) => fs.failed.find((e: any) => e.path === p);
  t.match(failed(join(d, 'sub', 'missing.txt')), { errno: 'ENOENT', mode: 'read' }, 'dirfd-relative failure is absolute');
  t.match(failed(join(d, 'nope', 'deeper.txt')), { errno: 'ENOENT', mode: 'read' }, 'cwd-relative failure is absolute');
  t.match(failed(join(d, 'absent.txt')), { errno: 'ENOENT' }, 'absolute failure');
  t.match(failed(join(d, 'sub', 'cannot', 'create.txt')), { errno: 'ENOENT', mode: 'write' }, 'failed write');
  for (const list of [fs.reads, fs.writes, fs.failed]) {
    for (const e of list) t.ok(e.path.startsWith('/'), `absolute: ${e.path}`);
    const sorted = [...list].map((e: any) => e.path);
    t.same(sorted, [...sorted].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'sorted by path');
  }
  t.equal(r.receipt.collector.status, 'ok');
  t.equal(r.receipt.collector.events_lost, 0);
});

t.test('repeats are counted in the kernel, exactly, and never merge different files', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = realpathSync(t.testdir({}));
  const r = await ghRun([PYTHON, join(PROGRAMS, 'repeats.py'), d]);
  t.equal(r.code, 0, r.stderr);
  const { port } = JSON.parse(r.stdout);
  const fs = r.receipt.filesystem;
  const entry = (list: any[], path: string) => list.find((e: any) => e.path === path);
  const same = join(d, 'same.txt');
  t.match(entry(fs.reads, same), { count: 2010 }, '2000 reads by the parent, 10 by the child');
  t.equal(entry(fs.reads, same).pids.length, 2, 'both processes named');
  t.match(entry(fs.writes, same), { count: 31 }, 'the first write plus 30 more');
  for (let i = 0; i < 400; i++) {
    const e = entry(fs.writes, join(d, `gone-${i}.txt`));
    if (!e || e.count !== 1) {
      t.fail(`gone-${i}.txt: ${JSON.stringify(e)}`);
      break;
    }
  }
  t.equal(fs.writes.filter((e: any) => e.path.includes('/gone-')).length, 400, 'each of 400 short-lived files once');
  t.match(entry(fs.reads, join(d, 'swap.txt')), { count: 2 }, 'a replaced file is a new file: both opens');
  const refused = r.receipt.network.filter((e: any) => e.port === port);
  t.same(
    refused.map((e: any) => [e.op, e.result, e.count]),
    [['connect', 'ECONNREFUSED', 300]],
    '300 refused connects, one entry',
  );
  const c = r.receipt.collector;
  t.equal(c.status, 'ok');
  t.equal(c.events_lost, 0);
  t.ok(c.events_folded >= 2000 + 30 + 9 + 299, `repeats folded in the kernel: ${c.events_folded}`);
  t.ok(c.events < 1500, `far fewer events sent than opens made: ${c.events}`);
});
