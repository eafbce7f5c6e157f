// zod schemas of the helper's wire frames (helper/PROTOCOL.md): what the controller accepts from
// the helper, validated at the boundary, every frame as it arrives.
import * as z from 'zod';
import { FrameError } from './frame-error.js';
import { CHANGE_OPS } from './change-ops.js';

/** The version of the helper's wire protocol this controller speaks: the hello must say it, and recordings note it. */
export const PROTOCOL_VERSION = 5;

/**
 * The oldest protocol whose streams this controller still reads: a recording of any protocol
 * from this one to PROTOCOL_VERSION replays (what each added: controller/replay/FORMAT.md).
 * A live helper must speak PROTOCOL_VERSION itself.
 */
export const OLDEST_PROTOCOL_VERSION = 1;

/** Why: replay refuses a recording made by a newer controller (frames it cannot know). */
export function isReadableProtocol(version: number): boolean {
  return Number.isInteger(version) && version >= OLDEST_PROTOCOL_VERSION && version <= PROTOCOL_VERSION;
}

export { CHANGE_OPS, type ChangeOp } from './change-ops.js';

// msgpack ints may be decoded as number or bigint depending on their width: accept both.
// Not z.number().int(): that demands a safe integer, and real_ns (ns since 1970) is above 2^53.
const Int = z
  .union([z.number().refine(Number.isInteger, { message: 'expected an integer' }), z.bigint()])
  .transform((v) => Number(v));
const Str = z.string();
const OptStr = z.string().nullable().optional().transform((v) => v ?? null);
const ErrName = z.string().nullable().optional().transform((v) => v ?? null);
const OptBool = z.boolean().nullable().optional().transform((v) => v ?? false);
const EventCounts = z.record(z.string(), Int);

const PosInt = Int.refine((v) => v > 0, { message: 'expected a positive integer' });
const True = z.literal(true);
// mnt_ns: present only when the task was in another mount namespace than gh-run's (protocol 3);
// a path of the event that is only meaningful there reads "mnt:[<mnt_ns>]/a/b"
const ident = { ts: Int, pid: Int, start: Int, mnt_ns: PosInt.optional() };
// repeat id: present on an event whose later identical occurrences the kernel only counted
// (they arrive in `repeats` frames); absent in protocol 1 and where nothing was folded
const Rid = Int.refine((v) => v > 0, { message: 'expected a positive repeat id' }).optional();

