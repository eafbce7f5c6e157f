// Network entries of a receipt (schema 0.4) against the entries a test expects: found by the
// receipt's merge key, compared field by field, and nothing left over.

/** What a test expects of one network entry; bytes = bytes_sent + bytes_received is implied. */
export interface ExpectedEntry {
  pid: number;
  op: 'connect' | 'sendto' | 'sendmsg' | 'listen' | 'accept' | 'socket';
  family: 'inet' | 'inet6' | 'unix';
  protocol: string;
  address: string;
  port: number | null;
  result: string;
  /** 'EINPROGRESS' for a non-blocking connect whose final outcome is `result`; else absent */
  initial?: string;
  count: number;
  bytes_sent: number;
  bytes_received: number;
  host?: string | null;
  /** names the scenario in messages */
  what: string;
}

export const entryKey = (e: { pid: number; op: string; family: string; protocol: string; address: string; port: number | null; result: string }) =>
  JSON.stringify([e.pid, e.op, e.family, e.protocol, e.address, e.port, e.result]);

interface Tap {
  equal(a: unknown, b: unknown, msg: string): unknown;
  same(a: unknown, b: unknown, msg: string): unknown;
  match(a: unknown, b: unknown, msg: string): unknown;
  ok(a: unknown, msg: string): unknown;
}

/**
 * Every expected entry is in `network` exactly once, with the counts and bytes expected (and
 * `initial` only where expected); returns the entries no expectation named.
 */
export function checkEntries(t: Tap, network: any[], expected: ExpectedEntry[]): any[] {
  const left = new Set(network);
  for (const x of expected) {
    const found = network.filter((e) => entryKey(e) === entryKey(x));
    t.equal(found.length, 1, `${x.what}: one ${x.op} entry for ${x.address}:${x.port} (${x.result})`);
    const e = found[0];
    if (!e) continue;
    left.delete(e);
    t.same(
      {
        count: e.count, bytes_sent: e.bytes_sent, bytes_received: e.bytes_received, bytes: e.bytes,
        initial: e.initial, host: e.host,
      },
      {
        count: x.count, bytes_sent: x.bytes_sent, bytes_received: x.bytes_received,
        bytes: x.bytes_sent + x.bytes_received, initial: x.initial, host: x.host === undefined ? null : x.host,
      },
      `${x.what}: ${x.op} ${x.address}:${x.port}: count, bytes each way, initial, host`,
    );
  }
  return [...left];
}
