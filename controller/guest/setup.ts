// What glasshouse-init did to prepare the guest, as the inner controller (the one running under
// it) learns it from the environment: mounts for environment.guest_mounts, failures for
// outcome.errors. See helper/init.c for the producing side.
import type { GuestMount } from '../schema/receipt.js';

/** Set by the outer controller on the init it spawns: "run the command yourself". */
export const UNDER_INIT_ENV = 'GLASSHOUSE_UNDER_INIT';
/** Set by glasshouse-init --mount: "proc:/proc,sysfs:/sys" */
export const MOUNTED_ENV = 'GLASSHOUSE_GUEST_MOUNTED';
/** Set by glasshouse-init --mount (or the outer controller): one failure per line */
export const ERRORS_ENV = 'GLASSHOUSE_GUEST_ERRORS';

export interface GuestSetup {
  mounts: GuestMount[];
  errors: string[];
}

/**
 * Read the guest setup and remove its variables from `env`, so that the command (spawned with
 * this environment) sees none of glasshouse's plumbing and a glasshouse it runs starts afresh.
 * Outside of init (no GLASSHOUSE_UNDER_INIT=1) the variables belong to the user: untouched.
 */
export function consumeGuestSetup(env: NodeJS.ProcessEnv): GuestSetup {
  if (env[UNDER_INIT_ENV] !== '1') return { mounts: [], errors: [] };
  const mounted = env[MOUNTED_ENV] ?? '';
  const errors = env[ERRORS_ENV] ?? '';
  delete env[UNDER_INIT_ENV];
  delete env[MOUNTED_ENV];
  delete env[ERRORS_ENV];
  return { mounts: parseMounts(mounted), errors: parseErrors(errors) };
}

/** "proc:/proc,sysfs:/sys" -> [{fs, target}]; init writes it, so malformed items are dropped. */
export function parseMounts(text: string): GuestMount[] {
  const mounts: GuestMount[] = [];
  for (const item of text.split(',')) {
    const colon = item.indexOf(':');
    if (colon <= 0 || colon === item.length - 1) continue;
    mounts.push({ fs: item.slice(0, colon), target: item.slice(colon + 1) });
  }
  return mounts;
}

/** One error per non-empty line, prefixed so the receipt says where it came from. */
export function parseErrors(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => `guest setup: ${line}`);
}
