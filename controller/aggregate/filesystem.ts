// The filesystem section from open frames: what was read, written, or failed to open. Folded
// frame by frame into one entry per path (and mode and errno for failures). An open that came
// with a repeat id is remembered under it, so that the repeats the kernel only counted land on
// the same entries.
//
// A run can open millions of distinct paths, so an entry is kept small (test/bench/memory.mjs
// measures it): the key string (its own flat copy, not a view of the frame it was decoded
// from), and one record of two fields, its count and its pids: one pid as a plain number until
// a second one appears, then a sorted array. Path, mode and errno of a failure live in its key.
import type { OpenFrame } from '../schema/frames.js';
import type { FailedPathEntry, LazyReceipt, PathEntry } from '../schema/receipt.js';
import { LazyList } from './lazy-list.js';
import { absolutePath, realProcPath } from './paths.js';
import { ownString } from './strings.js';

interface Entry {
  /** one pid, or more in ascending order */
  pids: number | number[];
  count: number;
}

/** Path as it goes into the receipt: absolute, normalised, /proc/self with the real pid. */
export function openPath(f: OpenFrame): string {
  return realProcPath(absolutePath(f.path, f.err === null ? null : f.base), f.pid, f.tid);
}

// A failure's key: path, mode and errno joined by NUL, which no path, mode or errno holds, so
// that the keys sort as (path, mode, errno) do and split back into them.
const failedKey = (path: string, mode: string, errno: string): string => `${path}\0${mode}\0${errno}`;

export class FilesystemTable {
  private readonly reads = new Map<string, Entry>();
  private readonly writes = new Map<string, Entry>();
  private readonly failed = new Map<string, Entry>();
  // the entry (two for readwrite, none for O_PATH) bumped by the open that carried each repeat id
  private readonly byRid = new Map<number, Entry | Entry[]>();

  add(f: OpenFrame): void {
    if (f.err === null) {
      const entry = this.known(f);
      if (entry !== undefined) {
        bump(entry, f.pid);
        if (f.rid !== undefined) this.byRid.set(f.rid, entry);
        return;
      }
    }
    const path = openPath(f);
    if (f.err !== null) {
      count(this.failed, failedKey(path, f.mode, f.err), f.pid);
      return;
    }
    // a successful O_PATH open reads and writes nothing: it is counted in neither list
    const read = f.mode === 'read' || f.mode === 'readwrite' ? count(this.reads, path, f.pid) : null;
    const write = f.mode === 'write' || f.mode === 'readwrite' ? count(this.writes, path, f.pid) : null;
    if (f.rid !== undefined) this.byRid.set(f.rid, read !== null && write !== null ? [read, write] : (read ?? write ?? []));
  }

  /** Add `n` repeats of the open that carried `rid`; false when no open carried it. */
  repeat(rid: number, n: number): boolean {
    const entries = this.byRid.get(rid);
    if (entries === undefined) return false;
    if (Array.isArray(entries)) for (const entry of entries) entry.count += n;
    else entries.count += n;
    return true;
  }

  /**
   * The entry of a successful open's path, if that path is already a key as the kernel gave it:
   * a key is openPath's output, which openPath leaves as it is, so the path needs no normalising.
   */
  private known(f: OpenFrame): Entry | undefined {
    if (f.mode === 'read') return this.reads.get(f.path);
    if (f.mode === 'write') return this.writes.get(f.path);
    return undefined;
  }

  /** The filesystem section, every list sorted, each entry made as it is read. */
  section(): LazyReceipt['filesystem'] {
    const failed = this.failed;
    return {
      reads: pathEntries(this.reads),
      writes: pathEntries(this.writes),
      failed: new LazyList(
        () => [...failed.keys()],
        undefined, // by key: by path, then mode, then errno
        (key): FailedPathEntry => {
          const entry = failed.get(key)!;
          const errnoAt = key.lastIndexOf('\0');
          const modeAt = key.lastIndexOf('\0', errnoAt - 1);
          const mode = key.slice(modeAt + 1, errnoAt) as FailedPathEntry['mode'];
          const path = key.slice(0, modeAt);
          const out: FailedPathEntry = { path, mode, errno: key.slice(errnoAt + 1), pids: pidList(entry), count: entry.count };
          if (isCut(path)) out.path_truncated = true;
          return out;
        },
      ),
    };
  }
}

/** One more open of `key` by `pid`: its entry, made (with its own copy of the key) when new. */
function count(map: Map<string, Entry>, key: string, pid: number): Entry {
  const entry = map.get(key);
  if (entry !== undefined) {
    bump(entry, pid);
    return entry;
  }
  const made: Entry = { pids: pid, count: 1 };
  map.set(ownString(key), made);
  return made;
}

/** One more open of the entry by `pid`. */
function bump(entry: Entry, pid: number): void {
  entry.count++;
  const pids = entry.pids;
  if (pids === pid) return;
  if (typeof pids === 'number') entry.pids = pids < pid ? [pids, pid] : [pid, pids];
  else insertSorted(pids, pid);
}

function insertSorted(pids: number[], pid: number): void {
  let lo = 0;
  let hi = pids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pids[mid]! < pid) lo = mid + 1;
    else hi = mid;
  }
  if (pids[lo] !== pid) pids.splice(lo, 0, pid);
}

const pidList = (entry: Entry): number[] => (typeof entry.pids === 'number' ? [entry.pids] : entry.pids);

/**
 * Whether a path is only the tail of one over 4096 bytes: the helper starts it with "…", which
 * no absolute path does (nor one of another mount namespace, "mnt:[<inode>]/...": a cut one
 * reads "mnt:[<inode>]…/..."). Read off the path, so that an entry keeps no more than its key.
 */
export function isCut(path: string): boolean {
  return path.charCodeAt(0) === 0x2026 || /^mnt:\[\d+\]\u2026/.test(path);
}

const KIND_PREFIXES: ReadonlyArray<[string, NonNullable<PathEntry['kind']>]> = [
  ['pipe:[', 'pipe'],
  ['socket:[', 'socket'],
  ['anon_inode:', 'anon_inode'],
  ['memfd:', 'memfd'],
];

/** What a file with no path is, from the name it is reported by; null for a path. */
export function fileKind(path: string): PathEntry['kind'] | null {
  const c = path.charCodeAt(0);
  if (c === 0x2f /* / */ || c === 0x2026 || path.startsWith('mnt:[')) return null;
  for (const [prefix, kind] of KIND_PREFIXES) if (path.startsWith(prefix)) return kind;
  return 'anonymous';
}

function pathEntries(map: Map<string, Entry>): Iterable<PathEntry> {
  return new LazyList(
    () => [...map.keys()],
    undefined, // by path
    (path): PathEntry => {
      const entry = map.get(path)!;
      const out: PathEntry = { path, pids: pidList(entry), count: entry.count };
      if (isCut(path)) out.path_truncated = true;
      const kind = fileKind(path);
      if (kind !== null) out.kind = kind;
      return out;
    },
  );
}
