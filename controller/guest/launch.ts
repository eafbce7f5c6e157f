// The outer controller of guest mode: when glasshouse is PID 1 (or --guest), it does not run
// the command itself but re-runs this same CLI under glasshouse-init, which reaps orphans and
// prepares the guest. Node cannot do an init's work: it only reaps the children it spawned.
import { spawn } from 'node:child_process';
import { shellStatus } from '../aggregate/errno.js';
import type { RunOptions } from '../run/options.js';
import { guardInspector } from '../run/inspector-guard.js';
import { SignalForwarder } from '../run/signals.js';
import { findInit, initCandidates } from './init-path.js';
import { ERRORS_ENV, UNDER_INIT_ENV } from './setup.js';

/** Why: an init is needed when nobody else reaps orphans (we are PID 1) or the user asked. */
export function initNeeded(options: RunOptions, env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): boolean {
  return (options.guest || pid === 1) && env[UNDER_INIT_ENV] !== '1';
}

/**
 * Why: the single entry for the CLI. Runs this CLI again under glasshouse-init and resolves to
 * the status to exit with; null means "run the command here", after noting in the environment
 * (for the receipt) that no init could be used.
 */
export async function runUnderInit(options: RunOptions, env: NodeJS.ProcessEnv = process.env): Promise<number | null> {
  const candidates = initCandidates(options.helperPath, env);
  const init = findInit(candidates);
  const failure = init === null ? `${candidates.join(' or ')}: not found or not executable (run make)` : await spawnInit(init, options.guest, env);
  if (typeof failure === 'number') return failure;
  const line = `cannot start glasshouse-init (${failure}): running without an init, orphans are not reaped and nothing was mounted`;
  if (!options.quiet) process.stderr.write(`glasshouse: ${line}\n`);
  env[UNDER_INIT_ENV] = '1';
  env[ERRORS_ENV] = line;
  return null;
}

/** Resolves to init's status (128+N when it died of signal N), or to why it could not start. */
function spawnInit(init: string, mount: boolean, env: NodeJS.ProcessEnv): Promise<number | string> {
  const args = [...(mount ? ['--mount'] : []), '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  guardInspector(); // the command may send us SIGUSR1, as to the run under init
  const child = spawn(init, args, { stdio: 'inherit', env: { ...env, [UNDER_INIT_ENV]: '1' } });
  // signals to us go to init (and on, down to the command) instead of killing us, as in a run
  const forwarder = new SignalForwarder(() => undefined);
  forwarder.setTarget(child.pid ?? null);
  return new Promise((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      forwarder.dispose();
      resolve(error.code ?? error.message);
    });
    child.once('exit', (code, signal) => {
      forwarder.dispose();
      resolve(shellStatus(code, signal));
    });
  });
}
