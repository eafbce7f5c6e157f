import t from 'tap';
import { Aggregator } from '../../controller/aggregate/aggregate.js';
import type { Frame } from '../../controller/schema/frames.js';
import { ROOT, end, exec, exit, facts, fork, hello, ms, open, open4, receiptOf, repeats, toFrames } from '../helpers/events.js';

const run = (...opens: ReturnType<typeof open>[]) => receiptOf([hello(), exec(), fork({ pid: 50, start: ms(1) }), ...opens, exit(), end()]).filesystem;

t.test('read, write, readwrite: O_RDWR lands in both lists', async (t) => {
  const fs = run(open({ path: '/etc/hosts', mode: 'read' }), open({ path: '/tmp/out', mode: 'write' }), open({ path: '/var/db', mode: 'readwrite' }));
  t.same(fs.reads, [
    { path: '/etc/hosts', pids: [ROOT], count: 1 },
    { path: '/var/db', pids: [ROOT], count: 1 },
  ]);
  t.same(fs.writes, [
    { path: '/tmp/out', pids: [ROOT], count: 1, created: false, truncated: false, digest: null },
    { path: '/var/db', pids: [ROOT], count: 1, created: false, truncated: false, digest: null },
  ]);
  t.same(fs.failed, []);
});

t.test('a successful O_PATH open counts in no list', async (t) => {
  const fs = run(open({ path: '/usr/bin', mode: 'path' }));
  t.same(fs.reads, []);
  t.same(fs.writes, []);
  t.same(fs.failed, []);
});

t.test('failed relative open joined with its base; failure keeps mode and errno', async (t) => {
  const fs = run(
    open({ path: '../cfg/./app.toml', base: '/home/me/proj', mode: 'read', err: 'ENOENT' }),
    open({ path: 'out.log', base: '/var/log', mode: 'write', err: 'EACCES' }),
    open({ path: '/abs//x/', mode: 'path', err: 'ENOENT' }),
  );
  t.same(fs.failed, [
    { path: '/abs/x', mode: 'path', errno: 'ENOENT', pids: [ROOT], count: 1 },
    { path: '/home/me/cfg/app.toml', mode: 'read', errno: 'ENOENT', pids: [ROOT], count: 1 },
    { path: '/var/log/out.log', mode: 'write', errno: 'EACCES', pids: [ROOT], count: 1 },
  ]);
  t.same(fs.reads, [], 'failures are not reads');
});

t.test('/proc/self and /proc/thread-self show the real pid and tid', async (t) => {
  const fs = run(
    open({ path: '/proc/self/status', pid: 50, start: ms(1), tid: 51 }),
    open({ path: '/proc/thread-self/comm', pid: 50, start: ms(1), tid: 51 }),
    open({ path: 'self/maps', base: '/proc', pid: 50, start: ms(1), err: 'EACCES' }),
    open({ path: '/proc/selfish', pid: 50, start: ms(1) }),
  );
  t.same(fs.reads.map((e) => e.path), ['/proc/50/status', '/proc/50/task/51/comm', '/proc/selfish']);
  t.equal(fs.failed[0]!.path, '/proc/50/maps');
});

t.test('counts and pids merge per path; pids sorted and unique', async (t) => {
  const fs = run(
    open({ path: '/etc/ld.so.cache', pid: 50, start: ms(1) }),
    open({ path: '/etc/ld.so.cache' }),
    open({ path: '/etc/ld.so.cache' }),
    open({ path: '/lib/libc.so.6', pid: 50, start: ms(1) }),
    open({ path: '/nope', err: 'ENOENT' }),
    open({ path: '/nope', err: 'ENOENT', pid: 50, start: ms(1) }),
    open({ path: '/nope', err: 'EACCES' }),
    open({ path: '/nope', err: 'ENOENT', mode: 'write' }),
  );
  t.same(fs.reads, [
    { path: '/etc/ld.so.cache', pids: [50, ROOT], count: 3 },
    { path: '/lib/libc.so.6', pids: [50], count: 1 },
  ]);
  t.same(fs.failed, [
    { path: '/nope', mode: 'read', errno: 'EACCES', pids: [ROOT], count: 1 },
    { path: '/nope', mode: 'read', errno: 'ENOENT', pids: [50, ROOT], count: 2 },
    { path: '/nope', mode: 'write', errno: 'ENOENT', pids: [ROOT], count: 1 },
  ]);
});

