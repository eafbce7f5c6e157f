// `glasshouse show`: a receipt summed up for a person at a terminal, in the order a reviewer
// asks: what ran and how it ended (and whether the collector saw everything), what changed on
// disk, what went over the network, the process tree, what was read, what failed, the busiest
// syscalls. Long lists are cut with "… N more" (`all` shows everything); colour only when asked.
import type { ChangeEntry, NetworkEntry, ProcessNode, Receipt } from '../schema/receipt.js';
import { printable, quoteArg, quoteArgv } from './quote.js';
import type { Shown, Unrecorded } from './read.js';

export const SECTIONS = ['overview', 'disk', 'network', 'processes', 'reads', 'failed', 'syscalls'] as const;
export type Section = (typeof SECTIONS)[number];

export interface SummaryOptions {
  /** columns to fit lines into (argv and paths are cut with "…") */
  width: number;
  color: boolean;
  /** no "… N more": every entry of every list */
  all: boolean;
  sections: readonly Section[];
}

/** Width and colour for a stream: its columns when a terminal (COLUMNS, else 100, when not). */
export function terminalOf(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv, color: boolean | null = null): { width: number; color: boolean } {
  const columns = Number(env.COLUMNS);
  const width = stream.isTTY && stream.columns ? stream.columns : Number.isInteger(columns) && columns > 0 ? columns : 100;
  // https://no-color.org: present and not empty
  return { width, color: color ?? (stream.isTTY === true && !env.NO_COLOR) };
}

const LIMIT = { tree: 25, failures: 10, list: 10, dirs: 12, syscalls: 10 } as const;

/** The summary as text, ending with a newline. */
export function renderSummary(shown: Shown, options: SummaryOptions): string {
  const out = new Out(options);
  const r = shown.receipt;
  const render: Record<Section, () => void> = {
    overview: () => overview(out, shown),
    disk: () => disk(out, r, shown.unrecorded),
    network: () => network(out, r, shown.unrecorded),
    processes: () => processes(out, r),
    reads: () => reads(out, r),
    failed: () => failed(out, r),
    syscalls: () => syscalls(out, r),
  };
  let first = true;
  for (const section of SECTIONS) {
    if (!options.sections.includes(section)) continue;
    if (!first) out.blank();
    first = false;
    render[section]();
  }
  return out.text();
}

// --- the sections ---------------------------------------------------------------------------

function overview(out: Out, shown: Shown): void {
  const r = shown.receipt;
  const c = r.collector;
  out.line(`${out.bold('command')}    ${quoteArgv(r.command)}`);
  const ended = r.outcome.signal !== null ? out.red(`killed by ${r.outcome.signal}`) : r.outcome.exit_code === 0 ? out.green('exit 0') : out.red(`exit ${r.outcome.exit_code ?? '?'}`);
  out.line(`${out.bold('ended')}      ${ended} after ${showMs(r.timing.duration_ms)}, ${plural(r.processes.length, 'process', 'processes')}  ${out.dim(r.timing.started_at)}`);
  const events = `${plural(c.events, 'event')}, ${c.events_lost} lost`;
  if (c.status === 'ok') {
    out.line(`${out.bold('collector')}  ${out.green('ok')} (${events})`);
  } else {
    // loud: what the receipt lacks matters more than anything in it
    const what = c.status === 'unavailable' ? 'UNAVAILABLE: nothing of the tree was traced' : `DEGRADED: the receipt is incomplete`;
    out.line(`${out.bold('collector')}  ${out.alarm(` ${what} `)}`);
    if (c.reason) out.line(`           ${out.red(printable(c.reason))}`);
    out.line(`           ${c.events_lost > 0 ? out.red(events) : events}`);
  }
  if (c.tampering.length > 0) out.line(`${out.bold('tampering')}  ${out.red(`${plural(c.tampering.length, 'attempt')} on gh-run or its helper`)}: ${c.tampering.map((e) => `${printable(e.call)} ${printable(e.detail)} (pid ${e.pid}, ${e.result})`).join('; ')}`);
  for (const e of r.outcome.errors) out.line(`${out.bold('error')}      ${out.red(printable(e))}`);
  const privileged = r.processes.filter((p) => p.privileged).length;
  if (privileged > 0) out.line(`${out.bold('withheld')}   ${plural(privileged, 'process', 'processes')} ran with privilege the caller may not trace: their files, network and syscalls are not in the receipt`);
  if (shown.unrecorded.size > 0) out.line(out.dim(`schema ${shown.schema}: not recorded: ${[...shown.unrecorded].map(unrecordedName).join(', ')}`));
}

