// filesystem.outputs and filesystem.removed: the net effect of the tree's writes and changes,
// replayed in frame order, on sequences real programs make.
import t from 'tap';
import { isOnDisk } from '../../controller/aggregate/net-effect.js';
import { change, end, exec, exit, hello, open, open4, receiptOf, type Wire } from '../helpers/events.js';

const O_TMPFILE = 0o20200000; // __O_TMPFILE | O_DIRECTORY, as glibc passes it
const write = (path: string, o: { created?: boolean; truncated?: boolean; flags?: number } = {}) =>
  open4({ path, mode: 'write', created: o.created ?? false, truncated: o.truncated ?? false, ...(o.flags !== undefined ? { flags: o.flags } : {}) });
const create = (path: string) => write(path, { created: true });
const del = (path: string, err: string | null = null) => change({ op: 'delete', path, err });
const rename = (path: string, to: string, flags = 0) => change({ op: 'rename', path, to, flags });

function effect(...frames: Wire[]) {
  const fs = receiptOf([hello({ proto: 4 }), exec(), ...frames, exit(), end()]).filesystem;
  // (no digests in these run facts: every digest is null, tested in digests below)
  return { outputs: fs.outputs.map(({ path, created }) => ({ path, created })), removed: fs.removed };
}

t.test('git: a lock file written then renamed over the real one; a temporary pack linked then unlinked', async (t) => {
  const e = effect(
    create('/r/.git/HEAD.lock'),
    rename('/r/.git/HEAD.lock', '/r/.git/HEAD'),
    create('/r/.git/config.lock'),
    change({ op: 'rename', call: 'rename', path: 'config.lock', base: '/r/.git', to: 'config', to_base: '/r/.git' }),
    create('/r/.git/objects/pack/tmp_pack_X'),
    change({ op: 'chmod', path: '/r/.git/objects/pack/tmp_pack_X', mode: 0o444 }),
    change({ op: 'link', path: '/r/.git/objects/pack/pack-1.pack', to: '/r/.git/objects/pack/tmp_pack_X' }),
    del('/r/.git/objects/pack/tmp_pack_X'),
    del('/r/.git/index.lock', 'ENOENT'),
  );
  t.same(e.outputs, [
    { path: '/r/.git/HEAD', created: true },
    { path: '/r/.git/config', created: true },
    { path: '/r/.git/objects/pack/pack-1.pack', created: true },
  ]);
  t.same(e.removed, [], 'what the tree made and removed is no removal; a failed delete removes nothing');
});

t.test('O_TMPFILE: no name until linked; the name it is linked to is the output', async (t) => {
  const e = effect(
    write('/d/#123', { created: true, flags: O_TMPFILE | 0o2 }),
    change({ op: 'link', call: 'linkat', path: 'out', base: '/d', to: '/d/#123', fd: 3, flags: 0x1000 }),
    write('/d/#124', { created: true, flags: O_TMPFILE | 0o2 }),
  );
  t.same(e.outputs, [{ path: '/d/out', created: true }]);
  t.same(e.removed, []);
});

t.test('a temporary file created then deleted is in neither list; a pre-existing one deleted is removed', async (t) => {
  const e = effect(create('/tmp/cc1.s'), write('/tmp/cc1.s'), del('/tmp/cc1.s'), del('/home/me/old.log'));
  t.same(e.outputs, []);
  t.same(e.removed, [{ path: '/home/me/old.log', op: 'delete' }]);
});

t.test('a pre-existing file modified, then deleted: removed, not an output', async (t) => {
  const e = effect(write('/w/data', { truncated: true }), write('/w/data'), del('/w/data'));
  t.same(e.outputs, []);
  t.same(e.removed, [{ path: '/w/data', op: 'delete' }]);
});

t.test('a directory renamed: what was written under it moves with it', async (t) => {
  const e = effect(
    change({ op: 'mkdir', path: '/b/stage', mode: 0o755 }),
    change({ op: 'mkdir', path: '/b/stage/sub', mode: 0o755 }),
    create('/b/stage/a.o'),
    create('/b/stage/sub/b.o'),
    write('/b/stage-other/c.o', { created: true }),
    rename('/b/stage', '/b/out'),
  );
  t.same(e.outputs, [
    { path: '/b/out/a.o', created: true },
    { path: '/b/out/sub/b.o', created: true },
    { path: '/b/stage-other/c.o', created: true },
  ]);
  t.same(e.removed, [], 'the directory was the tree\'s own');
  const pre = effect(create('/p/dir/x'), rename('/p/dir', '/p/moved'));
  t.same(pre.outputs, [{ path: '/p/moved/x', created: true }]);
  t.same(pre.removed, [{ path: '/p/dir', op: 'rename' }], 'a directory the tree found there, renamed away');
});

