// Passes the command's stdout/stderr through to ours while hashing it (SHA-256 + byte count),
// off the main thread, which must stay free for the helper's event stream.
//
// One worker per pipe reads it 1 MiB at a time, hashes each read and writes it to the
// destination at once (a line reaches it without delay). Measured on 2 GiB to /dev/null: this
// loop alone takes about 2.1 s, where Node streams on the main thread (64 KiB chunks between
// hashing, the helper's frames and everything else) took 3.3 s; SHA-256 alone takes 1.2 s.
// The pipe is read non-blocking: when it is empty, the worker waits (1 ms, doubling to 16 ms,
// woken at once by abandon()), so it can always be told to stop, even when a daemon holds the
// pipe open and never writes.
//
// The worker is built from a source string (`eval: true`): that runs the same from TypeScript
// (tap's loader), from dist/ and from a single bundle, where a worker file would not be found.
import { createHash } from 'node:crypto';
import { closeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';

/** sha256 and bytes of what was relayed; null when the relay failed and the count is not known. */
export type Relayed = { sha256: string; bytes: number } | null;

/** What settleRelays needs of a relay. */
export interface Relay {
  readonly done: Promise<void>;
  abandon(): void;
  /** after `done` */
  result(): Relayed;
}

// control word 0: 1 once abandon() asked the worker to stop
const WORKER = `
const { readSync, writeSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { workerData, parentPort } = require('node:worker_threads');
const { readFd, destFd } = workerData;
const stop = new Int32Array(workerData.stop);
const nap = new Int32Array(new SharedArrayBuffer(4));
const hash = createHash('sha256');
const buf = Buffer.allocUnsafe(1 << 20);
let bytes = 0;
let idle = 1;
let error = null;
// every byte, in order; a full non-blocking destination is waited for, never dropped
function writeAll(n) {
  for (let at = 0, pause = 1; at < n; ) {
    try {
      at += writeSync(destFd, buf, at, n - at);
      pause = 1;
    } catch (e) {
      if (e.code !== 'EAGAIN' && e.code !== 'EINTR') return false;
      Atomics.wait(nap, 0, 0, pause);
      pause = Math.min(pause * 2, 16);
    }
  }
  return true;
}
for (;;) {
  const stopping = Atomics.load(stop, 0) === 1;
  let n;
  try {
    n = readSync(readFd, buf, 0, buf.length, null);
  } catch (e) {
    if (e.code === 'EINTR') continue;
    if (e.code !== 'EAGAIN') { error = e.code || String(e); break; }
    if (stopping) break; // abandoned, and all that was in the pipe is relayed
    Atomics.wait(stop, 0, 0, idle);
    idle = Math.min(idle * 2, 16);
    continue;
  }
  idle = 1;
  if (n === 0) break; // EOF: every writer closed
  hash.update(buf.subarray(0, n));
  bytes += n;
  // our own stdout closed (| head): stop, and close the pipe, so the command gets EPIPE as it would without us
  if (!writeAll(n)) break;
  if (stopping) break; // abandoned: what was read was written before; a daemon writing on is not waited for
}
closeSync(readFd);
parentPort.postMessage({ sha256: hash.digest('hex'), bytes, error });
`;

/** Relays a pipe's non-blocking read end to `destFd`, hashing it, in a worker. */
export class OutputRelay implements Relay {
  readonly done: Promise<void>;
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  private relayed: Relayed = null;
  /** why the relay failed, for outcome.errors; null when it did not */
  failure: string | null = null;

  /** Takes ownership of `readFd` (closed when done); `destFd` stays open. */
  constructor(readFd: number, destFd: number) {
    // a plain worker (execArgv: not the parent's loaders); it closes an fd it did not open
    const worker = new Worker(WORKER, { eval: true, workerData: { readFd, destFd, stop: this.stop.buffer }, execArgv: [], trackUnmanagedFds: false });
    let closed = false;
    this.done = new Promise<void>((resolve) => {
      worker.once('message', (m: { sha256: string; bytes: number; error: string | null }) => {
        closed = true;
        this.relayed = { sha256: m.sha256, bytes: m.bytes };
        if (m.error !== null) this.failure = `reading the command's output failed (${m.error}) after ${m.bytes} bytes`;
        resolve();
      });
      // the worker could not start or died: its count is lost, the receipt says so (never the empty hash)
      worker.once('error', (error) => {
        this.failure ??= `the output relay failed: ${error.message}`;
      });
      worker.once('exit', () => {
        if (!closed) {
          this.failure ??= 'the output relay ended without a result';
          try {
            closeSync(readFd);
          } catch {
            // closed by the worker before it failed
          }
        }
        resolve();
      });
    });
    // a run's end never waits for it once it is done
    void this.done.then(() => worker.unref());
  }

  /** Stop waiting for EOF (daemonized descendants may hold the pipe open): what is in the pipe is relayed, then done. */
  abandon(): void {
    Atomics.store(this.stop, 0, 1);
    Atomics.notify(this.stop, 0);
  }

  result(): Relayed {
    return this.relayed;
  }
}

/**
 * The fallback when no real pipe could be made (output-pipes.ts): the socketpair Node gave the
 * command, relayed and hashed on the main thread, with back-pressure.
 */
export class StreamRelay implements Relay {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private broken = false;
  readonly done: Promise<void>;

  constructor(
    private readonly source: Readable,
    private readonly dest: Writable,
  ) {
    this.done = new Promise<void>((resolve) => {
      source.once('end', resolve);
      source.once('close', resolve);
      source.once('error', () => resolve());
    });
    source.on('data', (chunk: Buffer) => {
      this.hash.update(chunk);
      this.bytes += chunk.length;
      if (this.broken || this.dest.write(chunk)) return;
      source.pause();
      dest.once('drain', () => source.resume());
    });
    // our own stdout closed (e.g. `| head`): stop reading, so the command sees EPIPE as it would without us
    dest.on('error', () => {
      this.broken = true;
      source.destroy();
    });
  }

  abandon(): void {
    this.source.destroy();
  }

  result(): Relayed {
    return { sha256: this.hash.copy().digest('hex'), bytes: this.bytes };
  }
}

/** A relay of the command's output (a pipe's read end, or the fallback's stream) to fd 1 or 2. */
export function relayOutput(source: number | Readable | null, destFd: 1 | 2): Relay | null {
  if (source === null) return null;
  if (typeof source === 'number') return new OutputRelay(source, destFd);
  return new StreamRelay(source, destFd === 1 ? process.stdout : process.stderr);
}

/** Wait for every relay's EOF, at most `graceMs`, then abandon the rest (their `done` follows promptly). */
export async function settleRelays(relays: readonly Relay[], graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const all = Promise.all(relays.map((r) => r.done)).then(() => true);
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)));
  const finished = await Promise.race([all, late]);
  clearTimeout(timer);
  if (finished) return;
  for (const r of relays) r.abandon();
  await all;
}
