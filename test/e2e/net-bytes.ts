// Bytes per network entry (schema 0.4): test/fixtures/programs/netbytes.py moves bytes over
// sockets every way a program can (read/write, readv/writev, send/recv with a MSG_PEEK, sendall,
// sendmsg/recvmsg with iovecs, sendmmsg/recvmmsg, sendfile, splice in and out, a socket written
// by a forked child, sockets still open at exit; TCP up to 100 MiB each way, UDP, unix stream
// and datagram), and prints what each call returned, summed, with every port and pid. The
// receipt must say exactly that, entry by entry: listen with the port the kernel chose, accept
// with the peer, non-blocking connects with their outcome and `initial`, and nothing else.
import t from 'tap';
import { join } from 'node:path';
import { ghRun, requireBpf, PROGRAMS, PYTHON } from '../helpers/gh-run.js';
import { checkEntries, type ExpectedEntry } from '../helpers/net-entries.js';

type Addr = [string, number];
interface TcpLike { listen: Addr; client: Addr; sent: number; received: number; server_sent: number; server_received: number }

/** The entries the receipt must have, derived from what netbytes.py printed. */
function expectedEntries(info: any): ExpectedEntry[] {
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

t.test('bytes per network entry, every way a program moves them', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun([PYTHON, join(PROGRAMS, 'netbytes.py')]);
  t.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout.toString().trim().split('\n').pop()!);
  const rc = r.receipt;
  t.equal(rc.schema_version, '0.4');
  t.equal(rc.collector.status, 'ok');
  t.equal(rc.collector.events_lost, 0, 'no event lost');
  t.equal(rc.collector.network_bytes, true, 'the collector counted bytes');
  t.equal(rc.process_tree.pid, info.pid);

  // the program's own account of its numbers, before the receipt is held to them
  const sc = info.scenarios;
  t.equal(sc.tcp_104857600.sent, 100 * 1024 * 1024, '100 MiB went out');
  t.equal(sc.tcp_104857600.server_received, 100 * 1024 * 1024, 'and came in');
  t.equal(sc.fork.sent, sc.fork.child_sent + sc.fork.parent_sent, 'the child wrote to the parent\'s socket');
  t.equal(sc.nb_refused.outcome, 'ECONNREFUSED');
  t.equal(sc.nb_ok.outcome, 'ok');

  const left = checkEntries(t, rc.network, expectedEntries(info));
  // a socket no connect/listen/accept/sendto named may have an entry of its own, but this
  // program moves no byte over such a socket
  t.same(left.filter((e) => e.op !== 'socket' || e.bytes !== 0), [], 'no other entries');

  t.same(rc.network.filter((e: any) => e.pid === sc.fork.child_pid), [], 'the child\'s bytes are on its parent\'s connect entry');
  t.ok(rc.processes.some((p: any) => p.pid === sc.fork.child_pid), 'the forked child is in the tree');
  t.same(rc.dns, [], 'no DNS');
});
