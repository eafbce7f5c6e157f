// Passes the command's stdout/stderr through to ours while hashing it (SHA-256 + byte count),
// off the main thread, which must stay free for the helper's event stream.
//
// Two workers per relay share a ring buffer (a SharedArrayBuffer): the reader blocks in read()
// on the pipe, writes what it got to the destination at once (a line reaches it without delay),
// then publishes it in the ring; the hasher hashes the ring behind it, on the other core. The
// ring's free space is the back-pressure: a full ring (a slow hasher) waits, bytes are never
// dropped. Measured on 2 GiB: one thread reading, hashing and writing takes 2.07 s, SHA-256 alone
// 1.21 s; the two workers overlap hashing with the copy.
//
// The workers are built from source strings (`eval: true`): that runs the same from TypeScript
// (tap's loader), from dist/ and from a single bundle, where a worker file would not be found.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface Artifact {
  sha256: string;
  bytes: number;
}

/** What settleRelays needs of a relay. */
export interface Relay {
  readonly done: Promise<void>;
  abandon(): void;
  result(): Artifact;
}

// the ring: 4 MiB (a larger one falls out of the caches and hashes slower), read 256 KiB at most
const RING_BYTES = 4 << 20;
const MAX_READ = 256 << 10;
const DATA_OFFSET = 64;
// control words (Int32) before the data: positions count bytes modulo 2^32
const HEAD = 0; // bytes published by the reader
const TAIL = 1; // bytes hashed
const STATE = 2; // see below
const SEQ = 3; // bumped on every change; what the workers wait on
const CLOSED = 4; // 1 once the reader closed the read end
const IN_READ = 5; // 1 while the reader is (about to be) blocked in read()
const POKED = 6; // 1 once abandon() wrote the wake-up byte
// STATE: RUNNING -> ENDED (the reader: EOF, read error or broken destination), or
// RUNNING -> ABANDONING -> ABANDONED (abandon(): the reader is woken, then may close the pipe)
const RUNNING = 0;
const ENDED = 1;
const ABANDONING = 2;
const ABANDONED = 3;

const SHARED = `
const ctl = new Int32Array(workerData.shared, 0, 8);
const data = new Uint8Array(workerData.shared, ${DATA_OFFSET}, ${RING_BYTES});
const bump = () => { Atomics.add(ctl, ${SEQ}, 1); Atomics.notify(ctl, ${SEQ}); };
`;

// Reads the pipe (blocking), writes each read to the destination, publishes it in the ring.
// A destination that fails (EPIPE: our own stdout closed) is no longer written, and the pipe is
// closed so that the command gets EPIPE/SIGPIPE as it would without us. A non-blocking one
// (EAGAIN) is retried after a short sleep, never dropped.
const READER = `
const { openSync, readSync, writeSync, closeSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
${SHARED}
const { readFd, destFd } = workerData;
const nap = new Int32Array(new SharedArrayBuffer(4));
const stopped = () => Atomics.load(ctl, ${STATE}) >= ${ABANDONING};
function writeAll(at, n) {
  for (let pause = 1; n > 0; ) {
    try {
      const w = writeSync(destFd, data, at, n);
      at += w; n -= w; pause = 1;
    } catch (e) {
      if (e.code !== 'EAGAIN' && e.code !== 'EINTR') return false;
      Atomics.wait(nap, 0, 0, pause);
      pause = Math.min(pause * 2, 8);
    }
  }
  return true;
}
let head = 0;
let seen = 0;
function relay(at, n) {
  const written = writeAll(at, n);
  head = (head + n) | 0;
  Atomics.store(ctl, ${HEAD}, head);
  bump();
  return written;
}
// abandoned while not in read(): what is in the pipe now was written before, relay it (at most
// a full pipe's worth: a daemon writing on would keep it going)
function drain() {
  let fd = -1;
  let budget = ${1 << 20};
  try {
    fd = openSync('/proc/self/fd/' + readFd, ${constants.O_RDONLY | constants.O_NONBLOCK});
    for (;;) {
      const used = (head - Atomics.load(ctl, ${TAIL})) >>> 0;
      if (used === ${RING_BYTES}) { Atomics.wait(ctl, ${SEQ}, Atomics.load(ctl, ${SEQ}), 10); continue; }
      const at = head & ${RING_BYTES - 1};
      const n = readSync(fd, data, at, Math.min(${RING_BYTES} - used, ${RING_BYTES} - at, ${MAX_READ}), null);
      if (n === 0 || !relay(at, n) || (budget -= n) <= 0) return;
    }
  } catch {
    // EAGAIN: all of it
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
try {
  for (;;) {
    seen = Atomics.load(ctl, ${SEQ});
    const used = (head - Atomics.load(ctl, ${TAIL})) >>> 0;
    if (used === ${RING_BYTES}) {
      if (stopped()) { drain(); break; }
      Atomics.wait(ctl, ${SEQ}, seen);
      continue;
    }
    const at = head & ${RING_BYTES - 1};
    // abandon() stores STATE then loads IN_READ: either it wakes this read, or this sees STATE
    Atomics.store(ctl, ${IN_READ}, 1);
    if (stopped()) { Atomics.store(ctl, ${IN_READ}, 0); drain(); break; }
    let n;
    try {
      n = readSync(readFd, data, at, Math.min(${RING_BYTES} - used, ${RING_BYTES} - at, ${MAX_READ}), null);
    } catch (e) {
      if (e.code === 'EINTR') continue;
      if (e.code !== 'EAGAIN') break;
      Atomics.wait(nap, 0, 0, 2);
      continue;
    } finally {
      Atomics.store(ctl, ${IN_READ}, 0);
    }
    // EOF; or woken by abandon(): what came with the wake-up byte is not the command's before it
    if (n === 0 || Atomics.load(ctl, ${POKED})) break;
    if (!relay(at, n)) break;
  }
} finally {
  // abandon() may be writing to this pipe through /proc/self/fd: close only once it is done
  if (Atomics.compareExchange(ctl, ${STATE}, ${RUNNING}, ${ENDED}) !== ${RUNNING})
    while (Atomics.load(ctl, ${STATE}) === ${ABANDONING}) Atomics.wait(ctl, ${STATE}, ${ABANDONING}, 10);
  closeSync(readFd);
  Atomics.store(ctl, ${CLOSED}, 1);
  bump();
}
`;

