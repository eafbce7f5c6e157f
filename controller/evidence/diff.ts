// `glasshouse diff A B`: two receipts compared by what the command did, not by their bytes.
// Each category is a set of normalised items (normalise.ts): pids, times, counts and random temp
// names never make a difference; what one run did and the other did not does. Exit 0, or 1 when
// --fail-on names a kind of difference that is there, or 2 with one line on stderr when a
// receipt cannot be read.
import type { Receipt } from '../schema/receipt.js';
import { readReceiptFile, ShowInputError, type Shown } from '../show/read.js';
import { printable, quoteArgv } from '../show/quote.js';
import { terminalOf } from '../show/summary.js';
import { FAIL_KINDS, type FailKind } from './kinds.js';
import { normaliseArg, normalisePath, normalisePort, scratchPaths } from './normalise.js';

export const CATEGORIES = ['exit', 'execs', 'writes', 'outputs', 'removed', 'changes', 'reads', 'failed', 'network', 'dns', 'syscalls'] as const;
export type Category = (typeof CATEGORIES)[number];

const TITLES: Record<Category, string> = {
  exit: 'exit',
  execs: 'programs executed',
  writes: 'files written',
  outputs: 'outputs',
  removed: 'removed paths',
  changes: 'changes',
  reads: 'reads outside system directories',
  failed: 'failed opens',
  network: 'network peers',
  dns: 'DNS names',
  syscalls: 'syscalls',
};

export { FAIL_KINDS, type FailKind };

/**
 * Read but not compared: where programs and libraries come from, and what the kernel, the
 * loader and the C library read for any program (the loader's cache, locale, time zone). A read
 * anywhere else (the project, $HOME, /etc/passwd, /tmp) is compared. `--system DIR` adds more.
 */
export const SYSTEM_DIRS = [
  '/usr',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/bin',
  '/sbin',
  '/proc',
  '/sys',
  '/dev',
  '/etc/ld.so.cache',
  '/etc/locale.alias',
  '/etc/localtime',
  '/etc/timezone',
  '/var/lib/locales',
  '/var/cache/fontconfig',
] as const;

export interface DiffOptions {
  a: string;
  b: string;
  json: boolean;
  failOn: readonly FailKind[];
  /** counts of the same item that differ are differences too */
  counts: boolean;
  /** directories added to SYSTEM_DIRS (absolute, no trailing slash) */
  system: readonly string[];
  /** --color / --no-color; null: when stdout is a terminal and NO_COLOR is not set */
  color: boolean | null;
}

/** One side of a category: items by their key (what is compared), each with its count. */
interface Side {
  items: Map<string, Item>;
}
interface Item {
  /** what is shown: the normalised item */
  value: Record<string, unknown>;
  text: string;
  count: number;
  /** outputs: the sha256 of the content, null when not taken */
  sha256?: string | null;
}

export interface CountChange {
  item: Record<string, unknown>;
  a: number;
  b: number;
}
export interface DigestChange {
  path: string;
  a: string;
  b: string;
}
export interface CategoryDiff {
  added: Record<string, unknown>[];
  removed: Record<string, unknown>[];
  /** outputs only: same path, different content */
  changed?: DigestChange[];
  /** --counts only */
  counts?: CountChange[];
}
export interface DiffResult {
  a: string;
  b: string;
  differences: Record<Category, CategoryDiff>;
  equal: boolean;
  /** why the comparison may be incomplete (a degraded collector, an older schema, no digests) */
  notes: string[];
}

// --- collecting each receipt's items -------------------------------------------------------

function side(): Side {
  return { items: new Map() };
}
function add(s: Side, value: Record<string, unknown>, text: string, count: number, sha256?: string | null): void {
  const key = JSON.stringify(value);
  const had = s.items.get(key);
  if (had) {
    had.count += count;
    // two outputs normalised to one name: their contents cannot be told apart, so not compared
    if (sha256 !== undefined && had.sha256 !== sha256) had.sha256 = null;
    return;
  }
  s.items.set(key, sha256 === undefined ? { value, text, count } : { value, text, count, sha256 });
}

