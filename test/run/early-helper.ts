import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plainRunOptions } from '../../controller/cli/plain-run.js';
import { startEarlyHelper } from '../../controller/run/early-helper.js';
import { fakeHelper, runCli } from '../fixtures/run-cli.js';

t.test('startEarlyHelper: only with a helper and its gate, not in guest mode', async (t) => {
  t.equal(await startEarlyHelper(plainRunOptions('gh-run', ['--', 'true'], { GLASSHOUSE_HELPER: '/nonexistent/glasshouse-helper' }), { GLASSHOUSE_HELPER: '/nonexistent/glasshouse-helper' }), null);
  t.equal(await startEarlyHelper(plainRunOptions('gh-run', ['--help'], { GLASSHOUSE_HELPER: fakeHelper }), { GLASSHOUSE_HELPER: fakeHelper }), null);
  t.equal(await startEarlyHelper(plainRunOptions('gh-run', ['--', 'true'], { GLASSHOUSE_HELPER: fakeHelper }), { GLASSHOUSE_HELPER: fakeHelper }, 1), null, 'PID 1');
  t.equal(await startEarlyHelper(plainRunOptions('gh-run', ['--', 'true'], { GLASSHOUSE_HELPER: fakeHelper, GLASSHOUSE_UNDER_INIT: '1' }), { GLASSHOUSE_HELPER: fakeHelper, GLASSHOUSE_UNDER_INIT: '1' }), null, 'under init');
  const early = await startEarlyHelper(plainRunOptions('gh-run', ['--no-argv', '--', 'true'], { GLASSHOUSE_HELPER: fakeHelper, GLASSHOUSE_CAPTURE_ARGV: '1' }), { GLASSHOUSE_HELPER: fakeHelper, GLASSHOUSE_CAPTURE_ARGV: '1' });
  t.ok(early);
  t.equal(early!.path, fakeHelper);
  t.equal(early!.captureArgv, false);
  early!.discard();
  const off = await startEarlyHelper(plainRunOptions('gh-run', ['--', 'true'], { GLASSHOUSE_HELPER: fakeHelper, GLASSHOUSE_CAPTURE_ARGV: 'off' }), { GLASSHOUSE_HELPER: fakeHelper, GLASSHOUSE_CAPTURE_ARGV: 'off' });
  t.equal(off!.captureArgv, false, 'GLASSHOUSE_CAPTURE_ARGV=off');
  off!.discard();
});

const startsOf = (log: string): string[] => readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('args '));

t.test('a run takes over the helper started before parsing: one helper, the frames in the receipt', async (t) => {
  const dir = t.testdir({});
  const log = join(dir, 'log');
  const out = join(dir, 'r.json');
  const r = await runCli('gh-run', ['-q', '-o', out, '--', 'sh', '-c', 'exit 3'], { env: { GLASSHOUSE_HELPER: fakeHelper, FAKE_HELPER_LOG: log } });
  t.equal(r.code, 3);
  t.same(startsOf(log), ['args []'], 'started once');
  const receipt = JSON.parse(readFileSync(out, 'utf8'));
  t.equal(receipt.collector.status, 'ok');
  t.equal(receipt.collector.events, 2);
});

t.test('help and usage errors discard the early helper', async (t) => {
  const dir = t.testdir({});
  const log = join(dir, 'log');
  const env = { GLASSHOUSE_HELPER: fakeHelper, FAKE_HELPER_LOG: log };
  const help = await runCli('glasshouse', ['run', '-q', '--help', '--', 'true'], { env });
  t.equal(help.code, 0);
  const usage = await runCli('glasshouse', ['replay', '--', 'x'], { env });
  t.not(usage.code, 0);
  const run = await runCli('glasshouse', ['run', '-q', '-o', join(dir, 'r.json'), '--', 'true'], { env });
  t.equal(run.code, 0);
  t.same(startsOf(log), ['args []'], 'only the run started a helper');
});
