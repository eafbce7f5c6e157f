// The privileged C helper as a child process: start it and wait for `hello`, ask it to follow
// the command, stop it; every frame goes to `onFrame` as it arrives (none is kept here). Its
// failures never disturb the command: they make the collector "unavailable" (before hello) or
// "degraded" (during the run).
import type { ResultPromise } from 'execa';
import type { Frame, HelloFrame } from '../schema/frames.js';
import type { CollectorStatus } from '../schema/receipt.js';
import { Diagnostics } from './diagnostics.js';
import { HelperFollowError, HelperUnavailableError } from './errors.js';
import { FramePipeline, type FrameParser } from './frame-pipeline.js';
import { SpawnedHelper } from './helper-spawn.js';
import { PROTOCOL_VERSION } from './protocol.js';

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

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

interface HelperExit {
  code: number | null;
  signal: string | null;
  spawnError: string | null;
}

export class HelperProcess {
  // zod only for frames the guard leaves over (none, from a current helper): loaded when needed
  private readonly stream = new FramePipeline((frame) => this.onFrame(frame), { load: loadFrameParser }, () => this.afterFrames());
  private readonly diagnostics: Diagnostics;
  private hello: HelloFrame | null = null;
  private helloWaiter: Waiter<HelloFrame> | null = null;
  private followWaiter: (Waiter<void> & { pid: number; onArmed: () => void }) | null = null;
  private followed: number | null = null;
  private lastError: string | null = null;
  private lastStderr: string | null = null;
  private stderrRest = '';
  /**
   * The helper's stderr lines before its hello, and while a follow waits for its answer, held:
   * when it cannot start or follow, its last line is the error frame's message, which the
   * controller says itself (with the fix); said once, not twice.
   */
  private held: string[] | null = [];
  /** messages of fatal error frames: the controller reports them, the same stderr line is not repeated */
  private readonly fatal = new Set<string>();
  private ended = false;
  private streamDone = false;
  private stopping = false;
  private exit: HelperExit | null = null;
  private readonly exited: Promise<HelperExit>;
  private readonly stdoutDone: Promise<void>;
  private readonly child: ResultPromise;
  private stdoutDoneNow!: () => void;
  private status: CollectorStatus = 'ok';
  private reason: string | null = null;

  private constructor(
    spawned: SpawnedHelper,
    private readonly options: HelperOptions,
  ) {
    this.child = spawned.child;
    this.diagnostics = options.diagnostics ?? new Diagnostics({});
    this.stdoutDone = new Promise<void>((done) => (this.stdoutDoneNow = done));
    // its death is looked at after its last words: a helper started early may have written its
    // error frame and exited before we listened, and a frame may wait for zod to be validated
    const lastWords = this.stdoutDone.then(() => this.stream.settled());
    const afterOutput = (): Promise<unknown> => Promise.race([lastWords, new Promise((r) => setTimeout(r, 1000).unref())]);
    this.exited = this.child.then(
      (r) => afterOutput().then(() => this.onExit({ code: r.exitCode ?? null, signal: r.signal ?? null, spawnError: spawnErrorOf(r) })),
      (e: unknown) => afterOutput().then(() => this.onExit({ code: null, signal: null, spawnError: e instanceof Error ? e.message : String(e) })),
    );
  }

  /**
   * Start the helper and wait for its hello; throws HelperUnavailableError. `early`: a helper
   * already started (by the CLI, before parsing), taken over when it is the one asked for,
   * else discarded.
   */
  static async start(options: HelperOptions, early: SpawnedHelper | null = null): Promise<HelperProcess> {
    let spawned: SpawnedHelper;
    if (early !== null && early.matches(options.path, options.captureArgv)) spawned = early;
    else {
      early?.discard();
      spawned = SpawnedHelper.spawn(options.path, options.captureArgv);
    }
    const helper = new HelperProcess(spawned, options);
    const hello = helper.waitForHello(options.helloTimeoutMs ?? 15_000);
    helper.listen(spawned); // after the wait is set up: what an early helper said is handled at once
    await hello;
    return helper;
  }

  get helloFrame(): HelloFrame | null {
    return this.hello;
  }

