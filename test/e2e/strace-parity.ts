// The receipt against an independent witness: the same deterministic workload runs once under
// `strace -f` and once under gh-run, in the same directory, and every category must agree:
// execs (path, argv, result), exit statuses, files read / written / failed, network attempts.
// Nothing missing, nothing foreign. Pids differ between the runs, so records are compared as
// multisets of pid-free keys.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, isAbsolute } from 'node:path';
import { ghRun, requireBpf, PROGRAMS, PYTHON } from '../helpers/gh-run.js';
import { runStrace } from '../helpers/strace.js';

function multiset(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** Keys present in `a` more often than in `b`, with how many times. */
function missingFrom(a: Map<string, number>, b: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [k, n] of a) if ((b.get(k) ?? 0) < n) out.push(`${k} (x${n - (b.get(k) ?? 0)})`);
  return out;
}

function normalise(p: string): string {
  return resolve(p);
}

t.test('gh-run and strace -f see the same workload', async (t) => {
  if (!(await requireBpf(t))) return;
  // a scratch dir of our own: the workload makes a tree deeper than PATH_MAX, which only rm -rf
  // (openat-relative) takes apart
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'gh-parity-')));
  t.teardown(() => execFileSync('rm', ['-rf', base]));
  const dir = join(base, 'work');
  const command = ['/bin/sh', join(PROGRAMS, 'parity.sh'), dir, PYTHON];
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', LC_ALL: 'C' };

  mkdirSync(dir);
  const st = await runStrace(command, { cwd: base, env });
  t.equal(st.exitCode, 0, 'workload ran under strace');
  t.same(st.trace.unparsed, [], 'strace output fully parsed');
  execFileSync('rm', ['-rf', dir]);
  mkdirSync(dir);
  const gh = await ghRun(command, { cwd: base, env });
  t.equal(gh.code, 0, 'workload ran under gh-run');
  const rc = gh.receipt;
  t.equal(rc.collector.status, 'ok');
  t.equal(rc.collector.events_lost, 0, 'no event lost');

  // gcc names its temporary files at random (/tmp/ccAbCdEf.s): the one thing that differs
  const unrandom = (k: string) => k.replace(/\/cc[A-Za-z0-9]{6}\./g, '/ccXXXXXX.');
  const compare = (name: string, fromStrace: string[], fromReceipt: string[]) => {
    const s = multiset(fromStrace.map(unrandom));
    const g = multiset(fromReceipt.map(unrandom));
    t.same(missingFrom(s, g), [], `${name}: nothing strace saw is missing from the receipt`);
    t.same(missingFrom(g, s), [], `${name}: nothing in the receipt that strace did not see`);
  };

  // execs: every attempt, in every process
  compare('execs',
    st.trace.execs.filter((e) => isAbsolute(e.path)).map((e) => JSON.stringify([e.path, e.argv, e.result])),
    rc.processes.flatMap((p: any) => p.execs).filter((e: any) => isAbsolute(e.path)).map((e: any) => JSON.stringify([e.path, e.argv, e.result])));
  t.equal(rc.processes.flatMap((p: any) => p.execs).length, st.trace.execs.length, 'same number of exec attempts');

  // exit statuses, keyed by the argv each process last ran (forks without exec: by parent's)
  t.equal(rc.processes.length, st.trace.processes.length, 'same number of processes');
  const ghExits = rc.processes.map((p: any) => JSON.stringify([p.exit_code, p.signal])).sort();
  const stExits = st.trace.exits.map((e) => JSON.stringify([e.exitCode, e.signal])).sort();
  t.same(ghExits, stExits, 'same exit statuses');

  // files: successful opens by the file actually opened; failures by the requested path made absolute
  // a file with no path: strace -yy and the receipt both say pipe:[inode], whose number differs
  const noInode = (p: string) => p.replace(/^(pipe|socket):\[\d+\]$/, '$1:[*]');
  const stReads = new Set<string>(), stWrites = new Set<string>(), stFailed = new Set<string>();
  let unnamed = 0; // opens strace could not name: paths over PATH_MAX
  for (const o of st.trace.opens) {
    const acc = /O_RDWR/.test(o.flags) ? 'rw' : /O_WRONLY/.test(o.flags) ? 'w' : 'r';
    if (/O_PATH/.test(o.flags)) continue;
    if (typeof o.result === 'number') {
      if (o.openedPath === null) {
        unnamed++;
        continue;
      }
      const p = noInode(o.openedPath);
      if (acc !== 'w') stReads.add(p);
      if (acc !== 'r') stWrites.add(p);
    } else {
      const p = isAbsolute(o.path) ? o.path : join(o.dirfdPath ?? '/', o.path);
      stFailed.add(`${normalise(p)} ${o.result}`);
    }
  }
  const sorted = (s: Iterable<string>) => [...s].sort();
  // where strace cannot give a path (over 4096 bytes), the receipt says it has only a tail
  const whole = (list: any[]) => list.filter((e) => !e.path_truncated).map((e) => noInode(e.path));
  const cut = [...rc.filesystem.reads, ...rc.filesystem.writes].filter((e: any) => e.path_truncated);
  t.ok(unnamed > 0, `the workload opened files strace cannot name (${unnamed})`);
  t.ok(cut.length > 0 && cut.every((e: any) => e.path.startsWith('\u2026/')), 'and the receipt has them, flagged as cut');
  compare('reads', sorted(stReads), [...new Set(whole(rc.filesystem.reads))]);
  compare('writes', sorted(stWrites), [...new Set(whole(rc.filesystem.writes))]);
  compare('failed opens', sorted(stFailed), [...new Set(rc.filesystem.failed.map((e: any) => `${e.path} ${e.errno}`))] as string[]);

  // network: ports of the listening fixtures differ between runs; compare everything else
  const netKey = (op: string, family: string | null, address: string | null, result: string) => JSON.stringify([op, family, address, result]);
  compare('network',
    st.trace.network.filter((n) => n.family && ['inet', 'inet6', 'unix'].includes(n.family)).map((n) => netKey(n.op, n.family, n.address, n.result)),
    rc.network.flatMap((n: any) => Array(n.count).fill(netKey(n.op, n.family, n.address, n.result))));
});
