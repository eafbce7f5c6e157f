// Folds fork/exec/exit frames into the process table as they arrive, keyed by (pid, start)
// because pids are reused, and builds the fork tree (orphans stay under the parent that forked them).
import type { ExecFrame, Frame } from '../schema/frames.js';
import type { ExecEntry, Process, ProcessNode } from '../schema/receipt.js';
import type { RunFacts } from '../schema/run-facts.js';
import { LazyList } from './lazy-list.js';
import { LiveProcesses, type LiveProcess } from './live-processes.js';
import { absolutePath } from './paths.js';
import { compare, roundMs } from './numbers.js';

interface ProcState {
  key: string;
  pid: number;
  start: number | null;
  ppid: number | null;
  parentKey: string | null;
  exe: string | null;
  argv: string[] | null;
  execs: ExecEntry[];
  cwd: string | null;
  uid: number | null;
  exitCode: number | null;
  signal: string | null;
  exited: boolean;
  /** time of its exit as the kernel reported it (the exit frame's ts), null when not reported */
  end: number | null;
  execOk: boolean;
  privileged: boolean;
  withheld: number | null;
  mntNs: number | null;
  exeAnonymous: boolean;
}

export interface ProcessTable {
  /** the root process, null when no process existed (nothing could be spawned) */
  root: ProcState | null;
  /** whether the kernel reported the root's exit */
  rootExitSeen: boolean;
  byKey: Map<string, ProcState>;
}
export type { ProcState };

const keyOf = (pid: number, start: number | null): string => `${pid}:${start ?? '?'}`;

/** What the table needs to know before the first event: which pid is the root, and its parent's. */
export type RootFacts = Pick<RunFacts, 'root_pid' | 'controller_pid'> & { environment: Pick<RunFacts['environment'], 'uid' | 'cwd'> };

/**
 * Folds frames (in stream order) into the process table as they come, so a run's frames are
 * never kept: only one entry per process. finish() completes the root from the run facts.
 */
export class ProcessTableBuilder {
  private readonly byKey = new Map<string, ProcState>();
  private root: ProcState | null = null;
  private rootExitSeen = false;
  // the process of the previous event: a storm of events from one process skips the key string
  private lastPid = -1;
  private lastStart = -1;
  private last: ProcState | null = null;
  // the root counts as running from the start, before its first frame (which may come after
  // Node saw it exit): until then, this stands for it in `live`
  private readonly rootPlaceholder: LiveProcess | null;

  /**
   * `inheritPrivilege`: a forked child of a privileged process is privileged too, as protocol 1
   * and 2 helpers withheld it silently; protocol 3 says of each process (withheld frames).
   * `live`: kept up to date with the processes heard of and not seen exiting (--wait-all).
   */
  constructor(
    private readonly facts: RootFacts,
    private inheritPrivilege = true,
    private readonly live = new LiveProcesses(),
  ) {
    this.rootPlaceholder = facts.root_pid !== null ? { pid: facts.root_pid, start: null } : null;
    if (this.rootPlaceholder !== null) live.started(this.rootPlaceholder);
  }

  setInheritPrivilege(inherit: boolean): void {
    this.inheritPrivilege = inherit;
  }

