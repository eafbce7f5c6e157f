import t from 'tap';
import type { ProcessNode } from '../../controller/schema/receipt.js';
import { CONTROLLER, ROOT, end, exec, exit, facts, fork, forkChain, hello, ms, receiptOf } from '../helpers/events.js';

const R = ms(0.5); // root start
const flat = (n: ProcessNode): ProcessNode[] => [n, ...n.children.flatMap(flat)];

t.test('root from the followed pid: exec, argv, exit code', async (t) => {
  const r = receiptOf([
    hello(),
    exec({ path: '/usr/bin/python3', exe: '/usr/bin/python3.11', argv: ['python3', 'x.py'], cwd: '/work' }),
    exit({ code: 3 }),
    end(),
  ]);
  const root = r.process_tree!;
  t.equal(root.pid, ROOT);
  t.equal(root.ppid, CONTROLLER);
  t.equal(root.exe, '/usr/bin/python3.11');
  t.same(root.argv, ['python3', 'x.py']);
  t.same(root.execs, [{ path: '/usr/bin/python3', argv: ['python3', 'x.py'], result: 'ok' }]);
  t.equal(root.cwd, '/work');
  t.equal(root.uid, 1000);
  t.equal(root.start_offset_ms, 0.5);
  t.equal(root.exit_code, 3);
  t.equal(root.signal, null);
  t.equal(root.state, 'exited');
  t.equal(root.privileged, false);
  t.equal(r.outcome.exit_code, 3);
  t.equal(r.exit_code, 3);
  t.equal(r.environment.runtime, 'python3.11');
});

t.test('forks nest children, sorted by start then pid; orphans stay under their parent', async (t) => {
  const A = ms(2);
  const B = ms(3);
  const C = ms(4);
  const r = receiptOf([
    hello(),
    exec({ path: '/bin/sh', argv: ['sh', '-c', 'x'] }),
    // B forked later than A but listed first in the stream
    fork({ pid: 300, start: B }),
    fork({ pid: 200, start: A }),
    fork({ pid: 100, start: B }), // same start as B: pid breaks the tie
    exec({ pid: 200, start: A, path: '/usr/bin/sleep', argv: ['sleep', '100'] }),
    fork({ pid: 210, start: C, ppid: 200, pstart: A }), // grandchild
    exit({ pid: 200, start: A, code: 0 }), // parent dies, 210 is orphaned and keeps running
    exit({ code: 0 }),
    end(),
  ]);
  const root = r.process_tree!;
  t.same(
    root.children.map((c) => c.pid),
    [200, 100, 300],
  );
  const a = root.children[0]!;
  t.same(a.children.map((c) => c.pid), [210], 'the orphan stays under the process that forked it');
  const orphan = a.children[0]!;
  t.equal(orphan.ppid, 200);
  t.equal(orphan.state, 'running');
  t.equal(orphan.exit_code, null);
  t.equal(orphan.exe, '/usr/bin/sleep', 'a forked child runs its parent program');
  t.same(orphan.execs, []);
  t.same(
    r.processes.map((p) => p.pid),
    [100, 200, 210, 300, ROOT],
    'flat list sorted by pid',
  );
  t.notOk('children' in r.processes[0]!, 'flat entries have no children');
  t.equal(flat(root).length, r.processes.length);
});

t.test('a child killed by a signal', async (t) => {
  const r = receiptOf([hello(), exec(), fork({ pid: 500, start: ms(1) }), exit({ pid: 500, start: ms(1), sig: 'SIGKILL' }), exit(), end()]);
  const child = r.process_tree!.children[0]!;
  t.equal(child.exit_code, null);
  t.equal(child.signal, 'SIGKILL');
  t.equal(child.state, 'exited');
});

