// Attempts of the command's tree on the two processes that write its receipt (tamper frames,
// from the kernel side), and signals the helper received from processes outside the tree
// (signal frames, from the helper): merged by what was attempted, counted, and said loudly.
import type { SignalFrame, TamperFrame } from '../schema/frames.js';
import type { TamperEntry } from '../schema/receipt.js';
import { compare } from './numbers.js';

const PTRACE_REQUESTS: Readonly<Record<number, string>> = {
  0: 'PTRACE_TRACEME', 1: 'PTRACE_PEEKTEXT', 2: 'PTRACE_PEEKDATA', 3: 'PTRACE_PEEKUSER', 4: 'PTRACE_POKETEXT',
  5: 'PTRACE_POKEDATA', 6: 'PTRACE_POKEUSER', 7: 'PTRACE_CONT', 8: 'PTRACE_KILL', 9: 'PTRACE_SINGLESTEP',
  12: 'PTRACE_GETREGS', 13: 'PTRACE_SETREGS', 16: 'PTRACE_ATTACH', 17: 'PTRACE_DETACH', 0x4206: 'PTRACE_SEIZE',
  0x4207: 'PTRACE_INTERRUPT', 0x4208: 'PTRACE_LISTEN', 0x4200: 'PTRACE_SETOPTIONS',
};

/** What a tamper frame says was asked, in words. */
export function tamperDetail(f: TamperFrame): string {
  switch (f.kind) {
    case 'signal': {
      const how = f.call === 'pidfd_send_signal' ? ` through pidfd ${f.target}` : f.target === -1 ? ' to every process it may signal' : f.target <= 0 ? ` to process group ${f.target === 0 ? 'of its own' : -f.target}` : ` to pid ${f.target}`;
      return `${f.sig ?? `signal ${f.arg}`}${how}`;
    }
    case 'ptrace':
      return `${PTRACE_REQUESTS[f.arg] ?? `request ${f.arg}`} of pid ${f.target}`;
    case 'memory':
      return `memory of pid ${f.target}`;
    case 'getfd':
      return `fd ${f.arg} through pidfd ${f.target}`;
    case 'proc':
      return f.path ?? '/proc/<pid>/mem';
    case 'pipe':
      return `the helper's pipe${f.path !== null ? ` through ${f.path}` : ''}`;
  }
}

export class TamperTable {
  private readonly merged = new Map<string, TamperEntry>();
  private readonly signals: SignalFrame[] = [];

  add(f: TamperFrame): void {
    const entry: TamperEntry = { pid: f.pid, call: f.call, target: f.who, detail: tamperDetail(f), result: f.err ?? 'ok', count: 1 };
    const key = JSON.stringify([entry.pid, entry.call, entry.target, entry.detail, entry.result]);
    const known = this.merged.get(key);
    if (known) known.count++;
    else this.merged.set(key, entry);
  }

  addSignal(f: SignalFrame): void {
    this.signals.push(f);
  }

  /**
   * Every attempt, sorted. A signal the helper received is left out when a tamper frame of the
   * same process already names that signal to the helper (the kernel saw the call).
   */
  section(): TamperEntry[] {
    const entries = [...this.merged.values()];
    for (const s of this.signals) {
      const seen = entries.some((e) => e.pid === s.pid && e.target !== 'controller' && e.detail.startsWith(`${s.sig} `));
      if (seen) continue;
      const entry: TamperEntry = { pid: s.pid, call: 'signal', target: 'helper', detail: `${s.sig} from uid ${s.uid}, outside the command's tree (ignored)`, result: 'ok', count: 1 };
      const same = entries.find((e) => e.pid === entry.pid && e.call === entry.call && e.detail === entry.detail);
      if (same) same.count++;
      else entries.push(entry);
    }
    return entries.sort(
      (a, b) => a.pid - b.pid || compare(a.call, b.call) || compare(a.target, b.target) || compare(a.detail, b.detail) || compare(a.result, b.result),
    );
  }
}

/** One line of outcome.errors per attempt (at most `max`, then how many more). */
export function tamperLines(entries: readonly TamperEntry[], max = 10): string[] {
  const whom = { controller: 'gh-run', helper: 'the helper', both: 'gh-run and the helper' } as const;
  const lines = entries
    .slice(0, max)
    .map((e) => `tampering: pid ${e.pid} ${e.call === 'signal' ? 'signalled' : `called ${e.call} on`} ${whom[e.target]}: ${e.detail}: ${e.result}${e.count > 1 ? ` (${e.count} times)` : ''}`);
  if (entries.length > max) lines.push(`tampering: and ${entries.length - max} more attempts (collector.tampering)`);
  return lines;
}
