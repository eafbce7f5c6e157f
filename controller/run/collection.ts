// The collector's part of a run: the helper from its start to its stop, and the collector's
// status as the receipt gives it (ok; unavailable, said once with the fix; degraded). Its
// troubles never change what the command does, except under --strict, where a command that
// cannot be traced is not run (Refused).
import type { Frame } from '../schema/frames.js';
import type { CollectorStatus } from '../schema/receipt.js';
import type { Diagnostics } from '../collector/diagnostics.js';
import { HelperFollowError, HelperUnavailableError, type UnavailableKind } from '../collector/errors.js';
import { HelperProcess, type CollectorResult } from '../collector/helper-process.js';
import { isExecutableFile } from './host-facts.js';
import { unavailableLine, type Reporter } from './messages.js';
import type { Target } from './target.js';

/** --strict and the command cannot be traced: it is not run. */
export class Refused extends Error {
  override name = 'Refused';
}

export interface CollectionOptions {
  helperPath: string;
  gatePath: string;
  /** whether the gate is there (run.ts looks once, for this and for holding the command) */
  gated: boolean;
  captureArgv: boolean;
  quiet: boolean;
  strict: boolean;
  diagnostics: Diagnostics;
  reporter: Reporter;
  onFrame: (frame: Frame) => void;
  onBytes?: (chunk: Buffer) => void;
}

export class Collection {
  readonly collector: { status: CollectorStatus; reason: string | null } = { status: 'ok', reason: null };
  private readonly starting: Promise<HelperProcess | HelperUnavailableError>;
  private helper: HelperProcess | null = null;

  /** Starts the helper at once: its BPF load runs while the caller prepares the command. */
  constructor(private readonly options: CollectionOptions) {
    const { helperPath, gatePath } = options;
    // without the gate the command cannot be held while the helper starts following it (a
    // missing helper is said by HelperProcess.start: its fix is the same, `make`)
    const started =
      !options.gated && isExecutableFile(helperPath)
        ? Promise.reject(new HelperUnavailableError(`gate not found at ${gatePath}`, 'missing'))
        : HelperProcess.start({
            path: helperPath,
            captureArgv: options.captureArgv,
            quiet: options.quiet,
            diagnostics: options.diagnostics,
            onFrame: options.onFrame,
            ...(options.onBytes ? { onBytes: options.onBytes } : {}),
          });
    this.starting = started.catch((error: unknown) => {
      if (error instanceof HelperUnavailableError) return error;
      throw error;
    });
  }

  /** Whether a helper got going (a recording's helper.used): not one that said hello in another protocol. */
  get traced(): boolean {
    return this.helper !== null;
  }

  /** Settles when no frame can come any more; null when untraced. */
  get outputEnded(): Promise<void> | null {
    return this.helper?.outputEnded ?? null;
  }

  /** Wait for the helper's hello; an unavailable helper leaves the run untraced (Refused under --strict). */
  async started(): Promise<void> {
    const started = await this.starting;
    if (started instanceof HelperProcess) this.helper = started;
    else this.unavailable(started.reason, started.kind);
  }

  /** Follow the command held by the gate; a refusal leaves it untraced (under --strict: never released, Refused). */
  async follow(target: Target): Promise<void> {
    if (this.helper === null || target.pid === null) return;
    try {
      await this.helper.follow(target.pid, () => target.wake());
    } catch (error) {
      if (!(error instanceof HelperFollowError)) throw error;
      if (this.options.strict) {
        await this.helper.stop();
        throw new Refused(error.message);
      }
      this.unavailable(error.message, 'other');
    }
  }

  /** Stop the helper and take everything it saw; null when untraced. */
  async stop(): Promise<CollectorResult | null> {
    if (this.helper === null) {
      this.options.diagnostics.finish();
      return null;
    }
    const result = await this.helper.stop();
    if (this.collector.status === 'ok' && result.status !== 'ok') {
      this.options.diagnostics.track(`collector: ok -> ${result.status} (${result.reason})`);
      this.collector.status = result.status;
      this.collector.reason = result.reason;
    }
    return result;
  }

  private unavailable(reason: string, kind: UnavailableKind): void {
    if (this.options.strict) throw new Refused(reason);
    this.options.diagnostics.track(`collector: ${this.collector.status} -> unavailable (${reason})`);
    this.collector.status = 'unavailable';
    this.collector.reason = reason;
    this.options.reporter.line(unavailableLine(reason, kind, this.options.helperPath));
  }
}
