// Command-line parsing shared by gh-run and `glasshouse run`: options before `--`, the
// command after it, verbatim (no yargs parsing, no number or boolean coercion).
import yargs, { type Argv } from 'yargs';
import { GLASSHOUSE_VERSION } from '../version.js';
import type { RunOptions } from '../run/options.js';
import type { ReplayOptions } from '../replay/options.js';
import type { ShowOptions } from '../show/show.js';
import type { DiffOptions } from '../evidence/diff.js';
import type { CheckOptions } from '../evidence/check.js';
import type { AttestOptions } from '../evidence/attest.js';
import type { VerifyOptions } from '../evidence/verify.js';
import { FAIL_KINDS, type FailKind } from '../evidence/kinds.js';
import { SECTIONS, type Section } from '../show/summary.js';

export type Program = 'gh-run' | 'glasshouse';

/** What the entry point must do: run, or print and exit (help, version, usage errors). */
export type CliAction =
  | { kind: 'run'; options: RunOptions }
  | { kind: 'replay'; options: ReplayOptions }
  | { kind: 'doctor'; helperPath: string | null }
  | { kind: 'show'; options: ShowOptions }
  | { kind: 'diff'; options: DiffOptions }
  | { kind: 'check'; options: CheckOptions }
  | { kind: 'attest'; options: AttestOptions }
  | { kind: 'verify'; options: VerifyOptions }
  | { kind: 'exit'; code: number; stdout: string; stderr: string };

export const USAGE_ERROR = 2;

// --wait-timeout: decimal seconds, fractions allowed, more than zero. No exponents, hex, signs
// or spaces: what a person types, and nothing Number() alone would let through.
const SECONDS = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

interface RunFlags {
  output: string;
  argv: boolean;
  digests: boolean;
  quiet: boolean;
  'capture-output': boolean;
  strict: boolean;
  summary: boolean;
  helper?: string | undefined;
  record?: string | undefined;
  'wait-all'?: boolean | undefined;
  'wait-timeout'?: string | string[] | undefined;
  guest?: boolean | undefined;
  policy?: string | undefined;
  'policy-exit': boolean;
  materials?: string | undefined;
  'materials-output'?: string | undefined;
  _: (string | number)[];
}

interface ReplayFlags {
  output: string;
  partial: boolean;
  _: (string | number)[];
}

