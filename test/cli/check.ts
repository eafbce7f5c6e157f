// `glasshouse check --policy` and `gh-run --policy` on the command line: options, exit codes
// (0 none, 1 violations, 2 bad input, never 1 for it), the evidence as printed (quoted), --json,
// a long output through a pipe, and gh-run's --policy with the fake helper (no BPF): checked
// after the run, --policy-exit, and a bad policy refusing the run before the command.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCli } from '../../controller/cli/args.js';
import { check } from '../../controller/evidence/check.js';
import { ROOT, runCli } from '../helpers/gh-run.js';

const fixture = join(ROOT, 'test', 'fixtures', 'recordings', 'net.receipt.json');
const EXAMPLES = join(ROOT, 'examples', 'policies');

/**
 * check() in this process, as the CLI calls it (a spawn of the CLI from source takes a second or
 * two; the exit codes through the real CLI are tested once each below)
 */
async function checkHere(policy: string, receipt: string, opts: { json?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await check(
    { policy, receipt, json: opts.json ?? false },
    { stdout: { write: (s: string, done: () => void) => ((stdout += s), done()) }, stderr: { write: (s: string) => (stderr += s) }, env: opts.env ?? process.env },
  );
  return { code, stdout, stderr };
}

t.test('options', async (t) => {
  const a = await parseCli('glasshouse', ['check', '--policy', 'p.json', 'r.json', '--json']);
  t.same(a, { kind: 'check', options: { policy: 'p.json', receipt: 'r.json', json: true } });
  const d = await parseCli('glasshouse', ['check', '--policy', 'p.json']);
  t.same(d.kind === 'check' && d.options, { policy: 'p.json', receipt: './receipt.json', json: false });
  const usage = async (args: string[]) => {
    const x = await parseCli('glasshouse', ['check', ...args]);
    return x.kind === 'exit' && x.code === 2 ? x.stderr : `not a usage error: ${x.kind}`;
  };
  t.match(await usage(['r.json']), /^glasshouse check: missing --policy POLICY\n/);
  t.match(await usage(['--policy', 'p', 'a', 'b']), /one receipt at a time, got 2/);
  t.match(await usage(['--policy']), /Not enough arguments following: policy/);
  t.match(await usage(['--policy', 'p', '--bogus']), /Unknown argument: bogus/);
  const run = await parseCli('gh-run', ['--policy', 'p.json', '--policy-exit', '--', 'true']);
  t.same(run.kind === 'run' && [run.options.policy, run.options.policyExit], ['p.json', true]);
  const plain = await parseCli('gh-run', ['--', 'true']);
  t.same(plain.kind === 'run' && [plain.options.policy, plain.options.policyExit], [null, false]);
  const alone = await parseCli('gh-run', ['--policy-exit', '--', 'true']);
  t.match(alone.kind === 'exit' && alone.stderr, /--policy-exit goes with --policy/);
  const twice = await parseCli('gh-run', ['--policy', 'a', '--policy', 'b', '--', 'true']);
  t.match(twice.kind === 'exit' && twice.stderr, /one --policy at a time/);
  const twiceCheck = await parseCli('glasshouse', ['check', '--policy', 'a', '--policy', 'b']);
  t.match(twiceCheck.kind === 'exit' && twiceCheck.stderr, /one --policy at a time/);
  const help = await parseCli('glasshouse', ['--help']);
  t.match(help.kind === 'exit' ? help.stdout : '', /glasshouse check +check a receipt against a policy/);
});

t.test('exit 1 with the evidence; 0 and the count when none', async (t) => {
  const dir = t.testdir({
    'deny.json': JSON.stringify({ network: { deny: ['127.0.0.0/8:38225', '/tmp/**'] } }),
    'fine.json': JSON.stringify({ network: { deny: ['10.0.0.0/8'] }, dns: { deny: ['*'] } }),
  });
  const r = await runCli('glasshouse', ['check', '--policy', join(dir, 'deny.json'), fixture]);
  t.equal(r.code, 1, r.stderr);
  t.equal(r.stderr, '');
  t.equal(
    r.stdout,
    [
      'violation: network.deny "/tmp/**": /tmp/tmpfnm9pnm4/missing (connect stream ENOENT)',
      '  by pid 15419: /usr/bin/python3 /work/main/test/fixtures/programs/net.py',
      'violation: network.deny "/tmp/**": /tmp/tmpfnm9pnm4/sock (connect stream)',
      '  by pid 15419: /usr/bin/python3 /work/main/test/fixtures/programs/net.py',
      'violation: network.deny "127.0.0.0/8:38225": 127.0.0.1:38225 (connect tcp EINPROGRESS)',
      '  by pid 15419: /usr/bin/python3 /work/main/test/fixtures/programs/net.py',
      'violation: network.deny "127.0.0.0/8:38225": 127.0.0.1:38225 (connect tcp)',
      '  by pid 15419: /usr/bin/python3 /work/main/test/fixtures/programs/net.py',
      '4 violations in 7 checks',
      '',
    ].join('\n'),
  );
  const ok = await runCli('glasshouse', ['check', '--policy', join(dir, 'fine.json'), fixture]);
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout, 'no violations: 7 checks\n', '7 network entries, no DNS in this receipt');
});

