// One observed run: check where the receipt goes, start the helper, spawn the command through
// the gate, follow it, release it, pass its output through, wait for it (with --wait-all, for
// every process it started), stop the helper, hash the files it wrote, write the receipt, and
// return the command's exit status. Collector trouble never changes what the command does or
// returns (unless --strict: then the command is not run), and neither does a recording
// (--record) that cannot be written; a receipt that cannot be written does: gh-run refuses to
// run (REFUSED_STATUS) when that is known before, and exits RECEIPT_FAILED_STATUS when it
// happens after (the command's output is unaffected).
import { resolve } from 'node:path';
import { Aggregator } from '../aggregate/aggregate.js';
import { Diagnostics } from '../collector/diagnostics.js';
import { HelperFollowError, HelperUnavailableError, type UnavailableKind } from '../collector/errors.js';
import { gatePathFor, resolveHelperPath } from '../collector/helper-path.js';
import { HelperProcess, type CollectorResult } from '../collector/helper-process.js';
import type { SpawnedHelper } from '../collector/helper-spawn.js';
import { consumeGuestSetup } from '../guest/setup.js';
import { signalNumber } from '../aggregate/errno.js';
import { closeDestination, DestinationError, openDestination, replacedSince, type Destination } from '../receipt/destination.js';
import { ReceiptWriteError } from '../receipt/errors.js';
import type { CollectorStatus } from '../schema/receipt.js';
import type { RunFacts } from '../schema/run-facts.js';
import { GLASSHOUSE_VERSION } from '../version.js';
import { hostFacts, isExecutableFile, resolveCommand } from './host-facts.js';
import { Reporter, unavailableLine } from './messages.js';
import type { RunOptions } from './options.js';
import { takeDigests } from './digests.js';
import { CommandOutputs, outputPlan } from './outputs.js';
import { SignalForwarder } from './signals.js';
import { spawnDirect, spawnThroughGate, type Target, type TargetExit } from './target.js';
import { waitErrors, waitForDescendants, type DescendantWait, type WaitEnd } from './wait-all.js';

/** How long to wait for the command's stdout/stderr EOF after its root process exited. */
export const OUTPUT_GRACE_MS = 250;

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

/**
 * Run the command observed; resolves to the exit status gh-run should exit with. `early`: the
 * helper the CLI started before parsing (run/early-helper.ts), used if it is the right one.
 */
