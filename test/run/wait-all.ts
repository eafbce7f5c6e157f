// The wait of --wait-all, on a LiveProcesses filled by hand: how it ends, and what it says.
import t from 'tap';
import { LiveProcesses, type LiveProcess } from '../../controller/aggregate/live-processes.js';
import { waitErrors, waitForDescendants, type WaitAllOptions } from '../../controller/run/wait-all.js';

const ROOT = 100;
const never = new Promise<void>(() => {});

function liveWith(...pids: number[]): { live: LiveProcesses; procs: LiveProcess[] } {
  const live = new LiveProcesses();
  const procs = pids.map((pid) => ({ pid, start: pid * 1000 }));
  for (const p of procs) live.started(p);
  return { live, procs };
}

const base = (live: LiveProcesses, o: Partial<WaitAllOptions> = {}): WaitAllOptions => ({
  live,
  timeoutSeconds: null,
  collectorEnded: never,
  checkEveryMs: 20,
  isGone: () => false,
  bootOffset: () => 0,
  ...o,
});

t.test('ends when the last process counted as running exits; at once when none is', async (t) => {
  const { live, procs } = liveWith(ROOT, 201, 202);
  const wait = waitForDescendants(base(live));
  let ended = false;
  void wait.done.then(() => (ended = true));
  live.exited(procs[0]!);
  live.exited(procs[1]!);
  await new Promise((r) => setTimeout(r, 60));
  t.notOk(ended, 'one is left');
  live.exited(procs[2]!);
  t.same(await wait.done, { kind: 'all-exited' });
  t.same(waitErrors({ kind: 'all-exited' }, live, ROOT), []);
  t.same(await waitForDescendants(base(new LiveProcesses())).done, { kind: 'all-exited' });
});

t.test('--wait-timeout: not before it, and the survivors are named', async (t) => {
  const { live } = liveWith(ROOT, 301, 302);
  live.exited(live.list()[0]!);
  const started = performance.now();
  const end = await waitForDescendants(base(live, { timeoutSeconds: 0.2 })).done;
  t.ok(performance.now() - started >= 195, 'not before the timeout');
  t.same(end, { kind: 'timeout', seconds: 0.2 });
  t.same(waitErrors(end, live, ROOT), ['--wait-all cut short after --wait-timeout 0.2 s: 2 processes (pids 301, 302) still running']);
});

t.test('a signal cuts it short; so does the end of the collector', async (t) => {
  const { live } = liveWith(401);
  const wait = waitForDescendants(base(live));
  wait.interrupt('SIGINT');
  wait.interrupt('SIGTERM');
  t.same(await wait.done, { kind: 'signal', signal: 'SIGINT' }, 'the first one');
  t.same(waitErrors(await wait.done, live, ROOT), ['--wait-all cut short by SIGINT: 1 process (pid 401) still running']);
  let endCollector!: () => void;
  const ended = waitForDescendants(base(live, { collectorEnded: new Promise<void>((r) => (endCollector = r)) }));
  endCollector();
  t.same(await ended.done, { kind: 'collector-ended' });
  t.match(waitErrors(await ended.done, live, ROOT)[0], /^--wait-all cut short by the end of the collector .*: 1 process \(pid 401\) still running$/);
});

t.test('at most five pids are named; the root never is', async (t) => {
  const { live } = liveWith(ROOT, 9, 8, 7, 6, 5, 4, 3);
  t.same(waitErrors({ kind: 'signal', signal: 'SIGHUP' }, live, ROOT), [
    '--wait-all cut short by SIGHUP: 7 processes (pids 3, 4, 5, 6, 7 and 2 more) still running',
  ]);
  const rootOnly = liveWith(ROOT).live;
  t.same(waitErrors({ kind: 'timeout', seconds: 1 }, rootOnly, ROOT), [], 'the root is known to have exited (Node saw it)');
});

t.test('a process gone at two checks in a row is not waited for, and said so', async (t) => {
  const { live, procs } = liveWith(501, 502);
  const checked: number[] = [];
  const wait = waitForDescendants(
    base(live, {
      isGone: (p, offset) => {
        checked.push(p.pid);
        t.equal(offset, 12345, 'the boot offset of this check');
        // 502 is gone too, but its exit frame was only late: it comes before the next check
        if (p.pid === 502) queueMicrotask(() => live.exited(procs[1]!));
        return true;
      },
      bootOffset: () => 12345,
    }),
  );
  t.same(await wait.done, { kind: 'all-exited' });
  t.same(checked, [501, 502, 501], 'looked at twice before giving up on 501');
  t.same(waitErrors({ kind: 'all-exited' }, live, ROOT), ['exit of pid 501 not seen (it is gone; --wait-all stopped waiting for it)']);
});

t.test('gone once, then there again: waited for', async (t) => {
  const { live, procs } = liveWith(601);
  let calls = 0;
  const wait = waitForDescendants(base(live, { isGone: () => ++calls % 2 === 1, timeoutSeconds: 0.3 }));
  t.same(await wait.done, { kind: 'timeout', seconds: 0.3 }, 'never gone twice in a row');
  t.ok(calls >= 2, `looked at ${calls} times`);
  t.same(waitErrors(await wait.done, live, ROOT), ['--wait-all cut short after --wait-timeout 0.3 s: 1 process (pid 601) still running']);
  live.exited(procs[0]!);
  t.same(waitErrors(await wait.done, live, ROOT), [], 'its exit came while the helper drained: nothing to say');
});

t.test('an exit frame that comes after the process was given up on: not called lost', async (t) => {
  const { live, procs } = liveWith(701);
  const end = await waitForDescendants(base(live, { isGone: () => true })).done;
  t.same(end, { kind: 'all-exited' });
  live.exited(procs[0]!);
  t.same(waitErrors(end, live, ROOT), []);
});

t.test('more than five lost exits: five named, the rest counted', async (t) => {
  const { live } = liveWith(1, 2, 3, 4, 5, 6, 7);
  await waitForDescendants(base(live, { isGone: () => true })).done;
  const lines = waitErrors({ kind: 'all-exited' }, live, ROOT);
  t.equal(lines.length, 6);
  t.equal(lines[5], 'exits of 2 more processes not seen');
});
