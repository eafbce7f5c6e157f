#!/usr/bin/env node
// Print a short human summary of a glasshouse receipt.
//
//   node demo/summary.mjs receipt.json
//
// Plain Node (>= 18), no dependencies. Exits 1 when the file is missing,
// unreadable, not JSON, or not a glasshouse receipt.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const MAX_TREE_LINES = 30;
const MAX_PATHS = 10;
const TOP_SYSCALLS = 5;
const MAX_ARGV_CHARS = 120;
const MAX_DNS = 10;

function die(msg) {
  process.stderr.write(`summary: ${msg}\n`);
  process.exit(1);
}

function loadReceipt(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') die(`no such file: ${file}`);
    if (err.code === 'EISDIR') die(`${file} is a directory, not a receipt`);
    die(`cannot read ${file}: ${err.message}`);
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch (err) {
    die(`${file} is not a glasshouse receipt (not valid JSON: ${err.message.replace(/\s+/g, " ")})`);
  }
  const isObject = data !== null && typeof data === 'object' && !Array.isArray(data);
  const looksLikeReceipt =
    isObject &&
    (typeof data.schema_version === 'string' ||
      (Array.isArray(data.processes) && 'exit_code' in data));
  if (!looksLikeReceipt) {
    die(`${file} is not a glasshouse receipt (no schema_version, no processes/exit_code)`);
  }
  return data;
}

