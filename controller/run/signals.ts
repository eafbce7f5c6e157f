// While the command runs, SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to us go to the command's root
// process instead of killing us: we must outlive it to write the receipt.
//
// The command runs in our process group. A key a terminal turns into a signal (^C: SIGINT, ^\:
// SIGQUIT) goes to the terminal's whole foreground process group: when that group is ours, the
// command got it too, and forwarding it would deliver it twice (many programs take a second ^C
// as "force quit"). So SIGINT and SIGQUIT that arrive while our group is the foreground group of
// our controlling terminal are not forwarded. Everything else was sent to us (`kill <pid>`, a CI
// runner's SIGTERM, SIGHUP): forwarded once. Node gives no siginfo, so this is decided from
// /proc/self/stat (pgrp, tpgid), not from the sender: a `kill -INT <gh-run pid>` from another
// terminal, while gh-run is the foreground job of its own, is taken for a key and not forwarded.
import { readFileSync } from 'node:fs';

const HANDLED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
const KEYS: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT']);

/** forwarded: sent to the command by us; terminal: the command got it from the terminal; none: no command to send to */
export type SignalFate = 'forwarded' | 'terminal' | 'none';

export class SignalForwarder {
  private target: number | null = null;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  constructor(
    private readonly onSignal: (signal: NodeJS.Signals, fate: SignalFate) => void,
    private readonly foreground: () => boolean = inTerminalForeground,
  ) {
    for (const signal of HANDLED) {
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
    if (this.target === null) return this.onSignal(signal, 'none');
    if (KEYS.has(signal) && this.foreground()) return this.onSignal(signal, 'terminal');
    try {
      process.kill(this.target, signal);
      this.onSignal(signal, 'forwarded');
    } catch {
      this.onSignal(signal, 'none');
    }
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    this.handlers.clear();
  }
}

/** Whether our process group is the foreground group of our controlling terminal (proc(5): pgrp, tty_nr, tpgid). */
export function inTerminalForeground(stat: string | null = readStat()): boolean {
  if (stat === null) return false;
  // after "pid (comm) ": state ppid pgrp session tty_nr tpgid ...; comm may hold spaces and parens
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(fields[2]);
  const ttyNr = Number(fields[4]);
  const tpgid = Number(fields[5]);
  return ttyNr !== 0 && tpgid > 0 && tpgid === pgrp;
}

function readStat(): string | null {
  try {
    return readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return null;
  }
}
