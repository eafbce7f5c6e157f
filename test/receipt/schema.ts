import t from 'tap';
import * as z from 'zod';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../controller/package-root.js';
import { JSON_SCHEMA_FILE, receiptJsonSchema, receiptJsonSchemaText } from '../../controller/schema/json-schema.js';
import { ProcessNode, ProcessTreeParser, Receipt, ReceiptParser } from '../../controller/schema/receipt.js';
import { TYPE, a, message, name } from '../helpers/dns-wire.js';
import { change, dns, end, exec, exit, facts, fork, forkChain, hello, ms, net, open, receiptOf, socket } from '../helpers/events.js';
import { seededRandom } from '../helpers/random.js';

const full = () =>
  receiptOf([
    hello({ proto: 5 }),
    exec({ argv_truncated: true }),
    fork({ pid: 9, start: ms(1) }),
    open({ path: '/a', mode: 'readwrite' }),
    open({ path: 'b', base: '/x', err: 'ENOENT' }),
    net({ addr: '/s', family: 'unix' }),
    change({ op: 'mknod', path: 'n', base: '/x', mode: 0o20600, dev: 0x103, err: 'EPERM' }),
    change({ op: 'rename', path: '/a', to: '/b', flags: 2 | 8 }),
    change({ op: 'chmod', call: 'fchmod', path: null, fd: 9, mode: 0o644, err: 'EBADF' }),
    net({ addr: '192.0.2.1', port: 443, err: 'EINPROGRESS', rid: 1, ino: 5 }),
    socket({ ino: 5, rid: 1, outcome: null, sent: 10, received: 20 }),
    dns({ data: message({ questions: [{ name: name('example.org'), type: TYPE.A }] }) }),
    dns({ dir: 'in', data: message({ response: true, questions: [{ name: name('example.org'), type: TYPE.A }], answers: [{ type: TYPE.A, data: a('192.0.2.1') }] }) }),
    exit(),
    end({ syscalls: { read: 1 } }),
  ]);

t.test('receipts built by the aggregator are valid, and parse back to the same JSON', async (t) => {
  const r = full();
  const parsed = Receipt.parse(JSON.parse(JSON.stringify(r)));
  t.equal(JSON.stringify(parsed), JSON.stringify(r), 'zod output keeps every field and the key order');
  const empty = receiptOf([], facts({ root_pid: null, exec_error: 'ENOENT', exit: { code: 1, signal: null }, collector: { status: 'unavailable', reason: 'x' } }));
  t.ok(Receipt.safeParse(empty).success, 'an empty run is valid: every section present');
  t.same(empty.filesystem, { reads: [], writes: [], failed: [], changes: [], outputs: [], removed: [], digests: 'off' });
  t.same(empty.network, []);
  t.same(empty.dns, []);
  t.same(empty.syscalls, {});
  t.match(r.network.find((e) => e.initial !== undefined), { result: 'ok', initial: 'EINPROGRESS', host: 'example.org', bytes: 30 });
  t.equal(r.dns.length, 1);
});

t.test('the schema rejects what the contract forbids', async (t) => {
  const r = full();
  const bad = (mutate: (x: Record<string, any>) => void): boolean => {
    const copy = JSON.parse(JSON.stringify(r));
    mutate(copy);
    return Receipt.safeParse(copy).success;
  };
  t.notOk(bad((x) => (x.schema_version = '0.2')));
  t.notOk(bad((x) => delete x.network), 'every section present');
  t.notOk(bad((x) => (x.filesystem.failed[0].errno = 2)), 'errno is a name, not a number');
  t.notOk(bad((x) => (x.collector.status = 'fine')));
  t.notOk(bad((x) => (x.process_tree.execs[0].argv_truncated = false)), 'argv_truncated only when true');
  t.notOk(bad((x) => (x.processes[0].state = 'zombie')));
  t.notOk(bad((x) => (x.artifacts.stdout.sha256 = 'xyz')));
  t.ok(bad((x) => (x.artifacts.stdout = { sha256: null, bytes: null, terminal: true })), 'a terminal: nothing hashed');
  t.ok(bad((x) => (x.artifacts.stderr = { sha256: null, bytes: null, merged: true })), 'merged into stdout');
  t.notOk(bad((x) => (x.artifacts.stdout.sha256 = null)), 'sha256 and bytes are null together, or neither');
  t.notOk(bad((x) => (x.artifacts.stdout.terminal = false)), 'terminal only when true');
  t.notOk(bad((x) => (x.artifacts.stdout.merged = false)), 'merged only when true');
  t.ok(bad((x) => delete x.processes[0].privileged), 'privileged defaults to false');
  t.notOk(bad((x) => (x.filesystem.changes[0].mode = '755')), 'a mode is 4 octal digits');
  t.notOk(bad((x) => (x.filesystem.changes[0].dev = '1-3')));
  t.notOk(bad((x) => (x.filesystem.changes[0].kind = 'dir')), 'mknod makes no directory');
  t.notOk(bad((x) => (x.filesystem.changes[1].flags = [])), 'no flags: no key');
  t.notOk(bad((x) => (x.filesystem.changes[1].op = 'move')));
  t.notOk(bad((x) => delete x.filesystem.changes[0].path), 'path is null, never absent');
  const inet = r.network.findIndex((e) => e.initial !== undefined);
  t.notOk(bad((x) => (x.network[inet].initial = 'ok')), 'initial is an errno name');
  t.notOk(bad((x) => delete x.network[inet].host), 'host is null, never absent');
  t.notOk(bad((x) => (x.network[inet].op = 'bind')));
  t.ok(bad((x) => (x.network[inet].op = 'socket')));
  t.notOk(bad((x) => (x.network[inet].bytes_sent = -1)));
  t.notOk(bad((x) => delete x.collector.network_bytes));
  t.notOk(bad((x) => delete x.dns), 'every section present');
  t.notOk(bad((x) => (x.dns[0].type = 'a')), 'types in upper case');
  t.ok(bad((x) => (x.dns[0].type = 'TYPE65534')));
  t.notOk(bad((x) => (x.dns[0].rcode = 'NXDOMAIN?')));
  t.ok(bad((x) => (x.dns[0].rcode = null)), 'no answer seen');
  t.notOk(bad((x) => (x.dns[0].protocol = 'dot')));
  t.notOk(bad((x) => (x.dns[0].count = 0)));
});

