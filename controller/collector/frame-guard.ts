// Fast hand-written checks of the helper's frames, for the hot path. The zod schemas in
// schema/frames.ts stay the one definition of a frame; a guard accepts a decoded value only
// when zod would accept it AND zod's output would equal it (every key present, ints as
// numbers, nil only where zod keeps null, no extra keys), so the decoded object is used as is.
// Anything else (an invalid frame, or a valid one that zod would rewrite: a bigint, a missing
// optional key, an extra key) goes to zod, which says what is wrong or normalises it.
// test/collector/frame-guard.ts holds the two to each other on a corpus of frames and mutations.
import { CHANGE_OPS } from '../schema/change-ops.js';
import { NET_OPS, type Frame } from '../schema/frames.js';

type Fields = Record<string, unknown>;

const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
const isStr = (v: unknown): boolean => typeof v === 'string';
const isOptStr = (v: unknown): boolean => v === null || typeof v === 'string';
const isOptInt = (v: unknown): boolean => v === null || isInt(v);
const isBool = (v: unknown): boolean => typeof v === 'boolean';

function isArgv(v: unknown): boolean {
  if (v === null) return true;
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

function isCounts(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const k in v) if (!isInt((v as Fields)[k])) return false;
  return true;
}

function isPlainObject(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Number of enumerable keys (no array allocated, unlike Object.keys). */
function keyCount(o: Fields): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

const isPosInt = (v: unknown): boolean => isInt(v) && (v as number) > 0;
/**
 * Key count of a frame with `base` keys and the optional keys named (each absent, or valid by
 * its check); -1 when one of them is present and invalid.
 */
function withOptional(f: Fields, base: number, optional: Readonly<Record<string, (v: unknown) => boolean>>): number {
  let n = base;
  for (const key in optional) {
    const v = f[key];
    if (v === undefined) continue;
    if (!optional[key]!(v)) return -1;
    n++;
  }
  return n;
}
const isTrue = (v: unknown): boolean => v === true;
// every event frame may carry these (protocol 3)
const NS = { mnt_ns: isPosInt };
const NS_RID = { ...NS, rid: isPosInt };
const isStrings = (v: unknown): boolean => v !== null && isArgv(v);
const isIdent = (f: Fields): boolean => isInt(f.ts) && isInt(f.pid) && isInt(f.start);

function isRepeats(f: Fields): boolean {
  const c = f.counts;
  if (!Array.isArray(c) || c.length % 2 !== 0 || keyCount(f) !== 2) return false;
  for (let i = 0; i < c.length; i++) if (!isInt(c[i])) return false;
  return true;
}

const OPEN_MODES: ReadonlySet<unknown> = new Set(['read', 'write', 'readwrite', 'path']);
const NET_OP_SET: ReadonlySet<unknown> = new Set(NET_OPS);
const NET_FAMILIES: ReadonlySet<unknown> = new Set(['inet', 'inet6', 'unix']);
const SOCKET_FAMILIES: ReadonlySet<unknown> = new Set(['inet', 'inet6', 'unix', 'other']);
const DNS_FAMILIES: ReadonlySet<unknown> = new Set(['inet', 'inet6']);
const DNS_DIRS: ReadonlySet<unknown> = new Set(['out', 'in']);
const DNS_PROTOS: ReadonlySet<unknown> = new Set(['udp', 'tcp']);
const isCount = (v: unknown): boolean => isInt(v) && (v as number) >= 0;

const isOpen = (f: Fields): boolean =>
  isIdent(f) &&
  isInt(f.tid) &&
  isStr(f.call) &&
  isInt(f.flags) &&
  OPEN_MODES.has(f.mode) &&
  isOptStr(f.err) &&
  isStr(f.path) &&
  isOptStr(f.base) &&
  isBool(f.path_truncated) &&
  isBool(f.created) &&
  isBool(f.truncated) &&
  keyCount(f) === withOptional(f, 14, NS_RID);

const CHANGE_OP_SET: ReadonlySet<unknown> = new Set(CHANGE_OPS);
const isChange = (f: Fields): boolean =>
  isIdent(f) &&
  isInt(f.tid) &&
  isStr(f.call) &&
  CHANGE_OP_SET.has(f.op) &&
  isOptStr(f.err) &&
  isOptStr(f.path) &&
  isOptStr(f.base) &&
  isOptStr(f.to) &&
  isOptStr(f.to_base) &&
  isOptStr(f.target) &&
  isOptInt(f.mode) &&
  isOptInt(f.uid) &&
  isOptInt(f.gid) &&
  isOptInt(f.size) &&
  isOptInt(f.dev) &&
  isOptInt(f.fd) &&
  isInt(f.flags) &&
  isBool(f.path_truncated) &&
  keyCount(f) === withOptional(f, 21, NS);

const EXEC_OPTIONAL = { ...NS, exe_anon: isTrue, withheld: isTrue, interpreter: isStrings, path_truncated: isTrue };
const isExec = (f: Fields): boolean =>
  isIdent(f) &&
  isInt(f.tid) &&
  isInt(f.ppid) &&
  isInt(f.uid) &&
  isInt(f.euid) &&
  isStr(f.call) &&
  isStr(f.path) &&
  isOptStr(f.base) &&
  isOptStr(f.err) &&
  isOptStr(f.exe) &&
  isOptStr(f.cwd) &&
  isArgv(f.argv) &&
  isBool(f.argv_truncated) &&
  isBool(f.privileged) &&
  keyCount(f) === withOptional(f, 17, EXEC_OPTIONAL);

const FORK_OPTIONAL = { ...NS, withheld: isTrue };
const isFork = (f: Fields): boolean =>
  isIdent(f) && isInt(f.ppid) && isInt(f.pstart) && isInt(f.uid) && isOptStr(f.cwd) && keyCount(f) === withOptional(f, 8, FORK_OPTIONAL);

const EXIT_OPTIONAL = { ...NS, withheld: isPosInt };
const isExit = (f: Fields): boolean =>
  isIdent(f) && isOptInt(f.code) && isOptStr(f.sig) && isBool(f.core) && keyCount(f) === withOptional(f, 7, EXIT_OPTIONAL);

const TAMPER_KINDS: ReadonlySet<unknown> = new Set(['signal', 'ptrace', 'memory', 'getfd', 'proc', 'pipe']);
const TAMPER_WHO: ReadonlySet<unknown> = new Set(['controller', 'helper', 'both']);
const isTamper = (f: Fields): boolean =>
  isIdent(f) &&
  isInt(f.tid) &&
  isStr(f.call) &&
  TAMPER_KINDS.has(f.kind) &&
  TAMPER_WHO.has(f.who) &&
  isInt(f.target) &&
  isOptStr(f.sig) &&
  isInt(f.arg) &&
  isOptStr(f.err) &&
  isOptStr(f.path) &&
  keyCount(f) === withOptional(f, 13, NS);

const isWithheld = (f: Fields): boolean =>
  isIdent(f) && isInt(f.tid) && isInt(f.uid) && isInt(f.euid) && isInt(f.gid) && isInt(f.egid) && keyCount(f) === withOptional(f, 9, NS);

const isMounts = (f: Fields): boolean =>
  isIdent(f) &&
  isInt(f.tid) &&
  isInt(f.mnt_ns) &&
  isStr(f.call) &&
  (f.lines === null || isArgv(f.lines)) &&
  isBool(f.truncated) &&
  isOptStr(f.err) &&
  keyCount(f) === 10;

// protocol 5: the socket's inode, the bytes of a send, the messages of a sendmmsg not reported
const NET_OPTIONAL = { ...NS_RID, ino: isCount, bytes: isCount, more: isCount };
const isNet = (f: Fields): boolean =>
  isIdent(f) &&
  isInt(f.tid) &&
  NET_OP_SET.has(f.op) &&
  NET_FAMILIES.has(f.family) &&
  isStr(f.proto) &&
  isStr(f.addr) &&
  isOptInt(f.port) &&
  isOptStr(f.err) &&
  keyCount(f) === withOptional(f, 11, NET_OPTIONAL);

// outcome: nil is a value (connected), kept as it is, so it is not in withOptional's sense absent
const SOCKET_OPTIONAL = { rid: isPosInt, peer: isStr, peer_port: isInt };
const isSocket = (f: Fields): boolean =>
  isIdent(f) &&
  isCount(f.ino) &&
  SOCKET_FAMILIES.has(f.family) &&
  isStr(f.proto) &&
  isCount(f.sent) &&
  isCount(f.received) &&
  isCount(f.sends) &&
  isCount(f.recvs) &&
  (f.outcome === undefined || isOptStr(f.outcome)) &&
  keyCount(f) === withOptional(f, 11, SOCKET_OPTIONAL) + (f.outcome === undefined ? 0 : 1);

const isDns = (f: Fields): boolean =>
  isIdent(f) &&
  isInt(f.tid) &&
  isCount(f.ino) &&
  DNS_DIRS.has(f.dir) &&
  DNS_PROTOS.has(f.proto) &&
  DNS_FAMILIES.has(f.family) &&
  isStr(f.addr) &&
  isInt(f.port) &&
  isCount(f.size) &&
  f.data instanceof Uint8Array &&
  keyCount(f) === 13;

const isHello = (f: Fields): boolean =>
  isInt(f.proto) &&
  isStr(f.version) &&
  isStr(f.arch) &&
  isInt(f.mono_ns) &&
  isInt(f.real_ns) &&
  isBool(f.argv) &&
  isInt(f.ringbuf) &&
  isStr(f.privilege) &&
  keyCount(f) === withOptional(f, 9, { pid: isInt });

const isStats = (f: Fields): boolean =>
  isInt(f.ts) && isInt(f.events) && isInt(f.lost) && isCounts(f.lost_by_type) && keyCount(f) === 5;

const isEnd = (f: Fields): boolean =>
  isInt(f.ts) &&
  isInt(f.events) &&
  isInt(f.lost) &&
  isCounts(f.lost_by_type) &&
  isCounts(f.syscalls) &&
  isStr(f.reason) &&
  keyCount(f) === 7;

/**
 * Whether `value` is a frame exactly as zod would output it (see above). False does not mean
 * invalid: it means "ask zod".
 */
export function isCanonicalFrame(value: unknown): value is Frame {
  if (!isPlainObject(value)) return false;
  switch (value.t) {
    case 'open':
      return isOpen(value);
    case 'exec':
      return isExec(value);
    case 'fork':
      return isFork(value);
    case 'exit':
      return isExit(value);
    case 'net':
      return isNet(value);
    case 'socket':
      return isSocket(value);
    case 'dns':
      return isDns(value);
    case 'change':
      return isChange(value);
    case 'hello':
      return isHello(value);
    case 'armed':
      return isInt(value.pid) && keyCount(value) === 2;
    case 'following':
      return isInt(value.pid) && keyCount(value) === withOptional(value, 2, { start: isInt });
    case 'tamper':
      return isTamper(value);
    case 'withheld':
      return isWithheld(value);
    case 'mounts':
      return isMounts(value);
    case 'signal':
      return isInt(value.ts) && isStr(value.sig) && isInt(value.pid) && isInt(value.uid) && keyCount(value) === 5;
    case 'error':
      return isStr(value.msg) && isBool(value.fatal) && keyCount(value) === 3;
    case 'repeats':
      return isRepeats(value);
    case 'stats':
      return isStats(value);
    case 'end':
      return isEnd(value);
    default:
      return false;
  }
}