const under = (path: string, dirs: readonly string[]): boolean => dirs.some((d) => d === '/' || path === d || path.startsWith(d + '/'));

function sides(r: Receipt, system: readonly string[]): Record<Category, Side> {
  const s = Object.fromEntries(CATEGORIES.map((c) => [c, side()])) as Record<Category, Side>;
  const fs = r.filesystem;
  const scratch = scratchPaths(fs.writes, fs.changes);
  // file system paths: rule 5 of normalise.ts needs what this run created and deleted
  const pathOf = (p: string): string => normalisePath(p, scratch);
  add(s.exit, { exit_code: r.outcome.exit_code, signal: r.outcome.signal }, r.outcome.signal !== null ? `killed by ${printable(r.outcome.signal)}` : `exit ${r.outcome.exit_code ?? '?'}`, 1);
  for (const p of r.processes) {
    for (const e of p.execs) {
      if (e.result !== 'ok') continue;
      const path = normalisePath(e.path);
      const argv = e.argv === null ? null : e.argv.map(normaliseArg);
      add(s.execs, { path, argv }, `${printable(path)}${argv === null ? '' : `: ${quoteArgv(argv)}`}`, 1);
    }
  }
  for (const w of fs.writes) {
    const path = pathOf(w.path);
    add(s.writes, { path }, printable(path), w.count);
  }
  for (const o of fs.outputs) {
    const path = pathOf(o.path);
    add(s.outputs, { path }, printable(path), 1, o.digest?.sha256 ?? null);
  }
  for (const d of fs.removed) {
    const path = pathOf(d.path);
    add(s.removed, { path }, printable(path), 1);
  }
  for (const c of fs.changes) {
    const v: Record<string, unknown> = { op: c.op, path: c.path === null ? null : pathOf(c.path) };
    if (c.to !== undefined) v.to = pathOf(c.to);
    if (c.target !== undefined) v.target = normaliseArg(c.target);
    if (c.mode !== undefined) v.mode = c.mode;
    let text = `${c.op} ${v.path === null ? '(no path)' : printable(v.path as string)}`;
    if (v.to !== undefined) text += ` → ${printable(v.to as string)}`;
    if (v.target !== undefined) text += ` → ${printable(v.target as string)}`;
    if (v.mode !== undefined) text += ` mode ${c.mode}`;
    add(s.changes, v, text, c.count);
  }
  for (const e of fs.reads) {
    if (under(e.path, system)) continue;
    const path = pathOf(e.path);
    add(s.reads, { path }, printable(path), e.count);
  }
  for (const f of fs.failed) {
    const path = pathOf(f.path);
    add(s.failed, { path, errno: f.errno }, `${printable(path)} (${f.errno})`, f.count);
  }
  for (const n of r.network) {
    // the direction matters (listening on a port is not connecting to it); the result, the pid
    // and the number of calls do not (a non-blocking connect's outcome may or may not be known)
    const direction = n.op === 'listen' ? 'listen' : n.op === 'accept' ? 'accept' : n.op === 'socket' ? 'socket' : 'connect';
    const peer = n.host ?? (n.family === 'unix' ? normalisePath(n.address) : n.address);
    const port = normalisePort(n.op, n.address, n.port);
    const where = port === '' ? peer : peer.includes(':') && n.family === 'inet6' && n.host === null ? `[${peer}]:${port}` : `${peer}:${port}`;
    add(s.network, { direction, protocol: n.protocol, peer, port }, `${direction} ${printable(n.protocol)} ${printable(where || '(no peer)')}`, n.count);
  }
  for (const d of r.dns) add(s.dns, { name: d.name, type: d.type }, `${printable(d.name)} ${d.type}`, d.count);
  for (const [name, count] of Object.entries(r.syscalls)) add(s.syscalls, { name }, printable(name), count);
  return s;
}

