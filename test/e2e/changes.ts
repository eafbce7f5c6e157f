// What changed on disk (issue 12), with real BPF, as root and in the unprivileged pass: every
// call that changes a name or metadata, ok and failing, by relative path, dirfd and fd; created
// and truncated on opens; rm -rf of a tree; the net effect of a git clone (outputs equal to what
// is on disk, with sha256sum's digests, and no lock or temp name); digests of a large output
// with the controller's memory flat; and a recording that replays byte for byte.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GH_RUN, GLASSHOUSE, ghRun, PROGRAMS, PYTHON, requireBpf, runCollect } from '../helpers/gh-run.js';

const ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', LC_ALL: 'C' };
const FIELDS = ['op', 'path', 'to', 'target', 'mode', 'kind', 'uid', 'gid', 'size', 'flags', 'fd', 'result'] as const;

/** An entry's identity: the fields that say what was attempted, in a fixed order. */
const keyOf = (e: any): string => JSON.stringify(FIELDS.map((f) => e[f] ?? null));

/** A scratch directory of our own, removed at the end (some tests make it hard to remove). */
function scratch(t: Tap.Test): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'gh-changes-')));
  t.teardown(() => {
    spawnSync('chmod', ['-R', 'u+rwx', d]);
    rmSync(d, { recursive: true, force: true });
  });
  return d;
}

