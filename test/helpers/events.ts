// Builders of helper frames (as the C helper would send them, PROTOCOL.md v1 to v5), of run facts,
// of the exact byte stream: 4-byte big-endian length + one msgpack map per frame, and of whole
// recordings (controller/replay/FORMAT.md), written here independently of the recorder.
import { createHash } from 'node:crypto';
import { Packr } from 'msgpackr';
import { aggregate } from '../../controller/aggregate/aggregate.js';
import { decodeFrameStream } from '../../controller/collector/frame-pipeline.js';
import type { Frame } from '../../controller/schema/frames.js';
import type { Receipt } from '../../controller/schema/receipt.js';
import type { RunFacts } from '../../controller/schema/run-facts.js';

export type Wire = Record<string, unknown>;

/** CLOCK_MONOTONIC ns of the test run's t0 (a realistic ~1 day uptime). */
export const T0 = 86_400_000_000_000;
export const ms = (n: number): number => T0 + Math.round(n * 1e6);

export const ROOT = 4242;
export const CONTROLLER = 4200;

const packr = new Packr({ useRecords: false });
const packr64 = new Packr({ useRecords: false }); // packs bigint values as 64-bit msgpack ints

/** One frame's bytes: length prefix + msgpack. `bigints` packs int fields as 64-bit ints. */
export function encodeFrame(frame: Wire, bigints = false): Buffer {
  const body = bigints ? packr64.pack(toBigInts(frame)) : packr.pack(frame);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

export function encodeFrames(frames: readonly Wire[], bigints = false): Buffer {
  return Buffer.concat(frames.map((f) => encodeFrame(f, bigints)));
}

function toBigInts(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(toBigInts);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toBigInts(x)]));
  return v;
}

export const hello = (o: Partial<Wire> = {}): Wire => ({
  t: 'hello',
  proto: 2,
  version: '0.3.0',
  arch: 'x86_64',
  mono_ns: ms(1),
  real_ns: 1_700_000_000_000_000_000,
  argv: true,
  ringbuf: 1 << 22,
  privilege: 'root',
  ...o,
});

export const following = (pid = ROOT): Wire => ({ t: 'following', pid });
export const errorFrame = (msg: string, fatal = false): Wire => ({ t: 'error', msg, fatal });

export interface ExecOpts {
  pid?: number;
  start?: number;
  ppid?: number;
  tid?: number;
  path?: string;
  base?: string | null;
  err?: string | null;
  exe?: string | null;
  cwd?: string | null;
  argv?: string[] | null;
  argv_truncated?: boolean;
  /** AT_SECURE; omitted from the frame when undefined (as in recordings of older helpers) */
  privileged?: boolean;
  uid?: number;
  euid?: number;
  ts?: number;
  call?: string;
}

export function exec(o: ExecOpts = {}): Wire {
  const pid = o.pid ?? ROOT;
  const path = o.path ?? '/usr/bin/true';
  const err = o.err ?? null;
  return {
    t: 'exec',
    ts: o.ts ?? ms(2),
    pid,
    start: o.start ?? ms(0.5),
    tid: o.tid ?? pid,
    ppid: o.ppid ?? CONTROLLER,
    uid: o.uid ?? 1000,
    euid: o.euid ?? o.uid ?? 1000,
    call: o.call ?? 'execve',
    path,
    base: o.base ?? null,
    err,
    exe: o.exe !== undefined ? o.exe : err === null ? path : null,
    cwd: o.cwd !== undefined ? o.cwd : '/home/me',
    argv: o.argv !== undefined ? o.argv : [path.split('/').pop()!],
    argv_truncated: o.argv_truncated ?? false,
    ...(o.privileged !== undefined ? { privileged: o.privileged } : {}),
  };
}

