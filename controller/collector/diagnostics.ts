// Opt-in diagnostics on stderr: GLASSHOUSE_DEBUG_EVENTS (decoded frames, first 200),
// GLASSHOUSE_DEBUG_COUNTS (frames by type at the end), GLASSHOUSE_DEBUG_TRACKING (follow,
// root exit, collector status changes).
import type { Frame } from '../schema/frames.js';

const MAX_EVENTS_SHOWN = 200;

const enabled = (v: string | undefined): boolean => v !== undefined && v !== '' && v !== '0';

export class Diagnostics {
  readonly events: boolean;
  readonly counts: boolean;
  readonly tracking: boolean;
  private shown = 0;
  private hidden = 0;
  private byType = new Map<string, number>();
  private readonly write: (line: string) => void;

  constructor(env: NodeJS.ProcessEnv = process.env, write: (line: string) => void = (l) => process.stderr.write(l + '\n')) {
    this.events = enabled(env.GLASSHOUSE_DEBUG_EVENTS);
    this.counts = enabled(env.GLASSHOUSE_DEBUG_COUNTS);
    this.tracking = enabled(env.GLASSHOUSE_DEBUG_TRACKING);
    this.write = write;
  }

  frame(frame: Frame): void {
    if (!this.counts && !this.events) return;
    this.byType.set(frame.t, (this.byType.get(frame.t) ?? 0) + 1);
    if (!this.events) return;
    if (this.shown < MAX_EVENTS_SHOWN) {
      this.shown++;
      this.write(JSON.stringify(frame));
    } else this.hidden++;
  }

  track(message: string): void {
    if (this.tracking) this.write(`glasshouse: tracking: ${message}`);
  }

  /** Print the end-of-run summaries that were asked for. */
  finish(): void {
    if (this.events && this.hidden > 0) this.write(`glasshouse: debug: ${this.hidden} more frames not shown`);
    if (this.counts) {
      const parts = [...this.byType.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([t, n]) => `${t}=${n}`);
      this.write(`glasshouse: frame counts: ${parts.length > 0 ? parts.join(' ') : 'none'}`);
    }
  }
}