t.test('every change call, ok and failing, by path, dirfd and fd', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = scratch(t);
  const r = await ghRun([PYTHON, join(PROGRAMS, 'changes.py'), d], { cwd: d, env: ENV });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.receipt.collector.status, 'ok');
  t.equal(r.receipt.collector.events_lost, 0);
  // what the program saw each call return, in order
  const said = r.stdout.toString().trim().split('\n').map((l) => l.split(' ') as [string, string]);
  const res = (() => {
    let i = 0;
    return (name: string): string => {
      const [n, result] = said[i++] ?? [];
      if (n !== name) throw new Error(`changes.py printed ${n} where ${name} was expected (line ${i})`);
      return result!;
    };
  })();
  const p = (rel: string): string => join(d, rel);
  const root = process.getuid!() === 0;
  const umask = process.umask();
  const expected: any[] = [
    { op: 'delete', path: p('f1'), result: res('unlink') },
    { op: 'delete', path: p('f1'), result: res('unlink') },
    { op: 'delete', path: p('sub/a'), result: res('unlinkat') },
    { op: 'delete', path: p('sub/a'), result: res('unlinkat') },
    { op: 'rmdir', path: p('e'), result: res('rmdir') },
    { op: 'rmdir', path: p('full'), result: res('rmdir') },
    { op: 'rmdir', path: p('sub/e2'), result: res('unlinkat') },
    { op: 'rmdir', path: p('sub/e2'), result: res('unlinkat') },
    { op: 'mkdir', path: p('m'), mode: '0700', result: res('mkdir') },
    { op: 'mkdir', path: p('m'), mode: '0700', result: res('mkdir') },
    { op: 'mkdir', path: p('sub/m2'), mode: '0750', result: res('mkdirat') },
    { op: 'mkdir', path: p('sub/nope/m3'), mode: '0750', result: res('mkdirat') },
    { op: 'mknod', path: p('fifo'), mode: '0600', kind: 'fifo', result: res('mknod') },
    { op: 'mknod', path: p('fifo'), mode: '0600', kind: 'fifo', result: res('mknod') },
    { op: 'mknod', path: p('sub/fifo2'), mode: '0644', kind: 'fifo', result: res('mknodat') },
    { op: 'mknod', path: p('sub/nope/fifo3'), mode: '0644', kind: 'fifo', result: res('mknodat') },
    { op: 'rename', path: p('r1'), to: p('r2'), result: res('rename') },
    { op: 'rename', path: p('r1'), to: p('r2'), result: res('rename') },
    { op: 'rename', path: p('r2'), to: p('sub/r3'), result: res('renameat') },
    { op: 'rename', path: p('sub/nope'), to: p('r4'), result: res('renameat') },
    { op: 'rename', path: p('xa'), to: p('xb'), flags: ['RENAME_EXCHANGE'], result: res('renameat2') },
    { op: 'rename', path: p('xa'), to: p('xb'), flags: ['RENAME_NOREPLACE'], result: res('renameat2') },
    { op: 'rename', path: p('xa'), to: `/dev/shm/gh-changes-${r.receipt.processes.find((q: any) => q.argv?.[1]?.endsWith('changes.py'))?.pid}`, result: res('rename') },
    { op: 'link', path: p('l1'), to: p('xa'), result: res('link') },
    { op: 'link', path: p('l2'), to: p('nope'), result: res('link') },
    { op: 'link', path: p('sub/l3'), to: p('xb'), result: res('linkat') },
    { op: 'link', path: p('sub/l3'), to: p('xb'), result: res('linkat') },
    { op: 'symlink', path: p('s1'), target: '../not/normalised//target', result: res('symlink') },
    { op: 'symlink', path: p('s1'), target: 'x', result: res('symlink') },
    { op: 'symlink', path: p('sub/s2'), target: 'x', result: res('symlinkat') },
    { op: 'symlink', path: p('sub/nope/s3'), target: 'x', result: res('symlinkat') },
    { op: 'chmod', path: p('xa'), mode: '0640', result: res('chmod') },
    { op: 'chmod', path: p('nope'), mode: '0640', result: res('chmod') },
    { op: 'chmod', path: p('xb'), mode: '0604', fd: 4, result: res('fchmod') },
    { op: 'chmod', path: null, mode: '0604', fd: 999, result: res('fchmod') },
    { op: 'chmod', path: p('sub/l3'), mode: '0600', result: res('fchmodat') },
    { op: 'chmod', path: p('sub/nope'), mode: '0600', result: res('fchmodat') },
    { op: 'chmod', path: p('sub/l3'), mode: '0644', result: res('fchmodat2') },
    { op: 'chmod', path: p('sub/nope'), mode: '0644', result: res('fchmodat2') },
    { op: 'chown', path: p('xa'), uid: -1, gid: -1, result: res('chown') },
    { op: 'chown', path: p('nope'), uid: -1, gid: -1, result: res('chown') },
    { op: 'chown', path: p('xb'), uid: -1, gid: process.getgid!(), fd: 4, result: res('fchown') },
    { op: 'chown', path: null, uid: -1, gid: -1, fd: 999, result: res('fchown') },
    { op: 'chown', path: p('s1'), uid: -1, gid: -1, result: res('lchown') },
    { op: 'chown', path: p('nope'), uid: -1, gid: -1, result: res('lchown') },
    { op: 'chown', path: p('sub/s2'), uid: -1, gid: -1, flags: ['AT_SYMLINK_NOFOLLOW'], result: res('fchownat') },
    { op: 'chown', path: p('xb'), uid: -1, gid: -1, flags: ['AT_EMPTY_PATH'], result: res('fchownat') },
    { op: 'chown', path: p('sub/nope'), uid: -1, gid: -1, result: res('fchownat') },
    { op: 'truncate', path: p('xa'), size: 1, result: res('truncate') },
    { op: 'truncate', path: p('nope'), size: 0, result: res('truncate') },
    { op: 'truncate', path: p('xb'), size: 0, fd: 4, result: res('ftruncate') },
    { op: 'truncate', path: p('xa'), size: 0, fd: 5, result: res('ftruncate') },
    // bind: a socket file, with the mode the umask leaves; an abstract name is no file
    { op: 'mknod', path: p('sock'), mode: (0o777 & ~umask).toString(8).padStart(4, '0'), kind: 'socket', result: res('bind') },
    { op: 'mknod', path: p('sock'), mode: (0o777 & ~umask).toString(8).padStart(4, '0'), kind: 'socket', result: res('bind') },
    ...(res('bind-abstract') === 'ok' ? [] : [{ op: 'unexpected: the abstract bind failed' }]),
    // what python's own os calls did around them
    ...['sub', 'e', 'full', 'sub/e2'].map((x) => ({ op: 'mkdir', path: p(x), mode: '0777', result: 'ok' })),
  ];
  if (!root) {
    expected.push(
      { op: 'delete', path: p('ro/f'), result: res('unlink') },
      { op: 'rename', path: p('ro/f'), to: p('ro/g'), result: res('rename') },
      { op: 'chown', path: p('xa'), uid: 0, gid: 0, result: res('chown') },
      { op: 'mkdir', path: p('ro'), mode: '0777', result: 'ok' },
      { op: 'chmod', path: p('ro'), mode: '0555', result: 'ok' },
      { op: 'chmod', path: p('ro'), mode: '0755', result: 'ok' },
    );
  }
  t.equal(said.length, root ? 55 : 58, 'the program made every call');
  // the failures are the ones named
  const results = new Set(said.map(([, x]) => x));
  for (const errno of ['ENOENT', 'EEXIST', 'ENOTEMPTY', 'EXDEV', 'EBADF', 'EINVAL', 'EADDRINUSE', ...(root ? [] : ['EACCES', 'EPERM'])]) {
    t.ok(results.has(errno), `a call failed with ${errno}`);
  }
  const mine = r.receipt.filesystem.changes.filter((e: any) => e.path === null || e.path.startsWith(d + '/'));
  const got = mine.flatMap((e: any) => Array(e.count).fill(keyOf(e))).sort();
  t.same(got, expected.map(keyOf).sort(), 'exactly these changes: nothing missing, nothing foreign');
  t.ok(mine.every((e: any) => e.pids.length === 1), 'each by the one process that made it');
  t.notOk(r.receipt.filesystem.changes.some((e: any) => e.path_truncated), 'no path cut');
  // syscalls newer than the headers the helper is built with (Debian 12: Linux 6.1) are named
  t.ok(r.receipt.syscalls.fchmodat2 >= 2, 'fchmodat2 counted by its name');
  t.notOk(Object.keys(r.receipt.syscalls).some((k) => k.startsWith('syscall_')), 'no syscall left as a number');
});

