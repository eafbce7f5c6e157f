// The helper's stderr, line by line: forwarded to ours (unless --quiet), each line named as the
// helper's. Lines are held while the helper starts, and while a follow waits for its answer:
// when it cannot start or follow, its last line says what its error frame says, which the
// controller reports itself (with the fix); that line is then dropped, said once, not twice.
const PREFIX = 'glasshouse-helper: ';

export class HelperStderr {
  /** the last non-empty line, the best explanation of a death without an error frame */
  last: string | null = null;
  private rest = '';
  private held: string[] | null = [];
  /** messages of fatal error frames: the controller reports them */
  private readonly fatal = new Set<string>();

  constructor(
    private readonly quiet: boolean,
    private readonly write: (text: string) => void = (text) => process.stderr.write(text),
  ) {}

  /** A chunk of the helper's stderr; a line still unterminated waits for the rest. */
  push(text: string): void {
    const lines = (this.rest + text).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      this.last = line.trim();
      // the helper names itself on its own lines; libbpf's lines do not
      const named = line.startsWith(PREFIX) ? line : `${PREFIX}${line}`;
      if (this.held !== null) this.held.push(named);
      else this.say(named);
    }
  }

  /** End of stderr: an unterminated last line counts. */
  end(): void {
    this.push('\n');
  }

  /** A fatal error frame's message: the line that repeats it is not said. */
  fatalMessage(message: string): void {
    this.fatal.add(message);
  }

  /** Hold the lines from now on (a follow waits for its answer). */
  hold(): void {
    this.held ??= [];
  }

  /** Say the held lines, and stop holding. */
  release(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    for (const line of held) this.say(line);
  }

  private say(named: string): void {
    if (this.quiet || this.fatal.has(named.slice(PREFIX.length))) return;
    this.write(`${named}\n`);
  }
}
