// The filesystem section from open frames: what was read, written, or failed to open.
import type { Frame, OpenFrame } from '../schema/frames.js';
import type { FailedPathEntry, PathEntry, Receipt } from '../schema/receipt.js';
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

export function filesystemSection(frames: readonly Frame[]): Receipt['filesystem'] {
  const reads = new Map<string, Acc>();
  const writes = new Map<string, Acc>();
  const failed = new Map<string, FailedAcc>();
  const bump = <A extends Acc>(map: Map<string, A>, key: string, make: () => A, pid: number): void => {
    let acc = map.get(key);
    if (!acc) map.set(key, (acc = make()));
    acc.pids.add(pid);
    acc.count++;
  };
  for (const f of frames) {
    if (f.t !== 'open') continue;
    const path = openPath(f);
    if (f.err !== null) {
      const mode = f.mode;
      const errno = f.err;
      bump(failed, `${path}\0${mode}\0${errno}`, () => ({ path, mode, errno, pids: new Set(), count: 0 }), f.pid);
      continue;
    }
    // a successful O_PATH open reads and writes nothing: it is counted in neither list
    if (f.mode === 'read' || f.mode === 'readwrite') bump(reads, path, () => ({ path, pids: new Set(), count: 0 }), f.pid);
    if (f.mode === 'write' || f.mode === 'readwrite') bump(writes, path, () => ({ path, pids: new Set(), count: 0 }), f.pid);
  }
  return {
    reads: entries(reads),
    writes: entries(writes),
    failed: [...failed.values()]
      .sort((a, b) => compare(a.path, b.path) || compare(a.mode, b.mode) || compare(a.errno, b.errno))
      .map((a) => ({ path: a.path, mode: a.mode, errno: a.errno, pids: sortedPids(a.pids), count: a.count })),
  };
}

function entries(map: Map<string, Acc>): PathEntry[] {
  return [...map.values()]
    .sort((a, b) => compare(a.path, b.path))
    .map((a) => ({ path: a.path, pids: sortedPids(a.pids), count: a.count }));
}

const sortedPids = (pids: Set<number>): number[] => [...pids].sort((a, b) => a - b);
