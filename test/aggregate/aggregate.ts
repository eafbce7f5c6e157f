import t from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aggregator, aggregate, executionId } from '../../controller/aggregate/aggregate.js';
import { decodeFrameStream } from '../../controller/collector/frame-pipeline.js';
import { serializeReceipt } from '../../controller/receipt/serialize.js';
import { RunFacts } from '../../controller/schema/run-facts.js';
import { ROOT, encodeFrames, end, exec, exit, facts, fork, hello, ms, net, open, receiptOf, stats, toFrames, type Wire } from '../helpers/events.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'streams');

const mixed: Wire[] = [
  hello({ proto: 1 }), // the committed stream is of protocol 1: keep it so when regenerating
  following(),
  exec({ path: 'demo/run.sh', base: '/home/me', exe: '/usr/bin/bash', argv: ['demo/run.sh', '--n', '007', ''] }),
  fork({ pid: 5001, start: ms(2) }),
  exec({ pid: 5001, start: ms(2), path: '/usr/bin/python3', exe: '/usr/bin/python3.11', argv: ['python3', '-c', 'print("hi")\n'] }),
  open({ pid: 5001, start: ms(2), path: '/usr/lib/python3.11/os.py' }),
  open({ pid: 5001, start: ms(2), path: 'data.csv', base: '/home/me', err: 'ENOENT' }),
  open({ pid: 5001, start: ms(2), path: '/tmp/out.txt', mode: 'write' }),
  net({ pid: 5001, start: ms(2), addr: '127.0.0.1', port: 9, err: 'ECONNREFUSED' }),
  stats({ events: 6 }),
  fork({ pid: 5002, start: ms(3), ppid: 5001, pstart: ms(2) }),
  exit({ pid: 5001, start: ms(2), code: 0 }),
  exit({ code: 2 }),
  end({ events: 9, syscalls: { openat: 3, execve: 2, connect: 1 } }),
];
function following(): Wire {
  return { t: 'following', pid: ROOT };
}
const mixedFacts = facts({ command: ['demo/run.sh', '--n', '007', ''], exit: { code: 2, signal: null }, command_realpath: '/home/me/demo/run.sh' });