export const HelloFrame = z.object({
  t: z.literal('hello'),
  proto: Int,
  version: Str,
  arch: Str,
  mono_ns: Int,
  real_ns: Int,
  argv: z.boolean(),
  ringbuf: Int,
  privilege: Str,
  // the helper's own pid (protocol 3)
  pid: Int.optional(),
});
// the follow request is in the kernel; the controller nudges the gate so that it makes a syscall
export const ArmedFrame = z.object({ t: z.literal('armed'), pid: Int });
// the kernel adopted the process the helper checked (start: its start time, protocol 3)
export const FollowingFrame = z.object({ t: z.literal('following'), pid: Int, start: Int.optional() });
export const ErrorFrame = z.object({ t: z.literal('error'), msg: Str, fatal: OptBool });
export const ExecFrame = z.object({
  t: z.literal('exec'),
  ...ident,
  tid: Int,
  ppid: Int,
  uid: Int,
  euid: Int,
  call: Str,
  path: Str,
  base: OptStr,
  err: ErrName,
  exe: OptStr,
  cwd: OptStr,
  argv: z.array(Str).nullable().optional().transform((v) => v ?? null),
  argv_truncated: OptBool,
  // the kernel's AT_SECURE for this exec (setuid/setgid bit or file capabilities); absent in
  // recordings made before the helper sent it: false
  privileged: OptBool,
  // the image is a file with no path (a memfd): exe is its name (protocol 3)
  exe_anon: True.optional(),
  // a #! script: what the kernel put in place of argv[0] for the interpreter; argv is then as
  // passed (protocol 3)
  interpreter: z.array(Str).optional(),
  // a path of the exec (exe, cwd, base) was cut: its string starts with "…" (protocol 3)
  path_truncated: True.optional(),
  // the process is not the caller's to trace: its cwd is withheld (protocol 3)
  withheld: True.optional(),
});
export const ForkFrame = z.object({
  t: z.literal('fork'),
  ...ident,
  ppid: Int,
  pstart: Int,
  uid: Int,
  cwd: OptStr,
  withheld: True.optional(),
});
export const ExitFrame = z.object({
  t: z.literal('exit'),
  ...ident,
  code: Int.nullable().optional().transform((v) => v ?? null),
  sig: OptStr,
  core: OptBool,
  // syscalls of the process withheld from the receipt (protocol 3)
  withheld: PosInt.optional(),
});
export const OpenFrame = z.object({
  t: z.literal('open'),
  ...ident,
  tid: Int,
  call: Str,
  flags: Int,
  mode: z.enum(['read', 'write', 'readwrite', 'path']),
  err: ErrName,
  path: Str,
  base: OptStr,
  path_truncated: OptBool,
  rid: Rid,
  // the open created the file (FMODE_CREATED), and it truncated an existing regular file
  // (O_TRUNC, even with O_RDONLY): protocol 4, false on failures; absent in older recordings
  created: OptBool,
  truncated: OptBool,
});
const NonNegInt = Int.refine((v) => v >= 0, { message: 'expected a non-negative integer' });
export const NET_OPS = ['connect', 'sendto', 'sendmsg', 'listen', 'accept'] as const;
export const NetFrame = z.object({
  t: z.literal('net'),
  ...ident,
  tid: Int,
  // listen, accept: protocol 5 (listen names the address bound, accept the peer)
  op: z.enum(NET_OPS),
  family: z.enum(['inet', 'inet6', 'unix']),
  proto: Str,
  addr: Str,
  port: Int.nullable().optional().transform((v) => v ?? null),
  err: ErrName,
  rid: Rid,
  // protocol 5: the socket's inode number (accept: the accepted socket's), which socket frames name
  ino: NonNegInt.optional(),
  // protocol 5, sendto/sendmsg: bytes the call sent (its repeats sent as many)
  bytes: NonNegInt.optional(),
  // protocol 5, the last reported message of a sendmmsg: messages sent after it and not reported
  more: NonNegInt.optional(),
});
// protocol 5: what moved over one socket, sent once per socket (when a TCP socket is destroyed,
// or at the end); rid or ino name the net frame whose entry it belongs to
export const SocketFrame = z.object({
  t: z.literal('socket'),
  ts: Int,
  pid: Int,
  start: Int,
  ino: NonNegInt,
  family: z.enum(['inet', 'inet6', 'unix', 'other']),
  proto: Str,
  sent: NonNegInt,
  received: NonNegInt,
  sends: NonNegInt,
  recvs: NonNegInt,
  rid: Rid,
  // present only for a non-blocking connect (EINPROGRESS): nil when it connected, else the errno
  // name ("EINPROGRESS": still connecting when the socket was closed or the run ended). Kept as
  // sent: absent and nil differ
  outcome: z.string().nullable().optional(),
  // the peer when the socket was first seen, for a socket no net frame names
  peer: Str.optional(),
  peer_port: Int.optional(),
});
// protocol 5: the first bytes (at most 512) of one DNS message, or of one call's piece of a TCP
// stream of DNS messages, to or from port 53
export const DnsFrame = z.object({
  t: z.literal('dns'),
  ts: Int,
  pid: Int,
  start: Int,
  tid: Int,
  ino: NonNegInt,
  dir: z.enum(['out', 'in']),
  proto: z.enum(['udp', 'tcp']),
  family: z.enum(['inet', 'inet6']),
  addr: Str,
  port: Int,
  // bytes the call moved; more than data's length when the rest was not copied
  size: NonNegInt,
  // msgpack bin: a Buffer (a view into the frame: copy what is kept)
  data: z.instanceof(Uint8Array),
});
// an attempt of a followed task on gh-run (the controller) or the helper
export const TamperFrame = z.object({
  t: z.literal('tamper'),
  ...ident,
  tid: Int,
  call: Str,
  kind: z.enum(['signal', 'ptrace', 'memory', 'getfd', 'proc', 'pipe']),
  who: z.enum(['controller', 'helper', 'both']),
  target: Int,
  sig: OptStr,
  arg: Int,
  err: ErrName,
  path: OptStr,
});
const OptInt = Int.nullable().optional().transform((v) => v ?? null);
// one attempt (ok or not) of a followed process to change a name or metadata (protocol 4)
export const ChangeFrame = z.object({
  t: z.literal('change'),
  ...ident,
  tid: Int,
  // the syscall ("unlinkat")
  call: Str,
  op: z.enum(CHANGE_OPS),
  err: ErrName,
  // as requested (relative: against base), or for an f* form the kernel's path of the fd's file;
  // nil when the fd named no file
  path: OptStr,
  base: OptStr,
  // rename: the new name; link: the existing file (path is the new name)
  to: OptStr,
  to_base: OptStr,
  // symlink: the target exactly as written
  target: OptStr,
  // mkdir, mknod (with the S_IFMT bits), chmod: as passed
  mode: OptInt,
  // chown: as passed, -1 for unchanged
  uid: OptInt,
  gid: OptInt,
  // truncate, ftruncate: the length
  size: OptInt,
  // mknod: the kernel-encoded dev_t as passed
  dev: OptInt,
  // the fd of an f* form
  fd: OptInt,
  // the call's flags argument, 0 where it has none
  flags: Int,
  path_truncated: OptBool,
});
// from here on the process's activity is withheld (the credentials that decided it)
export const WithheldFrame = z.object({ t: z.literal('withheld'), ...ident, tid: Int, uid: Int, euid: Int, gid: Int, egid: Int });
// the mounts of a mount namespace other than gh-run's, as /proc/<tid>/mountinfo lists them
export const MountsFrame = z.object({
  t: z.literal('mounts'),
  ts: Int,
  pid: Int,
  start: Int,
  tid: Int,
  mnt_ns: Int,
  call: Str,
  lines: z.array(Str).nullable(),
  truncated: z.boolean(),
  err: ErrName,
});
// a signal the helper received (and ignored) from another process than its parent
export const SignalFrame = z.object({ t: z.literal('signal'), ts: Int, sig: Str, pid: Int, uid: Int });
// (rid, n) pairs, flattened: n more events like the one sent with that rid
export const RepeatsFrame = z.object({
  t: z.literal('repeats'),
  counts: z.array(Int).refine((a) => a.length % 2 === 0, { message: 'expected (rid, count) pairs' }),
});
// the running totals that stats and end both carry; lost_by_type names event types: exec, fork,
// exit, open, net, adopt, tamper, withheld, mount, change, socket, dns (protocol 5), malformed
const totals = { ts: Int, events: Int, lost: Int, lost_by_type: EventCounts.optional().transform((v) => v ?? {}) };
export const StatsFrame = z.object({ t: z.literal('stats'), ...totals });
export const EndFrame = z.object({
  t: z.literal('end'),
  ...totals,
  syscalls: EventCounts.optional().transform((v) => v ?? {}),
  reason: Str,
});

