// The filesystem section from open frames: what was read, written, or failed to open. Folded
// frame by frame into one entry per path (and mode and errno for failures). An open that came
// with a repeat id is remembered under it, so that the repeats the kernel only counted land on
// the same entries.
import type { OpenFrame } from '../schema/frames.js';
import type { FailedPathEntry, LazyReceipt, PathEntry } from '../schema/receipt.js';
import { LazyList } from './lazy-list.js';
import { absolutePath, realProcPath } from './paths.js';
import { compare } from './numbers.js';

interface Acc {
  path: string;
  pids: Set<number>;
  count: number;
}
interface FailedAcc extends Acc {
  mode: FailedPathEntry['mode'];
  errno: string;
}

/** Path as it goes into the receipt: absolute, normalised, /proc/self with the real pid. */
export function openPath(f: OpenFrame): string {
  return realProcPath(absolutePath(f.path, f.err === null ? null : f.base), f.pid, f.tid);
}

export class FilesystemTable {
  private readonly reads = new Map<string, Acc>();
  private readonly writes = new Map<string, Acc>();
  private readonly failed = new Map<string, FailedAcc>();
  // entries bumped by the open that carried each repeat id (two for readwrite, none for O_PATH)
  private readonly byRid = new Map<number, Acc[]>();

  add(f: OpenFrame): void {
    if (f.err === null) {
      const acc = this.known(f);
      if (acc !== undefined) {
        acc.pids.add(f.pid);
        acc.count++;
        if (f.rid !== undefined) this.byRid.set(f.rid, [acc]);
        return;
      }
    }
    const path = openPath(f);
    if (f.err !== null) {
      const key = `${path}\0${f.mode}\0${f.err}`;
      let acc = this.failed.get(key);
      if (acc === undefined) this.failed.set(key, (acc = { path, mode: f.mode, errno: f.err, pids: new Set(), count: 0 }));
      acc.pids.add(f.pid);
      acc.count++;
      return;
    }
    // a successful O_PATH open reads and writes nothing: it is counted in neither list
    const bumped: Acc[] = [];
    if (f.mode === 'read' || f.mode === 'readwrite') bumped.push(bump(this.reads, path, f.pid));
    if (f.mode === 'write' || f.mode === 'readwrite') bumped.push(bump(this.writes, path, f.pid));
    if (f.rid !== undefined) this.byRid.set(f.rid, bumped);
  }

  /** Add `n` repeats of the open that carried `rid`; false when no open carried it. */
  repeat(rid: number, n: number): boolean {
    const accs = this.byRid.get(rid);
    if (accs === undefined) return false;
    for (const acc of accs) acc.count += n;
    return true;
  }

  /**
   * The entry of a successful open's path, if that path is already a key as the kernel gave it:
   * a key is openPath's output, which openPath leaves as it is, so the path needs no normalising.
   */
  private known(f: OpenFrame): Acc | undefined {
    if (f.mode === 'read') return this.reads.get(f.path);
    if (f.mode === 'write') return this.writes.get(f.path);
    return undefined;
  }

  /** The filesystem section, every list sorted, each entry made as it is read. */
  section(): LazyReceipt['filesystem'] {
    return {
      reads: entries(this.reads),
      writes: entries(this.writes),
      failed: new LazyList(
        () => [...this.failed.values()],
        (a, b) => compare(a.path, b.path) || compare(a.mode, b.mode) || compare(a.errno, b.errno),
        (a): FailedPathEntry => ({ path: a.path, mode: a.mode, errno: a.errno, pids: sortedPids(a.pids), count: a.count }),
      ),
    };
  }
}

function bump(map: Map<string, Acc>, path: string, pid: number): Acc {
  let acc = map.get(path);
  if (acc === undefined) map.set(path, (acc = { path, pids: new Set(), count: 0 }));
  acc.pids.add(pid);
  acc.count++;
  return acc;
}

function entries(map: Map<string, Acc>): Iterable<PathEntry> {
  return new LazyList(
    () => [...map.values()],
    (a, b) => compare(a.path, b.path),
    (a): PathEntry => ({ path: a.path, pids: sortedPids(a.pids), count: a.count }),
  );
}

const sortedPids = (pids: Set<number>): number[] => [...pids].sort((a, b) => a - b);
