// One observed run: check where the receipt goes, start the helper, spawn the command through
// the gate, follow it, release it, wait for it (command.ts), stop the helper, hash the files it
// wrote, write the receipt, and return the command's exit status. Collector trouble never
// changes what the command does or returns (unless --strict: then the command is not run), and
// neither does a recording (--record) that cannot be written; a receipt that cannot be written
// does: gh-run refuses to run (REFUSED_STATUS) when that is known before, and exits
// RECEIPT_FAILED_STATUS when it happens after (the command's output is unaffected).
import { resolve } from 'node:path';
import { MaterialsError, takeMaterials, type Materials } from '../evidence/materials.js';
import { Aggregator, materialized } from '../aggregate/aggregate.js';
import { shellStatus } from '../aggregate/errno.js';
import type { LazyReceipt } from '../schema/receipt.js';
import { Diagnostics } from '../collector/diagnostics.js';
import { gatePathFor, resolveHelperPath } from '../collector/helper-path.js';
import { consumeGuestSetup } from '../guest/setup.js';
import { closeDestination, DestinationError, openDestination, replacedSince, type Destination } from '../receipt/destination.js';
import { ReceiptWriteError } from '../receipt/errors.js';
import { writeReceipt, writeTo } from '../receipt/write-receipt.js';
import type { Policy } from '../evidence/policy-schema.js';
import type { RunFacts } from '../schema/run-facts.js';
import { guardInspector } from './inspector-guard.js';
import { GLASSHOUSE_VERSION } from '../version.js';
import { Collection, Refused } from './collection.js';
import { holdCommand, releaseAndWait, startCommand, type CommandEnd } from './command.js';
import { takeDigests } from './digests.js';
import { hostFacts, isExecutableFile, resolveCommand } from './host-facts.js';
import { Reporter } from './messages.js';
import type { RunOptions } from './options.js';
import { CommandOutputs, outputPlan } from './outputs.js';
import { Recorder } from './recorder.js';
import { SignalForwarder } from './signals.js';
import { waitErrors } from './wait-all.js';

/**
 * gh-run's own exit status when the receipt cannot be written, in place of the command's: 125,
 * as `env`, `timeout`, `chroot` and `nice` exit when the tool itself failed. A command may exit
 * 125 too; the error line on stderr (printed even with --quiet) tells the two apart.
 */
export const RECEIPT_FAILED_STATUS = 125;

/**
 * gh-run's status when it refuses to start the command: the receipt could not be written there,
 * or --strict and the command cannot be traced. The command did not run. 2, as for a command
 * line gh-run cannot parse: nothing happened.
 */
export const REFUSED_STATUS = 2;

/** The status of a command that could not be executed, as bash and `env` give it. */
export function execFailureStatus(errno: string): number {
  return errno === 'ENOENT' ? 127 : 126;
}

/** What a run knows before the command starts, shared by its steps. */
interface Prepared {
  options: RunOptions;
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  destination: Destination;
  /** the command as the receipt gives it (--no-argv: its name only) */
  command: string[];
  guestMounts: RunFacts['guest_mounts'];
  environment: RunFacts['environment'];
  commandRealpath: string | null;
  /** outcome.errors, in order */
  errors: string[];
  /** a line for outcome.errors, also said on stderr */
  note: (line: string) => void;
  recorder: Recorder | null;
  /** --policy, read and validated before the command runs */
  policy: Policy | null;
}

