// A fast path of msgpack decoding for the five event frames exactly as helper/frames.c writes
// them: a map whose keys come in the helper's order, with values of the few msgpack types the
// helper uses (positive ints, nil, booleans, ASCII strings, arrays of those). For such bytes it
// returns what msgpackr's Unpackr (frame-decoder.ts's settings) returns; for anything else it
// returns undefined and msgpackr decodes the frame, so msgpackr stays the decoder of record.
// Why: msgpackr's per-frame setup (a view, a DataView, a key cache walk, a keyed store per
// field) was half of the controller's work per event. test/collector/event-unpack.ts holds the
// two to each other on the recorded fixtures, built frames and mutations of both.

/** The helper's key order of each event frame (helper/frames.c), `t` first. */
const LAYOUTS = {
  exec: ['t', 'ts', 'pid', 'start', 'tid', 'ppid', 'uid', 'euid', 'call', 'path', 'base', 'err', 'exe', 'cwd', 'argv', 'argv_truncated', 'privileged'],
  fork: ['t', 'ts', 'pid', 'start', 'ppid', 'pstart', 'uid', 'cwd'],
  exit: ['t', 'ts', 'pid', 'start', 'code', 'sig', 'core'],
  open: ['t', 'ts', 'pid', 'start', 'tid', 'call', 'flags', 'mode', 'err', 'path', 'base', 'path_truncated'],
  net: ['t', 'ts', 'pid', 'start', 'tid', 'op', 'family', 'proto', 'addr', 'port', 'err'],
} as const;

type Type = keyof typeof LAYOUTS;

interface Layout {
  type: Type;
  /** msgpack bytes of the keys after `t` (fixstr each), one array per key */
  keys: Uint8Array[];
  /** the object, keys in the helper's order, from the values in `v` (v[0] unused: `t`) */
  make: (v: unknown[]) => object;
}

const MAKE: Record<Type, (v: unknown[]) => object> = {
  exec: (v) => ({
    t: 'exec', ts: v[1], pid: v[2], start: v[3], tid: v[4], ppid: v[5], uid: v[6], euid: v[7], call: v[8], path: v[9],
    base: v[10], err: v[11], exe: v[12], cwd: v[13], argv: v[14], argv_truncated: v[15], privileged: v[16],
  }),
  fork: (v) => ({ t: 'fork', ts: v[1], pid: v[2], start: v[3], ppid: v[4], pstart: v[5], uid: v[6], cwd: v[7] }),
  exit: (v) => ({ t: 'exit', ts: v[1], pid: v[2], start: v[3], code: v[4], sig: v[5], core: v[6] }),
  open: (v) => ({
    t: 'open', ts: v[1], pid: v[2], start: v[3], tid: v[4], call: v[5], flags: v[6], mode: v[7], err: v[8], path: v[9],
    base: v[10], path_truncated: v[11],
  }),
  net: (v) => ({
    t: 'net', ts: v[1], pid: v[2], start: v[3], tid: v[4], op: v[5], family: v[6], proto: v[7], addr: v[8], port: v[9],
    err: v[10],
  }),
};

const fixstr = (s: string): Uint8Array => Uint8Array.from([0xa0 | s.length, ...Buffer.from(s, 'latin1')]);

/** Layouts by the length of the type name and its first byte: exec/exit/open/fork (4), net (3). */
const BY_TYPE = new Map<string, Layout>(
  (Object.keys(LAYOUTS) as Type[]).map((type) => [type, { type, keys: LAYOUTS[type].slice(1).map(fixstr), make: MAKE[type] }]),
);

const MISS = undefined;
const values: unknown[] = new Array(17);

// the frame being decoded (one at a time, never re-entered)
let src: Buffer = Buffer.alloc(0);
let view: DataView = new DataView(new ArrayBuffer(0));
let pos = 0;
let end = 0;

/**
 * Decode the event frame body in `bytes[start, stop)` (`dataView` over the same bytes as
 * `bytes`), or undefined when it is not in the helper's plain form: then msgpackr must decode
 * it. Never throws.
 */