export function fork(o: { pid: number; start: number; ppid?: number; pstart?: number; uid?: number; cwd?: string | null; ts?: number }): Wire {
  return {
    t: 'fork',
    ts: o.ts ?? o.start,
    pid: o.pid,
    start: o.start,
    ppid: o.ppid ?? ROOT,
    pstart: o.pstart ?? ms(0.5),
    uid: o.uid ?? 1000,
    cwd: o.cwd !== undefined ? o.cwd : '/home/me',
  };
}

export function exit(o: { pid?: number; start?: number; code?: number | null; sig?: string | null; core?: boolean; ts?: number } = {}): Wire {
  return {
    t: 'exit',
    ts: o.ts ?? ms(50),
    pid: o.pid ?? ROOT,
    start: o.start ?? ms(0.5),
    code: o.sig ? null : (o.code ?? 0),
    sig: o.sig ?? null,
    core: o.core ?? false,
  };
}

export function open(o: {
  path: string;
  mode?: 'read' | 'write' | 'readwrite' | 'path';
  err?: string | null;
  base?: string | null;
  pid?: number;
  start?: number;
  tid?: number;
  flags?: number;
  call?: string;
  ts?: number;
  rid?: number;
  /** protocol 4: both keys are sent when either is given (the other false) */
  created?: boolean;
  truncated?: boolean;
  mnt_ns?: number;
}): Wire {
  const pid = o.pid ?? ROOT;
  const mode = o.mode ?? 'read';
  const flags = o.flags ?? { read: 0, write: 0o1101, readwrite: 2, path: 0o10000000 }[mode];
  return {
    t: 'open',
    ts: o.ts ?? ms(10),
    pid,
    start: o.start ?? ms(0.5),
    tid: o.tid ?? pid,
    call: o.call ?? 'openat',
    flags,
    mode,
    err: o.err ?? null,
    path: o.path,
    base: o.base ?? null,
    path_truncated: false,
    ...(o.rid !== undefined ? { rid: o.rid } : {}),
    ...(o.created !== undefined || o.truncated !== undefined ? { created: o.created ?? false, truncated: o.truncated ?? false } : {}),
    ...(o.mnt_ns !== undefined ? { mnt_ns: o.mnt_ns } : {}),
  };
}

/** A protocol 4 open: created and truncated always sent. */
export const open4 = (o: Parameters<typeof open>[0]): Wire => open({ created: false, truncated: false, ...o });

export interface ChangeOpts {
  op: string;
  call?: string;
  path?: string | null;
  base?: string | null;
  to?: string | null;
  to_base?: string | null;
  target?: string | null;
  mode?: number | null;
  uid?: number | null;
  gid?: number | null;
  size?: number | null;
  dev?: number | null;
  fd?: number | null;
  flags?: number;
  err?: string | null;
  path_truncated?: boolean;
  pid?: number;
  start?: number;
  tid?: number;
  ts?: number;
  mnt_ns?: number;
}

const CHANGE_CALLS: Record<string, string> = {
  delete: 'unlinkat', rmdir: 'rmdir', mkdir: 'mkdirat', mknod: 'mknodat', rename: 'renameat2', link: 'linkat',
  symlink: 'symlinkat', chmod: 'fchmodat', chown: 'fchownat', truncate: 'truncate',
};

/** A change frame (protocol 4): every key sent, nil where the call has nothing to say. */
export function change(o: ChangeOpts): Wire {
  const pid = o.pid ?? ROOT;
  return {
    t: 'change',
    ts: o.ts ?? ms(12),
    pid,
    start: o.start ?? ms(0.5),
    tid: o.tid ?? pid,
    call: o.call ?? CHANGE_CALLS[o.op] ?? o.op,
    op: o.op,
    err: o.err ?? null,
    path: o.path !== undefined ? o.path : '/tmp/x',
    base: o.base ?? null,
    to: o.to ?? null,
    to_base: o.to_base ?? null,
    target: o.target ?? null,
    mode: o.mode ?? null,
    uid: o.uid ?? null,
    gid: o.gid ?? null,
    size: o.size ?? null,
    dev: o.dev ?? null,
    fd: o.fd ?? null,
    flags: o.flags ?? 0,
    path_truncated: o.path_truncated ?? false,
    ...(o.mnt_ns !== undefined ? { mnt_ns: o.mnt_ns } : {}),
  };
}

