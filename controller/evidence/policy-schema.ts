// The policy file of `glasshouse check --policy` and `gh-run --policy` (README: "glasshouse
// check --policy"): the single source of its validation and of policy.schema.json. Kept apart
// from the matching (policy.ts) so that the schema writer does not bundle picomatch.
import * as z from 'zod';

// one pattern: never empty (an empty glob would match nothing and hide a typo)
const Pattern = z.string().min(1, 'an empty pattern');

const Rules = z
  .strictObject({
    allow: z.array(Pattern).optional().describe('when given, anything that matches none of these is a violation'),
    deny: z.array(Pattern).optional().describe('anything that matches one of these is a violation'),
  })
  .describe('a violation: matches deny, or allow is given and it matches nothing in it');

export const Policy = z
  .strictObject({
    // editors find the schema by it; it is the only key besides the five sections
    $schema: z.string().optional(),
    exec: Rules.optional().describe('globs over the paths executed (processes[].execs[].path) and the program image run (processes[].exe)'),
    write: Rules.optional().describe('globs over the paths written, output or changed (filesystem.writes, outputs, changes)'),
    read: Rules.optional().describe('globs over the paths read (filesystem.reads)'),
    network: Rules.optional().describe('host-or-address[:port] (a glob over network[].host or address, or a CIDR), [ipv6]:port, or a unix socket path glob'),
    dns: Rules.optional().describe('globs over the names asked (dns[].name)'),
  })
  .meta({ title: 'glasshouse policy', description: 'what a run may exec, write, read, reach and resolve (glasshouse check --policy)' });
export type Policy = z.infer<typeof Policy>;
export type PolicyKey = 'exec' | 'write' | 'read' | 'network' | 'dns';
export const POLICY_KEYS: readonly PolicyKey[] = ['exec', 'write', 'read', 'network', 'dns'];

export const POLICY_SCHEMA_FILE = 'policy.schema.json';

/** The exact text of policy.schema.json (draft 2020-12, the input side: what a file may hold). */
export function policyJsonSchemaText(): string {
  return JSON.stringify(z.toJSONSchema(Policy, { io: 'input', target: 'draft-2020-12' }), null, 2) + '\n';
}
