// The output relay (two workers per pipe: read + write, hash behind) and sameOpenFile.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createOutputPipes, sameOpenFile } from '../../controller/run/output-pipes.js';
import { OutputRelay, settleRelays } from '../../controller/run/output-relay.js';
import { cliArgv } from '../helpers/gh-run.js';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A pipe as gh-run makes them: the write end, and the blocking read end. */
function pipe(): { w: number; r: number } {
  const p = createOutputPipes(1);
  return { w: p.stdoutFd, r: p.stdoutRead };
}

/** Write all of `data` to a blocking fd (the relay drains it in its workers meanwhile). */
function writeAll(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, Math.min(1 << 20, data.length - off));
}

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(2)) if (check()) return true;
  return check();
}

/** `size` random bytes written into a pipe and relayed to `dest` (closed after), to the end. */
async function relayRandom(size: number, dest: number): Promise<{ relay: OutputRelay; data: Buffer }> {
  const { w, r } = pipe();
  const relay = new OutputRelay(r, dest);
  const data = randomBytes(size);
  writeAll(w, data);
  closeSync(w);
  await relay.done;
  closeSync(dest);
  return { relay, data };
}

t.test('64 MiB of random bytes through a pipe to a file: exact bytes, exact sha256', async (t) => {
  const file = join(t.testdir({}), 'out');
  const dest = openSync(file, 'w');
  const { relay, data } = await relayRandom(64 << 20, dest);
  t.same(relay.result(), { sha256: sha(data), bytes: data.length });
  t.ok(readFileSync(file).equals(data), 'the file holds exactly the bytes, in order');
});

t.test('small writes keep their order and each arrives promptly', async (t) => {
  const file = join(t.testdir({}), 'out');
  const dest = openSync(file, 'w');
  const { w, r } = pipe();
  const relay = new OutputRelay(r, dest);
  let expected = '';
  let slowest = 0;
  for (let i = 0; i < 200; i++) {
    const line = `line ${i}\n`;
    expected += line;
    const t0 = performance.now();
    writeSync(w, line);
    t.ok(await until(() => statSync(file).size === expected.length), `line ${i} reached the file`);
    slowest = Math.max(slowest, performance.now() - t0);
  }
  t.ok(slowest < 100, `the slowest line took ${slowest.toFixed(1)} ms`);
  for (let i = 0; i < 10_000; i++) writeSync(w, `burst ${i}\n`), (expected += `burst ${i}\n`);
  closeSync(w);
  await relay.done;
  closeSync(dest);
  t.equal(readFileSync(file, 'utf8'), expected);
  t.same(relay.result(), { sha256: sha(expected), bytes: expected.length });
});

t.test("a destination whose reader is gone: the relay ends and the command's writes get EPIPE", async (t) => {
  const out = pipe();
  closeSync(out.r); // our stdout's reader went away (`gh-run ... | head -1`)
  const { w, r } = pipe();
  const relay = new OutputRelay(r, out.w);
  const chunk = Buffer.alloc(64 << 10, 'x');
  let written = 0;
  let error: NodeJS.ErrnoException | null = null;
  try {
    // bounded: with the read end never closed this would block once the pipe is full
    for (let i = 0; i < 1000; i++) written += writeSync(w, chunk);
  } catch (e) {
    error = e as NodeJS.ErrnoException;
  }
  t.equal(error?.code, 'EPIPE', 'the writer got EPIPE once the relay closed the read end');
  await relay.done;
  t.ok(relay.result().bytes <= written, `${relay.result().bytes} bytes read of ${written} written`);
  closeSync(w);
  closeSync(out.w);
});

t.test('abandon(): a writer that never closes; done resolves quickly with the bytes so far', async (t) => {
  const file = join(t.testdir({}), 'out');
  const dest = openSync(file, 'w');
  const { w, r } = pipe();
  const relay = new OutputRelay(r, dest);
  writeSync(w, 'started\n');
  t.ok(await until(() => statSync(file).size === 8), 'relayed');
  const t0 = performance.now();
  relay.abandon();
  await relay.done;
  const ms = performance.now() - t0;
  t.ok(ms < 50, `done ${ms.toFixed(1)} ms after abandon()`);
  t.same(relay.result(), { sha256: sha('started\n'), bytes: 8 });
  // the read end is closed: the daemon's next write gets EPIPE, as without a relay
  t.ok(await until(() => {
    try {
      writeSync(w, 'later\n');
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPIPE';
    }
  }), 'the pipe has no reader left');
  closeSync(w);
  closeSync(dest);
});

