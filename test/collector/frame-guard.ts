import t from 'tap';
import { isDeepStrictEqual } from 'node:util';
import { Packr, Unpackr } from 'msgpackr';
import { isCanonicalFrame } from '../../controller/collector/frame-guard.js';
import { validateFrame } from '../../controller/collector/frame-pipeline.js';
import { Frame, parseFrame } from '../../controller/schema/frames.js';
import { FrameError } from '../../controller/schema/frame-error.js';
import { armed, change, dns, end, errorFrame, exec, exit, following, fork, hello, mounts, ms, net, open, open4, repeats, signalFrame, socket, stats, tamper, withheld, type Wire } from '../helpers/events.js';

// frames as the helper sends them: every key, ints as numbers, nil where the protocol allows it
const valid: Wire[] = [
  hello(),
  hello({ argv: false, real_ns: 1_732_000_000_123_456_789 }),
  following(),
  errorFrame('cannot follow 5: not our child'),
  errorFrame('fatal', true),
  exec({ privileged: false }),
  exec({ privileged: true, argv: null, cwd: null }),
  exec({ err: 'ENOENT', path: 'nope', base: '/home/me', privileged: false, argv_truncated: true }),
  exec({ argv: [], privileged: false, exe: null }),
  fork({ pid: 5001, start: ms(2) }),
  fork({ pid: 5001, start: ms(2), cwd: null }),
  exit(),
  exit({ sig: 'SIGKILL', core: true }),
  open4({ path: '/etc/passwd' }),
  open4({ path: 'rel', base: '/home/me', err: 'ENOENT', mode: 'write' }),
  open4({ path: '/x', mode: 'path' }),
  open4({ path: '/x', mode: 'readwrite' }),
  open4({ path: '/x', rid: 1 }),
  open4({ path: '/x', mode: 'write', rid: 2 ** 40 }),
  net({ addr: '127.0.0.1', port: 80 }),
  net({ family: 'unix', proto: 'stream', addr: '/run/x.sock', port: null, err: 'ECONNREFUSED' }),
  net({ op: 'sendmsg', family: 'inet6', proto: 'udp', addr: '::1', port: 53 }),
  net({ addr: '10.0.0.1', port: 443, err: 'ECONNREFUSED', rid: 77 }),
  repeats([]),
  repeats([[1, 41]]),
  repeats([
    [3, 1],
    [2 ** 40, 2 ** 33],
  ]),
  stats({ events: 3, lost: 1, lost_by_type: { open: 1 } }),
  stats(),
  end({ syscalls: { openat: 3, execve: 1 } }),
  end({ lost: 2 }),
  // protocol 3
  hello({ proto: 3, pid: 4300 }),
  armed(),
  { t: 'following', pid: 4242, start: ms(0.5) },
  { ...exec({ privileged: true, cwd: null }), mnt_ns: 4026532178, withheld: true },
  { ...exec({ privileged: false }), mnt_ns: 4026532178, exe: 'memfd:payload', exe_anon: true },
  { ...exec({ privileged: false, cwd: null }), withheld: true },
  { ...fork({ pid: 5001, start: ms(2), cwd: null }), withheld: true },
  { ...fork({ pid: 5001, start: ms(2) }), mnt_ns: 4026532178 },
  { ...exit(), withheld: 181 },
  { ...open4({ path: 'mnt:[4026532178]/tmp/t/f' }), mnt_ns: 4026532178 },
  { ...open4({ path: '/x', rid: 3 }), mnt_ns: 4026532178 },
  { ...net({ addr: '127.0.0.1', port: 80, rid: 4 }), mnt_ns: 4026532178 },
  tamper(),
  tamper({ kind: 'ptrace', call: 'ptrace', who: 'controller', arg: 0x4206, err: 'EPERM' }),
  tamper({ kind: 'proc', call: 'openat', who: 'controller', path: '/proc/4200/mem', mnt_ns: 4026532178 }),
  withheld(),
  withheld({ mnt_ns: 4026532178 }),
  mounts({ mnt_ns: 4026532178, lines: ['36 35 98:0 / / rw - ext4 /dev/root rw'] }),
  mounts({ mnt_ns: 4026532178, lines: null, err: 'ENOENT' }),
  signalFrame(),
  { ...exec({ privileged: false, path: '/tmp/s.sh', argv: ['./s.sh', 'a'] }), interpreter: ['/bin/sh', './s.sh'] },
  { ...exec({ privileged: false, cwd: '\u2026/deep' }), path_truncated: true },
  open4({ path: 'pipe:[1234]' }),
  open4({ path: 'memfd:x', rid: 9 }),
  { ...open4({ path: '\u2026/tail' }), path_truncated: true },
  // protocol 4
  hello({ proto: 4, pid: 4300 }),
  open4({ path: '/tmp/new', mode: 'write', created: true }),
  open4({ path: '/tmp/old', mode: 'read', truncated: true, rid: 5 }),
  open4({ path: 'x', base: '/tmp', mode: 'write', err: 'EACCES' }),
  change({ op: 'delete', path: 'a/../b', base: '/home/me' }),
  change({ op: 'rmdir', call: 'unlinkat', path: '/tmp/d', flags: 0x200, err: 'ENOTEMPTY' }),
  change({ op: 'mkdir', path: '/tmp/d', mode: 0o755 }),
  change({ op: 'mknod', path: '/tmp/null', mode: 0o20666, dev: 0x103 }),
  change({ op: 'rename', path: 'a', base: '/w', to: 'b', to_base: '/w', flags: 2 }),
  change({ op: 'link', path: '/d/out', to: '/d/#123', fd: 3, flags: 0x1000 }),
  change({ op: 'symlink', path: '/tmp/l', target: '../x' }),
  change({ op: 'chmod', call: 'fchmod', path: 'pipe:[9]', fd: 0, mode: 0o600 }),
  change({ op: 'chown', path: '/tmp/f', uid: -1, gid: 0, flags: 0x100 }),
  change({ op: 'truncate', call: 'ftruncate', path: '\u2026/deep/f', fd: 4, size: 2 ** 40, path_truncated: true }),
  change({ op: 'chmod', call: 'fchmod', path: null, fd: 99, mode: 0o644, err: 'EBADF' }),
  { ...change({ op: 'delete', path: 'mnt:[4026532178]/tmp/x' }), mnt_ns: 4026532178 },
  // protocol 5
  hello({ proto: 5, pid: 4300 }),
  net({ addr: '10.0.0.5', port: 443, rid: 1, ino: 4242 }),
  net({ op: 'listen', addr: '0.0.0.0', port: 8080, ino: 77 }),
  net({ op: 'accept', addr: '127.0.0.1', port: 51234, ino: 78, rid: 2 }),
  net({ op: 'sendto', proto: 'udp', addr: '127.0.0.53', port: 53, ino: 79, bytes: 40, rid: 3 }),
  net({ op: 'sendmsg', proto: 'udp', addr: '10.0.0.1', port: 9, ino: 80, bytes: 0, more: 12 }),
  { ...net({ op: 'accept', family: 'unix', addr: '', port: null, ino: 81 }), mnt_ns: 4026532178 },
  socket({ ino: 4242, rid: 1, sent: 5120, received: 2 ** 40 }),
  socket({ ino: 82, family: 'unix', sent: 0, received: 0 }),
  socket({ ino: 83, family: 'other', proto: 'raw' }),
  socket({ ino: 84, rid: 4, outcome: null }),
  socket({ ino: 85, rid: 5, outcome: 'ECONNREFUSED', sent: 1 }),
  socket({ ino: 86, family: 'inet6', peer: '2001:db8::1', peer_port: 443, sent: 10, received: 20 }),
  dns({ data: Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]) }),
  dns({ dir: 'in', proto: 'tcp', family: 'inet6', addr: '::1', data: Buffer.alloc(512, 7), size: 1400 }),
  dns({ data: new Uint8Array(0), size: 0 }),
];