// Hashes the ring behind the reader; at the end (or when abandoned: what is published so far)
// posts the digest and the byte count.
const HASHER = `
const { createHash } = require('node:crypto');
const { workerData, parentPort } = require('node:worker_threads');
${SHARED}
const hash = createHash('sha256');
let tail = 0;
let bytes = 0;
for (;;) {
  const seen = Atomics.load(ctl, ${SEQ});
  const head = Atomics.load(ctl, ${HEAD});
  if (head !== tail) {
    const at = tail & ${RING_BYTES - 1};
    const n = Math.min((head - tail) >>> 0, ${RING_BYTES} - at);
    hash.update(data.subarray(at, at + n));
    bytes += n;
    tail = (tail + n) | 0;
    Atomics.store(ctl, ${TAIL}, tail);
    bump();
    continue;
  }
  // the reader is done (EOF, error, or abandoned and drained): it stored HEAD before CLOSED
  if (Atomics.load(ctl, ${CLOSED}) === 1 && Atomics.load(ctl, ${HEAD}) === tail) break;
  Atomics.wait(ctl, ${SEQ}, seen);
}
parentPort.postMessage({ sha256: hash.digest('hex'), bytes });
`;

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** Relays a pipe's read end (blocking) to `destFd`, hashing it in two workers. */
export class OutputRelay implements Relay {
  readonly done: Promise<void>;
  private readonly ctl: Int32Array;
  private readonly reader: Worker;
  private readonly hasher: Worker;
  private artifact: Artifact | null = null;

  /** Takes ownership of `readFd` (closed when done); `destFd` stays open. */
  constructor(
    private readonly readFd: number,
    destFd: number,
  ) {
    const shared = new SharedArrayBuffer(DATA_OFFSET + RING_BYTES);
    this.ctl = new Int32Array(shared, 0, 8);
    this.hasher = new Worker(HASHER, { eval: true, workerData: { shared }, execArgv: [] });
    // plain workers (execArgv: not the parent's loaders); the reader closes an fd it did not
    // open: not a leak for Node to warn about
    this.reader = new Worker(READER, { eval: true, workerData: { shared, readFd, destFd }, trackUnmanagedFds: false, execArgv: [] });
    this.done = new Promise<void>((resolve) => {
      this.hasher.once('message', (artifact: Artifact) => {
        this.artifact = artifact;
        resolve();
      });
      // a worker that could not start or failed: nothing more will be hashed
      this.hasher.once('exit', () => resolve());
      this.hasher.once('error', () => resolve());
      this.reader.once('error', () => this.readerGone());
      this.reader.once('exit', () => this.readerGone());
    });
    // a hanging process would be worse than a run's end that does not wait for them; both end
    // on their own once done (the reader is woken by abandon())
    void this.done.then(() => {
      this.reader.unref();
      this.hasher.unref();
    });
  }

  /** The reader ended; if it never closed the read end (it failed to start), close it here. */
  private readerGone(): void {
    if (Atomics.load(this.ctl, CLOSED) === 0) {
      Atomics.store(this.ctl, CLOSED, 1);
      try {
        closeSync(this.readFd);
      } catch {
        // already closed
      }
    }
    Atomics.compareExchange(this.ctl, STATE, RUNNING, ENDED);
    this.bump();
  }

  private bump(): void {
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
  }

  /** Stop waiting for EOF (daemonized descendants may hold the pipe open); `done` resolves promptly. */
  abandon(): void {
    if (Atomics.compareExchange(this.ctl, STATE, RUNNING, ABANDONING) !== RUNNING) return;
    this.bump();
    // a reader not in read() relays what is in the pipe and stops; one blocked in read() wakes
    // only on data: write a byte into the pipe, through a new open of it (our own write end
    // would keep it from EOF). The reader does not close the read end while STATE is
    // ABANDONING, so the fd number cannot have been reused meanwhile.
    if (Atomics.load(this.ctl, IN_READ) === 1) this.poke();
    Atomics.store(this.ctl, STATE, ABANDONED);
    Atomics.notify(this.ctl, STATE);
    this.bump();
  }

  private poke(): void {
    Atomics.store(this.ctl, POKED, 1);
    try {
      const wake = openSync(`/proc/self/fd/${this.readFd}`, constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        writeSync(wake, Buffer.of(0));
      } catch {
        // a full pipe: the reader is not in read(), it sees STATE before its next one
      } finally {
        closeSync(wake);
      }
    } catch {
      // no /proc: the reader stays in read() until the writers close or write
    }
  }

  /** After `done`: the SHA-256 and count of exactly the bytes read from the pipe. */
  result(): Artifact {
    return this.artifact ?? { sha256: EMPTY_SHA256, bytes: 0 };
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

  result(): Artifact {
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