t.test('the example from the issue: every change is in the receipt', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = scratch(t);
  writeFileSync(join(d, 'victim'), 'a\n');
  writeFileSync(join(d, 'a'), 'b\n');
  const r = await ghRun(['/bin/sh', '-c', 'rm victim; mv a b; mkdir d; chmod 777 b; ln -s b c'], { cwd: d });
  t.equal(r.code, 0);
  const ok = r.receipt.filesystem.changes.filter((e: any) => e.result === 'ok').map((e: any) => [e.op, e.path, e.to ?? e.target ?? e.mode ?? null]);
  t.same(ok.sort(), [
    ['chmod', join(d, 'b'), '0777'],
    ['delete', join(d, 'victim'), null],
    ['mkdir', join(d, 'd'), '0777'],
    ['rename', join(d, 'a'), join(d, 'b')],
    ['symlink', join(d, 'c'), 'b'],
  ].sort());
  t.same(r.receipt.filesystem.removed.map((e: any) => e.path).sort(), [join(d, 'a'), join(d, 'victim')], 'removed: the deleted file and the one renamed away');
});

t.test('created and truncated: >, >>, O_CREAT|O_EXCL, and an open of an existing file', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = scratch(t);
  writeFileSync(join(d, 'old'), 'old content\n');
  writeFileSync(join(d, 'kept'), 'kept\n');
  writeFileSync(join(d, 'rw'), 'rw\n');
  const script = [
    'echo x > new',            // created
    'echo y >> appended',      // created by >>
    'echo z > old',            // truncated
    'echo w >> kept',          // neither
    `${PYTHON} -c 'import os; os.close(os.open("excl", os.O_WRONLY|os.O_CREAT|os.O_EXCL, 0o644)); os.close(os.open("rw", os.O_RDWR))'`,
  ].join('; ');
  const r = await ghRun(['/bin/sh', '-c', script], { cwd: d, env: ENV });
  t.equal(r.code, 0, r.stderr);
  const w = (name: string) => r.receipt.filesystem.writes.find((e: any) => e.path === join(d, name));
  t.match(w('new'), { created: true, truncated: false });
  t.match(w('appended'), { created: true, truncated: false });
  t.match(w('old'), { created: false, truncated: true });
  t.match(w('kept'), { created: false, truncated: false });
  t.match(w('excl'), { created: true, truncated: false });
  t.match(w('rw'), { created: false, truncated: false });
  // the net effect: all of them hold what the tree wrote, created or not
  const outputs = new Map(r.receipt.filesystem.outputs.map((o: any) => [o.path, o]));
  for (const name of ['new', 'appended', 'excl']) t.match(outputs.get(join(d, name)), { created: true }, `${name} is an output, created`);
  for (const name of ['old', 'kept', 'rw']) t.match(outputs.get(join(d, name)), { created: false }, `${name} is an output, not created`);
  t.same(r.receipt.filesystem.removed, []);
});

