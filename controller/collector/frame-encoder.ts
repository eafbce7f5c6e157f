// The inverse of the frame decoder, for the controller's own frames in a recording: a 4-byte
// big-endian length, then one msgpack map (the helper's framing, so one reader reads both).
import { Packr } from 'msgpackr/pack';

const packr = new Packr({ useRecords: false });

export function encodeFrame(value: Record<string, unknown>): Buffer {
  const body = packr.pack(value);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}
