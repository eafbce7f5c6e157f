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
import { checkEntries, netbytesEntries } from '../helpers/net-entries.js';

t.test('bytes per network entry, every way a program moves them', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun([PYTHON, join(PROGRAMS, 'netbytes.py')]);
  t.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout.toString().trim().split('\n').pop()!);
  const rc = r.receipt;
  t.equal(rc.schema_version, '0.5');
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

  const left = checkEntries(t, rc.network, netbytesEntries(info));
  // a socket no connect/listen/accept/sendto named may have an entry of its own, but this
  // program moves no byte over such a socket
  t.same(left.filter((e) => e.op !== 'socket' || e.bytes !== 0), [], 'no other entries');

  t.same(rc.network.filter((e: any) => e.pid === sc.fork.child_pid), [], 'the child\'s bytes are on its parent\'s connect entry');
  t.ok(rc.processes.some((p: any) => p.pid === sc.fork.child_pid), 'the forked child is in the tree');
  t.same(rc.dns, [], 'no DNS');
});

// The kernel looks at the first 64 messages of a sendmmsg for their destination: those are
// entries with their bytes, the rest are counted in collector.sends_unreported, on no entry.
t.test('a sendmmsg of 70 messages: 64 on the entry, 6 said to be unreported', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun([PYTHON, join(PROGRAMS, 'mmsglong.py'), '70']);
  t.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout.toString().trim().split('\n').pop()!);
  t.match(info, { messages: 70, bytes: 210 });
  const sends = r.receipt.network.filter((e: any) => e.op === 'sendmsg' && e.port === info.port);
  t.equal(sends.length, 1, 'one entry for the one destination');
  t.match(sends[0], { address: '127.0.0.1', protocol: 'udp', result: 'ok', count: 64, bytes_sent: 192 }, 'the 64 messages looked at');
  t.equal(r.receipt.collector.sends_unreported, 6, 'the 6 after them');
  t.equal(r.receipt.collector.events_lost, 0);
});
