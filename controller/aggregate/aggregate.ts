// The aggregator: folds validated frames, one at a time and in stream order, into per-process,
// per-path and per-peer tables, and turns those and the run facts into the receipt. No clock
// reads, no I/O, no frame kept, every list sorted and every object built in schema order, so a
// recorded stream rebuilds the same receipt byte for byte.
import { createHash } from 'node:crypto';
import type { Frame } from '../schema/frames.js';
import { SCHEMA_VERSION, type LazyReceipt, type Receipt } from '../schema/receipt.js';
import type { RunFacts } from '../schema/run-facts.js';
import { CollectorTally } from './collector.js';
import { DnsTable } from './dns.js';
import { environmentSection } from './environment.js';
import { errnoText, shellStatus } from './errno.js';
import { FilesystemTable } from './filesystem.js';
import { LiveProcesses } from './live-processes.js';
import { MountNamespaceTable } from './mount-namespaces.js';
import { NetworkTable } from './network.js';
import { nsToMs } from './numbers.js';
import { ProcessTableBuilder, processList, processTree, type RootFacts } from './process-tree.js';
import { TamperTable, tamperLines } from './tampering.js';


/** sha256 hex of `${started_at}\0${rootPid}\0${argv joined with \0}`. */
export function executionId(facts: RunFacts): string {
  const material = `${facts.started_at}\0${facts.root_pid ?? ''}\0${facts.command.join('\0')}`;
  return createHash('sha256').update(material, 'utf8').digest('hex');
}

export class Aggregator {
  private readonly collector = new CollectorTally();
  private readonly filesystem = new FilesystemTable();
  private readonly network = new NetworkTable();
  private readonly dns = new DnsTable();
  private readonly tampering = new TamperTable();
  private readonly mountNamespaces = new MountNamespaceTable();
  /** The processes of the tree heard of and not seen exiting, as the frames are folded (--wait-all). */
  readonly live = new LiveProcesses();
  // protocol 1 and 2 helpers withheld a forked child of a privileged process without saying so
  private inheritPrivilege = true;
  private processes: ProcessTableBuilder | null = null;
  private root: RootFacts | null = null;
  // process events that came before the root was known (a live run knows it before it follows)
  private early: Frame[] = [];
  // (rid, n) pairs of repeats frames: resolved at the end, when every event that can carry
  // a rid has arrived
  private repeats: number[][] = [];
  private finished = false;

  /** `root`: which process is the root, when known before the first frame (else setRoot()). */
  constructor(root: RootFacts | null = null) {
    if (root !== null) this.setRoot(root);
  }

  /** The root is known (the command was spawned): from now on every frame folds straight in. */
  setRoot(root: RootFacts): void {
    if (this.root !== null) throw new Error('Aggregator: the root is already set');
    this.root = { root_pid: root.root_pid, controller_pid: root.controller_pid, environment: { uid: root.environment.uid, cwd: root.environment.cwd } };
    const processes = (this.processes = new ProcessTableBuilder(this.root, this.inheritPrivilege, this.live));
    for (const f of this.early) processes.add(f);
    this.early = [];
  }

  /** Fold the next validated frame of the stream. */
  add(frame: Frame): void {
    this.collector.add(frame);
    switch (frame.t) {
      case 'hello':
        // protocol 4 reports changes: the net effect can be known
        if (frame.proto >= 4) this.filesystem.effectKnown();
        if (frame.proto >= 3) {
          this.inheritPrivilege = false;
          this.processes?.setInheritPrivilege(false);
        }
        return;
      case 'open':
        this.filesystem.add(frame);
        break;
      case 'net':
        this.network.add(frame);
        break;
      case 'socket':
        this.network.addSocket(frame);
        return;
      case 'dns':
        this.dns.add(frame);
        return;
      case 'change':
        this.filesystem.addChange(frame);
        break;
      case 'tamper':
        this.tampering.add(frame);
        break;
      case 'mounts':
        this.mountNamespaces.add(frame);
        return;
      case 'signal':
        this.tampering.addSignal(frame);
        return;
      case 'exec':
      case 'fork':
      case 'exit':
      case 'withheld':
        break;
      case 'repeats':
        this.repeats.push(frame.counts);
        return;
      default:
        return; // not about a process
    }
    if (frame.mnt_ns !== undefined) this.mountNamespaces.seen(frame.mnt_ns, frame.pid);
    if (this.processes !== null) this.processes.add(frame);
    else this.early.push(frame);
  }

