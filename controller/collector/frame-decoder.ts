// Streaming decoder of the helper's stdout: 4-byte big-endian length, then one msgpack map.
// Chunks are kept as a list and a frame is copied only when it straddles chunk boundaries,
// so a long stream is decoded in linear time whatever the chunking; a frame inside one chunk
// (the common case: a pipe read holds hundreds) is decoded from a view of it.
import { Unpackr } from 'msgpackr/unpack';
import { FrameError } from '../schema/frame-error.js';

export const MAX_FRAME_BYTES = 1024 * 1024;
const PREFIX_BYTES = 4;

/** One item out of the decoder: a decoded msgpack value, or an error for one frame. */
export type DecodedItem =
  | { ok: true; offset: number; length: number; value: unknown }
  | { ok: false; error: FrameError; fatal: boolean };

/** Where decoded frames go, one call each, in stream order (no per-frame item objects). */
export interface FrameSink {
  /** one decoded msgpack value, the frame's length prefix at stream offset `offset` */
  value(value: unknown, offset: number, length: number): void;
  /** one frame that could not be decoded; `fatal`: the rest of the stream is ignored */
  error(error: FrameError, fatal: boolean): void;
}

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** Decode one frame body (exactly one msgpack value) with the decoder's settings. */
export function unpackFrameBody(body: Uint8Array): unknown {
  return unpackr.unpack(body);
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private first = 0; // index of the first unread chunk (consumed chunks are compacted away lazily)
  private head = 0; // read position inside chunks[first]
  private buffered = 0; // unread bytes over all chunks
  private offset = 0; // stream offset of the next unread byte
  private failed: FrameError | null = null;

  /** Byte offset in the stream of the next frame to decode. */
  get position(): number {
    return this.offset;
  }

  /** Feed the next chunk; returns every frame completed by it, in order. */
  push(chunk: Uint8Array): DecodedItem[] {
    const items: DecodedItem[] = [];
    this.feed(chunk, {
      value: (value, offset, length) => items.push({ ok: true, offset, length, value }),
      error: (error, fatal) => items.push({ ok: false, error, fatal }),
    });
    return items;
  }

  /** Feed the next chunk; every frame completed by it goes to `sink`, in order. */
  feed(chunk: Uint8Array, sink: FrameSink): void {
    if (this.failed !== null || chunk.length === 0) return;
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.buffered === 0) this.feedWhole(buffer, sink);
    else {
      this.chunks.push(buffer);
      this.buffered += buffer.length;
    }
    while (this.buffered >= PREFIX_BYTES) {
      const length = this.peekLength();
      if (length === 0 || length > MAX_FRAME_BYTES) {
        this.fail(length, sink);
        return;
      }
      if (this.buffered < PREFIX_BYTES + length) break;
      const frameOffset = this.offset;
      this.skip(PREFIX_BYTES);
      this.decode(this.take(length), frameOffset, sink);
      // the rest of the current chunk holds whole frames again: decode them in place
      if (this.first === this.chunks.length - 1 && this.head > 0) {
        const rest = this.chunks[this.first]!.subarray(this.head);
        this.chunks = [];
        this.first = 0;
        this.head = 0;
        this.buffered = 0;
        this.feedWhole(rest, sink);
      }
    }
  }

  /**
   * The common case: nothing buffered, a chunk holding many whole frames. They are decoded from
   * views of the chunk, and only an incomplete last frame is kept for the next chunk.
   */
  private feedWhole(chunk: Buffer, sink: FrameSink): void {
    const size = chunk.length;
    let pos = 0;
    while (size - pos >= PREFIX_BYTES) {
      const length = chunk.readUInt32BE(pos);
      if (length === 0 || length > MAX_FRAME_BYTES) break; // reported by the general path
      if (size - pos - PREFIX_BYTES < length) break;
      const frameOffset = this.offset;
      this.offset += PREFIX_BYTES + length;
      pos += PREFIX_BYTES;
      this.decode(chunk.subarray(pos, pos + length), frameOffset, sink);
      pos += length;
    }
    if (pos < size) {
      this.chunks.push(pos === 0 ? chunk : chunk.subarray(pos));
      this.buffered += size - pos;
    }
  }

  private decode(body: Buffer, frameOffset: number, sink: FrameSink): void {
    let value: unknown;
    try {
      value = unpackr.unpack(body);
    } catch (cause) {
      const msg = cause instanceof Error ? cause.message : String(cause);
      sink.error(new FrameError(`not one msgpack value: ${msg}`, frameOffset, [], { cause }), false);
      return;
    }
    sink.value(value, frameOffset, body.length);
  }

  private fail(length: number, sink: FrameSink): void {
    const why = length === 0 ? 'length 0' : `length ${length} exceeds the 1 MiB limit`;
    this.failed = new FrameError(`bad frame length prefix: ${why}; the rest of the stream is ignored`, this.offset);
    this.drop();
    sink.error(this.failed, true);
  }

  /** Call at end of stream: an error when a frame was cut short, else null. */
  end(): FrameError | null {
    if (this.failed !== null || this.buffered === 0) return null;
    const have = this.buffered;
    const expect = have >= PREFIX_BYTES ? `${PREFIX_BYTES + this.peekLength()} bytes` : 'a 4-byte length prefix';
    const error = new FrameError(`truncated frame at end of stream: expected ${expect}, got ${have}`, this.offset);
    this.drop();
    return error;
  }

  private peekLength(): number {
    let value = 0;
    let i = 0;
    let pos = this.head;
    for (let c = this.first; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
      for (; pos < chunk.length && i < PREFIX_BYTES; pos++, i++) value = value * 256 + chunk[pos]!;
      if (i === PREFIX_BYTES) break;
      pos = 0;
    }
    return value;
  }

  private skip(n: number): void {
    this.offset += n;
    this.buffered -= n;
    while (n > 0) {
      const chunk = this.chunks[this.first]!;
      const avail = chunk.length - this.head;
      if (n < avail) {
        this.head += n;
        return;
      }
      n -= avail;
      this.first++;
      this.head = 0;
    }
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first >= 1024) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }

  private take(n: number): Buffer {
    const first = this.chunks[this.first]!;
    if (first.length - this.head >= n) {
      const view = first.subarray(this.head, this.head + n);
      this.skip(n);
      return view;
    }
    // the frame straddles chunks: copy it once
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.first]!;
      const count = Math.min(n - filled, chunk.length - this.head);
      chunk.copy(out, filled, this.head, this.head + count);
      filled += count;
      this.skip(count);
    }
    return out;
  }

  private drop(): void {
    this.offset += this.buffered;
    this.chunks = [];
    this.first = 0;
    this.head = 0;
    this.buffered = 0;
  }
}
