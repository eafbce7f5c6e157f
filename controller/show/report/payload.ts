// What renderHtml (node) hands the report's page (the browser): the receipt, already turned into
// display text and rows, embedded as JSON. Shared by both sides; it holds only types, so that
// neither the DOM nor Node is needed to compile it.

/** How a process ended, as the timeline colours it. */
export type Outcome = 'ok' | 'nonzero' | 'signal' | 'running' | 'unknown';

/**
 * One process, in tree order (depth first, children by start time): a tuple rather than an
 * object, so that 10,000 processes do not repeat 10,000 times each key.
 */
export type ProcRow = [
  pid: number,
  depth: number,
  /** how many processes are below it (its whole subtree): the rows a collapsed node hides */
  descendants: number,
  /** its direct children */
  children: number,
  /** argv, quoted as a shell would need it (or a note when argv is not known) */
  command: string,
  exe: string,
  startMs: number,
  /** where its bar ends: its exit, or the end of the run when it still runs or its end is unknown */
  barEndMs: number,
  outcome: Outcome,
  /** 1 when it exited but when is not recorded (bar drawn to the run's end, hatched) */
  endUnknown: 0 | 1,
  /** "exit 0", "exit 3", "SIGKILL", "running", ... */
  status: string,
  /** marks: "privileged", "withheld 12 syscalls", "exec /x: ENOENT", ... */
  marks: string[],
];

export type Cell = string | number | null;

export interface Column {
  label: string;
  /** num: sorted as numbers, right-aligned; hash: a sha256 shown shortened (full in its title) */
  kind: 'text' | 'num' | 'hash';
  /** relative width (CSS fr) */
  width: number;
}

export interface Table {
  id: string;
  title: string;
  /** a line under the title: what the section means, or why it is empty */
  note: string | null;
  /** set when the receipt's schema did not record this section: the table is not "nothing" */
  unrecorded: string | null;
  columns: Column[];
  rows: Cell[][];
}

export interface Banner {
  level: 'error' | 'warn' | 'info';
  text: string;
}

export interface Payload {
  command: string;
  /** "exit 3", "killed by SIGKILL", ... */
  exit: string;
  exitFailed: boolean;
  duration: string;
  started: string;
  finished: string;
  schema: string;
  currentSchema: string;
  /** "Not recorded by this receipt's schema (0.3): ..." or null */
  unrecordedLine: string | null;
  banners: Banner[];
  /** [label, value] pairs: the collector, the environment, the outputs */
  facts: { title: string; rows: [string, string][] }[];
  errors: string[];
  /** the timeline's span in ms (the run's duration, or the last thing seen when later) */
  totalMs: number;
  procs: ProcRow[];
  tables: Table[];
}
