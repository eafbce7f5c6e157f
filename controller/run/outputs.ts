// The command's stdout and stderr: what the command is given, and what the receipt says of them.
//
// - A terminal (at gh-run's end) is handed to the command as it is: same isatty, window size,
//   job control, pager. Nothing is relayed or hashed: the artifact says `terminal: true`.
// - A pipe or file is replaced by a real pipe (output-pipes.ts) that we relay to it while
//   hashing (SHA-256, bytes).
// - When stdout and stderr are the same open file (`2>&1`, one pipe), the command gets one pipe
//   for both, so their order is kept; the one hash is stdout's, both artifacts say `merged`.
// --capture-output relays terminals too (the command then sees pipes).
import { isatty } from 'node:tty';
import type { Readable } from 'node:stream';
import type { Artifact } from '../schema/receipt.js';
import { createOutputPipes, OutputPipesError, sameOpenFile, type OutputPipes } from './output-pipes.js';
import { OutputTee, settleTees } from './output-tee.js';

export interface OutputPlan {
  stdout: 'terminal' | 'pipe';
  stderr: 'terminal' | 'pipe' | 'merged';
}

/** What each of the command's two streams becomes, from what fds 1 and 2 are here. */
export function outputPlan(
  captureOutput: boolean,
  isTerminal: (fd: number) => boolean = isatty,
  same: (a: number, b: number) => boolean = sameOpenFile,
): OutputPlan {
  const stdout = !captureOutput && isTerminal(1) ? 'terminal' : 'pipe';
  if (!captureOutput && isTerminal(2)) return { stdout, stderr: 'terminal' };
  return { stdout, stderr: stdout === 'pipe' && same(1, 2) ? 'merged' : 'pipe' };
}

/** A stdio entry of the child: a pipe's write end, our own fd ('inherit'), or Node's socketpair ('pipe'). */
export type StdioEntry = number | 'inherit' | 'pipe';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export class CommandOutputs {
  private tees: [OutputTee | null, OutputTee | null] = [null, null];

  private constructor(
    readonly plan: OutputPlan,
    private readonly pipes: OutputPipes | null,
  ) {}

  /** Make the pipes the plan needs; `fallback` is told why when real pipes cannot be made (socketpairs then). */
  static open(plan: OutputPlan, fallback: (why: string) => void): CommandOutputs {
    if (plan.stdout === 'terminal' && plan.stderr === 'terminal') return new CommandOutputs(plan, null);
    try {
      return new CommandOutputs(plan, createOutputPipes());
    } catch (error) {
      if (!(error instanceof OutputPipesError)) throw error;
      fallback(error.message);
      return new CommandOutputs(plan, null);
    }
  }

  /** The child's stdout and stderr entries. */
  get stdio(): [StdioEntry, StdioEntry] {
    const { plan, pipes } = this;
    const out: StdioEntry = plan.stdout === 'terminal' ? 'inherit' : (pipes?.stdoutFd ?? 'pipe');
    const err: StdioEntry = plan.stderr === 'terminal' ? 'inherit' : plan.stderr === 'merged' ? out : (pipes?.stderrFd ?? 'pipe');
    return [out, err];
  }

  /** After the spawn: close our write ends and relay what comes (`child`: the socketpairs, when used). */
  started(child: { stdout: Readable | null; stderr: Readable | null }): void {
    this.pipes?.closeWriteEnds();
    const { plan, pipes } = this;
    const out = plan.stdout === 'pipe' ? (pipes?.stdout ?? child.stdout) : null;
    const err = plan.stderr === 'pipe' ? (pipes?.stderr ?? child.stderr) : null;
    this.tees = [out ? new OutputTee(out, process.stdout) : null, err ? new OutputTee(err, process.stderr) : null];
    if (plan.stderr === 'merged') pipes?.stderr.destroy();
  }

  /** Wait for the relays' EOF, at most graceMs (daemons may hold the pipes), then stop relaying. */
  async settle(graceMs: number): Promise<void> {
    await settleTees(
      this.tees.filter((t) => t !== null),
      graceMs,
    );
  }

  /** What the receipt says of each stream. */
  artifacts(): { stdout: Artifact; stderr: Artifact } {
    const relayed = (tee: OutputTee | null): Artifact => tee?.result() ?? { sha256: EMPTY_SHA256, bytes: 0 };
    const { plan } = this;
    const stdout: Artifact = plan.stdout === 'terminal' ? TERMINAL : relayed(this.tees[0]);
    if (plan.stderr === 'terminal') return { stdout, stderr: TERMINAL };
    if (plan.stderr === 'merged') return { stdout: { ...stdout, merged: true }, stderr: { sha256: null, bytes: null, merged: true } };
    return { stdout, stderr: relayed(this.tees[1]) };
  }
}

const TERMINAL: Artifact = { sha256: null, bytes: null, terminal: true };
