// The in-toto Statement v1 (github.com/in-toto/attestation, spec/v1/statement.md) that
// glasshouse attest makes of a receipt: its subjects are the run's outputs that have a digest,
// its predicate the receipt itself.
import { z } from 'zod';
import { jsonChunks } from '../receipt/json-chunks.js';
import { SCHEMA_VERSION, type Receipt } from '../schema/receipt.js';
import type { Materials } from './materials.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/**
 * The predicate is a receipt of this schema (older receipts are read into it first): the URI
 * changes with the receipt schema and only with it, so that a consumer knows the shape it gets.
 */
export const PREDICATE_TYPE = `https://glasshouse.dev/receipt/v${SCHEMA_VERSION}`;

// in-toto ResourceDescriptor: we write name and digest; a statement read back may have the rest
const ResourceDescriptor = z.object({
  name: z.string().optional(),
  uri: z.string().optional(),
  digest: z.record(z.string(), z.string()).optional(),
});

/** A Statement as verify reads it: the fields v1 requires, the predicate left to its type. */
export const Statement = z.object({
  _type: z.literal(STATEMENT_TYPE),
  // v1: at least one subject, each identified by a digest
  subject: z.array(ResourceDescriptor.extend({ digest: z.record(z.string(), z.string()).refine((d) => Object.keys(d).length > 0, 'empty digest') })).min(1),
  predicateType: z.string().min(1),
  predicate: z.record(z.string(), z.unknown()).optional(),
});
export type Statement = z.infer<typeof Statement>;

/** When the materials' digests were taken: before the command started, or when attest ran. */
export type MaterialsTaken = 'before_run' | 'at_attest';

export interface Subject {
  name: string;
  digest: { sha256: string };
}

/** The outputs with a digest, sorted by name; an output without one (not hashable, --no-digests) is no subject. */
export function subjectsOf(receipt: Receipt): Subject[] {
  return receipt.filesystem.outputs
    .flatMap((o) => (o.digest === null ? [] : [{ name: o.path, digest: { sha256: o.digest.sha256 } }]))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The statement of a receipt; materials, when given, go in the predicate beside the receipt's own
 * fields (a v1 statement has no top-level materials; the receipt schema has no field of that name).
 */
export function statementOf(receipt: Receipt, materials: { taken: MaterialsTaken; materials: Materials } | null): {
  _type: string;
  subject: Subject[];
  predicateType: string;
  predicate: Record<string, unknown>;
} {
  const predicate: Record<string, unknown> = { ...receipt };
  if (materials !== null) predicate.materials = { taken: materials.taken, ...materials.materials };
  return { _type: STATEMENT_TYPE, subject: subjectsOf(receipt), predicateType: PREDICATE_TYPE, predicate };
}

/** The statement's JSON text: json-chunks' (JSON.stringify's, without recursion over a deep process_tree). */
export function statementText(statement: object): string {
  return [...jsonChunks(statement)].join('');
}