t.test('the root killed by a signal: outcome signal, legacy exit_code 128+N', async (t) => {
  const r = receiptOf([hello(), exec(), exit({ sig: 'SIGTERM' }), end()], facts({ exit: { code: null, signal: 'SIGTERM' } }));
  t.equal(r.outcome.exit_code, null);
  t.equal(r.outcome.signal, 'SIGTERM');
  t.equal(r.exit_code, 143);
  t.equal(r.process_tree!.signal, 'SIGTERM');
});

t.test("the kernel's exit wins over what Node saw; Node fills in when the kernel said nothing", async (t) => {
  const kernel = receiptOf([hello(), exec(), exit({ code: 7 }), end()], facts({ exit: { code: 0, signal: null } }));
  t.equal(kernel.exit_code, 7);
  const node = receiptOf([hello(), exec(), end()], facts({ exit: { code: 5, signal: null } }));
  t.equal(node.exit_code, 5);
  t.equal(node.process_tree!.state, 'exited');
  t.equal(node.process_tree!.exit_code, 5);
});

t.test('failed exec then successful exec: both recorded in order, success sets exe/argv', async (t) => {
  const r = receiptOf([
    hello(),
    exec({ path: 'bin/tool', base: '/home/me/proj', err: 'ENOENT', argv: ['tool', 'a'] }),
    exec({ path: '/nope/../usr/bin/tool', err: 'EACCES', argv: ['tool', 'a'] }),
    exec({ path: '/usr/bin/tool', argv: ['tool', 'a'], uid: 1000, euid: 0, privileged: true }),
    exit(),
    end(),
  ]);
  const root = r.process_tree!;
  t.same(root.execs, [
    { path: '/home/me/proj/bin/tool', argv: ['tool', 'a'], result: 'ENOENT' },
    { path: '/usr/bin/tool', argv: ['tool', 'a'], result: 'EACCES' },
    { path: '/usr/bin/tool', argv: ['tool', 'a'], result: 'ok' },
  ]);
  t.equal(root.exe, '/usr/bin/tool');
  t.same(root.argv, ['tool', 'a']);
  t.equal(root.privileged, true, 'the kernel said the setuid exec gained privilege');
});

t.test('argv kept exactly: empty, spaced, newline and non-ASCII args; truncation flagged', async (t) => {
  const argv = ['printf', '', 'a b', 'line1\nline2', 'ünï ✓ 日本', '\t'];
  const r = receiptOf([hello(), exec({ path: '/usr/bin/printf', argv, argv_truncated: true }), exit(), end()]);
  const root = r.process_tree!;
  t.same(root.argv, argv);
  t.same(root.execs[0]!.argv, argv);
  t.equal(root.execs[0]!.argv_truncated, true);
  const plain = receiptOf([hello(), exec(), exit(), end()]);
  t.notOk('argv_truncated' in plain.process_tree!.execs[0]!, 'absent unless true');
});

t.test('argv not captured: null argv', async (t) => {
  const r = receiptOf([hello({ argv: false }), exec({ argv: null }), exit(), end()]);
  t.equal(r.process_tree!.argv, null);
  t.equal(r.process_tree!.execs[0]!.argv, null);
  t.equal(r.collector.argv_captured, false);
});

t.test('pid reuse: same pid, different start, two processes', async (t) => {
  const r = receiptOf([
    hello(),
    exec(),
    fork({ pid: 700, start: ms(1) }),
    exit({ pid: 700, start: ms(1) }),
    fork({ pid: 700, start: ms(5) }),
    exec({ pid: 700, start: ms(5), path: '/bin/echo' }),
    exit({ pid: 700, start: ms(5), code: 1 }),
    exit(),
    end(),
  ]);
  const kids = r.process_tree!.children;
  t.equal(kids.length, 2);
  t.same(kids.map((k) => k.start_offset_ms), [1, 5]);
  t.same(kids.map((k) => k.exit_code), [0, 1]);
  t.same(r.processes.filter((p) => p.pid === 700).map((p) => p.start_offset_ms), [1, 5]);
});

