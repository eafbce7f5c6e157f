// The recorder writes what the reader reads; a recording that cannot be written never stops
// the run: the command runs, its status is mirrored, the error is on stderr and in the receipt.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecording } from '../../controller/replay/read-recording.js';
import { Recorder } from '../../controller/run/recorder.js';
import type { StartFacts } from '../../controller/schema/recording.js';
import { runCli } from '../helpers/gh-run.js';
import { encodeFrames, end, exec, exit, facts, following, hello, startOf } from '../helpers/events.js';

const FACTS = facts();
const START = startOf(FACTS) as StartFacts;

t.test('a recording as the reader expects it, helper chunks byte for byte', async (t) => {
  const path = join(t.testdir({}), 'r.ghrec');
  const errors: string[] = [];
  const rec = new Recorder(path, START, (m) => errors.push(m));
  const stream = encodeFrames([hello(), following(), exec(), exit(), end()]);
  // chunks that split frames anywhere, as a pipe delivers them
  for (let at = 0; at < stream.length; at += 7) rec.helper(stream.subarray(at, at + 7));
  t.equal(await rec.finish(FACTS, true), null);
  rec.helper(Buffer.from('late')); // after finish: dropped
  t.same(errors, []);
  const parts = readRecording(readFileSync(path));
  t.equal(parts.damage, null);
  t.same(parts.helper, stream);
  t.same(parts.run, { t: 'run', facts: FACTS, helper: { bytes: stream.length, used: true } });
  t.same(parts.start, START);
  const { unpackFrameBody } = await import('../../controller/collector/frame-decoder.js');
  const bytes = readFileSync(path);
  t.match(unpackFrameBody(bytes.subarray(12, 12 + bytes.readUInt32BE(8))), { t: 'recording', helper_protocol: 5 }, 'the protocol this controller speaks');
});

t.test('the run facts with their digests go into the run frame as they are', async (t) => {
  const path = join(t.testdir({}), 'r.ghrec');
  const rec = new Recorder(path, START, () => t.fail('no error expected'));
  const withDigests = { ...FACTS, digests: { algorithm: 'sha256' as const, files: [{ path: '/b/out', sha256: 'c'.repeat(64), size: 3 }] } };
  t.equal(await rec.finish(withDigests, true), null);
  t.same(readRecording(readFileSync(path)).run?.facts.digests, withDigests.digests);
});

t.test('run facts too large for a frame (digests of very many files): said, and the recording replays as truncated', async (t) => {
  const path = join(t.testdir({}), 'r.ghrec');
  const errors: string[] = [];
  const rec = new Recorder(path, START, (m) => errors.push(m));
  const files = Array.from({ length: 600_000 }, (_, i) => ({ path: `/home/builder/project/node_modules/pkg${i}/index.js`, sha256: 'd'.repeat(64), size: i }));
  const error = await rec.finish({ ...FACTS, digests: { algorithm: 'sha256', files } }, true);
  t.match(error, /^cannot record to .*: the run facts take \d+ bytes \(600000 file digests\), over the 67108864 a frame may hold$/);
  t.same(errors, [error]);
  t.match(readRecording(readFileSync(path)).damage?.message, /truncated/);
});

t.test('no helper bytes at all (collector unavailable) is a good recording too', async (t) => {
  const path = join(t.testdir({}), 'r.ghrec');
  const rec = new Recorder(path, START, () => t.fail('no error expected'));
  t.equal(await rec.finish(FACTS, false), null);
  const parts = readRecording(readFileSync(path));
  t.equal(parts.damage, null);
  t.equal(parts.helper.length, 0);
  t.equal(parts.run?.helper.used, false);
});

for (const [what, path, code] of [
  ['a path under a missing directory', '/nonexistent-glasshouse-dir/r.ghrec', 'ENOENT'],
  ['a full disk (/dev/full)', '/dev/full', 'ENOSPC'],
] as const) {
  t.test(`the recorder reports ${what} once`, async (t) => {
    const errors: string[] = [];
    const rec = new Recorder(path, START, (m) => errors.push(m));
    rec.helper(Buffer.alloc(1000));
    const error = await rec.finish(FACTS, true);
    t.equal(errors.length, 1);
    t.equal(error, errors[0]);
    t.match(error, `cannot record to ${path}: ${code}`);
    t.equal(rec.error, error);
  });
}

for (const [what, path, code] of [
  ['a missing directory', '/nonexistent-glasshouse-dir/r.ghrec', 'ENOENT'],
  ['a full disk', '/dev/full', 'ENOSPC'],
  ['an unwritable file', '/proc/version', 'E'],
] as const) {
  t.test(`gh-run --record to ${what}: the command runs, its status mirrored, the error reported`, async (t) => {
    const dir = t.testdir({});
    const out = join(dir, 'receipt.json');
    const r = await runCli('gh-run', ['--record', path, '-o', out, '--', 'sh', '-c', 'echo ran; exit 4']);
    t.equal(r.code, 4, 'exit status mirrored');
    t.equal(r.stdout, 'ran\n', 'the command ran');
    const line = new RegExp(`^glasshouse: cannot record to ${path.replace(/\//g, '\\/')}: ${code}.*; the run goes on unrecorded$`, 'm');
    t.match(r.stderr, line, 'on stderr');
    const receipt = JSON.parse(readFileSync(out, 'utf8'));
    t.equal(receipt.exit_code, 4);
    t.equal(receipt.outcome.errors.filter((e: string) => e.startsWith(`cannot record to ${path}: ${code}`)).length, 1, 'in outcome.errors, once');
    const quiet = await runCli('gh-run', ['-q', '--record', path, '-o', out, '--', 'true']);
    t.equal(quiet.stderr, '', '--quiet: nothing on stderr');
    t.equal(quiet.code, 0);
  });
}

t.test('glasshouse run --record works the same', async (t) => {
  const dir = t.testdir({});
  const r = await runCli('glasshouse', ['run', '-q', '--record', join(dir, 'r.ghrec'), '-o', join(dir, 'a.json'), '--', 'sh', '-c', 'exit 3']);
  t.equal(r.code, 3);
  const replayed = await runCli('glasshouse', ['replay', join(dir, 'r.ghrec'), '-o', join(dir, 'b.json')]);
  t.equal(replayed.code, 0, replayed.stderr);
  t.equal(readFileSync(join(dir, 'b.json'), 'utf8'), readFileSync(join(dir, 'a.json'), 'utf8'));
  t.same(readdirSync(dir).sort(), ['a.json', 'b.json', 'r.ghrec']);
});
