import t from 'tap';
import type { Receipt } from '../../controller/schema/receipt.js';
import { TYPE, a, aaaa, message, name, pointer, tcp } from '../helpers/dns-wire.js';
import { dns, end, exec, exit, fork, hello, ms, receiptOf, type Wire } from '../helpers/events.js';

const run = (...events: Wire[]): Receipt => receiptOf([hello({ proto: 5 }), exec(), fork({ pid: 60, start: ms(1) }), ...events, exit(), end()]);
const query = (id: number, q: string, type: number = TYPE.A): Buffer => message({ id, questions: [{ name: name(q), type }] });
const answer = (id: number, q: string, o: { type?: number; rcode?: number; tc?: boolean; records?: { type: number; data: Buffer }[] } = {}): Buffer =>
  message({ id, response: true, rcode: o.rcode, tc: o.tc, questions: [{ name: name(q), type: o.type ?? TYPE.A }], answers: o.records ?? [] });
const A = (text: string) => ({ type: TYPE.A, data: a(text) });

t.test('a UDP query and its answer: one entry', async (t) => {
  const r = run(dns({ data: query(7, 'Example.ORG') }), dns({ dir: 'in', data: answer(7, 'example.org', { records: [A('93.184.215.14')] }) }));
  t.same(r.dns, [
    { name: 'example.org', type: 'A', server: '127.0.0.53', port: 53, protocol: 'udp', rcode: 'NOERROR', answers: ['93.184.215.14'], truncated: false, complete: true, pids: [4242], count: 1 },
  ]);
  t.same(Object.keys(r.dns[0]!), ['name', 'type', 'server', 'port', 'protocol', 'rcode', 'answers', 'truncated', 'complete', 'pids', 'count']);
  t.equal(r.collector.dns_skipped, 0);
  t.equal(r.collector.events, 5, 'dns frames are events');
});

t.test('no answer: rcode null; NXDOMAIN; answers paired by socket, DNS id and question, whatever their order', async (t) => {
  const r = run(
    dns({ data: query(1, 'lost.example') }),
    dns({ data: query(2, 'nope.example') }),
    dns({ dir: 'in', data: answer(2, 'nope.example', { rcode: 3 }) }),
    // A and AAAA in parallel on one socket; the AAAA answer first
    dns({ ino: 901, data: query(10, 'dual.example') }),
    dns({ ino: 901, data: query(11, 'dual.example', TYPE.AAAA) }),
    dns({ ino: 901, dir: 'in', data: answer(11, 'dual.example', { type: TYPE.AAAA, records: [{ type: TYPE.AAAA, data: aaaa('2001:db8::7') }] }) }),
    dns({ ino: 901, dir: 'in', data: answer(10, 'dual.example', { records: [A('192.0.2.7')] }) }),
    // same id, other socket: not this answer
    dns({ ino: 902, dir: 'in', data: answer(1, 'lost.example', { records: [A('192.0.2.99')] }) }),
  );
  t.same(
    r.dns.map((d) => [d.name, d.type, d.rcode, d.answers]),
    [
      ['dual.example', 'A', 'NOERROR', ['192.0.2.7']],
      ['dual.example', 'AAAA', 'NOERROR', ['2001:db8::7']],
      ['lost.example', 'A', null, []],
      ['lost.example', 'A', 'NOERROR', ['192.0.2.99']], // an answer no query was seen for is listed too
      ['nope.example', 'A', 'NXDOMAIN', []],
    ],
  );
});

