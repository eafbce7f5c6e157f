import t from 'tap';
import { parseCli, type CliAction } from '../../controller/cli/args.js';

const runOptions = (a: CliAction) => {
  if (a.kind === 'exit') throw new Error(`expected a run, got exit ${a.code}: ${a.stderr}`);
  if (a.kind !== 'run') throw new Error(`expected a run, got ${a.kind}`);
  return a.options;
};

t.test('everything after -- is the command, verbatim', async (t) => {
  const o = runOptions(await parseCli('gh-run', ['--', 'echo', '007', '--x', '-q', '--', '', 'true', '1e3'], {}));
  t.same(o.command, ['echo', '007', '--x', '-q', '--', '', 'true', '1e3']);
  t.equal(o.quiet, false, 'flags after -- belong to the command');
});

t.test('defaults', async (t) => {
  const o = runOptions(await parseCli('gh-run', ['--', 'ls'], {}));
  t.equal(o.output, './receipt.json');
  t.equal(o.captureArgv, true);
  t.equal(o.quiet, false);
  t.equal(o.helperPath, null);
  t.equal(o.guest, false);
  t.equal(o.waitAll, false, 'the receipt is written when the root exits, as before');
  t.equal(o.waitTimeout, null);
  t.equal(o.digests, true, 'digests are taken unless --no-digests');
});

t.test('--no-digests, for gh-run and glasshouse run', async (t) => {
  t.equal(runOptions(await parseCli('gh-run', ['--no-digests', '--', 'ls'], {})).digests, false);
  t.equal(runOptions(await parseCli('glasshouse', ['run', '--no-digests', '--', 'ls'], {})).digests, false);
  t.equal(runOptions(await parseCli('gh-run', ['--digests', '--', 'ls'], {})).digests, true);
  const help = await parseCli('gh-run', ['--help'], {});
  t.match(help.kind === 'exit' && help.stdout, /--digests/);
});

t.test('options: -o, --output, -q, --quiet, --helper, --no-argv', async (t) => {
  const o = runOptions(await parseCli('gh-run', ['-o', 'r.json', '-q', '--helper', '/h', '--no-argv', '--', 'ls'], {}));
  t.equal(o.output, 'r.json');
  t.equal(o.quiet, true);
  t.equal(o.helperPath, '/h');
  t.equal(o.captureArgv, false);
  const long = runOptions(await parseCli('gh-run', ['--output=x.json', '--quiet', '--', 'ls'], {}));
  t.equal(long.output, 'x.json');
  t.equal(long.quiet, true);
});

t.test('environment: GLASSHOUSE_CAPTURE_ARGV=0 and GLASSHOUSE_HELPER', async (t) => {
  t.equal(runOptions(await parseCli('gh-run', ['--', 'ls'], { GLASSHOUSE_CAPTURE_ARGV: '0' })).captureArgv, false);
  t.equal(runOptions(await parseCli('gh-run', ['--', 'ls'], { GLASSHOUSE_CAPTURE_ARGV: '1' })).captureArgv, true);
  t.equal(runOptions(await parseCli('gh-run', ['--', 'ls'], { GLASSHOUSE_HELPER: '/env/h' })).helperPath, '/env/h');
  t.equal(runOptions(await parseCli('gh-run', ['--helper', '/flag/h', '--', 'ls'], { GLASSHOUSE_HELPER: '/env/h' })).helperPath, '/flag/h', 'the flag wins');
});

t.test('unknown flag: usage error, exit 2: the message and where help is, not the whole help', async (t) => {
  const a = await parseCli('gh-run', ['--bogus', '--', 'ls'], {});
  t.equal(a.kind, 'exit');
  if (a.kind !== 'exit') return;
  t.equal(a.code, 2);
  t.equal(a.stderr, "gh-run: Unknown argument: bogus\nTry 'gh-run --help' for more information.\n");
  t.equal(a.stdout, '');
});

