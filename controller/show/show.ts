// `glasshouse show [RECEIPT]`: the terminal summary (summary.ts) or, with --html, the
// self-contained report (html.ts), of a receipt of any readable schema. Exit 0, or 2 with one
// line on stderr when the receipt cannot be read or the report cannot be written.
import { DestinationError, openDestination } from '../receipt/destination.js';
import { ReceiptWriteError } from '../receipt/errors.js';
import { writeTo } from '../receipt/write-receipt.js';
import { readReceiptFile, ShowInputError } from './read.js';
import { renderSummary, terminalOf, type Section } from './summary.js';

export interface ShowOptions {
  receipt: string;
  /** --html: write the report to `output` instead of printing the summary */
  html: boolean;
  output: string;
  all: boolean;
  sections: readonly Section[];
  /** --color / --no-color; null: when stdout is a terminal and NO_COLOR is not set */
  color: boolean | null;
}

export const SHOW_INPUT_ERROR = 2;

interface Io {
  stdout: NodeJS.WriteStream | { write(s: string, done: () => void): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

export async function show(options: ShowOptions, io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`glasshouse: show: ${message}\n`);
    return SHOW_INPUT_ERROR;
  };
  try {
    const shown = readReceiptFile(options.receipt);
    if (!options.html) {
      const text = renderSummary(shown, { ...terminalOf(io.stdout, io.env, options.color), all: options.all, sections: options.sections });
      // written out before the exit: a pipe takes 64 KiB at once, and process.exit drops the rest
      await new Promise<void>((done) => io.stdout.write(text, () => done()));
      return 0;
    }
    // checked before the work: a regular file atomically (no half report left behind),
    // /dev/stdout or /dev/fd/N in place
    const destination = openDestination(options.output, 'the report');
    const { renderHtml } = await import('./html.js');
    const html = renderHtml(shown);
    await writeTo(destination, [html], 'the report');
    if (destination.kind === 'file') io.stderr.write(`glasshouse: report: ${destination.path}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ShowInputError || error instanceof DestinationError || error instanceof ReceiptWriteError) return fail(error.message);
    throw error;
  }
}