t.test('a truncated UDP answer, then the TCP retry: the length prefix in its own frame, the answer split across frames', async (t) => {
  const big = answer(5, 'big.example', { records: [1, 2, 3, 4].map((n) => A(`10.0.0.${n}`)) });
  const q = tcp(query(5, 'big.example'));
  const ans = tcp(big);
  const server = { addr: '192.0.2.53', ino: 910 };
  const r = run(
    dns({ ...server, data: query(5, 'big.example') }),
    dns({ ...server, dir: 'in', data: answer(5, 'big.example', { tc: true }) }),
    dns({ ...server, ino: 911, proto: 'tcp', data: q.subarray(0, 2) }),
    dns({ ...server, ino: 911, proto: 'tcp', data: q.subarray(2) }),
    dns({ ...server, ino: 911, proto: 'tcp', dir: 'in', data: ans.subarray(0, 2) }),
    dns({ ...server, ino: 911, proto: 'tcp', dir: 'in', data: ans.subarray(2, 20) }),
    dns({ ...server, ino: 911, proto: 'tcp', dir: 'in', data: ans.subarray(20) }),
  );
  t.same(
    r.dns.map((d) => [d.protocol, d.server, d.rcode, d.truncated, d.complete, d.answers]),
    [
      ['tcp', '192.0.2.53', 'NOERROR', false, true, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']],
      ['udp', '192.0.2.53', 'NOERROR', true, true, []],
    ],
  );
});

t.test('TCP: an answer over 512 bytes is cut and read as far as it goes; the length says where the next one starts', async (t) => {
  const many = answer(20, 'many.example', { records: Array.from({ length: 40 }, (_, n) => A(`10.1.0.${n}`)) });
  t.ok(many.length > 512, `${many.length} bytes`);
  const next = tcp(answer(21, 'next.example', { records: [A('10.2.0.1')] }));
  const frames = [
    dns({ ino: 920, proto: 'tcp', data: tcp(query(20, 'many.example')) }),
    dns({ ino: 920, proto: 'tcp', data: tcp(query(21, 'next.example')) }),
    // one call received the whole first answer (only 512 bytes copied), the next the second
    dns({ ino: 920, proto: 'tcp', dir: 'in', data: tcp(many), size: many.length + 2 }),
    dns({ ino: 920, proto: 'tcp', dir: 'in', data: next }),
  ];
  const r = run(...frames);
  const cut = r.dns.find((d) => d.name === 'many.example')!;
  t.equal(cut.complete, false);
  t.equal(cut.rcode, 'NOERROR');
  t.ok(cut.answers.length > 20 && cut.answers.length < 40, `${cut.answers.length} of 40 answers read`);
  t.same(cut.answers.slice(0, 3), ['10.1.0.0', '10.1.0.1', '10.1.0.2']);
  t.match(r.dns.find((d) => d.name === 'next.example'), { complete: true, answers: ['10.2.0.1'] });
  t.equal(r.collector.dns_skipped, 0);
});

t.test('TCP: bytes missing where a length is: taken up again at the next call', async (t) => {
  const first = tcp(answer(30, 'one.example', { records: [A('10.3.0.1')] }));
  const second = tcp(answer(31, 'two.example', { records: [A('10.3.0.2')] }));
  const third = tcp(answer(32, 'three.example', { records: [A('10.3.0.3')] }));
  // one call moved the first answer and the second, and only the first and one byte more were
  // copied: the second's length is not known, so neither is where the third starts
  const both = Buffer.concat([first, second]);
  const r = run(
    ...[30, 31, 32].map((id, i) => dns({ ino: 930, proto: 'tcp', data: tcp(query(id, ['one', 'two', 'three'][i] + '.example')) })),
    dns({ ino: 930, proto: 'tcp', dir: 'in', data: both.subarray(0, first.length + 1), size: both.length }),
    dns({ ino: 930, proto: 'tcp', dir: 'in', data: third }),
  );
  t.same(
    r.dns.map((d) => [d.name, d.rcode, d.complete]),
    [
      ['one.example', 'NOERROR', true],
      ['three.example', 'NOERROR', true],
      ['two.example', null, true], // its answer was not copied: no answer seen
    ],
  );
});

t.test('a copy cut at 512 bytes over UDP: complete false, the answers read so far', async (t) => {
  const many = answer(40, 'udp.example', { records: Array.from({ length: 40 }, (_, n) => A(`10.4.0.${n}`)) });
  const r = run(dns({ data: query(40, 'udp.example') }), dns({ dir: 'in', data: many.subarray(0, 512), size: many.length }));
  t.equal(r.dns[0]!.complete, false);
  t.equal(r.dns[0]!.answers.length, Math.floor((512 - 12 - 17) / 16), 'every whole record in the first 512 bytes');
});

t.test('identical questions and answers merge: count and pids; the list sorted by name, type, server, port, protocol', async (t) => {
  const ask = (pid: number, ino: number, id: number, q: string, addr = '127.0.0.53') => [
    dns({ pid, start: pid === 60 ? ms(1) : ms(0.5), ino, addr, data: query(id, q) }),
    dns({ pid, start: pid === 60 ? ms(1) : ms(0.5), ino, addr, dir: 'in', data: answer(id, q, { records: [A('192.0.2.1')] }) }),
  ];
  const r = run(...ask(60, 940, 1, 'b.example'), ...ask(4242, 941, 2, 'b.example'), ...ask(60, 942, 3, 'b.example'), ...ask(60, 943, 4, 'a.example'), ...ask(60, 944, 5, 'b.example', '10.0.0.53'));
  t.same(
    r.dns.map((d) => [d.name, d.server, d.pids, d.count]),
    [
      ['a.example', '127.0.0.53', [60], 1],
      ['b.example', '10.0.0.53', [60], 1],
      ['b.example', '127.0.0.53', [60, 4242], 3],
    ],
  );
});

t.test('what is not a query sent or an answer received is skipped, and counted: garbage, loops, a query received', async (t) => {
  // the answer at 30 (after 12 bytes of header and 18 of question), its data at 42
  const loop = message({ id: 50, response: true, questions: [{ name: name('loop.example'), type: TYPE.A }], answers: [{ owner: pointer(12), type: TYPE.CNAME, data: pointer(42) }] });
  const r = run(
    dns({ data: Buffer.from('not dns at all, just bytes to port 53') }),
    dns({ data: Buffer.alloc(5) }),
    dns({ data: query(50, 'loop.example') }),
    dns({ dir: 'in', data: loop }), // a CNAME pointing at itself
    dns({ dir: 'in', data: query(51, 'asked.example') }), // a query received: the tree answers
    dns({ dir: 'out', data: answer(51, 'asked.example') }),
  );
  t.equal(loop.readUInt16BE(42), 0xc000 | 42);
  t.equal(r.collector.dns_skipped, 5);
  t.same(r.dns.map((d) => [d.name, d.rcode]), [['loop.example', null]]);
  t.equal(r.collector.status, 'ok', 'the tree sending odd bytes to port 53 is no collector trouble');
});

t.test('older streams have no dns: the section is there, empty', async (t) => {
  const r = receiptOf([hello({ proto: 4 }), exec(), exit(), end()]);
  t.same(r.dns, []);
  t.equal(r.collector.dns_skipped, 0);
});
