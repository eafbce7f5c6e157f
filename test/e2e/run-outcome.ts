// What a shell sees: exit codes (also 128+N for signals), output passed through and hashed,
// a missing binary, and SIGTERM forwarded to the command with the receipt still written.
import t from 'tap';
import { createHash } from 'node:crypto';
import { ghRun, requireBpf } from '../helpers/gh-run.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

t.test('exit code, stdout and stderr hashes', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun(['/bin/sh', '-c', 'printf "out\\n"; printf "err!" >&2; exit 42']);
  t.equal(r.code, 42);
  t.equal(r.stdout.toString(), 'out\n', 'stdout passed through');
  t.match(r.stderr, /err!/, 'stderr passed through');
  t.same(r.receipt.artifacts.stdout, { sha256: sha('out\n'), bytes: 4 });
  t.same(r.receipt.artifacts.stderr, { sha256: sha('err!'), bytes: 4 });
  t.match(r.receipt.outcome, { exit_code: 42, signal: null });
});

t.test('large output is hashed without loss', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun(['/bin/sh', '-c', 'head -c 3000000 /dev/zero']);
  t.equal(r.stdout.length, 3000000);
  t.same(r.receipt.artifacts.stdout, { sha256: sha(Buffer.alloc(3000000)), bytes: 3000000 });
});

t.test('death by signal: 128+N', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun(['/bin/sh', '-c', 'kill -KILL $$']);
  t.equal(r.code, 137);
  t.match(r.receipt.outcome, { exit_code: null, signal: 'SIGKILL' });
  t.equal(r.receipt.exit_code, 137);
  t.match(r.receipt.process_tree, { signal: 'SIGKILL', exit_code: null, state: 'exited' });
});

t.test('missing binary: exit 127, error, receipt', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun(['definitely-not-a-command-xyz']);
  t.equal(r.code, 127);
  t.ok(r.receipt, 'receipt written');
  t.ok(r.receipt.outcome.errors.includes('definitely-not-a-command-xyz: no such file or directory'), JSON.stringify(r.receipt.outcome.errors));
});

t.test('SIGTERM to gh-run is forwarded; receipt still written', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun(['/bin/sh', '-c', 'echo started; sleep 5'], {
    onSpawn: (child) => {
      child.stdout!.once('data', () => setTimeout(() => child.kill('SIGTERM'), 100));
    },
  });
  t.equal(r.code, 143, 'the command died of the forwarded SIGTERM');
  t.match(r.receipt.outcome.signal, 'SIGTERM');
  t.ok(r.receipt.outcome.errors.some((e: string) => /SIGTERM/.test(e)), 'signal noted in outcome.errors');
  const sleeper = r.receipt.processes.find((p: any) => p.argv?.[0] === 'sleep');
  t.ok(sleeper, 'the sleep child is in the tree');
});

t.test('a descendant still alive when the root exits is "running"', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun(['/bin/sh', '-c', '/bin/sleep 3 >/dev/null 2>&1 & exit 0']);
  t.equal(r.code, 0);
  const sleeper = r.receipt.processes.find((p: any) => p.argv?.[0] === '/bin/sleep');
  t.match(sleeper, { state: 'running', exit_code: null, signal: null }, 'still running, no exit status');
  t.match(r.receipt.process_tree, { state: 'exited', exit_code: 0 });
});

t.test('the helper dying mid-run does not disturb the command: degraded', async (t) => {
  if (!(await requireBpf(t))) return;
  // the command kills its sibling, the helper (a child of gh-run, its own parent)
  const r = await ghRun(['/bin/sh', '-c', 'pkill -KILL -P $PPID -x glasshouse-help; sleep 0.2; echo still-here; exit 4']);
  t.equal(r.code, 4, 'exit code mirrored');
  t.equal(r.stdout.toString(), 'still-here\n', 'output passed through');
  t.equal(r.receipt.collector.status, 'degraded');
  t.match(r.receipt.collector.reason, /helper/);
  t.match(r.receipt.process_tree, { argv: ['/bin/sh', '-c', /pkill/] }, 'what was seen before is kept');
});

t.test('kill -9 of gh-run: the command does not run on unobserved', async (t) => {
  if (!(await requireBpf(t))) return;
  // the root command prints its pid, then waits; gh-run is killed outright (no forwarding, no
  // receipt): the gate's PR_SET_PDEATHSIG kills the command with it
  let commandPid = 0;
  const r = await ghRun(['/bin/sh', '-c', 'echo $$; exec sleep 30'], {
    onSpawn: (child) => {
      child.stdout!.once('data', (d: Buffer) => {
        commandPid = Number(d.toString().trim());
        setTimeout(() => child.kill('SIGKILL'), 100);
      });
    },
  });
  t.equal(r.signal, 'SIGKILL', 'gh-run died of it');
  t.ok(commandPid > 0, 'the command said its pid');
  let alive = true;
  for (let i = 0; i < 50 && alive; i++) {
    await new Promise((res) => setTimeout(res, 100));
    try {
      process.kill(commandPid, 0);
    } catch {
      alive = false;
    }
  }
  t.notOk(alive, 'the command is gone too');
  if (alive) process.kill(commandPid, 'SIGKILL');
});
