// The privileged C helper as a child process: start it and wait for `hello`, ask it to follow
// the command, stop it; every frame goes to `onFrame` as it arrives (none is kept here). Its
// failures never disturb the command: they make the collector "unavailable" (before hello) or
// "degraded" (during the run).
import { execa, type ResultPromise } from 'execa';
import { PROTOCOL_VERSION, type Frame, type HelloFrame } from '../schema/frames.js';
import type { CollectorStatus } from '../schema/receipt.js';
import { Diagnostics } from './diagnostics.js';
import { HelperFollowError, HelperUnavailableError } from './errors.js';
import { FramePipeline } from './frame-pipeline.js';
import { HelperStderr } from './helper-stderr.js';
import { whyNotExecutable } from '../run/host-facts.js';

export interface HelperOptions {
  /** absolute path of glasshouse-helper */
  path: string;
  captureArgv: boolean;
  /** no forwarding of the helper's stderr */
  quiet: boolean;
  diagnostics?: Diagnostics;
  /** where forwarded helper stderr lines go (default: our stderr) */
  writeStderr?: (text: string) => void;
  /** every chunk of the helper's stdout that is decoded, in order (for --record) */
  onBytes?: (chunk: Buffer) => void;
  /** every valid frame, in stream order, as soon as it is decoded (the aggregator) */
  onFrame?: (frame: Frame) => void;
  helloTimeoutMs?: number;
  followTimeoutMs?: number;
  stopTimeoutMs?: number;
}

/** Everything the helper said, and how its life went. */
export interface CollectorResult {
  /** messages of frames that could not be decoded or validated */
  frameErrors: string[];
  /** "ok", or "degraded" when the helper died, hung or refused to follow */
  status: CollectorStatus;
  reason: string | null;
  hello: HelloFrame;
}

interface HelperExit {
  code: number | null;
  signal: string | null;
  spawnError: string | null;
}

/** An answer the helper owes (its hello, or to a follow): settled once, or rejected after a timeout. */
class Pending<T> {
  private timer: NodeJS.Timeout;
  readonly promise: Promise<T>;
  private settle!: { resolve: (value: T) => void; reject: (error: Error) => void };
  done = false;

  constructor(timeoutMs: number, onTimeout: () => Error) {
    this.promise = new Promise<T>((resolve, reject) => (this.settle = { resolve, reject }));
    this.timer = setTimeout(() => this.reject(onTimeout()), timeoutMs);
  }

  resolve(value: T): void {
    if (this.finish()) this.settle.resolve(value);
  }

  reject(error: Error): void {
    if (this.finish()) this.settle.reject(error);
  }

  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    clearTimeout(this.timer);
    return true;
  }
}

export class HelperProcess {
  private readonly child: ResultPromise;
  private readonly stream = new FramePipeline((frame) => this.onFrame(frame));
  private readonly stderr: HelperStderr;
  private readonly diagnostics: Diagnostics;
  /** settles when stdout has ended or closed: no frame can come after */
  private readonly stdoutDone: Promise<void>;
  private readonly exited: Promise<HelperExit>;
  private hello: HelloFrame | null = null;
  private readonly helloAnswer: Pending<HelloFrame>;
  private followAnswer: (Pending<void> & { pid: number; onArmed: () => void }) | null = null;
  private followed: number | null = null;
  private lastError: string | null = null;
  /** the end frame came */
  private ended = false;
  /** we asked it to stop */
  private stopping = false;
  private exit: HelperExit | null = null;
  private status: CollectorStatus = 'ok';
  private reason: string | null = null;