t.test('a process whose fork was lost hangs under the root', async (t) => {
  const r = receiptOf([hello(), exec(), exec({ pid: 900, start: ms(9), ppid: 888, path: '/bin/ls' }), exit(), end()]);
  const lost = r.process_tree!.children.find((c) => c.pid === 900);
  t.ok(lost);
  t.equal(lost!.ppid, 888);
  t.equal(lost!.exe, '/bin/ls');
});

t.test('the gate may start before t0: offset clamped to 0; offsets rounded to 3 decimals', async (t) => {
  const r = receiptOf([hello(), exec({ start: T0minus(2) }), fork({ pid: 11, start: ms(1.23456789), pstart: T0minus(2) }), exit({ start: T0minus(2) }), end()]);
  t.equal(r.process_tree!.start_offset_ms, 0);
  t.equal(r.process_tree!.children[0]!.start_offset_ms, 1.235);
});
function T0minus(msBefore: number): number {
  return ms(-msBefore);
}

t.test('no event at all for the root: the run facts describe it', async (t) => {
  const r = receiptOf([], facts({ collector: { status: 'unavailable', reason: 'helper not found at /x: run make' }, command: ['true', 'x'] }));
  const root = r.process_tree!;
  t.equal(root.pid, ROOT);
  t.equal(root.exe, '/usr/bin/true');
  t.same(root.argv, ['true', 'x']);
  t.same(root.execs, []);
  t.equal(root.start_offset_ms, 0);
  t.equal(root.exit_code, 0);
  t.equal(r.processes.length, 1);
});

t.test('nothing spawned at all: process_tree null, exit status 1', async (t) => {
  const r = receiptOf(
    [],
    facts({ root_pid: null, exec_error: 'ENOENT', exit: { code: 1, signal: null }, command: ['nosuch'], command_realpath: null, collector: { status: 'unavailable', reason: 'x' } }),
  );
  t.equal(r.process_tree, null);
  t.same(r.processes, []);
  t.equal(r.exit_code, 1);
  t.equal(r.outcome.errors[0], 'nosuch: no such file or directory');
});

t.test('privileged comes from the kernel (AT_SECURE), never from uids', async (t) => {
  const asRoot = facts({ environment: { ...facts().environment, uid: 0, gid: 0 } });
  const rootRun = receiptOf([hello(), exec({ uid: 0, euid: 0, privileged: false }), exit(), end()], asRoot);
  t.equal(rootRun.process_tree!.privileged, false, 'root running root programs gains nothing');
  const sudo = receiptOf([hello(), exec({ uid: 0, euid: 0, privileged: false }), exit(), end()]);
  t.equal(sudo.process_tree!.privileged, false, 'uid 0 under a non-root run is not a guess any more');
  const euid = receiptOf([hello(), exec({ uid: 1000, euid: 1001, privileged: false }), exit(), end()]);
  t.equal(euid.process_tree!.privileged, false, 'euid != uid without AT_SECURE: not privileged');
  const caps = receiptOf([hello(), exec({ uid: 1000, euid: 1000, privileged: true }), exit(), end()]);
  t.equal(caps.process_tree!.privileged, true, 'file capabilities: same uids, privileged');
  const old = receiptOf([hello(), exec({ uid: 1000, euid: 0 }), exit(), end()]);
  t.equal(old.process_tree!.privileged, false, 'a frame without the field (old recording): false');
});

