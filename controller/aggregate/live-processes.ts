// Which followed processes are still running, kept as the fork/exit frames are folded: a
// process enters when the table first hears of it and leaves at its exit frame. --wait-all
// (run/wait-all.ts) waits on it without ever walking the whole process table.

/** A process by its identity in the frames: pid and its leader's start time (CLOCK_MONOTONIC ns). */
export interface LiveProcess {
  readonly pid: number;
  readonly start: number | null;
}

/** Why: the cheap "is anything of the tree left running?" of --wait-all, O(1) per fork and exit. */
export class LiveProcesses {
  private readonly live = new Set<LiveProcess>();
  // given up on without an exit frame; left again if the frame comes after all
  private readonly forgotten = new Set<LiveProcess>();
  private readonly emptyListeners: (() => void)[] = [];

  /** How many processes are counted as running. */
  get size(): number {
    return this.live.size;
  }

  /** The table heard of `p` and has not seen it exit. */
  started(p: LiveProcess): void {
    this.live.add(p);
  }

  /** `p`'s exit frame came (a second one, or one of a process never counted, changes nothing). */
  exited(p: LiveProcess): void {
    this.forgotten.delete(p);
    if (this.live.delete(p)) this.emptied();
  }

  /**
   * Stop counting `p` without an exit frame: it is gone from the system but its exit was never
   * seen (lost). The process table is not touched, so the receipt stays a function of the frames.
   */
  forget(p: LiveProcess): void {
    if (!this.live.delete(p)) return;
    this.forgotten.add(p);
    this.emptied();
  }

  /** The processes counted as running, in the order they were first heard of. */
  list(): LiveProcess[] {
    return [...this.live];
  }

  /** The processes forgotten whose exit frame has not come since. */
  forgottenList(): LiveProcess[] {
    return [...this.forgotten];
  }

  /** Call `listener` once, as soon as nothing is counted as running (at once if nothing is now). */
  whenEmpty(listener: () => void): void {
    if (this.live.size === 0) listener();
    else this.emptyListeners.push(listener);
  }

  private emptied(): void {
    if (this.live.size !== 0) return;
    for (const listener of this.emptyListeners.splice(0)) listener();
  }
}
