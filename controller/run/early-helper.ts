// The helper started first thing, before the command line is parsed: its BPF load (~80 ms)
// then runs while yargs and the rest of the controller load, instead of after them. Only for
// a plain run whose options a simple scan understands; run() takes it over only when its path
// and argv capture are what the real parse says, so a wrong guess costs a wasted helper start,
// never a wrong run.
import { gatePathFor, resolveHelperPath } from '../collector/helper-path.js';
import type { SpawnedHelper } from '../collector/helper-spawn.js';
import { UNDER_INIT_ENV } from '../guest/setup.js';
import { isExecutableFile } from './host-facts.js';

export interface RunScan {
  /** --helper, when given */
  helper: string | null;
  /** false with --no-argv */
  argv: boolean;
}

/**
 * What the options before `--` of `gh-run` or `glasshouse run` say about the helper; null when
 * they are anything but the plain options (help, guest mode, unknown flags, no `--`, no command).
 */
export function scanRunArgs(program: 'gh-run' | 'glasshouse', args: readonly string[]): RunScan | null {
  const dash = args.indexOf('--');
  if (dash < 0 || dash === args.length - 1) return null;
  let options = args.slice(0, dash);
  if (program === 'glasshouse') {
    if (options[0] !== 'run') return null;
    options = options.slice(1);
  }
  const scan: RunScan = { helper: null, argv: true };
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if (option === '-q' || option === '--quiet') continue;
    if (option === '--argv' || option === '--no-argv') {
      scan.argv = option === '--argv';
      continue;
    }
    const eq = /^--(output|helper|record)=(.+)$/.exec(option);
    const name = eq?.[1] ?? (option === '-o' ? 'output' : /^--(output|helper|record)$/.exec(option)?.[1]);
    if (name === undefined) return null;
    const value = eq?.[2] ?? options[++i];
    if (value === undefined || value.startsWith('-')) return null;
    if (name === 'helper') scan.helper = value;
  }
  return scan;
}

/** Start the helper of a plain run right away; null when this is not one, or it cannot start. */
export async function startEarlyHelper(
  program: 'gh-run' | 'glasshouse',
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  pid: number = process.pid,
): Promise<SpawnedHelper | null> {
  const scan = scanRunArgs(program, args);
  if (scan === null) return null;
  // PID 1: this CLI runs again under init; under init: run() first takes init's variables out of
  // the environment the helper would inherit
  if (pid === 1 || env[UNDER_INIT_ENV] === '1') return null;
  const path = resolveHelperPath(scan.helper ?? (env.GLASSHOUSE_HELPER || null), env);
  if (!isExecutableFile(path) || !isExecutableFile(gatePathFor(path))) return null; // run() says why
  const captureArgv = scan.argv && !/^(0|false|no|off)$/i.test((env.GLASSHOUSE_CAPTURE_ARGV ?? '').trim());
  const { SpawnedHelper } = await import('../collector/helper-spawn.js');
  try {
    return SpawnedHelper.spawn(path, captureArgv);
  } catch {
    return null; // run() starts it again and reports the problem
  }
}