/** Parse `args` (process.argv.slice(2)) for `program`. Never exits, never prints. */
export async function parseCli(program: Program, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliAction> {
  if (program === 'glasshouse' && args[0] === 'replay') return parseReplay(args.slice(1));
  if (program === 'glasshouse' && args[0] === 'doctor') return parseDoctor(args.slice(1), env);
  if (program === 'glasshouse' && args[0] === 'show') return parseShow(args.slice(1));
  if (program === 'glasshouse' && args[0] === 'diff') return parseDiff(args.slice(1));
  if (program === 'glasshouse' && args[0] === 'check') return parseCheck(args.slice(1));
  if (program === 'glasshouse' && args[0] === 'attest') return parseAttest(args.slice(1));
  if (program === 'glasshouse' && args[0] === 'verify') return parseVerify(args.slice(1));
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
    .option('output', {
      alias: 'o',
      type: 'string',
      default: './receipt.json',
      requiresArg: true,
      describe: 'where to write the receipt (a terminal, pipe or /dev/fd/N is written in place: -o /dev/fd/3 3>&1)',
    })
    .option('argv', { type: 'boolean', default: true, describe: "capture the argv of every exec (--no-argv or GLASSHOUSE_CAPTURE_ARGV=0: off, and the receipt's command keeps only its name)" })
    .option('digests', {
      type: 'boolean',
      default: true,
      describe: 'when the command has ended, take sha256 and size of the files it wrote (--no-digests: off)',
    })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: "no glasshouse messages on stderr (the command's output is kept)" })
    .option('capture-output', {
      type: 'boolean',
      default: false,
      describe: 'relay and hash stdout and stderr even when they are a terminal (the command then sees pipes)',
    })
    .option('strict', { type: 'boolean', default: false, describe: 'refuse to run the command when it cannot be traced (no receipt, no run)' })
    .option('summary', { type: 'boolean', default: false, describe: 'when the run ends, print a summary of the receipt on stderr (as glasshouse show does)' })
    .option('helper', { type: 'string', requiresArg: true, describe: 'path of glasshouse-helper (also GLASSHOUSE_HELPER)' })
    .option('record', { type: 'string', requiresArg: true, describe: 'also write the run\'s recording to this file (glasshouse replay rebuilds the receipt)' })
    .option('wait-all', {
      type: 'boolean',
      describe: 'after the command exits, follow on until every process it started has exited (daemons too), then write the receipt',
    })
    .option('wait-timeout', {
      type: 'string',
      requiresArg: true,
      describe: 'with --wait-all (implied): stop waiting this many seconds after the command exited; survivors are "running"',
    })
    .option('policy', {
      type: 'string',
      requiresArg: true,
      describe: 'check the receipt against this policy when the run ends (read before the command runs); violations on stderr',
    })
    .option('policy-exit', {
      type: 'boolean',
      default: false,
      describe: "with --policy: exit 1 when there are violations (the command's own status when it is not 0)",
    })
    .option('materials', {
      type: 'string',
      requiresArg: true,
      describe: 'before the command starts, take the sha256 of the regular files under DIR (its inputs), for glasshouse attest --materials-file',
    })
    .option('materials-output', { type: 'string', requiresArg: true, describe: 'where --materials writes them (default: the receipt\'s path + .materials.json)' });
  if (guest) {
    y = y.option('guest', {
      type: 'boolean',
      default: false,
      describe: 'prepare a minimal guest (mount /proc, /sys, bpffs when missing) and act as its init (reap orphans, forward signals)',
    });
  }
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
  const parsed = await parseQuietly(name, parser, before);
  if (parsed.kind === 'exit') return parsed;
  const flags = parsed.argv;
  // with halt-at-non-option, a command given without `--` lands in `_`, as strings
  const command = [...flags._.map(String), ...after];
  if (command.length === 0) {
    return usageError(name, 'missing command: put it after --, e.g. ' + `${name} -- make test`);
  }
  if (flags.output === '-') return usageError(name, OUTPUT_DASH);
  const captureArgv = flags.argv && !isOff(env.GLASSHOUSE_CAPTURE_ARGV);
  const wait = waitFlags(flags);
  if (typeof wait === 'string') return usageError(name, wait);
  if (flags['policy-exit'] && flags.policy === undefined) return usageError(name, '--policy-exit goes with --policy');
  if (Array.isArray(flags.policy)) return usageError(name, 'one --policy at a time');
  const materials = materialsFlags(flags);
  if (typeof materials === 'string') return usageError(name, materials);
  return {
    kind: 'run',
    options: {
      command,
      output: flags.output,
      captureArgv,
      digests: flags.digests,
      quiet: flags.quiet,
      captureOutput: flags['capture-output'],
      strict: flags.strict,
      summary: flags.summary,
      helperPath: flags.helper ?? (env.GLASSHOUSE_HELPER || null),
      record: flags.record ?? null,
      waitAll: wait.waitAll,
      waitTimeout: wait.waitTimeout,
      guest: flags.guest ?? false,
      policy: flags.policy ?? null,
      policyExit: flags['policy-exit'],
      materials,
      env,
    },
  };
}

