// The aggregator on recorded real runs (test/fixtures/recordings, made by record.sh), without
// BPF: each recording replays to the receipt its live run wrote, byte for byte. The checks
// after that say what each recording is there to cover, so a re-recorded one still covers it.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aggregate } from '../../controller/aggregate/aggregate.js';
import { readRecording } from '../../controller/replay/read-recording.js';
import { rebuild } from '../../controller/replay/rebuild.js';
import { replay } from '../../controller/replay/replay.js';
import { serializeReceipt } from '../../controller/receipt/serialize.js';
import type { Process, Receipt } from '../../controller/schema/receipt.js';
import { helperFrames, ROOT } from '../helpers/gh-run.js';

const DIR = join(ROOT, 'test', 'fixtures', 'recordings');
const NAMES = readdirSync(DIR)
  .filter((n) => n.endsWith('.ghrec'))
  .map((n) => n.slice(0, -'.ghrec'.length))
  .sort();

function replayed(name: string): { text: string; receipt: Receipt } {
  const { receipt, problem } = rebuild(readRecording(readFileSync(join(DIR, `${name}.ghrec`))));
  if (problem !== null) throw problem;
  return { text: serializeReceipt(receipt), receipt };
}
const expected = (name: string): string => readFileSync(join(DIR, `${name}.receipt.json`), 'utf8');

t.test('the recordings are all there, and small', async (t) => {
  t.same(NAMES, ['files', 'lost-events', 'net', 'repeats', 'security', 'shell', 'signal', 'tree']);
  for (const name of NAMES) t.ok(readFileSync(join(DIR, `${name}.ghrec`)).length < 300 * 1024, `${name} under 300 KiB`);
});

for (const name of NAMES) {
  t.test(`${name}: the replay is the live receipt, byte for byte`, async (t) => {
    t.equal(replayed(name).text, expected(name));
  });
}

t.test('through the replay command too', async (t) => {
  const out = join(t.testdir({}), 'r.json');
  const said: string[] = [];
  t.equal(await replay({ recording: join(DIR, 'tree.ghrec'), output: out, partial: false }, (s) => said.push(s)), 0);
  t.same(said, []);
  t.equal(readFileSync(out, 'utf8'), expected('tree'));
});

const byArgv0 = (r: Receipt, name: string): Process[] => r.processes.filter((p) => (p.argv?.[0] ?? '').split('/').pop() === name);

t.test('tree: children, a killed child, an exit status, an orphan under its parent', async (t) => {
  const { receipt: r } = replayed('tree');
  const root = r.process_tree!;
  t.equal(r.exit_code, 5);
  t.equal(byArgv0(r, 'true').length, 5);
  t.match(byArgv0(r, 'sleep')[0], { signal: 'SIGKILL', exit_code: null });
  t.match(byArgv0(r, 'sh')[0], { exit_code: 7 });
  const forks = r.processes.filter((p) => p.execs.length === 0);
  const orphan = forks.find((p) => forks.some((q) => q.pid === p.ppid));
  t.ok(orphan, 'a fork of a fork, both without exec');
  const parent = root.children.find((c) => c.pid === orphan!.ppid);
  t.same(parent?.children.map((c) => c.pid), [orphan!.pid], 'the orphan stays under the parent that forked it');
  t.ok(r.filesystem.writes.some((w) => w.path.endsWith('/orphan.txt') && w.pids.includes(orphan!.pid)));
  t.same(r.filesystem.reads.find((e) => e.path === '/etc/hostname')?.pids, [root.pid], "a thread's open is its process's");
});

t.test('files: relative, dirfd-relative and failed opens made absolute', async (t) => {
  const { receipt: r } = replayed('files');
  const failed = r.filesystem.failed.map((e) => e.path);
  for (const tail of ['/files/sub/missing.txt', '/files/nope/deeper.txt', '/files/absent.txt', '/files/sub/cannot/create.txt']) {
    t.ok(failed.some((p) => p.endsWith(tail) && p.startsWith('/')), `failed ${tail}`);
  }
  t.ok(r.filesystem.failed.every((e) => e.errno === 'ENOENT'));
  const target = r.filesystem.reads.find((e) => e.path.endsWith('/files/sub/target.txt'));
  t.ok(target && target.count >= 3, 'read through a symlink, through .. and by dirfd: one resolved path');
  t.ok(r.filesystem.writes.some((e) => e.path.endsWith('/files/sub/rw.txt')) && r.filesystem.reads.some((e) => e.path.endsWith('/files/sub/rw.txt')), 'O_RDWR');
  t.notOk([...r.filesystem.reads, ...r.filesystem.writes].some((e) => e.path.includes('..') || e.path.endsWith('/link.txt')));
});

