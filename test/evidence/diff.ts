// glasshouse diff's comparison, category by category, on receipts made by editing a recorded
// one: what must be a difference is, and what is noise (pids, times, counts, temp names) is not.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffReceipts, failsOn, renderDiff, type DiffResult } from '../../controller/evidence/diff.js';
import { FAIL_KINDS } from '../../controller/evidence/kinds.js';
import { upgrade } from '../../controller/show/read.js';
import { ROOT } from '../helpers/gh-run.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'recordings', 'repeats.receipt.json');
/** the recorded receipt, a fresh copy to edit */
const base = (): any => JSON.parse(readFileSync(FIXTURE, 'utf8'));
const DIR = '/tmp/glasshouse-recordings.6WY3xS/repeats';
const compare = (a: any, b: any, counts = false, system: string[] = []): DiffResult =>
  diffReceipts(upgrade(a), upgrade(b), { a: 'a.json', b: 'b.json', counts, system });
/** the categories with a difference, and the result */
const differing = (r: DiffResult): string[] =>
  Object.entries(r.differences)
    .filter(([, d]) => d.added.length + d.removed.length + (d.changed?.length ?? 0) + (d.counts?.length ?? 0) > 0)
    .map(([c]) => c);
const exec = (path: string, argv: string[] | null, result = 'ok') => ({ path, argv, result });
const proc = (pid: number, execs: any[]) => ({
  pid,
  ppid: 1,
  exe: execs[0]?.path ?? null,
  argv: execs[0]?.argv ?? null,
  execs,
  cwd: '/',
  uid: 0,
  start_offset_ms: 1,
  end_offset_ms: 2,
  exit_code: 0,
  signal: null,
  state: 'exited',
  privileged: false,
});

t.test('a receipt and itself: equal', async (t) => {
  const r = compare(base(), base());
  t.equal(r.equal, true);
  t.same(differing(r), []);
});

t.test('pids, times, counts, bytes and temp names are never differences', async (t) => {
  const b = base();
  const rename = (p: string): string => p.replace('glasshouse-recordings.6WY3xS', 'glasshouse-recordings.Qz81bN');
  b.execution_id = 'f'.repeat(64);
  b.timing.started_at = '2030-01-01T00:00:00.000Z';
  b.timing.duration_ms = b.duration_ms = 9999;
  for (const p of b.processes) {
    p.pid += 1000;
    p.start_offset_ms += 5;
    p.execs = p.execs.map((e: any) => ({ ...e, argv: e.argv?.map(rename) ?? null }));
  }
  const fs = b.filesystem;
  for (const list of [fs.reads, fs.writes, fs.failed, fs.changes]) for (const e of list) Object.assign(e, { path: rename(e.path), pids: [7], count: e.count + 3 });
  for (const o of fs.outputs) o.path = rename(o.path);
  for (const n of b.network) Object.assign(n, { pid: 7, count: n.count + 1, bytes_sent: 1, bytes_received: 2, bytes: 3, port: n.port + 1 }); // loopback ports ≥ 32768
  for (const k of Object.keys(b.syscalls)) b.syscalls[k] += 2;
  fs.writes.push({ path: '/tmp/ccA1bC2d.s', pids: [7], count: 1, created: true, truncated: true, digest: null });
  const a = base();
  a.filesystem.writes.push({ path: '/tmp/ccxYz123.s', pids: [3], count: 2, created: true, truncated: true, digest: null });
  const r = compare(a, b);
  t.same(differing(r), [], JSON.stringify(r.differences));
  t.equal(r.equal, true);
  // with --counts, the same things counted differently are differences (and only those)
  const counted = compare(a, b, true);
  t.equal(counted.equal, false);
  t.same(counted.differences.writes.added, []);
  const write = counted.differences.writes.counts!.find((c) => c.item.path === `/tmp/glasshouse-recordings.*/repeats/same.txt`);
  t.same(write && [write.a, write.b], [7, 10]);
  t.same(counted.differences.syscalls.counts!.length, Object.keys(b.syscalls).length);
});

t.test("python's probe of /tmp under another all-letter name in each run is no difference", async (t) => {
  const probe = (r: any, name: string, deleted = true) => {
    r.filesystem.writes.push({ path: `/tmp/${name}`, pids: [1], count: 1, created: true, truncated: false, digest: null });
    if (deleted) r.filesystem.changes.push({ op: 'delete', path: `/tmp/${name}`, result: 'ok', pids: [1], count: 1 });
    return r;
  };
  t.equal(compare(probe(base(), 'abcdefgh'), probe(base(), 'qwertyui')).equal, true);
  // kept, it is a file the run made: its name is compared
  t.same(compare(probe(base(), 'abcdefgh', false), probe(base(), 'qwertyui', false)).differences.writes.added, [{ path: '/tmp/qwertyui' }]);
});

