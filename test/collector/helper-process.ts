import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HelperFollowError, HelperUnavailableError } from '../../controller/collector/errors.js';
import { gatePathFor, resolveHelperPath } from '../../controller/collector/helper-path.js';
import { HelperProcess, type HelperOptions } from '../../controller/collector/helper-process.js';
import { Diagnostics } from '../../controller/collector/diagnostics.js';
import { packageRoot } from '../../controller/package-root.js';
import type { Frame } from '../../controller/schema/frames.js';
import { FAKE_HELPER as fakeHelper } from '../helpers/gh-run.js';

const withMode = (mode: string, extra: Partial<HelperOptions> = {}): HelperOptions => {
  process.env.FAKE_HELPER_MODE = mode;
  return { path: fakeHelper, captureArgv: true, quiet: true, ...extra };
};
t.afterEach(() => {
  delete process.env.FAKE_HELPER_MODE;
  delete process.env.FAKE_HELPER_LOG;
});

const unavailable = async (options: HelperOptions): Promise<HelperUnavailableError> => {
  const error = await HelperProcess.start(options).then(
    async (h) => {
      await h.stop();
      return null;
    },
    (e: unknown) => e,
  );
  if (!(error instanceof HelperUnavailableError)) throw new Error(`expected HelperUnavailableError, got ${String(error)}`);
  return error;
};

/** A process that is our child, like the gate would be. */
const sleeper = () => spawn('sleep', ['5'], { stdio: 'ignore' });

t.test('helper path: override, env, else <package root>/helper; gate beside it', async (t) => {
  t.equal(resolveHelperPath('/opt/x/glasshouse-helper', {}), '/opt/x/glasshouse-helper');
  t.equal(resolveHelperPath(null, { GLASSHOUSE_HELPER: '/env/h' }), '/env/h');
  t.equal(resolveHelperPath(null, {}), join(packageRoot(), 'helper', 'glasshouse-helper'));
  t.ok(readFileSync(join(packageRoot(), 'package.json'), 'utf8').includes('"name": "glasshouse"'));
  t.equal(gatePathFor('/opt/x/glasshouse-helper'), '/opt/x/glasshouse-gate');
});

t.test('ok: hello, follow, stop with every frame; --no-argv passed when argv is off', async (t) => {
  const log = join(t.testdir({}), 'log');
  process.env.FAKE_HELPER_LOG = log;
  const frames: Frame[] = [];
  const helper = await HelperProcess.start(withMode('ok', { captureArgv: false, onFrame: (f) => frames.push(f) }));
  t.equal(helper.helloFrame?.argv, false);
  const child = sleeper();
  t.teardown(() => child.kill());
  let armed = 0;
  await helper.follow(child.pid!, () => armed++);
  t.equal(armed, 1, 'told once that the helper is armed, to nudge the gate');
  await new Promise((r) => setTimeout(r, 50));
  const result = await helper.stop();
  t.equal(result.status, 'ok');
  t.equal(result.reason, null);
  t.same(
    frames.map((f) => f.t),
    ['hello', 'armed', 'following', 'exec', 'open', 'stats', 'end'],
  );
  t.same(result.frameErrors, []);
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  t.same(lines, ['args ["--no-argv"]', `line follow ${child.pid}`, 'line stop']);
});

t.test('missing helper: unavailable with the make hint', async (t) => {
  const e = await unavailable({ path: '/nonexistent/glasshouse-helper', captureArgv: true, quiet: true });
  t.equal(e.reason, 'helper not found at /nonexistent/glasshouse-helper');
  t.equal(e.kind, 'missing');
  const plain = join(t.testdir({ 'glasshouse-helper': '#!/bin/sh\n' }), 'glasshouse-helper');
  const notExecutable = await unavailable({ path: plain, captureArgv: true, quiet: true });
  t.equal(notExecutable.reason, `helper at ${plain} is not executable`);
  t.equal(notExecutable.kind, 'missing');
});

t.test('fatal error frame: unavailable with its message (a permission problem)', async (t) => {
  const e = await unavailable(withMode('fatal'));
  t.equal(e.reason, 'cannot load BPF programs: Operation not permitted (EPERM)');
  t.equal(e.kind, 'permission');
});

t.test('early exit: the last stderr line is the reason; stderr forwarded unless quiet', async (t) => {
  const forwarded: string[] = [];
  const e = await unavailable(withMode('stderr-exit', { quiet: false, writeStderr: (s) => forwarded.push(s) }));
  t.equal(e.reason, 'no BTF found at /sys/kernel/btf/vmlinux');
  t.equal(e.kind, 'btf');
  t.same(forwarded, ['glasshouse-helper: libbpf: loading BTF failed\n', 'glasshouse-helper: no BTF found at /sys/kernel/btf/vmlinux\n']);
  const quiet: string[] = [];
  await unavailable(withMode('stderr-exit', { quiet: true, writeStderr: (s) => quiet.push(s) }));
  t.same(quiet, []);
});

