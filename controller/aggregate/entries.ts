// The small records the filesystem tables keep per key (a path, a failure, a change): how many
// times and by which processes. One pid as a plain number until a second one appears, then a
// sorted array, so that a table of millions of keys keeps little more than the keys.
import { ownString } from './strings.js';

export interface Entry {
  /** one pid, or more in ascending order */
  pids: number | number[];
  count: number;
}

/** One more occurrence of `key` by `pid`: its entry, made (with its own copy of the key) when new. */
export function count<E extends Entry>(map: Map<string, E>, key: string, pid: number, make: (pid: number) => E): E {
  const entry = map.get(key);
  if (entry !== undefined) {
    bump(entry, pid);
    return entry;
  }
  const made = make(pid);
  map.set(ownString(key), made);
  return made;
}

export const plainEntry = (pid: number): Entry => ({ pids: pid, count: 1 });

/** One more occurrence of the entry by `pid`. */
export function bump(entry: Entry, pid: number): void {
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

export const pidList = (entry: Entry): number[] => (typeof entry.pids === 'number' ? [entry.pids] : entry.pids);
