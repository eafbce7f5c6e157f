// Atomic write of receipt.json: a temp file in the same directory, written chunk by chunk
// (one write in flight at a time), fsync, rename; readers never see a half-written receipt,
// and a failed write leaves no temp file behind.
import { randomBytes } from 'node:crypto';
import { closeSync, write } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';
import type { LazyReceipt } from '../schema/receipt.js';
import type { Destination } from './destination.js';
import { ReceiptWriteError } from './errors.js';
import { receiptChunks } from './serialize.js';

/**
 * Why: the one place a receipt reaches the disk. `data`: the text, or its chunks. An I/O failure
 * is a ReceiptWriteError; an error thrown by the chunks themselves (an invalid list element) is
 * rethrown as it is. Either way the temp file is removed and `path` is left as it was.
 */
export async function writeFileAtomic(path: string, data: string | Iterable<string>, what?: string): Promise<void> {
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
    throw new ReceiptWriteError(path, { cause, ...(what !== undefined ? { what } : {}) });
  }
}

/**
 * Why: what gh-run and replay write: the receipt checked and streamed (serialize.ts), to a path
 * atomically, or to a destination decided beforehand (destination.ts): a regular file
 * atomically, an fd in place.
 */
export async function writeReceipt(to: string | Destination, receipt: LazyReceipt): Promise<void> {
  if (typeof to === 'string') return writeFileAtomic(to, receiptChunks(receipt));
  return writeTo(to, receiptChunks(receipt));
}

/** Text to a destination: a regular file atomically, an fd in place (`what` names it in errors). */
export async function writeTo(to: Destination, chunks: Iterable<string>, what?: string): Promise<void> {
  if (to.kind === 'file') return writeFileAtomic(to.path, chunks, what);
  try {
    await writeToFd(to.fd, chunks);
  } catch (cause) {
    if (cause instanceof ReceiptWriteError || !isIoError(cause)) throw cause;
    throw new ReceiptWriteError(to.name, { cause, ...(what !== undefined ? { what } : {}) });
  } finally {
    if (to.close) closeSync(to.fd);
  }
}

const writeAsync = promisify(write);

/** Every chunk to fd at its offset; a non-blocking fd that is full (EAGAIN) is waited for. */
async function writeToFd(fd: number, chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) {
    const data = Buffer.from(chunk, 'utf8');
    for (let done = 0; done < data.length; ) {
      try {
        done += (await writeAsync(fd, data, done, data.length - done)).bytesWritten;
      } catch (error) {
        if ((error as { code?: string }).code !== 'EAGAIN') throw error;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
}

const isIoError = (error: unknown): boolean => typeof (error as { syscall?: unknown }).syscall === 'string';

/** The chunks, noting an error thrown while making them (as opposed to writing them). */
function* made(chunks: Iterable<string>, failed: (error: unknown) => void): Generator<string> {
  try {
    yield* chunks;
  } catch (error) {
    failed(error);
    throw error;
  }
}
