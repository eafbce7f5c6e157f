import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidReceiptError, ReceiptWriteError } from '../../controller/receipt/errors.js';
import { serializeReceipt } from '../../controller/receipt/serialize.js';
import { writeFileAtomic, writeReceipt } from '../../controller/receipt/write-receipt.js';
import type { Receipt } from '../../controller/schema/receipt.js';
import { readReceiptFile } from '../../controller/show/read.js';
import { end, exec, exit, forkChain, hello, open, receiptOf } from '../helpers/events.js';

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

t.test('writes the whole file and leaves no temp file', async (t) => {
  const dir = t.testdir({ 'receipt.json': 'old\n' });
  const target = join(dir, 'receipt.json');
  await writeFileAtomic(target, '{"new": true}\n');
  t.equal(readFileSync(target, 'utf8'), '{"new": true}\n');
  t.same(readdirSync(dir), ['receipt.json']);
});

t.test('chunks are written in order, multi-byte characters whole', async (t) => {
  const dir = t.testdir({});
  const target = join(dir, 'r.json');
  const chunks = Array.from({ length: 300 }, (_, i) => `${i}:ü😀${'x'.repeat(5000)}\n`);
  await writeFileAtomic(target, chunks);
  t.equal(readFileSync(target, 'utf8'), chunks.join(''));
  t.same(readdirSync(dir), ['r.json']);
});

t.test('a failed write is a ReceiptWriteError and leaves no temp file', async (t) => {
  const dir = t.testdir({ 'receipt.json': { 'blocker': 'a directory is in the way' } });
  const target = join(dir, 'receipt.json');
  for (const data of ['x', ['x', 'y']]) {
    const error = await failure(writeFileAtomic(target, data));
    t.type(error, ReceiptWriteError);
    t.match((error as Error).message, /cannot write the receipt to .*receipt\.json: EISDIR/);
    t.ok((error as Error).cause, 'carries its cause');
    t.same(readdirSync(dir), ['receipt.json']);
  }
});

t.test('a missing directory is a ReceiptWriteError', async (t) => {
  const dir = t.testdir({});
  await t.rejects(writeFileAtomic(join(dir, 'no', 'such', 'r.json'), 'x'), ReceiptWriteError);
});

t.test('chunks that fail to be made: that error as it is, no temp file, the old file kept', async (t) => {
  const dir = t.testdir({ 'receipt.json': 'old\n' });
  const target = join(dir, 'receipt.json');
  function* chunks(): Generator<string> {
    yield 'x'.repeat(1 << 20);
    throw new InvalidReceiptError('bad element');
  }
  const error = await failure(writeFileAtomic(target, chunks()));
  t.type(error, InvalidReceiptError);
  t.same(readdirSync(dir), ['receipt.json']);
  t.equal(readFileSync(target, 'utf8'), 'old\n');
});

t.test('writeReceipt: the serialized text; an invalid receipt writes nothing', async (t) => {
  const dir = t.testdir({ 'receipt.json': 'old\n' });
  const target = join(dir, 'receipt.json');
  const r = receiptOf([hello(), exec(), open({ path: '/a', err: 'ENOENT' }), exit(), end()]);
  await writeReceipt(target, r);
  t.equal(readFileSync(target, 'utf8'), serializeReceipt(r));
  const head = await failure(writeReceipt(target, { ...r, exit_code: 1.5 } as Receipt));
  t.type(head, InvalidReceiptError);
  t.match((head as Error).message, 'at exit_code');
  const element = await failure(writeReceipt(target, { ...r, filesystem: { ...r.filesystem, failed: [{ ...r.filesystem.failed[0], mode: 'x' }] } } as Receipt));
  t.type(element, InvalidReceiptError);
  t.match((element as Error).message, 'at filesystem.failed.0.mode');
  t.same(readdirSync(dir), ['receipt.json']);
  t.equal(readFileSync(target, 'utf8'), serializeReceipt(r), 'the last good receipt');
});

t.test('a fork chain 10,000 deep: written, read back whole, in a file that grows linearly', async (t) => {
  // what a hostile command makes with a recursive shell function: before, a RangeError instead of a receipt
  const depth = 10_000;
  const dir = t.testdir({});
  const target = join(dir, 'receipt.json');
  const started = Date.now();
  await writeReceipt(target, receiptOf(forkChain(depth)));
  const written = Date.now() - started;
  const size = statSync(target).size;
  t.ok(size < 2048 * (depth + 1), `${size} bytes, ${Math.round(size / (depth + 1))} per process, written in ${written} ms`);

  const { receipt } = readReceiptFile(target);
  t.equal(receipt.processes.length, depth + 1, 'every process in the flat list');
  // walked in a loop: recursion here would overflow where the code under test must not
  let level = 0;
  let wrong = 0;
  for (let n = receipt.process_tree!; n.children.length > 0; level++) {
    const child = n.children[0]!;
    if (n.children.length !== 1 || child.ppid !== n.pid) wrong++;
    if (child.exit_code !== (level + 1 === depth ? 3 : 0)) wrong++;
    n = child;
  }
  t.equal(level, depth, 'nested as deep in process_tree');
  t.equal(wrong, 0, 'each under its parent, with its exit code');
});
