// Record a run, replay the recording: the same receipt, byte for byte. With the test double of
// the helper in every lifecycle it has: runs anywhere, without BPF. (With the real helper on the
// end-to-end workloads: test/e2e/round-trip.ts.)
import t from 'tap';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { FAKE_HELPER, runCli } from '../helpers/gh-run.js';

const read = (path: string): string => readFileSync(path, 'utf8');

for (const mode of ['ok', 'lost', 'no-end', 'die', 'refuse', 'garbage', 'proto9', 'fatal', 'none']) {
  t.test(`round trip with the helper double in mode ${mode}`, async (t) => {
    const dir = t.testdir({});
    const env = mode === 'none' ? {} : { GLASSHOUSE_HELPER: FAKE_HELPER, FAKE_HELPER_MODE: mode };
    const live = await runCli('gh-run', ['-q', '--record', join(dir, 'r.ghrec'), '-o', join(dir, 'live.json'), '--', 'sh', '-c', 'echo out; echo err >&2; exit 6'], { env });
    t.equal(live.code, 6);
    const replayed = await runCli('glasshouse', ['replay', join(dir, 'r.ghrec'), '-o', join(dir, 'replay.json')]);
    t.equal(replayed.code, 0, replayed.stderr);
    t.equal(replayed.stderr, '');
    t.equal(read(join(dir, 'replay.json')), read(join(dir, 'live.json')), 'byte-identical receipt');
  });
}

t.test('a helper that dies mid-frame: the replay names the cut frame, --partial gives the live receipt', async (t) => {
  const dir = t.testdir({});
  const env = { GLASSHOUSE_HELPER: FAKE_HELPER, FAKE_HELPER_MODE: 'torn' };
  const live = await runCli('gh-run', ['-q', '--record', join(dir, 'r.ghrec'), '-o', join(dir, 'live.json'), '--', 'true'], { env });
  t.equal(live.code, 0);
  const liveReceipt = JSON.parse(read(join(dir, 'live.json')));
  t.match(liveReceipt.collector.reason, 'truncated frame at end of stream');
  const strict = await runCli('glasshouse', ['replay', join(dir, 'r.ghrec'), '-o', join(dir, 'strict.json')]);
  t.equal(strict.code, 1);
  t.match(strict.stderr, /^glasshouse: replay: .*r\.ghrec: frame at byte \d+: truncated frame at end of stream.*; no receipt written/);
  const partial = await runCli('glasshouse', ['replay', '--partial', join(dir, 'r.ghrec'), '-o', join(dir, 'partial.json')]);
  t.equal(partial.code, 0);
  t.equal(read(join(dir, 'partial.json')), read(join(dir, 'live.json')));
});

t.test('a run that changed files: digests taken live, recorded, and the replay the same receipt without reading the disk', async (t) => {
  const { createHash } = await import('node:crypto');
  const { rmSync, writeFileSync } = await import('node:fs');
  const dir = realpathSync(t.testdir({ 'old.txt': 'was here\n' }));
  const env = { GLASSHOUSE_HELPER: FAKE_HELPER, FAKE_HELPER_MODE: 'changes' };
  const live = await runCli('gh-run', ['-q', '--record', join(dir, 'r.ghrec'), '-o', join(dir, 'live.json'), '--', 'true'], { env, cwd: dir });
  t.equal(live.code, 0, live.stderr);
  const receipt = JSON.parse(read(join(dir, 'live.json')));
  const built = { sha256: createHash('sha256').update('built\n').digest('hex'), size: 6 };
  t.equal(receipt.filesystem.digests, 'sha256');
  t.same(receipt.filesystem.outputs, [{ path: join(dir, 'out.txt'), created: true, digest: built }]);
  t.same(receipt.filesystem.removed, [{ path: join(dir, 'old.txt'), op: 'delete' }]);
  t.same(receipt.filesystem.writes.map((w: { path: string; created: boolean; digest: unknown }) => [w.path, w.created, w.digest]), [
    [join(dir, 'out.txt.tmp'), true, null],
    [join(dir, 'scratch'), true, null],
  ], 'renamed away and deleted: no digest');
  // changes sort by path: where /etc/passwd falls depends on where the test directory is
  const byPath = (a: string[], b: string[]) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
  t.same(receipt.filesystem.changes.map((c: { op: string; path: string; result: string }) => [c.op, c.path, c.result]), [
    ['chmod', '/etc/passwd', 'EPERM'],
    ['delete', join(dir, 'old.txt'), 'ok'],
    ['rename', join(dir, 'out.txt.tmp'), 'ok'],
    ['delete', join(dir, 'scratch'), 'ok'],
  ].sort(byPath));
  // the disk changes after the run: the replay says what the run saw
  writeFileSync(join(dir, 'out.txt'), 'changed since');
  const replayed = await runCli('glasshouse', ['replay', join(dir, 'r.ghrec'), '-o', join(dir, 'replay.json')]);
  t.equal(replayed.code, 0, replayed.stderr);
  t.equal(read(join(dir, 'replay.json')), read(join(dir, 'live.json')), 'byte-identical receipt');
  rmSync(join(dir, 'out.txt'));

  const off = await runCli('gh-run', ['-q', '--no-digests', '-o', join(dir, 'off.json'), '--', 'true'], { env, cwd: dir });
  t.equal(off.code, 0, off.stderr);
  const offReceipt = JSON.parse(read(join(dir, 'off.json')));
  t.equal(offReceipt.filesystem.digests, 'off');
  t.same(offReceipt.filesystem.outputs, [{ path: join(dir, 'out.txt'), created: true, digest: null }]);
});
