// --wait-all: after the root exits, keep following until every process of the tree has exited
// (the fork/exit frames say so, as they arrive), or until --wait-timeout, a signal to gh-run, or
// the end of the helper's output cuts the wait short. Once a second, the processes still counted
// as running are looked up in /proc: one that is gone at two checks in a row lost its exit frame
// (ring buffer full) and is not waited for any more.
import type { LiveProcess, LiveProcesses } from '../aggregate/live-processes.js';
import { bootOffsetNs, processGone } from './proc-liveness.js';

/** How the wait ended. */
export type WaitEnd =
  | { kind: 'all-exited' }
  | { kind: 'timeout'; seconds: number }
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'collector-ended' };

export interface WaitAllOptions {
  live: LiveProcesses;
  /** --wait-timeout in seconds, null for none */
  timeoutSeconds: number | null;
  /** settles when no frame can come any more (the helper's output ended) */
  collectorEnded: Promise<unknown>;
  /** how often to look for processes gone without an exit frame */
  checkEveryMs?: number;
  /** whether a process counted as running is gone (default: /proc, proc-liveness.ts) */
  isGone?: (p: LiveProcess, offsetNs: number | null) => boolean;
  /** CLOCK_BOOTTIME - CLOCK_MONOTONIC, read at each check (default: /proc/uptime) */
  bootOffset?: () => number | null;
  /** told of what happens (diagnostics) */
  track?: (line: string) => void;
}

/** A wait in progress: its end, and the way a signal to gh-run cuts it short. */
export interface DescendantWait {
  readonly done: Promise<WaitEnd>;
  /** Cut the wait short (a signal gh-run received while waiting). */
  interrupt(signal: NodeJS.Signals): void;
}

/** setTimeout's largest delay; a longer timeout is armed again when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** At most this many /proc reads per check: a huge tree is looked at in turns. */
const MAX_CHECKS_PER_ROUND = 1000;

/** Why: the wait of --wait-all (run.ts starts it when the root has exited). */
export function waitForDescendants(options: WaitAllOptions): DescendantWait {
  const { live, track = () => {} } = options;
  const isGone = options.isGone ?? ((p, offset) => processGone(p.pid, p.start, offset));
  const bootOffset = options.bootOffset ?? (() => bootOffsetNs());
  let finish!: (end: WaitEnd) => void;
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  let checker: NodeJS.Timeout | undefined;
  const done = new Promise<WaitEnd>((resolve) => {
    finish = (end) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      clearInterval(checker);
      track(`wait-all: ${end.kind === 'signal' ? end.signal : end.kind}, ${live.size} counted as running`);
      resolve(end);
    };
  });

  live.whenEmpty(() => finish({ kind: 'all-exited' }));
  void options.collectorEnded.then(
    () => finish({ kind: 'collector-ended' }),
    () => finish({ kind: 'collector-ended' }),
  );

  if (!ended && options.timeoutSeconds !== null) {
    const seconds = options.timeoutSeconds;
    const deadline = performance.now() + seconds * 1000;
    const arm = (): void => {
      const left = deadline - performance.now();
      if (left <= 0) return finish({ kind: 'timeout', seconds });
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    };
    arm();
  }

  if (!ended) {
    // gone at one check may only mean its exit frame is on its way: gone at two, it was lost
    const suspects = new Set<LiveProcess>();
    let cursor = 0;
    checker = setInterval(() => {
      const running = live.list();
      const n = Math.min(running.length, MAX_CHECKS_PER_ROUND);
      const offset = bootOffset();
      for (let i = 0; i < n; i++) {
        const p = running[(cursor + i) % running.length]!;
        if (!isGone(p, offset)) suspects.delete(p);
        else if (!suspects.has(p)) suspects.add(p);
        else {
          suspects.delete(p);
          track(`wait-all: ${p.pid} is gone and its exit was not seen`);
          live.forget(p); // may end the wait
          if (ended) return;
        }
      }
      cursor = running.length > 0 ? (cursor + n) % running.length : 0;
    }, options.checkEveryMs ?? 1000);
  }

  return { done, interrupt: (signal) => finish({ kind: 'signal', signal }) };
}

/**
 * Why: what outcome.errors says of a wait, once every frame is in (after the helper stopped),
 * so that an exit frame that came late is not called lost. The root is left out: its exit is
 * known from Node whatever the frames say.
 */
export function waitErrors(end: WaitEnd, live: LiveProcesses, rootPid: number | null): string[] {
  const notRoot = (ps: LiveProcess[]): LiveProcess[] => ps.filter((p) => p.pid !== rootPid).sort((a, b) => a.pid - b.pid);
  const lines: string[] = [];
  const lost = notRoot(live.forgottenList());
  for (const p of lost.slice(0, PIDS_SHOWN)) lines.push(`exit of pid ${p.pid} not seen (it is gone; --wait-all stopped waiting for it)`);
  if (lost.length > PIDS_SHOWN) lines.push(`exits of ${lost.length - PIDS_SHOWN} more processes not seen`);
  const running = notRoot(live.list());
  if (end.kind === 'all-exited' || running.length === 0) return lines;
  const why =
    end.kind === 'timeout'
      ? `after --wait-timeout ${end.seconds} s`
      : end.kind === 'signal'
        ? `by ${end.signal}`
        : 'by the end of the collector (no exit could be seen any more)';
  lines.push(`--wait-all cut short ${why}: ${processes(running)} still running`);
  return lines;
}

/** How many pids an error line names. */
const PIDS_SHOWN = 5;

/** "1 process (pid 7)", "7 processes (pids 1, 2, 3, 4, 5 and 2 more)". */
function processes(ps: LiveProcess[]): string {
  const shown = ps.slice(0, PIDS_SHOWN).map((p) => p.pid).join(', ');
  const more = ps.length > PIDS_SHOWN ? ` and ${ps.length - PIDS_SHOWN} more` : '';
  return ps.length === 1 ? `1 process (pid ${shown})` : `${ps.length} processes (pids ${shown}${more})`;
}
