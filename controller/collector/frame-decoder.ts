// Streaming decoder of the helper's stdout: 4-byte big-endian length, then one msgpack map.
// Chunks are kept as a list and a frame is copied only when it straddles chunk boundaries,
// so a long stream is decoded in linear time whatever the chunking.
import { Unpackr } from 'msgpackr';
import { FrameError } from '../schema/frame-error.js';

export const MAX_FRAME_BYTES = 1024 * 1024;
const PREFIX_BYTES = 4;

/** One item out of the decoder: a decoded msgpack value, or an error for one frame. */
export type DecodedItem =
  | { ok: true; offset: number; length: number; value: unknown }
  | { ok: false; error: FrameError; fatal: boolean };

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
    if (this.failed !== null || chunk.length === 0) return [];
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.buffered += chunk.length;
    const items: DecodedItem[] = [];
    while (this.buffered >= PREFIX_BYTES) {
      const length = this.peekLength();
      if (length === 0 || length > MAX_FRAME_BYTES) {
        const why = length === 0 ? 'length 0' : `length ${length} exceeds the 1 MiB limit`;
        this.failed = new FrameError(`bad frame length prefix: ${why}; the rest of the stream is ignored`, this.offset);
        this.drop();
        items.push({ ok: false, error: this.failed, fatal: true });
        break;
      }
      if (this.buffered < PREFIX_BYTES + length) break;
      const frameOffset = this.offset;
      this.skip(PREFIX_BYTES);
      const body = this.take(length);
      try {
        items.push({ ok: true, offset: frameOffset, length, value: unpackr.unpack(body) });
      } catch (cause) {
        const msg = cause instanceof Error ? cause.message : String(cause);
        items.push({ ok: false, fatal: false, error: new FrameError(`not one msgpack value: ${msg}`, frameOffset, [], { cause }) });
      }
    }
    return items;
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