/** Run the command observed; resolves to the exit status gh-run should exit with. */
export async function run(options: RunOptions): Promise<number> {
  const policy = await readPolicy(options);
  if (typeof policy === 'number') return policy;
  const run = prepare(options);
  if (typeof run === 'number') return run;
  run.policy = policy;
  const { reporter, recorder } = run;
  // --materials: the inputs as they are before anything of the command runs
  const materials = await runMaterials(run);
  if (typeof materials === 'number') return materials;
  // the helper loads its BPF programs while the command is prepared; every frame is folded
  // into the receipt's tables as it arrives, none is kept
  const diagnostics = new Diagnostics(run.env);
  const folding = new Aggregator();
  const helperPath = resolveHelperPath(options.helperPath, run.env);
  const gatePath = gatePathFor(helperPath);
  const gated = isExecutableFile(gatePath);
  const collection = new Collection({
    helperPath,
    gatePath,
    gated,
    captureArgv: options.captureArgv,
    quiet: options.quiet,
    strict: options.strict,
    diagnostics,
    reporter,
    onFrame: (frame) => folding.add(frame),
    ...(recorder !== null ? { onBytes: (chunk: Buffer) => recorder.helper(chunk) } : {}),
  });
  guardInspector(); // before the command runs: it may send us SIGUSR1
  // a signal with no command to go to ends --wait-all's wait, or stops the digests
  let orphanSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const forwarder = new SignalForwarder((signal, fate) => {
    if (fate === 'forwarded') run.errors.push(`received ${signal}, forwarded to the command`);
    else if (fate === 'terminal') run.errors.push(`received ${signal} from the terminal, as the command did (not forwarded)`);
    else orphanSignal(signal);
  });
  // the command's pipes, and the command itself held by the gate, while the helper loads;
  // without a gate (the collector is off then) the command starts once that is known
  const outputs = CommandOutputs.open(outputPlan(options.captureOutput), (why) =>
    reporter.say(`cannot make pipes for the command's output (${why}); using socket pairs: /dev/stdout and /dev/stderr will not open in the command`),
  );
  const held = gated ? holdCommand(options.command, gatePath, outputs) : null;
  forwarder.setTarget(held?.pid ?? null);
  try {
    await collection.started();
    const target = held ?? startCommand(options.command, outputs);
    forwarder.setTarget(target.pid);
    // only a helper that got going counts: not its hello of another protocol
    const aggregator = collection.traced ? folding : new Aggregator();
    aggregator.setRoot({ root_pid: target.pid, controller_pid: process.pid, environment: run.environment });
    await collection.follow(target);
    const end = await releaseAndWait({
      options, target, outputs, collection, aggregator, forwarder, diagnostics, note: run.note,
      onSignal: (handler) => (orphanSignal = handler),
    });
    const result = await collection.stop();
    // said once every frame is in: an exit frame that came late was not lost after all
    if (end.waited !== null) for (const line of waitErrors(end.waited, aggregator.live, target.pid)) run.note(line);
    const digests = await digestWrites(run, aggregator.digestPaths(), diagnostics, (handler) => (orphanSignal = handler));
    const facts = runFacts(run, end, target.pid, { ...outputs.artifacts(), collector: collection.collector, digests });
    forwarder.dispose();
    // the recording's last frame holds these very facts, so a replay rebuilds this very receipt
    if (recorder !== null) await recorder.finish(facts, collection.traced);
    const status = await finishReceipt(run, aggregator, facts, result?.frameErrors ?? []);
    return materials === null ? status : await writeMaterials(run, materials, status);
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    // --strict and no tracing: the gate exits without running the command; say why, and leave no recording of it
    held?.abort();
    await held?.exited;
    forwarder.dispose();
    closeDestination(run.destination);
    await recorder?.discard();
    reporter.error(`--strict: the command cannot be traced (${error.message}); it was not run`);
    return REFUSED_STATUS;
  }
}

/**
 * --policy, read and validated before anything runs: a typo in it found after a long build would
 * waste the run, so a bad policy refuses it like a bad -o (REFUSED_STATUS, nothing run), never a
 * run checked against nothing. Loaded only when asked for (picomatch stays out of every run's start).
 */
async function readPolicy(options: RunOptions): Promise<Policy | null | number> {
  if (options.policy === null) return null;
  const { PolicyError, readPolicyFile } = await import('../evidence/policy.js');
  try {
    return readPolicyFile(options.policy, options.env ?? process.env);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    new Reporter(options.quiet).error(`--policy ${error.message}; the command was not run`);
    return REFUSED_STATUS;
  }
}

/**
 * --materials: where they go, checked, and the digests of the files under the directory, taken
 * now; REFUSED_STATUS (the command not run) when either cannot be done.
 */