export function net(o: {
  addr: string;
  port?: number | null;
  op?: 'connect' | 'sendto' | 'sendmsg' | 'listen' | 'accept';
  family?: 'inet' | 'inet6' | 'unix';
  proto?: string;
  err?: string | null;
  pid?: number;
  start?: number;
  ts?: number;
  rid?: number;
  /** protocol 5: the socket's inode, the bytes of a send, messages of a sendmmsg not reported */
  ino?: number;
  bytes?: number;
  more?: number;
}): Wire {
  const pid = o.pid ?? ROOT;
  const family = o.family ?? 'inet';
  return {
    t: 'net',
    ts: o.ts ?? ms(20),
    pid,
    start: o.start ?? ms(0.5),
    tid: pid,
    op: o.op ?? 'connect',
    family,
    proto: o.proto ?? (family === 'unix' ? 'stream' : 'tcp'),
    addr: o.addr,
    port: o.port !== undefined ? o.port : family === 'unix' ? null : 80,
    err: o.err ?? null,
    ...opt({ rid: o.rid, ino: o.ino, bytes: o.bytes, more: o.more }),
  };
}

/** A socket frame (protocol 5): what moved over one socket. `outcome` is sent only when given (null too). */
export function socket(o: {
  ino: number;
  family?: 'inet' | 'inet6' | 'unix' | 'other';
  proto?: string;
  sent?: number;
  received?: number;
  sends?: number;
  recvs?: number;
  rid?: number;
  outcome?: string | null;
  peer?: string;
  peer_port?: number;
  pid?: number;
  start?: number;
  ts?: number;
}): Wire {
  const family = o.family ?? 'inet';
  return {
    t: 'socket',
    ts: o.ts ?? ms(40),
    pid: o.pid ?? ROOT,
    start: o.start ?? ms(0.5),
    ino: o.ino,
    family,
    proto: o.proto ?? (family === 'unix' ? 'stream' : 'tcp'),
    sent: o.sent ?? 0,
    received: o.received ?? 0,
    sends: o.sends ?? (o.sent ? 1 : 0),
    recvs: o.recvs ?? (o.received ? 1 : 0),
    ...opt({ rid: o.rid, peer: o.peer, peer_port: o.peer_port }),
    ...('outcome' in o ? { outcome: o.outcome } : {}),
  };
}

/** A dns frame (protocol 5): the first bytes (at most 512) of a message or of a TCP piece; `size` defaults to all of it. */
export function dns(o: {
  data: Uint8Array;
  size?: number;
  dir?: 'out' | 'in';
  proto?: 'udp' | 'tcp';
  ino?: number;
  family?: 'inet' | 'inet6';
  addr?: string;
  port?: number;
  pid?: number;
  start?: number;
  ts?: number;
}): Wire {
  const pid = o.pid ?? ROOT;
  return {
    t: 'dns',
    ts: o.ts ?? ms(21),
    pid,
    start: o.start ?? ms(0.5),
    tid: pid,
    ino: o.ino ?? 900,
    dir: o.dir ?? 'out',
    proto: o.proto ?? 'udp',
    family: o.family ?? 'inet',
    addr: o.addr ?? '127.0.0.53',
    port: o.port ?? 53,
    size: o.size ?? o.data.length,
    data: Buffer.from(o.data.subarray(0, 512)),
  };
}

/** Optional keys of protocol 3 event frames, added only when given. */
const opt = (o: Record<string, unknown>): Wire => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export const armed = (pid = ROOT): Wire => ({ t: 'armed', pid });

