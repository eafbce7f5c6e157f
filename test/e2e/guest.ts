// Guest mode (`glasshouse run --guest`, or glasshouse as PID 1): in a fresh pid namespace
// glasshouse is PID 1 and re-runs itself under glasshouse-init, which reaps every orphan,
// forwards shutdown signals, and mounts what a bare guest lacks. Needs root (namespaces):
// CI runs this file as root; as a normal user (make test-unprivileged) it is skipped.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GH_RUN, GLASSHOUSE, PROGRAMS, PYTHON, ROOT, ghRun, paths, requireBpf, runCollect } from '../helpers/gh-run.js';

const ORPHANS = join(PROGRAMS, 'guest-orphans.py');
const INIT = join(ROOT, 'helper', 'glasshouse-init');
// --kill-child: if unshare itself is killed (test timeout), the namespace goes with it
const PID_NS = ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc'];
const PID_MOUNT_NS = ['unshare', '--pid', '--fork', '--kill-child', '--mount'];

interface NsResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  receipt: any;
}

/** Run the argv that `build` makes from the receipt path (and a scratch dir); collect it all. */
async function nsRun(build: (receipt: string, dir: string) => string[], env: NodeJS.ProcessEnv = process.env): Promise<NsResult> {
  // 0o777: one test runs glasshouse as nobody
  const r = await runCollect(build, { env, timeoutMs: 60_000, dirMode: 0o777 });
  return { ...r, stdout: r.stdout.toString() };
}

let nsProbe: string | null | undefined;

/** null when this user can create pid and mount namespaces here; otherwise why not. */
function namespacesUnavailableReason(): string | null {
  if (nsProbe !== undefined) return nsProbe;
  if (process.getuid!() !== 0) return (nsProbe = 'needs root to create pid and mount namespaces');
  if (!existsSync(INIT)) return (nsProbe = `${INIT} is missing: run make`);
  const r = spawnSync(PID_NS[0]!, [...PID_NS.slice(1), 'true'], { encoding: 'utf8' });
  if (r.error) return (nsProbe = `unshare: ${r.error.message}`);
  return (nsProbe = r.status === 0 ? null : `unshare failed (${r.status}): ${r.stderr.trim()}`);
}

/**
 * BPF and namespaces, as requireBpf: skipped with the reason where they are missing, a failure
 * in CI (CI=true) when running as root. Not being root is a skip even in CI: the unprivileged
 * run of the suite cannot create namespaces, and the root run covers guest mode.
 */
async function requireGuest(t: { fail(msg: string): unknown; skip(...args: any[]): unknown }): Promise<boolean> {
  const reason = namespacesUnavailableReason();
  if (reason !== null) {
    if (process.env.CI === 'true' && process.getuid!() === 0) t.fail(`namespaces must work in CI as root: ${reason}`);
    else t.skip(`guest mode cannot be tested here: ${reason}`);
    return false;
  }
  return requireBpf(t);
}

/** The single JSON line guest-orphans.py prints. */
function orphanReport(stdout: string): any {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line);
}

t.test('control: a Node PID 1 without init leaves zombies (the check below can see them)', async (t) => {
  if (!(await requireGuest(t))) return;
  // GLASSHOUSE_UNDER_INIT=1: the outer glasshouse believes it already runs under init
  const r = await nsRun((out) => [...PID_NS, process.execPath, GLASSHOUSE, 'run', '-q', '-o', out, '--', PYTHON, ORPHANS, '5'], {
    ...process.env,
    GLASSHOUSE_UNDER_INIT: '1',
  });
  t.equal(r.code, 0, r.stderr);
  const report = orphanReport(r.stdout);
  t.same(report.reparented_to, [1], 'orphans went to PID 1 (node)');
  t.ok(report.zombies.length >= 5, `zombies seen: ${report.zombies.length}`);
});

