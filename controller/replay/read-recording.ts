// Splits a recording (FORMAT.md) into its parts: start facts, the helper's byte stream, run
// facts. Trusts nothing: every length is checked against the file, every frame validated, the
// digest compared; what is wrong becomes a RecordingError naming the byte offset. Throws only
// when not even the start facts can be read; otherwise returns what there is plus the damage.
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { FrameDecoder, unpackFrameBody } from '../collector/frame-decoder.js';
import { OLDEST_PROTOCOL_VERSION, PROTOCOL_VERSION, isReadableProtocol } from '../schema/frames.js';
import { decodeFrames } from '../collector/frame-pipeline.js';
import { FrameError } from '../schema/frame-error.js';
import {
  END_MARKER,
  FOOTER_BYTES,
  HEADER_BYTES,
  MAX_CONTROL_FRAME_BYTES,
  RECORDING_FORMAT,
  RECORDING_MAGIC,
  RecordingFrame,
  RunFrame,
  type StartFacts,
} from '../schema/recording.js';
import {
  DamagedRecordingError,
  InvalidRecordingFrameError,
  NotARecordingError,
  RecordingError,
  TruncatedRecordingError,
  UnsupportedFormatError,
  UnsupportedProtocolError,
} from './errors.js';

export interface RecordingParts {
  start: StartFacts;
  /** file offset of the helper's stream */
  helperOffset: number;
  /** the helper's stream as recorded (cut after the last complete frame when truncated) */
  helper: Buffer;
  /** the run facts, null when missing or unreadable */
  run: RunFrame | null;
  /** why the recording is not whole, null for a good one */
  damage: RecordingError | null;
}

/** Read a whole recording held in memory; throws RecordingError when nothing is usable. */
export function readRecording(bytes: Buffer): RecordingParts {
  const size = bytes.length;
  if (size === 0) throw new NotARecordingError('the file is empty');
  const head = Math.min(size, RECORDING_MAGIC.length);
  if (!bytes.subarray(0, head).equals(RECORDING_MAGIC.subarray(0, head))) {
    throw new NotARecordingError('it does not start with the GHREC header');
  }
  if (size < HEADER_BYTES) throw new TruncatedRecordingError(size, 0, 'the header itself is cut short');
  const format = bytes.readUInt16BE(RECORDING_MAGIC.length);
  if (format !== RECORDING_FORMAT) throw new UnsupportedFormatError(format, RECORDING_FORMAT);

  const first = controlFrame(bytes, HEADER_BYTES, size, RecordingFrame, 'recording', true);
  const protocol = first.value.helper_protocol;
  if (!isReadableProtocol(protocol)) throw new UnsupportedProtocolError(protocol, OLDEST_PROTOCOL_VERSION, PROTOCOL_VERSION);
  const start = first.value.start;
  const helperOffset = first.end;

  const hasFooter = size >= helperOffset + FOOTER_BYTES && bytes.subarray(size - END_MARKER.length).equals(END_MARKER);
  if (!hasFooter) return truncated(bytes, start, helperOffset);

  const footer = size - FOOTER_BYTES;
  const digestOk = createHash('sha256')
    .update(bytes.subarray(0, footer + 8))
    .digest()
    .equals(bytes.subarray(footer + 8, footer + 40));
  const pointer = bytes.readBigUInt64BE(footer);
  let run: RunFrame | null = null;
  let runProblem: RecordingError | null = null;
  let helperEnd = footer;
  if (pointer < BigInt(helperOffset) || pointer > BigInt(footer)) {
    runProblem = new DamagedRecordingError(`the footer at byte ${footer} points to byte ${pointer}, outside the recording`, footer);
  } else {
    helperEnd = Number(pointer);
    try {
      const found = controlFrame(bytes, helperEnd, footer, RunFrame, 'run', false);
      if (found.end !== footer) {
        runProblem = new DamagedRecordingError(`the run frame at byte ${helperEnd} ends at byte ${found.end}, not at the footer (byte ${footer})`, helperEnd);
      } else run = found.value;
    } catch (error) {
      if (!(error instanceof RecordingError)) throw error;
      runProblem = error;
    }
  }
  const helper = bytes.subarray(helperOffset, helperEnd);
  let damage: RecordingError | null = null;
  if (!digestOk) damage = firstProblem(helper, helperOffset, runProblem, footer);
  else if (runProblem !== null) damage = runProblem;
  else if (run !== null && run.helper.bytes !== helper.length) {
    damage = new DamagedRecordingError(`the run frame counts ${run.helper.bytes} helper bytes, the file holds ${helper.length}`, helperEnd);
  }
  return { start, helperOffset, helper, run, damage };
}

