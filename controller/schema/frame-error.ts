// A helper frame that could not be read or validated, located by its byte offset in the
// helper's stdout stream, so a bad frame is a typed error at the boundary, not a bad receipt.
export class FrameError extends Error {
  override name = 'FrameError';
  /** byte offset of the frame's length prefix in the stream */
  readonly offset: number;
  /** path of the offending field inside the frame (zod issue path), empty for the whole frame */
  readonly path: ReadonlyArray<string | number>;
  /** what is wrong, without the location */
  readonly detail: string;

  constructor(detail: string, offset: number, path: ReadonlyArray<string | number> = [], options?: { cause?: unknown }) {
    const where = path.length > 0 ? ` (field ${path.join('.')})` : '';
    super(`frame at byte ${offset}: ${detail}${where}`, options);
    this.offset = offset;
    this.path = path;
    this.detail = detail;
  }

  /** The same error located in a larger file where the stream starts at byte `base`. */
  relocated(base: number): FrameError {
    return new FrameError(this.detail, base + this.offset, this.path, { cause: this.cause });
  }
}
