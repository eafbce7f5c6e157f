// A DNS message (RFC 1035 section 4) from its bytes: the header, the first question, and the A,
// AAAA and CNAME records of the answer section. Hand-written and defensive: every read is
// bounds-checked, compression pointers are followed with a loop guard, and nothing throws: a
// message that cannot be read is null. The helper copies the first 512 bytes of a message: a
// message known to be cut is read as far as its bytes go.
import { ipv4Text, ipv6Text } from './ip-text.js';

export interface DnsMessage {
  id: number;
  /** the QR bit: an answer */
  response: boolean;
  /** the TC bit: the answer did not fit */
  truncated: boolean;
  /** RCODE, with the upper bits of an EDNS OPT record when one was read */
  rcode: number;
  /** the first question: name in presentation form (lower case, no trailing dot), type */
  name: string;
  type: number;
  /** A and AAAA addresses and CNAME targets of the answer section, in order */
  answers: string[];
  /** the A and AAAA addresses among them */
  addresses: string[];
}

const HEADER = 12;
const TYPE_A = 1;
const TYPE_CNAME = 5;
const TYPE_AAAA = 28;
const TYPE_OPT = 41;
/** a name is at most 255 bytes on the wire: at most 127 labels, so no more pointers than that */
const MAX_NAME = 255;
const MAX_POINTERS = 127;

const TYPES: Readonly<Record<number, string>> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 64: 'SVCB', 65: 'HTTPS', 255: 'ANY',
};
const RCODES: readonly string[] = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** Why: the receipt's name of a query type ("A", "TYPE99"). */
export const typeName = (type: number): string => TYPES[type] ?? `TYPE${type}`;
/** Why: the receipt's name of a response code ("NXDOMAIN", "RCODE9"). */
export const rcodeName = (rcode: number): string => RCODES[rcode] ?? `RCODE${rcode}`;

/** Why the reading of a name or record stopped: it ran past the bytes, or they make no sense. */
const SHORT = 1;
const BAD = 2;
type Failure = typeof SHORT | typeof BAD;

/**
 * Why: what a DNS message's bytes say. `whole`: the bytes are the whole message; else it was
 * cut, and its records are read as far as they go. Null when not even the header and the first
 * question can be read, or a whole message does not parse to its end of records.
 */
export function parseDnsMessage(b: Uint8Array, whole: boolean): DnsMessage | null {
  if (b.length < HEADER) return null;
  const qdcount = u16(b, 4);
  if (qdcount === 0) return null;
  const question = readName(b, HEADER);
  if (typeof question === 'number' || question.next + 4 > b.length) return null;
  const flags = u16(b, 2);
  const message: DnsMessage = {
    id: u16(b, 0),
    response: (flags & 0x8000) !== 0,
    truncated: (flags & 0x0200) !== 0,
    rcode: flags & 0x000f,
    name: question.name,
    type: u16(b, question.next),
    answers: [],
    addresses: [],
  };
  const failed = readSections(b, question.next + 4, qdcount - 1, message);
  return failed !== null && whole ? null : message;
}

/** The other questions, then every record; null when all were read, else why it stopped. */
function readSections(b: Uint8Array, at: number, questions: number, message: DnsMessage): Failure | null {
  let pos = at;
  for (let i = 0; i < questions; i++) {
    const name = skipName(b, pos);
    if (name < 0) return -name as Failure;
    pos = name + 4;
    if (pos > b.length) return SHORT;
  }
  const counts = [u16(b, 6), u16(b, 8), u16(b, 10)];
  for (let section = 0; section < 3; section++) {
    for (let i = 0; i < counts[section]!; i++) {
      const owner = skipName(b, pos);
      if (owner < 0) return -owner as Failure;
      if (owner + 10 > b.length) return SHORT;
      const type = u16(b, owner);
      const ttl = u32(b, owner + 4);
      const length = u16(b, owner + 8);
      const data = owner + 10;
      if (data + length > b.length) return SHORT;
      if (section === 0) {
        const failed = readAnswer(b, type, data, length, message);
        if (failed !== null) return failed;
      } else if (section === 2 && type === TYPE_OPT) {
        message.rcode |= (ttl >>> 24) << 4; // EDNS: the upper 8 bits of a 12-bit RCODE
      }
      pos = data + length;
    }
  }
  return null;
}

function readAnswer(b: Uint8Array, type: number, data: number, length: number, message: DnsMessage): Failure | null {
  if (type === TYPE_A || type === TYPE_AAAA) {
    if (length !== (type === TYPE_A ? 4 : 16)) return BAD;
    const address = type === TYPE_A ? ipv4Text(b, data) : ipv6Text(b, data);
    message.answers.push(address);
    message.addresses.push(address);
  } else if (type === TYPE_CNAME) {
    const target = readName(b, data);
    if (typeof target === 'number') return target;
    message.answers.push(target.name);
  }
  return null;
}

/**
 * The name at `at`: its text, and where what follows it starts (after the first pointer). A
 * pointer may lead anywhere in the message, but not in circles: at most 127 of them, and the
 * name's labels at most 255 bytes in all.
 */
function readName(b: Uint8Array, at: number): { name: string; next: number } | Failure {
  const labels: string[] = [];
  let pos = at;
  let next = -1;
  let pointers = 0;
  let size = 1;
  for (;;) {
    if (pos >= b.length) return SHORT;
    const len = b[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= b.length) return SHORT;
      if (++pointers > MAX_POINTERS) return BAD;
      if (next < 0) next = pos + 2;
      pos = ((len & 0x3f) << 8) | b[pos + 1]!;
      continue;
    }
    if ((len & 0xc0) !== 0) return BAD; // the obsolete extended label types
    if (len === 0) break;
    size += len + 1;
    if (size > MAX_NAME) return BAD;
    if (pos + 1 + len > b.length) return SHORT;
    labels.push(labelText(b, pos + 1, len));
    pos += 1 + len;
  }
  return { name: labels.length === 0 ? '.' : labels.join('.'), next: next >= 0 ? next : pos + 1 };
}

/** Where what follows the name at `at` starts, or minus why it cannot be read. */
function skipName(b: Uint8Array, at: number): number {
  const name = readName(b, at);
  return typeof name === 'number' ? -name : name.next;
}

/** A label as zone files write it: letters in lower case, "." and "\" escaped, other bytes \DDD. */
function labelText(b: Uint8Array, at: number, len: number): string {
  let out = '';
  for (let i = at; i < at + len; i++) {
    const c = b[i]!;
    if (c === 0x2e || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) out += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
    else out += `\\${String(c).padStart(3, '0')}`;
  }
  return out;
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