  private constructor(private readonly options: HelperOptions) {
    this.diagnostics = options.diagnostics ?? new Diagnostics({});
    this.stderr = new HelperStderr(options.quiet, options.writeStderr);
    this.helloAnswer = new Pending<HelloFrame>(options.helloTimeoutMs ?? 15_000, () => {
      this.child.kill('SIGKILL');
      return new HelperUnavailableError(`the helper sent no hello within ${(options.helloTimeoutMs ?? 15_000) / 1000} s`, 'other');
    });
    this.helloAnswer.promise.catch(() => {
      this.child.stdin?.end();
      this.stderr.release();
    });
    this.child = execa(options.path, options.captureArgv ? [] : ['--no-argv'], {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      // read here as it comes: execa resumes (and drops) output nobody listens to
      buffer: false,
      reject: false,
      encoding: 'buffer',
      // its own session: a terminal ^C goes to the command, the helper stops on `stop` or stdin EOF
      detached: true,
      cleanup: false,
    });
    const { stdout, stderr, stdin } = this.child;
    stdin?.on('error', () => undefined); // EPIPE when the helper is gone: its exit says why
    this.stdoutDone = new Promise<void>((done) => {
      if (!stdout) return done();
      stdout.on('data', (chunk: Buffer) => this.onChunk(chunk));
      stdout.on('end', () => {
        this.stream.end();
        done();
      });
      stdout.on('close', done);
      stdout.on('error', done);
    });
    stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString('utf8')));
    stderr?.on('end', () => {
      this.stderr.end();
      // a start or follow still waiting releases the lines with its answer, knowing what not to repeat
      if (this.helloAnswer.done && this.followAnswer === null) this.stderr.release();
    });
    // its death is looked at after its last frames: its error frame says more than its status
    const afterOutput = (): Promise<unknown> => Promise.race([this.stdoutDone, new Promise((r) => setTimeout(r, 1000).unref())]);
    this.exited = this.child.then(
      (r) => afterOutput().then(() => this.onExit({ code: r.exitCode ?? null, signal: r.signal ?? null, spawnError: spawnErrorOf(r) })),
      (e: unknown) => afterOutput().then(() => this.onExit({ code: null, signal: null, spawnError: e instanceof Error ? e.message : String(e) })),
    );
  }

  /**
   * Start the helper and wait for its hello; throws HelperUnavailableError. The process is
   * spawned before this returns its promise, so its BPF load overlaps whatever the caller does
   * meanwhile.
   */
  static start(options: HelperOptions): Promise<HelperProcess> {
    // a missing helper is a setup problem with a known fix, not a crash
    const problem = whyNotExecutable(options.path);
    if (problem !== null) {
      const reason = problem === 'not found' ? `helper not found at ${options.path}` : `helper at ${options.path} is not executable`;
      return Promise.reject(new HelperUnavailableError(reason, 'missing'));
    }
    const helper = new HelperProcess(options);
    return helper.helloAnswer.promise.then(() => helper);
  }

  get helloFrame(): HelloFrame | null {
    return this.hello;
  }

  /** Settles when the helper's output has ended (it stopped or died): no frame can come after. */
  get outputEnded(): Promise<void> {
    return this.stdoutDone;
  }

  /**
   * Follow `pid` and its descendants; resolves on `following`, throws HelperFollowError. The
   * helper checks the process and arms its kernel side, which adopts the process at its next
   * syscall, and only if it is the process checked; `onArmed` is the moment to make it do one
   * (the gate waits in read(): a byte wakes it).
   */
  follow(pid: number, onArmed: () => void = () => {}, timeoutMs = this.options.followTimeoutMs ?? 15_000): Promise<void> {
    if (this.exit !== null) return Promise.reject(new HelperFollowError(this.deathReason('the helper exited')));
    this.diagnostics.track(`follow ${pid}`);
    this.followed = pid;
    // its lines are held until the answer: a refusal is an error frame the controller says itself
    this.stderr.hold();
    const answer = Object.assign(
      new Pending<void>(timeoutMs, () => new HelperFollowError(`no answer to follow within ${timeoutMs / 1000} s`)),
      { pid, onArmed },
    );
    this.followAnswer = answer;
    const settled = (): void => {
      this.followAnswer = null;
      this.stderr.release();
    };
    answer.promise.then(settled, settled);
    this.child.stdin?.write(`follow ${pid}\n`);
    return answer.promise;
  }

  /** Ask the helper to drain and end; collect every frame until its exit (killed after a timeout). */
  async stop(timeoutMs = this.options.stopTimeoutMs ?? 10_000): Promise<CollectorResult> {
    this.stopping = true;
    if (this.exit === null) {
      this.child.stdin?.write('stop\n');
      this.child.stdin?.end();
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all([this.exited, this.stdoutDone]).then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.setStatus('degraded', `the helper did not stop within ${timeoutMs / 1000} s and was killed`);
      this.child.kill('SIGKILL');
      this.child.stdout?.destroy();
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 1000))]);
    }
    // frames and errors are a function of the bytes decoded, what a recording holds and a replay decodes again
    this.stream.end();
    if (!timedOut && !this.ended) {
      const detail = this.lastError ?? this.stderr.last ?? (this.exit ? `it exited with ${describeExit(this.exit)}` : null);
      this.setStatus('degraded', `the helper stopped without an end frame${detail !== null ? `: ${detail}` : ''}`);
    }
    this.diagnostics.finish();
    return {
      frameErrors: this.stream.errors.map((e) => e.message),
      status: this.status,
      reason: this.reason,
      hello: this.hello!,
    };
  }

  private onChunk(chunk: Buffer): void {
    this.options.onBytes?.(chunk);
    this.stream.push(chunk);
    // garbage before the hello: the helper is not one we can talk to
    if (this.hello === null && this.stream.errors.length > 0) {
      this.helloAnswer.reject(new HelperUnavailableError(`the helper spoke garbage: ${this.stream.errors[0]!.message}`, 'protocol'));
    }
  }

  private onFrame(frame: Frame): void {
    this.diagnostics.frame(frame);
    switch (frame.t) {
      case 'hello':
        if (this.hello !== null) break;
        if (frame.proto !== PROTOCOL_VERSION) {
          this.helloAnswer.reject(new HelperUnavailableError(`the helper speaks protocol ${frame.proto}, this controller ${PROTOCOL_VERSION}`, 'protocol'));
          break;
        }
        this.hello = frame;
        this.stderr.release();
        this.diagnostics.track(`collector: hello (helper ${frame.version}, privilege ${frame.privilege}, argv ${frame.argv})`);
        this.helloAnswer.resolve(frame);
        break;
      case 'armed':
        this.diagnostics.track(`armed to follow ${frame.pid}`);
        if (this.followAnswer?.pid === frame.pid) this.followAnswer.onArmed();
        break;
      case 'following':
        this.diagnostics.track(`following ${frame.pid}`);
        if (this.followAnswer?.pid === frame.pid) this.followAnswer.resolve();
        break;
      case 'error':
        this.lastError = frame.msg;
        if (frame.fatal) this.stderr.fatalMessage(frame.msg);
        this.diagnostics.track(`helper error${frame.fatal ? ' (fatal)' : ''}: ${frame.msg}`);
        if (this.hello === null) {
          if (frame.fatal) this.helloAnswer.reject(new HelperUnavailableError(frame.msg));
        } else if (this.followAnswer) this.followAnswer.reject(new HelperFollowError(frame.msg));
        else if (frame.fatal) this.setStatus('degraded', `helper error: ${frame.msg}`);
        break;
      case 'exit':
        if (frame.pid === this.followed) this.diagnostics.track(`exit of the root ${frame.pid} (code ${frame.code}, signal ${frame.sig})`);
        break;
      case 'end':
        this.ended = true;
        this.diagnostics.track(`end (${frame.reason}): ${frame.events} events, ${frame.lost} lost`);
        // only gh-run may stop it (stdin, or SIGTERM from its parent): anything else is someone
        // else writing to its stdin, and what happened after that is missing
        if (!this.stopping) this.setStatus('degraded', `the helper stopped before gh-run asked it to (${frame.reason}): collection ended early`);
        break;
      default:
        break;
    }
    this.options.onFrame?.(frame);
  }

  private onExit(exit: HelperExit): HelperExit {
    this.exit = exit;
    this.diagnostics.track(`helper exited (${describeExit(exit)})`);
    const why = this.deathReason(exit.spawnError !== null ? `cannot start the helper: ${exit.spawnError}` : `the helper exited with ${describeExit(exit)}`);
    this.helloAnswer.reject(new HelperUnavailableError(why));
    this.followAnswer?.reject(new HelperFollowError(why));
    if (this.hello !== null && !this.stopping && !this.ended) this.setStatus('degraded', `${why} during the run`);
    return exit;
  }

  /** The best explanation of the helper's death: its error frame, else its last stderr line, else the fallback. */
  private deathReason(fallback: string): string {
    return this.lastError ?? this.stderr.last ?? fallback;
  }

  private setStatus(status: CollectorStatus, reason: string): void {
    if (this.status === 'degraded' && status === 'degraded') return; // keep the first cause
    this.diagnostics.track(`collector: ${this.status} -> ${status} (${reason})`);
    this.status = status;
    this.reason = reason;
  }
}

function describeExit(exit: HelperExit): string {
  if (exit.spawnError !== null) return exit.spawnError;
  if (exit.signal !== null) return `signal ${exit.signal}`;
  return `status ${exit.code}`;
}

function spawnErrorOf(result: { failed: boolean; exitCode?: number | undefined; signal?: string | undefined; originalMessage?: string; code?: string }): string | null {
  if (!result.failed || result.exitCode !== undefined || result.signal !== undefined) return null;
  return result.originalMessage || result.code || 'unknown spawn error';
}
