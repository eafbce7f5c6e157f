// Command-line parsing shared by gh-run and `glasshouse run`: options before `--`, the
// command after it, verbatim (no yargs parsing, no number or boolean coercion).
import yargs, { type Argv } from 'yargs';
import { GLASSHOUSE_VERSION } from '../version.js';
import type { RunOptions } from '../run/options.js';

export type Program = 'gh-run' | 'glasshouse';

/** What the entry point must do: run, or print and exit (help, version, usage errors). */
export type CliAction =
  | { kind: 'run'; options: RunOptions }
  | { kind: 'exit'; code: number; stdout: string; stderr: string };

export const USAGE_ERROR = 2;

interface RunFlags {
  output: string;
  argv: boolean;
  quiet: boolean;
  helper?: string | undefined;
  guest?: boolean | undefined;
  _: (string | number)[];
}

/** Parse `args` (process.argv.slice(2)) for `program`. Never exits, never prints. */
export async function parseCli(program: Program, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliAction> {
  const dash = args.indexOf('--');
  const before = dash >= 0 ? args.slice(0, dash) : [...args];
  const after = dash >= 0 ? args.slice(dash + 1) : [];
  if (program === 'gh-run') return parseRun('gh-run', before, after, false, env);
  if (before[0] === 'run') return parseRun('glasshouse run', before.slice(1), after, true, env);
  return parseTop(before);
}

function runParser(name: string, args: string[], guest: boolean): Argv<RunFlags> {
  let y = yargs(args)
    .scriptName(name)
    .usage(`Usage: ${name} [options] -- <command> [args...]\n\nRun a command, observe its whole process tree, write receipt.json, exit with the command's status.`)
    .option('output', { alias: 'o', type: 'string', default: './receipt.json', requiresArg: true, describe: 'where to write the receipt' })
    .option('argv', { type: 'boolean', default: true, describe: 'capture the argv of every exec (--no-argv or GLASSHOUSE_CAPTURE_ARGV=0: off)' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: "no glasshouse messages on stderr (the command's output is kept)" })
    .option('helper', { type: 'string', requiresArg: true, describe: 'path of glasshouse-helper (also GLASSHOUSE_HELPER)' });
  if (guest) y = y.option('guest', { type: 'boolean', default: false, describe: 'run as a guest (recorded in the receipt)' });
  return y
    .parserConfiguration({ 'halt-at-non-option': true, 'parse-positional-numbers': false, 'boolean-negation': true })
    .strict()
    .help()
    .alias('h', 'help')
    .version(GLASSHOUSE_VERSION)
    .wrap(Math.min(100, process.stdout.columns || 100)) as unknown as Argv<RunFlags>;
}

async function parseRun(name: string, before: string[], after: string[], guest: boolean, env: NodeJS.ProcessEnv): Promise<CliAction> {
  const parser = runParser(name, before, guest);
  const parsed = await parseQuietly(parser, before);
  if (parsed.kind === 'exit') return parsed;
  const flags = parsed.argv;
  // with halt-at-non-option, a command given without `--` lands in `_`, as strings
  const command = [...flags._.map(String), ...after];
  if (command.length === 0) {
    return usageError(await parser.getHelp(), 'missing command: put it after --, e.g. ' + `${name} -- make test`);
  }
  const captureArgv = flags.argv && !isOff(env.GLASSHOUSE_CAPTURE_ARGV);
  return {
    kind: 'run',
    options: {
      command,
      output: flags.output,
      captureArgv,
      quiet: flags.quiet,
      helperPath: flags.helper ?? (env.GLASSHOUSE_HELPER || null),
      guest: flags.guest ?? false,
      env,
    },
  };
}

async function parseTop(before: string[]): Promise<CliAction> {
  const parser = yargs(before)
    .scriptName('glasshouse')
    .usage('Usage: glasshouse <command> [options]')
    .command('run', 'run a command observed and write receipt.json (glasshouse run --help)')
    .demandCommand(1, 'missing subcommand')
    .strict()
    .help()
    .alias('h', 'help')
    .version(GLASSHOUSE_VERSION);
  const parsed = await parseQuietly<{ _: (string | number)[] }>(parser as unknown as Argv<{ _: (string | number)[] }>, before);
  if (parsed.kind === 'exit') return parsed;
  return usageError(await parser.getHelp(), `unknown subcommand: ${String(parsed.argv._[0])}`);
}

type Parsed<T> = { kind: 'ok'; argv: T } | (CliAction & { kind: 'exit' });

/** yargs with a parse callback: it prints nothing and exits nothing; we decide. */
function parseQuietly<T>(parser: Argv<T>, args: string[]): Promise<Parsed<T>> {
  return new Promise((resolve) => {
    parser.exitProcess(false);
    void parser.parse(args, {}, (err: Error | undefined, argv: unknown, output: string) => {
      if (err) return resolve({ kind: 'exit', code: USAGE_ERROR, stdout: '', stderr: ensureNewline(output || err.message) });
      if (output) return resolve({ kind: 'exit', code: 0, stdout: ensureNewline(output), stderr: '' });
      resolve({ kind: 'ok', argv: argv as T });
    });
  });
}

function usageError(help: string, message: string): CliAction {
  return { kind: 'exit', code: USAGE_ERROR, stdout: '', stderr: `${help}\n\n${message}\n` };
}

const ensureNewline = (s: string): string => (s.endsWith('\n') ? s : s + '\n');

/** GLASSHOUSE_CAPTURE_ARGV=0 (or false/no/off) turns argv capture off. */
function isOff(value: string | undefined): boolean {
  return value !== undefined && /^(0|false|no|off)$/i.test(value.trim());
}
