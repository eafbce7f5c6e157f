// Decode and validate a whole recorded helper stream at once (replay, tests): the same path
// as the live collector, so both give the same frames and the same errors.
import { parseFrame, type Frame } from '../schema/frames.js';
import { FrameError } from '../schema/frame-error.js';
import { FrameDecoder, type DecodedItem } from './frame-decoder.js';

export interface DecodedStream {
  frames: Frame[];
  errors: FrameError[];
}

/** Validate decoder output into frames and errors (appended to `into`). */
export function acceptItems(items: readonly DecodedItem[], into: DecodedStream): Frame[] {
  const fresh: Frame[] = [];
  for (const item of items) {
    if (!item.ok) {
      into.errors.push(item.error);
      continue;
    }
    try {
      const frame = parseFrame(item.value, item.offset);
      into.frames.push(frame);
      fresh.push(frame);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      into.errors.push(error);
    }
  }
  return fresh;
}

export function decodeFrameStream(bytes: Uint8Array): DecodedStream {
  const out: DecodedStream = { frames: [], errors: [] };
  const decoder = new FrameDecoder();
  acceptItems(decoder.push(bytes), out);
  const tail = decoder.end();
  if (tail !== null) out.errors.push(tail);
  return out;
}
