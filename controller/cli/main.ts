// Shared body of the two entry points: parse, then load the run (or replay) machinery lazily
// (startup stays fast for --help and usage errors) and exit with its status.
import { parseCli, type Program } from './args.js';

export async function main(program: Program, args: readonly string[]): Promise<never> {
  const action = await parseCli(program, args);
  if (action.kind === 'exit') {
    if (action.stdout) process.stdout.write(action.stdout);
    if (action.stderr) process.stderr.write(action.stderr);
    process.exit(action.code);
  }
  if (action.kind === 'doctor') {
    const { doctor } = await import('../doctor/doctor.js');
    process.exit(doctor(action.helperPath));
  }
  if (action.kind === 'run') {
    // PID 1 or --guest: this CLI runs again under glasshouse-init (controller/guest/launch.ts)
    const { initNeeded, runUnderInit } = await import('../guest/launch.js');
    const status = initNeeded(action.options) ? await runUnderInit(action.options) : null;
    if (status !== null) process.exit(status);
  }
  let status: number;
  try {
    if (action.kind === 'replay') {
      const { replay } = await import('../replay/replay.js');
      status = await replay(action.options);
    } else {
      const { run } = await import('../run/run.js');
      status = await run(action.options);
    }
  } catch (error) {
    process.stderr.write(`glasshouse: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    status = 70;
  }
  process.exit(status);
}
