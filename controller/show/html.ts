// The self-contained HTML report of a receipt: one file, its CSS and script inline, the receipt's
// data embedded as JSON that the page renders (lazily: only the rows in view are in the DOM).
// It opens from file:// offline, and fetches nothing: the Content-Security-Policy forbids it.
// Every string of the receipt is untrusted: here it only goes into the JSON (where `<` is
// escaped, so nothing in it can close the <script>), and the page sets it as text, never as HTML.
import type { ProcessNode, Receipt } from '../schema/receipt.js';
import { SCHEMA_VERSION } from '../schema/receipt.js';
import type { Shown, Unrecorded } from './read.js';
import type { Banner, Cell, Column, Outcome, Payload, ProcRow, Table } from './report/payload.js';
import { reportAssets } from './report/assets.js';
import { quoteArg, quoteArgv } from './quote.js';

export const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

export function renderHtml(shown: Shown): string {
  const { js, css } = reportAssets();
  const data = JSON.stringify(payloadOf(shown)).replace(/</g, '\\u003c');
  // the page's own code and style come from our sources, but a `</script` in them would end the
  // element just the same: refuse rather than write a broken report
  if (/<\/script|<!--/i.test(js) || /<\/style/i.test(css)) throw new Error('the report script or style holds a closing tag');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>glasshouse report</title>',
    `<style>${css}</style>`,
    '</head><body>',
    '<noscript><p>This glasshouse report needs JavaScript to show the receipt (it runs offline: nothing is fetched).</p></noscript>',
    '<div id="app"></div>',
    `<script type="application/json" id="gh-data">${data}</script>`,
    `<script>${js}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

// --- the receipt as display data ------------------------------------------------------------

const UNRECORDED_TEXT: Record<Unrecorded, string> = {
  process_ends: 'when each process ended (its bar runs to the end of the run)',
  changes: 'file changes, outputs and removals',
  write_flags: 'whether writes created or truncated their files, and their digests',
  network_bytes: 'network bytes and the host names of peers',
  dns: 'DNS questions and answers',
  tampering: 'attempts on gh-run and its helper (tampering)',
};

export function payloadOf(shown: Shown): Payload {
  const r = shown.receipt;
  const un = shown.unrecorded;
  const notRecorded = (what: Unrecorded): string | null =>
    un.has(what) ? `Not recorded: this receipt's schema (${shown.schema}) or the glasshouse that wrote it did not record ${UNRECORDED_TEXT[what]}. An empty table here means unknown, not nothing.` : null;
  const procs = processRows(r);
  const lastSeen = procs.reduce((m, p) => Math.max(m, p[6], p[9] ? 0 : p[7]), 0);
  const totalMs = Math.max(r.timing.duration_ms, lastSeen, 1);
  for (const p of procs) if (p[8] === 'running' || p[9]) p[7] = totalMs;

  return {
    command: quoteArgv(r.command),
    exit: r.outcome.signal !== null ? `killed by ${r.outcome.signal}` : r.outcome.exit_code !== null ? `exit ${r.outcome.exit_code}` : `exit status ${r.exit_code}`,
    exitFailed: r.outcome.signal !== null || r.exit_code !== 0,
    duration: formatMs(r.timing.duration_ms),
    started: r.timing.started_at,
    finished: r.timing.finished_at,
    schema: shown.schema,
    currentSchema: SCHEMA_VERSION,
    unrecordedLine:
      un.size === 0
        ? null
        : `Not recorded by this receipt (schema ${shown.schema}): ${[...un].map((u) => UNRECORDED_TEXT[u]).join('; ')}. Empty tables for these mean unknown, not nothing.`,
    banners: banners(r),
    facts: facts(r),
    errors: r.outcome.errors,
    totalMs,
    procs,
    tables: tables(r, notRecorded),
  };
}

function banners(r: Receipt): Banner[] {
  const c = r.collector;
  const out: Banner[] = [];
  if (c.status !== 'ok') out.push({ level: 'error', text: `Collector ${c.status}: ${c.reason ?? 'no reason given'}. This receipt is incomplete: what it does not list may still have happened.` });
  if (c.events_lost > 0) out.push({ level: 'error', text: `${c.events_lost} event${c.events_lost === 1 ? ' was' : 's were'} lost: processes, files or connections may be missing.` });
  if (c.tampering.length > 0) {
    const n = c.tampering.reduce((s, e) => s + e.count, 0);
    out.push({ level: 'error', text: `Tampering: the command made ${n} attempt${n === 1 ? '' : 's'} on gh-run or its helper (see the tampering table).` });
  }
  if (r.process_tree === null) out.push({ level: 'error', text: 'The command could not be started: no process ran.' });
  if (!c.argv_captured) out.push({ level: 'info', text: 'Arguments were not captured (--no-argv): only program names are shown.' });
  if (c.dns_skipped > 0) out.push({ level: 'warn', text: `${c.dns_skipped} DNS message${c.dns_skipped === 1 ? '' : 's'} could not be read and are not in the DNS table.` });
  if (c.sends_unreported > 0) out.push({ level: 'warn', text: `${c.sends_unreported} sendmmsg message${c.sends_unreported === 1 ? '' : 's'} were sent to destinations not looked at.` });
  const withheld = r.processes.filter((p) => p.privileged).length;
  if (withheld > 0) out.push({ level: 'warn', text: `${withheld} privileged process${withheld === 1 ? '' : 'es'}: their files, network and syscalls were withheld.` });
  return out;
}

