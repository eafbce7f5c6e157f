// The command's part of a run: spawned through the gate, which holds it while the collector
// starts following it; released; its end (its root process), with --wait-all the end of every
// process it started; then the rest of its output for a short while.
import type { Aggregator } from '../aggregate/aggregate.js';
import type { Diagnostics } from '../collector/diagnostics.js';
import type { Collection } from './collection.js';
import type { CommandOutputs } from './outputs.js';
import type { RunOptions } from './options.js';
import type { SignalForwarder } from './signals.js';
import { spawnDirect, spawnThroughGate, type Target, type TargetExit } from './target.js';
import { waitForDescendants, type WaitEnd } from './wait-all.js';

/** How long to wait for the command's stdout/stderr EOF after its root process exited. */
export const OUTPUT_GRACE_MS = 250;

/** Spawn the command held by the gate at `gatePath`, until release(). */
export function holdCommand(command: readonly string[], gatePath: string, outputs: CommandOutputs): Target {
  const target = spawnThroughGate(gatePath, command, outputs.stdio);
  outputs.started(target);
  return target;
}

/** Start the command at once, without the gate (the collector is off: nothing to hold it for). */
export function startCommand(command: readonly string[], outputs: CommandOutputs): Target {
  const target = spawnDirect(command, outputs.stdio);
  outputs.started(target);
  return target;
}

export interface CommandEnd {
  exit: TargetExit;
  /** errno name when the command could not be executed */
  execError: string | null;
  /** wall clock and CLOCK_MONOTONIC from the release to the root's exit: the receipt's timing */
  startedAt: string;
  finishedAt: string;
  monoStart: bigint;
  monoEnd: bigint;
  /** how --wait-all ended; null without it */
  waited: WaitEnd | null;
}

export interface CommandContext {
  options: RunOptions;
  target: Target;
  outputs: CommandOutputs;
  collection: Collection;
  aggregator: Aggregator;
  forwarder: SignalForwarder;
  diagnostics: Diagnostics;
  /** a line for outcome.errors, also said on stderr */
  note: (line: string) => void;
  /** where a signal goes that has no command to go to (it ends the wait of --wait-all) */
  onSignal: (handler: (signal: NodeJS.Signals) => void) => void;
}

/** Release the command and wait for its end (see the top of this file). */
export async function releaseAndWait(c: CommandContext): Promise<CommandEnd> {
  const startedAt = new Date().toISOString();
  const monoStart = process.hrtime.bigint();
  c.target.release();
  const exit = await c.target.exited;
  const monoEnd = process.hrtime.bigint();
  const finishedAt = new Date().toISOString();
  c.forwarder.setTarget(null);
  c.diagnostics.track(`root ${c.target.pid} exited (code ${exit.code}, signal ${exit.signal}) as Node saw it`);
  let waited: WaitEnd | null = null;
  const collectorEnded = c.collection.outputEnded;
  if (c.options.waitAll && (collectorEnded === null || c.collection.collector.status === 'unavailable')) {
    c.note('--wait-all: the collector is unavailable, so the processes the command started cannot be known; the receipt is written now that it has exited');
  } else if (c.options.waitAll && collectorEnded !== null) {
    const waiting = waitForDescendants({
      live: c.aggregator.live,
      timeoutSeconds: c.options.waitTimeout,
      collectorEnded,
      track: (line) => c.diagnostics.track(line),
    });
    c.onSignal((signal) => waiting.interrupt(signal));
    waited = await waiting.done;
  }
  await c.outputs.settle(OUTPUT_GRACE_MS);
  for (const line of c.outputs.failures()) c.note(line);
  const execError = await c.target.execError();
  if (c.target.viaShell) c.note(`${c.options.command[0]}: no #! line and not a binary (ENOEXEC): run with /bin/sh, as execvp does`);
  return { exit, execError, startedAt, finishedAt, monoStart, monoEnd, waited };
}
