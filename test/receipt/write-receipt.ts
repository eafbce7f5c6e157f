import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiptWriteError } from '../../controller/receipt/errors.js';
import { writeFileAtomic } from '../../controller/receipt/write-receipt.js';

t.test('writes the whole file and leaves no temp file', async (t) => {
  const dir = t.testdir({ 'receipt.json': 'old\n' });
  const target = join(dir, 'receipt.json');
  await writeFileAtomic(target, '{"new": true}\n');
  t.equal(readFileSync(target, 'utf8'), '{"new": true}\n');
  t.same(readdirSync(dir), ['receipt.json']);
});

t.test('a failed write is a ReceiptWriteError and leaves no temp file', async (t) => {
  const dir = t.testdir({ 'receipt.json': { 'blocker': 'a directory is in the way' } });
  const target = join(dir, 'receipt.json');
  const error = await writeFileAtomic(target, 'x').then(
    () => null,
    (e: unknown) => e,
  );
  t.type(error, ReceiptWriteError);
  t.match((error as Error).message, /cannot write the receipt to .*receipt\.json/);
  t.ok((error as Error).cause, 'carries its cause');
  t.same(readdirSync(dir), ['receipt.json']);
});

t.test('a missing directory is a ReceiptWriteError', async (t) => {
  const dir = t.testdir({});
  await t.rejects(writeFileAtomic(join(dir, 'no', 'such', 'r.json'), 'x'), ReceiptWriteError);
});
