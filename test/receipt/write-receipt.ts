import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidReceiptError, ReceiptWriteError } from '../../controller/receipt/errors.js';
import { serializeReceipt } from '../../controller/receipt/serialize.js';
import { writeFileAtomic, writeReceipt } from '../../controller/receipt/write-receipt.js';
import type { Receipt } from '../../controller/schema/receipt.js';
import { end, exec, exit, hello, open, receiptOf } from '../helpers/events.js';

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