t.test('-o - is refused with the way to get the receipt on a pipe; --strict and --capture-output parse', async (t) => {
  for (const args of [['-o', '-', '--', 'ls'], ['--output=-', '--', 'ls']]) {
    const a = await parseCli('gh-run', args, {});
    t.equal(a.kind === 'exit' && a.code, 2, JSON.stringify(args));
    t.match(a.kind === 'exit' && a.stderr, /^gh-run: -o -: .*-o \/dev\/fd\/3 3>&1/);
  }
  const o = runOptions(await parseCli('gh-run', ['--strict', '--capture-output', '--', 'ls'], {}));
  t.equal(o.strict, true);
  t.equal(o.captureOutput, true);
  const d = runOptions(await parseCli('gh-run', ['--', 'ls'], {}));
  t.same([d.strict, d.captureOutput], [false, false]);
});

t.test('missing command: usage error, exit 2', async (t) => {
  for (const args of [[], ['--'], ['-q', '--']]) {
    const a = await parseCli('gh-run', args, {});
    t.equal(a.kind === 'exit' && a.code, 2, JSON.stringify(args));
    t.match(a.kind === 'exit' && a.stderr, /missing command/);
  }
});

t.test('-o without a value is a usage error', async (t) => {
  const a = await parseCli('gh-run', ['-o'], {});
  t.equal(a.kind === 'exit' && a.code, 2);
});

t.test('--help and --version print to stdout, exit 0', async (t) => {
  const help = await parseCli('gh-run', ['--help'], {});
  t.equal(help.kind === 'exit' && help.code, 0);
  t.match(help.kind === 'exit' && help.stdout, /--no-argv/);
  const version = await parseCli('gh-run', ['--version'], {});
  t.equal(version.kind === 'exit' && version.stdout, '0.3.0\n');
});

t.test('a command without -- is taken from the first non-option on, as strings', async (t) => {
  const o = runOptions(await parseCli('gh-run', ['-q', 'echo', '007', '-n'], {}));
  t.same(o.command, ['echo', '007', '-n']);
  t.equal(o.quiet, true);
});

t.test('glasshouse run: same options plus --guest', async (t) => {
  const o = runOptions(await parseCli('glasshouse', ['run', '--guest', '-o', 'g.json', '--', 'make', '-j', '2'], {}));
  t.same(o.command, ['make', '-j', '2']);
  t.equal(o.guest, true);
  t.equal(o.output, 'g.json');
  const plain = runOptions(await parseCli('glasshouse', ['run', '--', 'ls'], {}));
  t.equal(plain.guest, false);
});

t.test('glasshouse: --guest only for run; unknown subcommand and no subcommand are usage errors', async (t) => {
  const guest = await parseCli('gh-run', ['--guest', '--', 'ls'], {});
  t.equal(guest.kind === 'exit' && guest.code, 2, 'gh-run has no --guest');
  const unknown = await parseCli('glasshouse', ['frobnicate'], {});
  t.equal(unknown.kind === 'exit' && unknown.code, 2);
  const none = await parseCli('glasshouse', [], {});
  t.equal(none.kind === 'exit' && none.code, 2);
  t.match(none.kind === 'exit' && none.stderr, /run/);
  const bad = await parseCli('glasshouse', ['run', '--nope', '--', 'ls'], {});
  t.equal(bad.kind === 'exit' && bad.code, 2);
});

t.test('--record FILE on gh-run and glasshouse run; absent: null', async (t) => {
  t.equal(runOptions(await parseCli('gh-run', ['--record', 'r.ghrec', '--', 'ls'], {})).record, 'r.ghrec');
  t.equal(runOptions(await parseCli('glasshouse', ['run', '--record=x.ghrec', '--', 'ls'], {})).record, 'x.ghrec');
  t.equal(runOptions(await parseCli('gh-run', ['--', 'ls'], {})).record, null);
  const missing = await parseCli('gh-run', ['--record'], {});
  t.equal(missing.kind === 'exit' && missing.code, 2, '--record needs a file');
});

