// Where the helper and the gate live: --helper / GLASSHOUSE_HELPER, else <package root>/helper/.
import { dirname, join, resolve } from 'node:path';
import { packageRoot } from '../package-root.js';

export const HELPER_NAME = 'glasshouse-helper';
export const GATE_NAME = 'glasshouse-gate';

/** The helper's path: the override (flag or env) when given, else the package's own build. */
export function resolveHelperPath(override?: string | null, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = override ?? (env.GLASSHOUSE_HELPER || null);
  return chosen !== null ? resolve(chosen) : join(packageRoot(), 'helper', HELPER_NAME);
}

/** The gate sits beside the helper. */
export function gatePathFor(helperPath: string): string {
  return join(dirname(helperPath), GATE_NAME);
}
