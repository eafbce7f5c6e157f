// Spawning the helper process, and nothing else: this module loads only execa, so the CLI can
// start the helper before the rest of the controller is loaded and its BPF load (~80 ms) runs
// meanwhile. What it says until a HelperProcess takes it over is held, in order.
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { HelperUnavailableError } from './errors.js';

/** Where the helper's output goes once someone listens: the HelperProcess. */
export interface HelperOutput {
  stdout(chunk: Buffer): void;
  /** stdout reached EOF */
  stdoutEnd(): void;
  /** stdout closed or failed: no more of it */
  stdoutClosed(): void;
  stderr(chunk: Buffer): void;
  stderrEnd(): void;
}

/** A started helper whose output nobody has taken yet (HelperProcess.start takes it over). */
export class SpawnedHelper {
  private output: HelperOutput | null = null;
  private held: Array<(output: HelperOutput) => void> = [];

  private constructor(
    /** absolute path of the helper started */
    readonly path: string,
    /** whether it was started capturing argv (no --no-argv) */
    readonly captureArgv: boolean,
    readonly child: ResultPromise,
  ) {
    // read from the start: with buffer: false execa lets unread output flow away, and at the
    // helper's exit it ends the streams, what they held included
    const { stdout, stderr } = child;
    stdout?.on('data', (chunk: Buffer) => this.emit((o) => o.stdout(chunk)));
    stdout?.on('end', () => this.emit((o) => o.stdoutEnd()));
    stdout?.on('close', () => this.emit((o) => o.stdoutClosed()));
    stdout?.on('error', () => this.emit((o) => o.stdoutClosed()));
    stderr?.on('data', (chunk: Buffer) => this.emit((o) => o.stderr(chunk)));
    stderr?.on('end', () => this.emit((o) => o.stderrEnd()));
    if (!stdout) this.emit((o) => o.stdoutClosed());
    child.stdin?.on('error', () => undefined); // EPIPE when the helper is gone: its exit says why
  }

  /** From now on the output goes to `output`; what was held goes first, in order. */
  attach(output: HelperOutput): void {
    if (this.output !== null) throw new Error('SpawnedHelper: already attached');
    this.output = output;
    for (const deliver of this.held) deliver(output);
    this.held = [];
  }

  private emit(deliver: (output: HelperOutput) => void): void {
    if (this.output !== null) deliver(this.output);
    else this.held.push(deliver);
  }

  /** Start the helper; throws HelperUnavailableError when it is missing or not executable. */
  static spawn(path: string, captureArgv: boolean): SpawnedHelper {
    checkExecutable(path);
    const child = execa(path, captureArgv ? [] : ['--no-argv'], {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      encoding: 'buffer',
      // its own session: a terminal ^C goes to the command, the helper stops on `stop` or stdin EOF
      detached: true,
      cleanup: false,
    });
    return new SpawnedHelper(path, captureArgv, child);
  }

  /** Whether this helper is the one asked for. */
  matches(path: string, captureArgv: boolean): boolean {
    return this.path === path && this.captureArgv === captureArgv;
  }

  /**
   * Give up a helper nobody will use: stdin EOF stops it (as `stop` does) and a kill hurries it;
   * a setuid helper may refuse the kill, never the EOF.
   */
  discard(): void {
    this.child.stdin?.end();
    try {
      this.child.kill('SIGKILL');
    } catch {
      // already gone, or not ours to kill: the EOF stops it
    }
  }
}

/** A missing helper is a setup problem with a known fix, not a crash. */
function checkExecutable(path: string): void {
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
  } catch (cause) {
    throw new HelperUnavailableError(`helper not found at ${path}`, 'missing', { cause });
  }
  try {
    accessSync(path, fsConstants.X_OK);
  } catch (cause) {
    throw new HelperUnavailableError(`helper at ${path} is not executable`, 'missing', { cause });
  }
}
