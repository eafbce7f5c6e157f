import t from 'tap';
import { Packr } from 'msgpackr';
import { FrameDecoder, MAX_FRAME_BYTES, type DecodedItem } from '../../controller/collector/frame-decoder.js';
import { decodeFrameStream } from '../../controller/collector/frame-pipeline.js';
import { FrameError } from '../../controller/schema/frame-error.js';
import { encodeFrame, encodeFrames, end, exec, exit, hello, open } from '../helpers/events.js';

const sample = [
  hello(),
  exec({ argv: ['sh', '-c', 'echo "a b"\nnext', '', 'ünïcödé ✓'] }),
  open({ path: '/etc/passwd' }),
  exit({ code: 3 }),
  end({ syscalls: { read: 3, openat: 2 } }),
];

const okValues = (items: DecodedItem[]): unknown[] => items.flatMap((i) => (i.ok ? [i.value] : []));

t.test('decodes frames from one chunk, with their byte offsets', async (t) => {
  const bytes = encodeFrames(sample);
  const items = new FrameDecoder().push(bytes);
  t.equal(items.length, sample.length);
  t.same(okValues(items), sample);
  let offset = 0;
  for (const [i, item] of items.entries()) {
    t.ok(item.ok);
    if (item.ok) t.equal(item.offset, offset, `offset of frame ${i}`);
    offset += encodeFrame(sample[i]!).length;
  }
});

t.test('a stream split at every byte boundary gives the same frames', async (t) => {
  const bytes = encodeFrames(sample);
  for (let cut = 1; cut < bytes.length; cut++) {
    const d = new FrameDecoder();
    const items = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
    if (items.length !== sample.length || d.end() !== null) {
      t.fail(`split at ${cut}`);
      return;
    }
    t.same(okValues(items), sample);
  }
  t.pass('all two-piece splits decode');
});

t.test('one byte at a time', async (t) => {
  const bytes = encodeFrames(sample);
  const d = new FrameDecoder();
  const items: DecodedItem[] = [];
  for (let i = 0; i < bytes.length; i++) items.push(...d.push(bytes.subarray(i, i + 1)));
  t.same(okValues(items), sample);
  t.equal(d.end(), null);
  t.equal(d.position, bytes.length);
});

t.test('many frames per chunk, large frames straddling chunks', async (t) => {
  const many = Array.from({ length: 2000 }, (_, i) => open({ path: `/tmp/f${i}`, ts: i }));
  const big = exec({ argv: Array.from({ length: 5000 }, (_, i) => `arg-${i}`) });
  const bytes = encodeFrames([...many, big, ...many]);
  const d = new FrameDecoder();
  const items: DecodedItem[] = [];
  for (let i = 0; i < bytes.length; i += 4093) items.push(...d.push(bytes.subarray(i, i + 4093)));
  t.equal(items.length, 4001);
  t.same(okValues(items)[2000], big);
  t.equal(d.end(), null);
});

t.test('64-bit ints decode as numbers', async (t) => {
  const { frames, errors } = decodeFrameStream(encodeFrames([exec({ start: 86_400_123_456_789 })], true));
  t.same(errors, []);
  t.equal(frames[0]!.t, 'exec');
  if (frames[0]!.t === 'exec') {
    t.equal(typeof frames[0]!.start, 'number');
    t.equal(frames[0]!.start, 86_400_123_456_789);
  }
});

t.test('length 0 is rejected, naming the byte offset; the rest is ignored', async (t) => {
  const first = encodeFrame(hello());
  const bytes = Buffer.concat([first, Buffer.from([0, 0, 0, 0]), encodeFrame(end())]);
  const d = new FrameDecoder();
  const items = d.push(bytes);
  t.equal(items.length, 2);
  t.ok(items[0]!.ok);
  const bad = items[1]!;
  t.notOk(bad.ok);
  if (!bad.ok) {
    t.ok(bad.fatal);
    t.type(bad.error, FrameError);
    t.equal(bad.error.offset, first.length);
    t.match(bad.error.message, new RegExp(`byte ${first.length}.*length 0`));
  }
  t.same(d.push(encodeFrame(end())), [], 'nothing more after a fatal error');
});

t.test('length over 1 MiB is rejected', async (t) => {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(MAX_FRAME_BYTES + 1);
  const items = new FrameDecoder().push(prefix);
  t.equal(items.length, 1);
  const bad = items[0]!;
  t.notOk(bad.ok);
  if (!bad.ok) {
    t.equal(bad.error.offset, 0);
    t.match(bad.error.message, /exceeds the 1 MiB limit/);
  }
});

t.test('exactly 1 MiB is accepted', async (t) => {
  const packr = new Packr({ useRecords: false });
  const frameWith = (n: number): Buffer => packr.pack({ t: 'error', msg: 'x'.repeat(n), fatal: false });
  const overhead = frameWith(100_000).length - 100_000;
  const exact = frameWith(MAX_FRAME_BYTES - overhead);
  t.equal(exact.length, MAX_FRAME_BYTES);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(exact.length);
  const items = new FrameDecoder().push(Buffer.concat([prefix, exact]));
  t.equal(items.length, 1);
  t.ok(items[0]!.ok);
});

t.test('a truncated trailing frame is reported at end of stream', async (t) => {
  const full = encodeFrame(hello());
  const partial = encodeFrame(end()).subarray(0, 7);
  const d = new FrameDecoder();
  t.equal(d.push(Buffer.concat([full, partial])).length, 1);
  const err = d.end();
  t.type(err, FrameError);
  t.equal(err?.offset, full.length);
  t.match(err?.message, /truncated frame/);
  const d2 = new FrameDecoder();
  d2.push(Buffer.from([0, 0]));
  t.match(d2.end()?.message, /length prefix/);
});