  /**
   * The paths whose digests the receipt will show (filesystem.writes and outputs), sorted: for
   * the run to take, once every frame is in and before finish().
   */
  digestPaths(): string[] {
    return this.filesystem.digestPaths();
  }

  /** Count each repeat into the entry of the event that carried its rid, or as lost. */
  private resolveRepeats(): void {
    for (const pairs of this.repeats) {
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const rid = pairs[i]!;
        const n = pairs[i + 1]!;
        if (n <= 0) continue;
        if (this.filesystem.repeat(rid, n) || this.network.repeat(rid, n)) this.collector.folded(n);
        else this.collector.unresolved(n); // the event that carried the rid was lost
      }
    }
    this.repeats = [];
  }

  /**
   * The receipt of every frame added and the run facts. `frameErrors` are the messages of frames
   * that could not be decoded or validated; they degrade the collector status. Call once (this
   * or finishLazy).
   */
  finish(facts: RunFacts, frameErrors: readonly string[] = []): Receipt {
    return materialized(this.finishLazy(facts, frameErrors));
  }

  /**
   * The same receipt with its long lists made as they are read, from the tables as they stand
   * (sorted once, no copy): what the receipt writer streams. Add nothing after it. Call once.
   */
  finishLazy(facts: RunFacts, frameErrors: readonly string[] = []): LazyReceipt {
    if (this.finished) throw new Error('Aggregator: finish() called twice');
    this.finished = true;
    if (this.root === null) this.setRoot(facts);
    else if (this.root.root_pid !== facts.root_pid || this.root.controller_pid !== facts.controller_pid) {
      throw new Error(`Aggregator: the run facts name root ${facts.root_pid}, the frames were folded for root ${this.root.root_pid}`);
    }
    const t0 = facts.mono_start_ns;
    const table = this.processes!.finish(facts);
    const root = table.root;
    this.resolveRepeats();
    const tampering = this.tampering.section();
    const dns = this.dns.section();
    const collector = this.collector.section(facts, frameErrors, tampering, this.dns.skipped, this.network.unreported);

    const exitCode = root !== null ? root.exitCode : facts.exit.code;
    const signal = root !== null ? root.signal : facts.exit.signal;
    const status = shellStatus(exitCode, signal);

    const errors: string[] = [];
    if (facts.exec_error !== null) errors.push(`${facts.command[0]}: ${errnoText(facts.exec_error)}`);
    errors.push(...facts.errors);
    errors.push(...tamperLines(tampering));
    if (collector.status !== 'ok') errors.push(`collector ${collector.status}: ${collector.reason ?? 'no reason given'}`);

    const duration = Math.max(0, nsToMs(facts.mono_start_ns, facts.mono_end_ns));
    const receipt: LazyReceipt = {
      schema_version: SCHEMA_VERSION,
      execution_id: executionId(facts),
      command: [...facts.command],
      outcome: { exit_code: signal !== null ? null : exitCode, signal, errors },
      timing: { started_at: facts.started_at, finished_at: facts.finished_at, duration_ms: duration },
      process_tree: processTree(table, t0),
      environment: environmentSection(facts, root?.exe ?? null),
      collector,
      artifacts: { stdout: { ...facts.stdout }, stderr: { ...facts.stderr } },
      exit_code: status,
      duration_ms: duration,
      processes: processList(table, t0),
      filesystem: this.filesystem.section(facts.digests),
      network: this.network.section(this.dns.hosts()),
      dns,
      syscalls: this.collector.syscalls(),
      mount_namespaces: this.mountNamespaces.section(),
    };
    return receipt;
  }
}

/** A lazy receipt with its lists read into arrays: the same object, the same JSON. */
export function materialized(receipt: LazyReceipt): Receipt {
  const { filesystem } = receipt;
  return {
    ...receipt,
    processes: [...receipt.processes],
    filesystem: {
      ...filesystem,
      reads: [...filesystem.reads],
      writes: [...filesystem.writes],
      failed: [...filesystem.failed],
      changes: [...filesystem.changes],
      outputs: [...filesystem.outputs],
      removed: [...filesystem.removed],
    },
    network: [...receipt.network],
  };
}

/**
 * Fold frames (in stream order) and run facts into a receipt: the Aggregator over a list, for
 * tests and callers that have the frames at hand.
 */
export function aggregate(frames: readonly Frame[], facts: RunFacts, frameErrors: readonly string[] = []): Receipt {
  const aggregator = new Aggregator(facts);
  for (const f of frames) aggregator.add(f);
  return aggregator.finish(facts, frameErrors);
}