t.test('receipt.schema.json is up to date (run `npm run schema`)', async (t) => {
  const onDisk = readFileSync(join(packageRoot(), JSON_SCHEMA_FILE), 'utf8');
  t.equal(onDisk, receiptJsonSchemaText(), 'stale receipt.schema.json: run npm run schema');
});

t.test('the JSON schema requires every top-level section of the contract', async (t) => {
  const schema = receiptJsonSchema() as { required: string[]; properties: Record<string, unknown> };
  for (const key of ['schema_version', 'execution_id', 'command', 'outcome', 'timing', 'process_tree', 'environment', 'collector', 'artifacts', 'exit_code', 'duration_ms', 'processes', 'filesystem', 'network', 'dns', 'syscalls']) {
    t.ok(schema.required.includes(key), key);
  }
});


t.test('process_tree is parsed without recursion, exactly as the recursive ProcessNode would', async (t) => {
  // random small trees, some nodes broken (a bad field, a missing one, children not a list, a
  // node that is not an object, an extra key): the same issues in the same order, the same value
  const rand = seededRandom(20261202);
  const base = JSON.parse(JSON.stringify(full().process_tree)) as Record<string, unknown>;
  const breaks: ((n: Record<string, unknown>) => unknown)[] = [
    (n) => ({ ...n, pid: -1 }),
    (n) => ({ ...n, state: 'zombie' }),
    (n) => ({ ...n, exit_code: 256, signal: 9 }),
    (n) => ({ ...n, children: 'none' }),
    (n) => {
      const { ppid: _, ...rest } = n;
      return rest;
    },
    (n) => {
      const { privileged: _, ...rest } = n;
      return rest; // defaults to false
    },
    (n) => ({ ...n, unknown_key: 1 }), // dropped
    () => 7,
    () => null,
  ];
  const make = (depth: number): unknown => {
    const n: Record<string, unknown> = { ...base, pid: Math.floor(rand() * 1000), children: [] };
    if (depth > 0) n.children = Array.from({ length: Math.floor(rand() * 3) }, () => make(depth - 1));
    return rand() < 0.1 ? breaks[Math.floor(rand() * breaks.length)]!(n) : n;
  };
  const Reference = z.object({ first: z.string(), process_tree: ProcessNode.nullable(), last: z.number() });
  const Walked = z.object({ first: z.string(), process_tree: ProcessTreeParser, last: z.number() });
  let differ = 0;
  let failures = 0;
  for (let i = 0; i < 500; i++) {
    const v = { first: rand() < 0.9 ? 'x' : 1, process_tree: i % 50 === 0 ? null : make(4), last: rand() < 0.9 ? 1 : 'x' };
    if (i % 97 === 1) delete (v as Partial<typeof v>).process_tree;
    const want = Reference.safeParse(v);
    const got = Walked.safeParse(v);
    if (!want.success) failures++;
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      differ++;
      if (differ <= 3) t.fail(`case ${i}: ${JSON.stringify(got).slice(0, 300)} / ${JSON.stringify(want).slice(0, 300)}`);
    }
  }
  t.equal(differ, 0, '500 random trees');
  t.ok(failures > 100 && failures < 450, `valid and invalid ones: ${failures} invalid`);
});

t.test('a tree 10,000 deep is checked, and a bad field deep in it named by its whole path', async (t) => {
  const r = receiptOf(forkChain(10_000));
  const copy = JSON.parse(JSON.stringify({ ...r, process_tree: null })) as Record<string, unknown>;
  copy.process_tree = r.process_tree; // JSON.stringify itself would overflow on the tree
  const parsed = ReceiptParser.safeParse(copy);
  t.ok(parsed.success, 'valid');
  let depth = 0;
  for (let n = parsed.data?.process_tree; n && n.children.length > 0; n = n.children[0]) depth++;
  t.equal(depth, 10_000, 'the parsed tree as deep');

  // a bad pid on the 5,000th process below the root
  let node = r.process_tree!;
  for (let i = 0; i < 5_000; i++) node = node.children[0]!;
  const pid = node.pid;
  node.pid = -1;
  const bad = ReceiptParser.safeParse(copy);
  node.pid = pid;
  t.notOk(bad.success);
  t.equal(bad.error?.issues[0]?.path.join('.'), ['process_tree', ...Array(5_000).fill('children.0'), 'pid'].join('.'));
  t.equal(bad.error?.issues.length, 1, 'only that one');
});
