// The filesystem.changes list from change frames: every attempt (ok or not) of the tree to
// change a name or metadata, folded into one entry per distinct attempt (pids, count), like
// the failed opens.
//
// A run may delete tens of thousands of files, so an entry keeps what filesystem.ts keeps: its
// key string (every field of the receipt entry but pids and count, rendered, joined by NUL,
// which no path, name or number holds) and one record of pids and count. The key sorts as the
// entries must (by path, null first, then op, then the rest) and splits back into the fields.
import type { ChangeFrame, ChangeOp } from '../schema/frames.js';
import type { ChangeEntry } from '../schema/receipt.js';
import { count, pidList, plainEntry, type Entry } from './entries.js';
import { LazyList } from './lazy-list.js';
import { absolutePath, isCut, realProcPath } from './paths.js';

/** A change's paths as they go into the receipt (see changePaths). */
export interface ChangePaths {
  path: string | null;
  to: string | null;
}

/**
 * The path (and `to`) of a change, absolute and normalised as a failed open's is: against its
 * base (the cwd or the dirfd), /proc/self with the real pid. The file of an f* form (fchmod,
 * fchown, ftruncate, an AT_EMPTY_PATH call: `fd` is set) is named by the kernel, and that name
 * is kept as it is, as a successful open's is; for linkat that is `to`, the existing file.
 * Lexical only: a name is never resolved (a deleted file cannot be).
 */
export function changePaths(f: ChangeFrame): ChangePaths {
  const kernelNamed = f.fd !== null;
  const norm = (p: string | null, base: string | null, asIs: boolean): string | null =>
    p === null ? null : asIs ? p : realProcPath(absolutePath(p, base), f.pid, f.tid);
  return {
    path: norm(f.path, f.base, kernelNamed && f.op !== 'link'),
    to: norm(f.to, f.to_base, kernelNamed && f.op === 'link'),
  };
}

/** Permission bits as 4 octal digits: 0o100755 -> "0755". */
export function modeString(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

type NodeKind = NonNullable<ChangeEntry['kind']>;
const S_IFMT = 0o170000;
const NODE_KINDS: ReadonlyMap<number, NodeKind> = new Map([
  [0, 'file'], // mknod with no type bits makes a regular file
  [0o100000, 'file'],
  [0o010000, 'fifo'],
  [0o020000, 'char'],
  [0o060000, 'block'],
  [0o140000, 'socket'],
]);

/** What mknod was asked to make, from the S_IFMT bits of its mode; null for another type (the kernel refuses it). */
export function nodeKind(mode: number): NodeKind | null {
  return NODE_KINDS.get(mode & S_IFMT) ?? null;
}

/**
 * A kernel-encoded dev_t as "major:minor" (glibc's gnu_dev_major/minor, 32 bits each: major =
 * bits 8-19 and 44-63, minor = bits 0-7 and 20-43). mknod takes an unsigned int; a wider value
 * is decoded all the same, as an unsigned 64-bit number.
 */
export function devString(dev: number): string {
  const d = BigInt.asUintN(64, BigInt(dev));
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & 0xfffff000n);
  const minor = (d & 0xffn) | ((d >> 12n) & 0xffffff00n);
  return `${major}:${minor}`;
}

const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const AT_SYMLINK_FOLLOW = 0x400;
const AT_EMPTY_PATH = 0x1000;
const OWNER_FLAGS: ReadonlyMap<number, string | null> = new Map([
  [AT_SYMLINK_NOFOLLOW, 'AT_SYMLINK_NOFOLLOW'],
  [AT_EMPTY_PATH, 'AT_EMPTY_PATH'],
]);
// the flag bits each op's calls take, by name; null: a bit the op already says (left out)
const FLAG_NAMES: Partial<Record<ChangeOp, ReadonlyMap<number, string | null>>> = {
  rename: new Map([
    [1, 'RENAME_NOREPLACE'],
    [2, 'RENAME_EXCHANGE'],
    [4, 'RENAME_WHITEOUT'],
  ]),
  link: new Map([
    [AT_SYMLINK_FOLLOW, 'AT_SYMLINK_FOLLOW'],
    [AT_EMPTY_PATH, 'AT_EMPTY_PATH'],
  ]),
  chown: OWNER_FLAGS,
  chmod: OWNER_FLAGS,
  delete: new Map([[AT_REMOVEDIR, 'AT_REMOVEDIR']]),
  rmdir: new Map([[AT_REMOVEDIR, null]]),
};