function disk(out: Out, r: Receipt, unrecorded: ReadonlySet<Unrecorded>): void {
  const fs = r.filesystem;
  if (unrecorded.has('changes')) {
    // an old receipt: no net effect, only what was opened for writing
    out.heading('Written', `${plural(fs.writes.length, 'file')} (this schema did not record changes or outputs)`);
    out.list(fs.writes, LIMIT.list, (w) => `  ${out.yellow('w')} ${printable(w.path)}${times(w.count)}`);
    return;
  }
  const n = fs.outputs.length + fs.removed.length + fs.changes.length;
  out.heading('Changed on disk', `${fs.outputs.length} left, ${fs.removed.length} removed, ${plural(fs.changes.length, 'change')} to names and metadata`);
  if (n === 0) return out.line(out.dim('  nothing'));
  out.list(fs.outputs, LIMIT.list, (o) => {
    const digest = o.digest !== null ? `${showBytes(o.digest.size)}  sha256:${o.digest.sha256.slice(0, 16)}` : fs.digests === 'off' ? '' : out.dim('no digest');
    return `  ${o.created ? out.green('+') : out.yellow('~')} ${printable(o.path)}  ${digest}`;
  });
  out.list(fs.removed, LIMIT.list, (e) => `  ${out.red('-')} ${printable(e.path)}  ${out.dim(`(${e.op})`)}`);
  out.list(fs.changes, LIMIT.list, (ch) => `  ${out.dim('·')} ${showChange(ch)}${ch.result === 'ok' ? '' : ' ' + out.red(`✗ ${ch.result}`)}${times(ch.count)}`);
}

function showChange(c: ChangeEntry): string {
  const path = c.path !== null ? printable(c.path) : `fd ${c.fd ?? '?'}`;
  switch (c.op) {
    case 'rename':
      return `rename ${path} → ${printable(c.to ?? '?')}`;
    case 'link':
      return `link ${path} → ${printable(c.to ?? '?')}`;
    case 'symlink':
      return `symlink ${path} → ${quoteArg(c.target ?? '')}`;
    case 'chmod':
    case 'mkdir':
      return `${c.op} ${c.mode ?? ''} ${path}`;
    case 'chown':
      return `chown ${c.uid ?? -1}:${c.gid ?? -1} ${path}`;
    case 'truncate':
      return `truncate ${path} to ${showBytes(c.size ?? 0)}`;
    case 'mknod':
      return `mknod ${c.kind ?? ''}${c.dev ? ' ' + c.dev : ''} ${path}`;
    default:
      return `${c.op} ${path}`;
  }
}

interface Peer {
  name: string;
  address: string;
  ports: Set<string>;
  ops: Map<string, number>;
  failures: Map<string, number>;
  sent: number;
  received: number;
  pids: Set<number>;
}