t.test('net: tcp ok and refused, udp sendto, unix paths', async (t) => {
  const { receipt: r } = replayed('net');
  const has = (o: Partial<Receipt['network'][number]>): boolean => r.network.some((n) => Object.entries(o).every(([k, v]) => n[k as keyof typeof n] === v));
  t.ok(has({ op: 'connect', family: 'inet', protocol: 'tcp', address: '127.0.0.1', result: 'ok' }));
  t.ok(has({ op: 'connect', family: 'inet', protocol: 'tcp', result: 'ECONNREFUSED' }));
  t.ok(has({ op: 'sendto', family: 'inet', protocol: 'udp', result: 'ok' }));
  t.ok(has({ op: 'connect', family: 'unix', port: null, result: 'ok' }));
  t.ok(has({ op: 'connect', family: 'unix', result: 'ENOENT' }));
});

t.test('shell: a pipeline, a relative path after cd, a failed open, the exit status', async (t) => {
  const { receipt: r } = replayed('shell');
  t.equal(r.exit_code, 2);
  t.equal(byArgv0(r, 'cat').length, 2);
  t.equal(byArgv0(r, 'wc').length, 1);
  t.ok(r.filesystem.reads.some((e) => e.path === '/etc/hostname'), './hostname after cd /etc');
  t.match(r.filesystem.failed.find((e) => e.path === '/etc/no-such-file-gh'), { mode: 'read', errno: 'ENOENT' });
});

t.test('signal: a failed exec, the root killed by SIGTERM', async (t) => {
  const { receipt: r } = replayed('signal');
  t.equal(r.exit_code, 143);
  t.match(r.outcome, { exit_code: null, signal: 'SIGTERM' });
  t.ok(r.processes.some((p) => p.execs.some((e) => e.path === '/nonexistent-gh-binary' && e.result === 'ENOENT')));
});

t.test('lost events: counted exactly, the collection degraded, the rest intact', async (t) => {
  const { receipt: r } = replayed('lost-events');
  t.match(r.collector, { status: 'degraded', events_lost: 7, reason: '7 events lost (ring buffer full)' });
  t.same(r.processes.map((p) => p.exe), ['/usr/bin/dash', '/usr/bin/cat']);
  t.same(r.filesystem.reads.map((e) => e.path), ['/etc/adduser.conf', '/etc/ld.so.conf']);
  t.same(r.syscalls, { execve: 2, openat: 14, read: 30 });
});

t.test('security (protocol 3): attempts on gh-run and the helper, and the collection went on', async (t) => {
  const { receipt: r } = replayed('security');
  t.equal(r.collector.status, 'degraded');
  t.same(r.collector.tampering.map((e) => [e.call, e.target, e.detail.split(' ')[0], e.result]), [
    ['kill', 'controller', 'SIGUSR1', 'ok'],
    ['kill', 'helper', 'SIGTERM', 'ok'],
  ]);
  t.ok(r.filesystem.reads.some((e) => e.path === '/etc/hostname'), 'the read after the attempts is there');
  t.equal(r.exit_code, 0);
});