export async function run(options: RunOptions, early: SpawnedHelper | null = null): Promise<number> {
  const env = options.env ?? process.env;
  const guestSetup = consumeGuestSetup(env); // what glasshouse-init did; kept from the command's env
  const reporter = new Reporter(options.quiet);
  // where the receipt goes, checked before anything runs: a receipt that cannot be written
  // refuses the run, as `strace -o` does, instead of being found out after the command's side effects
  let destination: Destination;
  try {
    destination = openDestination(options.output);
  } catch (error) {
    if (!(error instanceof DestinationError)) throw error;
    early?.discard();
    reporter.error(`${error.message}; the command was not run`);
    return REFUSED_STATUS;
  }
  // --no-argv: the command's arguments are not in the receipt either, only its name
  const command = options.captureArgv ? [...options.command] : [options.command[0]!];
  const diagnostics = new Diagnostics(env);
  // when the run began: what the recording's start frame says (a partial replay's timing)
  const startedAt = new Date().toISOString();
  const t0 = process.hrtime.bigint();
  const environment = hostFacts();
  const commandRealpath = resolveCommand(options.command[0]!, env);
  // what writes the receipt (zod and its schemas) loads while the helper loads its BPF programs,
  // which leaves this thread waiting anyway; after the command ends it would add to every run
  const writer = loadReceiptWriter();

  // 0. the recording, if asked for: its failure is an outcome error, never a reason to stop
  const errors: string[] = [...guestSetup.errors];
  const recorder =
    options.record === null
      ? null
      : new (await import('./recorder.js')).Recorder(
          resolve(options.record),
          {
            glasshouse_version: GLASSHOUSE_VERSION,
            command,
            guest: options.guest,
            started_at: startedAt,
            mono_start_ns: Number(t0),
            controller_pid: process.pid,
            environment,
            command_realpath: commandRealpath,
          },
          (message) => {
            errors.push(message);
            reporter.say(`${message}; the run goes on unrecorded`);
          },
        );

  const collector: { status: CollectorStatus; reason: string | null } = { status: 'ok', reason: null };
  const unavailable = (reason: string, kind: UnavailableKind, helperPath: string): void => {
    diagnostics.track(`collector: ${collector.status} -> unavailable (${reason})`);
    collector.status = 'unavailable';
    collector.reason = reason;
    reporter.line(unavailableLine(reason, kind, helperPath));
  };

  // every frame is folded into the receipt's tables as it arrives; none is kept
  const folding = new Aggregator();

  // 1. the helper, if it and the gate exist
  const helperPath = resolveHelperPath(options.helperPath, env);
  const gatePath = gatePathFor(helperPath);
  let helper: HelperProcess | null = null;
  try {
    if (isExecutableFile(helperPath) && !isExecutableFile(gatePath)) {
      early?.discard();
      throw new HelperUnavailableError(`gate not found at ${gatePath}`, 'missing');
    }
    helper = await HelperProcess.start({
      path: helperPath,
      captureArgv: options.captureArgv,
      quiet: options.quiet,
      diagnostics,
      onFrame: (frame) => folding.add(frame),
      ...(recorder !== null ? { onBytes: (chunk: Buffer) => recorder.helper(chunk) } : {}),
    }, early);
  } catch (error) {
    if (!(error instanceof HelperUnavailableError)) throw error;
    if (options.strict) return refuseUntraced(error.reason, destination, recorder, reporter);
    unavailable(error.reason, error.kind, helperPath);
  }
  // only a helper that got going counts (what a recording's helper.used says): not its hello of another protocol
  const aggregator = helper !== null ? folding : new Aggregator();

  // 2. the command, held by the gate while the helper starts following it
  // a signal after the root's exit has nobody to go to: during --wait-all it ends the wait
  let waiting: DescendantWait | null = null;
  // a signal while the digests are taken stops them (the receipt is still written)
  const digestsStop = new AbortController();
  let digestsStoppedBy: NodeJS.Signals | null = null;
  let digesting = false;
  const forwarder = new SignalForwarder((signal, fate) => {
    if (fate === 'forwarded') errors.push(`received ${signal}, forwarded to the command`);
    else if (fate === 'terminal') errors.push(`received ${signal} from the terminal, as the command did (not forwarded)`);
    else if (digesting) {
      digestsStoppedBy ??= signal;
      digestsStop.abort();
    } else waiting?.interrupt(signal);
  });
  const outputs = CommandOutputs.open(outputPlan(options.captureOutput), (why) =>
    reporter.say(`cannot make pipes for the command's output (${why}); using socket pairs: /dev/stdout and /dev/stderr will not open in the command`),
  );
  const target: Target = isExecutableFile(gatePath) ? spawnThroughGate(gatePath, options.command, outputs.stdio) : spawnDirect(options.command, outputs.stdio);
  forwarder.setTarget(target.pid);
  aggregator.setRoot({ root_pid: target.pid, controller_pid: process.pid, environment });
  outputs.started(target);
  if (helper !== null && target.pid !== null) {
    try {
      await helper.follow(target.pid, () => target.wake());
    } catch (error) {
      if (!(error instanceof HelperFollowError)) throw error;
      if (options.strict) {
        // held by the gate, never released: it exits without running the command
        target.abort();
        await target.exited;
        forwarder.dispose();
        await helper.stop();
        return refuseUntraced(error.message, destination, recorder, reporter);
      }
      unavailable(error.message, 'other', helperPath);
    }
  }
  // the receipt's timing is the command's: from its release by the gate to its end, not the
  // helper's start or our own loading before it
  const commandStartedAt = new Date().toISOString();
  const tCommand = process.hrtime.bigint();
  target.release();

  // 3. the command's end (its root process), with --wait-all every other process's too, then
  // the rest of its output for a short while
  const exit: TargetExit = await target.exited;
  const t1 = process.hrtime.bigint();
  const finishedAt = new Date().toISOString();
  forwarder.setTarget(null);
  diagnostics.track(`root ${target.pid} exited (code ${exit.code}, signal ${exit.signal}) as Node saw it`);
  let waited: WaitEnd | null = null;
  if (options.waitAll && (helper === null || collector.status === 'unavailable')) {
    const line = '--wait-all: the collector is unavailable, so the processes the command started cannot be known; the receipt is written now that it has exited';
    errors.push(line);
    reporter.say(line);
  } else if (options.waitAll && helper !== null) {
    waiting = waitForDescendants({
      live: aggregator.live,
      timeoutSeconds: options.waitTimeout,
      collectorEnded: helper.outputEnded,
      track: (line) => diagnostics.track(line),
    });
    waited = await waiting.done;
    waiting = null;
  }
  await outputs.settle(OUTPUT_GRACE_MS);
  for (const line of outputs.failures()) {
    errors.push(line);
    reporter.say(line);
  }
  const execError = await target.execError();
  if (target.viaShell) {
    const line = `${options.command[0]}: no #! line and not a binary (ENOEXEC): run with /bin/sh, as execvp does`;
    errors.push(line);
    reporter.say(line);
  }

  // 4. everything the helper saw
  let result: CollectorResult | null = null;
  if (helper !== null) {
    result = await helper.stop();
    if (collector.status === 'ok' && result.status !== 'ok') {
      diagnostics.track(`collector: ok -> ${result.status} (${result.reason})`);
      collector.status = result.status;
      collector.reason = result.reason;
    }
  } else diagnostics.finish();
  // said once every frame is in: an exit frame that came late was not lost after all
  if (waited !== null) {
    for (const line of waitErrors(waited, aggregator.live, target.pid)) {
      errors.push(line);
      reporter.say(line);
    }
  }

  // 5. what the files the tree wrote hold, now that it has ended (its root; with --wait-all
  // every process) and every frame is in: a fact of this run, recorded, never read by a replay
  digesting = true;
  const paths = aggregator.digestPaths();
  if (options.digests) diagnostics.track(`digests: hashing the ${paths.length} files the command wrote that may still be there`);
  const { digests, stopped } = await takeDigests(paths, options.digests, digestsStop.signal);
  digesting = false;
  if (options.digests) diagnostics.track(`digests: ${digests.files.length} taken`);
  if (stopped > 0) {
    const line = `received ${digestsStoppedBy}: ${stopped} of the ${paths.length} files the command wrote that may still be there were left without a digest`;
    errors.push(line);
    reporter.say(line);
  }

  const facts: RunFacts = {
    glasshouse_version: GLASSHOUSE_VERSION,
    command,
    guest: options.guest,
    guest_mounts: guestSetup.mounts,
    started_at: commandStartedAt,
    finished_at: finishedAt,
    mono_start_ns: Number(tCommand),
    mono_end_ns: Number(t1),
    root_pid: target.pid,
    controller_pid: process.pid,
    // not executed: 127 (not found) or 126, as the gate exits, and as bash and env do
    exit:
      execError !== null
        ? { code: execFailureStatus(execError), signal: null }
        : target.pid === null
          ? { code: 1, signal: null }
          : { code: exit.code, signal: exit.signal },
    exec_error: execError,
    errors,
    ...outputs.artifacts(),
    environment,
    command_realpath: commandRealpath,
    collector,
    digests,
  };
  forwarder.dispose();
  // the recording's last frame holds these very facts, so a replay rebuilds this very receipt
  if (recorder !== null) await recorder.finish(facts, helper !== null);
  // two runs writing one path: the last one's receipt is there, whole (the write is atomic); say so
  if (replacedSince(destination)) reporter.say(`${destination.name} was written by someone else during this run (another gh-run?); this run's receipt replaces it`);
  const status = await writeReceipt(writer, aggregator, facts, result?.frameErrors ?? [], destination, reporter);
  if (status !== RECEIPT_FAILED_STATUS) reporter.say(`receipt: ${destination.name}`);
  return status;
}