t.test('--json: { violations: [{ key, rule, pattern, thing, detail, processes }], checks }', async (t) => {
  const dir = t.testdir({ 'p.json': JSON.stringify({ network: { allow: ['/tmp/**', '127.0.0.1'] } }) });
  const r = await checkHere(join(dir, 'p.json'), fixture, { json: true });
  t.equal(r.code, 1, r.stderr);
  t.same(JSON.parse(r.stdout), {
    violations: [
      {
        key: 'network', rule: 'allow', pattern: null, thing: '[::1]:50323', detail: 'connect tcp',
        processes: [{ pid: 15419, argv: ['/usr/bin/python3', '/work/main/test/fixtures/programs/net.py'], exe: '/usr/bin/python3.11' }],
      },
    ],
    checks: 7,
    incomplete: null,
  });
});

t.test('an incomplete receipt: a warning before the result, which stands', async (t) => {
  const dir = t.testdir({ 'p.json': JSON.stringify({ read: { deny: ['~/.ssh/**'] } }) });
  const lost = join(ROOT, 'test', 'fixtures', 'recordings', 'lost-events.receipt.json');
  const r = await checkHere(join(dir, 'p.json'), lost);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^warning: the receipt is incomplete \(collector degraded: 7 events lost \(ring buffer full\)\): what was not seen was not checked\nno violations: \d+ checks\n$/);
});

t.test('strings from the receipt are quoted, never raw (argv, paths)', async (t) => {
  const receipt = JSON.parse(readFileSync(fixture, 'utf8'));
  receipt.processes[0].argv = ['sh', '-c', 'x\x1b[31m; echo hi'];
  receipt.network[4].address = '/tmp/evil\nviolation: fake';
  const dir = t.testdir({ 'r.json': JSON.stringify(receipt), 'p.json': JSON.stringify({ network: { deny: ['/tmp/evil*'] } }) });
  const r = await checkHere(join(dir, 'p.json'), join(dir, 'r.json'));
  t.equal(r.code, 1, r.stderr);
  t.equal(r.stdout, [
    `violation: network.deny "/tmp/evil*": $'/tmp/evil\\nviolation: fake' (connect stream ENOENT)`,
    `  by pid 15419: sh -c $'x\\x1b[31m; echo hi'`,
    '1 violation in 7 checks',
    '',
  ].join('\n'));
});

