// docs/receipt.md against the zod schema, both ways: every field of the receipt has a row in a
// field table of the page, every row names a field, and its type column says `or null` and
// `, optional` exactly where the schema does (and starts with the field's JSON type).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../controller/package-root.js';
import { receiptJsonSchema } from '../../controller/schema/json-schema.js';

interface Node {
  $ref?: string;
  anyOf?: Node[];
  type?: string | string[];
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
}
interface Field {
  type: string; // the JSON type, null aside
  nullable: boolean;
  optional: boolean;
}

/** Every field of the receipt's JSON Schema (made from zod), by path: `processes[].execs[].argv`. */
function schemaFields(): Map<string, Field> {
  const root = receiptJsonSchema() as unknown as Node & { $defs: Record<string, Node> };
  const deref = (n: Node): Node => (n.$ref === undefined ? n : root.$defs[n.$ref.replace('#/$defs/', '')]!);
  const types = (n: Node): string[] => {
    const d = deref(n);
    return d.anyOf !== undefined ? d.anyOf.flatMap(types) : [d.type ?? []].flat();
  };
  const fields = new Map<string, Field>();
  // `seen`: the $refs being walked, so that a process node's children (a node again) end the walk
  const walk = (node: Node, path: string, seen: string[]): void => {
    for (const alt of node.anyOf ?? [node]) {
      if (alt.$ref !== undefined) {
        if (!seen.includes(alt.$ref)) walk(deref(alt), path, [...seen, alt.$ref]);
        continue;
      }
      for (const [key, child] of Object.entries(alt.properties ?? {})) {
        const at = path === '' ? key : `${path}.${key}`;
        const ts = new Set(types(child));
        const nullable = ts.delete('null');
        fields.set(at, { type: [...ts].join(' or '), nullable, optional: !(alt.required ?? []).includes(key) });
        walk(child, at, seen);
      }
      if (alt.items !== undefined) walk(alt.items, `${path}[]`, seen);
    }
  };
  walk(root, '', []);
  return fields;
}

const HEADER = '| Field | Type | Meaning |';
const ROW = /^\| `([^`]+)` \| ([^|]+?) \| .*\|$/;

/** The rows of the page's field tables (those under HEADER): path -> type column. */
function documentedFields(markdown: string): { rows: Map<string, string>; bad: string[] } {
  const rows = new Map<string, string>();
  const bad: string[] = [];
  let inTable = false;
  for (const line of markdown.split('\n')) {
    if (line === HEADER) inTable = true;
    else if (!line.startsWith('|')) inTable = false;
    else if (inTable && !line.startsWith('| ---')) {
      const m = ROW.exec(line);
      if (m === null || rows.has(m[1]!)) bad.push(line);
      else rows.set(m[1]!, m[2]!);
    }
  }
  return { rows, bad };
}

const all = schemaFields();
const { rows, bad } = documentedFields(readFileSync(join(packageRoot(), 'docs', 'receipt.md'), 'utf8'));

// A process node of process_tree has the fields of processes[] plus children: the page documents
// them once, under processes[] (checked below), so process_tree.<field> needs no row of its own.
const NODE = 'process_tree.';
const FLAT = 'processes[].';
const isNodeField = (path: string): boolean => path.startsWith(NODE) && path !== 'process_tree.children';
const schema = new Map([...all].filter(([path]) => !isNodeField(path)));

t.test('every row of a field table is well formed and names its field once', async (t) => {
  t.same(bad, [], 'rows read "| `path` | type | meaning |", one per path');
  t.ok(rows.size > 0, 'the page has field tables');
});

t.test('a process_tree node has the fields of processes[], and children', async (t) => {
  const node = [...all].filter(([path]) => isNodeField(path)).map(([path, f]) => [FLAT + path.slice(NODE.length), f]);
  const flat = [...all].filter(([path]) => path.startsWith(FLAT));
  t.same(node, flat, 'documented once, under processes[]');
});

t.test('every field of the schema is documented', async (t) => {
  t.same([...schema.keys()].filter((path) => !rows.has(path)), [], 'fields with no row in docs/receipt.md');
});

t.test('every documented field is in the schema', async (t) => {
  t.same([...rows.keys()].filter((path) => !schema.has(path)), [], 'rows of docs/receipt.md that name no field');
});

t.test('the type column: the JSON type first, "or null" and ", optional" where the schema says', async (t) => {
  const wrong: string[] = [];
  for (const [path, column] of rows) {
    const f = schema.get(path);
    if (f === undefined) continue;
    const optional = column.endsWith(', optional');
    const nullable = column.replace(/, optional$/, '').endsWith(' or null');
    if (column.split(/[ ,]/)[0] !== f.type || nullable !== f.nullable || optional !== f.optional) {
      wrong.push(`${path}: "${column}", schema: ${f.type}${f.nullable ? ' or null' : ''}${f.optional ? ', optional' : ''}`);
    }
  }
  t.same(wrong, []);
});