t.test('rm -rf of a tree of 1,000 files and directories: every one listed, nothing foreign', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = scratch(t);
  const tree = join(d, 'tree');
  const files: string[] = [];
  const dirs: string[] = [tree];
  for (let i = 0; i < 40; i++) {
    const sub = join(tree, `d${i}`, `e${i % 3}`);
    mkdirSync(sub, { recursive: true });
    dirs.push(join(tree, `d${i}`), sub);
    for (let k = 0; k < 23; k++) {
      const f = join(sub, `f${k}`);
      writeFileSync(f, `${i} ${k}\n`);
      files.push(f);
    }
  }
  t.equal(files.length + dirs.length, 1001);
  const r = await ghRun(['rm', '-rf', tree], { cwd: d });
  t.equal(r.code, 0);
  t.equal(r.receipt.collector.events_lost, 0);
  const ch = r.receipt.filesystem.changes;
  t.same(ch.filter((e: any) => e.op === 'delete').map((e: any) => e.path).sort(), files.sort(), 'every file deleted, by its path');
  t.same(ch.filter((e: any) => e.op === 'rmdir').map((e: any) => e.path).sort(), dirs.sort(), 'every directory removed');
  t.ok(ch.every((e: any) => e.result === 'ok' && e.count === 1), 'each once, ok');
  t.equal(ch.length, 1001, 'nothing else');
  t.same(r.receipt.filesystem.removed.map((e: any) => e.path).sort(), [...files, ...dirs].sort(), 'all of it removed (none of it made by the run)');
  t.same(r.receipt.filesystem.outputs, []);
});