/** --materials DIR and where its file goes, or what is wrong with them. */
function materialsFlags(flags: RunFlags): RunOptions['materials'] | string {
  const dir = flags.materials;
  const output = flags['materials-output'];
  if (Array.isArray(dir) || Array.isArray(output)) return '--materials and --materials-output: once each';
  if (dir === undefined) return output === undefined ? null : '--materials-output goes with --materials DIR';
  if (output !== undefined) return output === '-' ? '--materials-output -: give a file' : { dir, output };
  // beside a receipt on a pipe or a device there is no file to put them next to
  if (/^\/(?:dev|proc)\//.test(flags.output)) return `--materials with -o ${flags.output}: say where the materials go with --materials-output FILE`;
  return { dir, output: `${flags.output}.materials.json` };
}

/** --wait-all and --wait-timeout (which implies it), or what is wrong with them. */
function waitFlags(flags: RunFlags): { waitAll: boolean; waitTimeout: number | null } | string {
  const value = flags['wait-timeout'];
  if (value === undefined) return { waitAll: flags['wait-all'] ?? false, waitTimeout: null };
  if (Array.isArray(value)) return '--wait-timeout given more than once';
  const seconds = SECONDS.test(value) ? Number(value) : NaN;
  if (!(Number.isFinite(seconds) && seconds > 0)) return `--wait-timeout: expected a number of seconds greater than 0 (e.g. 30 or 0.5), got '${value}'`;
  if (flags['wait-all'] === false) return '--wait-timeout goes with --wait-all (it implies it), not with --no-wait-all';
  return { waitAll: true, waitTimeout: seconds };
}

async function parseTop(before: string[]): Promise<CliAction> {
  const parser = yargs(before)
    .scriptName('glasshouse')
    .usage('Usage: glasshouse <command> [options]')
    .command('run', 'run a command observed and write receipt.json (glasshouse run --help)')
    .command('show', 'sum up a receipt in the terminal, or write it as a self-contained HTML report (glasshouse show --help)')
    .command('diff', 'compare two receipts by what the commands did: programs, files, network (glasshouse diff --help)')
    .command('check', 'check a receipt against a policy of allowed and denied execs, files, network and DNS (glasshouse check --help)')
    .command('attest', 'make an in-toto statement of a receipt, signed in a DSSE envelope with --key (glasshouse attest --help)')
    .command('verify', 'check the signature of an attestation, and with --check-subjects its files (glasshouse verify --help)')
    .command('replay', 'rebuild the receipt of a recorded run (glasshouse replay --help)')
    .command('doctor', 'tell what is missing for traced runs and the command that fixes it')
    .demandCommand(1, 'missing subcommand: run, show, diff, check, attest, verify, replay or doctor')
    .strict()
    .help()
    .alias('h', 'help')
    .version(GLASSHOUSE_VERSION);
  const parsed = await parseQuietly<{ _: (string | number)[] }>('glasshouse', parser as unknown as Argv<{ _: (string | number)[] }>, before);
  if (parsed.kind === 'exit') return parsed;
  return usageError('glasshouse', `unknown subcommand: ${String(parsed.argv._[0])}`);
}

async function parseReplay(args: string[]): Promise<CliAction> {
  const parser = subcommand<ReplayFlags>(yargs(args)
    .scriptName('glasshouse replay')
    .usage(
      'Usage: glasshouse replay <recording> [options]\n\nRebuild the receipt of a run recorded with --record, byte for byte, without BPF or privilege.',
    )
    .option('output', { alias: 'o', type: 'string', default: './receipt.json', requiresArg: true, describe: 'where to write the receipt' })
    .option('partial', {
      type: 'boolean',
      default: false,
      describe: 'from a truncated or damaged recording, write a receipt of what could be read (collector degraded)',
    }));
  const parsed = await parseQuietly('glasshouse replay', parser, args);
  if (parsed.kind === 'exit') return parsed;
  const files = parsed.argv._.map(String);
  if (files.length !== 1) {
    return usageError('glasshouse replay', files.length === 0 ? 'missing recording file' : `one recording at a time, got ${files.length}`);
  }
  return { kind: 'replay', options: { recording: files[0]!, output: parsed.argv.output, partial: parsed.argv.partial } };
}

interface ShowFlags {
  html: boolean;
  output?: string | undefined;
  all: boolean;
  section?: string | string[] | undefined;
  color?: boolean | undefined;
  _: (string | number)[];
}

async function parseShow(args: string[]): Promise<CliAction> {
  const name = 'glasshouse show';
  const parser = subcommand<ShowFlags>(yargs(args)
    .scriptName(name)
    .usage(
      `Usage: ${name} [RECEIPT] [options]\n\nSum up a receipt (default ./receipt.json) of schema 0.3 to 0.5 in the terminal, or with --html write it as one self-contained HTML file (no network, opens from file://).`,
    )
    .option('html', { type: 'boolean', default: false, describe: 'write the HTML report (timeline, process tree, tables) instead of printing the summary' })
    .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'with --html: where the report goes (default ./report.html; /dev/stdout for a pipe)' })
    .option('all', { type: 'boolean', default: false, describe: 'every entry of every list, not the first ones and "… N more"' })
    .option('section', {
      alias: 's',
      // not an array option: that would take the receipt after it (-s disk receipt.json) as a section
      type: 'string',
      requiresArg: true,
      describe: `only these sections, in their usual order (repeat it or use commas): ${SECTIONS.join(', ')}`,
    })
    .option('color', { type: 'boolean', describe: 'colour even in a pipe (--no-color: never; default: on a terminal unless NO_COLOR is set)' }));
  const parsed = await parseQuietly(name, parser, args);
  if (parsed.kind === 'exit') return parsed;
  const flags = parsed.argv;
  const files = flags._.map(String);
  if (files.length > 1) return usageError(name, `one receipt at a time, got ${files.length}`);
  if (flags.output !== undefined && !flags.html) return usageError(name, '-o goes with --html (the summary is printed on stdout)');
  if (flags.output === '-') return usageError(name, '-o -: give /dev/stdout to write the report on stdout');
  const sections = [flags.section ?? []].flat().flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const unknown = sections.find((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown !== undefined) return usageError(name, `--section: no section '${unknown}' (the sections: ${SECTIONS.join(', ')})`);
  if (flags.html && sections.length > 0) return usageError(name, '--section goes with the summary, not --html (the report holds every section)');
  return {
    kind: 'show',
    options: {
      receipt: files[0] ?? './receipt.json',
      html: flags.html,
      output: flags.output ?? './report.html',
      all: flags.all,
      sections: sections.length > 0 ? (sections as Section[]) : SECTIONS,
      color: flags.color ?? null,
    },
  };
}

