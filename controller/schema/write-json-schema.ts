// `npm run schema`: writes receipt.schema.json at the package root from the zod schema.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSON_SCHEMA_FILE, receiptJsonSchemaText } from './json-schema.js';
import { packageRoot } from '../package-root.js';

const target = join(packageRoot(), JSON_SCHEMA_FILE);
writeFileSync(target, receiptJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
