// The plain-run parser (no yargs) must give exactly what yargs gives, or step aside (null).
import t from 'tap';
import { parseCli, type Program } from '../../controller/cli/args.js';
import { plainRunOptions } from '../../controller/cli/plain-run.js';

const ENV = { GLASSHOUSE_HELPER: '/env/helper', GLASSHOUSE_CAPTURE_ARGV: '' };

t.test('the common command lines are plain, with the options yargs gives', async (t) => {
  const cases: [Program, string[]][] = [
    ['gh-run', ['--', 'true']],
    ['gh-run', ['-q', '-o', 'r.json', '--no-argv', '--helper', '/h', '--record', 'x.ghrec', '--', 'make', '-j2']],
    ['gh-run', ['--output=r.json', '--helper=/h2', '--quiet', '--argv', '--', 'ls', '--', '-q']],
    ['gh-run', ['--record=a b.ghrec', '--', 'sh', '-c', 'exit 3']],
    ['glasshouse', ['run', '-q', '--', 'true']],
    ['gh-run', ['--wait-all', '--', 'true']],
    ['gh-run', ['--wait-all', '--wait-timeout', '1.5', '-q', '--', 'true']],
    ['gh-run', ['--wait-timeout=.25', '--', 'true']],
    ['glasshouse', ['run', '--wait-timeout', '30', '--wait-all', '--', 'true']],
    ['gh-run', ['--no-digests', '--', 'true']],
    ['glasshouse', ['run', '-q', '--digests', '--no-argv', '--', 'true']],
    ['gh-run', ['--strict', '--capture-output', '--', 'true']],
    ['glasshouse', ['run', '--capture-output', '-o', '/dev/fd/3', '--', 'true']],
  ];
  for (const [program, args] of cases) {
    const plain = plainRunOptions(program, args, ENV);
    t.ok(plain, `plain: ${args.join(' ')}`);
    const parsed = await parseCli(program, args, ENV);
    t.same(plain, parsed.kind === 'run' ? parsed.options : parsed, args.join(' '));
  }
  t.equal(plainRunOptions('gh-run', ['--', 'true'], { GLASSHOUSE_CAPTURE_ARGV: 'off' })!.captureArgv, false);
});

t.test('anything else goes to yargs', async (t) => {
  for (const args of [
    ['true'], // no --: yargs decides
    ['--'], // no command
    ['-h', '--', 'true'],
    ['--version', '--', 'true'],
    ['-qo', 'r.json', '--', 'true'],
    ['-o', '--', 'true'],
    ['-o', '-q', '--', 'true'],
    ['-o=x', '--', 'true'],
    ['--output=', '--', 'true'],
    ['-o', 'a', '-o', 'b', '--', 'true'], // repeated
    ['-q', '--quiet', '--', 'true'],
    ['--argv', '--no-argv', '--', 'true'],
    ['--quiet=false', '--', 'true'],
    ['--helper', '--', 'true'],
    ['--bogus', '--', 'true'],
    ['cmd', '--', 'true'],
    ['--wait-timeout', '--', 'true'],
    ['--wait-timeout', '0', '--', 'true'],
    ['--wait-timeout', '-1', '--', 'true'],
    ['--wait-timeout=abc', '--', 'true'],
    ['--wait-timeout', '1e3', '--', 'true'],
    ['--wait-timeout', '1', '--wait-timeout', '2', '--', 'true'],
    ['--wait-all', '--wait-all', '--', 'true'],
    ['--no-wait-all', '--', 'true'],
    ['--wait-all=true', '--', 'true'],
    ['--digests', '--no-digests', '--', 'true'],
    ['--no-digests=1', '--', 'true'],
    ['-o', '-', '--', 'true'], // refused by yargs' side, with the way to use another fd
    ['--strict', '--strict', '--', 'true'],
    ['--strict=false', '--', 'true'],
  ]) {
    t.equal(plainRunOptions('gh-run', args, ENV), null, args.join(' '));
  }
  t.equal(plainRunOptions('glasshouse', ['--', 'true'], ENV), null, 'glasshouse without run');
  t.equal(plainRunOptions('glasshouse', ['run', '--guest', '--', 'true'], ENV), null, 'guest mode');
  t.equal(plainRunOptions('glasshouse', ['replay', 'x.ghrec'], ENV), null);
});

t.test('on random command lines, plain agrees with yargs whenever it answers', async (t) => {
  const tokens = ['-q', '--quiet', '--argv', '--no-argv', '-o', '--output', '--output=o.json', 'r.json', '--helper', '--helper=/h', '/h',
    '--record', '--record=x', 'x.ghrec', '--guest', '-h', '--help', '--version', '--bogus', '-qo', '-', '-x', '', 'cmd', '--no-quiet', '--quiet=true',
    '--wait-all', '--no-wait-all', '--wait-all=false', '--digests', '--no-digests', '--digests=false', '--wait-timeout', '--wait-timeout=2.5', '--wait-timeout=1', '--wait-timeout=0.25', '--wait-timeout=0', '--wait-timeout=', '1', '0.5', '.5',
    '0', '-1', '1e3', 'abc', '7.'];
  let seed = 12345;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  let answered = 0;
  let waiting = 0;
  for (let i = 0; i < 3000; i++) {
    const before = Array.from({ length: rand(6) }, () => tokens[rand(tokens.length)]!);
    const program: Program = rand(4) === 0 ? 'glasshouse' : 'gh-run';
    const args = [...(program === 'glasshouse' ? ['run'] : []), ...before, '--', 'echo', '-q'];
    const plain = plainRunOptions(program, args, ENV);
    if (plain === null) continue;
    answered++;
    if (plain.waitTimeout !== null) waiting++;
    const parsed = await parseCli(program, args, ENV);
    if (parsed.kind !== 'run' || !t.strictSame(plain, parsed.options, JSON.stringify(args))) {
      t.fail(`differs from yargs: ${JSON.stringify(args)} -> ${JSON.stringify(parsed)}`);
      break;
    }
  }
  t.ok(answered > 300, `plain answered ${answered} of 3000 without yargs`);
  t.ok(waiting > 15, `${waiting} of them with a --wait-timeout`);
});
