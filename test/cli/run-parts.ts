// Unit tests of controller/run/ pieces (kept under test/cli/, the run path's entry).
import t from 'tap';
import { createHash } from 'node:crypto';
import { chmodSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { classifyReason } from '../../controller/collector/errors.js';
import { resolveCommand } from '../../controller/run/host-facts.js';
import { unavailableLine } from '../../controller/run/messages.js';
import { settleRelays, StreamRelay } from '../../controller/run/output-relay.js';

t.test('stream relay (the socketpair fallback): passes everything through with backpressure, hashes it', async (t) => {
  const source = new PassThrough();
  const received: Buffer[] = [];
  let pauses = 0;
  const pause = source.pause.bind(source);
  source.pause = () => {
    pauses++;
    return pause();
  };
  const slow = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, done) {
      received.push(chunk);
      setTimeout(done, 1);
    },
  });
  const relay = new StreamRelay(source, slow);
  const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(`chunk ${i} `.repeat(10)));
  for (const c of chunks) source.write(c);
  source.end();
  await relay.done;
  await new Promise((r) => slow.end(r));
  const all = Buffer.concat(chunks);
  t.ok(pauses > 0, 'the source was paused while the destination was full');
  t.equal(Buffer.concat(received).toString(), all.toString());
  t.same(relay.result(), { sha256: createHash('sha256').update(all).digest('hex'), bytes: all.length });
});

t.test('stream relay: a broken destination stops reading the source', async (t) => {
  const source = new PassThrough();
  const broken = new Writable({
    write(_c, _e, done) {
      done(Object.assign(new Error('EPIPE'), { code: 'EPIPE' }));
    },
  });
  const relay = new StreamRelay(source, broken);
  source.write('x');
  await relay.done;
  t.ok(source.destroyed);
});

t.test('settleRelays gives up after the grace period', async (t) => {
  const source = new PassThrough(); // never ends, like a pipe held by a daemon
  const relay = new StreamRelay(source, new PassThrough());
  const started = Date.now();
  await settleRelays([relay], 100);
  t.ok(Date.now() - started < 1000);
  t.ok(source.destroyed, 'abandoned');
});

t.test('the unavailable line and its hints', async (t) => {
  t.equal(
    unavailableLine('bpf: EPERM', classifyReason('bpf: EPERM'), '/opt/gh/lib/glasshouse/helper/glasshouse-helper'),
    'glasshouse: collector unavailable: bpf: EPERM; the command runs untraced (fix: sudo setcap cap_bpf,cap_perfmon+ep /opt/gh/lib/glasshouse/helper/glasshouse-helper, or run as root)',
    'the exact command, with the absolute path of the helper in use',
  );
  t.equal(
    unavailableLine('bpf: EPERM', 'permission', "/home/a b/it's/glasshouse-helper"),
    "glasshouse: collector unavailable: bpf: EPERM; the command runs untraced (fix: sudo setcap cap_bpf,cap_perfmon+ep '/home/a b/it'\\''s/glasshouse-helper', or run as root)",
    'a path that needs quoting is quoted for the shell',
  );
  t.equal(
    unavailableLine('no BTF', classifyReason('no BTF'), '/h'),
    'glasshouse: collector unavailable: no BTF; the command runs untraced (fix: this kernel lacks BTF (/sys/kernel/btf/vmlinux))',
  );
  t.equal(unavailableLine('x', 'missing', '/h'), "glasshouse: collector unavailable: x; the command runs untraced (fix: 'make' in the source tree, then 'sudo make install')");
  t.equal(unavailableLine('odd', 'other', '/h'), 'glasshouse: collector unavailable: odd; the command runs untraced');
});

t.test('resolveCommand: PATH search like execvp, symlinks resolved', async (t) => {
  const dir = t.testdir({ bin: { 'python3.11': '#!/bin/sh\n', 'not-exec': 'x' } });
  const bin = join(dir, 'bin');
  chmodSync(join(bin, 'python3.11'), 0o755);
  symlinkSync('python3.11', join(bin, 'python3'));
  const real = realpathSync(join(bin, 'python3.11'));
  t.equal(resolveCommand('python3', { PATH: `/nonexistent:${bin}` }), real);
  t.equal(resolveCommand(join(bin, 'python3'), {}), real);
  t.equal(resolveCommand('bin/python3', {}, dir), real, 'relative paths from the cwd');
  t.equal(resolveCommand('not-exec', { PATH: bin }), null);
  t.equal(resolveCommand('nope', { PATH: bin }), null);
});