export function unpackEventFrame(bytes: Buffer, dataView: DataView, start: number, stop: number): object | undefined {
  src = bytes;
  view = dataView;
  pos = start;
  end = stop;
  let count: number;
  const head = src[pos]!;
  if (head >= 0x80 && head <= 0x8f) {
    count = head - 0x80;
    pos += 1;
  } else if (head === 0xde && pos + 3 <= end) {
    count = view.getUint16(pos + 1);
    pos += 3;
  } else return MISS;
  // `t` and its value
  if (pos + 2 > end || src[pos] !== 0xa1 || src[pos + 1] !== 0x74) return MISS;
  pos += 2;
  const type = readValue();
  if (typeof type !== 'string') return MISS;
  const layout = BY_TYPE.get(type);
  if (layout === undefined || count !== layout.keys.length + 1) return MISS;
  const keys = layout.keys;
  for (let i = 0; i < keys.length; i++) {
    if (!readKey(keys[i]!)) return MISS;
    const value = readValue();
    if (value === MISS) return MISS;
    values[i + 1] = value;
  }
  if (pos !== end) return MISS; // msgpackr says what is wrong
  return layout.make(values);
}

function readKey(key: Uint8Array): boolean {
  const n = key.length;
  if (pos + n > end) return false;
  for (let i = 0; i < n; i++) if (src[pos + i] !== key[i]) return false;
  pos += n;
  return true;
}

function readValue(): unknown {
  if (pos >= end) return MISS;
  const token = src[pos++]!;
  if (token < 0x80) return token;
  if (token >= 0xa0 && token <= 0xbf) return readString(token - 0xa0);
  if (token >= 0x90 && token <= 0x9f) return readArray(token - 0x90);
  switch (token) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xcc:
      return pos + 1 <= end ? src[pos++] : MISS;
    case 0xcd: {
      if (pos + 2 > end) return MISS;
      const value = view.getUint16(pos);
      pos += 2;
      return value;
    }
    case 0xce: {
      if (pos + 4 > end) return MISS;
      const value = view.getUint32(pos);
      pos += 4;
      return value;
    }
    case 0xcf: {
      if (pos + 8 > end) return MISS;
      // as msgpackr computes it for int64AsType 'number': one rounding, at the sum
      const value = view.getUint32(pos) * 0x100000000 + view.getUint32(pos + 4);
      pos += 8;
      return value;
    }
    case 0xd9: {
      if (pos + 1 > end) return MISS;
      const n = src[pos++]!;
      return readString(n);
    }
    case 0xda: {
      if (pos + 2 > end) return MISS;
      const n = view.getUint16(pos);
      pos += 2;
      return readString(n);
    }
    case 0xdc: {
      if (pos + 2 > end) return MISS;
      const n = view.getUint16(pos);
      pos += 2;
      return readArray(n);
    }
    default:
      return MISS;
  }
}

function readArray(n: number): unknown[] | undefined {
  if (pos + n > end) return MISS; // at least a byte per element
  const array = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const value = readValue();
    if (value === MISS) return MISS;
    array[i] = value;
  }
  return array;
}

// short strings (call and errno names, modes, families, protocols, addresses) repeat: the same
// bytes give the same string object, so they are not rebuilt per event
const SHORT = 24;
const INTERN_SLOTS = 512;
const internBytes: (Uint8Array | null)[] = new Array<Uint8Array | null>(INTERN_SLOTS).fill(null);
const internStrings: string[] = new Array<string>(INTERN_SLOTS).fill('');

/** An ASCII string of `n` bytes (non-ASCII: MISS, for msgpackr's UTF-8 decoding). */
function readString(n: number): string | undefined {
  const start = pos;
  const stop = pos + n;
  if (stop > end) return MISS;
  if (n <= SHORT) {
    let hash = n;
    for (let i = start; i < stop; i++) {
      const c = src[i]!;
      if (c >= 0x80) return MISS;
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    pos = stop;
    const slot = hash & (INTERN_SLOTS - 1);
    const known = internBytes[slot]!;
    if (known !== null && known.length === n) {
      let i = 0;
      while (i < n && known[i] === src[start + i]) i++;
      if (i === n) return internStrings[slot];
    }
    const s = latin1(start, stop);
    internBytes[slot] = Uint8Array.prototype.slice.call(src, start, stop); // a copy, not a view of the chunk
    internStrings[slot] = s;
    return s;
  }
  let i = start;
  for (; i + 4 <= stop; i += 4) if ((view.getUint32(i) & 0x80808080) !== 0) return MISS;
  for (; i < stop; i++) if (src[i]! >= 0x80) return MISS;
  pos = stop;
  return latin1(start, stop);
}

const latin1 = (start: number, stop: number): string => src.toString('latin1', start, stop);
