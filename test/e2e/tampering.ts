// The traced command runs as the caller, like gh-run and the helper after it drops privilege:
// it may signal them, ptrace them, read or write their memory, or take their file descriptors.
// Each such attempt, made from inside a traced command (test/fixtures/programs/tamper.py), must
// leave a receipt that is not "ok" and that names the attempt; what can be resisted is resisted
// (the helper ignores signals from anyone but its parent; Node's inspector does not start).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ghRun, PROGRAMS, PYTHON, requireBpf, type RunResult } from '../helpers/gh-run.js';

const TAMPER = join(PROGRAMS, 'tamper.py');
const asRoot = process.getuid!() === 0;

async function attack(t: Tap.Test, name: string): Promise<{ r: RunResult; out: any; marker: string }> {
  const dir = t.testdir({});
  const marker = join(dir, `marker-${name}`);
  writeFileSync(marker, 'x');
  const r = await ghRun([PYTHON, TAMPER, name, marker]);
  const line = r.stdout.toString().trim().split('\n').at(-1) ?? '';
  return { r, out: line.startsWith('{') ? JSON.parse(line) : null, marker };
}

const tampering = (r: RunResult): any[] => r.receipt.collector.tampering;
const reads = (r: RunResult): string[] => r.receipt.filesystem.reads.map((e: any) => e.path);

function notOk(t: Tap.Test, r: RunResult, call: RegExp): void {
  t.equal(r.receipt.collector.status, 'degraded', 'the receipt is not ok');
  t.match(r.receipt.collector.reason, /tampering/);
  t.ok(r.receipt.outcome.errors.some((e: string) => /^tampering: pid \d+ /.test(e) && call.test(e)), `outcome.errors names it (${call})`);
}

t.test('kill -TERM of the helper: ignored, reported, and collection goes on', async (t) => {
  if (!(await requireBpf(t))) return;
  const { r, out, marker } = await attack(t, 'term-helper');
  t.equal(r.code, 0, 'the command ran to its end');
  t.ok(out?.helper, 'the command found the helper');
  notOk(t, r, /kill/);
  t.match(tampering(r), [{ call: 'kill', target: 'helper', detail: `SIGTERM to pid ${out.helper}`, result: 'ok' }]);
  t.ok(reads(r).includes(marker), 'what the command did after the kill is in the receipt');
  t.equal(r.receipt.collector.events_lost, 0);
});

t.test('kill -USR1 of gh-run: no debugger starts in it, and it is reported', async (t) => {
  if (!(await requireBpf(t))) return;
  const { r, out } = await attack(t, 'usr1-controller');
  t.equal(r.code, 0);
  notOk(t, r, /kill on gh-run/);
  t.match(tampering(r), [{ call: 'kill', target: 'controller', detail: `SIGUSR1 to pid ${out.controller}`, result: 'ok' }]);
  t.notMatch(r.stderr, /Debugger listening/, 'Node did not open its inspector');
});

t.test('pidfd_getfd of gh-run\'s descriptors, and "stop" written to them', async (t) => {
  if (!(await requireBpf(t))) return;
  const { r, out } = await attack(t, 'getfd-stop');
  t.equal(r.code, 0);
  t.ok(out.written > 0, `the command wrote "stop" into ${out.written} of gh-run's sockets`);
  notOk(t, r, /pidfd_getfd on gh-run/);
  t.ok(tampering(r).some((e: any) => e.call === 'pidfd_getfd' && e.target === 'controller' && e.result === 'ok'));
  t.match(r.receipt.collector.reason, /stopped before gh-run asked it to/, 'the early stop it caused is said too');
});

t.test('an open of /proc/<gh-run>/mem for writing', async (t) => {
  if (!(await requireBpf(t))) return;
  const { r, out } = await attack(t, 'mem');
  t.equal(r.code, 0);
  notOk(t, r, /openat on gh-run/);
  t.match(tampering(r), [{ call: 'openat', target: 'controller', detail: `/proc/${out.controller}/mem`, result: 'ok' }]);
});

t.test('an open of /proc/<gh-run>/fd/N', async (t) => {
  if (!(await requireBpf(t))) return;
  const { r, out } = await attack(t, 'fd');
  t.equal(r.code, 0);
  notOk(t, r, /openat on gh-run/);
  t.match(tampering(r), [{ call: 'openat', target: 'controller', detail: `/proc/${out.controller}/fd/0` }]);
});

