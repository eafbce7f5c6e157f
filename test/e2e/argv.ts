// argv is recorded exactly: empty, spaced, newline and non-ASCII elements, 200+ arguments,
// and more than 64 KiB in one exec.
import t from 'tap';
import { ghRun, requireBpf } from '../helpers/gh-run.js';

t.test('awkward argv elements, exactly', async (t) => {
  if (!(await requireBpf(t))) return;
  const args = ['', 'a b', 'c\nd', 'é→ü', '--x', '007', ' ', '\t'];
  const r = await ghRun(['/bin/echo', ...args]);
  t.equal(r.code, 0);
  t.same(r.receipt.process_tree.argv, ['/bin/echo', ...args]);
  t.same(r.receipt.process_tree.execs, [{ path: '/bin/echo', argv: ['/bin/echo', ...args], result: 'ok' }]);
  t.same(r.receipt.command, ['/bin/echo', ...args]);
});

t.test('250 arguments', async (t) => {
  if (!(await requireBpf(t))) return;
  const args = Array.from({ length: 250 }, (_, i) => `arg-${i}`);
  const r = await ghRun(['/bin/true', ...args]);
  t.same(r.receipt.process_tree.argv, ['/bin/true', ...args]);
  t.notOk(r.receipt.process_tree.execs[0].argv_truncated);
});

t.test('64 KiB of argv is kept whole; beyond the bound it says so', async (t) => {
  if (!(await requireBpf(t))) return;
  const big = Array.from({ length: 60 }, (_, i) => `${i}:` + 'x'.repeat(1000));  // ~60 KiB
  let r = await ghRun(['/bin/true', ...big]);
  t.same(r.receipt.process_tree.argv, ['/bin/true', ...big], '~60 KiB whole');
  const huge = Array.from({ length: 100 }, (_, i) => `${i}:` + 'y'.repeat(1000)); // ~100 KiB
  r = await ghRun(['/bin/true', ...huge]);
  const e = r.receipt.process_tree.execs[0];
  t.equal(e.argv_truncated, true, 'truncation is flagged');
  t.same(e.argv, ['/bin/true', ...huge].slice(0, e.argv.length), 'what is kept is an exact prefix');
  t.ok(e.argv.join('\0').length >= 64 * 1024 - 1100, 'at least 64 KiB kept');
});

t.test('--no-argv records no argv', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun(['/bin/echo', 'secret'], { args: ['--no-argv'] });
  t.equal(r.receipt.collector.argv_captured, false);
  t.notOk(JSON.stringify(r.receipt.processes).includes('secret'), 'no argv anywhere in processes');
});
