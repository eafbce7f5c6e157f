import t from 'tap';
import type { NetworkEntry, Receipt } from '../../controller/schema/receipt.js';
import { TYPE, a, aaaa, message, name, nameThen, pointer } from '../helpers/dns-wire.js';
import { dns, end, exec, exit, fork, hello, ms, net, receiptOf, repeats, socket, type Wire } from '../helpers/events.js';

const run = (...events: Wire[]) => receiptOf([hello(), exec(), fork({ pid: 60, start: ms(1) }), ...events, exit(), end()]).network;
/** A run of a protocol 5 helper. */
const run5 = (...events: Wire[]): Receipt => receiptOf([hello({ proto: 5 }), exec(), fork({ pid: 60, start: ms(1) }), ...events, exit(), end()]);
const zero = { host: null, bytes_sent: 0, bytes_received: 0, bytes: 0 };
/** The entries' peers, results and byte counts, to compare at a glance. */
const brief = (n: NetworkEntry[]) => n.map((e) => [e.op, e.address, e.port, e.result, e.initial ?? '-', e.count, e.bytes_sent, e.bytes_received]);

t.test('identical connects merge with a count; no bytes without a protocol 5 helper', async (t) => {
  const n = run(net({ addr: '127.0.0.1', port: 8080 }), net({ addr: '127.0.0.1', port: 8080 }));
  t.same(n, [{ pid: 4242, op: 'connect', family: 'inet', protocol: 'tcp', address: '127.0.0.1', port: 8080, result: 'ok', count: 2, ...zero }]);
  t.same(Object.keys(n[0]!), ['pid', 'op', 'family', 'protocol', 'address', 'port', 'result', 'count', 'host', 'bytes_sent', 'bytes_received', 'bytes'], 'legacy keys first');
  const r = receiptOf([hello({ proto: 4 }), exec(), exit(), end()]);
  t.equal(r.collector.network_bytes, false, 'a protocol 4 stream counted no bytes, and says so');
  t.equal(run5().collector.network_bytes, true);
});

t.test('different result, port, pid or op stay apart; sorted by pid, op, family, address, port, result', async (t) => {
  const n = run(
    net({ addr: '127.0.0.1', port: 8080, err: 'ECONNREFUSED' }),
    net({ addr: '127.0.0.1', port: 8080 }),
    net({ addr: '127.0.0.1', port: 53, op: 'sendto', proto: 'udp' }),
    net({ addr: '::1', port: 443, family: 'inet6' }),
    net({ addr: '/run/app.sock', family: 'unix' }),
    net({ addr: '10.0.0.1', port: 80, pid: 60, start: ms(1), err: 'EINPROGRESS' }),
  );
  t.same(
    n.map((e) => [e.pid, e.op, e.family, e.address, e.port, e.result]),
    [
      [60, 'connect', 'inet', '10.0.0.1', 80, 'EINPROGRESS'],
      [4242, 'connect', 'inet', '127.0.0.1', 8080, 'ECONNREFUSED'],
      [4242, 'connect', 'inet', '127.0.0.1', 8080, 'ok'],
      [4242, 'connect', 'inet6', '::1', 443, 'ok'],
      [4242, 'connect', 'unix', '/run/app.sock', null, 'ok'],
      [4242, 'sendto', 'inet', '127.0.0.1', 53, 'ok'],
    ],
  );
  t.equal(n.find((e) => e.family === 'unix')!.protocol, 'stream');
  t.ok(n.every((e) => e.count === 1 && e.bytes === 0));
});

t.test("a socket's bytes go to the entry its rid names, else to the last connect, accept or listen with its inode", async (t) => {
  const r = run5(
    net({ addr: '10.0.0.5', port: 443, rid: 1, ino: 100 }),
    net({ addr: '/run/app.sock', family: 'unix', ino: 101, err: 'ECONNREFUSED' }),
    net({ addr: '/run/app.sock', family: 'unix', ino: 101 }), // the retry on the same socket
    socket({ ino: 100, rid: 1, sent: 5120, received: 1048576 }),
    socket({ ino: 101, family: 'unix', sent: 12, received: 34 }),
  );
  t.same(brief(r.network), [
    ['connect', '10.0.0.5', 443, 'ok', '-', 1, 5120, 1048576],
    ['connect', '/run/app.sock', null, 'ECONNREFUSED', '-', 1, 0, 0],
    ['connect', '/run/app.sock', null, 'ok', '-', 1, 12, 34],
  ]);
  t.equal(r.network[0]!.bytes, 1053696, 'bytes = sent + received');
  t.equal(r.collector.events, 8, 'socket frames are events too');
});