/**
 * The names of the flag bits set in a call's flags argument, lowest bit first; a bit the op's
 * calls do not define as "0x..." (hex, one per bit). Empty when no bit is set.
 */
export function flagNames(op: ChangeOp, flags: number): string[] {
  const names = FLAG_NAMES[op];
  const out: string[] = [];
  let rest = BigInt.asUintN(64, BigInt(flags));
  for (let bit = 1n; rest !== 0n; bit <<= 1n) {
    if ((rest & bit) === 0n) continue;
    rest &= ~bit;
    const name = bit <= 0x7fffffffn ? names?.get(Number(bit)) : undefined;
    if (name === null) continue;
    out.push(name ?? `0x${bit.toString(16)}`);
  }
  return out;
}

/** A change entry without pids and count: what tells one attempt from another. */
export type ChangeFields = Omit<ChangeEntry, 'pids' | 'count'>;

const isCutName = (p: string | null): boolean => p !== null && isCut(p);

/** The receipt entry of a change frame, without pids and count. */
export function changeFields(f: ChangeFrame): ChangeFields {
  const { path, to } = changePaths(f);
  // built in the receipt's key order: result comes after the optional fields
  const out = { op: f.op, path } as ChangeFields;
  if (to !== null) out.to = to;
  if (f.target !== null) out.target = f.target;
  if (f.mode !== null) out.mode = modeString(f.mode);
  if (f.op === 'mknod' && f.mode !== null) {
    const kind = nodeKind(f.mode);
    if (kind !== null) out.kind = kind;
    if ((kind === 'char' || kind === 'block') && f.dev !== null) out.dev = devString(f.dev);
  }
  if (f.uid !== null) out.uid = f.uid;
  if (f.gid !== null) out.gid = f.gid;
  if (f.size !== null) out.size = f.size;
  const flags = flagNames(f.op, f.flags);
  if (flags.length > 0) out.flags = flags;
  if (f.fd !== null) out.fd = f.fd;
  out.result = f.err ?? 'ok';
  if (f.path_truncated || isCutName(path) || isCutName(to)) out.path_truncated = true;
  return out;
}

// The key: path first (absent: "", present: "=" and the path, so null sorts first and "" is
// still a path), op, then the rest in the receipt's order; optional fields "" when absent.
const KEY_FIELDS = ['to', 'target', 'mode', 'kind', 'dev', 'uid', 'gid', 'size', 'flags', 'fd', 'result', 'path_truncated'] as const;

function changeKey(c: ChangeFields): string {
  let key = `${c.path === null ? '' : `=${c.path}`}\0${c.op}`;
  for (const field of KEY_FIELDS) {
    const v = c[field];
    key += '\0';
    if (v === undefined) continue;
    // strings that may be empty get a mark, so that "" is told from absent
    key += field === 'to' || field === 'target' ? `=${v as string}` : Array.isArray(v) ? v.join(',') : String(v);
  }
  return key;
}

function entryOf(key: string, entry: Entry): ChangeEntry {
  const parts = key.split('\0');
  const path = parts[0] === '' ? null : parts[0]!.slice(1);
  const out: ChangeEntry = { op: parts[1] as ChangeOp, path } as ChangeEntry;
  const [to, target, mode, kind, dev, uid, gid, size, flags, fd, result, truncated] = parts.slice(2);
  if (to) out.to = to.slice(1);
  if (target) out.target = target.slice(1);
  if (mode) out.mode = mode;
  if (kind) out.kind = kind as ChangeEntry['kind'];
  if (dev) out.dev = dev;
  if (uid) out.uid = Number(uid);
  if (gid) out.gid = Number(gid);
  if (size) out.size = Number(size);
  if (flags) out.flags = flags.split(',');
  if (fd) out.fd = Number(fd);
  out.result = result!;
  out.pids = pidList(entry);
  out.count = entry.count;
  if (truncated) out.path_truncated = true;
  return out;
}

export class ChangeTable {
  private readonly entries = new Map<string, Entry>();

  /** One more attempt: the entry of its fields, counted for its process. */
  add(f: ChangeFrame, fields: ChangeFields = changeFields(f)): void {
    count(this.entries, changeKey(fields), f.pid, plainEntry);
  }

  /** The changes list, sorted by key (path, null first, then op, then the rest), each entry made as it is read. */
  section(): Iterable<ChangeEntry> {
    const entries = this.entries;
    return new LazyList(
      () => [...entries.keys()],
      undefined,
      (key) => entryOf(key, entries.get(key)!),
    );
  }
}