async function runMaterials(run: Prepared): Promise<{ to: Destination; materials: Materials } | null | number> {
  const wanted = run.options.materials ?? null;
  if (wanted === null) return null;
  try {
    const to = openDestination(wanted.output, 'the materials');
    return { to, materials: await takeMaterials(wanted.dir) };
  } catch (error) {
    if (!(error instanceof DestinationError || error instanceof MaterialsError)) throw error;
    // refused before anything ran: no receipt, and no recording of a run that did not happen
    closeDestination(run.destination);
    await run.recorder?.discard();
    run.reporter.error(`${error.message}; the command was not run`);
    return REFUSED_STATUS;
  }
}

/** The materials written beside the receipt; a failure is said and is gh-run's status, as the receipt's is. */
async function writeMaterials(run: Prepared, taken: { to: Destination; materials: Materials }, status: number): Promise<number> {
  try {
    await writeTo(taken.to, [JSON.stringify(taken.materials, null, 2), '\n'], 'the materials');
    run.reporter.say(`materials: ${taken.to.name}`);
    return status;
  } catch (error) {
    if (!(error instanceof ReceiptWriteError)) throw error;
    run.reporter.error(`${error.message}; the command exited with status ${status}, gh-run exits with ${RECEIPT_FAILED_STATUS}`);
    return RECEIPT_FAILED_STATUS;
  }
}

/** Everything known before the helper starts; REFUSED_STATUS when the receipt cannot go where asked. */
function prepare(options: RunOptions): Prepared | number {
  const env = options.env ?? process.env;
  const guestSetup = consumeGuestSetup(env); // what glasshouse-init did; kept from the command's and the helper's env
  const reporter = new Reporter(options.quiet);
  // where the receipt goes, checked before anything runs: a receipt that cannot be written
  // refuses the run, as `strace -o` does, instead of being found out after the command's side effects
  let destination: Destination;
  try {
    destination = openDestination(options.output);
  } catch (error) {
    if (!(error instanceof DestinationError)) throw error;
    reporter.error(`${error.message}; the command was not run`);
    return REFUSED_STATUS;
  }
  const errors = [...guestSetup.errors];
  const prepared: Prepared = {
    options,
    env,
    reporter,
    destination,
    command: options.captureArgv ? [...options.command] : [options.command[0]!],
    guestMounts: guestSetup.mounts,
    environment: hostFacts(),
    commandRealpath: resolveCommand(options.command[0]!, env),
    errors,
    note: (line) => {
      errors.push(line);
      reporter.say(line);
    },
    recorder: null,
    policy: null,
  };
  if (options.record !== null) {
    prepared.recorder = new Recorder(
      resolve(options.record),
      {
        glasshouse_version: GLASSHOUSE_VERSION,
        command: prepared.command,
        guest: options.guest,
        started_at: new Date().toISOString(),
        mono_start_ns: Number(process.hrtime.bigint()),
        controller_pid: process.pid,
        environment: prepared.environment,
        command_realpath: prepared.commandRealpath,
      },
      (message) => {
        errors.push(message);
        reporter.say(`${message}; the run goes on unrecorded`);
      },
    );
  }
  return prepared;
}

/** What the files the tree wrote hold, now that it has ended and every frame is in; a signal meanwhile stops it. */
async function digestWrites(
  run: Prepared,
  paths: string[],
  diagnostics: Diagnostics,
  onSignal: (handler: (signal: NodeJS.Signals) => void) => void,
): Promise<RunFacts['digests']> {
  const enabled = run.options.digests;
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | null = null;
  onSignal((signal) => {
    stoppedBy ??= signal;
    stop.abort();
  });
  if (enabled) diagnostics.track(`digests: hashing the ${paths.length} files the command wrote that may still be there`);
  const { digests, stopped } = await takeDigests(paths, enabled, stop.signal);
  if (enabled) diagnostics.track(`digests: ${digests.files.length} taken`);
  if (stopped > 0) run.note(`received ${stoppedBy}: ${stopped} of the ${paths.length} files the command wrote that may still be there were left without a digest`);
  return digests;
}

