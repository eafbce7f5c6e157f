// Atomic write of receipt.json: a temp file in the same directory, written chunk by chunk
// (one write in flight at a time), fsync, rename; readers never see a half-written receipt,
// and a failed write leaves no temp file behind.
import { randomBytes } from 'node:crypto';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LazyReceipt } from '../schema/receipt.js';
import { ReceiptWriteError } from './errors.js';
import { receiptChunks } from './serialize.js';

/**
 * Why: the one place a receipt reaches the disk. `data`: the text, or its chunks. An I/O failure
 * is a ReceiptWriteError; an error thrown by the chunks themselves (an invalid list element) is
 * rethrown as it is. Either way the temp file is removed and `path` is left as it was.
 */
export async function writeFileAtomic(path: string, data: string | Iterable<string>): Promise<void> {
  const tmp = join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  let failedToMake: { error: unknown } | null = null;
  const chunks = typeof data === 'string' ? data : made(data, (error) => (failedToMake = { error }));
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await writeFile(handle, chunks, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (failedToMake !== null) throw (failedToMake as { error: unknown }).error;
    throw new ReceiptWriteError(path, { cause });
  }
}

/** Why: what gh-run and replay write: the receipt checked and streamed (serialize.ts), atomically. */
export async function writeReceipt(path: string, receipt: LazyReceipt): Promise<void> {
  await writeFileAtomic(path, receiptChunks(receipt));
}

/** The chunks, noting an error thrown while making them (as opposed to writing them). */
function* made(chunks: Iterable<string>, failed: (error: unknown) => void): Generator<string> {
  try {
    yield* chunks;
  } catch (error) {
    failed(error);
    throw error;
  }
}
