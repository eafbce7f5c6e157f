// The controller's own lines on stderr (all prefixed "glasshouse: "; notes are silenced by
// --quiet, errors that change gh-run's exit status are not).
import type { UnavailableKind } from '../collector/errors.js';

const HINTS: Partial<Record<UnavailableKind, string>> = {
  permission: "run 'sudo make setcap' or run as root",
  btf: 'this kernel lacks BTF (/sys/kernel/btf/vmlinux)',
  missing: "run 'make'",
};

/** The one line printed when the collector cannot run. */
export function unavailableLine(reason: string, kind: UnavailableKind): string {
  const hint = HINTS[kind];
  return `glasshouse: collector unavailable: ${reason}; the command runs untraced${hint ? ` (fix: ${hint})` : ''}`;
}

export class Reporter {
  constructor(
    private readonly quiet: boolean,
    private readonly write: (text: string) => void = (t) => process.stderr.write(t),
  ) {}

  /** A full line, printed as is. */
  line(text: string): void {
    if (!this.quiet) this.write(text + '\n');
  }

  /** A message, prefixed "glasshouse: ". */
  say(text: string): void {
    this.line(`glasshouse: ${text}`);
  }

  /** An error that changes gh-run's exit status, prefixed "glasshouse: error: ": printed even when quiet. */
  error(text: string): void {
    this.write(`glasshouse: error: ${text}\n`);
  }
}