interface DiffFlags {
  json: boolean;
  'fail-on'?: string | string[] | undefined;
  counts: boolean;
  system?: string | string[] | undefined;
  color?: boolean | undefined;
  _: (string | number)[];
}

async function parseDiff(args: string[]): Promise<CliAction> {
  const name = 'glasshouse diff';
  const parser = subcommand<DiffFlags>(yargs(args)
    .scriptName(name)
    .usage(
      `Usage: ${name} A B [options]\n\nCompare two receipts by behaviour: programs executed, files written, outputs and their content, removals, changes, reads outside system directories, failed opens, network peers, DNS names, syscalls, the exit. Pids, times, counts and random temp names are never differences. Exit 0; 1 when --fail-on names a kind of difference that is there; 2 when a receipt cannot be read.`,
    )
    .option('json', { type: 'boolean', default: false, describe: 'print { a, b, differences: { <category>: { added, removed } }, equal, notes } as JSON' })
    .option('fail-on', {
      // not an array option: that would take the receipts after it as kinds
      type: 'string',
      requiresArg: true,
      describe: `exit 1 when there are differences of these kinds (commas or repeated): ${FAIL_KINDS.join(', ')}`,
    })
    .option('counts', { type: 'boolean', default: false, describe: 'counts of the same thing that differ are differences too' })
    .option('system', { type: 'string', requiresArg: true, describe: 'a directory whose reads are not compared, besides the usual system ones (repeatable)' })
    .option('color', { type: 'boolean', describe: 'colour even in a pipe (--no-color: never; default: on a terminal unless NO_COLOR is set)' }));
  const parsed = await parseQuietly(name, parser, args);
  if (parsed.kind === 'exit') return parsed;
  const flags = parsed.argv;
  const files = flags._.map(String);
  if (files.length !== 2) return usageError(name, files.length < 2 ? `two receipts to compare, got ${files.length}` : `two receipts at a time, got ${files.length}`);
  const kinds = [flags['fail-on'] ?? []].flat().flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const unknown = kinds.find((k) => !(FAIL_KINDS as readonly string[]).includes(k));
  if (unknown !== undefined) return usageError(name, `--fail-on: no kind '${unknown}' (the kinds: ${FAIL_KINDS.join(', ')})`);
  const system = [flags.system ?? []].flat();
  const relative = system.find((d) => !d.startsWith('/'));
  if (relative !== undefined) return usageError(name, `--system: an absolute directory, got '${relative}'`);
  return {
    kind: 'diff',
    options: {
      a: files[0]!,
      b: files[1]!,
      json: flags.json,
      failOn: [...new Set(kinds)] as FailKind[],
      counts: flags.counts,
      // /usr/ and /usr are one directory
      system: system.map((d) => d.replace(/\/+$/, '') || '/'),
      color: flags.color ?? null,
    },
  };
}