t.test('same frames and facts give the same bytes; object keys in schema order', async (t) => {
  const a = serializeReceipt(receiptOf(mixed, mixedFacts));
  const b = serializeReceipt(receiptOf(mixed, mixedFacts));
  t.equal(a, b);
  t.same(Object.keys(JSON.parse(a)), [
    'schema_version', 'execution_id', 'command', 'outcome', 'timing', 'process_tree', 'environment', 'collector',
    'artifacts', 'exit_code', 'duration_ms', 'processes', 'filesystem', 'network', 'dns', 'syscalls', 'mount_namespaces',
  ]);
  t.ok(a.endsWith('}\n'));
  t.match(a, /^\{\n {2}"schema_version": "0.5",\n/);
});

t.test('the recorded stream fixture rebuilds the recorded receipt byte for byte', async (t) => {
  const streamFile = join(fixtures, 'mixed.frames');
  const factsFile = join(fixtures, 'mixed.facts.json');
  const receiptFile = join(fixtures, 'mixed.receipt.json');
  if (process.env.GLASSHOUSE_UPDATE_FIXTURES === '1') {
    writeFileSync(streamFile, encodeFrames(mixed));
    writeFileSync(factsFile, JSON.stringify(mixedFacts, null, 2) + '\n');
    writeFileSync(receiptFile, serializeReceipt(receiptOf(mixed, mixedFacts)));
  }
  const { frames, errors } = decodeFrameStream(readFileSync(streamFile));
  t.same(errors, []);
  const recordedFacts = RunFacts.parse(JSON.parse(readFileSync(factsFile, 'utf8')));
  const text = serializeReceipt(aggregate(frames, recordedFacts, errors.map((e) => e.message)));
  t.equal(text, readFileSync(receiptFile, 'utf8'));
});

t.test('the mixed run, section by section', async (t) => {
  const r = receiptOf(mixed, mixedFacts);
  t.equal(r.process_tree!.exe, '/usr/bin/bash');
  t.same(r.process_tree!.execs[0], { path: '/home/me/demo/run.sh', argv: ['demo/run.sh', '--n', '007', ''], result: 'ok' });
  t.same(r.process_tree!.children.map((c) => c.pid), [5001]);
  t.same(r.process_tree!.children[0]!.children.map((c) => c.pid), [5002]);
  t.equal(r.process_tree!.children[0]!.children[0]!.state, 'running');
  t.equal(r.environment.runtime, 'bash');
  t.equal(r.collector.events, 10, 'exec, fork, exec, 3 opens, net, fork, 2 exits');
  t.equal(r.outcome.exit_code, 2);
  t.same(r.filesystem.failed, [{ path: '/home/me/data.csv', mode: 'read', errno: 'ENOENT', pids: [5001], count: 1 }]);
  t.equal(r.network[0]!.result, 'ECONNREFUSED');
  t.same(Object.keys(r.syscalls), ['connect', 'execve', 'openat']);
});

t.test('execution_id, timing and artifacts from the run facts', async (t) => {
  const f = facts({ command: ['a', 'b c'], stdout: { sha256: 'a'.repeat(64), bytes: 3 } });
  const r = receiptOf([hello(), exec(), exit(), end()], f);
  const expected = createHash('sha256').update(`${f.started_at}\0${ROOT}\0a\0b c`).digest('hex');
  t.equal(r.execution_id, expected);
  t.equal(executionId(f), expected);
  t.same(r.timing, { started_at: '2024-05-01T12:00:00.000Z', finished_at: '2024-05-01T12:00:00.070Z', duration_ms: 70 });
  t.equal(r.duration_ms, 70);
  t.same(r.artifacts.stdout, { sha256: 'a'.repeat(64), bytes: 3 });
  t.same(r.command, ['a', 'b c']);
});

t.test('exec failure in the gate: error text, exit status 1', async (t) => {
  const r = receiptOf([hello(), exit({ code: 1 }), end()], facts({ command: ['./nope'], exec_error: 'EACCES', exit: { code: 1, signal: null } }));
  t.equal(r.exit_code, 1);
  t.equal(r.outcome.exit_code, 1);
  t.same(r.outcome.errors, ['./nope: permission denied']);
});

t.test('forwarded signals from the run facts are kept in order', async (t) => {
  const r = receiptOf([hello(), exec(), exit(), end()], facts({ errors: ['received SIGINT, forwarded to the command', 'received SIGTERM, forwarded to the command'] }));
  t.same(r.outcome.errors, ['received SIGINT, forwarded to the command', 'received SIGTERM, forwarded to the command']);
});

t.test('the streaming Aggregator: frames before the root is known, then after, give the same receipt', async (t) => {
  const frames = toFrames(mixed);
  const expected = serializeReceipt(aggregate(frames, mixedFacts));
  for (let cut = 0; cut <= frames.length; cut++) {
    const a = new Aggregator();
    frames.slice(0, cut).forEach((f) => a.add(f));
    a.setRoot(mixedFacts);
    frames.slice(cut).forEach((f) => a.add(f));
    if (serializeReceipt(a.finish(mixedFacts)) !== expected) return t.fail(`root set after ${cut} frames`);
  }
  const late = new Aggregator();
  frames.forEach((f) => late.add(f));
  t.equal(serializeReceipt(late.finish(mixedFacts)), expected, 'root never set: taken from the facts at the end');
});

t.test('the Aggregator refuses run facts of another root, a second root, a second finish', async (t) => {
  const a = new Aggregator(mixedFacts);
  t.throws(() => a.setRoot(mixedFacts), /already set/);
  t.throws(() => a.finish({ ...mixedFacts, root_pid: ROOT + 1 }), /root/);
  const b = new Aggregator(mixedFacts);
  b.finish(mixedFacts);
  t.throws(() => b.finish(mixedFacts), /twice/);
});