  /** Why: settles when the helper's output has ended (it stopped or died): no frame can come after. */
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
    this.held ??= [];
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.followWaiter = null;
        this.releaseStderr();
        reject(new HelperFollowError(`no answer to follow within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const settle = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A) => {
        clearTimeout(timer);
        this.followWaiter = null;
        this.releaseStderr();
        fn(...a);
      };
      this.followWaiter = { pid, onArmed, resolve: settle(resolve), reject: settle(reject) };
      this.child.stdin?.write(`follow ${pid}\n`);
    });
  }

  /** Mark the collection degraded (e.g. the follow failed) without stopping anything. */
  degrade(reason: string): void {
    this.setStatus('degraded', reason);
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
    this.endStream();
    await this.stream.settled(); // frames that waited for zod: the end frame may be among them
    if (!timedOut && !this.ended) {
      const detail = this.lastError ?? this.lastStderr ?? (this.exit ? `it exited with ${describeExit(this.exit)}` : null);
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

  /** Take over the helper's output: what it said so far, then what it says. */
  private listen(spawned: SpawnedHelper): void {
    spawned.attach({
      stdout: (chunk) => this.onChunk(chunk),
      stdoutEnd: () => {
        this.endStream();
        this.stdoutDoneNow();
      },
      stdoutClosed: () => this.stdoutDoneNow(),
      stderr: (chunk) => this.onStderr(chunk.toString('utf8')),
      stderrEnd: () => {
        this.onStderr('\n');
        // a start or follow still waiting settles after the helper's last frames (its error
        // frame may wait for zod): it releases them then, knowing what not to repeat
        if (this.helloWaiter === null && this.followWaiter === null) this.releaseStderr();
      },
    });
  }

  private waitForHello(timeoutMs: number): Promise<HelloFrame> {
    return new Promise<HelloFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.helloWaiter = null;
        this.child.kill('SIGKILL');
        reject(new HelperUnavailableError(`the helper sent no hello within ${timeoutMs / 1000} s`, 'other'));
      }, timeoutMs);
      this.helloWaiter = {
        resolve: (hello) => {
          clearTimeout(timer);
          this.helloWaiter = null;
          resolve(hello);
        },
        reject: (error) => {
          clearTimeout(timer);
          this.helloWaiter = null;
          this.child.stdin?.end();
          this.releaseStderr();
          reject(error);
        },
      };
    });
  }

  /**
   * No more stdout: a frame cut short is an error. Done exactly once, at EOF or when stop()
   * gives up on the stream, so frames and errors are a function of the bytes decoded, which
   * is what a recording holds and a replay decodes again.
   */
  private endStream(): void {
    if (this.streamDone) return;
    this.streamDone = true;
    this.stream.end();
  }

  private onChunk(chunk: Buffer): void {
    if (this.streamDone) return;
    this.options.onBytes?.(chunk);
    this.stream.push(chunk);
    this.afterFrames();
  }

  /** Garbage before the hello: the helper is not one we can talk to. */
  private afterFrames(): void {
    if (this.helloWaiter && this.stream.errors.length > 0 && this.hello === null) {
      this.helloWaiter.reject(new HelperUnavailableError(`the helper spoke garbage: ${this.stream.errors[0]!.message}`, 'protocol'));
    }
  }

  private onFrame(frame: Frame): void {
    this.diagnostics.frame(frame);
    switch (frame.t) {
      case 'hello':
        if (this.hello !== null) break;
        if (frame.proto !== PROTOCOL_VERSION) {
          this.helloWaiter?.reject(
            new HelperUnavailableError(`the helper speaks protocol ${frame.proto}, this controller ${PROTOCOL_VERSION}`, 'protocol'),
          );
          break;
        }
        this.hello = frame;
        this.releaseStderr();
        this.diagnostics.track(`collector: hello (helper ${frame.version}, privilege ${frame.privilege}, argv ${frame.argv})`);
        this.helloWaiter?.resolve(frame);
        break;
      case 'armed':
        this.diagnostics.track(`armed to follow ${frame.pid}`);
        if (this.followWaiter && this.followWaiter.pid === frame.pid) this.followWaiter.onArmed();
        break;
      case 'following':
        this.diagnostics.track(`following ${frame.pid}`);
        if (this.followWaiter && this.followWaiter.pid === frame.pid) this.followWaiter.resolve();
        break;
      case 'error':
        this.lastError = frame.msg;
        if (frame.fatal) this.fatal.add(frame.msg);
        this.diagnostics.track(`helper error${frame.fatal ? ' (fatal)' : ''}: ${frame.msg}`);
        if (this.hello === null) {
          if (frame.fatal) this.helloWaiter?.reject(new HelperUnavailableError(frame.msg));
        } else if (this.followWaiter) this.followWaiter.reject(new HelperFollowError(frame.msg));
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

  private onStderr(text: string): void {
    const lines = (this.stderrRest + text).split('\n');
    this.stderrRest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      this.lastStderr = line.trim();
      // the helper names itself on its own lines; libbpf's lines do not
      const named = line.startsWith('glasshouse-helper: ') ? line : `glasshouse-helper: ${line}`;
      if (this.held !== null) this.held.push(named);
      else this.sayStderr(named);
    }
  }

  /** Say the held stderr lines (once the hello came, or the start failed) and stop holding. */
  private releaseStderr(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    for (const line of held) this.sayStderr(line);
  }

  private sayStderr(named: string): void {
    if (this.options.quiet || this.fatal.has(named.slice('glasshouse-helper: '.length))) return;
    (this.options.writeStderr ?? defaultWrite)(`${named}\n`);
  }

  private onExit(exit: HelperExit): HelperExit {
    this.exit = exit;
    this.diagnostics.track(`helper exited (${describeExit(exit)})`);
    const why = this.deathReason(exit.spawnError !== null ? `cannot start the helper: ${exit.spawnError}` : `the helper exited with ${describeExit(exit)}`);
    if (this.helloWaiter) this.helloWaiter.reject(new HelperUnavailableError(why));
    if (this.followWaiter) this.followWaiter.reject(new HelperFollowError(why));
    if (this.hello !== null && !this.stopping && !this.ended) this.setStatus('degraded', `${why} during the run`);
    return exit;
  }

  /** The best explanation of the helper's death: its error frame, else its last stderr line, else the fallback. */
  private deathReason(fallback: string): string {
    return this.lastError ?? this.lastStderr ?? fallback;
  }

  private setStatus(status: CollectorStatus, reason: string): void {
    if (this.status === 'degraded' && status === 'degraded') return; // keep the first cause
    this.diagnostics.track(`collector: ${this.status} -> ${status} (${reason})`);
    this.status = status;
    this.reason = reason;
  }
}

function defaultWrite(text: string): void {
  process.stderr.write(text);
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

/** zod's frame validation (schema/frames.ts), loaded the first time a frame needs it. */
function loadFrameParser(): Promise<FrameParser> {
  return import('../schema/frames.js').then((m) => m.parseFrame);
}