function network(out: Out, r: Receipt, unrecorded: ReadonlySet<Unrecorded>): void {
  // by peer: the host a DNS answer gave, else the address; listening sockets apart
  const peers = new Map<string, Peer>();
  const listening: NetworkEntry[] = [];
  for (const n of r.network) {
    if (n.op === 'listen') {
      listening.push(n);
      continue;
    }
    const name = n.host ?? (n.address === '' ? '(no peer)' : n.address);
    let p = peers.get(name);
    if (p === undefined) {
      p = { name, address: n.host !== null ? n.address : '', ports: new Set(), ops: new Map(), failures: new Map(), sent: 0, received: 0, pids: new Set() };
      peers.set(name, p);
    }
    p.ports.add(n.family === 'unix' ? 'unix' : `${printable(n.protocol)}/${n.port ?? '?'}`);
    p.ops.set(n.op, (p.ops.get(n.op) ?? 0) + n.count);
    if (n.result !== 'ok') p.failures.set(n.result, (p.failures.get(n.result) ?? 0) + n.count);
    p.sent += n.bytes_sent;
    p.received += n.bytes_received;
    p.pids.add(n.pid);
  }
  const list = [...peers.values()].sort((a, b) => b.sent + b.received - (a.sent + a.received) || a.name.localeCompare(b.name));
  const bytesKnown = !unrecorded.has('network_bytes');
  out.heading('Network', `${plural(list.length, 'peer')}${listening.length > 0 ? `, listening on ${listening.length}` : ''}${bytesKnown ? '' : ' (bytes not recorded)'}`);
  if (list.length === 0 && listening.length === 0 && r.dns.length === 0) out.line(out.dim('  nothing'));
  out.list(list, LIMIT.list, (p) => {
    const ops = [...p.ops].map(([op, count]) => `${count} ${op}`).join(', ');
    const failed = [...p.failures].map(([err, count]) => out.red(`✗ ${err}${count > 1 ? ` ×${count}` : ''}`)).join(' ');
    const bytes = bytesKnown ? `  ↑${showBytes(p.sent)} ↓${showBytes(p.received)}` : '';
    // the ports last: many ephemeral ones are what the width may cut
    return `  ${printable(p.name)}${p.address ? out.dim(` (${printable(p.address)})`) : ''}${bytes}  ${ops}${failed ? '  ' + failed : ''}  ${out.dim([...p.ports].join(' '))}`;
  });
  out.list(listening, LIMIT.list, (n) => `  listening on ${n.family === 'unix' ? printable(n.address) : n.family === 'inet6' ? `[${printable(n.address)}]:${n.port ?? '?'}` : `${printable(n.address)}:${n.port ?? '?'}`} ${printable(n.protocol)}${n.result === 'ok' ? '' : ' ' + out.red(`✗ ${n.result}`)}`);
  if (unrecorded.has('dns')) return;
  const names = new Map<string, { rcodes: Set<string>; answers: Set<string> }>();
  for (const d of r.dns) {
    const e = names.get(d.name) ?? { rcodes: new Set(), answers: new Set() };
    e.rcodes.add(d.rcode ?? 'no answer');
    for (const a of d.answers) e.answers.add(a);
    names.set(d.name, e);
  }
  if (names.size === 0) return;
  out.line(`  ${out.bold('DNS')} ${plural(names.size, 'name')}`);
  out.list([...names], LIMIT.list, ([name, e]) => {
    const bad = [...e.rcodes].filter((c) => c !== 'NOERROR');
    return `    ${printable(name)}${e.answers.size > 0 ? out.dim(' → ' + [...e.answers].map(printable).join(', ')) : ''}${bad.length > 0 ? ' ' + out.red(bad.join(' ')) : ''}`;
  });
}

interface TreeRow {
  p: ProcessNode;
  depth: number;
  /** the last of its parent's children (└─), else ├─ */
  last: boolean;
  /** index of its parent's row, -1 for the root */
  parent: number;
}

