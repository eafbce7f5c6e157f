// Folds fork/exec/exit frames into the process table, keyed by (pid, start) because pids are
// reused, and builds the fork tree (orphans stay under the parent that forked them).
import type { ExecFrame, Frame } from '../schema/frames.js';
import type { ExecEntry, Process, ProcessNode } from '../schema/receipt.js';
import type { RunFacts } from '../schema/run-facts.js';
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
  execOk: boolean;
  privileged: boolean;
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

/** Build the process table from frames (in stream order) and the run facts. */
export function buildProcessTable(frames: readonly Frame[], facts: RunFacts): ProcessTable {
  const byKey = new Map<string, ProcState>();
  const rootPid = facts.root_pid;
  let root: ProcState | null = null;
  let rootExitSeen = false;

  const create = (pid: number, start: number | null, ppid: number | null, parentKey: string | null): ProcState => {
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
      execOk: false,
      privileged: false,
    };
    byKey.set(p.key, p);
    return p;
  };
  const newRoot = (start: number | null): ProcState => {
    const p = create(rootPid!, start, facts.controller_pid, null);
    p.uid = facts.environment.uid;
    p.cwd = facts.environment.cwd;
    return p;
  };
  // the process an event is about; a process first seen here lost its fork event, or is the root
  const lookup = (pid: number, start: number, ppidHint: number | null): ProcState => {
    const known = byKey.get(keyOf(pid, start));
    if (known) return known;
    if (root === null && pid === rootPid) return (root = newRoot(start));
    return create(pid, start, ppidHint, null);
  };

  for (const f of frames) {
    switch (f.t) {
      case 'fork': {
        if (byKey.has(keyOf(f.pid, f.start))) break;
        const parent = byKey.get(keyOf(f.ppid, f.pstart)) ?? null;
        const child = create(f.pid, f.start, f.ppid, keyOf(f.ppid, f.pstart));
        // a forked child runs its parent's program (and holds its privilege) until it execs
        child.exe = parent?.exe ?? null;
        child.argv = parent?.argv ?? null;
        child.privileged = parent?.privileged ?? false;
        child.uid = f.uid;
        child.cwd = f.cwd ?? parent?.cwd ?? null;
        break;
      }
      case 'exec':
        applyExec(lookup(f.pid, f.start, f.ppid), f);
        break;
      case 'exit': {
        const p = lookup(f.pid, f.start, null);
        p.exited = true;
        p.exitCode = f.sig !== null ? null : f.code;
        p.signal = f.sig;
        if (p === root) rootExitSeen = true;
        break;
      }
      case 'open':
      case 'net':
        lookup(f.pid, f.start, null);
        break;
      default:
        break;
    }
  }

  if (root === null && rootPid !== null) root = newRoot(null);
  if (root !== null) {
    // the root certainly ended (the run waited for it): fill in what Node saw when the kernel did not say
    if (!rootExitSeen) {
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
  return { root, rootExitSeen, byKey };
}

function applyExec(p: ProcState, f: ExecFrame): void {
  const path = absolutePath(f.path, f.base);
  const entry: ExecEntry = { path, argv: f.argv, result: f.err ?? 'ok' };
  if (f.argv_truncated) entry.argv_truncated = true;
  p.execs.push(entry);
  if (f.err !== null) return;
  p.execOk = true;
  p.exe = f.exe ?? path;
  p.argv = f.argv;
  p.uid = f.uid;
  p.cwd = f.cwd ?? p.cwd;
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
    exit_code: p.exitCode,
    signal: p.signal,
    state: p.exited ? 'exited' : 'running',
    privileged: p.privileged,
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
  const visited = new Set<string>();
  const build = (p: ProcState): ProcessNode => {
    visited.add(p.key);
    const kids = (children.get(p.key) ?? []).filter((c) => !visited.has(c.key)).sort(byStartThenPid);
    return { ...toProcess(p, t0), children: kids.map(build) };
  };
  const tree = build(root);
  // anything not reachable (a parent cycle in corrupt data) still appears, under the root
  for (const p of [...byKey.values()].sort(byStartThenPid)) {
    if (!visited.has(p.key)) tree.children.push(build(p));
  }
  return tree;
}

/** Every process, flat, sorted by pid then start. */
export function processList(table: ProcessTable, t0: number): Process[] {
  return [...table.byKey.values()].sort(byPidThenStart).map((p) => toProcess(p, t0));
}