export function tamper(o: {
  kind?: string;
  who?: 'controller' | 'helper' | 'both';
  call?: string;
  target?: number;
  sig?: string | null;
  arg?: number;
  err?: string | null;
  path?: string | null;
  pid?: number;
  start?: number;
  ts?: number;
  mnt_ns?: number;
} = {}): Wire {
  const pid = o.pid ?? ROOT;
  const kind = o.kind ?? 'signal';
  return {
    t: 'tamper',
    ts: o.ts ?? ms(25),
    pid,
    start: o.start ?? ms(0.5),
    tid: pid,
    call: o.call ?? 'kill',
    kind,
    who: o.who ?? 'helper',
    target: o.target ?? 4300,
    sig: o.sig !== undefined ? o.sig : kind === 'signal' ? 'SIGTERM' : null,
    arg: o.arg ?? (kind === 'signal' ? 15 : 0),
    err: o.err ?? null,
    path: o.path ?? null,
    ...opt({ mnt_ns: o.mnt_ns }),
  };
}

export const withheld = (o: { pid?: number; start?: number; uid?: number; euid?: number; mnt_ns?: number } = {}): Wire => ({
  t: 'withheld',
  ts: ms(15),
  pid: o.pid ?? ROOT,
  start: o.start ?? ms(0.5),
  tid: o.pid ?? ROOT,
  uid: o.uid ?? 1000,
  euid: o.euid ?? 0,
  gid: 1000,
  egid: 1000,
  ...opt({ mnt_ns: o.mnt_ns }),
});

export const mounts = (o: { mnt_ns: number; lines: string[] | null; pid?: number; err?: string | null; truncated?: boolean; call?: string }): Wire => ({
  t: 'mounts',
  ts: ms(12),
  pid: o.pid ?? ROOT,
  start: ms(0.5),
  tid: o.pid ?? ROOT,
  mnt_ns: o.mnt_ns,
  call: o.call ?? 'mount',
  lines: o.lines,
  truncated: o.truncated ?? false,
  err: o.err ?? null,
});

export const signalFrame = (o: { sig?: string; pid?: number; uid?: number } = {}): Wire => ({ t: 'signal', ts: ms(26), sig: o.sig ?? 'SIGTERM', pid: o.pid ?? 777, uid: o.uid ?? 1000 });

/** A repeats frame: `pairs` as [rid, n] pairs. */
export const repeats = (pairs: ReadonlyArray<readonly [number, number]>): Wire => ({ t: 'repeats', counts: pairs.flat() });

export const stats = (o: { events?: number; lost?: number; lost_by_type?: Record<string, number> } = {}): Wire => ({
  t: 'stats',
  ts: ms(30),
  events: o.events ?? 0,
  lost: o.lost ?? 0,
  lost_by_type: o.lost_by_type ?? {},
});

export const end = (o: { events?: number; lost?: number; syscalls?: Record<string, number>; reason?: string } = {}): Wire => ({
  t: 'end',
  ts: ms(60),
  events: o.events ?? 0,
  lost: o.lost ?? 0,
  lost_by_type: o.lost ? { open: o.lost } : {},
  syscalls: o.syscalls ?? {},
  reason: o.reason ?? 'stop',
});

