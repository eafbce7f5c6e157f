// One user cannot slow the whole machine with helpers (helper/slots.c): at most 4 helpers per
// caller uid and 16 in all, and other users can neither fill nor take anyone's slots; a caller
// who is not root gets a ring buffer of at most 16 MiB.
//
// Run as root: a copy of the helper gets file capabilities (as `make setcap` gives them) and is
// started as uids that no other test uses (61001-61010, no passwd entry needed), so this file
// runs beside the others: root's own helpers take no slot. (It must not run beside helpers
// that are not root's and do hold privilege: the 16 it fills would refuse them. As a normal
// user, test/e2e/helper-slots-caller.ts checks the caller's own limit instead.)
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GH_RUN, PYTHON, requireBpf, ROOT, runCollect } from '../helpers/gh-run.js';
import { HELPER as IN_TREE, killAll, startHelper, type Started } from '../helpers/helper.js';
const started: Started[] = [];
let dir = '';
let helper = '';

if (process.getuid!() !== 0) {
  // a root scenario: the unprivileged pass leaves this file out (helper-slots-caller.ts is its
  // part there); anywhere else as a normal user it is skipped, and said so
  const why = 'needs root, to give a copy of the helper capabilities and run it as other uids';
  if (process.env.CI === 'true') t.fail(`run as root in CI: ${why}`);
  else t.skip(why);
} else {
  t.before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gh-slots-'));
    chmodSync(dir, 0o755);
    helper = join(dir, 'glasshouse-helper');
    copyFileSync(IN_TREE, helper);
    copyFileSync(join(ROOT, 'helper', 'glasshouse-gate'), join(dir, 'glasshouse-gate'));
    chmodSync(helper, 0o755);
    chmodSync(join(dir, 'glasshouse-gate'), 0o755);
    execFileSync('setcap', ['cap_bpf,cap_perfmon+ep', helper]);
  });
  t.afterEach(() => killAll(started.splice(0)));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  defineTests();
}

/** The capable copy, as `uid`. */
function asUid(uid: number, ...args: string[]): string[] {
  return ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', helper, '--ringbuf-mb', '1', ...args];
}

function start(argv: string[]): Started {
  const s = startHelper(argv);
  started.push(s);
  return s;
}

async function firsts(list: Started[]): Promise<any[]> {
  return Promise.all(list.map((s) => s.first));
}

/** The slot names in the kernel's list of unix sockets (each once: a pending connection shows its listener's). */
function slotNames(): string[] {
  return [...new Set(readFileSync('/proc/net/unix', 'utf8').split('\n').flatMap((l) => /(@glasshouse-helper\/\S+)/.exec(l)?.[1] ?? []))];
}

