// Bytes over sockets against an independent witness: test/fixtures/programs/netbytes.py runs once
// under strace (runStrace with `bytes`: every read, write, send*, recv*, sendfile and splice
// followed to its socket through the fds of each process) and once under gh-run, with the same
// directory for its unix sockets. Every network entry must agree: op, family, protocol, peer,
// result (the outcome of a non-blocking connect, and `initial`), count, bytes each way; and the
// listen and accept entries form the same sets. Ports and pids differ between the runs: each is
// named by the role the program's own printout gives it.
import t from 'tap';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ghRun, requireBpf, PROGRAMS, PYTHON } from '../helpers/gh-run.js';
import { runStrace } from '../helpers/strace.js';

/** port -> role (`tcp_1.listen`, `udp.client`, ...) and pid -> role, from netbytes.py's printout */
function roles(info: any): { port: Map<number, string>; pid: Map<number, string> } {
  const port = new Map<number, string>();
  const put = (p: unknown, role: string) => {
    if (typeof p === 'number') port.set(p, role);
  };
  for (const [name, s] of Object.entries<any>(info.scenarios)) {
    put(s.listen?.[1], `${name}.listen`);
    put(s.client?.[1], `${name}.client`);
    put(s.server?.[1], `${name}.server`);
    put(s.port, `${name}.port`);
    for (const k of ['sender', 'r1', 'r2', 'q1', 'q2']) put(s[k]?.addr?.[1], `${name}.${k}`);
  }
  const pid = new Map<number, string>([[info.pid, 'root']]);
  if (info.scenarios.fork?.child_pid) pid.set(info.scenarios.fork.child_pid, 'child');
  return { port, pid };
}

interface Entry {
  pid: number; op: string; family: string; protocol: string | null; address: string | null; port: number | null;
  result: string; initial?: string | null; count: number; bytes_sent: number; bytes_received: number;
}

const keyOf = (r: ReturnType<typeof roles>) => (e: Entry) => JSON.stringify([
  r.pid.get(e.pid) ?? `pid ${e.pid}`, e.op, e.family, e.protocol, e.address,
  e.port === null ? null : r.port.get(e.port) ?? `port ${e.port}`,
  e.result, e.initial ?? null, e.count, e.bytes_sent, e.bytes_received,
]);

t.test('gh-run and strace see the same bytes, listens and accepts', async (t) => {
  if (!(await requireBpf(t))) return;
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'gh-parity-net-')));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const dir = join(base, 'sockets');
  mkdirSync(dir);
  // sizes strace's output can hold: each read and write prints up to 4096 bytes of its buffer
  const command = [PYTHON, join(PROGRAMS, 'netbytes.py'), '--dir', dir, '--sizes', '1,65536,4194304'];

  const st = await runStrace(command, { bytes: true, cwd: base });
  t.equal(st.exitCode, 0, `netbytes.py ran under strace: ${st.stderr.toString().trim()}`);
  t.same(st.trace.unparsed, [], 'strace output fully parsed');
  const stInfo = JSON.parse(st.stdout.toString().trim().split('\n').pop()!);
  const gh = await ghRun(command, { cwd: base });
  t.equal(gh.code, 0, `netbytes.py ran under gh-run: ${gh.stderr.trim()}`);
  const ghInfo = JSON.parse(gh.stdout.toString().trim().split('\n').pop()!);
  const rc = gh.receipt;
  t.equal(rc.collector.status, 'ok');
  t.equal(rc.collector.events_lost, 0, 'no event lost');
  t.equal(rc.collector.network_bytes, true);

  // under strace the program's stdout is a socketpair (node's stdio), under gh-run a pipe
  const stEntries = st.trace.netEntries.filter((e) => !(e.op === 'socket' && e.inherited));
  t.same(stEntries.filter((e) => e.ambiguous), [], 'strace placed every byte');
  const stKeys = stEntries.map(keyOf(roles(stInfo)));
  const ghKeys = (rc.network as Entry[]).map(keyOf(roles(ghInfo)));
  const sorted = (a: string[]) => [...a].sort();
  const missing = (a: string[], b: string[]) => {
    const left = [...b];
    return a.filter((k) => {
      const i = left.indexOf(k);
      if (i < 0) return true;
      left.splice(i, 1);
      return false;
    });
  };
  t.same(missing(stKeys, ghKeys), [], 'every entry strace saw is in the receipt, with the same bytes');
  t.same(missing(ghKeys, stKeys), [], 'nothing in the receipt that strace did not see');
  const only = (keys: string[], op: string) => sorted(keys.filter((k) => JSON.parse(k)[1] === op));
  t.same(only(ghKeys, 'listen'), only(stKeys, 'listen'), 'the same listens');
  t.same(only(ghKeys, 'accept'), only(stKeys, 'accept'), 'the same accepts');
  t.ok(only(stKeys, 'listen').length >= 10 && only(stKeys, 'accept').length >= 10, 'the workload listened and accepted');
});