/** --strict and no tracing: say why, and that the command did not run; no recording is left of it. */
async function refuseUntraced(reason: string, destination: Destination, recorder: { discard(): Promise<void> } | null, reporter: Reporter): Promise<number> {
  closeDestination(destination);
  await recorder?.discard();
  reporter.error(`--strict: the command cannot be traced (${reason}); it was not run`);
  return REFUSED_STATUS;
}

type ReceiptWriter = typeof import('../receipt/write-receipt.js').writeReceipt;

/** Start loading the receipt's validation and writer; a failure is seen where they are used. */
function loadReceiptWriter(): Promise<ReceiptWriter> {
  const writer = import('../receipt/write-receipt.js').then((w) => w.writeReceipt);
  writer.catch(() => undefined); // awaited later, in writeReceipt
  return writer;
}

/**
 * Aggregate, validate, stream to the file; returns the command's exit status, or
 * RECEIPT_FAILED_STATUS after saying why (even with --quiet) when there is no receipt: a stale
 * one from an earlier run may still be at `output`, and the command's 0 would pass it off as
 * this run's.
 */
async function writeReceipt(
  writer: Promise<ReceiptWriter>,
  aggregator: Aggregator,
  facts: RunFacts,
  frameErrors: readonly string[],
  output: Destination,
  reporter: Reporter,
): Promise<number> {
  let status = nodeStatus(facts.exit);
  try {
    // the long lists are made from the tables as they are written, not copied first
    const receipt = aggregator.finishLazy(facts, frameErrors);
    status = receipt.exit_code;
    if (facts.exec_error !== null) reporter.say(receipt.outcome.errors[0]!);
    if (receipt.collector.status === 'degraded') reporter.say(`collector degraded: ${receipt.collector.reason}`);
    await (await writer)(output, receipt);
    return status;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const what = error instanceof ReceiptWriteError ? why : `cannot write the receipt to ${output.name}: ${why}`;
    reporter.error(`${what}; the command exited with status ${status}, gh-run exits with ${RECEIPT_FAILED_STATUS}`);
    return RECEIPT_FAILED_STATUS;
  }
}

/** The status a shell would report for this exit: the code, or 128+N for signal N. */
function nodeStatus(exit: TargetExit): number {
  if (exit.signal !== null) return 128 + (signalNumber(exit.signal) ?? 0);
  return exit.code ?? 1;
}