t.test('mv across directories, RENAME_EXCHANGE, RENAME_NOREPLACE: the net effect follows', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = scratch(t);
  mkdirSync(join(d, 'src'));
  mkdirSync(join(d, 'dst'));
  writeFileSync(join(d, 'src', 'pre'), 'pre-existing\n');
  const script = `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def renameat2(a, b, flags):
    return libc.syscall(316, -100, a.encode(), -100, b.encode(), flags)
with open('src/made', 'w') as f: f.write('made\\n')
os.rename('src/made', 'dst/made')               # an output, followed across directories
os.rename('src/pre', 'dst/pre')                 # a file the run did not write: src/pre removed
with open('x', 'w') as f: f.write('x\\n')
with open('y', 'w') as f: f.write('y\\n')
assert renameat2('x', 'y', 2) == 0              # exchange: both still there
assert renameat2('x', 'y', 1) == -1             # noreplace: EEXIST
with open('tmp', 'w') as f: f.write('tmp\\n')
os.unlink('tmp')                                # made and deleted: in neither list
`;
  const r = await ghRun([PYTHON, '-c', script], { cwd: d, env: ENV });
  t.equal(r.code, 0, r.stderr);
  const fs = r.receipt.filesystem;
  const renames = fs.changes.filter((e: any) => e.op === 'rename').map((e: any) => [e.path, e.to, e.flags ?? [], e.result]);
  t.same(renames.sort(), [
    [join(d, 'src/made'), join(d, 'dst/made'), [], 'ok'],
    [join(d, 'src/pre'), join(d, 'dst/pre'), [], 'ok'],
    [join(d, 'x'), join(d, 'y'), ['RENAME_EXCHANGE'], 'ok'],
    [join(d, 'x'), join(d, 'y'), ['RENAME_NOREPLACE'], 'EEXIST'],
  ].sort());
  t.same(fs.outputs.map((o: any) => [relative(d, o.path), o.created]), [['dst/made', true], ['x', true], ['y', true]]);
  t.same(fs.removed.map((o: any) => relative(d, o.path)), ['src/pre']);
  const digest = (rel: string) => fs.outputs.find((o: any) => o.path === join(d, rel))?.digest;
  t.same(digest('x'), { sha256: sha256(readFileSync(join(d, 'x'))), size: 2 }, 'x holds what y was written with');
  t.equal(readFileSync(join(d, 'x'), 'utf8'), 'y\n');
  t.equal(fs.writes.find((e: any) => e.path === join(d, 'tmp'))?.digest, null, 'a file written then deleted has no digest');
});

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function findFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...findFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

t.test('git clone of a local repository: outputs are what is on disk, digests are sha256sum\'s', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = scratch(t);
  const src = join(d, 'src');
  const git = (args: string[], cwd: string) => execFileSync('git', args, { cwd, env: { ...ENV, GIT_CONFIG_NOSYSTEM: '1', HOME: d, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' } });
  mkdirSync(src);
  git(['init', '-q', '-b', 'main'], src);
  for (let i = 0; i < 20; i++) {
    mkdirSync(join(src, `dir${i % 4}`), { recursive: true });
    writeFileSync(join(src, `dir${i % 4}`, `file${i}.txt`), `content ${i}\n`.repeat(i + 1));
  }
  git(['add', '.'], src);
  git(['commit', '-q', '-m', 'one'], src);
  writeFileSync(join(src, 'dir0', 'file0.txt'), 'changed\n');
  git(['commit', '-q', '-am', 'two'], src);
  // --no-local: the objects are packed and sent as git does over a network, not hard-linked
  const r = await ghRun(['git', 'clone', '-q', '--no-local', src, 'dst'], { cwd: d, env: { ...ENV, GIT_CONFIG_NOSYSTEM: '1', HOME: d } });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.receipt.collector.events_lost, 0);
  const dst = join(d, 'dst');
  const onDisk = findFiles(dst).sort();
  const outputs = r.receipt.filesystem.outputs.filter((o: any) => o.path.startsWith(dst + '/'));
  t.same(outputs.map((o: any) => o.path), onDisk, 'outputs under the clone = find dst -type f');
  const sums = execFileSync('sha256sum', onDisk, { encoding: 'utf8' }).trim().split('\n').map((l) => l.split(/\s+/)[0]);
  t.same(outputs.map((o: any) => o.digest?.sha256), sums, 'digests = sha256sum');
  t.same(outputs.map((o: any) => o.digest?.size), onDisk.map((f) => readFileSync(f).length), 'sizes');
  t.notOk(outputs.some((o: any) => /\.lock$|tmp_|\/incoming-/.test(o.path)), 'no lock or temp name survives');
  for (const want of ['.git/HEAD', '.git/config', '.git/index', '.git/packed-refs']) {
    t.ok(outputs.some((o: any) => o.path === join(dst, want)), `${want} is an output`);
  }
  t.ok(outputs.some((o: any) => /\.git\/objects\/pack\/pack-[0-9a-f]+\.pack$/.test(o.path)), 'the pack, under its final name');
  t.ok(outputs.every((o: any) => o.created), 'every one made by the clone');
  t.same(r.receipt.filesystem.removed.filter((e: any) => e.path.startsWith(dst)), [], 'nothing of the clone removed');
});

t.test('a 1 GiB output is hashed streaming: the controller\'s memory does not grow', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = scratch(t);
  // the peak resident set of gh-run (node) and what it waited for, from the kernel's rusage of
  // a parent that waits for it; node is by far the largest (dd's buffer is 1 MiB)
  const peak = (args: string[]): { kib: number; receipt: any } => {
    const receipt = join(d, 'r.json');
    const py = 'import resource, subprocess, sys\nr = subprocess.run(sys.argv[1:])\nprint(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)';
    const out = execFileSync(PYTHON, ['-c', py, process.execPath, GH_RUN, '-q', ...args, '-o', receipt, '--',
      'dd', 'if=/dev/zero', 'of=big', 'bs=1M', 'count=1024', 'status=none'], { cwd: d, encoding: 'utf8' });
    const [code, kib] = out.trim().split(' ').map(Number);
    t.equal(code, 0);
    return { kib: kib!, receipt: JSON.parse(readFileSync(receipt, 'utf8')) };
  };
  const without = peak(['--no-digests']);
  const withDigests = peak([]);
  const out = withDigests.receipt.filesystem.outputs.find((o: any) => o.path === join(d, 'big'));
  t.same(out?.digest, { sha256: execFileSync('sha256sum', [join(d, 'big')], { encoding: 'utf8' }).split(/\s+/)[0], size: 1 << 30 }, 'the digest of the whole GiB');
  t.ok(withDigests.kib < without.kib + 64 * 1024, `peak ${Math.round(withDigests.kib / 1024)} MiB hashing, ${Math.round(without.kib / 1024)} MiB without: not the file's size`);
  rmSync(join(d, 'big'));
});

