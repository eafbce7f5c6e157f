// The dns section from dns frames (protocol 5): the messages the tree sent to and received from
// port 53, decoded as they arrive (dns-message.ts), paired at the end (a query sent with the
// answer received on the same socket with the same DNS id and question), and merged. Over UDP a
// frame is one message; over TCP the frames of one socket and direction are pieces of a stream
// of messages, each after a 2-byte length (tcp-dns-stream.ts). The answers also name the
// addresses they gave (hosts(): address -> the name asked), for the network section.
import type { DnsFrame } from '../schema/frames.js';
import type { DnsEntry } from '../schema/receipt.js';
import { parseDnsMessage, rcodeName, typeName, type DnsMessage } from './dns-message.js';
import { compare } from './numbers.js';
import { TcpDnsStream } from './tcp-dns-stream.js';

/** One message decoded, with where it went and whether its copy was cut (not the frame: no frame is kept). */
interface Seen {
  ino: number;
  pid: number;
  server: string;
  port: number;
  protocol: DnsFrame['proto'];
  message: DnsMessage;
  cut: boolean;
}

interface Merged extends DnsEntry {
  pidSet: Set<number>;
}

export class DnsTable {
  private readonly seen: Seen[] = [];
  private readonly streams = new Map<string, TcpDnsStream>();
  private skippedCount = 0;
  private finished = false;

  add(f: DnsFrame): void {
    if (f.proto === 'udp') {
      const copied = Math.min(f.size, f.data.length);
      this.message(f, f.data.subarray(0, copied), f.size > copied);
      return;
    }
    const key = `${f.ino} ${f.dir}`;
    let stream = this.streams.get(key);
    if (stream === undefined) this.streams.set(key, (stream = new TcpDnsStream()));
    stream.push(f, (origin, bytes, cut) => this.message(origin, bytes, cut));
  }

  /** Messages that are not in the section: not DNS, cut before their question, or the wrong way round. */
  get skipped(): number {
    this.finish();
    return this.skippedCount;
  }

  /** The address -> name of the answers, the first answer in stream order for each address. */
  hosts(): Map<string, string> {
    this.finish();
    const hosts = new Map<string, string>();
    for (const { message } of this.seen) {
      if (!message.response) continue;
      for (const address of message.addresses) if (!hosts.has(address)) hosts.set(address, message.name);
    }
    return hosts;
  }

  /** The dns list: each query with its answer (or none), and answers no query was seen for, merged and sorted. */
  section(): DnsEntry[] {
    this.finish();
    const pending = new Map<string, { query: Seen; answer: Seen | null }[]>();
    const pairs: { query: Seen | null; answer: Seen | null }[] = [];
    for (const seen of this.seen) {
      const { message } = seen;
      const key = `${seen.ino}\0${message.id}\0${message.type}\0${message.name}`;
      if (!message.response) {
        const pair = { query: seen, answer: null };
        pairs.push(pair);
        const waiting = pending.get(key);
        if (waiting === undefined) pending.set(key, [pair]);
        else waiting.push(pair);
        continue;
      }
      const pair = pending.get(key)?.shift();
      if (pair !== undefined) pair.answer = seen;
      else pairs.push({ query: null, answer: seen });
    }
    const merged = new Map<string, Merged>();
    for (const { query, answer } of pairs) {
      const asked = (query ?? answer)!;
      const entry: Merged = {
        name: asked.message.name,
        type: typeName(asked.message.type),
        server: asked.server,
        port: asked.port,
        protocol: asked.protocol,
        rcode: answer !== null ? rcodeName(answer.message.rcode) : null,
        answers: answer?.message.answers ?? [],
        truncated: answer?.message.truncated ?? false,
        complete: !(query?.cut ?? false) && !(answer?.cut ?? false),
        pids: [],
        count: 1,
        pidSet: new Set([asked.pid]),
      };
      const key = JSON.stringify([entry.name, entry.type, entry.server, entry.port, entry.protocol, entry.rcode, entry.answers, entry.truncated, entry.complete]);
      const same = merged.get(key);
      if (same === undefined) merged.set(key, entry);
      else {
        same.count++;
        same.pidSet.add(asked.pid);
      }
    }
    return [...merged.values()].sort(order).map(({ pidSet, ...entry }) => ({ ...entry, pids: [...pidSet].sort((a, b) => a - b) }));
  }

  /** One message's bytes: decoded and kept, or counted as skipped. */
  private message(frame: DnsFrame, bytes: Uint8Array, cut: boolean): void {
    const message = parseDnsMessage(bytes, !cut);
    // a query is sent and an answer received: the other way round, the tree answers
    if (message === null || message.response !== (frame.dir === 'in')) this.skippedCount++;
    else this.seen.push({ ino: frame.ino, pid: frame.pid, server: frame.addr, port: frame.port, protocol: frame.proto, message, cut });
  }

  /** Messages still open at the end of a TCP stream: cut (the connection ended in the middle). */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const stream of this.streams.values()) stream.end((origin, bytes, cut) => this.message(origin, bytes, cut));
    this.streams.clear();
  }
}

function order(a: DnsEntry, b: DnsEntry): number {
  return (
    compare(a.name, b.name) ||
    compare(a.type, b.type) ||
    compare(a.server, b.server) ||
    a.port - b.port ||
    compare(a.protocol, b.protocol) ||
    compare(a.rcode, b.rcode) ||
    compareLists(a.answers, b.answers) ||
    Number(a.truncated) - Number(b.truncated) ||
    Number(a.complete) - Number(b.complete)
  );
}

function compareLists(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compare(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}