function processes(out: Out, r: Receipt): void {
  out.heading('Processes', plural(r.processes.length, 'process', 'processes'));
  const root = r.process_tree;
  if (root === null) return out.line(out.dim('  none: the command could not be started'));
  // depth first with a stack: a hostile chain of forks may be thousands deep
  const rows: TreeRow[] = [];
  const stack: TreeRow[] = [{ p: root, depth: 0, last: true, parent: -1 }];
  while (stack.length > 0) {
    const row = stack.pop()!;
    const index = rows.push(row) - 1;
    const kids = row.p.children;
    for (let k = kids.length - 1; k >= 0; k--) stack.push({ p: kids[k]!, depth: row.depth + 1, last: k === kids.length - 1, parent: index });
  }
  // the first lines of the tree, and every failure (up to a limit) with the processes above it:
  // a failure deep in a big tree is what a reviewer looks for, and must not be cut away
  const shown = new Uint8Array(rows.length);
  if (out.all) shown.fill(1);
  else {
    shown.fill(1, 0, Math.min(rows.length, LIMIT.tree));
    let failures = 0;
    for (let i: number = LIMIT.tree; i < rows.length && failures < LIMIT.failures; i++) {
      if (!processFailed(rows[i]!.p)) continue;
      failures++;
      for (let a = i; a >= 0 && shown[a] === 0; a = rows[a]!.parent) shown[a] = 1;
    }
  }
  let hidden = 0;
  const more = (last: boolean): void => {
    if (hidden > 0) out.line(out.dim(`  … ${hidden} more ${hidden === 1 ? 'process' : 'processes'}${last ? ' (--all shows them)' : ''}`));
    hidden = 0;
  };
  for (let i = 0; i < rows.length; i++) {
    if (shown[i] === 0) {
      hidden++;
      continue;
    }
    more(false);
    const { p } = rows[i]!;
    const end = showEnd(out, p);
    const prefix = treePrefix(rows, i);
    const head = `  ${prefix ? out.dim(prefix) : ''}${p.pid} `;
    // the argv takes what the line has left once the pid and the outcome are placed
    const room = out.width - visible(head) - visible(end) - 2;
    const argv = p.argv !== null ? quoteArgv(p.argv) : printable(p.exe ?? '?');
    out.line(`${head}${cut(argv, Math.max(12, room))}  ${end}`);
  }
  more(true);
}

/** Exited non-zero, killed, or an exec that failed. */
const processFailed = (p: ProcessNode): boolean => p.signal !== null || (p.exit_code !== null && p.exit_code !== 0) || p.execs.some((e) => e.result !== 'ok');

/** The tree lines in front of a row: at most MAX_INDENT levels, deeper ones as "[depth N]". */
function treePrefix(rows: readonly TreeRow[], i: number): string {
  const row = rows[i]!;
  if (row.depth === 0) return '';
  const parts = [row.last ? '└─ ' : '├─ '];
  let a = rows[row.parent]!;
  while (a.depth >= 1 && parts.length < MAX_INDENT) {
    parts.push(a.last ? '   ' : '│  ');
    a = rows[a.parent]!;
  }
  if (a.depth >= 1) parts.push(`[depth ${row.depth}] `);
  return parts.reverse().join('');
}

const MAX_INDENT = 16;

function showEnd(out: Out, p: ProcessNode): string {
  const failedExec = p.execs.some((e) => e.result !== 'ok') ? out.red(' exec ✗') : '';
  const mark = p.privileged ? out.yellow(' withheld') : '';
  if (p.signal !== null) return out.red(`${p.signal} ✗`) + failedExec + mark;
  if (p.state === 'running') return out.yellow('running') + failedExec + mark;
  if (p.exit_code === 0) return out.dim('exit 0') + failedExec + mark;
  return out.red(`exit ${p.exit_code ?? '?'} ✗`) + failedExec + mark;
}

