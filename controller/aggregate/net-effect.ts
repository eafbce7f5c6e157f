// The net effect of a run on the file system: which paths hold content the tree wrote when it
// ended (filesystem.outputs), and which paths that were there before it are gone
// (filesystem.removed). Replayed in frame order from the successful opens that wrote, created
// or truncated a file and the successful changes (truncate, rename, link, delete, rmdir, mkdir,
// mknod, symlink).
//
// Paths are lexical: an open's path is the file the kernel resolved, a change's path is the name
// as asked for, made absolute; the two meet when no symlinked directory lies on the way. A path
// that is cut ("…/..."), of another mount namespace ("mnt:[...]/...") or names a file with no
// path ("pipe:[...]") is tracked by its string all the same.
//
// What is known of each path touched is one small integer (a run may write or delete hundreds
// of thousands of files): whether something is there now (as far as the tree's own calls tell),
// whether the path existed before the run, what the object there is (content the tree wrote,
// made by an open, unnamed, not a regular file), and what removed it. A path that did not exist
// before the run and holds nothing now is forgotten.
import type { ChangeOp } from '../schema/frames.js';
import type { OutputEntry, RemovedEntry } from '../schema/receipt.js';
import { LazyList } from './lazy-list.js';
import { ownString } from './strings.js';

// what is at the path now, as far as the tree's calls tell (neither: unknown)
const EXISTS = 1;
const ABSENT = 2;
// whether the path existed before the run (neither: unknown): PRE when the tree found
// something there it had not put there itself, NEW when its first call there made it
const PRE = 4;
const NEW = 8;
// the object there, which renames and links carry along
const CONTENT = 16; // a regular file with content the tree wrote (or truncated)
const CREATED = 32; // made by an open that created it (or a mknod of a regular file)
const UNNAMED = 64; // an O_TMPFILE file: its "path" is no name in any directory until linked
const NONREG = 128; // a directory, symlink, fifo, device or socket the tree made
const OBJECT = CONTENT | CREATED | UNNAMED | NONREG;
const ORIGIN = PRE | NEW;
// what removed it (while ABSENT)
const OP_SHIFT = 8;
const REMOVED_BY = ['delete', 'rmdir', 'rename'] as const;
type RemovedBy = (typeof REMOVED_BY)[number];

const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;

/** __O_TMPFILE (x86, arm64 and the generic value): the open made a file with no name yet. */
export const O_TMPFILE_BIT = 0o20000000;

/**
 * Paths that are no file on a disk: names of files with no path ("pipe:[...]", "memfd:...",
 * ...) and the pseudo file systems a build may write to (/proc, /sys, the devices of /dev but
 * /dev/shm). Their content is no output: /dev/null is written by every shell redirection, and
 * /proc/<pid>/... or pipe:[<inode>] would differ from one run to the next.
 */
export function isOnDisk(path: string): boolean {
  const c = path.charCodeAt(0);
  if (c !== 0x2f /* / */) return c === 0x2026 /* … */ || path.startsWith('mnt:[');
  if (under(path, '/dev')) return under(path, '/dev/shm');
  return !under(path, '/proc') && !under(path, '/sys');
}
const under = (path: string, dir: string): boolean => path.startsWith(dir) && (path.length === dir.length || path.charCodeAt(dir.length) === 0x2f);

export class NetEffect {
  private readonly state = new Map<string, number>();
  // every directory of a path that was ever there (over-approximated, never shrunk): a rename
  // of a path that is none of them moves no tracked descendants, and needs no scan for them
  private readonly dirs = new Set<string>();
  private on = false;

  /** Protocol 4 and later report changes; for older recordings the net effect is not known, and left empty. */
  enable(): void {
    this.on = true;
  }

  /**
   * A successful open that wrote, created or truncated the file at `path`. `owned`: `path` is
   * a string the caller keeps anyway (a table's key), which this may keep too.
   */
  written(path: string, created: boolean, tmpfile: boolean, owned = false): void {
    if (!this.on) return;
    let b = this.state.get(path) ?? 0;
    if (tmpfile) b = made(b) | CONTENT | CREATED | UNNAMED;
    else if (created) b = made(b) | CONTENT | CREATED;
    else if ((b & (EXISTS | NONREG)) === (EXISTS | NONREG)) return; // a fifo or device the tree made: no content
    else b = (origin(b, PRE) & ~(ABSENT | OP_MASK)) | EXISTS | CONTENT; // the same file, or one found there
    this.set(path, b, owned);
  }

  /** A successful change (its paths as in the receipt). */
  changed(op: ChangeOp, path: string | null, to: string | null, flags: number, regular: boolean): void {
    if (!this.on || path === null) return;
    switch (op) {
      case 'truncate':
        this.written(path, false, false);
        return;
      case 'mkdir':
      case 'symlink':
        this.set(path, made(this.state.get(path) ?? 0) | NONREG);
        return;
      case 'mknod':
        this.set(path, made(this.state.get(path) ?? 0) | (regular ? CONTENT | CREATED : NONREG));
        return;
      case 'delete':
      case 'rmdir':
        this.remove(path, op);
        return;
      case 'rename':
        if (to === null || to === path) return;
        if ((flags & RENAME_EXCHANGE) !== 0) this.exchange(path, to);
        else this.rename(path, to, (flags & RENAME_NOREPLACE) !== 0);
        return;
      case 'link':
        if (to !== null) this.link(path, to);
        return;
      default:
        return; // chmod, chown: metadata, no content
    }
  }

