// gh-run --policy with the fake helper (no BPF), the CLI from source: the receipt checked after
// the run, violations on stderr, the status kept or (--policy-exit) made 1, and a bad policy
// refusing the run before the command.
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FAKE_HELPER, runCli } from '../helpers/gh-run.js';

t.test('gh-run --policy (fake helper): violations on stderr after the run, the status stays the command\'s', async (t) => {
  const dir = t.testdir({
    'p.json': JSON.stringify({ read: { deny: ['/etc/fake.conf'] }, exec: { allow: ['/usr/**'] } }),
    'clean.json': JSON.stringify({ read: { deny: ['~/.ssh/**'] } }),
    'bad.json': JSON.stringify({ network: { deny: ['10.0.0.0/8:http'] } }),
  });
  const env = { GLASSHOUSE_HELPER: FAKE_HELPER };
  const out = join(dir, 'r.json');
  const run = (args: string[], command: string[]) => runCli('gh-run', [...args, '-o', out, '--', ...command], { env, cwd: dir });
  const expected = [
    `glasshouse: policy ${join(dir, 'p.json')}:`,
    'violation: exec.allow (matches none): /fake/bin/tool',
    "  by pid \\d+: tool 'arg with space'",
    'violation: read.deny "/etc/fake.conf": /etc/fake.conf',
    "  by pid \\d+: tool 'arg with space'",
    '2 violations in 2 checks',
  ].join('\n');
  const r = await run(['--policy', join(dir, 'p.json')], ['sh', '-c', 'exit 0']);
  t.equal(r.code, 0, 'the command\'s status: --policy alone does not change it');
  t.match(r.stderr, new RegExp(expected.replace(/[()]/g, '\\$&')));
  t.ok(existsSync(out), 'the receipt is written');
  const failing = await run(['--policy', join(dir, 'p.json')], ['sh', '-c', 'exit 3']);
  t.equal(failing.code, 3);
  const strict = await run(['-q', '--policy', join(dir, 'p.json'), '--policy-exit'], ['sh', '-c', 'exit 0']);
  t.equal(strict.code, 1, '--policy-exit: violations make it 1');
  t.match(strict.stderr, /2 violations in 2 checks/, 'printed even with -q: it was asked for');
  const strictFailing = await run(['--policy', join(dir, 'p.json'), '--policy-exit'], ['sh', '-c', 'exit 3']);
  t.equal(strictFailing.code, 3, 'the command\'s own failure is kept');
  const clean = await run(['--policy', join(dir, 'clean.json'), '--policy-exit'], ['sh', '-c', 'exit 0']);
  t.equal(clean.code, 0);
  t.match(clean.stderr, /no violations: 1 checks/);
  const marker = join(dir, 'ran');
  const bad = await run(['--policy', join(dir, 'bad.json')], ['touch', marker]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^glasshouse: error: --policy \S+bad\.json: network\.deny\.0: \S+ the port must be a number 0-65535 or \*, got "http"; the command was not run\n$/);
  t.notOk(existsSync(marker), 'the command did not run');
  const missing = await run(['--policy', join(dir, 'none.json')], ['touch', marker]);
  t.equal(missing.code, 2);
  t.notOk(existsSync(marker));
});
