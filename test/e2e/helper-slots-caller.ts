// The caller's own limit, as a normal user through the installed helper (file capabilities or
// setuid): 4 helpers run, a 5th is refused, and gh-run then runs the command unobserved and
// says why. It holds 4 helpers of the caller's uid, which would refuse those of any other test
// file running beside it: test/run-unprivileged.sh runs it alone, with GLASSHOUSE_TEST_ALONE=1.
// (As root, test/e2e/helper-slots.ts checks the limits with other uids.)
import t from 'tap';
import { ghRun, requireBpf } from '../helpers/gh-run.js';
import { HELPER, killAll, startHelper, type Started } from '../helpers/helper.js';

const uid = process.getuid!();

if (uid === 0) {
  // a root caller takes no slot: any number of its helpers start, beside other test files
  t.test('a root caller is exempt: 5 of its helpers run', async (t) => {
    if (!(await requireBpf(t))) return;
    const started: Started[] = [];
    t.teardown(() => killAll(started));
    for (let i = 0; i < 5; i++) started.push(startHelper([HELPER, '--ringbuf-mb', '1']));
    const frames = await Promise.all(started.map((s) => s.first));
    t.equal(frames.filter((f) => f?.t === 'hello').length, 5, 'five hellos');
  });
} else if (process.env.GLASSHOUSE_TEST_ALONE !== '1') {
  const why = 'it holds 4 helpers of this uid, so it must run alone (GLASSHOUSE_TEST_ALONE=1, as test/run-unprivileged.sh does)';
  if (process.env.CI === 'true') t.fail(`in CI it runs alone: ${why}`);
  else t.skip(why);
} else {
  t.test('4 helpers of the caller run, the 5th is refused', async (t) => {
    if (!(await requireBpf(t))) return;
    const started: Started[] = [];
    t.teardown(() => killAll(started));
    for (let i = 0; i < 5; i++) started.push(startHelper([HELPER, '--ringbuf-mb', '1']));
    const frames = await Promise.all(started.map((s) => s.first));
    t.equal(frames.filter((f) => f?.t === 'hello').length, 4, 'four hellos');
    const i = frames.findIndex((f) => f?.t === 'error');
    t.match(frames[i], { fatal: true, msg: new RegExp(`^4 glasshouse helpers of uid ${uid} are already running \\(pids \\d+`) });
    t.equal(await started[i]?.closed, 1, 'exit status 1');

    const r = await ghRun(['/bin/sh', '-c', 'exit 3'], { args: ['-q'] });
    t.equal(r.code, 3, 'gh-run runs the command anyway');
    t.match(r.receipt?.collector, { status: 'unavailable', reason: new RegExp(`^4 glasshouse helpers of uid ${uid} are already running`) });
  });

  t.test('a ring buffer above 16 MiB is for root', async (t) => {
    const s = startHelper([HELPER, '--ringbuf-mb', '32']);
    t.teardown(() => killAll([s]));
    t.equal(await s.first, null, 'no hello');
    if (s.child.exitCode === null) return; // an old helper started: the teardown kills it
    t.equal(await s.closed, 2, 'exit 2');
    t.match(s.stderr(), /--ringbuf-mb above 16 needs a root caller/);
  });
}