function reads(out: Out, r: Receipt): void {
  const dirs = new Map<string, { files: number; opens: number }>();
  for (const e of r.filesystem.reads) {
    const slash = e.path.lastIndexOf('/');
    // a file with no path by its kind; /proc/<pid>/ as one directory, whichever pid it was
    const dir = e.kind !== undefined ? `(${e.kind})` : slash >= 0 ? e.path.slice(0, slash + 1).replace(/^\/proc\/\d+\//, '/proc/<pid>/') : e.path;
    const d = dirs.get(dir) ?? { files: 0, opens: 0 };
    d.files++;
    d.opens += e.count;
    dirs.set(dir, d);
  }
  const list = [...dirs].sort((a, b) => b[1].files - a[1].files || a[0].localeCompare(b[0]));
  out.heading('Read', `${plural(r.filesystem.reads.length, 'file')} in ${plural(dirs.size, 'directory', 'directories')}`);
  const w = Math.max(0, ...list.slice(0, out.all ? undefined : LIMIT.dirs).map(([, d]) => String(d.files).length));
  out.list(list, LIMIT.dirs, ([dir, d]) => `  ${String(d.files).padStart(w)}  ${printable(dir)}`, 'directories');
}

function failed(out: Out, r: Receipt): void {
  const list = r.filesystem.failed;
  out.heading('Failed opens', plural(list.length, 'path'));
  out.list(list, LIMIT.list, (e) => `  ${out.red(e.errno)} ${out.dim(e.mode)} ${printable(e.path)}${times(e.count)}`);
}

function syscalls(out: Out, r: Receipt): void {
  const list = Object.entries(r.syscalls).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = list.reduce((s, [, n]) => s + n, 0);
  out.heading('Syscalls', `${total.toLocaleString('en-US')} calls of ${list.length} kinds`);
  const w = Math.max(0, ...list.map(([, n]) => n.toLocaleString('en-US').length));
  out.list(list, LIMIT.syscalls, ([name, n]) => `  ${n.toLocaleString('en-US').padStart(w)}  ${(total > 0 ? (100 * n) / total : 0).toFixed(1).padStart(5)}%  ${printable(name)}`, 'syscalls');
}

// --- text -----------------------------------------------------------------------------------

const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string): number => [...s.replace(ANSI, '')].length;

/** Lines, each cut to the width, and the colours (none unless asked). */
class Out {
  private readonly lines: string[] = [];
  readonly width: number;
  readonly all: boolean;
  private readonly color: boolean;

  constructor(o: SummaryOptions) {
    this.width = Math.max(40, o.width);
    this.all = o.all;
    this.color = o.color;
  }

  line(s: string): void {
    this.lines.push(visible(s) > this.width ? cutAnsi(s, this.width) : s);
  }
  blank(): void {
    this.lines.push('');
  }
  heading(title: string, detail: string): void {
    this.line(`${this.bold(title)}  ${this.dim(detail)}`);
  }
  /** At most `limit` entries (all with --all), then "… N more". */
  list<T>(items: readonly T[], limit: number, show: (item: T) => string, what = ''): void {
    const n = this.all ? items.length : Math.min(items.length, limit);
    for (let i = 0; i < n; i++) this.line(show(items[i]!));
    if (items.length > n) this.line(this.dim(`  … ${items.length - n} more${what ? ' ' + what : ''} (--all shows them)`));
  }
  text(): string {
    return this.lines.join('\n') + '\n';
  }

  private paint = (code: string, s: string): string => (this.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  bold = (s: string): string => this.paint('1', s);
  dim = (s: string): string => this.paint('2', s);
  red = (s: string): string => this.paint('31', s);
  green = (s: string): string => this.paint('32', s);
  yellow = (s: string): string => this.paint('33', s);
  // without colour, the words in capitals carry it
  alarm = (s: string): string => this.paint('1;97;41', s);
}

/** Cut to n visible characters, the last one "…". */
function cut(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : chars.slice(0, Math.max(0, n - 1)).join('') + '…';
}

// a line with colour codes, cut to n visible characters (the codes kept, the colour reset)
function cutAnsi(s: string, n: number): string {
  let out = '';
  let seen = 0;
  for (const part of s.split(/(\x1b\[[0-9;]*m)/)) {
    if (part.startsWith('\x1b[')) {
      out += part;
      continue;
    }
    for (const ch of part) {
      if (seen === n - 1) return out + '…' + (s.includes('\x1b[') ? '\x1b[0m' : '');
      out += ch;
      seen++;
    }
  }
  return out;
}

export function showBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function showMs(ms: number): string {
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)} min ${((ms % 60_000) / 1000).toFixed(0)} s`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

const plural = (n: number, one: string, many = one + 's'): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const times = (count: number): string => (count > 1 ? ` ×${count}` : '');

function unrecordedName(u: Unrecorded): string {
  return {
    process_ends: 'when processes ended',
    changes: 'changes and outputs',
    write_flags: 'created/truncated and digests of writes',
    network_bytes: 'bytes per peer',
    dns: 'DNS',
    tampering: 'tampering',
  }[u];
}
