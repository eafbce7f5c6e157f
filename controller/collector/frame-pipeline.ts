// The helper's byte stream, chunk by chunk, to validated frames, in stream order as they arrive:
// decoded (frame-decoder.ts), checked by the fast guard (frame-guard.ts), and what the guard
// leaves over (an older helper's frame, or an invalid one) validated by zod (schema/frames.ts).
// The guard is there for speed alone. Per frame (200k frames, this machine, warmed up): decoding
// ~1.8 us, zod ~1.8 us (4-5 us before V8 has optimised it), the guard ~0.1-0.2 us; a build of
// 300 files sends ~70k frames, creating and removing 50k files ~155k.
// The live collector and replay (decodeFrames, below) use this same pipeline, so both give the
// same frames and errors.
import { parseFrame, type Frame } from '../schema/frames.js';
import { FrameError } from '../schema/frame-error.js';
import { FrameDecoder, type FrameSink } from './frame-decoder.js';
import { isCanonicalFrame } from './frame-guard.js';

/** Validate one decoded value: the guard, else zod (which normalises it or throws FrameError). */
export function validateFrame(value: unknown, offset: number): Frame {
  return isCanonicalFrame(value) ? value : parseFrame(value, offset);
}

/** One helper stream's decoder, validation and errors; frames go to `onFrame` in stream order. */
export class FramePipeline implements FrameSink {
  private readonly decoder = new FrameDecoder();
  /** frames that could not be decoded or validated, in stream order */
  readonly errors: FrameError[] = [];
  private ended = false;

  constructor(private readonly onFrame: (frame: Frame) => void) {}

  /** Byte offset in the stream of the next frame to decode. */
  get position(): number {
    return this.decoder.position;
  }

  /** The next chunk of the stream; none after the end. */
  push(chunk: Uint8Array): void {
    if (!this.ended) this.decoder.feed(chunk, this);
  }

  /** End of stream: a frame cut short is an error. Only the first call counts. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const tail = this.decoder.end();
    if (tail !== null) this.error(tail);
  }

  value(value: unknown, offset: number): void {
    let frame: Frame;
    try {
      frame = validateFrame(value, offset);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.errors.push(error);
      return;
    }
    this.onFrame(frame);
  }

  error(error: FrameError): void {
    this.errors.push(error);
  }
}

/** Decode a whole stream held in memory (replay); frames go to `onFrame` one by one, the errors are returned. */
export function decodeFrames(bytes: Uint8Array, onFrame: (frame: Frame) => void): FrameError[] {
  const pipeline = new FramePipeline(onFrame);
  pipeline.push(bytes);
  pipeline.end();
  return pipeline.errors;
}

/** Decode a whole stream into a list of frames (tests, small streams). */
export function decodeFrameStream(bytes: Uint8Array): { frames: Frame[]; errors: FrameError[] } {
  const frames: Frame[] = [];
  const errors = decodeFrames(bytes, (frame) => frames.push(frame));
  return { frames, errors };
}
