// Decoding and validation of a whole helper stream held in memory (replay, tests): the live
// collector's pipeline (frame-pipeline.ts), with zod at hand from the start, so both give the
// same frames and the same errors.
import { parseFrame, type Frame } from '../schema/frames.js';
import type { FrameError } from '../schema/frame-error.js';
import { isCanonicalFrame } from './frame-guard.js';
import { FramePipeline } from './frame-pipeline.js';

/** Validate one decoded value: the fast guard, else zod (which normalises or throws FrameError). */
export function validateFrame(value: unknown, offset: number): Frame {
  return isCanonicalFrame(value) ? value : parseFrame(value, offset);
}

/** Decode a whole stream; frames go to `onFrame` one by one, the errors are returned. */
export function decodeFrames(bytes: Uint8Array, onFrame: (frame: Frame) => void): FrameError[] {
  const pipeline = new FramePipeline(onFrame, parseFrame);
  pipeline.push(bytes);
  pipeline.end();
  return pipeline.errors;
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
