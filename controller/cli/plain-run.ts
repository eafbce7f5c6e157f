// The common command line of a run, understood without yargs: `gh-run [plain options] -- cmd`
// or `glasshouse run [plain options] -- cmd`, where the plain options are -q/--quiet,
// --argv/--no-argv, --digests/--no-digests, --capture-output, --strict, -o/--output, --helper,
// --record, --wait-all and --wait-timeout, each at
// most once, values separate or after `=`. Loading yargs costs about as much as Node's own
// startup, and this is every run's path; anything else (help, version, guest mode, a typo, a
// repeated option, a value that looks like an option or is not valid, no `--`) returns null and
// goes to yargs (args.ts), which owns the CLI.
// test/cli/plain-run.ts holds the two to the same result on a corpus of command lines.
import type { RunOptions } from '../run/options.js';
import type { Program } from './args.js';
import { parseWaitTimeout } from './wait-timeout.js';

const VALUED = /^--(output|helper|record|wait-timeout)(?:=(.*))?$/;

/** The options of a plain run, exactly as parseCli would give them; null when not plain. */
export function plainRunOptions(program: Program, args: readonly string[], env: NodeJS.ProcessEnv = process.env): RunOptions | null {
  const dash = args.indexOf('--');
  if (dash < 0 || dash === args.length - 1) return null;
  let options = args.slice(0, dash);
  if (program === 'glasshouse') {
    if (options[0] !== 'run') return null;
    options = options.slice(1);
  }
  const seen = new Set<string>();
  const values: Record<string, string> = {};
  let quiet = false;
  let argv = true;
  let digests = true;
  let waitAll = false;
  let captureOutput = false;
  let strict = false;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    let name: string;
    if (option === '-q' || option === '--quiet') {
      name = 'quiet';
      quiet = true;
    } else if (option === '--argv' || option === '--no-argv') {
      name = 'argv';
      argv = option === '--argv';
    } else if (option === '--digests' || option === '--no-digests') {
      name = 'digests';
      digests = option === '--digests';
    } else if (option === '--capture-output') {
      name = 'capture-output';
      captureOutput = true;
    } else if (option === '--strict') {
      name = 'strict';
      strict = true;
    } else if (option === '--wait-all') {
      name = 'wait-all';
      waitAll = true;
    } else {
      const m = option === '-o' ? ['-o', 'output', undefined] : VALUED.exec(option);
      if (m === null) return null;
      name = m[1]!;
      const value = m[2] ?? options[++i];
      if (value === undefined || value === '' || value.startsWith('-')) return null;
      values[name] = value;
    }
    if (seen.has(name)) return null;
    seen.add(name);
  }
  let waitTimeout: number | null = null;
  if (values['wait-timeout'] !== undefined) {
    waitTimeout = parseWaitTimeout(values['wait-timeout']);
    if (waitTimeout === null) return null; // yargs says what is wrong with it
  }
  const capture = (env.GLASSHOUSE_CAPTURE_ARGV ?? '').trim();
  return {
    command: args.slice(dash + 1),
    output: values.output ?? './receipt.json',
    captureArgv: argv && !/^(0|false|no|off)$/i.test(capture),
    digests,
    quiet,
    captureOutput,
    strict,
    helperPath: values.helper ?? (env.GLASSHOUSE_HELPER || null),
    record: values.record ?? null,
    waitAll: waitAll || waitTimeout !== null,
    waitTimeout,
    guest: false,
    env,
  };
}