t.test('privileged: any successful exec, kept for life, inherited by fork children', async (t) => {
  const C = ms(3);
  const G = ms(6);
  const r = receiptOf([
    hello(),
    exec({ path: '/usr/bin/sudo', argv: ['sudo', 'sh'], privileged: true }),
    exec({ path: '/bin/sh', argv: ['sh'], privileged: false }),
    fork({ pid: 501, start: C }),
    fork({ pid: 502, start: G, ppid: 501, pstart: C }),
    exec({ pid: 502, start: G, ppid: 501, path: '/bin/ls', privileged: false }),
    exit({ pid: 502, start: G }),
    exit({ pid: 501, start: C }),
    exit(),
    end(),
  ]);
  const all = flat(r.process_tree!);
  t.same(
    all.map((p) => [p.pid, p.privileged]),
    [
      [ROOT, true],
      [501, true],
      [502, true],
    ],
    'the root stays privileged after dropping it; its fork child and grandchild inherit',
  );
  const failed = receiptOf([hello(), exec(), exec({ path: '/usr/bin/su', err: 'EACCES', privileged: true }), exit(), end()]);
  t.equal(failed.process_tree!.privileged, false, 'a failed exec gains nothing');
  const before = receiptOf([
    hello(),
    fork({ pid: 501, start: ms(1) }),
    exec({ path: '/usr/bin/sudo', privileged: true }),
    exit({ pid: 501, start: ms(1) }),
    exit(),
    end(),
  ]);
  t.same(
    flat(before.process_tree!).map((p) => [p.pid, p.privileged]),
    [
      [ROOT, true],
      [501, false],
    ],
    'a child forked before its parent gained privilege does not get it',
  );
});

t.test('protocol 3: withheld frames mark exactly the processes withheld; forks do not inherit it', async (t) => {
  const { withheld } = await import('../helpers/events.js');
  const r = receiptOf([
    hello({ proto: 3 }),
    exec({ path: '/usr/bin/newgrp', privileged: true, euid: 0 }),
    withheld(),
    fork({ pid: 5001, start: ms(2) }),
    exec({ pid: 5001, start: ms(2), path: '/usr/bin/cat', privileged: false }),
    { ...exit({ pid: 5001, start: ms(2) }) },
    { ...exit({ code: 0 }), withheld: 7 },
    end(),
  ]);
  const root = r.process_tree!;
  t.equal(root.privileged, true);
  t.equal(root.withheld_syscalls, 7);
  const child = root.children[0]!;
  t.equal(child.privileged, false, 'a child of a privileged process is judged by its own frames');
  t.notOk('withheld_syscalls' in child);
});

t.test('protocol 2 recordings: a fork of a privileged process stays privileged, as those helpers withheld it', async (t) => {
  const r = receiptOf([
    hello({ proto: 2 }),
    exec({ path: '/usr/bin/mount', privileged: true, euid: 0 }),
    fork({ pid: 5001, start: ms(2) }),
    exit({ pid: 5001, start: ms(2) }),
    exit(),
    end(),
  ]);
  t.equal(r.process_tree!.children[0]!.privileged, true);
});

t.test('an exec of a process the caller may not trace: its exec is kept, its cwd is not', async (t) => {
  const r = receiptOf([hello({ proto: 3 }), { ...exec({ path: '/bin/cat', cwd: null }), withheld: true }, exit(), end()]);
  t.equal(r.process_tree!.cwd, null);
  t.equal(r.process_tree!.execs[0]!.path, '/bin/cat');
});

t.test('a program run from a memfd: exe is its name, marked anonymous; a fork keeps it, an exec clears it', async (t) => {
  const r = receiptOf([
    hello({ proto: 3 }),
    { ...exec({ path: '/dev/fd/3', exe: 'memfd:payload' }), exe_anon: true },
    fork({ pid: 5001, start: ms(2) }),
    exec({ pid: 5001, start: ms(2), path: '/usr/bin/true' }),
    end(),
  ]);
  t.equal(r.process_tree!.exe, 'memfd:payload');
  t.equal(r.process_tree!.exe_anonymous, true);
  t.notOk('exe_anonymous' in r.process_tree!.children[0]!, 'the child exec\'d a file with a path');
});

