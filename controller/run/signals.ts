// While the command runs, SIGINT/SIGTERM/SIGHUP sent to us go to the command's root process
// instead of killing us: we must outlive it to write the receipt.
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export class SignalForwarder {
  private target: number | null = null;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  constructor(private readonly onSignal: (signal: NodeJS.Signals, forwarded: boolean) => void) {
    for (const signal of FORWARDED) {
      const handler = (): void => this.forward(signal);
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  /** The pid that gets the signals from now on (null: the command has ended). */
  setTarget(pid: number | null): void {
    this.target = pid;
  }

  private forward(signal: NodeJS.Signals): void {
    if (this.target === null) return this.onSignal(signal, false);
    try {
      process.kill(this.target, signal);
      this.onSignal(signal, true);
    } catch {
      this.onSignal(signal, false);
    }
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    this.handlers.clear();
  }
}
