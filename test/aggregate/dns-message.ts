import t from 'tap';
import { parseDnsMessage, rcodeName, typeName } from '../../controller/aggregate/dns-message.js';
import { TYPE, a, aaaa, message, name, nameThen, opt, pointer } from '../helpers/dns-wire.js';

t.test('a query: id, the question lower-cased without its trailing dot, no answers', async (t) => {
  const m = parseDnsMessage(message({ id: 0xbeef, questions: [{ name: name('WwW.Example.ORG'), type: TYPE.AAAA }] }), true);
  t.same(m, { id: 0xbeef, response: false, truncated: false, rcode: 0, name: 'www.example.org', type: 28, answers: [], addresses: [] });
});

t.test('an answer: A records whose owner is a pointer to the question, in order', async (t) => {
  const m = parseDnsMessage(
    message({ response: true, answers: [{ type: TYPE.A, data: a('93.184.215.14') }, { type: TYPE.A, data: a('10.0.0.7') }] }),
    true,
  );
  t.match(m, { response: true, rcode: 0, name: 'example.org', type: 1, answers: ['93.184.215.14', '10.0.0.7'], addresses: ['93.184.215.14', '10.0.0.7'] });
});

t.test('AAAA addresses as inet_ntop writes them (RFC 5952)', async (t) => {
  const cases: [string, string][] = [
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not shortened
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'], // the first of two equal runs
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['0:0:0:0:0:ffff:102:304', '::ffff:1.2.3.4'], // IPv4-mapped
    ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  ];
  for (const [full, text] of cases) {
    const m = parseDnsMessage(message({ response: true, questions: [{ name: name('v6.test'), type: TYPE.AAAA }], answers: [{ type: TYPE.AAAA, data: aaaa(full) }] }), true);
    t.same(m?.answers, [text], full);
  }
});

t.test('a CNAME chain: targets and addresses in the order of the answer section, pointers into earlier names', async (t) => {
  // question at 12: 3www7example3org0 (17 bytes); "example.org" starts at 16
  const bytes = message({
    response: true,
    questions: [{ name: name('www.example.org'), type: TYPE.A }],
    answers: [
      { owner: pointer(12), type: TYPE.CNAME, data: nameThen(['edge'], 16) }, // edge.example.org
      { owner: name('edge.example.org'), type: TYPE.CNAME, data: name('cdn.Example.NET') },
      { owner: name('cdn.example.net'), type: TYPE.A, data: a('192.0.2.1') },
      { owner: name('cdn.example.net'), type: TYPE.AAAA, data: aaaa('2001:db8::2') },
    ],
  });
  const m = parseDnsMessage(bytes, true);
  t.same(m?.answers, ['edge.example.org', 'cdn.example.net', '192.0.2.1', '2001:db8::2']);
  t.same(m?.addresses, ['192.0.2.1', '2001:db8::2']);
  t.equal(m?.name, 'www.example.org', 'the name asked, not the target');
});

t.test('NXDOMAIN with a SOA in authority; other answer types are read past', async (t) => {
  const soa = Buffer.concat([name('ns.example.org'), name('admin.example.org'), Buffer.alloc(20)]);
  const m = parseDnsMessage(message({ response: true, rcode: 3, authority: [{ type: TYPE.SOA, data: soa }] }), true);
  t.match(m, { rcode: 3, answers: [] });
  t.equal(rcodeName(m!.rcode), 'NXDOMAIN');
  const mx = parseDnsMessage(
    message({ response: true, questions: [{ name: name('example.org'), type: TYPE.MX }], answers: [{ type: TYPE.MX, data: Buffer.concat([Buffer.from([0, 10]), name('mail.example.org')]) }, { type: TYPE.A, data: a('192.0.2.9') }] }),
    true,
  );
  t.same(mx?.answers, ['192.0.2.9'], 'an MX is no address nor alias');
});

t.test('the TC bit, and an EDNS OPT record extending the RCODE', async (t) => {
  t.match(parseDnsMessage(message({ response: true, tc: true }), true), { truncated: true, answers: [] });
  const badvers = parseDnsMessage(message({ response: true, rcode: 0, additional: [opt(1)] }), true);
  t.equal(badvers?.rcode, 16);
  t.equal(rcodeName(badvers!.rcode), 'RCODE16');
  t.equal(parseDnsMessage(message({ response: true, rcode: 2, additional: [opt(0)] }), true)?.rcode, 2);
});