t.test('guest: glasshouse is PID 1, the command leaves 25 orphans, no zombie remains', async (t) => {
  if (!(await requireGuest(t))) return;
  const r = await nsRun((out) => [...PID_NS, process.execPath, GLASSHOUSE, 'run', '--guest', '-q', '-o', out, '--', PYTHON, ORPHANS, '25']);
  t.equal(r.code, 0, r.stderr);
  const report = orphanReport(r.stdout);
  t.equal(report.orphans, 25);
  t.same(report.zombies, [], 'no zombie in the namespace');
  t.not(report.init_pid, 1, 'init is not PID 1: glasshouse is');
  t.same(report.reparented_to, [report.init_pid], 'every orphan was reparented to glasshouse-init');
  t.equal(r.receipt.environment.guest, true);
  t.same(r.receipt.outcome.errors, []);
  t.match(r.receipt.collector, { status: 'ok', events_lost: 0 });
  // python, its 25 short-lived children and their 25 orphans
  t.ok(r.receipt.processes.length >= 51, `processes in the receipt: ${r.receipt.processes.length}`);
  t.ok(r.receipt.processes.every((p: any) => p.state === 'exited'), 'every orphan exited before the root');
});

t.test('detected PID 1 (gh-run, no --guest): init reaps too, nothing is mounted', async (t) => {
  if (!(await requireGuest(t))) return;
  const r = await nsRun((out) => [...PID_NS, process.execPath, GH_RUN, '-q', '-o', out, '--', PYTHON, ORPHANS, '20']);
  t.equal(r.code, 0, r.stderr);
  const report = orphanReport(r.stdout);
  t.same(report.zombies, []);
  t.same(report.reparented_to, [report.init_pid]);
  t.match(r.receipt.environment, { guest: false, guest_mounts: [] });
});

t.test('SIGTERM to PID 1 reaches the command: exit 143, noted in outcome.errors', async (t) => {
  if (!(await requireGuest(t))) return;
  const r = await nsRun((out) => [
    ...PID_NS, process.execPath, GLASSHOUSE, 'run', '--guest', '-q', '-o', out, '--',
    'sh', '-c', 'echo started; kill -TERM 1; sleep 10; echo survived',
  ]);
  t.equal(r.code, 143, r.stderr);
  t.equal(r.stdout, 'started\n', 'the command died in its sleep');
  t.ok(r.receipt, 'receipt written');
  t.match(r.receipt.outcome, { exit_code: null, signal: 'SIGTERM' });
  t.equal(r.receipt.exit_code, 143);
  t.ok(r.receipt.outcome.errors.includes('received SIGTERM, forwarded to the command'), JSON.stringify(r.receipt.outcome.errors));
  t.match(r.receipt.process_tree, { signal: 'SIGTERM', exit_code: null });
});

t.test('/proc and /sys unmounted: --guest mounts proc, sysfs and bpf, and the run is complete', async (t) => {
  if (!(await requireGuest(t))) return;
  const r = await nsRun((out) => [
    ...PID_MOUNT_NS, 'sh', '-c', 'umount -l /sys && umount -l /proc && test ! -e /proc/self && exec "$@"', 'sh',
    process.execPath, GLASSHOUSE, 'run', '--guest', '-q', '-o', out, '--', 'cat', '/proc/self/stat',
  ]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^\d+ \(cat\) R \d+ /, 'the command read /proc/self/stat');
  t.same(r.receipt.environment.guest_mounts, [
    { fs: 'proc', target: '/proc' },
    { fs: 'sysfs', target: '/sys' },
    { fs: 'bpf', target: '/sys/fs/bpf' },
  ]);
  t.same(r.receipt.outcome.errors, []);
  t.match(r.receipt.collector, { status: 'ok', events_lost: 0 }, 'the helper loaded with the mounted sysfs');
  t.ok(paths(r.receipt.filesystem.reads).some((p: string) => /^\/proc\/\d+\/stat$/.test(p)), 'the open of /proc/self/stat is in the receipt');
});

t.test('a mount that fails is an error in outcome.errors, not a crash', async (t) => {
  if (!(await requireGuest(t))) return;
  // as nobody no mount is allowed; /sys/fs/bpf is made a tmpfs so that init tries one. Without
  // NODE_OPTIONS: tap's instrumentation (which it adds to every spawn) cannot write as nobody.
  const r = await nsRun((out) => [
    ...PID_MOUNT_NS, 'sh', '-c',
    'mount -t tmpfs tmpfs /sys/fs/bpf && unset NODE_OPTIONS && exec runuser -u nobody -- "$@"', 'sh',
    process.execPath, GLASSHOUSE, 'run', '--guest', '-q', '-o', out, '--', 'sh', '-c', 'exit 7',
  ]);
  t.equal(r.code, 7, r.stderr);
  t.ok(r.receipt, 'receipt written');
  t.ok(
    r.receipt.outcome.errors.includes('guest setup: mount bpf on /sys/fs/bpf: Operation not permitted'),
    JSON.stringify(r.receipt.outcome.errors),
  );
  t.same(r.receipt.environment.guest_mounts, []);
});

