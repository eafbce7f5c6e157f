// The user's command as a child process, started through the gate: the gate blocks on fd 3
// (a socketpair) until released with "g" ("w" only wakes it), then execs the command; a failed exec comes back
// on fd 3 as an errno name, a successful one closes fd 3 (close-on-exec) with no data.
// Its stdout/stderr are what outputs.ts decided: the write ends of real pipes, our own fds (a
// terminal), or Node's socketpairs.
import type { Readable, Writable } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { execa } from 'execa';
import { pathCandidates } from './host-facts.js';
import type { StdioEntry } from './outputs.js';

export interface TargetExit {
  code: number | null;
  signal: string | null;
}

export interface Target {
  /** the root process (the gate, which becomes the command); null when nothing could be spawned */
  readonly pid: number | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** wake the gate without releasing it: it makes a syscall and waits again (no-op when spawned directly) */
  wake(): void;
  /** let the gate exec the command (no-op when spawned directly) */
  release(): void;
  /** never release it: the gate exits 125 without running the command (no-op when spawned directly) */
  abort(): void;
  /** resolves when the root process has exited */
  readonly exited: Promise<TargetExit>;
  /** errno name when the command could not be executed, else null; call after `exited` */
  execError(): Promise<string | null>;
  /** after execError(): the command was a file without #! that the gate ran with /bin/sh */
  viaShell: boolean;
}

const COMMON = {
  buffer: false,
  reject: false,
  cleanup: true,
  encoding: 'buffer',
  stripFinalNewline: false,
} as const;

// execa hands any fd number to the child as Node does, but its types only list 3..9
type FdNumber = 3;
type Entry = FdNumber | 'inherit' | 'pipe';
const entry = (e: StdioEntry): Entry => e as Entry;

/** Spawn `command` through the gate at `gatePath`, held until release(). `output`: its stdout and stderr. */
export function spawnThroughGate(gatePath: string, command: readonly string[], output: readonly [StdioEntry, StdioEntry] = ['pipe', 'pipe']): Target {
  const child = execa(gatePath, [...command], { ...COMMON, stdio: ['inherit', entry(output[0]), entry(output[1]), 'pipe'] });
  const control = child.stdio[3] as (Readable & Writable) | undefined;
  let report = '';
  const reported = new Promise<void>((resolve) => {
    if (!control) return resolve();
    control.on('data', (chunk: Buffer) => (report += chunk.toString('latin1')));
    control.on('end', resolve);
    control.on('close', resolve);
    control.on('error', () => resolve());
  });
  const exited = exitOf(child);
  return {
    ...common(child, exited),
    wake() {
      if (!control || control.destroyed) return;
      control.write('w');
    },
    release() {
      if (!control || control.destroyed) return;
      control.write('g');
    },
    abort() {
      control?.destroy();
    },
    async execError() {
      const spawnError = await exited.then(() => spawnErrorCode(child));
      if (spawnError !== null) return spawnError;
      // fd 3 closes at the latest when the gate exits; bound the wait all the same
      await Promise.race([reported, new Promise((r) => setTimeout(r, 1000).unref())]);
      // "sh": the ENOEXEC fallback ran (then an errno name if even that failed)
      const lines = report.split('\n').filter((l) => l !== '');
      this.viaShell = lines[0] === 'sh';
      const name = (this.viaShell ? lines.slice(1) : lines)[0] ?? '';
      return /^E[A-Z0-9]+$/.test(name) ? name : name !== '' ? 'EIO' : null;
    },
    viaShell: false,
  };
}

/** Spawn `command` directly (no gate available: the collector is off anyway). */
export function spawnDirect(command: readonly string[], output: readonly [StdioEntry, StdioEntry] = ['pipe', 'pipe']): Target {
  const child = execa(command[0]!, command.slice(1), { ...COMMON, stdio: ['inherit', entry(output[0]), entry(output[1])] });
  const exited = exitOf(child);
  return {
    ...common(child, exited),
    wake() {},
    release() {},
    abort() {},
    async execError() {
      await exited;
      return notFoundAsTheGateSays(spawnErrorCode(child), command[0]!);
    },
    viaShell: false,
  };
}

/**
 * Node's execvp (glibc's rule) says EACCES for a name found in no PATH directory when one of
 * them cannot be searched; `env` then exits 126. The gate, like bash, says ENOENT unless a file
 * of that name is there and cannot be executed: spawned directly, the same answer.
 */
function notFoundAsTheGateSays(error: string | null, name: string): string | null {
  if (error !== 'EACCES' || name.includes('/')) return error;
  return pathCandidates(name).some(isFile) ? error : 'ENOENT';
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** What this module needs of an execa subprocess (whatever its stdio typing). */
interface Spawned extends PromiseLike<{ failed: boolean; exitCode?: number | undefined; signal?: string | undefined }> {
  once: ChildProcess['once'];
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
}

/** What both ways of spawning share: the root's pid, its output (socketpairs only), its exit. */
function common(child: Spawned, exited: Promise<TargetExit>): Pick<Target, 'pid' | 'stdout' | 'stderr' | 'exited'> {
  return { pid: child.pid ?? null, stdout: child.stdout, stderr: child.stderr, exited };
}

const settled = new WeakMap<Spawned, { spawnError: string | null }>();

/** The 'exit' event (not stream EOF: daemons may hold the pipes), or the spawn failure. */
function exitOf(child: Spawned): Promise<TargetExit> {
  return new Promise<TargetExit>((resolve) => {
    child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
    child.then(
      (r) => {
        const spawnError = r.failed && r.exitCode === undefined && r.signal === undefined ? codeOf(r) : null;
        settled.set(child, { spawnError });
        resolve({ code: r.exitCode ?? null, signal: r.signal ?? null });
      },
      (e: unknown) => {
        settled.set(child, { spawnError: codeOf(e) });
        resolve({ code: null, signal: null });
      },
    );
  });
}

function spawnErrorCode(child: Spawned): string | null {
  return settled.get(child)?.spawnError ?? null;
}

function codeOf(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : null;
  return code !== null && /^E[A-Z0-9]+$/.test(code) ? code : 'EIO';
}
