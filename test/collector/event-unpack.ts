import t, { type Test } from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Packr } from 'msgpackr';
import { unpackEventFrame } from '../../controller/collector/event-unpack.js';
import { unpackFrameBody } from '../../controller/collector/frame-decoder.js';
import { readRecording } from '../../controller/replay/read-recording.js';
import { ROOT } from '../helpers/gh-run.js';
import { exec, exit, fork, ms, net, open, type Wire } from '../helpers/events.js';

// msgpack as helper/msgpack.c writes it: the smallest int, fixmap/map16, fixstr/str8/str16, fixarray/array16
function helperPack(v: unknown, out: number[] = []): number[] {
  const be = (n: number, bytes: number): void => {
    for (let i = bytes - 1; i >= 0; i--) out.push(Number((BigInt(n) >> BigInt(8 * i)) & 0xffn));
  };
  if (v === null) out.push(0xc0);
  else if (typeof v === 'boolean') out.push(v ? 0xc3 : 0xc2);
  else if (typeof v === 'number') {
    if (v < 0x80) out.push(v);
    else if (v < 0x100) out.push(0xcc, v);
    else if (v < 0x10000) (out.push(0xcd), be(v, 2));
    else if (v < 0x100000000) (out.push(0xce), be(v, 4));
    else (out.push(0xcf), be(v, 8));
  } else if (typeof v === 'string') {
    const bytes = Buffer.from(v, 'utf8');
    if (bytes.length < 32) out.push(0xa0 | bytes.length);
    else if (bytes.length < 0x100) out.push(0xd9, bytes.length);
    else (out.push(0xda), be(bytes.length, 2));
    out.push(...bytes);
  } else if (Array.isArray(v)) {
    if (v.length < 16) out.push(0x90 | v.length);
    else (out.push(0xdc), be(v.length, 2));
    for (const x of v) helperPack(x, out);
  } else {
    const entries = Object.entries(v as Wire);
    if (entries.length < 16) out.push(0x80 | entries.length);
    else (out.push(0xde), be(entries.length, 2));
    for (const [k, x] of entries) (helperPack(k, out), helperPack(x, out));
  }
  return out;
}

const fast = (body: Buffer): object | undefined => unpackEventFrame(body, new DataView(body.buffer, body.byteOffset, body.length), 0, body.length);

function slow(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: unpackFrameBody(body) };
  } catch {
    return { ok: false };
  }
}

/** The fast path decodes `body` as msgpackr does, or leaves it to msgpackr; returns whether it decoded it. */
function agrees(t: Test, body: Buffer, what: string): boolean {
  const mine = fast(body);
  if (mine === undefined) return false;
  const theirs = slow(body);
  if (!theirs.ok) t.fail(`${what}: decoded what msgpackr refuses`);
  else if (!isDeepStrictEqual(mine, theirs.value) || !isDeepStrictEqual(Object.keys(mine), Object.keys(theirs.value as object))) {
    t.fail(`${what}: ${JSON.stringify(mine)} vs msgpackr ${JSON.stringify(theirs.value)}`);
  }
  return true;
}

const long = '/very/long/path/'.repeat(20); // > 255 bytes: str16
const built: Wire[] = [
  exec({ privileged: false }),
  exec({ privileged: true, argv: null, cwd: null, exe: null, err: 'ENOENT', base: '/home/me', path: 'rel/x' }),
  exec({ privileged: false, argv: Array.from({ length: 300 }, (_, i) => `a${i}`), path: long }),
  exec({ privileged: false, argv: ['', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(255), 'w'.repeat(256)] }),
  fork({ pid: 5001, start: ms(2) }),
  fork({ pid: 5001, start: ms(2), cwd: null }),
  exit({ code: 255 }),
  exit({ sig: 'SIGSEGV', core: true }),
  open({ path: '/etc/passwd' }),
  open({ path: 'rel', base: '/home/me', err: 'ENOENT', mode: 'write', flags: 0o1101 }),
  open({ path: long, mode: 'readwrite' }),
  net({ addr: '127.0.0.1', port: 65535 }),
  net({ family: 'unix', proto: 'stream', addr: '@abstract', port: null, err: 'ECONNREFUSED' }),
];
// ints at the boundaries of every encoding, above 2^53 included
const ints = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53 + 2, 2 ** 63, 1.8e19];
for (const n of ints) built.push(open({ path: '/x', ts: n, pid: Math.min(n, 2 ** 31), flags: n }));

