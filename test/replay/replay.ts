// The replay command: what it says, what it writes, what it returns.
import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFrameStream } from '../../controller/collector/frame-pipeline.js';
import { aggregate } from '../../controller/aggregate/aggregate.js';
import { serializeReceipt } from '../../controller/receipt/serialize.js';
import { replay } from '../../controller/replay/replay.js';
import { TYPE, a, message, name } from '../helpers/dns-wire.js';
import { dns, encodeFrames, end, exec, exit, facts, frameBoundaries, following, hello, net, open, receiptOf, recordingBytes, repeats, socket, startOf, type Wire } from '../helpers/events.js';

const WIRES: Wire[] = [hello(), following(), exec(), open({ path: '/etc/passwd' }), exit(), end()];

async function run(t: { testdir(): string }, bytes: Buffer, partial = false, output?: string) {
  const dir = t.testdir();
  const file = join(dir, 'r.ghrec');
  writeFileSync(file, bytes);
  const out = output ?? join(dir, 'receipt.json');
  const said: string[] = [];
  const status = await replay({ recording: file, output: out, partial }, (s) => said.push(s));
  let text: string | null = null;
  try {
    text = readFileSync(out, 'utf8');
  } catch {
    text = null;
  }
  return { status, said: said.join(''), text, file, dir };
}

t.test('a good recording: exit 0, silent, the receipt of the frames and facts', async (t) => {
  const r = await run(t, recordingBytes({ wires: WIRES }));
  t.equal(r.status, 0);
  t.equal(r.said, '');
  t.equal(r.text, serializeReceipt(receiptOf(WIRES)));
  t.same(readdirSync(r.dir).sort(), ['r.ghrec', 'receipt.json'], 'no temp file left');
});

t.test('an invalid frame: exit 1 naming the file offset and the field; --partial: the live receipt', async (t) => {
  const wires = [...WIRES.slice(0, 3), { ...(WIRES[3] as Wire), mode: 'sideways' }, ...WIRES.slice(4)];
  const bytes = recordingBytes({ wires });
  const at = frameBoundaries(bytes)[4]; // header, recording frame, hello, following, exec, open
  const strict = await run(t, bytes);
  t.equal(strict.status, 1);
  t.equal(strict.text, null, 'no receipt');
  t.match(strict.said, new RegExp(`^glasshouse: replay: .*r\\.ghrec: frame at byte ${at}: invalid frame: .*\\(field mode\\); no receipt written \\(--partial writes one of what could be read\\)\\n$`));
  const partial = await run(t, bytes, true);
  t.equal(partial.status, 0);
  const live = decodeFrameStream(encodeFrames(wires));
  t.equal(partial.text, serializeReceipt(aggregate(live.frames, facts(), live.errors.map((e) => e.message))), 'what the live run wrote');
  t.match(partial.said, `frame at byte ${at}: invalid frame`);
  t.match(partial.said, 'partial receipt written to');
});

t.test('truncated: exit 1 with the offset; --partial: a degraded receipt of what was read', async (t) => {
  const bytes = recordingBytes({ wires: WIRES });
  const cut = frameBoundaries(bytes)[5]! + 3;
  const strict = await run(t, bytes.subarray(0, cut));
  t.equal(strict.status, 1);
  t.equal(strict.text, null);
  t.match(strict.said, `truncated at byte ${cut}: complete frames end at byte ${cut - 3}; the run facts and the footer are missing; no receipt written`);
  const partial = await run(t, bytes.subarray(0, cut), true);
  t.equal(partial.status, 0);
  const receipt = JSON.parse(partial.text!);
  t.equal(receipt.collector.status, 'degraded');
  t.match(receipt.collector.reason, `replayed from a truncated recording: truncated at byte ${cut}`);
  t.same(receipt.filesystem.reads.map((e: { path: string }) => e.path), ['/etc/passwd'], 'the frames before the cut are there');
});

t.test('not even the start facts: --partial cannot help', async (t) => {
  const r = await run(t, recordingBytes().subarray(0, 20), true);
  t.equal(r.status, 1);
  t.equal(r.text, null);
  t.match(r.said, /truncated at byte 20: .*; no receipt written\n$/);
  t.notMatch(r.said, '(--partial writes');
});

t.test('the receipt cannot be written: exit 1, said why', async (t) => {
  const r = await run(t, recordingBytes({ wires: WIRES }), false, '/nonexistent-glasshouse-dir/receipt.json');
  t.equal(r.status, 1);
  t.match(r.said, /^glasshouse: replay: cannot write the receipt to \/nonexistent-glasshouse-dir\/receipt.json: ENOENT/);
});

