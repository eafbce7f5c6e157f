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

type Addr = [string, number];
interface TcpLike { listen: Addr; client: Addr; sent: number; received: number; server_sent: number; server_received: number }

/**
 * The entries a receipt must have for a run of test/fixtures/programs/netbytes.py, derived from
 * what it printed (its JSON line): every scenario's connect, listen, accept, sendto and sendmsg
 * entries with the bytes each way, all in the program's own process.
 */
export function netbytesEntries(info: any): ExpectedEntry[] {
  const pid: number = info.pid;
  const sc = info.scenarios;
  const out: ExpectedEntry[] = [];
  const inet = { pid, family: 'inet' as const, result: 'ok', count: 1 };
  const tcpLike = (what: string, s: TcpLike, connect: Partial<ExpectedEntry> = {}) => {
    out.push(
      { ...inet, what, op: 'connect', protocol: 'tcp', address: s.listen[0], port: s.listen[1], bytes_sent: s.sent, bytes_received: s.received, ...connect },
      { ...inet, what, op: 'listen', protocol: 'tcp', address: s.listen[0], port: s.listen[1], bytes_sent: 0, bytes_received: 0 },
      { ...inet, what, op: 'accept', protocol: 'tcp', address: s.client[0], port: s.client[1], bytes_sent: s.server_sent, bytes_received: s.server_received },
    );
  };
  // a non-blocking connect: the entry's result is what became of it, `initial` what connect said
  const nonBlocking = (s: { initial: string; outcome: string }) =>
    s.initial === 'EINPROGRESS' ? { result: s.outcome, initial: 'EINPROGRESS' } : { result: s.initial };

  for (const name of Object.keys(sc).filter((n) => /^tcp_\d+$/.test(n))) tcpLike(name, sc[name]);
  for (const name of ['sendmsg', 'sendfile', 'splice', 'fork', 'open_at_exit']) tcpLike(name, sc[name]);
  tcpLike('nb_ok', sc.nb_ok, nonBlocking(sc.nb_ok));
  out.push({ ...inet, what: 'nb_refused', op: 'connect', protocol: 'tcp', address: '127.0.0.1', port: sc.nb_refused.port,
    bytes_sent: 0, bytes_received: 0, ...nonBlocking(sc.nb_refused) });

  const udp = { ...inet, protocol: 'udp' };
  for (const [name, op] of [['udp', 'sendto'], ['udp_sendmsg', 'sendmsg']] as const) {
    const s = sc[name];
    const n = s.datagrams ?? 1;
    out.push(
      { ...udp, what: name, op, address: s.server[0], port: s.server[1], count: n, bytes_sent: s.sent, bytes_received: s.received },
      { ...udp, what: `${name} (answers)`, op, address: s.client[0], port: s.client[1], count: n, bytes_sent: s.server_sent, bytes_received: s.server_received },
    );
  }
  // sendmmsg: one entry per destination, merged by peer, with the bytes of the messages sent there
  const m = sc.sendmmsg;
  out.push(
    { ...udp, what: 'sendmmsg to r1', op: 'sendmsg', address: m.r1.addr[0], port: m.r1.addr[1], count: m.sender.to_r1_messages, bytes_sent: m.sender.to_r1, bytes_received: 0 },
    { ...udp, what: 'sendmmsg to r2', op: 'sendmsg', address: m.r2.addr[0], port: m.r2.addr[1], count: m.sender.to_r2_messages, bytes_sent: m.sender.to_r2, bytes_received: 0 },
    // r1 and r2 read with recvmmsg, and answer once each: their entries stand for their sockets
    { ...udp, what: 'recvmmsg r1', op: 'sendto', address: m.q1.addr[0], port: m.q1.addr[1], bytes_sent: m.r1.sent, bytes_received: m.r1.received },
    { ...udp, what: 'recvmmsg r2', op: 'sendto', address: m.q2.addr[0], port: m.q2.addr[1], bytes_sent: m.r2.sent, bytes_received: m.r2.received },
    { ...udp, what: 'recvmmsg q1', op: 'connect', address: m.r1.addr[0], port: m.r1.addr[1], bytes_sent: 0, bytes_received: m.q1.received },
    { ...udp, what: 'recvmmsg q2', op: 'connect', address: m.r2.addr[0], port: m.r2.addr[1], bytes_sent: 0, bytes_received: m.q2.received },
  );

  const unix = { pid, family: 'unix' as const, result: 'ok', count: 1, port: null };
  const us = sc.unix_stream;
  out.push(
    { ...unix, what: 'unix_stream', op: 'connect', protocol: 'stream', address: us.path, bytes_sent: us.sent, bytes_received: us.received },
    { ...unix, what: 'unix_stream', op: 'listen', protocol: 'stream', address: us.path, bytes_sent: 0, bytes_received: 0 },
    // the peer of the accepted socket is the client, which has no name
    { ...unix, what: 'unix_stream', op: 'accept', protocol: 'stream', address: us.peer, bytes_sent: us.server_sent, bytes_received: us.server_received },
  );
  const ud = sc.unix_dgram;
  out.push(
    { ...unix, what: 'unix_dgram', op: 'connect', protocol: 'dgram', address: ud.path, bytes_sent: ud.sent, bytes_received: ud.received },
    { ...unix, what: 'unix_dgram (answers)', op: 'sendto', protocol: 'dgram', address: ud.client_path, count: 2, bytes_sent: ud.server_sent, bytes_received: ud.server_received },
  );
  return out;
}