t.test('bad input: exit 2 (never 1), one line naming the file and the problem, nothing on stdout', async (t) => {
  const dir = t.testdir({
    'unknown.json': JSON.stringify({ read: { deny: ['~/.ssh/**'] }, reads: {} }),
    'nested.json': JSON.stringify({ network: { allow: ['a', 7] } }),
    'cidr.json': JSON.stringify({ network: { deny: ['10.0.0.0/8', '192.168.0.0/99'] } }),
    'glob.json': JSON.stringify({ write: { deny: ['/a/{b'] } }),
    'ok.json': JSON.stringify({}),
    'notjson.json': '{',
    'receipt.json': JSON.stringify({ schema_version: '0.5', command: [] }),
  });
  const cases: [string[], RegExp][] = [
    [['unknown.json', fixture], /^glasshouse: check: \S+unknown\.json: invalid policy at \(root\): Unrecognized key: "reads"\n$/],
    [['nested.json', fixture], /^glasshouse: check: \S+nested\.json: invalid policy at network\.allow\.1: .*string.*\n$/],
    [['cidr.json', fixture], /^glasshouse: check: \S+cidr\.json: network\.deny\.1: invalid CIDR "192\.168\.0\.0\/99": the prefix length must be 0-32\n$/],
    [['glob.json', fixture], /^glasshouse: check: \S+glob\.json: write\.deny\.0: invalid glob "\/a\/\{b": Missing closing/],
    [['notjson.json', fixture], /notjson\.json: not a policy \(not JSON/],
    [['missing.json', fixture], /missing\.json: no such file/],
    [['ok.json', join(dir, 'none.json')], /^glasshouse: check: \S+none\.json: no such file/],
    [['ok.json', join(dir, 'receipt.json')], /^glasshouse: check: \S+receipt\.json: not a valid receipt of schema 0\.5 at /],
    [['ok.json', join(dir, 'notjson.json')], /notjson\.json: not a glasshouse receipt \(not JSON/],
  ];
  for (const [[policy, receipt], message] of cases) {
    const r = await checkHere(join(dir, policy!), receipt!);
    t.equal(r.code, 2, `${policy} ${receipt}: ${r.stderr}`);
    t.match(r.stderr, message);
    t.equal(r.stderr.split('\n').length, 2, 'one line');
    t.equal(r.stdout, '');
  }
  // and once through the CLI: the exit code and the line are the process's
  const cli = await runCli('glasshouse', ['check', '--policy', join(dir, 'cidr.json'), fixture]);
  t.equal(cli.code, 2);
  t.match(cli.stderr, /^glasshouse: check: \S+cidr\.json: network\.deny\.1: invalid CIDR "192\.168\.0\.0\/99": the prefix length must be 0-32\n$/);
  t.equal(cli.stdout, '');
});

t.test('a long list of violations reaches the end of a pipe whole', async (t) => {
  const receipt = JSON.parse(readFileSync(fixture, 'utf8'));
  const n = 3000;
  receipt.filesystem.reads = Array.from({ length: n }, (_, i) => ({ path: `/secret/${String(i).padStart(5, '0')}/${'x'.repeat(40)}`, pids: [15419], count: 1 }));
  const dir = t.testdir({ 'r.json': JSON.stringify(receipt), 'p.json': JSON.stringify({ read: { deny: ['/secret/**'] } }) });
  const r = await runCli('glasshouse', ['check', '--policy', join(dir, 'p.json'), join(dir, 'r.json')]);
  t.equal(r.code, 1);
  t.ok(r.stdout.length > 3 * 65536, `${r.stdout.length} bytes`);
  t.match(r.stdout, /\/secret\/02999\/x+\n {2}by pid 15419: .*\n3000 violations in \d+ checks\n$/);
});

t.test('the example policies validate and do what the README says', async (t) => {
  const home = '/home/ci';
  const receipt = JSON.parse(readFileSync(fixture, 'utf8'));
  receipt.environment.cwd = '/src/app';
  const read = (path: string) => ({ path, pids: [15419], count: 1 });
  const write = (path: string) => ({ path, pids: [15419], count: 1, created: true, truncated: false, digest: null });
  receipt.filesystem.reads = [read(`${home}/.ssh/id_ed25519`), read(`${home}/.aws/credentials`), read('/src/app/.env'), read('/etc/shadow'), read(`${home}/.config/gh/hosts.yml`), read('/src/app/package.json')];
  receipt.filesystem.writes = [write('/src/app/dist/index.js'), write('/tmp/build-1/x.o'), write('/dev/null'), write(`${home}/.bashrc`), write('/usr/local/lib/x.so')];
  receipt.network = [
    { ...receipt.network[1], address: '104.16.0.35', port: 443, host: 'registry.npmjs.org' },
    { ...receipt.network[1], address: '151.101.0.223', port: 443, host: 'files.pythonhosted.org' },
    { ...receipt.network[1], address: '203.0.113.9', port: 443, host: 'exfil.example' },
  ];
  const dir = t.testdir({ 'r.json': JSON.stringify(receipt) });
  const checkWith = (policy: string) => checkHere(join(EXAMPLES, policy), join(dir, 'r.json'), { json: true, env: { HOME: home } });
  const build = await checkWith('build.json');
  t.equal(build.code, 1, build.stderr);
  t.same(JSON.parse(build.stdout).violations.map((v: any) => `${v.key}.${v.rule} ${v.thing}`), [
    'write.allow /home/ci/.bashrc',
    'write.allow /usr/local/lib/x.so',
    'network.allow 203.0.113.9:443',
  ]);
  const untrusted = await checkWith('untrusted.json');
  t.equal(untrusted.code, 1, untrusted.stderr);
  t.same(JSON.parse(untrusted.stdout).violations.map((v: any) => `${v.key}.${v.rule} ${v.pattern} ${v.thing}`), [
    'write.deny ~/.bashrc /home/ci/.bashrc',
    'read.deny ~/.config/gh/** /home/ci/.config/gh/hosts.yml',
    'read.deny ~/.ssh/** /home/ci/.ssh/id_ed25519',
    'read.deny ~/.aws/** /home/ci/.aws/credentials',
    'read.deny /etc/shadow /etc/shadow',
    'read.deny **/.env /src/app/.env',
    'network.deny * 104.16.0.35:443',
    'network.deny * 151.101.0.223:443',
    'network.deny * 203.0.113.9:443',
  ].sort(bySectionThenThing));
  for (const name of ['build.json', 'untrusted.json']) {
    t.equal(JSON.parse(readFileSync(join(EXAMPLES, name), 'utf8')).$schema, '../../policy.schema.json', `${name} names the schema`);
  }
});

// the order check prints: by section (exec, write, read, network, dns), then by the thing
function bySectionThenThing(a: string, b: string): number {
  const order = ['exec', 'write', 'read', 'network', 'dns'];
  const key = (s: string) => order.indexOf(s.split('.')[0]!);
  const thing = (s: string) => s.split(' ').pop()!;
  return key(a) - key(b) || (thing(a) < thing(b) ? -1 : thing(a) > thing(b) ? 1 : 0);
}
