import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../controller/package-root.js';
import { JSON_SCHEMA_FILE, receiptJsonSchema, receiptJsonSchemaText } from '../../controller/schema/json-schema.js';
import { Receipt } from '../../controller/schema/receipt.js';
import { change, end, exec, exit, facts, fork, hello, ms, net, open, receiptOf } from '../helpers/events.js';

const full = () =>
  receiptOf([
    hello(),
    exec({ argv_truncated: true }),
    fork({ pid: 9, start: ms(1) }),
    open({ path: '/a', mode: 'readwrite' }),
    open({ path: 'b', base: '/x', err: 'ENOENT' }),
    net({ addr: '/s', family: 'unix' }),
    change({ op: 'mknod', path: 'n', base: '/x', mode: 0o20600, dev: 0x103, err: 'EPERM' }),
    change({ op: 'rename', path: '/a', to: '/b', flags: 2 | 8 }),
    change({ op: 'chmod', call: 'fchmod', path: null, fd: 9, mode: 0o644, err: 'EBADF' }),
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
  t.same(empty.syscalls, {});
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
  t.ok(bad((x) => delete x.processes[0].privileged), 'privileged defaults to false');
  t.notOk(bad((x) => (x.filesystem.changes[0].mode = '755')), 'a mode is 4 octal digits');
  t.notOk(bad((x) => (x.filesystem.changes[0].dev = '1-3')));
  t.notOk(bad((x) => (x.filesystem.changes[0].kind = 'dir')), 'mknod makes no directory');
  t.notOk(bad((x) => (x.filesystem.changes[1].flags = [])), 'no flags: no key');
  t.notOk(bad((x) => (x.filesystem.changes[1].op = 'move')));
  t.notOk(bad((x) => delete x.filesystem.changes[0].path), 'path is null, never absent');
});

t.test('receipt.schema.json is up to date (run `npm run schema`)', async (t) => {
  const onDisk = readFileSync(join(packageRoot(), JSON_SCHEMA_FILE), 'utf8');
  t.equal(onDisk, receiptJsonSchemaText(), 'stale receipt.schema.json: run npm run schema');
});

t.test('the JSON schema requires every top-level section of the contract', async (t) => {
  const schema = receiptJsonSchema() as { required: string[]; properties: Record<string, unknown> };
  for (const key of ['schema_version', 'execution_id', 'command', 'outcome', 'timing', 'process_tree', 'environment', 'collector', 'artifacts', 'exit_code', 'duration_ms', 'processes', 'filesystem', 'network', 'syscalls']) {
    t.ok(schema.required.includes(key), key);
  }
});
