// filesystem.changes: every attempt to change a name or metadata, folded per distinct attempt,
// paths made absolute like failed opens, modes, kinds, devices and flags spelled out.
import t from 'tap';
import { devString, flagNames, modeString, nodeKind } from '../../controller/aggregate/changes.js';
import { ROOT, change, end, exec, exit, fork, hello, ms, receiptOf, type Wire } from '../helpers/events.js';

const changes = (...frames: Wire[]) =>
  receiptOf([hello({ proto: 4 }), exec(), fork({ pid: 50, start: ms(1) }), ...frames, exit(), end()]).filesystem.changes;

t.test('one entry per distinct attempt: pids sorted, counts summed, ok and failed apart', async (t) => {
  const c = changes(
    change({ op: 'delete', path: '/tmp/a', pid: 50, start: ms(1) }),
    change({ op: 'delete', path: '/tmp/a' }),
    change({ op: 'delete', path: '/tmp/a', pid: 50, start: ms(1) }),
    change({ op: 'delete', path: '/tmp/a', err: 'ENOENT' }),
    change({ op: 'chmod', path: '/tmp/a', mode: 0o644 }),
    change({ op: 'chmod', path: '/tmp/a', mode: 0o600 }),
  );
  t.same(c, [
    { op: 'chmod', path: '/tmp/a', mode: '0600', result: 'ok', pids: [ROOT], count: 1 },
    { op: 'chmod', path: '/tmp/a', mode: '0644', result: 'ok', pids: [ROOT], count: 1 },
    { op: 'delete', path: '/tmp/a', result: 'ENOENT', pids: [ROOT], count: 1 },
    { op: 'delete', path: '/tmp/a', result: 'ok', pids: [50, ROOT], count: 3 },
  ]);
});

t.test('paths: relative against base and to_base, normalised, /proc/self with the real pid', async (t) => {
  const c = changes(
    change({ op: 'rename', path: 'x/../a.tmp', base: '/w/./d', to: './a', to_base: '/w/d' }),
    change({ op: 'delete', path: 'self/fd/3', base: '/proc', pid: 50, start: ms(1) }),
    change({ op: 'mkdir', path: '//abs//dir/', mode: 0o755 }),
    change({ op: 'link', path: 'new', base: '/w', to: '../old', to_base: '/w/sub' }),
    change({ op: 'symlink', path: 'l', base: '/w', target: '../../x//y/' }),
  );
  t.same(c.map((e) => [e.op, e.path, e.to, e.target]), [
    ['mkdir', '/abs/dir', undefined, undefined],
    ['delete', '/proc/50/fd/3', undefined, undefined],
    ['rename', '/w/d/a.tmp', '/w/d/a', undefined],
    ['symlink', '/w/l', undefined, '../../x//y/'],
    ['link', '/w/new', '/w/old', undefined],
  ]);
});

t.test('f* forms: the kernel names the file, kept as it is; EBADF: path null, first in the list', async (t) => {
  const c = changes(
    change({ op: 'chmod', call: 'fchmod', path: 'pipe:[77]', fd: 1, mode: 0o600 }),
    change({ op: 'truncate', call: 'ftruncate', path: '/w/log', fd: 3, size: 0 }),
    change({ op: 'chmod', call: 'fchmod', path: null, fd: 99, mode: 0o644, err: 'EBADF' }),
    change({ op: 'chown', call: 'fchownat', path: 'memfd:a/../b', fd: 4, uid: -1, gid: 100, flags: 0x1000 }),
    change({ op: 'link', call: 'linkat', path: 'out', base: '/d', to: '/d/#123', fd: 5, flags: 0x1000 }),
  );
  t.same(c, [
    { op: 'chmod', path: null, mode: '0644', fd: 99, result: 'EBADF', pids: [ROOT], count: 1 },
    { op: 'link', path: '/d/out', to: '/d/#123', flags: ['AT_EMPTY_PATH'], fd: 5, result: 'ok', pids: [ROOT], count: 1 },
    { op: 'truncate', path: '/w/log', size: 0, fd: 3, result: 'ok', pids: [ROOT], count: 1 },
    { op: 'chown', path: 'memfd:a/../b', uid: -1, gid: 100, flags: ['AT_EMPTY_PATH'], fd: 4, result: 'ok', pids: [ROOT], count: 1 },
    { op: 'chmod', path: 'pipe:[77]', mode: '0600', fd: 1, result: 'ok', pids: [ROOT], count: 1 },
  ]);
});