interface CheckFlags {
  policy?: string | undefined;
  json: boolean;
  _: (string | number)[];
}

async function parseCheck(args: string[]): Promise<CliAction> {
  const name = 'glasshouse check';
  const parser = subcommand<CheckFlags>(yargs(args)
    .scriptName(name)
    .usage(
      `Usage: ${name} --policy POLICY [RECEIPT] [--json]\n\nCheck a receipt (default ./receipt.json) against a policy: print every violation with the process that did it. Exit 0: none; 1: violations; 2: the receipt or the policy cannot be used.`,
    )
    .option('policy', { type: 'string', requiresArg: true, describe: 'the policy file (JSON; policy.schema.json)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON ({ violations, checks, incomplete }) instead of text' }));
  const parsed = await parseQuietly(name, parser, args);
  if (parsed.kind === 'exit') return parsed;
  const flags = parsed.argv;
  const files = flags._.map(String);
  if (flags.policy === undefined) return usageError(name, 'missing --policy POLICY');
  if (Array.isArray(flags.policy)) return usageError(name, 'one --policy at a time');
  if (files.length > 1) return usageError(name, `one receipt at a time, got ${files.length}`);
  return { kind: 'check', options: { policy: flags.policy, receipt: files[0] ?? './receipt.json', json: flags.json } };
}

interface AttestFlags {
  key?: string | undefined;
  output: string;
  materials?: string | undefined;
  'materials-file'?: string | undefined;
  _: (string | number)[];
}

async function parseAttest(args: string[]): Promise<CliAction> {
  const name = 'glasshouse attest';
  const parser = subcommand<AttestFlags>(yargs(args)
    .scriptName(name)
    .usage(
      `Usage: ${name} RECEIPT [--key KEY] [-o FILE] [--materials DIR | --materials-file FILE]\n\nMake an in-toto Statement v1 of a receipt (schema 0.3 to 0.5): its subjects the outputs with a digest, its predicate the receipt. With --key, signed into a DSSE envelope.`,
    )
    .option('key', { type: 'string', requiresArg: true, describe: 'PEM private key (Ed25519, or ECDSA P-256 in PKCS#8 or SEC1) to sign with; without it the statement is written unsigned' })
    .option('output', { alias: 'o', type: 'string', default: './attestation.json', requiresArg: true, describe: 'where it goes (/dev/stdout for a pipe)' })
    .option('materials', { type: 'string', requiresArg: true, describe: 'record the sha256 of the regular files under DIR (taken now) in the predicate' })
    .option('materials-file', { type: 'string', requiresArg: true, describe: 'record the materials gh-run --materials took before the run (RECEIPT.materials.json)' }));
  const parsed = await parseQuietly(name, parser, args);
  if (parsed.kind === 'exit') return parsed;
  const flags = parsed.argv;
  const files = flags._.map(String);
  if (files.length !== 1) return usageError(name, files.length === 0 ? 'missing receipt: glasshouse attest receipt.json' : `one receipt at a time, got ${files.length}`);
  for (const f of ['key', 'output', 'materials', 'materials-file'] as const) {
    if (Array.isArray(flags[f])) return usageError(name, `--${f} given more than once`);
  }
  if (flags.output === '-') return usageError(name, '-o -: give /dev/stdout to write on stdout');
  if (flags.materials !== undefined && flags['materials-file'] !== undefined) {
    return usageError(name, '--materials and --materials-file: one or the other (the digests are taken now, or were before the run)');
  }
  return {
    kind: 'attest',
    options: {
      receipt: files[0]!,
      key: flags.key ?? null,
      output: flags.output,
      materialsDir: flags.materials ?? null,
      materialsFile: flags['materials-file'] ?? null,
    },
  };
}

