// Passes the command's stdout/stderr through to ours while hashing it (SHA-256 + byte count),
// chunk by chunk with backpressure: the output is never buffered whole.
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';

export interface Artifact {
  sha256: string;
  bytes: number;
}

export class OutputTee {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private broken = false;
  /** resolves when the source has ended, closed or failed */
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
    source.on('data', (chunk: Buffer) => this.onData(chunk));
    // our own stdout closed (e.g. `| head`): stop reading, so the command sees EPIPE as it would without us
    dest.on('error', () => {
      this.broken = true;
      source.destroy();
    });
  }

  private onData(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.broken) return;
    if (!this.dest.write(chunk)) {
      this.source.pause();
      this.dest.once('drain', () => this.source.resume());
    }
  }

  /** Stop waiting for EOF (daemonized descendants may hold the pipe open). */
  abandon(): void {
    this.source.destroy();
  }

  result(): Artifact {
    return { sha256: this.hash.copy().digest('hex'), bytes: this.bytes };
  }
}

/** Wait for every tee's EOF, at most `graceMs`, then abandon the rest. */
export async function settleTees(tees: readonly OutputTee[], graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const all = Promise.all(tees.map((t) => t.done)).then(() => true);
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)));
  const finished = await Promise.race([all, late]);
  clearTimeout(timer);
  if (!finished) for (const t of tees) t.abandon();
}
