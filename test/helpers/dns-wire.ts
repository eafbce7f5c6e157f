// DNS messages as bytes on the wire (RFC 1035 section 4), built by hand for the tests of the
// DNS decoder and the dns section: names as labels or with compression pointers, records of any
// type with their data as given.

/** A name as labels ("example.org" -> 7example3org0); "." is the root. */
export function name(text: string): Buffer {
  if (text === '.' || text === '') return Buffer.from([0]);
  const parts = text.split('.').map((label) => Buffer.concat([Buffer.from([Buffer.byteLength(label, 'latin1')]), Buffer.from(label, 'latin1')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** A compression pointer to `offset`. */
export const pointer = (offset: number): Buffer => Buffer.from([0xc0 | (offset >> 8), offset & 0xff]);

/** Labels then a pointer: "www" + pointer(12). */
export function nameThen(labels: string[], to: number): Buffer {
  const parts = labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')]));
  return Buffer.concat([...parts, pointer(to)]);
}

export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, HTTPS: 65 } as const;

export interface DnsRecord {
  /** the owner name's bytes (name(), pointer(), nameThen()); default: a pointer to the question */
  owner?: Buffer;
  type: number;
  ttl?: number;
  data: Buffer;
}

export interface MessageSpec {
  id?: number;
  response?: boolean;
  tc?: boolean;
  rcode?: number;
  /** question names' bytes and types; default one question: example.org A */
  questions?: { name: Buffer; type: number }[];
  answers?: DnsRecord[];
  authority?: DnsRecord[];
  additional?: DnsRecord[];
  /** override the counts in the header */
  counts?: [number, number, number, number];
}

const u16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** A whole message's bytes. */
export function message(spec: MessageSpec = {}): Buffer {
  const questions = spec.questions ?? [{ name: name('example.org'), type: TYPE.A }];
  const answers = spec.answers ?? [];
  const authority = spec.authority ?? [];
  const additional = spec.additional ?? [];
  const flags = (spec.response ? 0x8000 : 0) | 0x0100 | (spec.response ? 0x0080 : 0) | (spec.tc ? 0x0200 : 0) | ((spec.rcode ?? 0) & 0xf);
  const counts = spec.counts ?? [questions.length, answers.length, authority.length, additional.length];
  const record = (r: DnsRecord): Buffer => Buffer.concat([r.owner ?? pointer(12), u16(r.type), u16(1), u32(r.ttl ?? 300), u16(r.data.length), r.data]);
  return Buffer.concat([
    u16(spec.id ?? 0x1234),
    u16(flags),
    ...counts.map(u16),
    ...questions.map((q) => Buffer.concat([q.name, u16(q.type), u16(1)])),
    ...answers.map(record),
    ...authority.map(record),
    ...additional.map(record),
  ]);
}

/** The 4 bytes of an IPv4 address. */
export const a = (text: string): Buffer => Buffer.from(text.split('.').map(Number));

/** The 16 bytes of an IPv6 address written in full or with "::" (no embedded IPv4). */
export function aaaa(text: string): Buffer {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const zeros = tail !== undefined ? 8 - left.length - right.length : 0;
  const groups = [...left, ...Array(zeros).fill('0'), ...right].map((g) => parseInt(g, 16));
  return Buffer.concat(groups.map(u16));
}

/** An OPT record (EDNS) whose TTL carries the upper 8 bits of the RCODE. */
export const opt = (extendedRcode: number): DnsRecord => ({ owner: Buffer.from([0]), type: TYPE.OPT, ttl: (extendedRcode << 24) >>> 0, data: Buffer.alloc(0) });

/** A message as DNS over TCP sends it: its length in 2 bytes, then it. */
export const tcp = (msg: Buffer): Buffer => Buffer.concat([u16(msg.length), msg]);