  /**
   * Whether a path the tree wrote was left removed by the tree's own last call there (deleted,
   * renamed away). Every write is noted here, so a written path no longer noted at all is one
   * the tree made and removed again (forgotten, see setOrForget).
   */
  goneAfterWrite(path: string): boolean {
    return this.on && ((this.state.get(path) ?? ABSENT) & ABSENT) !== 0;
  }

  /** Paths holding content the tree wrote, as the run ended, on a disk (see isOnDisk); unsorted. */
  outputPaths(): string[] {
    const out: string[] = [];
    for (const [path, b] of this.state) if ((b & (EXISTS | CONTENT | UNNAMED)) === (EXISTS | CONTENT) && isOnDisk(path)) out.push(path);
    return out;
  }

  /** The outputs, sorted by path, each with its digest. */
  outputs(digest: (path: string) => OutputEntry['digest']): LazyList<string, OutputEntry> {
    const state = this.state;
    return new LazyList(
      () => this.outputPaths(),
      undefined,
      (path) => ({ path, created: (state.get(path)! & CREATED) !== 0, digest: digest(path) }),
    );
  }

  /** Paths that were there before the run and are not at its end, with what removed them last, sorted. */
  removed(): LazyList<string, RemovedEntry> {
    const state = this.state;
    return new LazyList(
      () => [...state.keys()].filter((p) => (state.get(p)! & (PRE | ABSENT)) === (PRE | ABSENT)),
      undefined,
      (path) => ({ path, op: REMOVED_BY[((state.get(path)! & OP_MASK) >> OP_SHIFT) - 1]! }),
    );
  }

  private remove(path: string, by: RemovedBy): void {
    const b = origin(this.state.get(path) ?? 0, PRE);
    this.setOrForget(path, (b & ORIGIN) | ABSENT | ((REMOVED_BY.indexOf(by) + 1) << OP_SHIFT));
  }

  /** rename(from, to): what is at `from` and under it moves to `to`, replacing what was there. */
  private rename(from: string, to: string, noreplace: boolean): void {
    const fromBits = origin(this.state.get(from) ?? 0, PRE);
    const moving = this.takeDescendants(from);
    this.takeDescendants(to); // `to` was a file or an empty directory: nothing known under it is there now
    const object = objectOf(fromBits);
    this.setOrForget(from, (fromBits & ORIGIN) | ABSENT | ((REMOVED_BY.indexOf('rename') + 1) << OP_SHIFT));
    const toBits = this.state.get(to) ?? 0;
    this.set(to, ((noreplace ? origin(toBits, NEW) : toBits) & ORIGIN) | EXISTS | object);
    for (const [suffix, obj] of moving) this.place(to + suffix, obj);
  }

  /** renameat2(RENAME_EXCHANGE): the two paths (both there) swap what they hold; nothing goes. */
  private exchange(a: string, b: string): void {
    const aBits = origin(this.state.get(a) ?? 0, PRE);
    const bBits = origin(this.state.get(b) ?? 0, PRE);
    const underA = this.takeDescendants(a);
    const underB = this.takeDescendants(b);
    this.set(a, (aBits & ORIGIN) | EXISTS | objectOf(bBits));
    this.set(b, (bBits & ORIGIN) | EXISTS | objectOf(aBits));
    for (const [suffix, obj] of underB) this.place(a + suffix, obj);
    for (const [suffix, obj] of underA) this.place(b + suffix, obj);
  }

  /** link(existing, new): the new name holds what the existing one holds (it has a name now). */
  private link(path: string, existing: string): void {
    const object = objectOf(this.state.get(existing) ?? 0) & ~UNNAMED;
    this.set(path, made(this.state.get(path) ?? 0) | object);
  }

  /** A moved object arrives at `path` (its origin unknown unless known before). */
  private place(path: string, object: number): void {
    this.set(path, ((this.state.get(path) ?? 0) & ORIGIN) | EXISTS | object);
  }

  /**
   * What is there under `dir/` (suffix and object), taken away: the paths below are forgotten
   * (what they held moved; they are not reported removed, no more than their untracked
   * siblings, which the tree never named).
   */
  private takeDescendants(dir: string): [string, number][] {
    if (!this.dirs.has(dir)) return [];
    const prefix = dir + '/';
    const out: [string, number][] = [];
    for (const [path, b] of this.state) {
      if ((b & EXISTS) === 0 || !path.startsWith(prefix)) continue;
      out.push([path.slice(dir.length), objectOf(b)]);
    }
    for (const [suffix] of out) this.state.delete(dir + suffix);
    return out;
  }

  private set(path: string, b: number, owned = false): void {
    if (!this.state.has(path)) {
      path = owned ? path : ownString(path);
      this.noteDirs(path);
    }
    this.state.set(path, b);
  }

  /** Keep what is worth keeping: anything there, or a path that was there before the run. */
  private setOrForget(path: string, b: number): void {
    if ((b & (EXISTS | PRE)) === 0) this.state.delete(path);
    else this.set(path, b);
  }

  private noteDirs(path: string): void {
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const dir = path.slice(0, i);
      if (this.dirs.has(dir)) return;
      this.dirs.add(dir);
    }
  }
}

const OP_MASK = 3 << OP_SHIFT;
const objectOf = (b: number): number => ((b & EXISTS) !== 0 ? b & OBJECT : 0);

/**
 * The path's origin, decided by the first call of the tree that tells: `first` (PRE for a call
 * that needs something there, NEW for one that needs nothing there), unless known already or
 * something the tree put there is there.
 */
function origin(b: number, first: number): number {
  return (b & (ORIGIN | EXISTS)) === 0 ? b | first : b;
}

/** A new object the tree made at the path (which needed nothing there): its origin, and there. */
const made = (b: number): number => (origin(b, NEW) & ORIGIN) | EXISTS;
