// Facts about the host and the command read once per run (for environment and runtime).
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { arch, hostname, machine, release } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { RunFacts } from '../schema/run-facts.js';

export function hostFacts(): RunFacts['environment'] {
  return {
    hostname: hostname(),
    kernel: release(),
    arch: typeof machine === 'function' ? machine() : arch(),
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    cwd: process.cwd(),
  };
}

/** Why `path` cannot be run as a program (absent or not a regular file; not executable by us), or null when it can. */
export function whyNotExecutable(path: string): 'not found' | 'not executable' | null {
  try {
    if (!statSync(path).isFile()) return 'not found';
  } catch {
    return 'not found';
  }
  try {
    accessSync(path, constants.X_OK);
    return null;
  } catch {
    return 'not executable';
  }
}

export function isExecutableFile(path: string): boolean {
  return whyNotExecutable(path) === null;
}

/** Where execvp looks for `name`, in order: the name itself when it has a slash, else each PATH entry. */
export function pathCandidates(name: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  return name.includes('/')
    ? [isAbsolute(name) ? name : resolve(cwd, name)]
    : (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).map((dir) => join(dir === '' ? cwd : resolve(cwd, dir), name));
}

/** The command's program as execvp would find it, symlinks resolved; null when not found. */
export function resolveCommand(name: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  for (const candidate of pathCandidates(name, env, cwd)) {
    if (!isExecutableFile(candidate)) continue;
    try {
      return realpathSync(candidate);
    } catch {
      continue;
    }
  }
  return null;
}
