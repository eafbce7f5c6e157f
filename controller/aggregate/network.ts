// The network section from net frames, merged by (pid, op, family, protocol, address, port,
// result) as they arrive; a frame's repeat id names its entry for the repeats counted later.
import type { NetFrame } from '../schema/frames.js';
import type { NetworkEntry } from '../schema/receipt.js';
import { LazyList } from './lazy-list.js';
import { compare } from './numbers.js';

export class NetworkTable {
  private readonly merged = new Map<string, NetworkEntry>();
  private readonly byRid = new Map<number, NetworkEntry>();

  add(f: NetFrame): void {
    const result = f.err ?? 'ok';
    const key = JSON.stringify([f.pid, f.op, f.family, f.proto, f.addr, f.port, result]);
    let entry = this.merged.get(key);
    if (entry) entry.count++;
    else
      this.merged.set(key, (entry = {
        pid: f.pid,
        op: f.op,
        family: f.family,
        protocol: f.proto,
        address: f.addr,
        port: f.port,
        result,
        count: 1,
        bytes: 0,
      }));
    if (f.rid !== undefined) this.byRid.set(f.rid, entry);
  }

  /** Add `n` repeats of the attempt that carried `rid`; false when none carried it. */
  repeat(rid: number, n: number): boolean {
    const entry = this.byRid.get(rid);
    if (entry === undefined) return false;
    entry.count += n;
    return true;
  }

  /** The network list, sorted, as it is read (the entries themselves, no copies). */
  section(): Iterable<NetworkEntry> {
    return new LazyList(
      () => [...this.merged.values()],
      (a, b) =>
        a.pid - b.pid ||
        compare(a.op, b.op) ||
        compare(a.family, b.family) ||
        compare(a.address, b.address) ||
        compare(a.port, b.port) ||
        compare(a.result, b.result) ||
        compare(a.protocol, b.protocol),
      (entry) => entry,
    );
  }
}
