// Receipts of every readable schema, read back for the views: the current shape, checked, and
// what the file's schema did not record named, never shown as if nothing happened.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readReceiptFile, ShowInputError, upgrade } from '../../controller/show/read.js';
import { SCHEMA_VERSION } from '../../controller/schema/receipt.js';
import { jsonChunks } from '../../controller/receipt/json-chunks.js';
import { serializeReceipt } from '../../controller/receipt/serialize.js';
import { forkChain, receiptOf } from '../helpers/events.js';
import { ROOT } from '../helpers/gh-run.js';

const fixture = (name: string): string => join(ROOT, 'test', 'fixtures', name);
const json = (path: string): any => JSON.parse(readFileSync(path, 'utf8'));

t.test('a receipt of the current schema is read as it is, with nothing unrecorded', async (t) => {
  const file = fixture('recordings/repeats.receipt.json'); // protocol 5: bytes and DNS counted
  const shown = readReceiptFile(file);
  t.equal(shown.schema, SCHEMA_VERSION);
  t.same([...shown.unrecorded], []);
  t.same(shown.receipt, json(file), 'not a field lost or added');
});

t.test('0.3 and 0.4 receipts: the current shape, and what they lacked named', async (t) => {
  const cases: [string, string, string[]][] = [
    ['receipts/v0.3-early-tree.json', '0.3', ['process_ends', 'changes', 'write_flags', 'network_bytes', 'tampering', 'dns']],
    ['receipts/v0.3-files.json', '0.3', ['process_ends', 'network_bytes', 'dns']],
    ['receipts/v0.4-net.json', '0.4', ['process_ends', 'network_bytes', 'dns']],
    ['receipts/v0.4-repeats.json', '0.4', ['process_ends']],
  ];
  for (const [name, schema, unrecorded] of cases) {
    const raw = json(fixture(name));
    const shown = readReceiptFile(fixture(name));
    t.equal(shown.schema, schema, name);
    t.same([...shown.unrecorded].sort(), [...unrecorded].sort(), `${name}: unrecorded`);
    t.equal(shown.receipt.processes.length, raw.processes.length);
    t.ok(shown.receipt.processes.every((p) => p.end_offset_ms === null), `${name}: no end is made up`);
    t.same(shown.receipt.processes.map((p) => p.start_offset_ms), raw.processes.map((p: any) => p.start_offset_ms));
    t.same(shown.receipt.filesystem.reads, raw.filesystem.reads, `${name}: reads as they were`);
    t.equal(raw.schema_version, schema, 'the caller\'s object is not changed');
  }
  const early = readReceiptFile(fixture('receipts/v0.3-early-tree.json')).receipt;
  t.same(early.filesystem.writes[0], { ...json(fixture('receipts/v0.3-early-tree.json')).filesystem.writes[0], created: false, truncated: false, digest: null });
  t.same(early.filesystem.changes, []);
  t.equal(early.filesystem.digests, 'off');
});

t.test('what cannot be shown is refused with the reason, naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-show-read-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const good = json(fixture('recordings/signal.receipt.json'));
  const cases: [string, RegExp][] = [
    [join(dir, 'missing.json'), /missing\.json: no such file/],
    [dir, /is a directory, not a receipt/],
    [write('text.json', 'not json {'), /text\.json: not a glasshouse receipt \(not JSON/],
    [write('array.json', '[]'), /not a JSON object/],
    [write('other.json', '{"name":"package"}'), /no schema_version/],
    [write('future.json', JSON.stringify({ ...good, schema_version: '0.9' })), /schema_version "0\.9" is not one this glasshouse reads \(0\.3, 0\.4, 0\.5\)/],
    [write('bad.json', JSON.stringify({ ...good, processes: [{ ...good.processes[0], pid: -1 }] })), /not a valid receipt of schema 0\.5 at processes\.0\.pid/],
    [write('bad3.json', JSON.stringify({ ...good, schema_version: '0.3', timing: null })), /not a valid receipt of schema 0\.3 at timing/],
  ];
  for (const [file, message] of cases) {
    t.throws(() => readReceiptFile(file), ShowInputError, file);
    t.throws(() => readReceiptFile(file), { message }, file);
  }
});

t.test('a receipt replayed from a recording without byte counts says so', async (t) => {
  const r = json(fixture('recordings/net.receipt.json'));
  t.equal(r.collector.network_bytes, false);
  const shown = upgrade(r);
  t.ok(shown.unrecorded.has('network_bytes'));
  t.ok(shown.unrecorded.has('dns'));
});

/** The text of a fork chain's receipt, `depth` deep, parsed, changed by `edit` at each process. */
function chainReceipt(depth: number, edit: (p: Record<string, unknown>, level: number) => void = () => {}): Record<string, any> {
  const r = JSON.parse(serializeReceipt(receiptOf(forkChain(depth))));
  for (const p of r.processes) edit(p, -1);
  let level = 0;
  for (let n = r.process_tree; n !== undefined; n = n.children[0]) edit(n, level++);
  return r;
}
// JSON.stringify recurses: the streaming writer writes what it cannot
const text = (v: unknown): string => [...jsonChunks(v)].join('');
const depthOf = (tree: { children: unknown[] } | null): number => {
  let depth = 0;
  for (let n = tree as { children: { children: unknown[] }[] } | undefined; n !== undefined && n.children.length > 0; n = n.children[0]) depth++;
  return depth;
};

t.test('a receipt of a fork chain 10,000 deep is read back: the whole tree, no stack overflow', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'deep.json');
  writeFileSync(file, text(chainReceipt(10_000)));
  const shown = readReceiptFile(file);
  t.equal(shown.receipt.processes.length, 10_001);
  t.equal(depthOf(shown.receipt.process_tree), 10_000);
  t.notOk(shown.unrecorded.has('process_ends'), 'the ends were recorded');
});

t.test('a 0.4 receipt of a fork chain 10,000 deep: every process filled, ends unrecorded', async (t) => {
  const r = chainReceipt(10_000, (p) => delete p.end_offset_ms);
  r.schema_version = '0.4';
  const shown = upgrade(r);
  t.ok(shown.unrecorded.has('process_ends'));
  let filled = 0;
  for (let n = shown.receipt.process_tree!; ; n = n.children[0]!) {
    if (n.end_offset_ms === null) filled++;
    if (n.children.length === 0) break;
  }
  t.equal(filled, 10_001, 'each process of the tree has end_offset_ms: null');
  t.ok(shown.receipt.processes.every((p) => p.end_offset_ms === null), 'and of the list');
  t.notOk('end_offset_ms' in r.process_tree, "the caller's object is not changed");
});

t.test('a bad field deep in a read receipt is named by its whole path', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'bad.json');
  writeFileSync(file, text(chainReceipt(3_000, (p, level) => level === 2_000 && (p.uid = 'root'))));
  const where = ['process_tree', ...Array<string>(2_000).fill('children.0'), 'uid'].join('.');
  t.throws(() => readReceiptFile(file), { message: `${file}: not a valid receipt of schema 0.5 at ${where}: Invalid input: expected number, received string` });
});