t.test('repeats (protocol 5): identical events sent once with a repeat id, counted back from the repeats frames', async (t) => {
  const parts = readRecording(readFileSync(join(DIR, 'repeats.ghrec')));
  const frames = helperFrames(parts.helper);
  t.match(frames[0], { t: 'hello', proto: 5 }, 'made with a helper of protocol 5 (bytes per socket, repeat ids)');
  // n of every rid, from the repeats frames
  const repeated = new Map<number, number>();
  let pairs = 0;
  for (const f of frames.filter((f) => f.t === 'repeats')) {
    for (let i = 0; i < f.counts.length; i += 2, pairs++) repeated.set(f.counts[i], f.counts[i + 1]);
  }
  t.ok(pairs > 0, 'repeats frames');
  t.equal(repeated.size, pairs, 'each rid in one pair');
  const more = (f: any): number => repeated.get(f.rid) ?? 0;
  const { receipt: r } = replayed('repeats');
  const root = r.process_tree!.pid;

  // same.txt: created, opened 6 times for writing and 40 for reading, 4 times by a child: 4 frames
  const same = (path: string): boolean => path.endsWith('/repeats/same.txt');
  const opens = frames.filter((f) => f.t === 'open' && same(f.path));
  t.ok(opens.every((f) => typeof f.rid === 'number'), 'each open of same.txt sent carries a rid');
  t.equal(new Set(opens.map((f) => f.rid)).size, opens.length, 'a rid of its own each');
  t.same(opens.map((f) => [f.pid === root ? 'root' : 'child', f.mode, f.created, more(f)]).sort(), [
    ['child', 'read', false, 3],
    ['root', 'read', false, 39],
    ['root', 'write', false, 5],
    ['root', 'write', true, 0],
  ], '1 frame for the create, 1 + 5 for writing, 1 + 39 and 1 + 3 for reading');
  const read = r.filesystem.reads.find((e) => same(e.path));
  t.equal(read?.count, 44, 'reads of same.txt: 40 + 4, from 2 frames');
  t.equal(read?.pids.length, 2, 'by the root and its child');
  t.match(r.filesystem.writes.find((e) => same(e.path)), { count: 7, created: true }, 'writes of same.txt: 1 + 6, from 2 frames');

  // 25 connects refused, 12 connects made (3 bytes sent on each), 30 datagrams of 7 bytes
  const net = frames.filter((f) => f.t === 'net' && f.addr === '127.0.0.1' && f.op !== 'listen');
  t.ok(net.every((f) => typeof f.rid === 'number'), 'each connect and sendto sent carries a rid');
  t.same(net.map((f) => [f.op, f.proto, f.err ?? 'ok', f.bytes ?? null, more(f)]).sort(), [
    ['connect', 'tcp', 'ECONNREFUSED', null, 24],
    ['connect', 'tcp', 'ok', null, 11],
    ['sendto', 'udp', 'ok', 7, 29],
  ], 'one frame each, the rest counted');
  const made = net.find((f) => f.op === 'connect' && f.err === null);
  const sockets = frames.filter((f) => f.t === 'socket' && f.rid === made.rid);
  t.same(sockets.map((f) => f.sent), Array(12).fill(3), "each connected socket's bytes name the rid of the first connect");
  const entry = (op: string, result: string) => r.network.find((e) => e.op === op && e.address === '127.0.0.1' && e.result === result);
  t.match(entry('connect', 'ECONNREFUSED'), { protocol: 'tcp', count: 25 }, 'connects refused: 1 + 24');
  t.match(entry('connect', 'ok'), { protocol: 'tcp', count: 12, bytes_sent: 36 }, 'connects made: 1 + 11, 3 bytes each');
  t.match(entry('sendto', 'ok'), { protocol: 'udp', count: 30, bytes_sent: 210 }, 'the 29 repeats sent 7 bytes each too');

  const folded = [...repeated.values()].reduce((a, b) => a + b, 0);
  t.match(r.collector, { status: 'ok', events_lost: 0, events_folded: folded }, `the ${folded} repeats are all counted in`);

  // the same frames without the repeats frames: each event counts once
  const facts = parts.run!.facts;
  const unrepeated = aggregate(frames.filter((f) => f.t !== 'repeats'), facts);
  t.equal(unrepeated.filesystem.reads.find((e) => same(e.path))?.count, 2, 'without repeats: 2 reads of same.txt');
  t.equal(unrepeated.network.find((e) => e.op === 'sendto' && e.address === '127.0.0.1')?.bytes_sent, 7, 'and 7 bytes sent');
  t.equal(unrepeated.collector.events_folded, 0, 'and nothing folded');
  // and without the rids: the repeats name no event, so they are lost events, and said so
  const unnamed = aggregate(frames.map((f) => (f.rid === undefined ? f : { ...f, rid: undefined })), facts);
  t.equal(unnamed.filesystem.reads.find((e) => same(e.path))?.count, 2, 'without rids: 2 reads of same.txt');
  t.match(unnamed.collector, { status: 'degraded', events_lost: folded, events_folded: 0, reason: `${folded} events lost (ring buffer full)` }, 'the repeats, lost');
});