/** The run's own facts, the aggregator's second input (and a recording's last frame). */
function runFacts(
  run: Prepared,
  end: CommandEnd,
  rootPid: number | null,
  rest: Pick<RunFacts, 'stdout' | 'stderr' | 'collector' | 'digests'>,
): RunFacts {
  return {
    glasshouse_version: GLASSHOUSE_VERSION,
    command: run.command,
    guest: run.options.guest,
    guest_mounts: run.guestMounts,
    started_at: end.startedAt,
    finished_at: end.finishedAt,
    mono_start_ns: Number(end.monoStart),
    mono_end_ns: Number(end.monoEnd),
    root_pid: rootPid,
    controller_pid: process.pid,
    // not executed: 127 (not found) or 126, as the gate exits, and as bash and env do
    exit:
      end.execError !== null
        ? { code: execFailureStatus(end.execError), signal: null }
        : rootPid === null
          ? { code: 1, signal: null }
          : { code: end.exit.code, signal: end.exit.signal },
    exec_error: end.execError,
    errors: run.errors,
    environment: run.environment,
    command_realpath: run.commandRealpath,
    ...rest,
  };
}

/**
 * --summary: what `glasshouse show` prints, on stderr (stdout is the command's), from the receipt
 * just written: its lists are made again from the tables, as for the write.
 */
async function printSummary(lazy: LazyReceipt): Promise<void> {
  const { renderSummary, terminalOf, SECTIONS } = await import('../show/summary.js');
  const { shownOf } = await import('../show/read.js');
  const text = renderSummary(shownOf(materialized(lazy)), { ...terminalOf(process.stderr, process.env), all: false, sections: SECTIONS });
  // written out before gh-run exits: a pipe takes 64 KiB at once, and process.exit drops the rest
  await new Promise<void>((done) => process.stderr.write('\n' + text, () => done()));
}

/**
 * --policy: the receipt just written, checked; violations on stderr (printed even with --quiet:
 * they are what was asked for). The status stays the command's, unless --policy-exit and there
 * are violations: then 1, or the command's own status when it failed (a failure is not hidden).
 */
async function checkPolicy(run: Prepared, lazy: LazyReceipt, status: number): Promise<number> {
  const { checkRun, renderViolations } = await import('../evidence/check.js');
  const result = checkRun(materialized(lazy), run.policy!, run.env);
  const text = `glasshouse: policy ${run.options.policy}:\n${renderViolations(result)}`;
  // written out before gh-run exits: a pipe takes 64 KiB at once, and process.exit drops the rest
  await new Promise<void>((done) => process.stderr.write(text, () => done()));
  if (!run.options.policyExit || result.violations.length === 0) return status;
  return status !== 0 ? status : 1;
}

/**
 * Aggregate, validate, stream to the file; returns the command's exit status, or
 * RECEIPT_FAILED_STATUS after saying why (even with --quiet) when there is no receipt: a stale
 * one from an earlier run may still be at `output`, and the command's 0 would pass it off as
 * this run's.
 */
async function finishReceipt(run: Prepared, aggregator: Aggregator, facts: RunFacts, frameErrors: readonly string[]): Promise<number> {
  const { destination: output, reporter } = run;
  // two runs writing one path: the last one's receipt is there, whole (the write is atomic); say so
  if (replacedSince(output)) reporter.say(`${output.name} was written by someone else during this run (another gh-run?); this run's receipt replaces it`);
  let status = shellStatus(facts.exit.code, facts.exit.signal);
  try {
    // the long lists are made from the tables as they are written, not copied first
    const receipt = aggregator.finishLazy(facts, frameErrors);
    status = receipt.exit_code;
    if (facts.exec_error !== null) reporter.say(receipt.outcome.errors[0]!);
    if (receipt.collector.status === 'degraded') reporter.say(`collector degraded: ${receipt.collector.reason}`);
    await writeReceipt(output, receipt);
    reporter.say(`receipt: ${output.name}`);
    if (run.options.summary) await printSummary(receipt);
    if (run.policy !== null) status = await checkPolicy(run, receipt, status);
    return status;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const what = error instanceof ReceiptWriteError ? why : `cannot write the receipt to ${output.name}: ${why}`;
    reporter.error(`${what}; the command exited with status ${status}, gh-run exits with ${RECEIPT_FAILED_STATUS}`);
    return RECEIPT_FAILED_STATUS;
  }
}
