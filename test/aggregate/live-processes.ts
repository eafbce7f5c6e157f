// The processes counted as running while frames are folded: what --wait-all waits on.
import t from 'tap';
import { Aggregator } from '../../controller/aggregate/aggregate.js';
import { LiveProcesses } from '../../controller/aggregate/live-processes.js';
import { CONTROLLER, ROOT, exec, exit, facts, fork, hello, ms, open, toFrames, withheld, type Wire } from '../helpers/events.js';

const pids = (live: LiveProcesses): number[] => live.list().map((p) => p.pid);

/** An aggregator of a live run (root known first), and a way to fold wire frames into it. */
function folding(): { aggregator: Aggregator; add: (...wires: Wire[]) => void } {
  const aggregator = new Aggregator({ root_pid: ROOT, controller_pid: CONTROLLER, environment: { uid: 1000, cwd: '/home/me' } });
  return { aggregator, add: (...wires) => toFrames(wires).forEach((f) => aggregator.add(f)) };
}

t.test('LiveProcesses: started, exited, forgotten; listeners called once, when it empties', async (t) => {
  const live = new LiveProcesses();
  let fired = 0;
  live.whenEmpty(() => fired++);
  t.equal(fired, 1, 'empty now: called at once');
  const a = { pid: 1, start: 10 };
  const b = { pid: 2, start: 20 };
  live.started(a);
  live.started(b);
  live.whenEmpty(() => fired++);
  t.equal(live.size, 2);
  live.exited(a);
  live.exited(a);
  t.equal(fired, 1, 'not while b runs');
  live.forget(b);
  t.equal(fired, 2, 'b forgotten: empty');
  t.equal(live.size, 0);
  t.same(live.forgottenList(), [b]);
  live.exited(b);
  t.same(live.forgottenList(), [], 'its exit frame came after all: not lost');
  live.started({ pid: 3, start: 30 });
  live.exited({ pid: 3, start: 30 });
  t.equal(fired, 2, 'listeners are called once; an object that was never counted changes nothing');
});

t.test('fork adds a process, its exit removes it; the root counts from the start', async (t) => {
  const { aggregator, add } = folding();
  const live = aggregator.live;
  t.same(live.list(), [{ pid: ROOT, start: null }], 'before its first frame (Node may see it exit first)');
  add(hello({ proto: 3 }), exec({ path: '/bin/sh' }));
  t.same(live.list().map((p) => [p.pid, p.start]), [[ROOT, ms(0.5)]], 'its first frame stands for it');
  add(fork({ pid: 5000, start: ms(3) }), fork({ pid: 5001, start: ms(4), ppid: 5000, pstart: ms(3) }));
  t.same(pids(live), [ROOT, 5000, 5001]);
  add(exit({ pid: 5000, start: ms(3) }), exit({ code: 0 }));
  t.same(pids(live), [5001], 'the double-forked grandchild runs on after its parent and the root');
  let empty = false;
  live.whenEmpty(() => (empty = true));
  add(open({ pid: 5001, start: ms(4), path: '/tmp/x', mode: 'write' }));
  t.notOk(empty);
  add(exit({ pid: 5001, start: ms(4), code: 3 }));
  t.ok(empty, 'the last exit empties it');
  const receipt = aggregator.finish(facts());
  t.match(receipt.processes.find((p) => p.pid === 5001), { state: 'exited', exit_code: 3 });
});

t.test('a root whose only frame is its exit (the exec failed) empties it', async (t) => {
  const { aggregator, add } = folding();
  let empty = false;
  aggregator.live.whenEmpty(() => (empty = true));
  t.notOk(empty);
  add(exit({ code: 1 }));
  t.ok(empty);
});

t.test('a reused pid is another process; a second exit frame changes nothing', async (t) => {
  const { aggregator, add } = folding();
  add(exec(), fork({ pid: 6000, start: ms(3) }), exit({ pid: 6000, start: ms(3) }), fork({ pid: 6000, start: ms(9) }));
  const ids = () => aggregator.live.list().map((p) => [p.pid, p.start]);
  t.same(ids(), [[ROOT, ms(0.5)], [6000, ms(9)]]);
  add(exit({ pid: 6000, start: ms(3) }));
  t.same(ids(), [[ROOT, ms(0.5)], [6000, ms(9)]], 'the exit of the earlier 6000 again: the later one still runs');
  add(fork({ pid: 6000, start: ms(9) }));
  t.same(ids(), [[ROOT, ms(0.5)], [6000, ms(9)]], 'a repeated fork frame adds nothing');
});

t.test('a process whose fork frame was lost counts from its first frame; one first seen exiting never counts', async (t) => {
  const { aggregator, add } = folding();
  add(exec(), open({ pid: 7000, start: ms(5), path: '/etc/passwd' }));
  t.same(pids(aggregator.live), [ROOT, 7000]);
  add(exit({ pid: 7001, start: ms(6) }));
  t.same(pids(aggregator.live), [ROOT, 7000]);
});

t.test('withheld processes count like any other: their fork and exit frames still come', async (t) => {
  const { aggregator, add } = folding();
  add(hello({ proto: 3 }), exec(), { ...fork({ pid: 8000, start: ms(3), cwd: null }), withheld: true }, withheld({ pid: 8000, start: ms(3) }));
  t.same(pids(aggregator.live), [ROOT, 8000]);
  add(exit({ pid: 8000, start: ms(3) }));
  t.same(pids(aggregator.live), [ROOT]);
});

t.test('frames folded before the root is known are counted when it is', async (t) => {
  const aggregator = new Aggregator();
  for (const f of toFrames([exec(), fork({ pid: 9000, start: ms(3) })])) aggregator.add(f);
  t.equal(aggregator.live.size, 0);
  aggregator.setRoot({ root_pid: ROOT, controller_pid: CONTROLLER, environment: { uid: 1000, cwd: '/' } });
  t.same(pids(aggregator.live), [ROOT, 9000]);
});

t.test('forget leaves the receipt alone: a process gone without an exit frame stays running in it', async (t) => {
  const { aggregator, add } = folding();
  add(exec(), fork({ pid: 9100, start: ms(3) }), exit());
  const [gone] = aggregator.live.list();
  aggregator.live.forget(gone!);
  t.equal(aggregator.live.size, 0);
  t.match(aggregator.finish(facts()).processes.find((p) => p.pid === 9100), { state: 'running' });
});
