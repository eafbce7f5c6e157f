// Record a run, replay the recording: the same receipt, byte for byte. With the test double of
// the helper in every lifecycle it has (runs anywhere), and with the real helper on the
// end-to-end workloads (needs BPF: skipped with the reason where it cannot load, a failure in CI).
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fakeHelper, runCli } from '../fixtures/run-cli.js';
import { GH_RUN, GLASSHOUSE, PROGRAMS, PYTHON, requireBpf } from '../helpers/gh-run.js';

const read = (path: string): string => readFileSync(path, 'utf8');

for (const mode of ['ok', 'lost', 'no-end', 'die', 'refuse', 'garbage', 'proto9', 'fatal', 'none']) {
  t.test(`round trip with the helper double in mode ${mode}`, async (t) => {
    const dir = t.testdir({});
    const env = mode === 'none' ? {} : { GLASSHOUSE_HELPER: fakeHelper, FAKE_HELPER_MODE: mode };
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
  const env = { GLASSHOUSE_HELPER: fakeHelper, FAKE_HELPER_MODE: 'torn' };
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

/** gh-run (built) --record, then glasshouse replay (built): both receipts' bytes. */
async function recordAndReplay(dir: string, command: string[]): Promise<{ live: string; replay: string; code: number | null }> {
  const rec = join(dir, 'r.ghrec');
  const code = await node([GH_RUN, '-q', '--record', rec, '-o', join(dir, 'live.json'), '--', ...command], dir);
  const replayCode = await node([GLASSHOUSE, 'replay', rec, '-o', join(dir, 'replay.json')], dir);
  if (replayCode !== 0) throw new Error(`replay exited ${replayCode}`);
  return { live: read(join(dir, 'live.json')), replay: read(join(dir, 'replay.json')), code };
}

function node(args: string[], cwd: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

const WORKLOADS: [string, (dir: string) => string[]][] = [
  ['files.py (relative, dirfd-relative and failed opens)', (d) => [PYTHON, join(PROGRAMS, 'files.py'), join(d, 'files')]],
  ['tree.py (120 children, a thread, a killed child, an orphan)', (d) => [PYTHON, join(PROGRAMS, 'tree.py'), '120', d]],
  ['net.py (tcp, udp, unix, refused)', () => [PYTHON, join(PROGRAMS, 'net.py')]],
  ['a shell pipeline with a missing command', () => ['sh', '-c', 'cd /etc && cat ./hostname | wc -c; no-such-cmd-gh; exit 2']],
  ['large output', () => ['sh', '-c', 'yes glasshouse | head -c 2000000']],
  // socket frames (bytes, non-blocking outcomes), listen/accept, sendmmsg destinations
  ['netbytes.py (bytes every way, listen and accept, non-blocking outcomes)', (d) => [PYTHON, join(PROGRAMS, 'netbytes.py'), '--dir', d, '--sizes', '1,65536']],
];

for (const [name, command] of WORKLOADS) {
  t.test(`live round trip: ${name}`, async (t) => {
    if (!(await requireBpf(t))) return;
    const dir = realpathSync(t.testdir({}));
    const { live, replay } = await recordAndReplay(dir, command(dir));
    const receipt = JSON.parse(live);
    t.equal(receipt.collector.status, 'ok', 'a complete live run');
    t.ok(receipt.collector.events > 0);
    if (name.startsWith('netbytes')) {
      t.ok(receipt.network.some((e: { bytes: number }) => e.bytes > 0), 'bytes were counted');
      t.ok(receipt.network.some((e: { initial?: string }) => e.initial === 'EINPROGRESS'), 'a non-blocking connect was decided');
    }
    t.equal(replay, live, 'byte-identical receipt');
  });
}

t.test('a run that changed files: digests taken live, recorded, and the replay the same receipt without reading the disk', async (t) => {
  const { createHash } = await import('node:crypto');
  const { rmSync, writeFileSync } = await import('node:fs');
  const dir = realpathSync(t.testdir({ 'old.txt': 'was here\n' }));
  const env = { GLASSHOUSE_HELPER: fakeHelper, FAKE_HELPER_MODE: 'changes' };
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