t.test('programs executed: exe and argv of successful execs', async (t) => {
  const b = base();
  b.processes.push(proc(9000, [exec('/usr/bin/gcc', ['gcc', '-c', 'a.c']), exec('/usr/bin/nope', ['nope'], 'ENOENT')]));
  const r = compare(base(), b);
  t.same(differing(r), ['execs']);
  t.same(r.differences.execs.added, [{ path: '/usr/bin/gcc', argv: ['gcc', '-c', 'a.c'] }], 'a failed exec is no program executed');
  t.same(failsOn(r, ['new-exec', 'gone-exec']), ['new-exec']);
  const back = compare(b, base());
  t.same(back.differences.execs.removed, [{ path: '/usr/bin/gcc', argv: ['gcc', '-c', 'a.c'] }]);
  t.same(failsOn(back, ['new-exec', 'gone-exec']), ['gone-exec']);
  // an argument that differs is another program run
  const c = base();
  c.processes[0].execs[0].argv.push('--verbose');
  t.same(compare(base(), c).differences.execs.added.length, 1);
});

t.test('files written and outputs: paths, and the content of the same path', async (t) => {
  const b = base();
  b.filesystem.writes.push({ path: '/home/u/evil', pids: [1], count: 1, created: true, truncated: false, digest: null });
  b.filesystem.outputs.push({ path: '/home/u/evil', created: true, digest: { sha256: 'a'.repeat(64), size: 3 } });
  b.filesystem.outputs[0].digest = { sha256: 'b'.repeat(64), size: 4 };
  const r = compare(base(), b);
  t.same(differing(r), ['writes', 'outputs']);
  t.same(r.differences.writes.added, [{ path: '/home/u/evil' }]);
  t.same(r.differences.outputs.added, [{ path: '/home/u/evil' }]);
  const was = base().filesystem.outputs[0].digest.sha256;
  t.same(r.differences.outputs.changed, [{ path: `/tmp/glasshouse-recordings.*/repeats/same.txt`, a: was, b: 'b'.repeat(64) }]);
  t.same(failsOn(r, [...FAIL_KINDS]).sort(), ['any', 'changed-output', 'new-output', 'new-write']);
  // no digest on one side: the content is not compared (and a note says so when digests are off)
  const off = base();
  off.filesystem.digests = 'off';
  for (const o of off.filesystem.outputs) o.digest = null;
  const r2 = compare(base(), off);
  t.same(r2.differences.outputs.changed, []);
  t.match(r2.notes.join('\n'), /B: no digests/);
});

t.test('removed paths and changes: op, path, and what the op says', async (t) => {
  const b = base();
  b.filesystem.removed.push({ path: '/home/u/.bashrc', op: 'delete' });
  b.filesystem.changes[0].mode = '0700'; // the mkdir with another mode
  b.filesystem.changes.push({ op: 'rename', path: `${DIR}/a`, to: `${DIR}/b`, result: 'ok', pids: [1], count: 1 });
  const r = compare(base(), b);
  t.same(differing(r), ['removed', 'changes']);
  t.same(r.differences.removed.added, [{ path: '/home/u/.bashrc' }]);
  t.same(
    r.differences.changes.added,
    [
      { op: 'mkdir', path: `/tmp/glasshouse-recordings.*/repeats`, mode: '0700' },
      { op: 'rename', path: `/tmp/glasshouse-recordings.*/repeats/a`, to: `/tmp/glasshouse-recordings.*/repeats/b` },
    ],
  );
  t.same(r.differences.changes.removed, [{ op: 'mkdir', path: `/tmp/glasshouse-recordings.*/repeats`, mode: '0777' }]);
  t.same(failsOn(r, ['new-removal', 'new-change', 'new-write']), ['new-removal', 'new-change']);
});

t.test('reads: only outside the system directories, and --system adds some', async (t) => {
  const b = base();
  const read = (path: string) => ({ path, pids: [1], count: 1 });
  b.filesystem.reads.push(read('/usr/lib/x86_64-linux-gnu/libnew.so'), read('/proc/1/status'), read('/etc/ld.so.cache'), read('/etc/passwd'), read('/opt/sdk/lib.a'));
  const r = compare(base(), b);
  t.same(differing(r), ['reads']);
  t.same(r.differences.reads.added, [{ path: '/etc/passwd' }, { path: '/opt/sdk/lib.a' }]);
  t.same(failsOn(r, ['new-read']), ['new-read']);
  t.same(compare(base(), b, false, ['/opt/sdk']).differences.reads.added, [{ path: '/etc/passwd' }]);
  t.same(compare(base(), b, false, ['/opt']).differences.reads.added, [{ path: '/etc/passwd' }]);
  t.same(compare(base(), b, false, ['/op']).differences.reads.added.length, 2, 'a directory, not a string prefix');
});

t.test('failed opens: path and errno', async (t) => {
  const b = base();
  b.filesystem.failed[0].errno = 'EACCES';
  const r = compare(base(), b);
  t.same(differing(r), ['failed']);
  const path = base().filesystem.failed[0].path;
  t.same(r.differences.failed.added, [{ path, errno: 'EACCES' }]);
  t.same(r.differences.failed.removed, [{ path, errno: 'ENOENT' }]);
  t.same(failsOn(r, ['new-failed']), ['new-failed']);
});