t.test('sorted by path whatever the event order', async (t) => {
  const paths = ['/z', '/a/b', '/a', '/m/x', '/A'];
  const fs = run(...paths.map((path) => open({ path })));
  t.same(fs.reads.map((e) => e.path), ['/A', '/a', '/a/b', '/m/x', '/z']);
});

t.test('pids: one, then many in any order, kept sorted and unique', async (t) => {
  const pids = [70, 3, 70, 500, 1, 3, 42, 9999, 1, 42];
  const fs = run(...pids.map((pid) => open({ path: '/etc/ld.so.cache', pid, start: ms(1) })), ...pids.map((pid) => open({ path: '/x', err: 'ENOENT', pid, start: ms(1) })));
  const unique = [...new Set(pids)].sort((a, b) => a - b);
  t.same(fs.reads, [{ path: '/etc/ld.so.cache', pids: unique, count: pids.length }]);
  t.same(fs.failed, [{ path: '/x', mode: 'read', errno: 'ENOENT', pids: unique, count: pids.length }]);
});

t.test('failures sort by path, then mode, then errno, prefixes first', async (t) => {
  const fs = run(
    open({ path: '/a/b', err: 'ENOENT' }),
    open({ path: '/a', mode: 'readwrite', err: 'ENOENT' }),
    open({ path: '/a', mode: 'read', err: 'EACCES' }),
    open({ path: '/a', mode: 'read', err: 'ENOENT' }),
    open({ path: '/a-', err: 'ENOENT' }),
    open({ path: '/a', mode: 'path', err: 'ENOENT' }),
    open({ path: '/A', err: 'ENOENT' }),
  );
  t.same(fs.failed.map((e) => [e.path, e.mode, e.errno]), [
    ['/A', 'read', 'ENOENT'],
    ['/a', 'path', 'ENOENT'],
    ['/a', 'read', 'EACCES'],
    ['/a', 'read', 'ENOENT'],
    ['/a', 'readwrite', 'ENOENT'],
    ['/a-', 'read', 'ENOENT'],
    ['/a/b', 'read', 'ENOENT'],
  ]);
});

t.test('paths keep every character: unicode, escapes, lone surrogates', async (t) => {
  const paths = ['/tmp/ü 日本 😀', '/tmp/"q"\\\n\t', '/tmp/\ud800x', '/tmp/x\udfff'];
  const a = new Aggregator(facts());
  for (const f of toFrames([hello(), exec()])) a.add(f);
  // given directly: on the wire, lone surrogates would already have become U+FFFD
  for (const path of paths) {
    a.add(open({ path }) as unknown as Frame);
    a.add(open({ path, err: 'ENOENT' }) as unknown as Frame);
  }
  const r = a.finish(facts());
  t.same(r.filesystem.reads.map((e) => e.path), [...paths].sort());
  t.same(r.filesystem.failed.map((e) => e.path), [...paths].sort());
});

t.test('files with no path keep their kind; a cut path says so; both read off the path', async (t) => {
  const { fileKind, isCut } = await import('../../controller/aggregate/filesystem.js');
  t.equal(fileKind('/etc/hosts'), null);
  t.equal(fileKind('mnt:[4026532178]/tmp/x'), null);
  t.equal(fileKind('\u2026/a/b'), null, 'a cut path is a path');
  t.equal(fileKind('pipe:[123]'), 'pipe');
  t.equal(fileKind('socket:[9]'), 'socket');
  t.equal(fileKind('anon_inode:[eventfd]'), 'anon_inode');
  t.equal(fileKind('memfd:x'), 'memfd');
  t.equal(fileKind('something-else'), 'anonymous');
  t.ok(isCut('\u2026/a/b'));
  t.ok(isCut('mnt:[42]\u2026/a'));
  t.notOk(isCut('/a/\u2026b'), 'an ellipsis inside a name is just a name');
  t.notOk(isCut('mnt:[42]/a'));
  const { receiptOf, hello, exec, open, end } = await import('../helpers/events.js');
  const r = receiptOf([hello({ proto: 3 }), exec(), open({ path: 'pipe:[77]' }), open({ path: '\u2026/deep/f' }), open({ path: 'x', err: 'ENOENT', base: '\u2026/deep' }), end()]);
  t.same(r.filesystem.reads.map((e) => [e.path, e.kind, e.path_truncated]), [
    ['pipe:[77]', 'pipe', undefined],
    ['\u2026/deep/f', undefined, true],
  ]);
  t.equal(r.filesystem.failed[0]!.path, '\u2026/deep/x');
  t.equal(r.filesystem.failed[0]!.path_truncated, true);
});

