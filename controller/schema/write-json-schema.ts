// `npm run schema`: writes receipt.schema.json and policy.schema.json at the package root from
// their zod schemas.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSON_SCHEMA_FILE, receiptJsonSchemaText } from './json-schema.js';
import { POLICY_SCHEMA_FILE, policyJsonSchemaText } from '../evidence/policy-schema.js';
import { packageRoot } from '../package-root.js';

for (const [file, text] of [
  [JSON_SCHEMA_FILE, receiptJsonSchemaText()],
  [POLICY_SCHEMA_FILE, policyJsonSchemaText()],
] as const) {
  const target = join(packageRoot(), file);
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