t.test('ptrace of gh-run and of the helper, failed attempts included', async (t) => {
  if (!(await requireBpf(t))) return;
  const { r, out } = await attack(t, 'ptrace');
  t.equal(r.code, 0);
  t.equal(out.seize_controller, 'ok', 'gh-run is the same uid and dumpable: the seize works');
  // the helper is not dumpable: only a caller with CAP_SYS_PTRACE (root) may seize it
  t.equal(out.seize_helper === 'ok', asRoot, `seize of the helper: ${out.seize_helper}`);
  t.not(out.poke_controller, 'ok', 'a poke without attaching fails');
  notOk(t, r, /ptrace on gh-run/);
  const entries = tampering(r);
  t.ok(entries.some((e: any) => e.call === 'ptrace' && e.target === 'controller' && e.detail === `PTRACE_SEIZE of pid ${out.controller}` && e.result === 'ok'));
  t.ok(entries.some((e: any) => e.call === 'ptrace' && e.target === 'helper' && e.detail === `PTRACE_SEIZE of pid ${out.helper}` && e.result === (asRoot ? 'ok' : 'EPERM')));
  t.ok(entries.some((e: any) => e.call === 'ptrace' && e.detail === `PTRACE_POKEDATA of pid ${out.controller}` && e.result === 'ESRCH'), 'the failed attempt is there too');
});

t.test('process_vm_readv of gh-run', async (t) => {
  if (!(await requireBpf(t))) return;
  const { r, out } = await attack(t, 'vm');
  t.equal(r.code, 0);
  notOk(t, r, /process_vm_readv on gh-run/);
  t.match(tampering(r), [{ call: 'process_vm_readv', target: 'controller', detail: `memory of pid ${out.controller}` }]);
});

t.test('an ordinary command tampers with nothing', async (t) => {
  if (!(await requireBpf(t))) return;
  // its parent is gh-run: asking whether it exists (signal 0) or reading its status is no attempt
  const r = await ghRun(['/bin/sh', '-c', 'kill -0 $PPID; cat /proc/$PPID/status >/dev/null; ls /proc/$PPID/fd >/dev/null 2>&1; exit 0']);
  t.equal(r.receipt.collector.status, 'ok');
  t.same(tampering(r), []);
});

t.test('a signal to the helper from outside the tree: ignored, and listed', async (t) => {
  if (!(await requireBpf(t))) return;
  const { readdirSync, readFileSync } = await import('node:fs');
  const dir = t.testdir({ marker: 'x' });
  const marker = join(dir, 'marker');
  // the helper: the child of gh-run named glasshouse-helper (comm is cut to 15 characters), once
  // it takes its signals from a signalfd (SIGUSR2 blocked): what is under test is that a running
  // helper ignores a signal. Before that, in the moment between its exec and its first lines, a
  // signal kills it as any process, and the run says "unavailable".
  const usr2 = 1n << 11n; // SIGUSR2 (12) in the SigBlk mask
  const blocksUsr2 = (pid: string): boolean => {
    const mask = /^SigBlk:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) & usr2) !== 0n;
  };
  const helperOf = (ghRunPid: number): number | null => {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const child = comm.startsWith('glasshouse-help') && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ghRunPid;
        if (child && blocksUsr2(name)) return Number(name);
      } catch {
        // gone meanwhile
      }
    }
    return null;
  };
  let sent = 0;
  const r = await ghRun(['/bin/sh', '-c', `sleep 2; cat ${marker} >/dev/null`], {
    onSpawn: (child) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const helper = helperOf(child.pid!);
        if (helper !== null || Date.now() - started > 1800) clearInterval(poll);
        if (helper !== null) {
          process.kill(helper, 'SIGUSR2'); // this test process: not the helper's parent, not in the tree
          sent = helper;
        }
      }, 50);
    },
  });
  t.ok(sent > 0, 'the test found the helper and signalled it');
  t.equal(r.code, 0);
  t.match(tampering(r), [{ pid: process.pid, call: 'signal', target: 'helper', detail: /^SIGUSR2 from uid \d+, outside the command's tree/ }]);
  t.equal(r.receipt.collector.status, 'degraded');
  t.ok(reads(r).includes(marker), 'the helper ignored it and went on collecting');
});
