// The outer controller of guest mode: when glasshouse is PID 1 (or --guest), it does not run
// the command itself but re-runs this same CLI under glasshouse-init, which reaps orphans and
// prepares the guest. Node cannot do an init's work: it only reaps the children it spawned.
import { spawn, type ChildProcess } from 'node:child_process';
import { signalNumber } from '../aggregate/errno.js';
import type { RunOptions } from '../run/options.js';
import { findInit, initCandidates } from './init-path.js';
import { ERRORS_ENV, UNDER_INIT_ENV } from './setup.js';

/** Signals sent to us that go to init (and on, down to the command) instead of killing us. */
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

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
  const child = spawn(init, args, { stdio: 'inherit', env: { ...env, [UNDER_INIT_ENV]: '1' } });
  const dispose = forwardSignals(child);
  return new Promise((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      dispose();
      resolve(error.code ?? error.message);
    });
    child.once('exit', (code, signal) => {
      dispose();
      resolve(signal !== null ? 128 + (signalNumber(signal) ?? 0) : (code ?? 1));
    });
  });
}

/** SIGTERM/SIGINT/SIGHUP to us go to init; we never die of them, we exit with init's status. */
function forwardSignals(child: ChildProcess): () => void {
  const handlers = FORWARDED.map((signal) => {
    const handler = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => handlers.forEach(([signal, handler]) => process.off(signal, handler));
}
