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
];

for (const [name, command] of WORKLOADS) {
  t.test(`live round trip: ${name}`, async (t) => {
    if (!(await requireBpf(t))) return;
    const dir = realpathSync(t.testdir({}));
    const { live, replay } = await recordAndReplay(dir, command(dir));
    const receipt = JSON.parse(live);
    t.equal(receipt.collector.status, 'ok', 'a complete live run');
    t.ok(receipt.collector.events > 0);
    t.equal(replay, live, 'byte-identical receipt');
  });
}