  add(f: Frame): void {
    switch (f.t) {
      case 'fork': {
        if (this.byKey.has(keyOf(f.pid, f.start))) break;
        const parent = this.byKey.get(keyOf(f.ppid, f.pstart)) ?? null;
        const child = this.create(f.pid, f.start, f.ppid, keyOf(f.ppid, f.pstart));
        // a forked child runs its parent's program until it execs
        child.exe = parent?.exe ?? null;
        child.argv = parent?.argv ?? null;
        child.exeAnonymous = parent?.exeAnonymous ?? false;
        child.privileged = this.inheritPrivilege ? (parent?.privileged ?? false) : false;
        child.uid = f.uid;
        child.cwd = f.cwd ?? (f.withheld ? null : (parent?.cwd ?? null));
        child.mntNs = f.mnt_ns ?? null;
        break;
      }
      case 'exec':
        applyExec(this.lookup(f.pid, f.start, f.ppid), f);
        break;
      case 'exit': {
        const p = this.lookup(f.pid, f.start, null);
        p.exited = true;
        p.end = f.ts;
        this.live.exited(p);
        p.exitCode = f.sig !== null ? null : f.code;
        p.signal = f.sig;
        if (f.withheld !== undefined) p.withheld = f.withheld;
        p.mntNs = f.mnt_ns ?? p.mntNs;
        if (p === this.root) this.rootExitSeen = true;
        break;
      }
      case 'withheld': {
        // from here on the kernel side withholds what it does: the caller may not trace it
        const p = this.lookup(f.pid, f.start, null);
        p.privileged = true;
        p.mntNs = f.mnt_ns ?? null;
        break;
      }
      case 'open':
      case 'net':
      case 'change':
        this.lookup(f.pid, f.start, null).mntNs = f.mnt_ns ?? null;
        break;
      default:
        break;
    }
  }

  /** The table, the root completed from what the run itself saw. Call once, after the last frame. */
  finish(facts: RunFacts): ProcessTable {
    if (this.root === null && this.facts.root_pid !== null) this.root = this.newRoot(null);
    const root = this.root;
    if (root !== null) {
      // the root certainly ended (the run waited for it): fill in what Node saw when the kernel did not say
      if (!this.rootExitSeen) {
        root.exited = true;
        root.exitCode = facts.exit.signal !== null ? null : facts.exit.code;
        root.signal = facts.exit.signal;
      }
      if (!root.execOk && facts.exec_error === null && root.exe === null) {
        // no exec observed (collector unavailable or event lost): what the run itself knows
        root.exe = facts.command_realpath;
        root.argv = [...facts.command];
      }
    }
    return { root, rootExitSeen: this.rootExitSeen, byKey: this.byKey };
  }

  private create(pid: number, start: number | null, ppid: number | null, parentKey: string | null): ProcState {
    const p: ProcState = {
      key: keyOf(pid, start),
      pid,
      start,
      ppid,
      parentKey,
      exe: null,
      argv: null,
      execs: [],
      cwd: null,
      uid: null,
      exitCode: null,
      signal: null,
      exited: false,
      end: null,
      execOk: false,
      privileged: false,
      withheld: null,
      mntNs: null,
      exeAnonymous: false,
    };
    this.byKey.set(p.key, p);
    this.live.started(p);
    return p;
  }

  private newRoot(start: number | null): ProcState {
    const p = this.create(this.facts.root_pid!, start, this.facts.controller_pid, null);
    p.uid = this.facts.environment.uid;
    p.cwd = this.facts.environment.cwd;
    if (this.rootPlaceholder !== null) this.live.exited(this.rootPlaceholder); // p stands for itself now
    return p;
  }

  // the process an event is about; a process first seen here lost its fork event, or is the root
  private lookup(pid: number, start: number, ppidHint: number | null): ProcState {
    if (pid === this.lastPid && start === this.lastStart && this.last !== null) return this.last;
    const key = keyOf(pid, start);
    let p = this.byKey.get(key);
    if (p === undefined) {
      if (this.root === null && pid === this.facts.root_pid) p = this.root = this.newRoot(start);
      else p = this.create(pid, start, ppidHint, null);
    }
    // entries are never replaced, so (pid, start) names this one for the rest of the stream
    this.lastPid = pid;
    this.lastStart = start;
    this.last = p;
    return p;
  }
}

function applyExec(p: ProcState, f: ExecFrame): void {
  const path = absolutePath(f.path, f.base);
  const entry: ExecEntry = { path, argv: f.argv, result: f.err ?? 'ok' };
  if (f.argv_truncated) entry.argv_truncated = true;
  if (f.interpreter !== undefined) entry.interpreter = f.interpreter;
  if (f.path_truncated) entry.path_truncated = true;
  p.execs.push(entry);
  if (f.err !== null) return;
  p.execOk = true;
  p.exe = f.exe ?? path;
  p.exeAnonymous = f.exe_anon === true;
  p.argv = f.argv;
  p.uid = f.uid;
  // a process the caller may not trace: where it runs is withheld (its exec is reported)
  p.cwd = f.withheld ? null : (f.cwd ?? p.cwd);
  p.mntNs = f.mnt_ns ?? null;
  // the kernel said the exec gained privilege (AT_SECURE); once privileged, always privileged:
  // an exec that drops privilege again proves nothing about what the process did before it
  if (f.privileged) p.privileged = true;
}