t.test('a frame that is not exactly one msgpack value is an error, and decoding goes on', async (t) => {
  const body = Buffer.concat([new Packr({ useRecords: false }).pack({ t: 'x' }), Buffer.from([0xc0])]);
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(body.length);
  const bad = Buffer.concat([prefix, body]);
  const { frames, errors } = decodeFrameStream(Buffer.concat([encodeFrame(hello()), bad, encodeFrame(end())]));
  t.same(frames.map((f) => f.t), ['hello', 'end']);
  t.equal(errors.length, 1);
  t.equal(errors[0]!.offset, encodeFrame(hello()).length);
});

t.test('a frame failing validation becomes a FrameError with offset and field path', async (t) => {
  const badExec = { ...exec(), pid: 'nope' };
  const { frames, errors } = decodeFrameStream(encodeFrames([hello(), badExec, { t: 'mystery' }, end()]));
  t.same(frames.map((f) => f.t), ['hello', 'end']);
  t.equal(errors.length, 2);
  t.equal(errors[0]!.offset, encodeFrame(hello()).length);
  t.same(errors[0]!.path, ['pid']);
  t.match(errors[0]!.message, /field pid/);
  t.same(errors[1]!.path, ['t']);
});

t.test('every frame type of the protocol validates; real_ns above 2^53 is accepted', async (t) => {
  const wires = [
    hello({ real_ns: 1_732_000_000_123_456_789 }),
    { t: 'following', pid: 5 },
    { t: 'error', msg: 'x', fatal: false },
    exec(),
    { t: 'fork', ts: 1, pid: 2, start: 3, ppid: 4, pstart: 5, uid: 0, cwd: '/' },
    exit({ sig: 'SIGSEGV', core: true }),
    open({ path: '/a' }),
    { t: 'net', ts: 1, pid: 2, start: 3, tid: 2, op: 'sendto', family: 'inet6', proto: 'udp', addr: '::1', port: 53, err: null },
    { t: 'stats', ts: 1, events: 2, lost: 0, lost_by_type: {} },
    end({ lost: 1 }),
  ];
  for (const bigints of [false, true]) {
    const { frames, errors } = decodeFrameStream(encodeFrames(wires, bigints));
    t.same(errors, [], `no errors (bigints: ${bigints})`);
    t.same(frames.map((f) => f.t), wires.map((w) => w.t));
    const h = frames[0]!;
    if (h.t === 'hello') t.ok(Math.abs(h.real_ns - 1_732_000_000_123_456_789) < 1e4, 'real_ns kept (to double precision)');
  }
});

t.test('protocol 4: change frames and the open keys created/truncated validate, strictly', async (t) => {
  const { change, open4 } = await import('../helpers/events.js');
  const good = [
    hello({ proto: 4 }),
    open4({ path: '/tmp/o', mode: 'write', created: true }),
    change({ op: 'rename', path: 'a', base: '/w', to: '/w/b', flags: 1 }),
    change({ op: 'chmod', call: 'fchmod', path: null, fd: 7, mode: 0o644, err: 'EBADF' }),
    change({ op: 'mknod', path: '/dev/x', mode: 0o60600, dev: 8 * 256 + 1 }),
    end(),
  ];
  for (const bigints of [false, true]) {
    const { frames, errors } = decodeFrameStream(encodeFrames(good, bigints));
    t.same(errors, [], `no errors (bigints: ${bigints})`);
    t.match(frames[1], { t: 'open', created: true, truncated: false });
    t.match(frames[2], { t: 'change', op: 'rename', path: 'a', base: '/w', to: '/w/b', to_base: null, target: null, mode: null, flags: 1, err: null });
    t.match(frames[3], { t: 'change', path: null, fd: 7, mode: 0o644, err: 'EBADF' });
  }
  // nil keys may also be left out (zod fills them in); what is there must be of its type
  const sparse = { t: 'change', ts: 1, pid: 2, start: 3, tid: 2, call: 'unlink', op: 'delete', path: '/x', flags: 0 };
  t.match(decodeFrameStream(encodeFrames([sparse])).frames[0], { path: '/x', base: null, to: null, uid: null, path_truncated: false });
  const bad: [Record<string, unknown>, string][] = [
    [{ ...change({ op: 'delete' }), op: 'unlink' }, 'op'],
    [{ ...change({ op: 'delete' }), flags: null }, 'flags'],
    [{ ...change({ op: 'delete' }), path: 5 }, 'path'],
    [{ ...change({ op: 'chown' }), uid: '0' }, 'uid'],
    [{ ...change({ op: 'chmod' }), mode: 1.5 }, 'mode'],
    [{ ...change({ op: 'delete' }), err: 2 }, 'err'],
    [{ ...change({ op: 'delete' }), tid: undefined }, 'tid'],
    [{ ...change({ op: 'delete' }), mnt_ns: 0 }, 'mnt_ns'],
    [{ ...open4({ path: '/x' }), created: 1 }, 'created'],
    [{ ...open4({ path: '/x' }), truncated: 'yes' }, 'truncated'],
  ];
  for (const [frame, field] of bad) {
    const { frames, errors } = decodeFrameStream(encodeFrames([frame]));
    t.same(frames, [], `refused: ${field}`);
    t.same(errors[0]?.path, [field], `names the field ${field}`);
  }
});