t.test('settleRelays waits at most the grace period, then abandons', async (t) => {
  const { w, r } = pipe();
  const ended = pipe();
  const dest = openSync('/dev/null', 'w');
  const held = new OutputRelay(r, dest);
  const done = new OutputRelay(ended.r, dest);
  closeSync(ended.w);
  const t0 = performance.now();
  await settleRelays([held, done], 100);
  const ms = performance.now() - t0;
  t.ok(ms >= 95 && ms < 300, `settled in ${ms.toFixed(0)} ms`);
  t.same(held.result(), { sha256: sha(''), bytes: 0 });
  closeSync(w);
  closeSync(dest);
});

t.test('a non-blocking destination with a slow reader loses nothing', async (t) => {
  const file = join(t.testdir({}), 'out');
  const out = pipe();
  // a second, non-blocking open of the destination pipe (what libuv makes of a stdout pipe)
  const dest = openSync(`/proc/self/fd/${out.w}`, constants.O_WRONLY | constants.O_NONBLOCK);
  closeSync(out.w);
  const reader = spawn('sh', ['-c', `sleep 0.3; cat > '${file}'`], { stdio: [out.r, 'ignore', 'inherit'] });
  closeSync(out.r);
  const exited = new Promise((res) => reader.once('exit', res));
  const { relay, data } = await relayRandom(8 << 20, dest);
  await exited;
  t.same(relay.result(), { sha256: sha(data), bytes: data.length });
  t.ok(readFileSync(file).equals(data), 'every byte reached the slow reader, in order');
});

t.test('sameOpenFile: pipes', async (t) => {
  const a = pipe();
  const b = pipe();
  t.ok(sameOpenFile(a.w, a.w), 'one fd');
  const again = openSync(`/proc/self/fd/${a.w}`, constants.O_WRONLY);
  t.ok(sameOpenFile(a.w, again), 'two opens of one pipe');
  t.notOk(sameOpenFile(a.w, b.w), 'two pipes');
  t.notOk(sameOpenFile(a.w, 9999), 'a closed fd');
  for (const fd of [a.w, a.r, b.w, b.r, again]) closeSync(fd);
});

/** sameOpenFile(1, 2) in a child whose stdout and stderr are `out` and `err`. */
async function childAsks(out: number, err: number): Promise<boolean> {
  const [node, ...args] = cliArgv('gh-run');
  const fixture = join(import.meta.dirname, '..', 'fixtures', 'same-open-file.ts');
  const child = spawn(node!, [...args.slice(0, -1), fixture], { stdio: ['ignore', out, err, 'pipe'] });
  let said = '';
  child.stdio[3]!.on('data', (d: Buffer) => (said += d.toString()));
  await new Promise((res) => child.once('close', res));
  return JSON.parse(said) as boolean;
}

t.test('sameOpenFile: `>f 2>&1` (one description) vs `>f 2>f` (two)', async (t) => {
  const f = join(t.testdir({}), 'f');
  const one = openSync(f, 'w');
  t.equal(await childAsks(one, one), true, '>f 2>&1: one open file description');
  const other = openSync(f, 'w');
  writeSync(one, 'moved on\n');
  t.equal(await childAsks(one, other), false, '>f 2>f, offsets apart: two descriptions');
  const append = openSync(f, 'a');
  t.equal(await childAsks(one, append), false, 'different flags: two descriptions');
  const fresh1 = openSync(join(t.testdirName, 'f'), 'w');
  const fresh2 = openSync(join(t.testdirName, 'f'), 'w');
  t.equal(await childAsks(fresh1, fresh2), true, 'documented limit: two fresh opens, same offset and flags, pass for one');
  for (const fd of [one, other, append, fresh1, fresh2]) closeSync(fd);
});

// a terminal (two opens of one, and a terminal beside a pipe) is asked on a real pty in
// test/e2e/shell.ts: --capture-output at a terminal relays one pipe, stdout piped and stderr at
// the terminal relays one

t.test('abandon() before the workers ran: what was already in the pipe is still relayed', async (t) => {
  const file = join(t.testdir({}), 'out');
  const dest = openSync(file, 'w');
  const { w, r } = pipe();
  writeSync(w, 'written before\n');
  const relay = new OutputRelay(r, dest);
  relay.abandon(); // the workers have not started yet
  await relay.done;
  t.same(relay.result(), { sha256: sha('written before\n'), bytes: 15 });
  t.equal(readFileSync(file, 'utf8'), 'written before\n');
  closeSync(w);
  closeSync(dest);
});