t.test('names in zone-file form: escapes for dots and backslashes inside labels, \\DDD for other bytes', async (t) => {
  const labels = Buffer.from([3, 0x61, 0x2e, 0x42, 3, 0x5c, 0x20, 0xff, 0]); // "a.B", "\ \xff"
  t.equal(parseDnsMessage(message({ questions: [{ name: labels, type: TYPE.A }] }), true)?.name, 'a\\.b.\\\\\\032\\255');
  t.equal(parseDnsMessage(message({ questions: [{ name: name('.'), type: TYPE.NS }] }), true)?.name, '.', 'the root');
});

t.test('a pointer loop, a pointer out of the message, an extended label type: no message', async (t) => {
  const self = message({ questions: [{ name: pointer(12), type: TYPE.A }] });
  t.equal(parseDnsMessage(self, true), null, 'the question points at itself');
  // answers at 29 and 43: 2 bytes of owner, 10 of fixed fields, then the data (at 41 and 55)
  const pingPong = message({ response: true, answers: [{ type: TYPE.CNAME, data: pointer(55) }, { type: TYPE.CNAME, data: pointer(41) }] });
  t.equal(pingPong.readUInt16BE(41), 0xc000 | 55, 'the first CNAME points at the second one');
  t.equal(pingPong.readUInt16BE(55), 0xc000 | 41, 'and back');
  t.equal(parseDnsMessage(pingPong, true), null, 'two CNAME targets pointing at each other');
  t.equal(parseDnsMessage(message({ questions: [{ name: pointer(500), type: TYPE.A }] }), true), null);
  t.equal(parseDnsMessage(message({ questions: [{ name: Buffer.from([0x41, 0]), type: TYPE.A }] }), true), null);
  const long = Buffer.concat([...Array(5).fill(Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])), Buffer.from([0])]);
  t.equal(parseDnsMessage(message({ questions: [{ name: long, type: TYPE.A }] }), true), null, 'a name over 255 bytes');
});

t.test('garbage: too short, no question, counts past the end, an A of 5 bytes; never a throw', async (t) => {
  t.equal(parseDnsMessage(Buffer.alloc(11), true), null);
  t.equal(parseDnsMessage(message({ counts: [0, 0, 0, 0], questions: [] }), true), null);
  t.equal(parseDnsMessage(message({ counts: [1, 3, 0, 0] }), true), null, 'three answers announced, none there');
  t.equal(parseDnsMessage(message({ response: true, answers: [{ type: TYPE.A, data: Buffer.alloc(5) }] }), true), null);
  t.equal(parseDnsMessage(Buffer.from('GET / HTTP/1.1\r\nHost: example.org\r\n\r\n'), true), null);
  let seed = 1;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
  const base = message({ response: true, answers: [{ type: TYPE.CNAME, data: nameThen(['x'], 12) }, { type: TYPE.A, data: a('1.2.3.4') }] });
  let parsed = 0;
  for (let i = 0; i < 20000; i++) {
    const bytes = i % 2 === 0 ? Buffer.from(base) : Buffer.alloc(12 + (random() % 80));
    for (let j = 0; j < 4 + (random() % 8); j++) bytes[random() % bytes.length] = random();
    const m = parseDnsMessage(bytes, i % 3 !== 0);
    if (m !== null) parsed++;
  }
  t.ok(parsed > 0, `${parsed} of 20000 mutated messages still parse, the rest are null`);
});

t.test('a message known to be cut: read as far as its bytes go', async (t) => {
  const full = message({ response: true, answers: [1, 2, 3].map((n) => ({ type: TYPE.A, data: a(`10.0.0.${n}`) })) });
  const cut = full.subarray(0, full.length - 6); // into the third record
  t.same(parseDnsMessage(cut, false)?.answers, ['10.0.0.1', '10.0.0.2']);
  t.equal(parseDnsMessage(cut, true), null, 'the same bytes as a whole message do not parse');
  t.equal(parseDnsMessage(full.subarray(0, 14), false), null, 'cut inside the question: nothing to name');
});

t.test('names of types and response codes', async (t) => {
  t.same([1, 2, 5, 6, 12, 15, 16, 28, 33, 64, 65, 255, 99].map(typeName), ['A', 'NS', 'CNAME', 'SOA', 'PTR', 'MX', 'TXT', 'AAAA', 'SRV', 'SVCB', 'HTTPS', 'ANY', 'TYPE99']);
  t.same([0, 1, 2, 3, 4, 5, 9].map(rcodeName), ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'RCODE9']);
});