/** No footer: keep the complete frames, stop at the run frame if it made it. */
function truncated(bytes: Buffer, start: StartFacts, helperOffset: number): RecordingParts {
  const size = bytes.length;
  const decoder = new FrameDecoder();
  const items = decoder.push(bytes.subarray(helperOffset));
  let end = decoder.position; // after the last complete frame (everything, if a length was bad)
  let readable = end;
  let run: RunFrame | null = null;
  for (const item of items) {
    if (!item.ok) {
      if (item.fatal) end = readable = item.error.offset;
      continue;
    }
    const value = item.value as { t?: unknown } | null;
    if (value === null || typeof value !== 'object' || value.t !== 'run') continue;
    const parsed = RunFrame.safeParse(value);
    end = readable = item.offset;
    if (parsed.success) {
      run = parsed.data;
      readable = item.offset + 4 + item.length;
    }
    break;
  }
  const missing = run !== null ? 'the footer (end marker and checksum) is missing' : 'the run facts and the footer are missing';
  const readableTo = helperOffset + readable;
  return {
    start,
    helperOffset,
    helper: bytes.subarray(helperOffset, helperOffset + end),
    run,
    damage: new TruncatedRecordingError(size, readableTo, missing),
  };
}

/** Checksum mismatch: name the first frame that is wrong, if one is. */
function firstProblem(helper: Buffer, helperOffset: number, runProblem: RecordingError | null, footer: number): RecordingError {
  const errors = decodeFrames(helper, () => undefined);
  const frame = errors[0] ? new InvalidRecordingFrameError(errors[0].relocated(helperOffset), errors.length) : null;
  const first = frame ?? runProblem;
  const why = `its checksum does not match: bytes were changed after it was written`;
  return new DamagedRecordingError(first !== null ? `${why}; the first bad frame: ${first.message}` : why, first?.offset ?? footer, {
    cause: first ?? undefined,
  });
}

/**
 * One controller frame at `offset`, within `limit`. Past the limit is truncation in a file
 * being read front to back (`truncates`), damage when a footer said where it should be.
 */
function controlFrame<S extends z.ZodType>(
  bytes: Buffer,
  offset: number,
  limit: number,
  schema: S,
  what: string,
  truncates: boolean,
): { value: z.output<S>; end: number } {
  const past = (need: number): RecordingError =>
    truncates
      ? new TruncatedRecordingError(limit, offset, `the ${what} frame at byte ${offset} needs ${need} bytes`)
      : new DamagedRecordingError(`the ${what} frame at byte ${offset} runs past byte ${limit}`, offset);
  if (offset + 4 > limit) throw past(4);
  const length = bytes.readUInt32BE(offset);
  if (length === 0 || length > MAX_CONTROL_FRAME_BYTES) {
    throw new DamagedRecordingError(`the ${what} frame at byte ${offset} has an impossible length (${length})`, offset);
  }
  if (offset + 4 + length > limit) throw past(4 + length);
  let value: unknown;
  try {
    value = unpackFrameBody(bytes.subarray(offset + 4, offset + 4 + length));
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw new InvalidRecordingFrameError(new FrameError(`not one msgpack value: ${msg}`, offset, [], { cause }));
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = (issue?.path ?? []).map((p) => (typeof p === 'symbol' ? String(p) : p));
    throw new InvalidRecordingFrameError(new FrameError(`invalid ${what} frame: ${issue?.message ?? 'does not match'}`, offset, path));
  }
  return { value: result.data, end: offset + 4 + length };
}