// --- comparing -------------------------------------------------------------------------------

/** The differences between two receipts read back (readReceiptFile). */
export function diffReceipts(a: Shown, b: Shown, options: { a: string; b: string; counts: boolean; system: readonly string[] }): DiffResult {
  const system = [...SYSTEM_DIRS, ...options.system];
  const sa = sides(a.receipt, system);
  const sb = sides(b.receipt, system);
  // each note once, naming the receipts it holds for ("A and B: ...")
  const noted = new Map<string, string[]>();
  const note = (who: string, text: string): void => void noted.set(text, [...(noted.get(text) ?? []), who]);
  const skip = new Set<Category>();
  for (const [name, shown] of [
    ['A', a],
    ['B', b],
  ] as const) {
    const c = shown.receipt.collector;
    if (c.status !== 'ok') note(name, `the collector was ${c.status}${c.reason ? ` (${c.reason})` : ''}: what it missed cannot be compared`);
    else if (c.events_lost > 0) note(name, `events were lost: what they held cannot be compared`);
    if (shown.unrecorded.has('changes')) {
      skip.add('changes').add('outputs').add('removed');
      note(name, `changes not recorded (schema ${shown.schema}): changes, outputs and removed paths are not compared`);
    }
    if (shown.unrecorded.has('dns')) {
      skip.add('dns');
      note(name, 'DNS not recorded: DNS names are not compared');
    }
    if (shown.receipt.filesystem.digests === 'off') note(name, 'no digests: the content of outputs is not compared');
  }
  const notes = [...noted].map(([text, who]) => `${who.join(' and ')}: ${text}`);
  const differences = {} as Record<Category, CategoryDiff>;
  let equal = true;
  for (const c of CATEGORIES) {
    const d: CategoryDiff = { added: [], removed: [] };
    if (!skip.has(c)) {
      for (const [k, item] of sb[c].items) if (!sa[c].items.has(k)) d.added.push(item.value);
      for (const [k, item] of sa[c].items) if (!sb[c].items.has(k)) d.removed.push(item.value);
      if (c === 'outputs') {
        d.changed = [];
        for (const [k, ia] of sa[c].items) {
          const ib = sb[c].items.get(k);
          if (ib && ia.sha256 && ib.sha256 && ia.sha256 !== ib.sha256) d.changed.push({ path: ia.value.path as string, a: ia.sha256, b: ib.sha256 });
        }
      }
      // the exit is one item a side: its "count" is no count
      if (options.counts && c !== 'exit') {
        d.counts = [];
        for (const [k, ia] of sa[c].items) {
          const ib = sb[c].items.get(k);
          if (ib && ia.count !== ib.count) d.counts.push({ item: ia.value, a: ia.count, b: ib.count });
        }
      }
    }
    // a stable order whatever the receipts' order: by the item as JSON
    const byJson = (x: unknown, y: unknown): number => (JSON.stringify(x) < JSON.stringify(y) ? -1 : JSON.stringify(x) > JSON.stringify(y) ? 1 : 0);
    d.added.sort(byJson);
    d.removed.sort(byJson);
    d.changed?.sort(byJson);
    d.counts?.sort((x, y) => byJson(x.item, y.item));
    if (d.added.length + d.removed.length + (d.changed?.length ?? 0) + (d.counts?.length ?? 0) > 0) equal = false;
    differences[c] = d;
  }
  return { a: options.a, b: options.b, differences, equal, notes };
}

/** Whether the differences hold one of the kinds --fail-on names. */
export function failsOn(result: DiffResult, kinds: readonly FailKind[]): FailKind[] {
  const d = result.differences;
  const has: Record<FailKind, boolean> = {
    'new-exec': d.execs.added.length > 0,
    'gone-exec': d.execs.removed.length > 0,
    'new-write': d.writes.added.length > 0,
    'new-output': d.outputs.added.length > 0,
    'changed-output': (d.outputs.changed?.length ?? 0) > 0,
    'new-removal': d.removed.added.length > 0,
    'new-change': d.changes.added.length > 0,
    'new-read': d.reads.added.length > 0,
    'new-failed': d.failed.added.length > 0,
    'new-network': d.network.added.length > 0,
    'new-dns': d.dns.added.length > 0,
    'new-syscall': d.syscalls.added.length > 0,
    exit: d.exit.added.length > 0 || d.exit.removed.length > 0,
    any: !result.equal,
  };
  return kinds.filter((k) => has[k]);
}

