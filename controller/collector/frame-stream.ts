// Decoding and validation of the helper's byte stream, chunk by chunk: each valid frame goes to
// a callback as soon as it is complete, each bad one becomes a FrameError. The live collector
// and replay use the same class, so both give the same frames and the same errors.
import { parseFrame, type Frame } from '../schema/frames.js';
import { FrameError } from '../schema/frame-error.js';
import { FrameDecoder, type FrameSink } from './frame-decoder.js';
import { isCanonicalFrame } from './frame-guard.js';

/** Validate one decoded value: the fast guard, else zod (which normalises or throws FrameError). */
export function validateFrame(value: unknown, offset: number): Frame {
  return isCanonicalFrame(value) ? value : parseFrame(value, offset);
}

export class FrameStream implements FrameSink {
  private readonly decoder = new FrameDecoder();
  /** frames that could not be decoded or validated, in stream order */
  readonly errors: FrameError[] = [];
  private ended = false;

  constructor(private readonly onFrame: (frame: Frame) => void) {}

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
    if (tail !== null) this.errors.push(tail);
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

/** Decode a whole stream held in memory; frames go to `onFrame`, the errors are returned. */
export function decodeFrames(bytes: Uint8Array, onFrame: (frame: Frame) => void): FrameError[] {
  const stream = new FrameStream(onFrame);
  stream.push(bytes);
  stream.end();
  return stream.errors;
}

export interface DecodedStream {
  frames: Frame[];
  errors: FrameError[];
}

/** Decode a whole stream into a list of frames (tests, small streams): decodeFrames, collected. */
export function decodeFrameStream(bytes: Uint8Array): DecodedStream {
  const frames: Frame[] = [];
  const errors = decodeFrames(bytes, (frame) => frames.push(frame));
  return { frames, errors };
}
