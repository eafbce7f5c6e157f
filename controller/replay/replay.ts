// `glasshouse replay FILE`: read a recording, rebuild its receipt, write it. Exit 0 with the
// receipt (a partial one only with --partial), 1 with one line on stderr and no receipt.
import { open } from 'node:fs/promises';
import { DestinationError, openDestination } from '../receipt/destination.js';
import { InvalidReceiptError, ReceiptWriteError } from '../receipt/errors.js';
import { writeReceipt } from '../receipt/write-receipt.js';
import { HEADER_BYTES, RECORDING_MAGIC } from '../schema/recording.js';
import { NotARecordingError, RecordingError, RecordingReadError } from './errors.js';
import type { ReplayOptions } from './options.js';
import { readRecording } from './read-recording.js';
import { rebuildLazy } from './rebuild.js';

export async function replay(options: ReplayOptions, write: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  const say = (text: string): void => write(`glasshouse: replay: ${text}\n`);
  const file = options.recording;
  const PARTIAL_HINT = ' (--partial writes one of what could be read)';
  try {
    // a throw here: not even the start of the run is readable, --partial or not
    const parts = readRecording(await readRecordingFile(file));
    if (parts.damage !== null && !options.partial) {
      say(`${file}: ${parts.damage.message}; no receipt written${PARTIAL_HINT}`);
      return 1;
    }
    const { receipt, problem } = rebuildLazy(parts);
    if (problem !== null && !options.partial) {
      say(`${file}: ${problem.message}; no receipt written${PARTIAL_HINT}`);
      return 1;
    }
    // the same rules as gh-run's -o: a regular file atomically, /dev/stdout or /dev/fd/N in place
    const output = openDestination(options.output);
    await writeReceipt(output, receipt);
    if (problem !== null) say(`${file}: ${problem.message}; partial receipt written to ${output.kind === 'file' ? output.path : output.name}`);
    return 0;
  } catch (error) {
    if (error instanceof RecordingError) {
      say(`${file}: ${error.message}; no receipt written`);
      return 1;
    }
    if (error instanceof InvalidReceiptError || error instanceof ReceiptWriteError || error instanceof DestinationError) {
      say(error.message);
      return 1;
    }
    throw error;
  }
}

/** The whole file, after a look at its first bytes: anything else is refused before it is read. */
async function readRecordingFile(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw new RecordingReadError(cause);
  }
  try {
    const head = await readUpTo(handle, HEADER_BYTES);
    const n = Math.min(head.length, RECORDING_MAGIC.length);
    if (head.length > 0 && !head.subarray(0, n).equals(RECORDING_MAGIC.subarray(0, n))) {
      throw new NotARecordingError('it does not start with the GHREC header');
    }
    const stat = await handle.stat();
    const chunks = [head];
    // a regular file in one read of its size; pipes and the like in chunks until EOF
    for (let size = stat.isFile() ? Math.max(stat.size - head.length, 0) + 1 : 1 << 16; ; ) {
      const chunk = await readUpTo(handle, size);
      if (chunk.length === 0) break;
      chunks.push(chunk);
      size = 1 << 16;
    }
    return Buffer.concat(chunks);
  } catch (cause) {
    if (cause instanceof RecordingError) throw cause;
    throw new RecordingReadError(cause);
  } finally {
    await handle.close();
  }
}

/** Up to `n` bytes from the current position; fewer only at end of file. */
async function readUpTo(handle: import('node:fs/promises').FileHandle, n: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(n);
  let filled = 0;
  while (filled < n) {
    const { bytesRead } = await handle.read(buffer, filled, n - filled, null);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
