// The helper's byte stream, chunk by chunk, to validated frames: decoded (frame-decoder.ts),
// checked by the fast guard (frame-guard.ts), and only what the guard leaves over handed to
// zod. This module does not load zod: the live run gives it a loader, called the first time a
// frame needs zod; until it is loaded, that frame and everything after it wait in order. So a
// run whose frames all pass the guard (every run of a current helper) starts without zod.
import type { Frame } from '../schema/frames.js';
import { FrameError } from '../schema/frame-error.js';
import { FrameDecoder, type FrameSink } from './frame-decoder.js';
import { isCanonicalFrame } from './frame-guard.js';

/** zod's validation of one decoded value (schema/frames.ts parseFrame): a frame, or throws FrameError. */
export type FrameParser = (value: unknown, offset: number) => Frame;

type Waiting = { value: unknown; offset: number } | { error: FrameError };

/** One helper stream's decoder, validation and errors; frames go to `onFrame` in stream order. */
export class FramePipeline implements FrameSink {
  private readonly decoder = new FrameDecoder();
  /** frames that could not be decoded or validated, in stream order */
  readonly errors: FrameError[] = [];
  private parse: FrameParser | null;
  private readonly load: (() => Promise<FrameParser>) | null;
  private waiting: Waiting[] | null = null;
  private drained: Promise<void> = Promise.resolve();
  private ended = false;

  /**
   * `parser`: zod's parseFrame, or a function loading it (called at most once, when first needed).
   * `onSettled`: after frames that waited for the parser were handled (errors may have grown).
   */
  constructor(
    private readonly onFrame: (frame: Frame) => void,
    parser: FrameParser | { load: () => Promise<FrameParser> },
    private readonly onSettled: () => void = () => undefined,
  ) {
    if (typeof parser === 'function') {
      this.parse = parser;
      this.load = null;
    } else {
      this.parse = null;
      this.load = parser.load;
    }
  }

  /** Byte offset in the stream of the next frame to decode. */
  get position(): number {
    return this.decoder.position;
  }

  /** The next chunk of the stream. */
  push(chunk: Uint8Array): void {
    this.decoder.feed(chunk, this);
  }

  /** End of stream: a frame cut short is an error. Only the first call counts. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const tail = this.decoder.end();
    if (tail !== null) this.error(tail);
  }

  /** Resolves when every frame pushed so far has been handled (none waits for the parser). */
  settled(): Promise<void> {
    return this.drained;
  }

  value(value: unknown, offset: number): void {
    if (this.waiting !== null) this.waiting.push({ value, offset });
    else if (isCanonicalFrame(value)) this.onFrame(value);
    else if (this.parse !== null) this.validate(value, offset);
    else {
      this.waiting = [{ value, offset }];
      this.drained = this.waitForParser();
    }
  }

  error(error: FrameError): void {
    if (this.waiting !== null) this.waiting.push({ error });
    else this.errors.push(error);
  }

  private validate(value: unknown, offset: number): void {
    let frame: Frame;
    try {
      frame = this.parse!(value, offset);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.errors.push(error);
      return;
    }
    this.onFrame(frame);
  }

  private async waitForParser(): Promise<void> {
    this.parse = await this.load!();
    const waiting = this.waiting!;
    this.waiting = null;
    for (const item of waiting) {
      if ('error' in item) this.errors.push(item.error);
      else if (isCanonicalFrame(item.value)) this.onFrame(item.value);
      else this.validate(item.value, item.offset);
    }
    this.onSettled();
  }
}