t.test('pids in the receipt are the namespace\'s pids', async (t) => {
  if (!(await requireGuest(t))) return;
  const script = 'echo $$ $PPID; sh -c \'echo $$ $PPID\'; tr "\\0" " " < /proc/$PPID/cmdline; echo';
  const r = await nsRun((out) => [...PID_NS, process.execPath, GLASSHOUSE, 'run', '--guest', '-q', '-o', out, '--', 'sh', '-c', script]);
  t.equal(r.code, 0, r.stderr);
  const [rootLine, childLine, parentCmd] = r.stdout.split('\n');
  const [rootPid, rootPpid] = rootLine!.split(' ').map(Number);
  const [childPid, childPpid] = childLine!.split(' ').map(Number);
  t.match(parentCmd, GLASSHOUSE, "the root's parent is the inner glasshouse");
  t.ok(rootPid! < 1000 && rootPpid! > 1, `namespace pids: root ${rootPid}, its parent ${rootPpid}`);
  t.equal(r.receipt.process_tree.pid, rootPid, 'root pid');
  t.equal(r.receipt.process_tree.ppid, rootPpid, "root's ppid: the inner glasshouse's pid in the namespace");
  t.equal(r.receipt.processes.length, 3, 'sh, its child sh and tr: each once');
  const child = r.receipt.processes.find((p: any) => p.argv?.[2] === 'echo $$ $PPID');
  t.same([child?.pid, child?.ppid], [childPid, childPpid], "the child's pid and ppid");
  t.ok(
    r.receipt.processes.every((p: any) => p.pid < 1000),
    `every pid is a namespace pid: ${r.receipt.processes.map((p: any) => p.pid).join(' ')}`,
  );
});

t.test('a guest receipt is as complete as a normal one', async (t) => {
  if (!(await requireGuest(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'gh-guest-out-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // the same argv in both runs: the output file comes from the environment
  const workload = ['sh', '-c', 'cat /etc/hostname >/dev/null; echo hi > "$GH_GUEST_OUT"; cat /definitely-missing-xyz 2>/dev/null; exit 3'];
  const normal = await ghRun(workload, { args: ['-q'], env: { ...process.env, GH_GUEST_OUT: join(dir, 'normal.txt') } });
  const guest = await nsRun((out) => [...PID_NS, process.execPath, GLASSHOUSE, 'run', '--guest', '-q', '-o', out, '--', ...workload], {
    ...process.env,
    GH_GUEST_OUT: join(dir, 'guest.txt'),
  });
  t.equal(guest.code, 3, guest.stderr);
  t.equal(normal.code, 3);
  for (const r of [normal.receipt, guest.receipt]) {
    t.match(r.collector, { status: 'ok', events_lost: 0, argv_captured: true });
    t.match(r.outcome, { exit_code: 3, signal: null, errors: [] });
    t.ok(Object.keys(r.syscalls).length > 0, 'syscalls counted');
  }
  const argvs = (r: any) => r.processes.map((p: any) => JSON.stringify(p.argv)).sort();
  const argvSet = (r: any) => [...new Set(argvs(r))];
  t.same(argvSet(guest.receipt), argvSet(normal.receipt), 'the same programs ran');
  t.same(argvs(guest.receipt), argvs(normal.receipt), 'each once');
  const exits = (r: any) => r.processes.map((p: any) => `${p.argv?.[0]}:${p.exit_code}`).sort();
  t.same([...new Set(exits(guest.receipt))], [...new Set(exits(normal.receipt))], 'the same exit codes');
  t.ok(paths(guest.receipt.filesystem.reads).includes('/etc/hostname'));
  t.same(paths(guest.receipt.filesystem.writes).filter((p) => p.startsWith(dir)), [join(dir, 'guest.txt')]);
  t.same(
    guest.receipt.filesystem.failed.filter((f: any) => f.path === '/definitely-missing-xyz').map((f: any) => f.errno),
    ['ENOENT'],
  );
  const reads = (r: any) => paths(r.filesystem.reads).filter((p) => !p.startsWith('/proc/'));
  t.same(reads(guest.receipt), reads(normal.receipt), 'the same files read');
  t.same(Object.keys(guest.receipt.syscalls).sort(), Object.keys(normal.receipt.syscalls).sort(), 'the same kinds of syscalls');
});
