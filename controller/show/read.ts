// A receipt read back for the views (show, --summary, the HTML report): any schema this
// glasshouse can read (0.3, 0.4, 0.5), brought to the current shape and checked with zod. What
// the file's schema did not record is filled with empty values and listed in `unrecorded`, so
// that a view says "not recorded" instead of showing an empty list as if nothing happened.
import { readFileSync } from 'node:fs';
import { ReceiptParser, SCHEMA_VERSION, type Receipt } from '../schema/receipt.js';

export const READABLE_SCHEMAS = ['0.3', '0.4', SCHEMA_VERSION] as const;
export type SourceSchema = (typeof READABLE_SCHEMAS)[number];

/** Parts of a receipt its schema (or the glasshouse that wrote it) did not record. */
export type Unrecorded =
  | 'process_ends' // end_offset_ms (0.5): when each process exited
  | 'changes' // filesystem.changes, outputs, removed
  | 'write_flags' // writes[].created, truncated, digest
  | 'network_bytes' // bytes per peer and the host names
  | 'dns'
  | 'tampering';

export interface Shown {
  /** the receipt in the current shape (schema_version says the current one: see `schema`) */
  receipt: Receipt;
  /** the schema_version the file said */
  schema: SourceSchema;
  unrecorded: ReadonlySet<Unrecorded>;
}

/** A receipt that cannot be shown: the message names the file and the problem. */
export class ShowInputError extends Error {
  override name = 'ShowInputError';
}

export function readReceiptFile(file: string): Shown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ShowInputError(`${file}: no such file (give the receipt's path: glasshouse show path/to/receipt.json)`);
    if (code === 'EISDIR') throw new ShowInputError(`${file}: is a directory, not a receipt`);
    throw new ShowInputError(`${file}: cannot be read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ShowInputError(`${file}: not a glasshouse receipt (not JSON: ${(error as Error).message})`);
  }
  try {
    return upgrade(json);
  } catch (error) {
    if (error instanceof ShowInputError) throw new ShowInputError(`${file}: ${error.message}`);
    throw error;
  }
}

/** A parsed receipt of any readable schema, in the current shape; throws ShowInputError. */
export function upgrade(json: unknown): Shown {
  if (!isObject(json)) throw new ShowInputError('not a glasshouse receipt (not a JSON object)');
  const version = json.schema_version;
  if (typeof version !== 'string') throw new ShowInputError('not a glasshouse receipt (no schema_version)');
  if (!(READABLE_SCHEMAS as readonly string[]).includes(version)) {
    throw new ShowInputError(`schema_version ${JSON.stringify(version)} is not one this glasshouse reads (${READABLE_SCHEMAS.join(', ')})`);
  }
  const schema = version as SourceSchema;
  const unrecorded = new Set<Unrecorded>();
  // a shallow copy of what is filled in, never a change to the caller's object
  const r: Record<string, unknown> = { ...json, schema_version: SCHEMA_VERSION };
  if (schema !== SCHEMA_VERSION) fillOlder(r, unrecorded);
  // the tree walked without recursion: a receipt of a hostile fork chain is shown, not a stack overflow
  const parsed = ReceiptParser.safeParse(r);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = (issue?.path ?? []).map(String).join('.') || '(root)';
    throw new ShowInputError(`not a valid receipt of schema ${schema} at ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return shownOf(parsed.data, schema, unrecorded);
}

/** A receipt of the current schema (a run's own, already checked) as the views take it. */
export function shownOf(receipt: Receipt, schema: SourceSchema = SCHEMA_VERSION, unrecorded = new Set<Unrecorded>()): Shown {
  // a replay of a recording older than protocol 5: bytes and DNS were not counted (the receipt says so)
  if (!receipt.collector.network_bytes) {
    unrecorded.add('network_bytes');
    unrecorded.add('dns');
  }
  return { receipt, schema, unrecorded };
}

// What 0.3 and 0.4 receipts may lack (0.3 spanned several releases: the later ones wrote
// changes, outputs and write digests already), filled with empty values.
function fillOlder(r: Record<string, unknown>, unrecorded: Set<Unrecorded>): void {
  let endsMissing = false;
  const pending: unknown[][] = []; // lists of children copied, still to fill
  // a process without end_offset_ms gets null, and so do its children (a copy, never a change to
  // the caller's objects); a process that has it is kept as it is. Children are filled with an
  // explicit stack, as the tree may be deeper than the call stack allows.
  const fillProcess = (p: unknown): unknown => {
    if (!isObject(p) || 'end_offset_ms' in p) return p;
    endsMissing = true;
    const q: Record<string, unknown> = { ...p, end_offset_ms: null };
    if (Array.isArray(p.children)) {
      const children = [...(p.children as unknown[])];
      q.children = children;
      pending.push(children);
    }
    return q;
  };
  const fillTree = (top: unknown): unknown => {
    const filled = fillProcess(top);
    while (pending.length > 0) {
      const list = pending.pop()!;
      for (let i = 0; i < list.length; i++) list[i] = fillProcess(list[i]);
    }
    return filled;
  };
  if (Array.isArray(r.processes)) r.processes = r.processes.map(fillTree);
  if (isObject(r.process_tree)) r.process_tree = fillTree(r.process_tree);
  if (endsMissing) unrecorded.add('process_ends');

  if (isObject(r.filesystem)) {
    const fs: Record<string, unknown> = { ...r.filesystem };
    if (!('changes' in fs)) unrecorded.add('changes');
    fs.changes ??= [];
    fs.outputs ??= [];
    fs.removed ??= [];
    fs.digests ??= 'off';
    if (Array.isArray(fs.writes)) {
      fs.writes = fs.writes.map((w: unknown) => {
        if (!isObject(w) || 'created' in w) return w;
        unrecorded.add('write_flags');
        return { created: false, truncated: false, digest: null, ...w };
      });
    }
    r.filesystem = fs;
  }
  if (isObject(r.collector)) {
    const c: Record<string, unknown> = { ...r.collector };
    if (!('network_bytes' in c)) unrecorded.add('network_bytes');
    if (!('tampering' in c)) unrecorded.add('tampering');
    c.events_folded ??= 0;
    c.network_bytes ??= false;
    c.dns_skipped ??= 0;
    c.sends_unreported ??= 0;
    c.tampering ??= [];
    r.collector = c;
  }
  if (!('dns' in r)) unrecorded.add('dns');
  r.dns ??= [];
  r.mount_namespaces ??= [];
  if (Array.isArray(r.network)) {
    r.network = r.network.map((n: unknown) => (isObject(n) && !('bytes_sent' in n) ? { host: null, bytes_sent: 0, bytes_received: 0, ...n } : n));
  }
  if (isObject(r.environment)) r.environment = { guest: false, guest_mounts: [], ...r.environment };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