t.test('an unreadable recording: exit 1, one line', async (t) => {
  const dir = t.testdir({});
  const said: string[] = [];
  const status = await replay({ recording: join(dir, 'missing.ghrec'), output: join(dir, 'r.json'), partial: false }, (s) => said.push(s));
  t.equal(status, 1);
  t.match(said.join(''), /^glasshouse: replay: .*missing\.ghrec: cannot read it: ENOENT: no such file or directory, open .*; no receipt written\n$/);
  const asDir: string[] = [];
  t.equal(await replay({ recording: dir, output: join(dir, 'r.json'), partial: true }, (s) => asDir.push(s)), 1);
  t.match(asDir.join(''), 'cannot read it: EISDIR');
});

t.test('protocol 4: a recording with change frames and digests replays to the live receipt, byte for byte', async (t) => {
  const { change, open4 } = await import('../helpers/events.js');
  const wires: Wire[] = [
    hello({ proto: 4, pid: 4300 }),
    following(),
    exec(),
    open4({ path: '/b/out.o.tmp', mode: 'write', created: true }),
    change({ op: 'rename', call: 'rename', path: 'out.o.tmp', base: '/b', to: 'out.o', to_base: '/b' }),
    open4({ path: '/b/app.log', mode: 'read', truncated: true }),
    open4({ path: '/tmp/cc.s', mode: 'write', created: true }),
    change({ op: 'delete', path: '/tmp/cc.s' }),
    change({ op: 'delete', path: 'stale', base: '/b' }),
    change({ op: 'mknod', path: '/b/fifo', mode: 0o10644 }),
    change({ op: 'chmod', call: 'fchmod', path: null, fd: 9, mode: 0o644, err: 'EBADF' }),
    change({ op: 'link', path: '/b/hard', to: '/b/out.o', flags: 0x400 }),
    exit(),
    end({ syscalls: { openat: 3, rename: 1, unlink: 2 } }),
  ];
  const f = facts({
    digests: {
      algorithm: 'sha256',
      files: [
        { path: '/b/app.log', sha256: 'a'.repeat(64), size: 0 },
        { path: '/b/hard', sha256: 'b'.repeat(64), size: 1234 },
        { path: '/b/out.o', sha256: 'b'.repeat(64), size: 1234 },
      ],
    },
  });
  const bytes = recordingBytes({ wires, facts: f, recordingFrame: { t: 'recording', helper_protocol: 4, start: startOf(f) } });
  const r = await run(t, bytes);
  t.equal(r.status, 0, r.said);
  const live = serializeReceipt(receiptOf(wires, f));
  t.equal(r.text, live);
  const receipt = JSON.parse(r.text!);
  t.equal(receipt.filesystem.changes.length, 6);
  t.same(receipt.filesystem.outputs.map((o: { path: string }) => o.path), ['/b/app.log', '/b/hard', '/b/out.o']);
  t.same(receipt.filesystem.removed, [{ path: '/b/stale', op: 'delete' }]);
  t.equal(receipt.filesystem.digests, 'sha256');
});

t.test('a protocol 5 recording: bytes per peer, the outcome of a non-blocking connect, DNS and host names', async (t) => {
  const q = message({ id: 9, questions: [{ name: name('example.org'), type: TYPE.A }] });
  const ans = message({ id: 9, response: true, questions: [{ name: name('example.org'), type: TYPE.A }], answers: [{ type: TYPE.A, data: a('192.0.2.80') }] });
  const wires: Wire[] = [
    hello({ proto: 5 }),
    following(),
    exec(),
    dns({ ino: 50, data: q }),
    dns({ ino: 50, dir: 'in', data: ans }),
    net({ addr: '192.0.2.80', port: 443, err: 'EINPROGRESS', rid: 1, ino: 51 }),
    net({ op: 'sendto', proto: 'udp', addr: '127.0.0.53', port: 53, rid: 2, ino: 50, bytes: q.length }),
    socket({ ino: 51, rid: 1, outcome: null, sent: 517, received: 4096 }),
    exit(),
    socket({ ino: 50, proto: 'udp', sent: q.length, received: ans.length }),
    repeats([]),
    end(),
  ];
  const f = facts();
  const r = await run(t, recordingBytes({ wires, facts: f, recordingFrame: { t: 'recording', helper_protocol: 5, start: startOf(f) } }));
  t.equal(r.status, 0, r.said);
  t.equal(r.text, serializeReceipt(receiptOf(wires, f)), 'the replay is the receipt of the frames, DNS bytes through msgpack bin and back');
  const receipt = JSON.parse(r.text!);
  t.same(
    receipt.network.map((e: Record<string, unknown>) => [e.op, e.address, e.result, e.initial, e.host, e.bytes_sent, e.bytes_received]),
    [
      ['connect', '192.0.2.80', 'ok', 'EINPROGRESS', 'example.org', 517, 4096],
      ['sendto', '127.0.0.53', 'ok', undefined, null, q.length, ans.length],
    ],
  );
  t.match(receipt.dns, [{ name: 'example.org', type: 'A', server: '127.0.0.53', rcode: 'NOERROR', answers: ['192.0.2.80'] }]);
  t.equal(receipt.collector.network_bytes, true);
});