t.test('early silent exit: "the helper exited with status N"', async (t) => {
  const e = await unavailable(withMode('silent-exit'));
  t.equal(e.reason, 'the helper exited with status 4');
});

t.test('a helper that cannot start: its line that repeats the error frame is not said, its other lines are, once', async (t) => {
  const said: string[] = [];
  const e = await unavailable(withMode('fatal-noisy', { quiet: false, writeStderr: (s) => said.push(s) }));
  t.equal(e.reason, 'cannot load BPF programs: Operation not permitted (EPERM)');
  // the stderr pipe may end after the start failed
  for (let i = 0; i < 50 && said.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.same(said, ['glasshouse-helper: libbpf: failed to load object\n'], 'the reason is said by the controller, with the fix');
});

t.test('no hello in time: unavailable', async (t) => {
  const e = await unavailable(withMode('hang', { helloTimeoutMs: 1500 }));
  t.match(e.reason, /no hello within 1.5 s/);
});

t.test('garbage on stdout: unavailable', async (t) => {
  const e = await unavailable(withMode('garbage'));
  t.match(e.reason, /garbage.*bad frame length/);
});

t.test('another protocol version: unavailable', async (t) => {
  const e = await unavailable(withMode('proto9'));
  t.match(e.reason, /protocol 9/);
});

t.test('a refused follow rejects with the error frame message; the helper has ended', async (t) => {
  const forwarded: string[] = [];
  const helper = await HelperProcess.start(withMode('refuse', { quiet: false, writeStderr: (s) => forwarded.push(s) }));
  const child = sleeper();
  t.teardown(() => child.kill());
  await t.rejects(helper.follow(child.pid!), { name: 'HelperFollowError', message: /not a child of the helper's parent/ });
  const result = await helper.stop();
  t.equal(result.status, 'degraded', 'a refused follow is the helper\'s end (status 2), not something to carry on from');
  t.match(result.reason, /not a child/);
  t.same(forwarded, [], "the helper's line that says what its error frame says is not repeated: the controller says it, with what follows");
  t.notMatch(forwarded.join(''), /glasshouse-helper: glasshouse-helper/);
});

t.test('the helper dies mid-run: degraded with its last stderr line', async (t) => {
  const helper = await HelperProcess.start(withMode('die'));
  const child = sleeper();
  t.teardown(() => child.kill());
  await helper.follow(child.pid!);
  await new Promise((r) => setTimeout(r, 300));
  const result = await helper.stop();
  t.equal(result.status, 'degraded');
  t.equal(result.reason, 'fake helper: ring buffer poll failed during the run');
});

t.test('no end frame at stop: degraded', async (t) => {
  const helper = await HelperProcess.start(withMode('no-end'));
  const result = await helper.stop();
  t.equal(result.status, 'degraded');
  t.match(result.reason, /without an end frame: it exited with status 0/);
});

t.test('a helper that does not stop is killed after the timeout: degraded', async (t) => {
  const helper = await HelperProcess.start(withMode('stuck', { stopTimeoutMs: 500 }));
  const started = Date.now();
  const result = await helper.stop();
  t.ok(Date.now() - started < 3000, 'did not wait forever');
  t.equal(result.status, 'degraded');
  t.match(result.reason, /did not stop within 0.5 s and was killed/);
});

t.test('debug switches: frames as JSON lines, counts, tracking', async (t) => {
  const out: string[] = [];
  const diagnostics = new Diagnostics({ GLASSHOUSE_DEBUG_EVENTS: '1', GLASSHOUSE_DEBUG_COUNTS: '1', GLASSHOUSE_DEBUG_TRACKING: '1' }, (l) => out.push(l));
  const helper = await HelperProcess.start(withMode('ok', { diagnostics }));
  const child = sleeper();
  t.teardown(() => child.kill());
  await helper.follow(child.pid!);
  await new Promise((r) => setTimeout(r, 50));
  await helper.stop();
  t.equal(JSON.parse(out.find((l) => l.startsWith('{'))!).t, 'hello');
  t.ok(out.includes(`glasshouse: tracking: follow ${child.pid}`));
  t.ok(out.includes(`glasshouse: tracking: following ${child.pid}`));
  t.ok(out.some((l) => /^glasshouse: frame counts: armed=1 end=1 exec=1 following=1 hello=1 open=1 stats=1$/.test(l)));
});

t.test('debug events stop after 200 frames and then give a count', async (t) => {
  const out: string[] = [];
  const d = new Diagnostics({ GLASSHOUSE_DEBUG_EVENTS: '1' }, (l) => out.push(l));
  for (let i = 0; i < 250; i++) d.frame({ t: 'following', pid: i });
  d.finish();
  t.equal(out.length, 201);
  t.equal(out[200], 'glasshouse: debug: 50 more frames not shown');
  const off: string[] = [];
  const quiet = new Diagnostics({}, (l) => off.push(l));
  quiet.frame({ t: 'following', pid: 1 });
  quiet.track('x');
  quiet.finish();
  t.same(off, []);
});
