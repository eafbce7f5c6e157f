// `--record FILE`: writes the run's recording (controller/replay/FORMAT.md) as it happens: the
// header and start facts first, the helper's stdout byte for byte as it arrives, the run facts
// and the footer at the end. A recording that cannot be written never stops the run: the first
// error is reported once and everything after it is dropped.
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { encodeFrame } from '../collector/frame-encoder.js';
import { PROTOCOL_VERSION } from '../schema/frames.js';
import { END_MARKER, MAX_CONTROL_FRAME_BYTES, RECORDING_FORMAT, RECORDING_MAGIC, type RunFrame, type StartFacts } from '../schema/recording.js';

export class Recorder {
  private readonly stream: WriteStream;
  private readonly digest = createHash('sha256');
  private readonly closed: Promise<void>;
  private written = 0;
  private helperBytes = 0;
  private finishing = false;
  private failure: string | null = null;

  /** Start recording to `path` (created or truncated); `onError` hears of the first failure. */
  constructor(
    readonly path: string,
    start: StartFacts,
    private readonly onError: (message: string) => void,
  ) {
    this.stream = createWriteStream(path, { flags: 'w', mode: 0o644 });
    this.closed = new Promise<void>((resolve) => this.stream.once('close', resolve));
    this.stream.on('error', (error: Error) => this.fail(error));
    const header = Buffer.alloc(RECORDING_MAGIC.length + 2);
    RECORDING_MAGIC.copy(header, 0);
    header.writeUInt16BE(RECORDING_FORMAT, RECORDING_MAGIC.length);
    this.write(header);
    this.write(encodeFrame({ t: 'recording', helper_protocol: PROTOCOL_VERSION, start }));
  }

  /** The run was refused (--strict): no recording of a run that did not happen is left behind. */
  async discard(): Promise<void> {
    this.finishing = true;
    this.stream.destroy();
    await this.closed;
    await rm(this.path, { force: true });
  }

    /** The first error, as it went to stderr and outcome.errors; null while all is well. */
  get error(): string | null {
    return this.failure;
  }

  /** A chunk of the helper's stdout, exactly as received. */
  helper(chunk: Buffer): void {
    if (this.finishing) return;
    this.helperBytes += chunk.length;
    this.write(chunk);
  }

  /** Write the run frame and the footer, close; resolves to the first error, or null. */
  async finish(facts: RunFrame['facts'], used: boolean): Promise<string | null> {
    if (this.finishing) return this.failure;
    this.finishing = true;
    const frame: RunFrame = { t: 'run', facts, helper: { bytes: this.helperBytes, used } };
    const runOffset = this.written;
    const encoded = encodeFrame(frame);
    if (encoded.length - 4 > MAX_CONTROL_FRAME_BYTES && this.failure === null) {
      // no reader would take it: the recording ends before it, and replays as truncated
      const digests = facts.digests?.files.length ?? 0;
      this.failure = `cannot record to ${this.path}: the run facts take ${encoded.length - 4} bytes (${digests} file digests), over the ${MAX_CONTROL_FRAME_BYTES} a frame may hold`;
      this.onError(this.failure);
      this.stream.end();
      await this.closed;
      return this.failure;
    }
    this.write(encoded);
    const offset = Buffer.alloc(8);
    offset.writeBigUInt64BE(BigInt(runOffset));
    this.write(offset);
    if (this.failure === null) {
      // the digest covers every byte before it, the run frame's offset included
      const tail = Buffer.concat([this.digest.digest(), END_MARKER]);
      this.written += tail.length;
      this.stream.write(tail);
    }
    if (!this.stream.destroyed) this.stream.end();
    await this.closed;
    return this.failure;
  }

  private write(bytes: Buffer): void {
    if (this.failure !== null) return;
    this.digest.update(bytes);
    this.written += bytes.length;
    this.stream.write(bytes);
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = `cannot record to ${this.path}: ${error.message}`;
    this.stream.destroy();
    this.onError(this.failure);
  }
}