t.test('a script: argv as passed, the interpreter kept beside it; a cut path flagged', async (t) => {
  const r = receiptOf([
    hello({ proto: 3 }),
    { ...exec({ path: './s.sh', base: '/w', exe: '/usr/bin/dash', argv: ['./s.sh', 'a'] }), interpreter: ['/bin/sh', './s.sh'] },
    { ...exec({ path: '/bin/true', cwd: '\u2026/deep' }), path_truncated: true },
    end(),
  ]);
  const [script, cut] = r.process_tree!.execs;
  t.same(script, { path: '/w/s.sh', argv: ['./s.sh', 'a'], result: 'ok', interpreter: ['/bin/sh', './s.sh'] });
  t.equal(cut!.path_truncated, true);
  t.equal(r.process_tree!.cwd, '\u2026/deep');
});

t.test('end_offset_ms: the exit as the kernel timed it; null while running or when the exit was not seen', async (t) => {
  const r = receiptOf([
    hello(),
    exec({ path: '/bin/sh', argv: ['sh'] }),
    fork({ pid: 601, start: ms(2) }),
    fork({ pid: 602, start: ms(3) }),
    exit({ pid: 601, start: ms(2), code: 1, ts: ms(7.25) }),
    // an exit timed before its own start (clock skew between CPUs): never a negative length
    fork({ pid: 603, start: ms(9) }),
    exit({ pid: 603, start: ms(9), sig: 'SIGKILL', ts: ms(8.5) }),
    exit({ code: 0, ts: ms(40) }),
    end(),
  ]);
  const byPid = new Map(r.processes.map((p) => [p.pid, p]));
  t.equal(byPid.get(ROOT)!.end_offset_ms, 40);
  t.equal(byPid.get(601)!.end_offset_ms, 7.25);
  t.equal(byPid.get(602)!.state, 'running');
  t.equal(byPid.get(602)!.end_offset_ms, null);
  t.equal(byPid.get(603)!.end_offset_ms, byPid.get(603)!.start_offset_ms);
  // the nested tree says the same as the flat list
  t.same(flat(r.process_tree!).map((p) => p.end_offset_ms), flat(r.process_tree!).map((p) => byPid.get(p.pid)!.end_offset_ms));

  // the kernel never said the root exited (lost, or no collector): gh-run's own wait is no time of the process
  const lost = receiptOf([hello(), exec({ path: '/bin/true', argv: ['true'] }), end()]);
  t.equal(lost.process_tree!.state, 'exited');
  t.equal(lost.process_tree!.end_offset_ms, null);
});

t.test('a fork chain 10,000 deep: every process nested under its parent, no recursion to overflow', async (t) => {
  const depth = 10_000;
  const r = receiptOf(forkChain(depth));
  const processes = [...r.processes];
  t.equal(processes.length, depth + 1, 'every process in the flat list');
  // walked with a loop: the test must not overflow where the code under test must not
  let node = r.process_tree!;
  let level = 0;
  let wrong = 0;
  while (node.children.length > 0) {
    if (node.children.length !== 1 || node.children[0]!.ppid !== node.pid) wrong++;
    node = node.children[0]!;
    level++;
    if (node.exit_code !== (level === depth ? 3 : 0) || node.state !== 'exited') wrong++;
  }
  t.equal(level, depth, 'nested as deep as the chain');
  t.equal(wrong, 0, 'each the only child of the previous, with its own exit code');
  t.equal(node.pid, 10_000 + depth, 'the deepest last');
});

t.test('a parent cycle (corrupt frames) hangs under the root, each process once', async (t) => {
  // 501's fork names 502 as its parent before 502 exists; 502's names 501
  const a = ms(1);
  const b = ms(2);
  const r = receiptOf([hello(), exec(), fork({ pid: 501, start: a, ppid: 502, pstart: b }), fork({ pid: 502, start: b, ppid: 501, pstart: a }), exit(), end()]);
  const root = r.process_tree!;
  t.same(flat(root).map((p) => p.pid), [ROOT, 501, 502]);
  t.same(root.children.map((p) => p.pid), [501], 'the first of the cycle under the root');
  t.same(root.children[0]!.children.map((p) => p.pid), [502], 'the other under it, not twice');
});