t.test('RENAME_EXCHANGE swaps the two, subtrees included; nothing is removed', async (t) => {
  const e = effect(
    create('/x/new'),
    create('/x/new.d/f'),
    rename('/x/new', '/x/cur', 2),
    rename('/x/new.d', '/x/cur.d', 2),
  );
  t.same(e.outputs, [
    { path: '/x/cur', created: true },
    { path: '/x/cur.d/f', created: true },
  ]);
  t.same(e.removed, []);
  // and swapped back: where they started
  const back = effect(create('/x/a'), rename('/x/a', '/x/b', 2), rename('/x/a', '/x/b', 2));
  t.same(back.outputs, [{ path: '/x/a', created: true }]);
});

t.test('deleted, then made again: no longer removed; deleted again: removed again', async (t) => {
  t.same(effect(del('/w/f'), create('/w/f')), { outputs: [{ path: '/w/f', created: true }], removed: [] });
  t.same(effect(del('/w/f'), create('/w/f'), del('/w/f')), { outputs: [], removed: [{ path: '/w/f', op: 'delete' }] });
  t.same(effect(change({ op: 'rmdir', path: '/w/d' }), change({ op: 'mkdir', path: '/w/d', mode: 0o700 })), { outputs: [], removed: [] });
  t.same(effect(del('/w/f'), rename('/w/g.tmp', '/w/f')), { outputs: [], removed: [{ path: '/w/g.tmp', op: 'rename' }] }, 'a rename onto it makes it again');
  t.same(effect(del('/w/f'), create('/w/f'), rename('/w/f', '/w/g')), {
    outputs: [{ path: '/w/g', created: true }],
    removed: [{ path: '/w/f', op: 'rename' }],
  }, 'the last call that removed it');
});

t.test('a pre-existing file renamed: removed under its old name, and no output (the tree wrote nothing)', async (t) => {
  t.same(effect(rename('/w/a', '/w/b')), { outputs: [], removed: [{ path: '/w/a', op: 'rename' }] });
  t.same(effect(rename('/w/a', '/w/b'), rename('/w/b', '/w/a')), { outputs: [], removed: [] }, 'and back: nothing gone');
  t.same(effect(rename('/w/a', '/w/b'), del('/w/b')), { outputs: [], removed: [{ path: '/w/a', op: 'rename' }] });
  t.same(effect(write('/w/log'), rename('/w/log', '/w/log.1')), {
    outputs: [{ path: '/w/log.1', created: false }],
    removed: [{ path: '/w/log', op: 'rename' }],
  }, 'a file the tree appended to, then rotated');
  t.same(effect(rename('/w/a', '/w/a')), { outputs: [], removed: [] }, 'renamed to itself: nothing happens');
});

t.test('a rename replaces what was at the target; a truncate is content; chmod and chown are not', async (t) => {
  t.same(effect(create('/w/new'), write('/w/old'), rename('/w/new', '/w/old')), { outputs: [{ path: '/w/old', created: true }], removed: [] });
  t.same(effect(rename('/w/pre', '/w/out')), { outputs: [], removed: [{ path: '/w/pre', op: 'rename' }] });
  t.same(effect(create('/w/out'), rename('/w/pre', '/w/out')), { outputs: [], removed: [{ path: '/w/pre', op: 'rename' }] }, 'replaced by a file the tree did not write');
  t.same(effect(change({ op: 'truncate', path: 'log', base: '/w', size: 0 })), { outputs: [{ path: '/w/log', created: false }], removed: [] });
  t.same(effect(change({ op: 'chmod', path: '/w/x', mode: 0o755 }), change({ op: 'chown', path: '/w/x', uid: 0, gid: 0 })), { outputs: [], removed: [] });
});

t.test('directories, symlinks and nodes the tree made are changes, not outputs', async (t) => {
  const e = effect(
    change({ op: 'mkdir', path: '/w/d', mode: 0o755 }),
    change({ op: 'symlink', path: '/w/l', target: 'd' }),
    change({ op: 'mknod', path: '/w/fifo', mode: 0o10644 }),
    write('/w/fifo'),
    change({ op: 'mknod', path: '/w/empty', mode: 0o100644 }),
  );
  t.same(e.outputs, [{ path: '/w/empty', created: true }], 'a regular file made by mknod is one');
  const gone = effect(change({ op: 'mkdir', path: '/w/d' }), change({ op: 'rmdir', path: '/w/d' }), change({ op: 'rmdir', path: '/w/pre' }));
  t.same(gone.removed, [{ path: '/w/pre', op: 'rmdir' }]);
});