t.test('folded connects: each socket names the entry by the rid of the first', async (t) => {
  const r = run5(
    net({ addr: '10.0.0.5', port: 443, rid: 1, ino: 100 }),
    socket({ ino: 100, rid: 1, sent: 10, received: 20 }),
    socket({ ino: 110, rid: 1, sent: 1, received: 2 }),
    socket({ ino: 111, rid: 1, sent: 100, received: 200 }),
    repeats([[1, 2]]),
  );
  t.same(brief(r.network), [['connect', '10.0.0.5', 443, 'ok', '-', 3, 111, 222]]);
});

t.test('sendto and sendmsg carry their bytes, repeats as many again; the socket adds only what they did not report', async (t) => {
  const r = run5(
    // unconnected UDP to one server: 4 sends of 40 bytes (3 folded), what came back goes to the same entry
    net({ op: 'sendto', proto: 'udp', addr: '127.0.0.53', port: 53, rid: 2, ino: 102, bytes: 40 }),
    socket({ ino: 102, proto: 'udp', sent: 160, received: 300, sends: 4, recvs: 4 }),
    // a connected UDP socket that also names its peer in a sendto: the sendto's 10 bytes are on
    // the sendto's entry, the other 100 on the connect's
    net({ addr: '10.0.0.9', port: 514, proto: 'udp', rid: 5, ino: 104 }),
    net({ op: 'sendto', proto: 'udp', addr: '10.0.0.9', port: 514, rid: 9, ino: 104, bytes: 10 }),
    socket({ ino: 104, rid: 5, proto: 'udp', sent: 110, received: 50 }),
    // sendmmsg: 64 looked at, the last saying 10 more were not
    net({ op: 'sendmsg', proto: 'udp', addr: '10.0.0.10', port: 9999, ino: 105, bytes: 8, more: 10 }),
    repeats([[2, 3]]),
  );
  t.same(brief(r.network), [
    ['connect', '10.0.0.9', 514, 'ok', '-', 1, 100, 50],
    ['sendmsg', '10.0.0.10', 9999, 'ok', '-', 1, 8, 0],
    ['sendto', '10.0.0.9', 514, 'ok', '-', 1, 10, 0],
    ['sendto', '127.0.0.53', 53, 'ok', '-', 4, 160, 300],
  ]);
  t.equal(r.collector.sends_unreported, 10, 'the 10 messages not looked at are counted, on no entry');
});

t.test('an unconnected socket sending to several peers: what it received on an op "socket" entry with no address', async (t) => {
  const r = run5(
    net({ op: 'sendto', proto: 'udp', addr: '8.8.8.8', port: 53, ino: 103, bytes: 30 }),
    net({ op: 'sendto', proto: 'udp', addr: '1.1.1.1', port: 53, ino: 103, bytes: 31 }),
    socket({ ino: 103, proto: 'udp', sent: 61, received: 100 }),
  );
  t.same(brief(r.network), [
    ['sendto', '1.1.1.1', 53, 'ok', '-', 1, 31, 0],
    ['sendto', '8.8.8.8', 53, 'ok', '-', 1, 30, 0],
    ['socket', '', null, 'ok', '-', 1, 0, 100],
  ]);
  t.match(r.network[2], { pid: 4242, family: 'inet', protocol: 'udp' });
});

t.test('listen names the address bound, accept the peer: the accepted socket has the bytes', async (t) => {
  const r = run5(
    net({ op: 'listen', addr: '0.0.0.0', port: 8080, ino: 120, pid: 60, start: ms(1) }),
    net({ op: 'accept', addr: '127.0.0.1', port: 51234, ino: 121, rid: 6, pid: 60, start: ms(1) }),
    socket({ ino: 121, rid: 6, sent: 11, received: 22, pid: 60, start: ms(1) }),
    socket({ ino: 120, pid: 60, start: ms(1) }),
  );
  t.same(brief(r.network), [
    ['accept', '127.0.0.1', 51234, 'ok', '-', 1, 11, 22],
    ['listen', '0.0.0.0', 8080, 'ok', '-', 1, 0, 0],
  ]);
  t.ok(r.network.every((e) => e.pid === 60));
});

