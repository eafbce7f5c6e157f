// Where glasshouse-init lives: beside the helper (like the gate), else in the package's own
// helper/ directory (a --helper elsewhere, e.g. a setcap'd copy, need not come with an init).
import { dirname, join } from 'node:path';
import { resolveHelperPath } from '../collector/helper-path.js';
import { packageRoot } from '../package-root.js';
import { isExecutableFile } from '../run/host-facts.js';

export const INIT_NAME = 'glasshouse-init';

/** Why a list: the first executable candidate wins, and the error message names them all. */
export function initCandidates(helperOverride: string | null, env: NodeJS.ProcessEnv): string[] {
  const besideHelper = join(dirname(resolveHelperPath(helperOverride, env)), INIT_NAME);
  const packaged = join(packageRoot(), 'helper', INIT_NAME);
  return besideHelper === packaged ? [packaged] : [besideHelper, packaged];
}

/** The init to use, or null when none of the candidates is executable. */
export function findInit(candidates: readonly string[]): string | null {
  return candidates.find(isExecutableFile) ?? null;
}