function toProcess(p: ProcState, t0: number): Process {
  const offset = p.start === null ? 0 : Math.max(0, roundMs((p.start - t0) / 1e6));
  return {
    pid: p.pid,
    ppid: p.ppid,
    exe: p.exe,
    argv: p.argv,
    execs: p.execs,
    cwd: p.cwd,
    uid: p.uid,
    start_offset_ms: offset,
    // the kernel's time of the exit; null while running, or when the exit was not reported
    // (the root's end is then known only from Node, after the fact: not a time of the process)
    end_offset_ms: p.end === null ? null : Math.max(offset, roundMs((p.end - t0) / 1e6)),
    exit_code: p.exitCode,
    signal: p.signal,
    state: p.exited ? 'exited' : 'running',
    privileged: p.privileged,
    ...(p.withheld !== null && p.withheld > 0 ? { withheld_syscalls: p.withheld } : {}),
    ...(p.mntNs !== null ? { mnt_ns: p.mntNs } : {}),
    ...(p.exeAnonymous ? { exe_anonymous: true as const } : {}),
  };
}

const byStartThenPid = (a: ProcState, b: ProcState): number =>
  compare(a.start, b.start) || a.pid - b.pid;
const byPidThenStart = (a: ProcState, b: ProcState): number =>
  a.pid - b.pid || compare(a.start, b.start);

/** The nested tree from the root; processes whose parent is unknown hang under the root. */
export function processTree(table: ProcessTable, t0: number): ProcessNode | null {
  const { root, byKey } = table;
  if (root === null) return null;
  const children = new Map<string, ProcState[]>();
  const add = (parent: string, child: ProcState): void => {
    const list = children.get(parent);
    if (list) list.push(child);
    else children.set(parent, [child]);
  };
  for (const p of byKey.values()) {
    if (p === root) continue;
    const parentKey = p.parentKey !== null && byKey.has(p.parentKey) ? p.parentKey : root.key;
    add(parentKey, p);
  }
  // Built with an explicit stack, never by recursion: a hostile command can fork a chain of
  // processes as deep as it likes, and a recursive build overflows the call stack near 10,000.
  // Depth first, children by start time, each node made when it is first reached (so that a
  // parent cycle in corrupt data stops at a node already placed).
  const visited = new Set<string>();
  const pending: { p: ProcState; into: ProcessNode[] }[] = [];
  const place = (p: ProcState, into: ProcessNode[]): ProcessNode => {
    pending.push({ p, into });
    let first: ProcessNode | null = null;
    while (pending.length > 0) {
      const { p: q, into: list } = pending.pop()!;
      visited.add(q.key);
      const node: ProcessNode = { ...toProcess(q, t0), children: [] };
      list.push(node);
      first ??= node;
      const kids = (children.get(q.key) ?? []).filter((c) => !visited.has(c.key)).sort(byStartThenPid);
      // pushed last to first, so that the first child (and all below it) is placed first
      for (let i = kids.length - 1; i >= 0; i--) pending.push({ p: kids[i]!, into: node.children });
    }
    return first!;
  };
  const tree = place(root, []);
  // anything not reachable (a parent cycle in corrupt data) still appears, under the root
  for (const p of [...byKey.values()].sort(byStartThenPid)) {
    if (!visited.has(p.key)) place(p, tree.children);
  }
  return tree;
}

/** Every process, flat, sorted by pid then start, each made as it is read. */
export function processList(table: ProcessTable, t0: number): Iterable<Process> {
  return new LazyList(() => [...table.byKey.values()], byPidThenStart, (p) => toProcess(p, t0));
}