// Quote an argv element only when it would be ambiguous when joined.
function showArg(arg) {
  const s = String(arg);
  return s === '' || /[\s"'\\]|[^\x20-\x7e]/.test(s) ? JSON.stringify(s) : s;
}

function showArgv(argv) {
  if (!Array.isArray(argv) || argv.length === 0) return '?';
  const s = argv.map(showArg).join(' ');
  return s.length > MAX_ARGV_CHARS ? `${s.slice(0, MAX_ARGV_CHARS - 1)}…` : s;
}

function showEnd(p) {
  if (p.signal) return `killed by ${p.signal}`;
  if (p.exit_code !== null && p.exit_code !== undefined) return `exit ${p.exit_code}`;
  if (p.state === 'running') return 'still running';
  return 'exit ?';
}

function showDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '?';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

// The nested tree, or one rebuilt from the flat list (pid/ppid) when absent.
function rootsOf(r) {
  if (r.process_tree && typeof r.process_tree === 'object' && 'pid' in r.process_tree) {
    return [r.process_tree];
  }
  const flat = Array.isArray(r.processes) ? r.processes : [];
  const byPid = new Map(flat.map((p) => [p.pid, { ...p, children: [] }]));
  const roots = [];
  for (const p of byPid.values()) {
    const parent = byPid.get(p.ppid);
    if (parent && parent !== p) parent.children.push(p);
    else roots.push(p);
  }
  return roots;
}

function countTree(nodes) {
  let n = 0;
  for (const p of nodes) n += 1 + countTree(Array.isArray(p.children) ? p.children : []);
  return n;
}

// At most MAX_TREE_LINES lines, the last one saying how many were left out.
function treeLines(roots) {
  const lines = [];
  const walk = (p, depth) => {
    lines.push(`  ${'  '.repeat(depth)}${p.pid} ${showArgv(p.argv)}  [${showEnd(p)}]`);
    for (const c of Array.isArray(p.children) ? p.children : []) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  if (lines.length <= MAX_TREE_LINES) return lines;
  const omitted = lines.length - (MAX_TREE_LINES - 1);
  return [...lines.slice(0, MAX_TREE_LINES - 1), `  … ${omitted} more processes`];
}

function fileSection(label, entries, withErrno) {
  const list = Array.isArray(entries) ? entries : [];
  const out = [`  ${label}: ${list.length}`];
  for (const e of list.slice(0, MAX_PATHS)) {
    const times = e.count > 1 ? ` (x${e.count})` : '';
    const err = withErrno ? ` ${e.errno ?? '?'}${e.mode ? ` (${e.mode})` : ''}` : '';
    out.push(`    ${e.path}${err}${times}`);
  }
  if (list.length > MAX_PATHS) out.push(`    … ${list.length - MAX_PATHS} more`);
  return out;
}

// What the run changed on disk: the net effect first (what is left, what is gone), then every
// change to names and metadata, failed attempts too.
function changeSection(fsys) {
  const out = [];
  const outputs = Array.isArray(fsys.outputs) ? fsys.outputs : [];
  const removed = Array.isArray(fsys.removed) ? fsys.removed : [];
  const changes = Array.isArray(fsys.changes) ? fsys.changes : [];
  if (!Array.isArray(fsys.changes)) return out; // a receipt from before changes were recorded
  out.push(`  outputs (left on disk): ${outputs.length}`);
  for (const o of outputs.slice(0, MAX_PATHS)) {
    const digest = o.digest ? ` ${o.digest.size} B sha256:${o.digest.sha256.slice(0, 12)}` : '';
    out.push(`    ${o.path}${o.created ? ' (new)' : ' (modified)'}${digest}`);
  }
  if (outputs.length > MAX_PATHS) out.push(`    … ${outputs.length - MAX_PATHS} more`);
  out.push(`  removed: ${removed.length}`);
  for (const e of removed.slice(0, MAX_PATHS)) out.push(`    ${e.path} (${e.op})`);
  if (removed.length > MAX_PATHS) out.push(`    … ${removed.length - MAX_PATHS} more`);
  out.push(`  changes: ${changes.length}`);
  for (const c of changes.slice(0, MAX_PATHS)) {
    const what = c.to ? ` -> ${c.to}` : c.target !== undefined ? ` -> ${c.target}` : c.mode ? ` ${c.mode}` : c.size !== undefined ? ` to ${c.size} B` : c.uid !== undefined ? ` ${c.uid}:${c.gid}` : '';
    const times = c.count > 1 ? ` (x${c.count})` : '';
    out.push(`    ${c.op} ${c.path ?? `fd ${c.fd}`}${what} ${c.result}${times}`);
  }
  if (changes.length > MAX_PATHS) out.push(`    … ${changes.length - MAX_PATHS} more`);
  return out;
}

function showPeer(n) {
  if (n.family === 'unix' || n.port === null || n.port === undefined) {
    return n.address === '' ? '(unnamed)' : String(n.address ?? '?');
  }
  const host = n.family === 'inet6' ? `[${n.address}]` : n.address;
  return `${host}:${n.port}`;
}

// 1536 -> "1.5 KiB"
function showBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

// "ok (EINPROGRESS at first)" for a non-blocking connect that was decided
function showResult(n) {
  return n.initial ? `${n.result} (${n.initial} at first)` : String(n.result ?? '?');
}

// Bytes per peer when the receipt counted them (schema 0.4 with a protocol 5 helper).
function showTraffic(n, counted) {
  if (!counted && !n.bytes_sent && !n.bytes_received) return '';
  return `, sent ${showBytes(n.bytes_sent ?? 0)}, received ${showBytes(n.bytes_received ?? 0)}`;
}

function dnsSection(list) {
  const out = [`dns:        ${list.length} question${list.length === 1 ? '' : 's'}`];
  for (const d of list.slice(0, MAX_DNS)) {
    const answers = Array.isArray(d.answers) && d.answers.length > 0 ? ` -> ${d.answers.join(', ')}` : '';
    const rcode = d.rcode ?? 'no answer';
    const notes = [d.truncated ? 'truncated' : '', d.complete === false ? 'cut' : ''].filter(Boolean);
    const times = d.count > 1 ? ` x${d.count}` : '';
    out.push(`  ${d.name} ${d.type}${answers} (${rcode}${notes.length ? `, ${notes.join(', ')}` : ''}; ${d.protocol} ${d.server})${times}`);
  }
  if (list.length > MAX_DNS) out.push(`  … ${list.length - MAX_DNS} more`);
  return out;
}

function main() {
  const file = process.argv[2];
  if (!file || process.argv.length > 3) {
    die(`usage: node ${basename(process.argv[1] ?? 'summary.mjs')} receipt.json`);
  }
  const r = loadReceipt(file);
  const out = [];

  const outcome = r.outcome ?? {};
  const exitCode = outcome.exit_code !== undefined ? outcome.exit_code : r.exit_code;
  const signal = outcome.signal ?? null;
  const duration = r.timing?.duration_ms ?? r.duration_ms;
  const collector = r.collector ?? {};

  out.push(`command:    ${showArgv(r.command)}`);
  out.push(`exit code:  ${exitCode ?? '-'}${signal ? ` (killed by ${signal})` : ''}`);
  out.push(`duration:   ${showDuration(duration)}`);
  out.push(
    `collector:  ${collector.status ?? 'unknown'}` +
      `${collector.reason ? ` (${collector.reason})` : ''}` +
      `, events lost ${collector.events_lost ?? '?'}`,
  );
  for (const e of Array.isArray(outcome.errors) ? outcome.errors : []) out.push(`error:      ${e}`);

  const roots = rootsOf(r);
  out.push('');
  out.push(`processes:  ${countTree(roots)}`);
  const tree = treeLines(roots);
  out.push(...(tree.length ? tree : ['  (none recorded)']));

  const fsys = r.filesystem ?? {};
  out.push('');
  out.push('files:');
  out.push(...fileSection('read', fsys.reads, false));
  out.push(...fileSection('written', fsys.writes, false));
  out.push(...fileSection('failed', fsys.failed, true));
  out.push(...changeSection(fsys));

  const net = Array.isArray(r.network) ? r.network : [];
  const counted = collector.network_bytes === true;
  out.push('');
  out.push(`network:    ${net.length} attempt${net.length === 1 ? '' : 's'}`);
  for (const n of net) {
    const host = n.host ? ` (${n.host})` : '';
    out.push(
      `  ${n.op} ${n.family} ${n.protocol ?? '?'} ${showPeer(n)}${host} ${showResult(n)} x${n.count ?? 1}` +
        ` (pid ${n.pid}${showTraffic(n, counted)})`,
    );
  }
  if (Array.isArray(r.dns)) {
    out.push('');
    out.push(...dnsSection(r.dns));
  }

  const sys = Object.entries(r.syscalls ?? {})
    .filter(([, v]) => typeof v === 'number')
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TOP_SYSCALLS);
  out.push('');
  out.push(`syscalls:   ${sys.length ? sys.map(([k, v]) => `${k} ${v}`).join(', ') : 'none'}`);

  process.stdout.write(`${out.join('\n')}\n`);
}

main();