function facts(r: Receipt): Payload['facts'] {
  const c = r.collector;
  const e = r.environment;
  const artifact = (a: Receipt['artifacts']['stdout']): string =>
    a.terminal ? 'a terminal (not hashed)' : a.sha256 === null ? (a.merged ? 'merged into stdout' : 'not recorded') : `${a.bytes} bytes, sha256 ${a.sha256}${a.merged ? ' (stdout and stderr merged)' : ''}`;
  return [
    {
      title: 'Collector',
      rows: [
        ['status', c.reason === null ? c.status : `${c.status}: ${c.reason}`],
        ['events', `${c.events} received, ${c.events_lost} lost, ${c.events_folded} folded in the kernel`],
        ['argv captured', c.argv_captured ? 'yes' : 'no'],
        ['network bytes counted', c.network_bytes ? 'yes' : 'no'],
        ['digests', r.filesystem.digests],
      ],
    },
    {
      title: 'Environment',
      rows: [
        ['host', e.hostname],
        ['kernel', `${e.os} ${e.kernel}`],
        ['arch', e.arch],
        ['uid / gid', `${e.uid} / ${e.gid}`],
        ['cwd', e.cwd],
        ['runtime', e.runtime ?? '(a compiled program)'],
        ['glasshouse', e.glasshouse_version],
        ['guest', e.guest ? `yes${e.guest_mounts.length ? ` (mounted ${e.guest_mounts.map((m) => `${m.fs} on ${m.target}`).join(', ')})` : ''}` : 'no'],
      ],
    },
    {
      title: 'Run',
      rows: [
        ['started', r.timing.started_at],
        ['finished', r.timing.finished_at],
        ['execution id', r.execution_id],
        ['stdout', artifact(r.artifacts.stdout)],
        ['stderr', artifact(r.artifacts.stderr)],
        ['mount namespaces', String(r.mount_namespaces.length)],
      ],
    },
  ];
}

/** The processes in tree order (depth first), each with its depth and subtree size. */
function processRows(r: Receipt): ProcRow[] {
  const rows: ProcRow[] = [];
  const row = (p: ProcessNode | Receipt['processes'][number], depth: number, children: number): ProcRow => {
    let outcome: Outcome;
    let status: string;
    if (p.state === 'running') [outcome, status] = ['running', 'running'];
    else if (p.signal !== null) [outcome, status] = ['signal', p.signal];
    else if (p.exit_code === 0) [outcome, status] = ['ok', 'exit 0'];
    else if (p.exit_code !== null) [outcome, status] = ['nonzero', `exit ${p.exit_code}`];
    else [outcome, status] = ['unknown', 'exit not known'];
    const endUnknown = p.state === 'exited' && p.end_offset_ms === null ? 1 : 0;
    const marks: string[] = [];
    if (p.privileged) marks.push('privileged: activity withheld');
    if (p.withheld_syscalls !== undefined) marks.push(`${p.withheld_syscalls} syscalls withheld`);
    for (const x of p.execs) if (x.result !== 'ok') marks.push(`exec ${x.path}: ${x.result}`);
    if (p.mnt_ns !== undefined) marks.push(`mount namespace ${p.mnt_ns}`);
    const command = p.argv !== null ? quoteArgv(p.argv) : p.exe !== null ? `${quoteArg(p.exe)} (argv not known)` : '(argv not known)';
    const start = p.start_offset_ms;
    const end = p.end_offset_ms ?? start;
    return [p.pid, depth, 0, children, command, p.exe ?? '', start, Math.max(end, start), outcome, endUnknown, status, marks];
  };
  if (r.process_tree === null) {
    for (const p of r.processes) rows.push(row(p, 0, 0));
    return rows;
  }
  // iterative: a chain of 10,000 processes is 10,000 levels deep
  const stack: { node: ProcessNode; depth: number }[] = [{ node: r.process_tree, depth: 0 }];
  const open: number[] = []; // indices of the rows whose subtree is still being listed, by depth
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    while (open.length > depth) close(rows, open.pop()!);
    open.push(rows.length);
    rows.push(row(node, depth, node.children.length));
    for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i]!, depth: depth + 1 });
  }
  while (open.length > 0) close(rows, open.pop()!);
  return rows;
}

function close(rows: ProcRow[], index: number): void {
  rows[index]![2] = rows.length - index - 1;
}

// --- tables -----------------------------------------------------------------------------------

const col = (label: string, kind: Column['kind'] = 'text', width = 1): Column => ({ label, kind, width });
const PATH = col('path', 'text', 6);
const PIDS = col('pids', 'text', 1.5);
const COUNT = col('count', 'num', 0.7);

