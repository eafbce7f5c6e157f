// The environment section: host facts from the run, plus the runtime inferred from the
// program the root ended up running.
import { basename } from 'node:path';
import type { Receipt } from '../schema/receipt.js';
import type { RunFacts } from '../schema/run-facts.js';

const RUNTIME =
  /^(python[0-9.]*|pypy[0-9.]*|node|nodejs|ruby[0-9.]*|perl[0-9.]*|php[0-9.]*|java|bash|sh|dash|zsh|lua[0-9.]*|luajit|Rscript|deno|bun)$/;

/** Basename of an interpreter's (already resolved) path for known interpreter families, else null. */
export function inferRuntime(exe: string | null): string | null {
  if (exe === null) return null;
  const name = basename(exe);
  return RUNTIME.test(name) ? name : null;
}

export function environmentSection(facts: RunFacts, rootExe: string | null): Receipt['environment'] {
  const env = facts.environment;
  return {
    hostname: env.hostname,
    os: 'linux',
    kernel: env.kernel,
    arch: env.arch,
    uid: env.uid,
    gid: env.gid,
    cwd: env.cwd,
    runtime: inferRuntime(rootExe ?? facts.command_realpath),
    glasshouse_version: facts.glasshouse_version,
    guest: facts.guest,
    guest_mounts: facts.guest_mounts ?? [],
  };
}
