// A follow is bound to one process: the one the helper checked. Each attack below is made by
// a caller of the helper (test/fixtures/programs/follow-attack.py, the helper's parent, as
// gh-run is): it must never get the helper to follow anything but a live child of its own,
// running with its own credentials; a refused follow ends the helper (status 2).
//
// The pid-reuse attack is made deterministic by handing the freed pid to a victim of another
// uid through /proc/sys/kernel/ns_last_pid (pid-steer.py): directly when this suite runs as
// root, and through a root service that test/run-unprivileged.sh starts for the normal user.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperFrames, PROGRAMS, PYTHON, requireBpf } from '../helpers/gh-run.js';
import { HELPER } from '../helpers/helper.js';

const DRIVER = join(PROGRAMS, 'follow-attack.py');
const asRoot = process.getuid!() === 0;
const steerSocket = process.env.GLASSHOUSE_PID_STEER ?? null;

interface Attack {
  facts: Record<string, any>;
  frames: any[];
  text: string; // every frame, as JSON: what the caller got to see
}

function attack(scenario: string, extra: string[] = []): Attack {
  const dir = mkdtempSync(join(tmpdir(), 'gh-follow-'));
  chmodSync(dir, 0o755);
  try {
    const out = execFileSync(PYTHON, [DRIVER, HELPER, scenario, dir, ...extra], { encoding: 'utf8', timeout: 60_000 });
    const facts = JSON.parse(out.trim().split('\n').at(-1)!);
    const frames = helperFrames(readFileSync(join(dir, 'frames.bin')));
    return { facts, frames, text: JSON.stringify(frames) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const refusal = (a: Attack): any => a.frames.find((f) => f.t === 'error');

t.test('control: a live child of ours is armed, then adopted when it makes a syscall', async (t) => {
  if (!(await requireBpf(t))) return;
  const a = attack('ok');
  t.match(a.facts, { first: 'armed', verdict: 'following', helper_code: 0 });
  t.match(a.frames.find((f) => f.t === 'following'), { pid: a.facts.target, start: Number });
});

t.test('a zombie child is refused, and the refusal ends the helper', async (t) => {
  if (!(await requireBpf(t))) return;
  const a = attack('zombie');
  t.equal(a.facts.state, 'Z', 'the target really was a zombie');
  t.equal(a.facts.first, 'error');
  t.match(refusal(a), { fatal: true, msg: /has exited \(a zombie\)/ });
  t.equal(a.facts.helper_code, 2);
  t.notOk(a.frames.some((f) => f.t === 'armed' || f.t === 'following'), 'never armed');
});

t.test('a thread id is refused', async (t) => {
  if (!(await requireBpf(t))) return;
  const a = attack('thread');
  t.not(a.facts.target, a.facts.process, 'the target is a thread, not its process');
  t.match(refusal(a), { fatal: true, msg: /a thread id, not a process/ });
  t.equal(a.facts.helper_code, 2);
  t.notOk(a.frames.some((f) => f.t === 'armed' || f.t === 'following'));
});

t.test('an exited (reaped) pid is refused', async (t) => {
  if (!(await requireBpf(t))) return;
  const a = attack('exited');
  t.match(refusal(a), { fatal: true, msg: /no such process|not a child/ });
  t.equal(a.facts.helper_code, 2);
  t.notOk(a.frames.some((f) => f.t === 'armed' || f.t === 'following'));
});

t.test('an armed follow that no process claims expires', async (t) => {
  if (!(await requireBpf(t))) return;
  const a = attack('expire');
  t.equal(a.facts.first, 'armed');
  t.match(refusal(a), { fatal: true, msg: /made no syscall within 5 s/ });
  t.ok(a.facts.after_s >= 4 && a.facts.after_s < 15, `expired after ${a.facts.after_s} s`);
  t.equal(a.facts.helper_code, 2);
  t.notOk(a.frames.some((f) => f.t === 'following'));
});

t.test('pid reuse: a victim of another uid that gets the checked pid is never adopted', async (t) => {
  if (!(await requireBpf(t))) return;
  if (!asRoot && steerSocket === null) {
    const why = 'handing a pid to a victim needs root (ns_last_pid), or the service test/run-unprivileged.sh starts';
    if (process.env.CI === 'true') t.fail(`CI must run this attack: ${why}`);
    else t.skip(why);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'gh-victim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const marker = join(dir, 'victim-marker');
  writeFileSync(marker, 'x');
  chmodSync(marker, 0o644);
  const a = attack('reuse', [...(asRoot ? ['--as-root'] : ['--steer', steerSocket!]), '--marker', marker]);
  t.equal(a.facts.first, 'armed', 'the live child was checked and armed');
  t.equal(a.facts.steer, `ok ${a.facts.target}`, 'the victim got the very pid that was checked');
  t.match(refusal(a), { fatal: true, msg: /refused when it ran:.*another process than the one checked/ });
  t.equal(a.facts.helper_code, 2);
  t.notOk(a.frames.some((f) => f.t === 'following'), 'never following');
  t.notOk(a.frames.some((f) => ['exec', 'fork', 'open', 'net', 'exit'].includes(f.t)), 'not one event of the victim');
  t.notOk(a.text.includes('victim-secret'), 'its argv never reached the caller');
  t.notOk(a.text.includes(marker), 'nor its files');
});
