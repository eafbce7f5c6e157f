// What can be wrong with a recording, each a named error with the byte offset it is about.
import type { FrameError } from '../schema/frame-error.js';
import { HEADER_BYTES } from '../schema/recording.js';

export class RecordingError extends Error {
  override name = 'RecordingError';
  /** byte offset in the file the problem is at, when there is one */
  readonly offset: number | null;
  constructor(message: string, offset: number | null, options?: { cause?: unknown }) {
    super(message, options);
    this.offset = offset;
  }
}

/** Empty, random bytes, or a file of another kind: nothing to replay. */
export class NotARecordingError extends RecordingError {
  override name = 'NotARecordingError';
  constructor(why: string) {
    super(`not a glasshouse recording: ${why}`, 0);
  }
}

/** A glasshouse recording of a format this version does not read. */
export class UnsupportedFormatError extends RecordingError {
  override name = 'UnsupportedFormatError';
  readonly format: number;
  constructor(format: number, supported: number) {
    const who = format > supported ? 'a newer glasshouse made it' : 'an older, unsupported format';
    super(`a glasshouse recording of format ${format}, but this glasshouse reads format ${supported} (${who})`, 6);
    this.format = format;
  }
}

/** A recording of helper frames of a protocol this version does not read (a newer controller's). */
export class UnsupportedProtocolError extends RecordingError {
  override name = 'UnsupportedProtocolError';
  readonly protocol: number;
  constructor(protocol: number, oldest: number, newest: number) {
    const who = protocol > newest ? ' (a newer glasshouse made it)' : '';
    super(`a recording of helper protocol ${protocol}, but this glasshouse reads protocols ${oldest} to ${newest}${who}`, HEADER_BYTES);
    this.protocol = protocol;
  }
}

/** The file ends early: the run's end (or more) was never written. */
export class TruncatedRecordingError extends RecordingError {
  override name = 'TruncatedRecordingError';
  /** where the complete frames end (what a partial receipt is made of) */
  readonly readableTo: number;
  constructor(size: number, readableTo: number, missing: string) {
    super(`truncated at byte ${size}: complete frames end at byte ${readableTo}; ${missing}`, size);
    this.readableTo = readableTo;
  }
}

/** Bytes changed after writing, or a structure no writer produces. */
export class DamagedRecordingError extends RecordingError {
  override name = 'DamagedRecordingError';
  constructor(why: string, offset: number | null, options?: { cause?: unknown }) {
    super(`damaged: ${why}`, offset, options);
  }
}

/** A frame that cannot be decoded or fails validation, located in the file. */
export class InvalidRecordingFrameError extends RecordingError {
  override name = 'InvalidRecordingFrameError';
  readonly frameError: FrameError;
  constructor(frameError: FrameError, count = 1) {
    const more = count > 1 ? ` (and ${count - 1} more invalid frame${count > 2 ? 's' : ''})` : '';
    super(`${frameError.message}${more}`, frameError.offset, { cause: frameError });
    this.frameError = frameError;
  }
}

/** The file could not be read at all. */
export class RecordingReadError extends RecordingError {
  override name = 'RecordingReadError';
  constructor(cause: unknown) {
    super(`cannot read it: ${cause instanceof Error ? cause.message : String(cause)}`, null, { cause });
  }
}
