// Is a process still there? /proc/<pid>/stat against the pid and start time of the frames.
import t from 'tap';
import { spawn } from 'node:child_process';
import { bootOffsetNs, parseStat, processGone, readProcStat, type StatReader } from '../../controller/run/proc-liveness.js';

/** A stat line as the kernel writes it (fields 1..22 and a few more), with a comm that is hard to parse. */
const stat = (state: string, startTicks: number, comm = 'a) (b c'): string =>
  `4242 (${comm}) ${state} 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ${startTicks} 1000 100 18446744073709551615\n`;
const reader = (line: string | null): StatReader => () => line;

t.test('parseStat: state and start ticks, whatever the command name holds', async (t) => {
  t.same(parseStat(stat('S', 908784)), { state: 'S', startTicks: 908784 });
  t.same(parseStat(stat('Z', 5, ') Z 1 2 3')), { state: 'Z', startTicks: 5 });
  t.equal(parseStat('garbage'), null);
});

t.test('processGone: no entry, zombie, and a pid reused by a later process are gone', async (t) => {
  const start = 9_000_000_000_000; // 9000 s of CLOCK_MONOTONIC
  const ticks = 900_000; // the same moment in ticks, with no time suspended
  t.equal(processGone(1, start, 0, reader(null)), true, 'no /proc entry');
  t.equal(processGone(1, start, 0, reader(stat('Z', ticks))), true, 'a zombie has exited');
  t.equal(processGone(1, start, 0, reader(stat('S', ticks))), false, 'the same start');
  t.equal(processGone(1, start, 0, reader(stat('R', ticks + 1))), false, 'a tick of rounding');
  t.equal(processGone(1, start, 0, reader(stat('R', ticks + 3))), true, 'started 30 ms later: the pid was reused');
  t.equal(processGone(1, start, 5e9, reader(stat('S', ticks + 500))), false, '5 s suspended before it started: the offset says so');
  t.equal(processGone(1, start, 60e9, reader(stat('S', ticks))), false, 'suspended after it started: it looks older, never gone');
  t.equal(processGone(1, start, null, reader(stat('S', ticks + 10_000))), false, 'no offset: the start is not compared');
  t.equal(processGone(1, null, 0, reader(stat('S', 1))), false, 'no start known: alive while /proc has it');
  t.equal(processGone(1, start, 0, reader('unreadable')), false, 'an odd stat is not taken for an exit');
});

t.test('processGone on real processes: a running child, then reaped', async (t) => {
  const offset = bootOffsetNs();
  t.type(offset, 'number');
  t.ok(Math.abs(offset!) < 10 * 365 * 86400e9, 'a plausible time suspended');
  const before = Number(process.hrtime.bigint());
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const after = Number(process.hrtime.bigint());
  const pid = child.pid!;
  t.teardown(() => child.kill('SIGKILL'));
  // the child started between the two readings: at `before`, expected within a tick or two
  t.equal(processGone(pid, before, offset), false, 'running, the start time as expected');
  t.equal(processGone(pid, after, offset), false);
  t.equal(processGone(pid, before - 1e9, offset), true, 'the pid now names a process that started a second later');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  t.equal(processGone(pid, before, offset), true, 'reaped');
});

t.test('processGone on a real zombie (a child its parent never waits for)', async (t) => {
  // sh starts a short sleep in the background and execs a long one, which never reaps it (the
  // short one ends after the exec: sh itself might reap it before)
  const before = Number(process.hrtime.bigint());
  const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => parent.kill('SIGKILL'));
  const zombie = Number(await new Promise<string>((r) => parent.stdout!.once('data', (d: Buffer) => r(d.toString()))));
  let state = '';
  for (let i = 0; i < 200 && state !== 'Z'; i++) {
    await new Promise((r) => setTimeout(r, 10));
    state = parseStat(readProcStat(zombie) ?? '')?.state ?? '';
  }
  t.equal(state, 'Z', 'it is a zombie');
  t.equal(processGone(zombie, before, bootOffsetNs()), true, 'a zombie has exited');
});

t.test('bootOffsetNs: from /proc/uptime, null when it cannot be read', async (t) => {
  t.equal(bootOffsetNs(() => 'nonsense'), null);
  t.equal(
    bootOffsetNs(() => {
      throw new Error('EACCES');
    }),
    null,
  );
  const offset = bootOffsetNs(() => '86400.25 1.00\n')!;
  const mono = Number(process.hrtime.bigint());
  t.ok(Math.abs(offset + mono - 86_400_250_000_000) < 1e9, 'uptime minus the monotonic clock');
});
