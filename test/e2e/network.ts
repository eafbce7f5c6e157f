// Network: TCP ok and refused, IPv6, unconnected UDP sendto, non-blocking connect, unix
// sockets, a listener; each with family, protocol, address, port and result (a non-blocking
// connect's outcome, with `initial`).
import t from 'tap';
import { join } from 'node:path';
import { ghRun, requireBpf, PROGRAMS, PYTHON } from '../helpers/gh-run.js';

t.test('network attempts', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun([PYTHON, join(PROGRAMS, 'net.py')]);
  t.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout.toString().trim().split('\n').pop()!);
  const net = r.receipt.network;
  const pid = r.receipt.process_tree.pid;
  const find = (m: object) => net.filter((e: any) => Object.entries(m).every(([k, v]) => e[k] === v));

  t.match(find({ op: 'connect', family: 'inet', address: '127.0.0.1', port: info.tcp_ok, result: 'ok', initial: undefined })[0],
    { pid, protocol: 'tcp', count: 1, bytes: 0 }, 'TCP ok');
  t.match(find({ op: 'listen', family: 'inet', address: '127.0.0.1', port: info.tcp_ok })[0],
    { pid, protocol: 'tcp', result: 'ok', count: 1, bytes: 0 }, 'its listener, with the port the kernel chose');
  t.equal(find({ op: 'connect', port: info.tcp_refused, result: 'ECONNREFUSED' }).length, 1, 'TCP refused');
  if (info.ipv6) t.match(find({ op: 'connect', family: 'inet6', address: '::1', port: info.tcp6_ok })[0], { result: 'ok', protocol: 'tcp' }, 'IPv6');
  t.match(find({ op: 'sendto', family: 'inet', port: info.udp })[0], { protocol: 'udp', result: 'ok', count: 2 }, 'unconnected UDP sendto, counted');
  // non-blocking: the entry says what became of it (the program waited and asked), and that
  // connect said EINPROGRESS first
  if (info.nb === 'EINPROGRESS') {
    t.equal(find({ op: 'connect', port: info.tcp_ok, result: info.nb_outcome, initial: 'EINPROGRESS' }).length, 1, 'non-blocking connect');
  } else {
    t.equal(find({ op: 'connect', port: info.tcp_ok, result: 'ok', initial: undefined })[0]?.count, 2, 'non-blocking connect, done at once');
  }
  t.match(find({ op: 'connect', family: 'unix', address: info.unix })[0], { result: 'ok', port: null, protocol: 'stream' }, 'unix ok');
  t.match(find({ op: 'connect', family: 'unix', address: info.unix_missing })[0], { result: 'ENOENT' }, 'unix ENOENT');
  t.equal(r.receipt.collector.events_lost, 0);
});