t.test('network peers: host or address, port, protocol, direction; not pids, counts, bytes or results', async (t) => {
  const peer = (over: any) => ({ pid: 1, op: 'connect', family: 'inet', protocol: 'tcp', address: '93.184.216.34', port: 443, result: 'ok', count: 1, host: null, bytes_sent: 0, bytes_received: 0, bytes: 0, ...over });
  const a = base();
  a.network.push(peer({}), peer({ address: '10.0.0.9', host: 'mirror.example', port: 80 }));
  const b = base();
  b.network.push(peer({ pid: 2, count: 5, result: 'ECONNREFUSED', bytes: 9, bytes_sent: 9 }), peer({ address: '10.0.0.10', host: 'mirror.example', port: 80 }));
  t.equal(compare(a, b).equal, true, 'the same peers: another pid, count, result, bytes, or address of a known host');
  b.network.push(peer({ address: '203.0.113.5', port: 22 }), peer({ op: 'accept', address: '203.0.113.6', port: 40000 }));
  const r = compare(a, b);
  t.same(differing(r), ['network']);
  t.same(r.differences.network.added, [
    { direction: 'accept', protocol: 'tcp', peer: '203.0.113.6', port: '*' },
    { direction: 'connect', protocol: 'tcp', peer: '203.0.113.5', port: '22' },
  ]);
  t.same(failsOn(r, ['new-network', 'new-dns']), ['new-network']);
  t.match(renderDiff(r, upgrade(a), upgrade(b), { color: false, system: [] }), /^\+ connect tcp 203\.0\.113\.5:22$/m);
});

t.test('DNS names (name and type), syscalls that appear or disappear, the exit', async (t) => {
  const b = base();
  b.dns.push({ name: 'evil.example', type: 'A', server: '127.0.0.53', port: 53, protocol: 'udp', rcode: 'NOERROR', answers: [], truncated: false, complete: true, pids: [1], count: 1 });
  b.syscalls.ptrace = 1;
  delete b.syscalls.getrandom;
  b.outcome.exit_code = b.exit_code = 3;
  const r = compare(base(), b);
  t.same(differing(r), ['exit', 'dns', 'syscalls']);
  t.same(r.differences.dns.added, [{ name: 'evil.example', type: 'A' }]);
  t.same(r.differences.syscalls.added, [{ name: 'ptrace' }]);
  t.same(r.differences.syscalls.removed, [{ name: 'getrandom' }]);
  t.same(r.differences.exit, { added: [{ exit_code: 3, signal: null }], removed: [{ exit_code: 0, signal: null }] });
  t.same(failsOn(r, ['new-dns', 'new-syscall', 'exit', 'new-exec']), ['new-dns', 'new-syscall', 'exit']);
});

t.test('the text: a heading per category, - and +, colour only when asked, hostile strings escaped', async (t) => {
  const a = base();
  const b = base();
  b.filesystem.writes.push({ path: '/home/u/\x1b[2Jwiped', pids: [1], count: 1, created: true, truncated: false, digest: null });
  b.outcome.signal = 'SIGKILL';
  b.outcome.exit_code = null;
  const r = compare(a, b);
  const text = renderDiff(r, upgrade(a), upgrade(b), { color: false, system: [] });
  t.match(text, /^--- a\.json  \/usr\/bin\/python3 /);
  t.match(text, /\nexit\n- exit 0\n\+ killed by SIGKILL\n/);
  t.match(text, /\nfiles written\n\+ \$'\/home\/u\/\\x1b\[2Jwiped'\n/);
  t.notMatch(text, /\x1b/, 'no escape reaches the terminal, no colour unless asked');
  t.match(renderDiff(r, upgrade(a), upgrade(b), { color: true, system: [] }), /\x1b\[1mfiles written\x1b\[0m\n\x1b\[32m\+ /);
  t.match(renderDiff(compare(a, a), upgrade(a), upgrade(a), { color: false, system: [] }), /\nno behavioural differences\n$/);
});

t.test('an older schema: what it did not record is not compared, and a note says so', async (t) => {
  // an early 0.3 receipt (no changes), and the same with changes recorded, as a later 0.3 did
  const old = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'receipts', 'v0.3-early-tree.json'), 'utf8'));
  const now = JSON.parse(JSON.stringify(old));
  now.filesystem.changes = [];
  now.filesystem.outputs = [];
  now.filesystem.removed = [];
  now.filesystem.changes.push({ op: 'delete', path: '/x', result: 'ok', pids: [1], count: 1 });
  const r = compare(old, now);
  t.same(r.differences.changes, { added: [], removed: [] });
  t.match(r.notes.join('\n'), /A: changes not recorded \(schema 0\.3\)/);
});