export const Frame = z.discriminatedUnion('t', [
  HelloFrame,
  ArmedFrame,
  FollowingFrame,
  ErrorFrame,
  ExecFrame,
  ForkFrame,
  ExitFrame,
  OpenFrame,
  NetFrame,
  SocketFrame,
  DnsFrame,
  ChangeFrame,
  TamperFrame,
  WithheldFrame,
  MountsFrame,
  SignalFrame,
  RepeatsFrame,
  StatsFrame,
  EndFrame,
]);

export type Frame = z.output<typeof Frame>;
export type HelloFrame = z.output<typeof HelloFrame>;
export type ArmedFrame = z.output<typeof ArmedFrame>;
export type TamperFrame = z.output<typeof TamperFrame>;
export type WithheldFrame = z.output<typeof WithheldFrame>;
export type MountsFrame = z.output<typeof MountsFrame>;
export type SignalFrame = z.output<typeof SignalFrame>;
export type FollowingFrame = z.output<typeof FollowingFrame>;
export type ErrorFrame = z.output<typeof ErrorFrame>;
export type ExecFrame = z.output<typeof ExecFrame>;
export type ForkFrame = z.output<typeof ForkFrame>;
export type ExitFrame = z.output<typeof ExitFrame>;
export type OpenFrame = z.output<typeof OpenFrame>;
export type NetFrame = z.output<typeof NetFrame>;
export type SocketFrame = z.output<typeof SocketFrame>;
export type DnsFrame = z.output<typeof DnsFrame>;
export type ChangeFrame = z.output<typeof ChangeFrame>;
export type RepeatsFrame = z.output<typeof RepeatsFrame>;
export type StatsFrame = z.output<typeof StatsFrame>;
export type EndFrame = z.output<typeof EndFrame>;
/** Frames that describe what followed processes did (counted in collector.events). */
export type EventFrame =
  | ExecFrame
  | ForkFrame
  | ExitFrame
  | OpenFrame
  | NetFrame
  | SocketFrame
  | DnsFrame
  | ChangeFrame
  | TamperFrame
  | WithheldFrame
  | MountsFrame;

const EVENT_TYPES: ReadonlySet<string> = new Set(['exec', 'fork', 'exit', 'open', 'net', 'socket', 'dns', 'change', 'tamper', 'withheld', 'mounts']);
export function isEventFrame(frame: Frame): frame is EventFrame {
  return EVENT_TYPES.has(frame.t);
}

/** Validate one decoded msgpack value as a frame; throws FrameError naming offset and field. */
export function parseFrame(value: unknown, offset: number): Frame {
  const result = Frame.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = (issue?.path ?? []).map((p) => (typeof p === 'symbol' ? String(p) : p));
  throw new FrameError(`invalid frame: ${issue?.message ?? 'does not match the protocol'}`, offset, path, {
    cause: result.error,
  });
}
