// The aggregator: a pure function of (validated frames, run facts) to the receipt. No clock
// reads, no I/O, every list sorted and every object built in schema order, so a recorded
// stream rebuilds the same receipt byte for byte.
import { createHash } from 'node:crypto';
import type { Frame } from '../schema/frames.js';
import { SCHEMA_VERSION, type Receipt } from '../schema/receipt.js';
import type { RunFacts } from '../schema/run-facts.js';
import { collectorSection, syscallsSection } from './collector.js';
import { environmentSection } from './environment.js';
import { errnoText, signalNumber } from './errno.js';
import { filesystemSection } from './filesystem.js';
import { networkSection } from './network.js';
import { nsToMs } from './numbers.js';
import { buildProcessTable, processList, processTree } from './process-tree.js';

/** sha256 hex of `${started_at}\0${rootPid}\0${argv joined with \0}`. */
export function executionId(facts: RunFacts): string {
  const material = `${facts.started_at}\0${facts.root_pid ?? ''}\0${facts.command.join('\0')}`;
  return createHash('sha256').update(material, 'utf8').digest('hex');
}

/**
 * Fold frames (in stream order) and run facts into a receipt. `frameErrors` are the messages
 * of frames that could not be decoded or validated; they degrade the collector status.
 */
export function aggregate(frames: readonly Frame[], facts: RunFacts, frameErrors: readonly string[] = []): Receipt {
  const t0 = facts.mono_start_ns;
  const table = buildProcessTable(frames, facts);
  const root = table.root;
  const tree = processTree(table, t0);
  const collector = collectorSection(frames, facts, frameErrors);

  const exitCode = root !== null ? root.exitCode : facts.exit.code;
  const signal = root !== null ? root.signal : facts.exit.signal;
  const shellStatus = signal !== null ? 128 + (signalNumber(signal) ?? 0) : (exitCode ?? 1);

  const errors: string[] = [];
  if (facts.exec_error !== null) errors.push(`${facts.command[0]}: ${errnoText(facts.exec_error)}`);
  errors.push(...facts.errors);
  if (collector.status !== 'ok') errors.push(`collector ${collector.status}: ${collector.reason ?? 'no reason given'}`);

  const duration = Math.max(0, nsToMs(facts.mono_start_ns, facts.mono_end_ns));
  const receipt: Receipt = {
    schema_version: SCHEMA_VERSION,
    execution_id: executionId(facts),
    command: [...facts.command],
    outcome: { exit_code: signal !== null ? null : exitCode, signal, errors },
    timing: { started_at: facts.started_at, finished_at: facts.finished_at, duration_ms: duration },
    process_tree: tree,
    environment: environmentSection(facts, root?.exe ?? null),
    collector,
    artifacts: {
      stdout: { sha256: facts.stdout.sha256, bytes: facts.stdout.bytes },
      stderr: { sha256: facts.stderr.sha256, bytes: facts.stderr.bytes },
    },
    exit_code: shellStatus,
    duration_ms: duration,
    processes: processList(table, t0),
    filesystem: filesystemSection(frames),
    network: networkSection(frames),
    syscalls: syscallsSection(frames),
  };
  return receipt;
}