async function parseVerify(args: string[]): Promise<CliAction> {
  const name = 'glasshouse verify';
  const parser = subcommand<{ key?: string | string[]; 'check-subjects': boolean; _: (string | number)[] }>(yargs(args)
    .scriptName(name)
    .usage(
      `Usage: ${name} --key PUB ENVELOPE [--check-subjects]\n\nCheck a DSSE envelope of an in-toto statement with a public key and print what it attests. Exit 0: verified; 1: no signature verifies, or a subject differs; 2: bad input.`,
    )
    .option('key', { type: 'string', requiresArg: true, describe: 'PEM public key (SPKI) of the signer: Ed25519 or ECDSA P-256' })
    .option('check-subjects', { type: 'boolean', default: false, describe: 'also check that each subject file still has the attested sha256' }));
  const parsed = await parseQuietly(name, parser, args);
  if (parsed.kind === 'exit') return parsed;
  const flags = parsed.argv;
  const files = flags._.map(String);
  if (flags.key === undefined) return usageError(name, 'missing --key PUB: the public key to verify with');
  if (Array.isArray(flags.key)) return usageError(name, '--key given more than once');
  if (files.length !== 1) return usageError(name, files.length === 0 ? 'missing envelope: glasshouse verify --key pub.pem attestation.json' : `one envelope at a time, got ${files.length}`);
  return { kind: 'verify', options: { key: flags.key, envelope: files[0]!, checkSubjects: flags['check-subjects'] } };
}

async function parseDoctor(args: string[], env: NodeJS.ProcessEnv): Promise<CliAction> {
  const parser = yargs(args)
    .scriptName('glasshouse doctor')
    .usage('Usage: glasshouse doctor [--helper PATH]\n\nTell what is missing for traced runs here, and the exact command that fixes each thing.')
    .option('helper', { type: 'string', requiresArg: true, describe: 'path of glasshouse-helper (also GLASSHOUSE_HELPER)' })
    .strict()
    .help()
    .alias('h', 'help')
    .version(GLASSHOUSE_VERSION) as unknown as Argv<{ helper?: string; _: (string | number)[] }>;
  const parsed = await parseQuietly('glasshouse doctor', parser, args);
  if (parsed.kind === 'exit') return parsed;
  if (parsed.argv._.length > 0) return usageError('glasshouse doctor', `unexpected argument: ${String(parsed.argv._[0])}`);
  return { kind: 'doctor', helperPath: parsed.argv.helper ?? (env.GLASSHOUSE_HELPER || null) };
}

/**
 * What every subcommand but run shares: positionals stay strings, unknown options are errors,
 * --help and --version, and the help fits the terminal.
 */
function subcommand<T>(parser: Argv): Argv<T> {
  return parser
    .parserConfiguration({ 'parse-positional-numbers': false })
    .strictOptions()
    .help()
    .alias('h', 'help')
    .version(GLASSHOUSE_VERSION)
    .wrap(Math.min(100, process.stdout.columns || 100)) as unknown as Argv<T>;
}

type Parsed<T> = { kind: 'ok'; argv: T } | (CliAction & { kind: 'exit' });

/**
 * yargs with a parse callback: it prints nothing and exits nothing; we decide. A usage error is
 * its message and where the help is, not the whole help text (`name`: what --help follows).
 */
function parseQuietly<T>(name: string, parser: Argv<T>, args: string[]): Promise<Parsed<T>> {
  return new Promise((resolve) => {
    parser.exitProcess(false);
    void parser.parse(args, {}, (err: Error | undefined, argv: unknown, output: string) => {
      if (err) return resolve(usageError(name, err.message) as Parsed<T>);
      if (output) return resolve({ kind: 'exit', code: 0, stdout: ensureNewline(output), stderr: '' });
      resolve({ kind: 'ok', argv: argv as T });
    });
  });
}

/** `-o -`: refused, for the receipt would land in the middle of the command's own output. */
export const OUTPUT_DASH =
  "-o -: the receipt would be mixed into the command's own stdout; to get it on a pipe, give gh-run another fd, e.g. -o /dev/fd/3 3>&1 >/dev/null";

function usageError(name: string, message: string): CliAction & { kind: 'exit' } {
  return { kind: 'exit', code: USAGE_ERROR, stdout: '', stderr: `${name}: ${message}\nTry '${name} --help' for more information.\n` };
}

const ensureNewline = (s: string): string => (s.endsWith('\n') ? s : s + '\n');

/** GLASSHOUSE_CAPTURE_ARGV=0 (or false/no/off) turns argv capture off. */
function isOff(value: string | undefined): boolean {
  return value !== undefined && /^(0|false|no|off)$/i.test(value.trim());
}