t.test('no output off the disk: pipes and memfds, /dev (but /dev/shm), /proc, /sys; cut and foreign paths kept', async (t) => {
  const e = effect(
    write('/dev/null'),
    write('/dev/pts/3'),
    create('/dev/shm/sem.x'),
    write('/proc/4242/oom_score_adj'),
    write('/sys/fs/cgroup/x/cgroup.procs'),
    write('pipe:[77]'),
    create('memfd:jit'),
    create('\u2026/very/deep/f'),
    create('mnt:[4026532178]/tmp/f'),
    create('/device-free/f'),
  );
  t.same(e.outputs.map((o) => o.path), ['/dev/shm/sem.x', '/device-free/f', 'mnt:[4026532178]/tmp/f', '\u2026/very/deep/f']);
  t.ok(isOnDisk('/dev/shm'));
  t.notOk(isOnDisk('/dev'));
  t.ok(isOnDisk('/devices/x'));
  t.ok(isOnDisk('/process'));
  t.notOk(isOnDisk('anon_inode:[eventfd]'));
});

t.test('recordings of helpers before protocol 4 tell no changes: outputs and removed stay empty', async (t) => {
  const fs = receiptOf([hello({ proto: 3 }), exec(), open({ path: '/w/out', mode: 'write' }), exit(), end()]).filesystem;
  t.equal(fs.writes.length, 1);
  t.same(fs.outputs, []);
  t.same(fs.removed, []);
});

t.test('only changes that worked count', async (t) => {
  t.same(
    effect(create('/w/a'), change({ op: 'rename', path: '/w/a', to: '/w/b', err: 'EXDEV' }), change({ op: 'delete', path: '/w/c', err: 'EACCES' })),
    { outputs: [{ path: '/w/a', created: true }], removed: [] },
  );
});

t.test('two runs of a reproducible build: the same outputs, whatever the temporary names', async (t) => {
  const build = (tmp: string) =>
    effect(
      create(`/tmp/${tmp}.s`),
      create('/b/obj/main.o.tmp'),
      rename('/b/obj/main.o.tmp', '/b/obj/main.o'),
      del(`/tmp/${tmp}.s`),
      write('/dev/null'),
      create('/b/app'),
    );
  t.same(build('ccA1'), build('ccZ9'));
  t.same(build('ccA1').outputs.map((o) => o.path), ['/b/app', '/b/obj/main.o']);
});

t.test('digests: from the run facts, on writes and outputs alike; the paths the run is to hash', async (t) => {
  const { Aggregator } = await import('../../controller/aggregate/aggregate.js');
  const { facts, toFrames } = await import('../helpers/events.js');
  const frames = toFrames([
    hello({ proto: 4 }),
    exec(),
    create('/b/out.tmp'),
    rename('/b/out.tmp', '/b/out'),
    create('/b/gone'),
    write('pipe:[5]'),
    create('\u2026/cut/f'),
    write('/b/log'),
    exit(),
    end(),
  ]);
  const a = new Aggregator(facts());
  for (const f of frames) a.add(f);
  t.same(a.digestPaths(), ['/b/gone', '/b/log', '/b/out'], 'writes and outputs that can be opened, sorted, once each; not /b/out.tmp, which the run renamed away');
  const d = (c: string) => ({ sha256: c.repeat(64), size: 3 });
  const digests = { algorithm: 'sha256' as const, files: [{ path: '/b/log', ...d('a') }, { path: '/b/out', ...d('b') }] };
  const fs = a.finish(facts({ digests })).filesystem;
  t.same(fs.writes.map((w) => [w.path, w.digest]), [
    ['/b/gone', null],
    ['/b/log', d('a')],
    ['/b/out.tmp', null],
    ['pipe:[5]', null],
    ['\u2026/cut/f', null],
  ]);
  t.same(fs.outputs, [
    { path: '/b/gone', created: true, digest: null },
    { path: '/b/log', created: false, digest: d('a') },
    { path: '/b/out', created: true, digest: d('b') },
    { path: '\u2026/cut/f', created: true, digest: null },
  ]);
  t.equal(fs.digests, 'sha256');
  const off = receiptOf([hello({ proto: 4 }), exec(), write('/b/log'), exit(), end()], facts({ digests: { algorithm: 'off', files: [] } })).filesystem;
  t.same([off.digests, off.writes[0]!.digest], ['off', null], '--no-digests');
  const older = receiptOf([hello({ proto: 4 }), exec(), write('/b/log'), exit(), end()]).filesystem;
  t.same([older.digests, older.writes[0]!.digest], ['off', null], 'run facts without digests (an older recording): none were taken');
});
