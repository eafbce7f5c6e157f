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
import { OutputRelay, relayOutput, settleRelays, type Relay, type Relayed } from './output-relay.js';

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
  private relays: [Relay | null, Relay | null] = [null, null];

  private constructor(
    readonly plan: OutputPlan,
    private readonly pipes: OutputPipes | null,
  ) {}

  /** Make the pipes the plan needs; `fallback` is told why when real pipes cannot be made (socketpairs then). */
  static open(plan: OutputPlan, fallback: (why: string) => void): CommandOutputs {
    const count = (plan.stdout === 'pipe' ? 1 : 0) + (plan.stderr === 'pipe' ? 1 : 0);
    if (count === 0) return new CommandOutputs(plan, null);
    try {
      return new CommandOutputs(plan, createOutputPipes(count as 1 | 2));
    } catch (error) {
      if (!(error instanceof OutputPipesError)) throw error;
      fallback(error.message);
      return new CommandOutputs(plan, null);
    }
  }

  /** The child's stdout and stderr entries (without real pipes: Node's socketpairs, one each). */
  get stdio(): [StdioEntry, StdioEntry] {
    const { plan, pipes } = this;
    if (pipes === null) return [plan.stdout === 'terminal' ? 'inherit' : 'pipe', plan.stderr === 'terminal' ? 'inherit' : 'pipe'];
    const out: StdioEntry = plan.stdout === 'terminal' ? 'inherit' : pipes.stdoutFd;
    const err: StdioEntry = plan.stderr === 'terminal' ? 'inherit' : plan.stderr === 'merged' ? out : plan.stdout === 'terminal' ? pipes.stdoutFd : pipes.stderrFd;
    return [out, err];
  }

  /** After the spawn: close our write ends and relay what comes (`child`: the socketpairs, when used). */
  started(child: { stdout: Readable | null; stderr: Readable | null }): void {
    const { plan, pipes } = this;
    pipes?.closeWriteEnds();
    if (pipes === null) {
      // socketpairs: merged or not, each stream has its own (the order of a 2>&1 is not kept)
      this.relays = [plan.stdout === 'pipe' ? relayOutput(child.stdout, 1) : null, plan.stderr !== 'terminal' ? relayOutput(child.stderr, 2) : null];
      return;
    }
    const first = relayOutput(pipes.stdoutRead, plan.stdout === 'pipe' ? 1 : 2);
    this.relays = plan.stdout === 'pipe' ? [first, plan.stderr === 'pipe' ? relayOutput(pipes.stderrRead, 2) : null] : [null, first];
  }

  /** Wait for the relays' EOF, at most graceMs (daemons may hold the pipes), then stop relaying. */
  async settle(graceMs: number): Promise<void> {
    await settleRelays(
      this.relays.filter((r) => r !== null),
      graceMs,
    );
  }

  /** Why a relay failed (its hash is then null), for outcome.errors. */
  failures(): string[] {
    const names = ['stdout', 'stderr'];
    return this.relays.flatMap((r, i) => (r instanceof OutputRelay && r.failure !== null ? [`${names[i]}: ${r.failure}`] : []));
  }

  /** What the receipt says of each stream. */
  artifacts(): { stdout: Artifact; stderr: Artifact } {
    const { plan, pipes } = this;
    const relayed = (relay: Relay | null): Artifact => toArtifact(relay === null ? EMPTY : relay.result());
    const stdout: Artifact = plan.stdout === 'terminal' ? TERMINAL : relayed(this.relays[0]);
    if (plan.stderr === 'terminal') return { stdout, stderr: TERMINAL };
    if (plan.stderr === 'merged' && pipes !== null) return { stdout: { ...stdout, merged: true }, stderr: { sha256: null, bytes: null, merged: true } };
    return { stdout, stderr: relayed(this.relays[1]) };
  }
}

const EMPTY: Relayed = { sha256: EMPTY_SHA256, bytes: 0 };
const toArtifact = (r: Relayed): Artifact => (r === null ? { sha256: null, bytes: null } : { sha256: r.sha256, bytes: r.bytes });

const TERMINAL: Artifact = { sha256: null, bytes: null, terminal: true };
