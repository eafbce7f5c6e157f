// Record a real run, replay the recording: the same receipt, byte for byte, with the real helper
// on the end-to-end workloads (the built gh-run --record, then the built glasshouse replay).
// (With the test double of the helper, without BPF: test/replay/round-trip.ts.)
import t from 'tap';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { collect, GH_RUN, GLASSHOUSE, PROGRAMS, PYTHON, requireBpf } from '../helpers/gh-run.js';

const read = (path: string): string => readFileSync(path, 'utf8');

/** gh-run (built) --record, then glasshouse replay (built): both receipts' bytes. */
async function recordAndReplay(dir: string, command: string[]): Promise<{ live: string; replay: string; code: number | null }> {
  const rec = join(dir, 'r.ghrec');
  const run = await collect([process.execPath, GH_RUN, '-q', '--record', rec, '-o', join(dir, 'live.json'), '--', ...command], { cwd: dir, input: null });
  const replayed = await collect([process.execPath, GLASSHOUSE, 'replay', rec, '-o', join(dir, 'replay.json')], { cwd: dir, input: null });
  if (replayed.code !== 0) throw new Error(`replay exited ${replayed.code}: ${replayed.stderr} (the run said: ${run.stderr})`);
  return { live: read(join(dir, 'live.json')), replay: read(join(dir, 'replay.json')), code: run.code };
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