t.test('--no-digests: no file is read, and the receipt says so', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = scratch(t);
  const r = await ghRun(['sh', '-c', 'echo x > out'], { cwd: d, args: ['--no-digests'] });
  t.equal(r.code, 0);
  t.equal(r.receipt.filesystem.digests, 'off');
  t.equal(r.receipt.filesystem.writes.find((e: any) => e.path === join(d, 'out'))?.digest, null);
  t.match(r.receipt.filesystem.outputs, [{ path: join(d, 'out'), created: true, digest: null }]);
});

t.test('a recording of a run with changes replays byte for byte, digests included', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = scratch(t);
  const rec = join(d, 'run.ghrec');
  writeFileSync(join(d, 'pre'), 'pre\n');
  const live = join(d, 'live.json');
  const r = await runCollect(() => [process.execPath, GH_RUN, '--record', rec, '-o', live, '--', 'sh', '-c', 'echo x > a; mv a b; rm pre; mkdir m; echo y > m/c'], { cwd: d });
  t.equal(r.code, 0);
  r.receipt = JSON.parse(readFileSync(live, 'utf8'));
  t.ok(r.receipt.filesystem.outputs.length >= 2 && r.receipt.filesystem.outputs.every((o: any) => o.digest), 'the live run has digests');
  // the disk changes after the run: replay must not look at it
  rmSync(join(d, 'b'));
  writeFileSync(join(d, 'm', 'c'), 'something else\n');
  const replayed = join(d, 'replayed.json');
  const rp = spawnSync(process.execPath, [GLASSHOUSE, 'replay', rec, '-o', replayed], { encoding: 'utf8' });
  t.equal(rp.status, 0, rp.stderr);
  t.equal(readFileSync(replayed, 'utf8'), readFileSync(live, 'utf8'), 'the same bytes');
});