// values every field is tried with
const replacements: unknown[] = [
  undefined, null, '', 'x', 'read', 'connect', 'inet', 0, -0, 1, -1, 1.5, 2 ** 53 + 2, -(2 ** 60), NaN, Infinity,
  0n, 7n, 2n ** 64n, true, false, [], ['a'], [1], ['a', null], {}, { a: 1 }, { a: 'b' }, { a: 1n }, new Date(0),
];

function mutations(frame: Wire): unknown[] {
  const out: unknown[] = [];
  for (const key of Object.keys(frame)) {
    const { [key]: _, ...missing } = frame;
    out.push(missing);
    for (const v of replacements) out.push({ ...frame, [key]: v });
  }
  out.push({ ...frame, extra: 1 }, { ...frame, extra: null }, { ...frame, __proto__x: 1 });
  out.push(Object.assign(Object.create(null), frame), Object.assign(Object.create({ inherited: 1 }), frame));
  out.push(Object.assign(new (class Frameish {})(), frame));
  // ints as bigints, as a 64-bit msgpack int would decode without int64AsType
  out.push(Object.fromEntries(Object.entries(frame).map(([k, v]) => [k, typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v])));
  return out;
}

const others: unknown[] = [{ t: 'repeats', counts: [1, 2, 3] }, { t: 'repeats', counts: [1, 2n] }, null, undefined, 0, 'open', [], [valid[0]], { t: 'mystery' }, { t: null }, {}, new Map([['t', 'open']])];

