// receipt.schema.json, generated from the zod schema so the two can never disagree.
import * as z from 'zod';
import { Receipt } from './receipt.js';

export const JSON_SCHEMA_FILE = 'receipt.schema.json';

/** The JSON Schema (draft 2020-12) of a receipt as written (the schema's output side). */
export function receiptJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(Receipt, { io: 'output', target: 'draft-2020-12' }) as Record<string, unknown>;
}

/** The exact text of receipt.schema.json. */
export function receiptJsonSchemaText(): string {
  return JSON.stringify(receiptJsonSchema(), null, 2) + '\n';
}