/** Run facts of a plain successful run of ROOT, overridable field by field. */
export function facts(o: Partial<RunFacts> = {}): RunFacts {
  return {
    glasshouse_version: '0.3.0',
    command: ['true'],
    guest: false,
    started_at: '2024-05-01T12:00:00.000Z',
    finished_at: '2024-05-01T12:00:00.070Z',
    mono_start_ns: T0,
    mono_end_ns: ms(70),
    root_pid: ROOT,
    controller_pid: CONTROLLER,
    exit: { code: 0, signal: null },
    exec_error: null,
    errors: [],
    stdout: { sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', bytes: 0 },
    stderr: { sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', bytes: 0 },
    environment: { hostname: 'testhost', kernel: '6.1.0-test', arch: 'x86_64', uid: 1000, gid: 1000, cwd: '/home/me' },
    command_realpath: '/usr/bin/true',
    collector: { status: 'ok', reason: null },
    ...o,
  };
}

/**
 * The frames of a fork chain `depth` deep under the root: each process forked by the previous
 * one (pids from 10001 on, started 1 µs apart), each exiting 0 but the deepest, which exits
 * `lastCode`. What a hostile command makes with a recursive shell function.
 */
export function forkChain(depth: number, lastCode = 3): Wire[] {
  const wires: Wire[] = [hello(), exec()];
  const exits: Wire[] = [];
  let ppid = ROOT;
  let pstart = ms(0.5);
  for (let i = 1; i <= depth; i++) {
    const pid = 10_000 + i;
    const start = ms(1 + i / 1000);
    wires.push(fork({ pid, start, ppid, pstart }));
    exits.push(exit({ pid, start, code: i === depth ? lastCode : 0, ts: ms(40 - i / 1000) }));
    ppid = pid;
    pstart = start;
  }
  // the deepest exits first, then each parent after its child
  return [...wires, ...exits.reverse(), exit(), end()];
}

/** Wire frames through the real byte path (encode, decode, validate), failing on any error. */
export function toFrames(wires: readonly Wire[]): Frame[] {
  const { frames, errors } = decodeFrameStream(encodeFrames(wires));
  if (errors.length > 0) throw errors[0];
  return frames;
}

/** The receipt of these wire frames and facts. */
export function receiptOf(wires: readonly Wire[], f: RunFacts = facts(), frameErrors: string[] = []): Receipt {
  return aggregate(toFrames(wires), f, frameErrors);
}

/** The start facts of a recording, taken from run facts. */
export function startOf(f: RunFacts): Wire {
  const { glasshouse_version, command, guest, started_at, mono_start_ns, controller_pid, environment, command_realpath } = f;
  return { glasshouse_version, command, guest, started_at, mono_start_ns, controller_pid, environment, command_realpath };
}

export interface RecordingSpec {
  /** the helper section, bytes as they are (default: the frames of `wires`) */
  helper?: Buffer;
  wires?: readonly Wire[];
  facts?: RunFacts;
  used?: boolean;
  /** replace the frames' contents (to build invalid ones) */
  recordingFrame?: Wire;
  runFrame?: Wire;
  format?: number;
}

/** A whole recording, with correct footer and digest unless the spec says otherwise. */
export function recordingBytes(spec: RecordingSpec = {}): Buffer {
  const f = spec.facts ?? facts();
  const helper = spec.helper ?? encodeFrames(spec.wires ?? [hello(), following(), exec(), exit(), end()]);
  const header = Buffer.from('GHREC\0\0\0', 'latin1');
  header.writeUInt16BE(spec.format ?? 1, 6);
  const first = encodeFrame(spec.recordingFrame ?? { t: 'recording', helper_protocol: 1, start: startOf(f) });
  const run = encodeFrame(spec.runFrame ?? { t: 'run', facts: f, helper: { bytes: helper.length, used: spec.used ?? true } });
  const pointer = Buffer.alloc(8);
  pointer.writeBigUInt64BE(BigInt(header.length + first.length + helper.length));
  const body = Buffer.concat([header, first, helper, run, pointer]);
  const digest = createHash('sha256').update(body).digest();
  return Buffer.concat([body, digest, Buffer.from('GHRECEND', 'latin1')]);
}

/** Byte offsets where each frame of a recording starts, then the footer's offset. */
export function frameBoundaries(bytes: Buffer): number[] {
  const out: number[] = [];
  const footer = bytes.length - 48;
  for (let at = 8; at < footer; at += 4 + bytes.readUInt32BE(at)) out.push(at);
  out.push(footer);
  return out;
}