t.test('glasshouse replay FILE [-o receipt.json] [--partial]', async (t) => {
  const replayOptions = (a: CliAction) => {
    if (a.kind !== 'replay') throw new Error(`expected a replay, got ${a.kind}`);
    return a.options;
  };
  t.same(replayOptions(await parseCli('glasshouse', ['replay', 'r.ghrec'], {})), { recording: 'r.ghrec', output: './receipt.json', partial: false });
  t.same(replayOptions(await parseCli('glasshouse', ['replay', '--partial', '-o', 'out.json', '007'], {})), { recording: '007', output: 'out.json', partial: true });
  for (const args of [['replay'], ['replay', 'a', 'b'], ['replay', '--frob', 'a'], ['replay', 'a', '-o']]) {
    const a = await parseCli('glasshouse', args, {});
    t.equal(a.kind === 'exit' && a.code, 2, JSON.stringify(args));
    t.match(a.kind === 'exit' && a.stderr, /^glasshouse replay: .*\nTry 'glasshouse replay --help' for more information\.\n$/);
  }
  const help = await parseCli('glasshouse', ['replay', '--help'], {});
  t.equal(help.kind === 'exit' && help.code, 0);
  t.match(help.kind === 'exit' && help.stdout, /--partial/);
  const top = await parseCli('glasshouse', ['--help'], {});
  t.match(top.kind === 'exit' && top.stdout, /replay/);
  const gh = await parseCli('gh-run', ['replay', 'x'], {});
  t.equal(gh.kind, 'run', 'gh-run has no replay: it runs a command named replay');
});

t.test('--wait-all and --wait-timeout, on gh-run and glasshouse run', async (t) => {
  const wait = async (program: 'gh-run' | 'glasshouse', args: string[]) => {
    const o = runOptions(await parseCli(program, [...(program === 'glasshouse' ? ['run'] : []), ...args, '--', 'ls'], {}));
    return [o.waitAll, o.waitTimeout];
  };
  t.same(await wait('gh-run', ['--wait-all']), [true, null]);
  t.same(await wait('glasshouse', ['--wait-all']), [true, null]);
  t.same(await wait('gh-run', ['--wait-all', '--wait-timeout', '30']), [true, 30]);
  t.same(await wait('gh-run', ['--wait-timeout', '0.5']), [true, 0.5], '--wait-timeout implies --wait-all');
  t.same(await wait('glasshouse', ['--wait-timeout=.25']), [true, 0.25]);
  t.same(await wait('gh-run', ['--wait-timeout', '2.', '-q']), [true, 2]);
  t.same(await wait('gh-run', ['--no-wait-all']), [false, null]);
  const help = await parseCli('gh-run', ['--help'], {});
  t.match(help.kind === 'exit' && help.stdout, /--wait-all[\s\S]*--wait-timeout/);
});

t.test('--wait-timeout without a value, not a number, zero or negative: usage error, exit 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--wait-timeout'], /Not enough arguments following: wait-timeout/],
    [['--wait-timeout', '--', 'ls'], /Not enough arguments following: wait-timeout/],
    [['--wait-all', '--wait-timeout', '-q', '--', 'ls'], /Not enough arguments following: wait-timeout/],
    [['--wait-timeout', '0', '--', 'ls'], /--wait-timeout: expected a number of seconds greater than 0 \(e\.g\. 30 or 0\.5\), got '0'/],
    [['--wait-timeout', '0.0', '--', 'ls'], /got '0\.0'/],
    [['--wait-timeout', '-1', '--', 'ls'], /got '-1'/],
    [['--wait-timeout=-0.5', '--', 'ls'], /got '-0\.5'/],
    [['--wait-timeout', 'soon', '--', 'ls'], /got 'soon'/],
    [['--wait-timeout', '1e3', '--', 'ls'], /got '1e3'/],
    [['--wait-timeout', '0x10', '--', 'ls'], /got '0x10'/],
    [['--wait-timeout', 'Infinity', '--', 'ls'], /got 'Infinity'/],
    [['--wait-timeout=', '--', 'ls'], /got ''/],
    [['--wait-timeout', '1', '--wait-timeout', '2', '--', 'ls'], /--wait-timeout given more than once/],
    [['--no-wait-all', '--wait-timeout', '3', '--', 'ls'], /--wait-timeout goes with --wait-all/],
  ];
  for (const [args, message] of cases) {
    for (const program of ['gh-run', 'glasshouse'] as const) {
      const a = await parseCli(program, program === 'glasshouse' ? ['run', ...args] : args, {});
      t.equal(a.kind === 'exit' && a.code, 2, `${program} ${JSON.stringify(args)}`);
      t.match(a.kind === 'exit' && a.stderr, message);
      t.match(a.kind === 'exit' && a.stderr, /\nTry '(gh-run|glasshouse run) --help' for more information\.\n$/);
      t.notMatch(a.kind === 'exit' && a.stderr, /Usage:/, 'no help text');
    }
  }
});
