// Shared body of the two entry points: parse the command line (yargs, args.ts), then run, show,
// replay or check the machine, and exit with the status. Show, replay and doctor are loaded when used
// (chunks of their own in the bundle); a run is in the entry file itself.
import { initNeeded, runUnderInit } from '../guest/launch.js';
import { noteInheritedFds } from '../receipt/destination.js';
import { run } from '../run/run.js';
import { parseCli, type Program } from './args.js';

export async function main(program: Program, args: readonly string[]): Promise<never> {
  noteInheritedFds(); // before gh-run opens any: -o /dev/fd/N must be one the user gave
  const action = await parseCli(program, args);
  if (action.kind === 'exit') {
    if (action.stdout) process.stdout.write(action.stdout);
    if (action.stderr) process.stderr.write(action.stderr);
    process.exit(action.code);
  }
  let status: number;
  try {
    if (action.kind === 'doctor') {
      const { doctor } = await import('../doctor/doctor.js');
      status = doctor(action.helperPath);
    } else if (action.kind === 'show') {
      const { show } = await import('../show/show.js');
      status = await show(action.options);
    } else if (action.kind === 'diff') {
      const { diff } = await import('../evidence/diff.js');
      status = await diff(action.options);
    } else if (action.kind === 'check') {
      const { check } = await import('../evidence/check.js');
      status = await check(action.options);
    } else if (action.kind === 'attest') {
      const { attest } = await import('../evidence/attest.js');
      status = await attest(action.options);
    } else if (action.kind === 'verify') {
      const { verify } = await import('../evidence/verify.js');
      status = await verify(action.options);
    } else if (action.kind === 'replay') {
      const { replay } = await import('../replay/replay.js');
      status = await replay(action.options);
    } else {
      // PID 1 or --guest: this CLI runs again under glasshouse-init (guest/launch.ts)
      const underInit = initNeeded(action.options) ? await runUnderInit(action.options) : null;
      status = underInit ?? (await run(action.options));
    }
  } catch (error) {
    process.stderr.write(`glasshouse: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    status = 70;
  }
  process.exit(status);
}