t.test('frames the helper recorded (test/fixtures/recordings): every event frame decoded, as msgpackr does', async (t) => {
  const dir = join(ROOT, 'test', 'fixtures', 'recordings');
  let events = 0;
  let decoded = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ghrec'))) {
    const { helper } = readRecording(readFileSync(join(dir, file)));
    for (let off = 0; off + 4 <= helper.length; ) {
      const length = helper.readUInt32BE(off);
      const body = helper.subarray(off + 4, off + 4 + length);
      off += 4 + length;
      const value = slow(body);
      const isEvent = value.ok && ['exec', 'fork', 'exit', 'open', 'net'].includes((value.value as { t?: string }).t ?? '');
      const hit = agrees(t, body, `${file} at ${off}`);
      if (isEvent) events++;
      if (hit) decoded++;
      if (hit && !isEvent) t.fail(`${file}: a frame that is not an event decoded by the fast path`);
    }
  }
  t.ok(events > 400, `${events} event frames`);
  // only non-ASCII strings are left to msgpackr; the fixtures have a few (files.py)
  t.ok(decoded >= events * 0.95, `${decoded} of ${events} decoded by the fast path`);
});

t.test('built frames, helper-style and as msgpackr packs them', async (t) => {
  const packr = new Packr({ useRecords: false });
  let decoded = 0;
  for (const frame of built) {
    if (agrees(t, Buffer.from(helperPack(frame)), `helper-style ${JSON.stringify(frame).slice(0, 80)}`)) decoded++;
    agrees(t, packr.pack(frame), `msgpackr-packed ${JSON.stringify(frame).slice(0, 80)}`);
  }
  t.equal(decoded, built.length, 'every helper-style frame (exec without privileged aside) is taken by the fast path');
  const unicode = Buffer.from(helperPack(open({ path: '/tmp/ünïcödé' })));
  t.equal(fast(unicode), undefined, 'non-ASCII strings are left to msgpackr');
  const latin = Buffer.from(helperPack(open({ path: '/tmp/x' })));
  latin[latin.indexOf('/tmp/x') + 5] = 0xff; // invalid UTF-8
  t.equal(fast(latin), undefined);
  t.ok(agrees(t, Buffer.from(helperPack(exec())), 'exec without privileged') === false, 'a layout the helper does not write: msgpackr');
});

t.test('mutations: every byte changed, every cut, bytes appended: the fast path agrees with msgpackr or declines', async (t) => {
  const replacements = [0x00, 0x01, 0x7f, 0x80, 0x8b, 0x8c, 0x90, 0x9f, 0xa0, 0xa4, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff];
  let cases = 0;
  let decoded = 0;
  for (const frame of built.slice(0, 13)) {
    const body = Buffer.from(helperPack(frame));
    for (let i = 0; i < body.length; i++) {
      for (const r of [...replacements, (body[i]! + 1) & 0xff, (body[i]! - 1) & 0xff]) {
        if (r === body[i]) continue;
        const copy = Buffer.from(body);
        copy[i] = r;
        cases++;
        if (agrees(t, copy, `${frame.t} byte ${i} = ${r}`)) decoded++;
      }
    }
    for (let cut = 0; cut < body.length; cut++) {
      cases++;
      if (cut > 0 && agrees(t, body.subarray(0, cut), `${frame.t} cut at ${cut}`)) t.fail(`${frame.t}: a cut frame decoded`);
    }
    for (const extra of [0x00, 0xc0, 0xa1]) {
      cases++;
      if (agrees(t, Buffer.concat([body, Buffer.from([extra])]), `${frame.t} + ${extra}`)) t.fail(`${frame.t}: a frame with a byte too many decoded`);
    }
  }
  t.ok(cases > 10_000, `${cases} mutated frames, ${decoded} decoded by the fast path (the rest by msgpackr)`);
});

t.test('inside a larger buffer: only the bytes of the frame are read', async (t) => {
  const body = Buffer.from(helperPack(open({ path: '/etc/hosts' })));
  const around = Buffer.concat([Buffer.from([0xde, 0xad]), body, Buffer.from([0xc0, 0xc0])]);
  const view = new DataView(around.buffer, around.byteOffset, around.length);
  const expected = slow(body);
  t.ok(expected.ok);
  t.same(unpackEventFrame(around, view, 2, 2 + body.length), expected.ok ? expected.value : null);
  t.equal(unpackEventFrame(around, view, 2, 2 + body.length - 1), undefined, 'its end is where the frame ends');
});
