// The controller's own lines on stderr (all prefixed "glasshouse: "; notes are silenced by
// --quiet, errors that change gh-run's exit status are not).
import type { UnavailableKind } from '../collector/errors.js';

/** The one line printed when the collector cannot run: why, and the exact command that fixes it. */
export function unavailableLine(reason: string, kind: UnavailableKind, helperPath: string): string {
  const hint = fixFor(kind, helperPath);
  return `glasshouse: collector unavailable: ${reason}; the command runs untraced${hint ? ` (fix: ${hint})` : ''}`;
}

/** What fixes it, with the helper's absolute path: `make setcap` only works in the source tree. */
export function fixFor(kind: UnavailableKind, helperPath: string): string | null {
  if (kind === 'permission') return `sudo ${setcapCommand(helperPath)}, or run as root`;
  if (kind === 'btf') return 'this kernel lacks BTF (/sys/kernel/btf/vmlinux)';
  if (kind === 'missing') return "'make' in the source tree, then 'sudo make install'";
  return null;
}

/** The exact command that gives the helper at `helperPath` the capabilities it needs. */
export function setcapCommand(helperPath: string): string {
  return `setcap cap_bpf,cap_perfmon+ep ${shellQuote(helperPath)}`;
}

/** The setuid alternative, for file systems without file capabilities. */
export function setuidCommand(helperPath: string): string {
  const path = shellQuote(helperPath);
  return `sudo chown root:root ${path} && sudo chmod 4755 ${path}`;
}

const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

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