t.test('mode, kind and dev: permission bits in octal, mknod types, major:minor of char and block only', async (t) => {
  const c = changes(
    change({ op: 'mknod', path: '/d/fifo', mode: 0o010644 }),
    change({ op: 'mknod', path: '/d/file', mode: 0o644 }),
    change({ op: 'mknod', path: '/d/reg', mode: 0o100600 }),
    change({ op: 'mknod', path: '/d/null', mode: 0o020666, dev: (1 << 8) | 3 }),
    change({ op: 'mknod', path: '/d/sda1', mode: 0o060660, dev: (8 << 8) | 1 }),
    change({ op: 'mknod', path: '/d/sock', mode: 0o140755, dev: 5 }),
    change({ op: 'mknod', path: '/d/dir', mode: 0o040755, err: 'EPERM' }),
    change({ op: 'mkdir', path: '/d/x', mode: 0o41777 }),
  );
  t.same(c.map((e) => [e.path, e.mode, e.kind, e.dev]), [
    ['/d/dir', '0755', undefined, undefined],
    ['/d/fifo', '0644', 'fifo', undefined],
    ['/d/file', '0644', 'file', undefined],
    ['/d/null', '0666', 'char', '1:3'],
    ['/d/reg', '0600', 'file', undefined],
    ['/d/sda1', '0660', 'block', '8:1'],
    ['/d/sock', '0755', 'socket', undefined],
    ['/d/x', '1777', undefined, undefined],
  ]);
  t.equal(modeString(0o4755), '4755');
  t.equal(modeString(0), '0000');
  t.equal(nodeKind(0o120777), null, 'a symlink type: not a node mknod makes');
  // gnu_dev_makedev(259, 65536) and (4095 + 4096, 255 + 256): the high parts of a 64-bit dev_t
  const makedev = (major: bigint, minor: bigint) =>
    Number(((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n));
  t.equal(devString(makedev(259n, 65536n)), '259:65536');
  t.equal(devString(makedev(8191n, 511n)), '8191:511');
  t.equal(devString(0), '0:0');
});

t.test('flags: names of the bits, unknown bits in hex, none when 0, AT_REMOVEDIR left to op rmdir', async (t) => {
  t.same(flagNames('rename', 0), []);
  t.same(flagNames('rename', 1), ['RENAME_NOREPLACE']);
  t.same(flagNames('rename', 2 | 4), ['RENAME_EXCHANGE', 'RENAME_WHITEOUT']);
  t.same(flagNames('rename', 8 | 1), ['RENAME_NOREPLACE', '0x8']);
  t.same(flagNames('link', 0x400 | 0x1000), ['AT_SYMLINK_FOLLOW', 'AT_EMPTY_PATH']);
  t.same(flagNames('chown', 0x100 | 0x1000), ['AT_SYMLINK_NOFOLLOW', 'AT_EMPTY_PATH']);
  t.same(flagNames('chmod', 0x100), ['AT_SYMLINK_NOFOLLOW']);
  t.same(flagNames('rmdir', 0x200), []);
  t.same(flagNames('delete', 0x200), ['AT_REMOVEDIR']);
  t.same(flagNames('mkdir', 0x100), ['0x100'], 'a bit of another call is unknown here');
  t.same(flagNames('rename', -1).length, 64, 'a negative int: its 64 bits');
  t.same(flagNames('rename', 2 ** 40), ['0x10000000000']);
  const c = changes(
    change({ op: 'rmdir', call: 'unlinkat', path: '/d', flags: 0x200 }),
    change({ op: 'rename', path: '/a', to: '/b', flags: 2 }),
    change({ op: 'chown', path: '/l', uid: 0, gid: 0, flags: 0x100 }),
  );
  t.same(c.map((e) => [e.op, e.flags]), [
    ['rename', ['RENAME_EXCHANGE']],
    ['rmdir', undefined],
    ['chown', ['AT_SYMLINK_NOFOLLOW']],
  ]);
});

t.test('sorted by path (null first), then op, then the rest; cut paths marked', async (t) => {
  const c = changes(
    change({ op: 'truncate', path: '/b', size: 10 }),
    change({ op: 'truncate', path: '/b', size: 9 }),
    change({ op: 'delete', path: '/b' }),
    change({ op: 'delete', path: '/a/b' }),
    change({ op: 'delete', path: '/a-' }),
    change({ op: 'chmod', call: 'fchmod', path: null, fd: 3, mode: 0o600, err: 'EBADF' }),
    change({ op: 'delete', path: 'x', base: '\u2026/deep', path_truncated: true }),
    change({ op: 'rename', path: '/r', to: '\u2026/long/target' }),
  );
  t.same(c.map((e) => [e.path, e.op, e.size ?? null]), [
    [null, 'chmod', null],
    ['/a-', 'delete', null],
    ['/a/b', 'delete', null],
    ['/b', 'delete', null],
    ['/b', 'truncate', 10],
    ['/b', 'truncate', 9],
    ['/r', 'rename', null],
    ['\u2026/deep/x', 'delete', null],
  ]);
  t.equal(c.find((e) => e.op === 'rename')!.path_truncated, true, 'a cut `to` marks the entry');
  t.equal(c.at(-1)!.path_truncated, true);
  t.equal(c[1]!.path_truncated, undefined);
});

t.test('a change frame is an event of its process; its mount namespace noted', async (t) => {
  const r = receiptOf([hello({ proto: 4 }), exec(), change({ op: 'delete', path: 'mnt:[4026532178]/tmp/x', mnt_ns: 4026532178 }), exit(), end()]);
  t.equal(r.collector.events, 3);
  t.equal(r.process_tree!.mnt_ns, 4026532178);
  t.same(r.filesystem.changes.map((e) => e.path), ['mnt:[4026532178]/tmp/x']);
});

t.test('fields that are empty strings stay apart from absent ones', async (t) => {
  const c = changes(
    change({ op: 'symlink', path: '/l', target: '' }),
    change({ op: 'symlink', path: '/l', target: null }),
    change({ op: 'delete', path: '' }),
  );
  t.same(c.map((e) => [e.path, e.target]), [
    ['', undefined],
    ['/l', undefined],
    ['/l', ''],
  ]);
});