t.test('non-blocking connects: each outcome moves one count and its bytes to the entry of that result, initial EINPROGRESS', async (t) => {
  const r = run5(
    net({ addr: '10.0.0.7', port: 80, err: 'EINPROGRESS', rid: 7, ino: 130 }),
    socket({ ino: 130, rid: 7, outcome: null, sent: 5, received: 6 }),
    socket({ ino: 131, rid: 7, outcome: 'ECONNREFUSED' }),
    socket({ ino: 132, rid: 7, outcome: 'EINPROGRESS', sent: 1 }), // still connecting at its end
    socket({ ino: 133, rid: 7, outcome: null, sent: 10, received: 10 }),
    // every one of these connected: the EINPROGRESS entry is gone
    net({ addr: '10.0.0.8', port: 443, err: 'EINPROGRESS', rid: 8, ino: 140 }),
    socket({ ino: 140, rid: 8, outcome: null, received: 1 }),
    repeats([[7, 3]]),
  );
  t.same(brief(r.network), [
    ['connect', '10.0.0.7', 80, 'ECONNREFUSED', 'EINPROGRESS', 1, 0, 0],
    ['connect', '10.0.0.7', 80, 'EINPROGRESS', '-', 1, 1, 0],
    ['connect', '10.0.0.7', 80, 'ok', 'EINPROGRESS', 2, 15, 16],
    ['connect', '10.0.0.8', 443, 'ok', 'EINPROGRESS', 1, 0, 1],
  ]);
  t.same(Object.keys(r.network[0]!).slice(6, 9), ['result', 'initial', 'count'], 'initial right after result');
  t.notOk('initial' in r.network[1]!, 'no initial where the result is what the call returned');
});

t.test('sockets no net frame names: inet peers with bytes are listed, unix and idle ones are not', async (t) => {
  const r = run5(
    socket({ ino: 200, peer: '10.1.1.1', peer_port: 443, sent: 1, received: 2 }),
    socket({ ino: 201, peer: '10.1.1.1', peer_port: 443, sent: 3, received: 4 }), // inherited twice: merged
    socket({ ino: 202, family: 'inet6', peer: '2001:db8::1', peer_port: 22 }), // no bytes
    socket({ ino: 203, family: 'unix', sent: 1000, received: 1000 }), // stdio socketpair
    socket({ ino: 204, family: 'other', proto: 'raw', sent: 20, received: 900 }), // netlink
    // unconnected, sends folded into a sendto of another socket: those are on that entry already
    net({ op: 'sendto', proto: 'udp', addr: '127.0.0.53', port: 53, rid: 3, ino: 205, bytes: 30 }),
    socket({ ino: 205, proto: 'udp', sent: 30, received: 90 }),
    socket({ ino: 206, proto: 'udp', sent: 30, received: 95 }),
    repeats([[3, 1]]),
  );
  t.same(brief(r.network), [
    ['sendto', '127.0.0.53', 53, 'ok', '-', 2, 60, 90],
    ['socket', '', null, 'ok', '-', 1, 0, 95],
    ['socket', '10.1.1.1', 443, 'ok', '-', 2, 4, 6],
  ]);
});

t.test("host: the name whose DNS answer gave the address (the name asked, the first answer's)", async (t) => {
  const answer = (id: number, q: string, records: { type: number; data: Buffer; owner?: Buffer }[]) =>
    message({ id, response: true, questions: [{ name: name(q), type: TYPE.A }], answers: records });
  const query = (id: number, q: string, type: number = TYPE.A) => message({ id, questions: [{ name: name(q), type }] });
  const r = run5(
    dns({ data: query(1, 'example.org') }),
    dns({ dir: 'in', data: answer(1, 'example.org', [{ type: TYPE.A, data: a('93.184.215.14') }]) }),
    dns({ data: query(2, 'www.example.com') }),
    // www.example.com CNAME edge.example.com, A 192.0.2.1
    dns({ dir: 'in', data: answer(2, 'www.example.com', [{ type: TYPE.CNAME, data: nameThen(['edge'], 16) }, { owner: pointer(45), type: TYPE.A, data: a('192.0.2.1') }]) }),
    dns({ data: query(3, 'other.example') }),
    dns({ dir: 'in', data: answer(3, 'other.example', [{ type: TYPE.A, data: a('93.184.215.14') }]) }), // later: not the host
    dns({ data: query(4, 'v6.example', TYPE.AAAA) }),
    dns({ dir: 'in', data: message({ id: 4, response: true, questions: [{ name: name('v6.example'), type: TYPE.AAAA }], answers: [{ type: TYPE.AAAA, data: aaaa('2001:db8::5') }] }) }),
    net({ addr: '93.184.215.14', port: 443 }),
    net({ addr: '192.0.2.1', port: 80 }),
    net({ addr: '2001:db8::5', port: 443, family: 'inet6' }),
    net({ addr: '::ffff:93.184.215.14', port: 80, family: 'inet6' }),
    net({ addr: '10.9.9.9', port: 80 }),
    net({ addr: '93.184.215.14', family: 'unix' }), // a unix path that looks like an address
  );
  t.same(
    r.network.map((e) => [e.address, e.host]),
    [
      ['10.9.9.9', null],
      ['192.0.2.1', 'www.example.com'],
      ['93.184.215.14', 'example.org'],
      ['2001:db8::5', 'v6.example'],
      ['::ffff:93.184.215.14', 'example.org'],
      ['93.184.215.14', null],
    ],
  );
  t.same(r.dns.find((d) => d.name === 'www.example.com')?.answers, ['edge.example.com', '192.0.2.1']);
});
