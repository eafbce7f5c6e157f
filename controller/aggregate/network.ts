// The network section: net frames merged by (pid, op, family, protocol, address, port, result,
// initial) as they arrive, and the bytes of each socket frame (protocol 5) on the entry of the
// socket it reports. A frame's repeat id names its entry for the repeats counted later; its
// inode number (protocol 5) names the socket whose frame comes when the socket is gone or at
// the end. The rules, in the order they are tried for a socket frame:
//
// - its rid names a net frame, else its inode was on a connect, accept or listen (the last one):
//   the bytes go to that entry, received all, sent less what the sendto/sendmsg frames with the
//   same inode reported (on their own entries already). A non-blocking connect's outcome moves
//   the socket (one count and its bytes) to the entry with that result and initial EINPROGRESS.
// - only sendto/sendmsg frames carried its inode (unconnected): its sends are on their entries;
//   what it received goes to their entry when they are all one, else to an op "socket" entry
//   with no address.
// - no net frame names it: an inet or inet6 socket that moved bytes gets an op "socket" entry
//   for its peer. With no peer it is unconnected, and every byte it sent went by a call naming a
//   destination: reported (then it would be named) or folded into a repeat of one (then on that
//   entry already), so only what it received is counted. Unix and other sockets no frame names
//   are the tree's own socketpairs and stdio: not listed.
import type { NetFrame, SocketFrame } from '../schema/frames.js';
import type { NetworkEntry } from '../schema/receipt.js';
import { LazyList } from './lazy-list.js';
import { compare } from './numbers.js';

type Op = NetworkEntry['op'];
type Family = NetworkEntry['family'];

/** What the net frames said about one socket (by inode number) until its socket frame came. */
interface SocketNames {
  /** the entry of the last connect, accept or listen that carried the inode */
  named: NetworkEntry | null;
  /** bytes of the sendto/sendmsg frames that carried it */
  sent: number;
  /** the entry of the first of those frames, and whether others fell in another entry */
  sendEntry: NetworkEntry | null;
  sendsSpread: boolean;
}

export class NetworkTable {
  private readonly merged = new Map<string, NetworkEntry>();
  private readonly byRid = new Map<number, NetworkEntry>();
  /** messages of sendmmsg calls past the first 64 of each: sent, destination not looked at */
  unreported = 0;
  /** rid of a sendto/sendmsg -> the bytes it sent (each repeat sent as many) */
  private readonly ridBytes = new Map<number, number>();
  /** sockets net frames named, until their socket frame */
  private readonly sockets = new Map<number, SocketNames>();

  add(f: NetFrame): void {
    const entry = this.entry(f.pid, f.op, f.family, f.proto, f.addr, f.port, f.err ?? 'ok', null);
    entry.count++;
    // messages of a sendmmsg after the first 64 were not looked at: no entry can say where they
    // went, so the collector counts them (collector.sends_unreported)
    if (f.more !== undefined) this.unreported += f.more;
    if (f.rid !== undefined) this.byRid.set(f.rid, entry);
    const sends = f.op === 'sendto' || f.op === 'sendmsg';
    if (sends && f.bytes !== undefined) {
      entry.bytes_sent += f.bytes;
      if (f.rid !== undefined && f.bytes > 0) this.ridBytes.set(f.rid, f.bytes);
    }
    if (f.ino === undefined) return;
    let names = this.sockets.get(f.ino);
    if (names === undefined) this.sockets.set(f.ino, (names = { named: null, sent: 0, sendEntry: null, sendsSpread: false }));
    if (!sends) names.named = entry;
    else {
      names.sent += f.bytes ?? 0;
      if (names.sendEntry === null) names.sendEntry = entry;
      else if (names.sendEntry !== entry) names.sendsSpread = true;
    }
  }

