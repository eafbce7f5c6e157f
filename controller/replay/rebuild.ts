// The receipt of a recording: the same aggregator, the same frames (decoded from the same
// bytes, folded one by one as in the live run) and the same run facts as the live run, so the
// same receipt, byte for byte. For a damaged or truncated recording, the receipt of what could
// be read, marked degraded.
import { Aggregator, materialized } from '../aggregate/aggregate.js';
import { decodeFrames } from '../collector/frame-pipeline.js';
import type { FrameError } from '../schema/frame-error.js';
import type { LazyReceipt, Receipt } from '../schema/receipt.js';
import type { StartFacts } from '../schema/recording.js';
import type { RunFacts } from '../schema/run-facts.js';
import { InvalidRecordingFrameError, TruncatedRecordingError, type RecordingError } from './errors.js';
import type { RecordingParts } from './read-recording.js';

export interface Rebuilt<R extends LazyReceipt = Receipt> {
  receipt: R;
  /** null: the receipt is the live run's; else why it is only partial */
  problem: RecordingError | null;
}

const EMPTY = Buffer.alloc(0);
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Why: the receipt of a recording as plain data (tests, tools); see rebuildLazy. */
export function rebuild(parts: RecordingParts): Rebuilt {
  const { receipt, problem } = rebuildLazy(parts);
  return { receipt: materialized(receipt), problem };
}

/** Why: the receipt of a recording with its long lists made as they are written (the replay command). */
export function rebuildLazy(parts: RecordingParts): Rebuilt<LazyReceipt> {
  const { run, damage } = parts;
  if (damage === null && run !== null) {
    // helper.used false: the live run decoded nothing, so there is nothing to name either
    const { receipt, errors } = fold(run.helper.used ? parts.helper : EMPTY, run.facts, true);
    // the live run tolerated these frames too (its receipt says so), but a replay names them
    const first = errors[0];
    const problem = first ? new InvalidRecordingFrameError(first.relocated(parts.helperOffset), errors.length) : null;
    return { receipt, problem };
  }
  const problem = damage!;
  const kind = problem instanceof TruncatedRecordingError ? 'truncated' : 'damaged';
  const unknown = run === null ? ' (exit status, output hashes and end time unknown)' : '';
  const facts: RunFacts = {
    ...(run?.facts ?? factsFromStart(parts.start, parts.helper)),
    collector: { status: 'degraded', reason: `replayed from a ${kind} recording: ${problem.message}${unknown}` },
  };
  return { receipt: fold(parts.helper, facts, run === null || run.helper.used).receipt, problem };
}

/**
 * Decode the helper's stream frame by frame into the aggregator and build the receipt. `frames`
 * false: the live run used none (the helper never got going), only the stream's errors count.
 */
function fold(helper: Buffer, facts: RunFacts, frames: boolean): { receipt: LazyReceipt; errors: FrameError[] } {
  const aggregator = new Aggregator(facts);
  const errors = decodeFrames(helper, frames ? (frame) => aggregator.add(frame) : () => undefined);
  return { receipt: aggregator.finishLazy(facts, errors.map((e) => e.message)), errors };
}

/** Run facts for a recording whose end never made it: what the start and the frames tell. */
function factsFromStart(start: StartFacts, helper: Buffer): RunFacts {
  let rootPid: number | null = null;
  let end = start.mono_start_ns;
  decodeFrames(helper, (f) => {
    if (f.t === 'following' && rootPid === null) rootPid = f.pid;
    if ('ts' in f && f.ts > end) end = f.ts;
  });
  return {
    ...start,
    finished_at: addMs(start.started_at, (end - start.mono_start_ns) / 1e6),
    mono_end_ns: end,
    root_pid: rootPid,
    exit: { code: null, signal: null },
    exec_error: null,
    errors: [],
    stdout: { sha256: EMPTY_SHA256, bytes: 0 },
    stderr: { sha256: EMPTY_SHA256, bytes: 0 },
    collector: { status: 'degraded', reason: null },
  };
}

/** RFC 3339 time `ms` after `iso` (no clock read); `iso` itself when either is unusable. */
function addMs(iso: string, ms: number): string {
  const t = Date.parse(iso) + Math.round(ms);
  const date = new Date(t);
  return Number.isFinite(date.getTime()) ? date.toISOString() : iso;
}
