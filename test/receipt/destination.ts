// Where a receipt goes (-o): decided and checked before the command runs; a regular file is
// replaced atomically (through a symlink: its target), an fd or a non-regular file is written in
// place, and what cannot be written is refused with the reason.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, lstatSync, openSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeDestination, DestinationError, openDestination, replacedSince } from '../../controller/receipt/destination.js';
import { writeReceipt } from '../../controller/receipt/write-receipt.js';
import { SCHEMA_VERSION } from '../../controller/schema/receipt.js';
import { end, exec, exit, hello, receiptOf } from '../helpers/events.js';

const receipt = () => receiptOf([hello(), exec(), exit(), end()]);

t.test('a path where nothing is yet: a file, checked by a probe that leaves nothing behind', async (t) => {
  const dir = t.testdir({});
  const d = openDestination(join(dir, 'r.json'));
  t.match(d, { kind: 'file', path: join(dir, 'r.json'), seen: null });
  t.same(spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout, '', 'no probe file left');
  t.equal(replacedSince(d), false);
  writeFileSync(join(dir, 'r.json'), 'another run\n');
  t.equal(replacedSince(d), true, 'made by someone else during the run');
});

t.test('a regular file: replaced atomically; changed during the run: said', async (t) => {
  const dir = t.testdir({ 'r.json': 'earlier\n' });
  const d = openDestination(join(dir, 'r.json'));
  t.match(d, { kind: 'file', path: join(dir, 'r.json') });
  t.equal(replacedSince(d), false, 'unchanged');
  writeFileSync(join(dir, 'r.json'), 'another run, longer\n');
  t.equal(replacedSince(d), true);
});

t.test('a symlink to a regular file: its target is written, the link stays', async (t) => {
  const dir = t.testdir({ real: { 'r.json': 'earlier\n' } });
  const link = join(dir, 'link.json');
  symlinkSync(join(dir, 'real', 'r.json'), link);
  const d = openDestination(link);
  t.match(d, { kind: 'file', path: join(dir, 'real', 'r.json'), name: link });
  await writeReceipt(d, receipt());
  t.ok(lstatSync(link).isSymbolicLink(), 'still a link');
  t.equal(readlinkSync(link), join(dir, 'real', 'r.json'));
  t.match(JSON.parse(readFileSync(link, 'utf8')), { schema_version: SCHEMA_VERSION });
});

t.test('refused with the reason: a directory, a dangling symlink, a missing directory, an fd not given', async (t) => {
  const dir = t.testdir({ sub: {} });
  symlinkSync(join(dir, 'nowhere', 'r.json'), join(dir, 'dangling.json'));
  const cases: [string, RegExp][] = [
    [join(dir, 'sub'), /: it is a directory$/],
    [join(dir, 'dangling.json'), /: it is a symlink to a path that does not exist$/],
    [join(dir, 'missing', 'r.json'), /: ENOENT: no such file or directory$/],
    ['/dev/fd/97', /: fd 97 was not given to gh-run \(give it, e\.g\. 97>&1\)$/],
    ['/proc/self/fd/98', /: fd 98 was not given to gh-run/],
  ];
  for (const [output, why] of cases) {
    t.throws(() => openDestination(output), { name: 'DestinationError', message: why }, output);
  }
  t.ok(new DestinationError('x') instanceof Error);
});

t.test("Node's own fds are never taken for one the user gave", async (t) => {
  // the event loop's epoll and eventfd, libuv's pipes: open in every Node process, above 2
  let checked = 0;
  for (const fd of readFds()) {
    if (fd <= 2) continue;
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    // Node's: anonymous inodes, and pipes with both ends here (a pipe given to us has only one)
    const bothEnds = target.startsWith('pipe:') && readFds().filter((o) => linkOf(o) === target).length > 1;
    if (!target.startsWith('anon_inode:') && !bothEnds) continue;
    t.throws(() => openDestination(`/dev/fd/${fd}`), { name: 'DestinationError' }, `fd ${fd} (${target})`);
    checked++;
  }
  t.ok(checked >= 2, `Node's epoll and pipes were there to refuse (${checked})`);
});

t.test('/dev/stdout, /dev/fd/N: our own fd, written in place at its offset', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'out');
  const fd = openSync(file, 'w');
  writeFileSync(fd, 'before\n');
  // an fd this process was given: noted as open at start (here: opened before the first call)
  const d = openDestination(`/dev/fd/${fd}`);
  t.match(d, { kind: 'fd', fd, close: false });
  await writeReceipt(d, receipt());
  closeSync(fd);
  const text = readFileSync(file, 'utf8');
  t.ok(text.startsWith('before\n{'), 'after what was written, not over it');
  t.match(openDestination('/dev/stdout'), { kind: 'fd', fd: 1, close: false });
  t.match(openDestination('/dev/stderr'), { kind: 'fd', fd: 2 });
  t.throws(() => openDestination('/dev/stdin'), /fd 0 is not open for writing|was not given/);
});

t.test('an existing file that is not a regular file: opened now, written in place (a FIFO)', async (t) => {
  const dir = t.testdir({});
  const fifo = join(dir, 'fifo');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const reader = spawn('sh', ['-c', 'cat "$0" > "$0.out"', fifo], { stdio: 'ignore' });
  t.teardown(() => reader.kill());
  const d = openDestination(fifo); // waits for the reader, as a shell's > does
  t.match(d, { kind: 'fd', close: true });
  await writeReceipt(d, receipt());
  for (let i = 0; i < 50; i++) {
    try {
      if (readFileSync(`${fifo}.out`, 'utf8').endsWith('}\n')) break;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  t.match(JSON.parse(readFileSync(`${fifo}.out`, 'utf8')), { schema_version: SCHEMA_VERSION });
  t.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
  const dev = openDestination('/dev/null');
  t.match(dev, { kind: 'fd', close: true });
  closeDestination(dev);
});

function linkOf(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

function readFds(): number[] {
  return spawnSync('ls', [`/proc/${process.pid}/fd`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
}
