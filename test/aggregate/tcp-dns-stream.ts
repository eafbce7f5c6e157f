import t from 'tap';
import { TcpDnsStream } from '../../controller/aggregate/tcp-dns-stream.js';
import type { DnsFrame } from '../../controller/schema/frames.js';
import { TYPE, a, message, name, tcp } from '../helpers/dns-wire.js';
import { dns, toFrames } from '../helpers/events.js';

const piece = (data: Uint8Array, size = data.length): DnsFrame => toFrames([dns({ proto: 'tcp', data, size })])[0] as DnsFrame;
const msgs = [1, 2, 3].map((id) => message({ id, response: true, questions: [{ name: name(`m${id}.example`), type: TYPE.A }], answers: [{ type: TYPE.A, data: a(`10.0.0.${id}`) }] }));
const stream = Buffer.concat(msgs.map(tcp));

function feed(pieces: DnsFrame[]): { bytes: Buffer; cut: boolean; origin: number }[] {
  const out: { bytes: Buffer; cut: boolean; origin: number }[] = [];
  const s = new TcpDnsStream();
  const emit = (origin: DnsFrame, bytes: Uint8Array, cut: boolean) => out.push({ bytes: Buffer.from(bytes), cut, origin: pieces.indexOf(origin) });
  for (const p of pieces) s.push(p, emit);
  s.end(emit);
  return out;
}

t.test('however the stream is cut into calls, the same messages come out, each from the call it began in', async (t) => {
  let seed = 7;
  const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8) % n;
  for (let round = 0; round < 300; round++) {
    const cuts = new Set<number>();
    const k = round === 0 ? stream.length - 1 : random(8);
    for (let i = 0; i < k; i++) cuts.add(round === 0 ? i + 1 : 1 + random(stream.length - 1)); // round 0: a byte per call
    const at = [0, ...[...cuts].sort((x, y) => x - y), stream.length];
    const pieces = at.slice(0, -1).map((from, i) => piece(stream.subarray(from, at[i + 1])));
    const out = feed(pieces);
    if (out.length !== 3 || out.some((m, i) => m.cut || !m.bytes.equals(msgs[i]!))) return t.fail(`cut at ${at.join(',')}`);
    const begins = [0, 2 + msgs[0]!.length, 4 + msgs[0]!.length + msgs[1]!.length];
    const expected = begins.map((b) => at.findIndex((from, i) => from <= b + 1 && b + 1 < at[i + 1]!));
    if (out.map((m) => m.origin).join() !== expected.join()) return t.fail(`origins ${out.map((m) => m.origin)} vs ${expected}`);
  }
  t.pass('300 ways of cutting it');
});

t.test('bytes not copied: the message they fall in is cut, read to the first byte missing; the next one is whole', async (t) => {
  const first = tcp(msgs[0]!);
  // the first call moved the length and the whole first message, but only 10 bytes were copied
  const out = feed([piece(first.subarray(0, 10), first.length), piece(tcp(msgs[1]!))]);
  t.same(out.map((m) => [m.bytes.length, m.cut]), [[8, true], [msgs[1]!.length, false]]);
  t.ok(out[0]!.bytes.equals(msgs[0]!.subarray(0, 8)));
});

t.test('a message begun and not finished when the stream ends is cut; a length alone gives nothing', async (t) => {
  const whole = tcp(msgs[0]!);
  t.same(feed([piece(whole.subarray(0, 20))]).map((m) => [m.bytes.length, m.cut]), [[18, true]]);
  t.same(feed([piece(whole.subarray(0, 1))]), []);
  t.same(feed([piece(Buffer.from([0, 0])), piece(tcp(msgs[2]!))]).map((m) => m.bytes.length), [0, msgs[2]!.length], 'a zero length: an empty message, then the next');
});