  /** One socket's bytes (protocol 5), on the entry of the net frame that names it (see above). */
  addSocket(f: SocketFrame): void {
    const names = this.sockets.get(f.ino);
    this.sockets.delete(f.ino);
    let entry = (f.rid !== undefined ? this.byRid.get(f.rid) : undefined) ?? names?.named ?? null;
    if (entry !== null) {
      // a non-blocking connect, decided: "EINPROGRESS" still, or what became of it
      if (f.outcome !== undefined && f.outcome !== 'EINPROGRESS' && entry.result === 'EINPROGRESS' && entry.initial === undefined) {
        entry.count--;
        entry = this.entry(entry.pid, entry.op, entry.family, entry.protocol, entry.address, entry.port, f.outcome ?? 'ok', 'EINPROGRESS');
        entry.count++;
      }
      entry.bytes_sent += Math.max(0, f.sent - (names?.sent ?? 0));
      entry.bytes_received += f.received;
      return;
    }
    if (names !== undefined && names.sendEntry !== null) {
      if (!names.sendsSpread) names.sendEntry.bytes_received += f.received;
      else if (f.received > 0 && f.family !== 'other') {
        const socket = this.entry(f.pid, 'socket', f.family, f.proto, '', null, 'ok', null);
        socket.count++;
        socket.bytes_received += f.received;
      }
      return;
    }
    if (f.family !== 'inet' && f.family !== 'inet6') return;
    const sent = f.peer !== undefined ? f.sent : 0;
    if (sent + f.received === 0) return;
    const socket = this.entry(f.pid, 'socket', f.family, f.proto, f.peer ?? '', f.peer_port ?? null, 'ok', null);
    socket.count++;
    socket.bytes_sent += sent;
    socket.bytes_received += f.received;
  }

  /** Add `n` repeats of the attempt that carried `rid` (and what they sent); false when none carried it. */
  repeat(rid: number, n: number): boolean {
    const entry = this.byRid.get(rid);
    if (entry === undefined) return false;
    entry.count += n;
    entry.bytes_sent += (this.ridBytes.get(rid) ?? 0) * n;
    return true;
  }

  /**
   * The network list, sorted, as it is read (the entries themselves, completed: host from
   * `hosts`, address -> name, and bytes). An entry whose every socket moved to another (a
   * non-blocking connect's outcome) is left out.
   */
  section(hosts: ReadonlyMap<string, string> = new Map()): Iterable<NetworkEntry> {
    return new LazyList(
      () => [...this.merged.values()].filter((e) => e.count > 0 || e.bytes_sent + e.bytes_received > 0),
      (a, b) =>
        a.pid - b.pid ||
        compare(a.op, b.op) ||
        compare(a.family, b.family) ||
        compare(a.address, b.address) ||
        compare(a.port, b.port) ||
        compare(a.result, b.result) ||
        compare(a.protocol, b.protocol) ||
        compare(a.initial ?? null, b.initial ?? null),
      (entry) => {
        entry.count = Math.max(0, entry.count);
        entry.host = entry.family === 'unix' ? null : hostOf(hosts, entry.address);
        entry.bytes = entry.bytes_sent + entry.bytes_received;
        return entry;
      },
    );
  }

  /** The entry of this key, made (count 0, in schema key order) when new. */
  private entry(pid: number, op: Op, family: Family, protocol: string, address: string, port: number | null, result: string, initial: string | null): NetworkEntry {
    const key = JSON.stringify([pid, op, family, protocol, address, port, result, initial]);
    let entry = this.merged.get(key);
    if (entry === undefined) {
      entry = {
        pid,
        op,
        family,
        protocol,
        address,
        port,
        result,
        ...(initial !== null ? { initial } : {}),
        count: 0,
        host: null,
        bytes_sent: 0,
        bytes_received: 0,
        bytes: 0,
      };
      this.merged.set(key, entry);
    }
    return entry;
  }
}

/** The name for an address; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) by its IPv4 address too. */
function hostOf(hosts: ReadonlyMap<string, string>, address: string): string | null {
  const host = hosts.get(address);
  if (host !== undefined) return host;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped !== null ? (hosts.get(mapped[1]!) ?? null) : null;
}