function defineTests(): void {
  t.test('per uid: of 5 started at once, 4 run and the 5th is refused', async (t) => {
    if (!(await requireBpf(t))) return;
    const list = [1, 2, 3, 4, 5].map(() => start(asUid(61001)));
    const frames = await firsts(list);
    t.equal(frames.filter((f) => f?.t === 'hello').length, 4, 'four hellos');
    const refused = list.filter((_, i) => frames[i]?.t === 'error');
    t.equal(refused.length, 1, 'one refusal');
    t.match(frames.find((f) => f?.t === 'error'), {
      fatal: true,
      msg: /^4 glasshouse helpers of uid 61001 are already running \(pids \d+(, \d+){0,3}\); one user may run at most 4 at once$/,
    });
    t.equal(await refused[0]!.closed, 1, 'it exits with status 1');

    // refused before libbpf did anything: --verbose would print its loading
    const late = start(asUid(61001, '--verbose'));
    t.match(await late.first, { t: 'error', fatal: true });
    t.equal(late.stderr().trim().split('\n').length, 1, 'a refused helper loaded nothing (one stderr line)');

    // a helper that stops gives its slot back
    const admitted = list.filter((_, i) => frames[i]?.t === 'hello');
    t.equal(await admitted[0]!.stop(), 0);
    t.match(await start(asUid(61001)).first, { t: 'hello' }, 'a slot is free again');
    t.equal(slotNames().filter((n) => n.startsWith('@glasshouse-helper/61001/')).length, 4, 'four slots listed');
  });

  t.test('setuid mode: the slot is the caller\'s, not root\'s', async (t) => {
    if (!(await requireBpf(t))) return;
    const setuid = join(dir, 'glasshouse-helper-setuid');
    copyFileSync(IN_TREE, setuid);
    chmodSync(setuid, 0o4755);
    const argv = ['setpriv', '--reuid=61010', '--regid=61010', '--clear-groups', setuid, '--ringbuf-mb', '1'];
    const list = [1, 2, 3, 4].map(() => start(argv));
    t.same((await firsts(list)).map((f) => f?.t && `${f.t} ${f.privilege}`), Array(4).fill('hello setuid'));
    // owned by root, the slots would not count for 61010 and a fifth would run
    t.match(await start(argv).first, { t: 'error', msg: /^4 glasshouse helpers of uid 61010 are already running/ });
    rmSync(setuid); // no setuid-root file left behind, even if this run is killed later
  });

  t.test('in all: 5 uids start 4 each at once, exactly 16 run', async (t) => {
    if (!(await requireBpf(t))) return;
    const uids = [61002, 61003, 61004, 61005, 61006];
    const list = uids.flatMap((uid) => [1, 2, 3, 4].map(() => start(asUid(uid))));
    const frames = await firsts(list);
    t.equal(frames.filter((f) => f?.t === 'hello').length, 16, '16 hellos');
    const errors = frames.filter((f) => f?.t === 'error');
    t.equal(errors.length, 4, '4 refusals');
    for (const e of errors) {
      t.match(e, { fatal: true, msg: /^16 glasshouse helpers are running on this machine; at most 16 may run at once \(4 per user\)$/ });
    }
  });

  t.test('other users can neither fill nor take a user\'s slots', async (t) => {
    if (!(await requireBpf(t))) return;
    const victim = 61008, squatter = 61007;
    // the oldest names there can be: counted, they would come first and refuse every helper
    const names = (n: number, t0: string) => [...Array(n).keys()].map((i) => `glasshouse-helper/${victim}/${t0}-${String(i).padStart(16, '0')}`);
    // a user who listens on 8 names of the victim's, backlog full; another 8 bound, not listening
    const listening = squat(squatter, 'listen', names(8, '0'.repeat(16)));
    const bound = squat(squatter, 'bind', names(8, '0'.repeat(15) + '1'));
    // and the victim's own socket that does not listen
    const idle = squat(victim, 'bind', names(1, '0'.repeat(15) + '2'));
    await Promise.all([listening.ready, bound.ready, idle.ready]);
    t.equal(slotNames().filter((n) => n.startsWith(`@glasshouse-helper/${victim}/`)).length, 17, 'the 17 squatted names are there');
    const list = [1, 2, 3, 4].map(() => start(asUid(victim)));
    t.same((await firsts(list)).map((f) => f?.t), ['hello', 'hello', 'hello', 'hello'], 'the victim still runs 4');
    t.match(await start(asUid(victim)).first, { t: 'error', msg: /^4 glasshouse helpers of uid 61008/ }, 'and no more');
    for (const s of [listening, bound, idle]) s.child.kill('SIGKILL');
  });

  t.test('a root caller is exempt and takes no slot', async (t) => {
    if (!(await requireBpf(t))) return;
    const list = [1, 2, 3, 4, 5].map(() => start([IN_TREE, '--ringbuf-mb', '1']));
    t.same((await firsts(list)).map((f) => f?.t), Array(5).fill('hello'), 'five root helpers run');
    t.same(slotNames().filter((n) => n.startsWith('@glasshouse-helper/0/')), [], 'none holds a slot');
    const capable = start([helper, '--ringbuf-mb', '1']);
    t.match(await capable.first, { t: 'hello' }, 'nor does the capable copy run by root');
  });

  t.test('ring buffer: at most 16 MiB unless the caller is root', async (t) => {
    if (!(await requireBpf(t))) return;
    const big = start(['setpriv', '--reuid=61009', '--regid=61009', '--clear-groups', helper, '--ringbuf-mb', '32']);
    t.equal(await big.first, null, 'a normal user asking for 32 MiB: no hello');
    if (big.child.exitCode === null) return; // an old helper started: afterEach kills it
    t.equal(await big.closed, 2, 'exit 2');
    t.match(big.stderr(), /--ringbuf-mb above 16 needs a root caller/);
    const ok = start(['setpriv', '--reuid=61009', '--regid=61009', '--clear-groups', helper, '--ringbuf-mb', '16']);
    t.match(await ok.first, { t: 'hello', ringbuf: 16 << 20 }, '16 MiB is fine');
    const root = start([IN_TREE, '--ringbuf-mb', '32']);
    t.match(await root.first, { t: 'hello', ringbuf: 32 << 20 }, 'root may have 32 MiB');
  });

  t.test('refused, the controller runs the command unobserved and says why', async (t) => {
    if (!(await requireBpf(t))) return;
    const list = [1, 2, 3, 4].map(() => start(asUid(61001)));
    t.same((await firsts(list)).map((f) => f?.t), Array(4).fill('hello'));
    // gh-run as uid 61001, with the capable copy; without tap's NODE_OPTIONS (it cannot write as 61001)
    const { NODE_OPTIONS: _, ...env } = process.env;
    const r = await runCollect((receipt) => [
      'setpriv', '--reuid=61001', '--regid=61001', '--clear-groups',
      process.execPath, GH_RUN, '-q', '-o', receipt, '--', '/bin/sh', '-c', 'exit 3',
    ], { env: { ...env, GLASSHOUSE_HELPER: helper }, dirMode: 0o777 });
    t.equal(r.code, 3, 'the command ran, with its own exit code');
    t.match(r.receipt?.collector, { status: 'unavailable', reason: /^4 glasshouse helpers of uid 61001 are already running/ });
  });
}

interface Squatter { child: ReturnType<typeof spawn>; ready: Promise<void> }

/** As `uid`, bind (and maybe listen on, with a full backlog) abstract names until killed. */
function squat(uid: number, how: 'listen' | 'bind', names: string[]): Squatter {
  const py = [
    'import socket, sys',
    'held = []',
    'for n in sys.argv[2:]:',
    '    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
    '    s.bind("\\0" + n)',
    '    if sys.argv[1] == "listen":',
    '        s.listen(0)',
    '        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
    '        c.connect("\\0" + n)',
    '        held.append(c)',
    '    held.append(s)',
    'print("ready", flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', PYTHON, '-c', py, how, ...names], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = new Promise<void>((res, rej) => {
    child.stdout!.once('data', () => res());
    child.once('close', (code) => rej(new Error(`squatter exited with ${code}`)));
  });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  return { child, ready };
}
