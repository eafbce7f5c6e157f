// The filesystem section from open and change frames: what was read, written, or failed to
// open (here), what the tree tried to change (changes.ts), and what it left behind
// (net-effect.ts). Folded frame by frame into one entry per path (and mode and errno for
// failures). An open that came with a repeat id is remembered under it, so that the repeats the
// kernel only counted land on the same entries. Digests come from the run facts.
//
// A run can open millions of distinct paths, so an entry is kept small (test/bench/memory.mjs
// measures it): the key string (its own flat copy, not a view of the frame it was decoded
// from), and one record of two fields, its count and its pids: one pid as a plain number until
// a second one appears, then a sorted array. Path, mode and errno of a failure live in its key.
import type { ChangeFrame, OpenFrame } from '../schema/frames.js';
import type { FailedPathEntry, LazyReceipt, PathEntry, WriteEntry } from '../schema/receipt.js';
import type { RunFacts } from '../schema/run-facts.js';
import { bump, count as countIn, pidList, plainEntry, type Entry } from './entries.js';
import { LazyList } from './lazy-list.js';
import { ChangeTable, changeFields } from './changes.js';
import { NetEffect, O_TMPFILE_BIT } from './net-effect.js';
import { absolutePath, isCut, isNormalAbsolute, realProcPath } from './paths.js';
import { ownString } from './strings.js';

type Digest = NonNullable<WriteEntry['digest']>;

/** One more open of `key` by `pid`: its entry, made (with its own copy of the key) when new. */
const count = (map: Map<string, Entry>, key: string, pid: number): Entry => countIn(map, key, pid, plainEntry);

/** A written path's entry: also whether some open of it created the file, and whether some truncated it. */
interface WriteRecord extends Entry {
  created: boolean;
  truncated: boolean;
}
const newWrite = (pid: number): WriteRecord => ({ pids: pid, count: 1, created: false, truncated: false });

/** Path as it goes into the receipt: absolute, normalised, /proc/self with the real pid. */
export function openPath(f: OpenFrame): string {
  return realProcPath(absolutePath(f.path, f.err === null ? null : f.base), f.pid, f.tid);
}

// A failure's key: path, mode and errno joined by NUL, which no path, mode or errno holds, so
// that the keys sort as (path, mode, errno) do and split back into them.
const failedKey = (path: string, mode: string, errno: string): string => `${path}\0${mode}\0${errno}`;

export class FilesystemTable {
  private readonly reads = new Map<string, Entry>();
  private readonly writes = new Map<string, WriteRecord>();
  private readonly failed = new Map<string, Entry>();
  // the entry (two for readwrite, none for O_PATH) bumped by the open that carried each repeat id
  private readonly byRid = new Map<number, Entry | Entry[]>();
  private readonly changes = new ChangeTable();
  private readonly effect = new NetEffect();

  /** The helper reports changes (protocol 4): outputs and removed can be known. */
  effectKnown(): void {
    this.effect.enable();
  }

  /** A change frame: one more attempt in the changes list, and its effect when it worked. */
  addChange(f: ChangeFrame): void {
    const fields = changeFields(f);
    this.changes.add(f, fields);
    if (f.err === null) this.effect.changed(f.op, fields.path, fields.to ?? null, f.flags, fields.kind === 'file');
  }

  add(f: OpenFrame): void {
    if (f.err !== null) {
      count(this.failed, failedKey(openPath(f), f.mode, f.err), f.pid);
      return;
    }
    const reads = f.mode === 'read' || f.mode === 'readwrite';
    // an open that created or truncated the file changed it, whatever its access mode: Linux
    // truncates with O_RDONLY|O_TRUNC too
    const writes = f.mode === 'write' || f.mode === 'readwrite' || f.created || f.truncated;
    if (!reads && !writes) {
      // a successful O_PATH open reads and writes nothing: it is counted in neither list
      if (f.rid !== undefined) this.byRid.set(f.rid, []);
      return;
    }
    // a key is openPath's output, which openPath leaves as it is: a path the kernel gave that
    // is already a key needs no normalising
    let read = reads ? this.reads.get(f.path) : undefined;
    let write = writes ? this.writes.get(f.path) : undefined;
    let path = (reads && read === undefined) || (writes && write === undefined) ? openPath(f) : f.path;
    if (reads) {
      if (read !== undefined) bump(read, f.pid);
      else read = count(this.reads, path, f.pid);
    }
    if (writes) {
      let owned = false;
      if (write === undefined && path !== f.path) write = this.writes.get(path); // under its normalised name
      if (write !== undefined) bump(write, f.pid);
      else {
        // the table's own copy of the key, which the net effect keeps too
        const key = ownString(path);
        this.writes.set(key, (write = newWrite(f.pid)));
        path = key;
        owned = true;
      }
      // the helper folds repeats only of opens alike in these two, so a rid's entries stay right
      if (f.created) write.created = true;
      if (f.truncated) write.truncated = true;
      this.effect.written(path, f.created, (f.flags & O_TMPFILE_BIT) !== 0, owned);
    }
    if (f.rid !== undefined) this.byRid.set(f.rid, read !== undefined && write !== undefined ? [read, write] : (read ?? write)!);
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
   * The paths whose digests the receipt shows (writes and outputs), sorted: those that can be
   * opened by their name (not cut, not of another mount namespace, not pathless), and that the
   * tree itself did not leave deleted or renamed away (a build's temporary files: no need to
   * ask the disk about each one, they have no digest).
   */
  digestPaths(): string[] {
    const paths = new Set<string>();
    for (const path of this.writes.keys()) if (isNormalAbsolute(path) && !this.effect.goneAfterWrite(path)) paths.add(path);
    for (const path of this.effect.outputPaths()) if (isNormalAbsolute(path)) paths.add(path);
    return [...paths].sort();
  }

  /** The filesystem section, every list sorted, each entry made as it is read; `digests` from the run facts. */
  section(digests: RunFacts['digests']): LazyReceipt['filesystem'] {
    const failed = this.failed;
    const byPath = new Map<string, Digest>();
    for (const { path, sha256, size } of digests?.files ?? []) byPath.set(path, { sha256, size });
    const digest = (path: string): Digest | null => byPath.get(path) ?? null;
    return {
      reads: pathEntries(this.reads),
      writes: writeEntries(this.writes, digest),
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
      changes: this.changes.section(),
      outputs: this.effect.outputs(digest),
      removed: this.effect.removed(),
      // an older recording has none: none were taken
      digests: digests?.algorithm ?? 'off',
    };
  }
}

export { isCut };

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

function writeEntries(map: Map<string, WriteRecord>, digest: (path: string) => Digest | null): Iterable<WriteEntry> {
  return new LazyList(
    () => [...map.keys()],
    undefined, // by path
    (path): WriteEntry => {
      const entry = map.get(path)!;
      const out: WriteEntry = {
        path,
        pids: pidList(entry),
        count: entry.count,
        created: entry.created,
        truncated: entry.truncated,
        digest: digest(path),
      };
      if (isCut(path)) out.path_truncated = true;
      const kind = fileKind(path);
      if (kind !== null) out.kind = kind;
      return out;
    },
  );
}
