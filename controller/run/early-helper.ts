// The helper started first thing: its BPF load (~80 ms) then runs while the rest of the
// controller loads, instead of after it. Only for a plain run (cli/plain-run.ts); run() takes
// it over only when its path and argv capture are the run's, so a wrong guess costs a wasted
// helper start, never a wrong run.
import { gatePathFor, resolveHelperPath } from '../collector/helper-path.js';
import type { SpawnedHelper } from '../collector/helper-spawn.js';
import { UNDER_INIT_ENV } from '../guest/setup.js';
import type { RunOptions } from './options.js';
import { isExecutableFile } from './host-facts.js';

/** Start the helper of a plain run right away; null when there is none, or it cannot start. */
export async function startEarlyHelper(
  plain: RunOptions | null,
  env: NodeJS.ProcessEnv = process.env,
  pid: number = process.pid,
): Promise<SpawnedHelper | null> {
  if (plain === null) return null;
  // PID 1: this CLI runs again under init; under init: run() first takes init's variables out of
  // the environment the helper would inherit
  if (pid === 1 || env[UNDER_INIT_ENV] === '1') return null;
  const path = resolveHelperPath(plain.helperPath, env);
  if (!isExecutableFile(path) || !isExecutableFile(gatePathFor(path))) return null; // run() says why
  const captureArgv = plain.captureArgv;
  const { SpawnedHelper } = await import('../collector/helper-spawn.js');
  try {
    return SpawnedHelper.spawn(path, captureArgv);
  } catch {
    return null; // run() starts it again and reports the problem
  }
}
