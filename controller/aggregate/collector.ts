// The collector section: how complete the observation was. "degraded" whenever something
// may be missing (events lost, helper died without its end frame, invalid frames).
import type { EndFrame, Frame, HelloFrame, StatsFrame } from '../schema/frames.js';
import { isEventFrame } from '../schema/frames.js';
import type { Receipt } from '../schema/receipt.js';
import type { RunFacts } from '../schema/run-facts.js';

export function collectorSection(frames: readonly Frame[], facts: RunFacts, frameErrors: readonly string[]): Receipt['collector'] {
  let hello: HelloFrame | null = null;
  let end: EndFrame | null = null;
  let stats: StatsFrame | null = null;
  let events = 0;
  for (const f of frames) {
    if (isEventFrame(f)) events++;
    else if (f.t === 'hello' && hello === null) hello = f;
    else if (f.t === 'stats') stats = f;
    else if (f.t === 'end') end = f;
  }
  const lost = end?.lost ?? stats?.lost ?? 0;
  const argvCaptured = hello?.argv ?? false;
  if (facts.collector.status === 'unavailable') {
    return { status: 'unavailable', reason: facts.collector.reason, events, events_lost: lost, argv_captured: argvCaptured };
  }
  const reasons: string[] = [];
  if (facts.collector.reason !== null) reasons.push(facts.collector.reason);
  else if (end === null) reasons.push('the helper sent no end frame (it may have died)');
  if (lost > 0) reasons.push(`${lost} events lost (ring buffer full)`);
  if (frameErrors.length > 0) {
    const shown = frameErrors.slice(0, 3).join('; ');
    const more = frameErrors.length > 3 ? ` and ${frameErrors.length - 3} more` : '';
    reasons.push(`${frameErrors.length} invalid frame(s): ${shown}${more}`);
  }
  const degraded = facts.collector.status === 'degraded' || reasons.length > 0;
  return {
    status: degraded ? 'degraded' : 'ok',
    reason: reasons.length > 0 ? reasons.join('; ') : null,
    events,
    events_lost: lost,
    argv_captured: argvCaptured,
  };
}

/** The end frame's syscall counts with keys sorted by name; empty without an end frame. */
export function syscallsSection(frames: readonly Frame[]): Record<string, number> {
  let end: EndFrame | null = null;
  for (const f of frames) if (f.t === 'end') end = f;
  const out: Record<string, number> = {};
  if (end === null) return out;
  for (const name of Object.keys(end.syscalls).sort()) out[name] = end.syscalls[name]!;
  return out;
}
