// Shared body of the two entry points: start the helper of a plain run at once (its BPF load
// overlaps the rest of our startup), parse (yargs only when the command line is not a plain
// run), then load the run (or replay) machinery lazily and exit with its status.
import { noteInheritedFds } from '../receipt/destination.js';
import { startEarlyHelper } from '../run/early-helper.js';
import type { CliAction, Program } from './args.js';
import { guardInspector } from './inspector-guard.js';
import { plainRunOptions } from './plain-run.js';

export async function main(program: Program, args: readonly string[]): Promise<never> {
  guardInspector();
  noteInheritedFds(); // before gh-run opens any: -o /dev/fd/N must be one the user gave
  // first execa and the helper, then everything else while the helper loads BPF
  const plain = plainRunOptions(program, args);
  const early = await startEarlyHelper(plain);
  let action: CliAction;
  if (plain !== null) action = { kind: 'run', options: plain };
  else {
    const { parseCli } = await import('./args.js');
    action = await parseCli(program, args);
  }
  if (action.kind === 'exit') {
    early?.discard();
    if (action.stdout) process.stdout.write(action.stdout);
    if (action.stderr) process.stderr.write(action.stderr);
    process.exit(action.code);
  }
  if (action.kind === 'doctor') {
    early?.discard();
    const { doctor } = await import('../doctor/doctor.js');
    process.exit(doctor(action.helperPath));
  }
  if (action.kind === 'run') {
    // PID 1 or --guest: this CLI runs again under glasshouse-init (controller/guest/launch.ts)
    const { initNeeded, runUnderInit } = await import('../guest/launch.js');
    if (initNeeded(action.options)) {
      early?.discard();
      const status = await runUnderInit(action.options);
      if (status !== null) process.exit(status);
    }
  }
  let status: number;
  try {
    if (action.kind === 'replay') {
      early?.discard();
      const { replay } = await import('../replay/replay.js');
      status = await replay(action.options);
    } else {
      const { run } = await import('../run/run.js');
      status = await run(action.options, early);
    }
  } catch (error) {
    process.stderr.write(`glasshouse: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    status = 70;
  }
  process.exit(status);
}
