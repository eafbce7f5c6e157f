// The collector section: how complete the observation was. "degraded" whenever something
// may be missing (events lost, helper died without its end frame, invalid frames). Folded
// frame by frame: only the counts and the hello, last stats and last end frames are kept.
import type { EndFrame, Frame, HelloFrame, StatsFrame } from '../schema/frames.js';
import type { Receipt, TamperEntry } from '../schema/receipt.js';
import type { RunFacts } from '../schema/run-facts.js';

export class CollectorTally {
  private hello: HelloFrame | null = null;
  private end: EndFrame | null = null;
  private stats: StatsFrame | null = null;
  private events = 0;
  private eventsFolded = 0;
  private repeatsLost = 0;

  /** `n` repeats counted in the kernel were added to the entry of the event they repeat. */
  folded(n: number): void {
    this.eventsFolded += n;
  }

  /** `n` repeats of an event that never arrived (it was lost): lost as well. */
  unresolved(n: number): void {
    this.repeatsLost += n;
  }

  add(f: Frame): void {
    switch (f.t) {
      case 'exec':
      case 'fork':
      case 'exit':
      case 'open':
      case 'net':
      case 'socket':
      case 'dns':
      case 'change':
      case 'tamper':
      case 'withheld':
      case 'mounts':
        this.events++;
        break;
      case 'hello':
        if (this.hello === null) this.hello = f;
        break;
      case 'stats':
        this.stats = f;
        break;
      case 'end':
        this.end = f;
        break;
      default:
        break;
    }
  }

  /**
   * `tampering`: the tree's attempts on gh-run and the helper; any degrades the status.
   * `dnsSkipped`: DNS messages not in the dns section (dns.ts). `sendsUnreported`: sendmmsg
   * messages past the first 64 of a call, whose destinations were not looked at.
   */
  section(facts: RunFacts, frameErrors: readonly string[], tampering: TamperEntry[] = [], dnsSkipped = 0, sendsUnreported = 0): Receipt['collector'] {
    const { hello, end, stats, events } = this;
    const lost = (end?.lost ?? stats?.lost ?? 0) + this.repeatsLost;
    const folded = this.eventsFolded;
    const argvCaptured = hello?.argv ?? false;
    // protocol 5 counts bytes per socket: before it, bytes 0 means not counted
    const networkBytes = hello !== null && hello.proto >= 5;
    const counts = { events, events_lost: lost, events_folded: folded, argv_captured: argvCaptured, network_bytes: networkBytes, dns_skipped: dnsSkipped, sends_unreported: sendsUnreported };
    if (facts.collector.status === 'unavailable') {
      return { status: 'unavailable', reason: facts.collector.reason, ...counts, tampering };
    }
    const reasons: string[] = [];
    if (tampering.length > 0) {
      const n = tampering.reduce((sum, e) => sum + e.count, 0);
      reasons.push(`tampering: ${n} attempt${n === 1 ? '' : 's'} on gh-run or the helper (collector.tampering)`);
    }
    if (facts.collector.reason !== null) reasons.push(facts.collector.reason);
    else if (end === null) reasons.push('the helper sent no end frame (it may have died)');
    if (lost > 0) reasons.push(`${lost} events lost (ring buffer full)`);
    if (frameErrors.length > 0) {
      const shown = frameErrors.slice(0, 3).join('; ');
      const more = frameErrors.length > 3 ? ` and ${frameErrors.length - 3} more` : '';
      reasons.push(`${frameErrors.length} invalid frame(s): ${shown}${more}`);
    }
    const degraded = facts.collector.status === 'degraded' || reasons.length > 0;
    return { status: degraded ? 'degraded' : 'ok', reason: reasons.length > 0 ? reasons.join('; ') : null, ...counts, tampering };
  }

  /** The end frame's syscall counts with keys sorted by name; empty without an end frame. */
  syscalls(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.end === null) return out;
    for (const name of Object.keys(this.end.syscalls).sort()) out[name] = this.end.syscalls[name]!;
    return out;
  }
}
