// The digests of what the tree wrote, taken from the disk when the run has ended: real files in
// a test directory, and everything that must give none (without blocking, following a link or
// holding a large file in memory).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestFile, takeDigests } from '../../controller/run/digests.js';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

t.test('a regular file: the sha256 and size of its content, as node computes them', async (t) => {
  const dir = t.testdir({ 'a.txt': 'hello\n', empty: '', 'bin.dat': Buffer.from([0, 1, 2, 255]) });
  t.same(await digestFile(join(dir, 'a.txt')), { sha256: sha256('hello\n'), size: 6 });
  t.same(await digestFile(join(dir, 'empty')), { sha256: sha256(''), size: 0 });
  t.same(await digestFile(join(dir, 'bin.dat')), { sha256: sha256(Buffer.from([0, 1, 2, 255])), size: 4 });
  const big = Buffer.alloc(3 * (1 << 20) + 17, 'xyz');
  writeFileSync(join(dir, 'big'), big);
  t.same(await digestFile(join(dir, 'big'), Buffer.alloc(1000)), { sha256: sha256(big), size: big.length }, 'in chunks of the buffer given');
});

t.test('nothing to hash: a fifo (without blocking), a symlink, a directory, a device, a deleted path, /proc', async (t) => {
  const dir = t.testdir({ target: 'secret', sub: {} });
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  symlinkSync(join(dir, 'target'), join(dir, 'link'));
  const started = Date.now();
  t.equal(await digestFile(join(dir, 'fifo')), null, 'a fifo at a written path');
  t.ok(Date.now() - started < 5000, 'and it did not block');
  t.equal(await digestFile(join(dir, 'link')), null, 'a symlink: not followed');
  t.equal(await digestFile(join(dir, 'sub')), null);
  t.equal(await digestFile('/dev/null'), null);
  t.equal(await digestFile(join(dir, 'gone')), null);
  t.equal(await digestFile('/proc/self/status'), null, 'a regular file of a pseudo file system');
  t.equal(await digestFile('/sys/kernel/mm/transparent_hugepage/enabled'), null);
});

t.test('names that cannot be opened: cut, of another mount namespace, pathless, relative', async (t) => {
  for (const path of ['\u2026/deep/f', 'mnt:[4026532178]/tmp/f', 'pipe:[77]', 'memfd:x', 'rel/f', '/a/../etc/passwd', '']) {
    t.equal(await digestFile(path), null, JSON.stringify(path));
  }
});

t.test('an unreadable file has no digest', async (t) => {
  // root reads a file whatever its mode (CAP_DAC_OVERRIDE): as root, the same call is made with
  // the effective ids of nobody for its duration (glibc applies them to every thread, libuv's
  // file system threads too)
  const dir = mkdtempSync(join(tmpdir(), 'gh-digest-')); // /tmp: a directory nobody can enter
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'locked'), 'x', { mode: 0o000 });
  writeFileSync(join(dir, 'open'), 'readable', { mode: 0o644 });
  const root = process.getuid?.() === 0;
  if (root) {
    process.setegid!(65534);
    process.seteuid!(65534);
  }
  let got: unknown[];
  try {
    got = [await digestFile(join(dir, 'locked')), await digestFile(join(dir, 'open'))];
  } finally {
    if (root) {
      process.seteuid!(0);
      process.setegid!(0);
    }
  }
  t.same(got, [null, { sha256: sha256('readable'), size: 8 }], 'none for the file that cannot be read, one for its readable neighbour');
});

t.test('takeDigests: every path that has one, sorted; --no-digests takes none', async (t) => {
  const dir = t.testdir({ b: 'bee', a: 'ay', c: { d: 'dee' } });
  const paths = [join(dir, 'a'), join(dir, 'b'), join(dir, 'c'), join(dir, 'c', 'd'), join(dir, 'missing'), 'pipe:[1]'];
  t.same(await takeDigests(paths, true), {
    digests: {
      algorithm: 'sha256',
      files: [
        { path: join(dir, 'a'), sha256: sha256('ay'), size: 2 },
        { path: join(dir, 'b'), sha256: sha256('bee'), size: 3 },
        { path: join(dir, 'c', 'd'), sha256: sha256('dee'), size: 3 },
      ],
    },
    stopped: 0,
  });
  t.same(await takeDigests(paths, false), { digests: { algorithm: 'off', files: [] }, stopped: 0 });
  t.same(await takeDigests([], true), { digests: { algorithm: 'sha256', files: [] }, stopped: 0 });
  const many = Array.from({ length: 50 }, (_, i) => join(dir, `f${String(i).padStart(2, '0')}`));
  for (const p of many) writeFileSync(p, p);
  const { digests: got } = await takeDigests([...many].reverse(), true);
  t.same(got.files.map((f) => f.path), many, 'sorted by path, whatever the order given');
  t.ok(got.files.every((f) => f.sha256 === sha256(f.path)));
});

t.test('a large file is streamed: 256 MiB (sparse) hashed without the memory growing with it', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'sparse');
  closeSync(openSync(path, 'w'));
  truncateSync(path, 256 * (1 << 20));
  const expected = createHash('sha256');
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < 256; i++) expected.update(zeros);
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const got = await digestFile(path);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  t.same(got, { sha256: expected.digest('hex'), size: 256 * (1 << 20) });
  t.ok(peak - before < 64 * (1 << 20), `RSS grew by ${((peak - before) / (1 << 20)).toFixed(1)} MiB`);
});

t.test('stopped (a signal to gh-run): the files not hashed yet are left without a digest, and counted', async (t) => {
  const dir = t.testdir({ a: 'a', b: 'b' });
  const stop = new AbortController();
  stop.abort();
  t.same(await takeDigests([join(dir, 'a'), join(dir, 'b')], true, stop.signal), { digests: { algorithm: 'sha256', files: [] }, stopped: 2 });
  const path = join(dir, 'sparse');
  closeSync(openSync(path, 'w'));
  truncateSync(path, 1 << 30);
  const midway = new AbortController();
  const started = Date.now();
  setTimeout(() => midway.abort(), 50);
  t.same(await takeDigests([join(dir, 'a'), path], true, midway.signal), {
    digests: { algorithm: 'sha256', files: [{ path: join(dir, 'a'), sha256: sha256('a'), size: 1 }] },
    stopped: 1,
  });
  t.ok(Date.now() - started < 2000, 'a large file is left between two chunks');
});