t.test('protocol 4: writes say whether an open created or truncated the file (OR over the opens)', async (t) => {
  const r = receiptOf([
    hello({ proto: 4 }),
    exec(),
    open4({ path: '/w/new', mode: 'write', created: true }),
    open4({ path: '/w/new', mode: 'write' }),
    open4({ path: '/w/old', mode: 'write', truncated: true }),
    open4({ path: '/w/old', mode: 'readwrite' }),
    open4({ path: '/w/app', mode: 'write' }),
    open4({ path: '/w/x', mode: 'write', created: true, err: 'EACCES' }),
    exit(),
    end(),
  ]);
  t.same(r.filesystem.writes, [
    { path: '/w/app', pids: [ROOT], count: 1, created: false, truncated: false, digest: null },
    { path: '/w/new', pids: [ROOT], count: 2, created: true, truncated: false, digest: null },
    { path: '/w/old', pids: [ROOT], count: 2, created: false, truncated: true, digest: null },
  ]);
  t.same(r.filesystem.reads.map((e) => e.path), ['/w/old']);
});

t.test('O_RDONLY|O_TRUNC (or an O_RDONLY open that created the file) changed it: a read and a write', async (t) => {
  const r = receiptOf([
    hello({ proto: 4 }),
    exec(),
    open4({ path: '/w/log', mode: 'read', flags: 0o1000, truncated: true }),
    open4({ path: '/w/log', mode: 'read' }),
    open4({ path: '/w/made', mode: 'read', flags: 0o100, created: true }),
    open4({ path: '/w/ro', mode: 'read' }),
    exit(),
    end(),
  ]);
  t.same(r.filesystem.reads.map((e) => [e.path, e.count]), [
    ['/w/log', 2],
    ['/w/made', 1],
    ['/w/ro', 1],
  ]);
  t.same(r.filesystem.writes, [
    { path: '/w/log', pids: [ROOT], count: 1, created: false, truncated: true, digest: null },
    { path: '/w/made', pids: [ROOT], count: 1, created: true, truncated: false, digest: null },
  ]);
});

t.test('repeats of a truncating read land on both its entries; of a plain read on the read only', async (t) => {
  const r = receiptOf([
    hello({ proto: 4 }),
    exec(),
    open4({ path: '/w/log', mode: 'read', truncated: true, rid: 1 }),
    open4({ path: '/w/log', mode: 'read', rid: 2 }),
    open4({ path: '/w/o', mode: 'write', created: true, rid: 3 }),
    open4({ path: '/w/o', mode: 'write', rid: 4 }),
    open4({ path: '/usr', mode: 'path', rid: 5 }),
    exit(),
    repeats([
      [1, 10],
      [2, 100],
      [3, 1000],
      [4, 5],
      [5, 7],
    ]),
    end(),
  ]);
  t.same(r.filesystem.reads.map((e) => [e.path, e.count]), [['/w/log', 112]]);
  t.same(r.filesystem.writes.map((e) => [e.path, e.count, e.created, e.truncated]), [
    ['/w/log', 11, false, true],
    ['/w/o', 1007, true, false],
  ]);
  t.equal(r.collector.events_folded, 1122);
  t.equal(r.collector.events_lost, 0, 'the O_PATH open took its repeats too');
});

t.test('older recordings (no created/truncated keys): both false', async (t) => {
  const r = receiptOf([hello({ proto: 3 }), exec(), open({ path: '/w/o', mode: 'write', flags: 0o1101 }), exit(), end()]);
  t.same(r.filesystem.writes, [{ path: '/w/o', pids: [ROOT], count: 1, created: false, truncated: false, digest: null }]);
});

t.test('opens by a name that needs normalising land on the entry of the normalised path', async (t) => {
  const r = receiptOf([
    hello({ proto: 4 }),
    exec(),
    fork({ pid: 50, start: ms(1) }),
    open4({ path: '/proc/50/fd/1', mode: 'write', pid: 50, start: ms(1) }),
    open4({ path: '/proc/self/fd/1', mode: 'write', pid: 50, start: ms(1), truncated: true }),
    open4({ path: '/proc/self/fd/1', mode: 'readwrite', pid: 50, start: ms(1) }),
    exit(),
    end(),
  ]);
  t.same(r.filesystem.writes, [{ path: '/proc/50/fd/1', pids: [50], count: 3, created: false, truncated: true, digest: null }]);
  t.same(r.filesystem.reads, [{ path: '/proc/50/fd/1', pids: [50], count: 1 }]);
});