const corpus: unknown[] = [...valid, ...valid.flatMap(mutations), ...others];

type Outcome = { ok: true; frame: unknown } | { ok: false; message: string; path: ReadonlyArray<string | number> };

function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: true, frame: fn() };
  } catch (error) {
    if (!(error instanceof FrameError)) throw error;
    return { ok: false, message: error.message, path: error.path };
  }
}

t.test('the guard accepts every frame the helper sends, as is', async (t) => {
  for (const frame of valid) t.ok(isCanonicalFrame(frame), `${frame.t}: ${JSON.stringify(frame)}`);
  // and as they come out of msgpack, 64-bit ints included
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
  const packr = new Packr({ useRecords: false });
  for (const frame of valid) t.ok(isCanonicalFrame(unpackr.unpack(packr.pack(frame))), `${frame.t} through msgpack`);
});

t.test('the guard never accepts what zod rejects, and what it accepts is exactly what zod outputs', async (t) => {
  let accepted = 0;
  let zodAccepted = 0;
  for (const value of corpus) {
    const zod = Frame.safeParse(value);
    if (zod.success) zodAccepted++;
    if (!isCanonicalFrame(value)) continue;
    accepted++;
    if (!zod.success) {
      t.fail(`the guard accepts what zod rejects: ${describe(value)}`);
      continue;
    }
    if (!isDeepStrictEqual(zod.data, value) || !isDeepStrictEqual(Object.keys(zod.data).sort(), Object.keys(value as object).sort())) {
      t.fail(`zod rewrites what the guard accepts: ${describe(value)} -> ${describe(zod.data)}`);
    }
  }
  t.ok(corpus.length > 3000, `a corpus of ${corpus.length} values`);
  t.ok(accepted >= valid.length, `${accepted} accepted by the guard, ${zodAccepted} by zod`);
});

t.test('validation with the guard and with zod alone: same frames, same errors with the same field path', async (t) => {
  let differ = 0;
  for (const value of corpus) {
    const fast = outcome(() => validateFrame(value, 42));
    const slow = outcome(() => parseFrame(value, 42));
    if (!isDeepStrictEqual(fast, slow)) {
      differ++;
      t.fail(`differ on ${describe(value)}: ${describe(fast)} vs ${describe(slow)}`);
    }
  }
  t.equal(differ, 0);
  const bad = outcome(() => validateFrame({ ...open({ path: '/x' }), pid: 'nope' }, 42));
  t.same(bad, { ok: false, message: 'frame at byte 42: invalid frame: Invalid input (field pid)', path: ['pid'] });
});

t.test('valid frames the guard leaves to zod are normalised by zod', async (t) => {
  const older = exec(); // no `privileged` key, as in recordings of older helpers
  t.notOk(isCanonicalFrame(older));
  const frame = validateFrame(older, 0);
  t.equal(frame.t === 'exec' && frame.privileged, false);
  const opened = open({ path: '/x', mode: 'write' }); // no created/truncated: protocol 1 to 3
  t.notOk(isCanonicalFrame(opened));
  t.match(validateFrame(opened, 0), { t: 'open', created: false, truncated: false });
  const nil = validateFrame({ ...exit(), core: null }, 0);
  t.equal(nil.t === 'exit' && nil.core, false);
  const big = validateFrame({ ...open({ path: '/x' }), ts: BigInt(ms(3)) }, 0);
  t.equal(big.t === 'open' && big.ts, ms(3));
  const extra = validateFrame({ ...open({ path: '/x' }), extra: 1 }, 0);
  t.notOk('extra' in extra, 'extra keys are stripped');
});

function describe(v: unknown): string {
  try {
    return JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x === undefined ? '(undefined)' : x));
  } catch {
    return String(v);
  }
}