// --- showing ---------------------------------------------------------------------------------

/** The differences as text for a person: per category a heading, then - (A only) and + (B only). */
export function renderDiff(result: DiffResult, a: Shown, b: Shown, options: { color: boolean; system: readonly string[] }): string {
  const paint = (code: string, s: string): string => (options.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const system = [...SYSTEM_DIRS, ...options.system];
  // the shown text of each item, from the side that has it (the JSON value is the key)
  const texts = [sides(a.receipt, system), sides(b.receipt, system)];
  const textOf = (c: Category, value: Record<string, unknown>): string => {
    const key = JSON.stringify(value);
    return texts[0]![c].items.get(key)?.text ?? texts[1]![c].items.get(key)?.text ?? printable(key);
  };
  const lines: string[] = [];
  lines.push(paint('2', `--- ${printable(result.a)}  ${quoteArgv(a.receipt.command)}`));
  lines.push(paint('2', `+++ ${printable(result.b)}  ${quoteArgv(b.receipt.command)}`));
  for (const note of result.notes) lines.push(paint('33', `note: ${printable(note)}`));
  if (result.equal) {
    lines.push('no behavioural differences');
    return lines.join('\n') + '\n';
  }
  for (const c of CATEGORIES) {
    const d = result.differences[c];
    const n = d.added.length + d.removed.length + (d.changed?.length ?? 0) + (d.counts?.length ?? 0);
    if (n === 0) continue;
    lines.push('');
    lines.push(paint('1', TITLES[c]));
    for (const v of d.removed) lines.push(paint('31', `- ${textOf(c, v)}`));
    for (const v of d.added) lines.push(paint('32', `+ ${textOf(c, v)}`));
    for (const ch of d.changed ?? []) lines.push(paint('33', `~ ${printable(ch.path)}: changed content, sha256 ${ch.a} → ${ch.b}`));
    for (const ch of d.counts ?? []) lines.push(paint('33', `~ ${textOf(c, ch.item)}: count ${ch.a} → ${ch.b}`));
  }
  return lines.join('\n') + '\n';
}

// --- the command -----------------------------------------------------------------------------

export const DIFF_INPUT_ERROR = 2;
export const DIFF_FAILED = 1;

interface Io {
  stdout: { write(s: string, done: () => void): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

export async function diff(options: DiffOptions, io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let a: Shown;
  let b: Shown;
  try {
    a = readReceiptFile(options.a);
    b = readReceiptFile(options.b);
  } catch (error) {
    if (!(error instanceof ShowInputError)) throw error;
    // one line: the message names the file; never 1, which means "differences"
    io.stderr.write(`glasshouse: diff: ${printable(error.message)}\n`);
    return DIFF_INPUT_ERROR;
  }
  const result = diffReceipts(a, b, { a: options.a, b: options.b, counts: options.counts, system: options.system });
  const text = options.json
    ? JSON.stringify(result, null, 2) + '\n'
    : renderDiff(result, a, b, { color: terminalOf(io.stdout, io.env, options.color).color, system: options.system });
  // written out before the exit: a pipe takes 64 KiB at once, and process.exit drops the rest
  await new Promise<void>((done) => io.stdout.write(text, () => done()));
  const failing = failsOn(result, options.failOn);
  if (failing.length > 0) io.stderr.write(`glasshouse: diff: differences of the kinds --fail-on names: ${failing.join(', ')}\n`);
  return failing.length > 0 ? DIFF_FAILED : 0;
}
