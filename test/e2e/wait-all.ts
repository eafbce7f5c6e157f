// --wait-all: what a daemon the command leaves behind does after the command has exited. The
// command (test/fixtures/programs/daemon.sh) double-forks a setsid daemon; the test decides when
// the daemon writes (it waits for a file), so no assertion rests on how fast this machine is.
import t from 'tap';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GH_RUN, GLASSHOUSE, PROGRAMS, ghRun, requireBpf, runCollect } from '../helpers/gh-run.js';

const DAEMON = join(PROGRAMS, 'daemon.sh');

/**
 * The daemon of a run in `dir`: its pid, read when the command says root-done (the pid file is
 * written by then), and killed when the test ends, whatever happened (t.testdir is gone by
 * then, so the pid is kept here). `then` runs at root-done too.
 */
function daemonOf(t: { teardown(fn: () => void): void }, dir: string, then: () => void = () => {}) {
  let pid: number | null = null;
  t.teardown(() => {
    if (pid === null) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  const onSpawn = (child: ChildProcess): void => {
    let seen = '';
    child.stdout!.on('data', (d: Buffer) => {
      if (seen.includes('root-done')) return;
      seen += d.toString();
      if (!seen.includes('root-done')) return;
      pid = Number(readFileSync(join(dir, 'daemon.pid'), 'utf8').trim());
      then();
    });
  };
  return { onSpawn, pid: () => pid };
}

t.test('--wait-all: the daemon is followed to its exit, its write recorded; the recording replays the same', async (t) => {
  if (!(await requireBpf(t))) return;
  const dir = realpathSync(t.testdir({}));
  const receiptPath = join(dir, 'receipt.json');
  const rec = join(dir, 'run.ghrec');
  let goAt = 0;
  const daemon = daemonOf(t, dir, () => {
    goAt = performance.now();
    writeFileSync(join(dir, 'go'), '');
  });
  const r = await runCollect(() => [process.execPath, GH_RUN, '--wait-all', '--record', rec, '-o', receiptPath, '--', DAEMON, dir, 'late'], {
    onSpawn: daemon.onSpawn,
  });
  const waited = performance.now() - goAt;
  t.equal(r.code, 0, `the root's status (${r.stderr.trim()})`);
  t.ok(existsSync(join(dir, 'late')), 'the daemon wrote');
  t.ok(waited > 900, `gh-run returned ${Math.round(waited)} ms after the daemon was let go: not before it exited (1 s later)`);
  const receipt = JSON.parse(readFileSync(receiptPath, 'utf8'));
  const write = receipt.filesystem.writes.find((w: any) => w.path === join(dir, 'late'));
  t.ok(write, 'the write made after the root exited is in the receipt');
  const pid = daemon.pid();
  t.same(write?.pids, [pid], 'made by the daemon');
  t.match(receipt.processes.find((p: any) => p.pid === pid), { state: 'exited', exit_code: 5, signal: null }, 'the daemon exited, with its code');
  t.notOk(
    receipt.processes.some((p: any) => p.state === 'running'),
    'nothing is left running',
  );
  t.match(receipt.process_tree, { state: 'exited', exit_code: 0 });
  t.same(receipt.outcome.errors, []);
  t.equal(r.stdout.toString(), 'root-done\ndaemon-out\n', "the daemon's output passed through");
  t.equal(receipt.artifacts.stdout.bytes, r.stdout.length, 'and hashed');
  t.ok(receipt.timing.duration_ms < waited, "timing is the root's: it ended before the daemon");

  const replayed = join(dir, 'replayed.json');
  const replay = spawnSync(process.execPath, [GLASSHOUSE, 'replay', rec, '-o', replayed], { encoding: 'utf8' });
  t.equal(replay.status, 0, replay.stderr);
  t.ok(readFileSync(replayed).equals(readFileSync(receiptPath)), 'replay gives the same receipt, byte for byte');
});

t.test('without --wait-all: as before, the daemon is running and what it does later is not recorded', async (t) => {
  if (!(await requireBpf(t))) return;
  const dir = realpathSync(t.testdir({}));
  const daemon = daemonOf(t, dir);
  const r = await ghRun([DAEMON, dir, 'late'], { onSpawn: daemon.onSpawn });
  writeFileSync(join(dir, 'go'), ''); // only now may the daemon write
  t.equal(r.code, 0);
  t.equal(r.stdout.toString(), 'root-done\n');
  const pid = daemon.pid();
  t.match(
    r.receipt.processes.find((p: any) => p.pid === pid),
    { state: 'running', exit_code: null },
  );
  t.notOk(
    r.receipt.filesystem.writes.some((w: any) => w.path === join(dir, 'late')),
    'the later write is absent',
  );
  t.same(r.receipt.outcome.errors, []);
});

t.test('--wait-timeout 1: gh-run stops waiting after a second, the daemon is running, the receipt says so', async (t) => {
  if (!(await requireBpf(t))) return;
  const dir = realpathSync(t.testdir({}));
  let rootDoneAt = 0;
  const daemon = daemonOf(t, dir, () => (rootDoneAt = performance.now()));
  const r = await ghRun([DAEMON, dir, 'linger'], { args: ['--wait-timeout', '1'], onSpawn: daemon.onSpawn });
  const waited = performance.now() - rootDoneAt;
  t.equal(r.code, 0);
  // the timeout runs from the root's exit, which comes after it printed root-done
  t.ok(waited > 900, `returned ${Math.round(waited)} ms after the root was done: not before the timeout`);
  t.ok(waited < 20_000, 'and well before the daemon ends (30 s)');
  const pid = daemon.pid();
  t.ok(pid !== null && existsSync(`/proc/${pid}`), 'the daemon still runs');
  t.match(
    r.receipt.processes.find((p: any) => p.pid === pid),
    { state: 'running', exit_code: null },
  );
  t.same(r.receipt.outcome.errors, [`--wait-all cut short after --wait-timeout 1 s: 1 process (pid ${pid}) still running`]);
  t.match(r.stderr, `glasshouse: --wait-all cut short after --wait-timeout 1 s: 1 process (pid ${pid}) still running`);
  t.equal(r.receipt.collector.status, 'ok', 'a timeout does not degrade the collection');
});