/** A list of pids as text: the first few, then how many more (a file every process read). */
export function pidsText(pids: number[]): string {
  const SHOWN = 6;
  return pids.length <= SHOWN ? pids.join(' ') : `${pids.slice(0, SHOWN).join(' ')} … +${pids.length - SHOWN}`;
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

function tables(r: Receipt, notRecorded: (u: Unrecorded) => string | null): Table[] {
  const fs = r.filesystem;
  const t = (id: string, title: string, note: string | null, unrecorded: string | null, columns: Column[], rows: Cell[][]): Table => ({ id, title, note, unrecorded, columns, rows });
  const changesUnrecorded = notRecorded('changes');
  return [
    t('changes', 'Changes', 'Attempts to change names or metadata (rename, unlink, mkdir, chmod, ...), ok or not.', changesUnrecorded,
      [col('op', 'text', 0.8), PATH, col('to / target / mode', 'text', 3), col('result', 'text', 0.9), PIDS, COUNT],
      fs.changes.map((c) => [c.op, c.path, c.to ?? c.target ?? ([c.kind, c.dev, c.mode].filter((x) => x !== undefined).join(' ') || null), c.result, pidsText(c.pids), c.count])),
    t('outputs', 'Outputs', 'The net effect: files that exist after the run and were created or written by it, with their content digest.', changesUnrecorded,
      [PATH, col('created', 'text', 0.7), col('size', 'num', 0.9), col('sha256', 'hash', 1.4)],
      fs.outputs.map((o) => [o.path, yesNo(o.created), o.digest?.size ?? null, o.digest?.sha256 ?? null])),
    t('removed', 'Removed', 'Files that existed before the run and are gone after it.', changesUnrecorded,
      [PATH, col('op', 'text', 1)],
      fs.removed.map((x) => [x.path, x.op])),
    t('writes', 'Writes', 'Every path opened for writing (or created, or truncated).', notRecorded('write_flags'),
      [PATH, col('created', 'text', 0.7), col('truncated', 'text', 0.8), col('size', 'num', 0.9), col('sha256', 'hash', 1.4), PIDS, COUNT],
      fs.writes.map((w) => [w.path, yesNo(w.created), yesNo(w.truncated), w.digest?.size ?? null, w.digest?.sha256 ?? null, pidsText(w.pids), w.count])),
    t('reads', 'Reads', 'Every path opened for reading only.', null,
      [PATH, col('kind', 'text', 0.8), PIDS, COUNT],
      fs.reads.map((x) => [x.path, x.kind ?? 'file', pidsText(x.pids), x.count])),
    t('failed', 'Failed opens', 'Opens that failed, and why.', null,
      [PATH, col('mode', 'text', 0.8), col('errno', 'text', 0.9), PIDS, COUNT],
      fs.failed.map((x) => [x.path, x.mode, x.errno, pidsText(x.pids), x.count])),
    t('network', 'Network', 'Connections, sends, binds and listens, with what the calls moved.', notRecorded('network_bytes'),
      [col('pid', 'num', 0.7), col('op', 'text', 0.8), col('protocol', 'text', 1), col('address', 'text', 2.2), col('port', 'num', 0.6), col('host', 'text', 2), col('result', 'text', 1), col('sent', 'num', 0.9), col('received', 'num', 0.9), COUNT],
      r.network.map((n) => [n.pid, n.op, `${n.protocol}/${n.family}`, n.address, n.port, n.host, n.initial ? `${n.result} (${n.initial})` : n.result, n.bytes_sent, n.bytes_received, n.count])),
    t('dns', 'DNS', 'Questions the tree sent and the answers it got.', notRecorded('dns'),
      [col('name', 'text', 2.5), col('type', 'text', 0.6), col('server', 'text', 1.6), col('protocol', 'text', 0.6), col('rcode', 'text', 0.9), col('answers', 'text', 3), PIDS, COUNT],
      r.dns.map((d) => [d.name, d.type, `${d.server}:${d.port}`, d.protocol, (d.rcode ?? 'no answer') + (d.truncated ? ' (truncated)' : '') + (d.complete ? '' : ' (cut)'), d.answers.join(' '), pidsText(d.pids), d.count])),
    t('tampering', 'Tampering', 'Attempts of the tree on gh-run or its helper.', notRecorded('tampering'),
      [col('pid', 'num', 0.7), col('call', 'text', 1), col('target', 'text', 1), col('detail', 'text', 3), col('result', 'text', 1), COUNT],
      r.collector.tampering.map((x) => [x.pid, x.call, x.target, x.detail, x.result, x.count])),
    t('syscalls', 'Syscalls', 'Every syscall of the tree, counted in the kernel.', null,
      [col('syscall', 'text', 2), col('count', 'num', 1)],
      Object.entries(r.syscalls).map(([name, n]) => [name, n])),
  ];
}

// --- text -------------------------------------------------------------------------------------

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${((ms - m * 60_000) / 1000).toFixed(1)} s`;
}
