// The receipt against an independent witness: the same deterministic workload runs once under
// `strace -f` and once under gh-run, in the same directory, and every category must agree:
// execs (path, argv, result), exit statuses, files read / written / failed, changes on disk
// (unlink, rename, mkdir, chmod, chown, truncate and the rest), network attempts. (Bytes over
// sockets: strace-parity-net.ts.)
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

  // changes on disk: every attempt of the 24 change calls, successful or not, one by one (the
  // receipt folds identical attempts into count), by what was done to which name and the result
  const changeNames = ['unlink', 'unlinkat', 'rmdir', 'mkdir', 'mkdirat', 'mknod', 'mknodat',
    'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat',
    'chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'fchown', 'lchown', 'fchownat',
    'truncate', 'ftruncate'];
  for (const name of changeNames) {
    const results = st.trace.changes.filter((c) => c.syscall === name).map((c) => c.result);
    // fchmodat2 is Linux 6.6's: before, every call of it is ENOSYS
    const okSeen = results.includes('ok') || (name === 'fchmodat2' && results.length > 0 && results.every((r) => r === 'ENOSYS'));
    t.ok(okSeen && results.some((r) => r !== 'ok'), `the workload made ${name} succeed and fail (${results.join(' ')})`);
  }
  // every path named, but those of a bad fd and of fchmodat2 calls strace 6.1 prints raw
  t.same(st.trace.changes.filter((c) => c.path === null && !(c.fd !== null && c.result === 'EBADF') && c.syscall !== 'fchmodat2')
    .map((c) => `${c.pid} ${c.syscall} ${c.result}`), [], 'strace named the path of every change');
  interface Change {
    op: string; path: string | null; to: string | null; target: string | null;
    mode: string | null; kind: string | null; uid: number | null; gid: number | null; size: number | null;
    result: string;
  }
  interface Keyed { c: Change; key: string; rest: string; cut: boolean; raw: boolean }
  const keyed = (c: Change, cut: boolean, raw: boolean): Keyed => {
    const u = { ...c, path: c.path === null ? null : unrandom(c.path), to: c.to === null ? null : unrandom(c.to) };
    const rest = [u.op, u.target, u.mode, u.kind, u.uid, u.gid, u.size, u.result];
    return { c: u, key: JSON.stringify([u.path, u.to, ...rest]), rest: JSON.stringify(rest), cut, raw };
  };
  const octal = (m: number | null) => (m === null ? null : m.toString(8).padStart(4, '0'));
  const stAll = st.trace.changes.map((c) => keyed({
    op: c.op, path: c.path, to: c.to, target: c.target, mode: octal(c.mode), kind: c.kind,
    uid: c.uid, gid: c.gid, size: c.size, result: c.result,
  }, false, c.syscall === 'fchmodat2' && c.path === null));
  t.ok(Array.isArray(rc.filesystem.changes), 'the receipt has filesystem.changes');
  const ghAll: Keyed[] = (rc.filesystem.changes ?? []).flatMap((e: any) => Array.from({ length: e.count }, () => keyed({
    op: e.op, path: e.path ?? null, to: e.to ?? null, target: e.target ?? null, mode: e.mode ?? null,
    kind: e.kind ?? null, uid: e.uid ?? null, gid: e.gid ?? null, size: e.size ?? null, result: e.result,
  }, e.path_truncated === true, false)));
  // pair off what both saw, in rounds from the strictest: leftovers on either side are failures
  // 1. the same change exactly
  const ghByKey = new Map<string, Keyed[]>();
  for (const g of ghAll) {
    const list = ghByKey.get(g.key);
    if (list) list.push(g);
    else ghByKey.set(g.key, [g]);
  }
  const stLeft = stAll.filter((s) => ghByKey.get(s.key)?.pop() === undefined);
  const ghLeft = [...ghByKey.values()].flat();
  const pairOff = (same: (s: Keyed, g: Keyed) => boolean) => {
    for (let i = stLeft.length - 1; i >= 0; i--) {
      const j = ghLeft.findIndex((g) => same(stLeft[i] as Keyed, g));
      if (j >= 0) {
        stLeft.splice(i, 1);
        ghLeft.splice(j, 1);
      }
    }
  };
  // 2. a path the receipt keeps only the tail of (over 4096 bytes: `…/tail`), strace whole
  const tailOf = (whole: string | null, cut: string | null) =>
    whole === cut || (whole !== null && cut !== null && cut.startsWith('\u2026/') && whole.endsWith(cut.slice(1)));
  pairOff((s, g) => g.cut && s.rest === g.rest && tailOf(s.c.path, g.c.path) && tailOf(s.c.to, g.c.to));
  // 3. fchmodat2 from an strace that does not know it (6.1 prints it raw): all but the path
  pairOff((s, g) => s.raw && s.rest === g.rest && g.c.to === null);
  t.same(stLeft.map((s) => s.key), [], 'changes: nothing strace saw is missing from the receipt');
  t.same(ghLeft.map((g) => g.key), [], 'changes: nothing in the receipt that strace did not see');

  // network: the receipt's entries as strace sees them (connect with the outcome of a
  // non-blocking one and `initial`, sendto/sendmsg by destination, listen, accept), one by one;
  // ports of the listening fixtures differ between runs, and so do pids: compare everything else
  const netKey = (e: { op: string; family: string; protocol: string | null; address: string | null; result: string; initial?: string | null }) =>
    JSON.stringify([e.op, e.family, e.protocol, e.address, e.result, e.initial ?? null]);
  compare('network',
    st.trace.netEntries.filter((e) => !(e.op === 'socket' && e.inherited)).flatMap((e) => Array(e.count).fill(netKey(e))),
    rc.network.flatMap((n: any) => Array(n.count).fill(netKey(n))));
});
