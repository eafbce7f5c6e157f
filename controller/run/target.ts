// The user's command as a child process, started through the gate: the gate blocks on fd 3
// (a socketpair) until released with "g" ("w" only wakes it), then execs the command; a failed exec comes back
// on fd 3 as an errno name, a successful one closes fd 3 (close-on-exec) with no data.
// Its stdout/stderr are the write ends of real pipes when given (see output-pipes.ts), else
// Node's socketpairs.
import type { Readable, Writable } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import type { OutputPipes } from './output-pipes.js';

export interface TargetExit {
  code: number | null;
  signal: string | null;
}

export interface Target {
  /** the root process (the gate, which becomes the command); null when nothing could be spawned */
  readonly pid: number | null;
  /** the command's output for the relays: a pipe's read end (ours to close), else Node's socketpair stream */
  readonly stdout: number | Readable | null;
  readonly stderr: number | Readable | null;
  /** wake the gate without releasing it: it makes a syscall and waits again (no-op when spawned directly) */
  wake(): void;
  /** let the gate exec the command (no-op when spawned directly) */
  release(): void;
  /** resolves when the root process has exited */
  readonly exited: Promise<TargetExit>;
  /** errno name when the command could not be executed, else null; call after `exited` */
  execError(): Promise<string | null>;
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

/** stdout/stderr entries of the child's stdio: the pipes' write ends, or socketpairs. */
function outputStdio(pipes: OutputPipes | null): [FdNumber | 'pipe', FdNumber | 'pipe'] {
  return pipes !== null ? [pipes.stdoutFd as FdNumber, pipes.stderrFd as FdNumber] : ['pipe', 'pipe'];
}

/** Spawn `command` through the gate at `gatePath`, held until release(). */
export function spawnThroughGate(gatePath: string, command: readonly string[], pipes: OutputPipes | null = null): Target {
  const child = execa(gatePath, [...command], { ...COMMON, stdio: ['inherit', ...outputStdio(pipes), 'pipe'] });
  pipes?.closeWriteEnds();
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
    ...common(child, pipes, exited),
    wake() {
      if (!control || control.destroyed) return;
      control.write('w');
    },
    release() {
      if (!control || control.destroyed) return;
      control.write('g');
    },
    async execError() {
      const spawnError = await exited.then(() => spawnErrorCode(child));
      if (spawnError !== null) return spawnError;
      // fd 3 closes at the latest when the gate exits; bound the wait all the same
      await Promise.race([reported, new Promise((r) => setTimeout(r, 1000).unref())]);
      const name = report.trim().split('\n')[0] ?? '';
      return /^E[A-Z0-9]+$/.test(name) ? name : name !== '' ? 'EIO' : null;
    },
  };
}

/** Spawn `command` directly (no gate available: the collector is off anyway). */
export function spawnDirect(command: readonly string[], pipes: OutputPipes | null = null): Target {
  const child = execa(command[0]!, command.slice(1), { ...COMMON, stdio: ['inherit', ...outputStdio(pipes)] });
  pipes?.closeWriteEnds();
  const exited = exitOf(child);
  return {
    ...common(child, pipes, exited),
    wake() {},
    release() {},
    async execError() {
      await exited;
      return spawnErrorCode(child);
    },
  };
}

/** What this module needs of an execa subprocess (whatever its stdio typing). */
interface Spawned extends PromiseLike<{ failed: boolean; exitCode?: number | undefined; signal?: string | undefined }> {
  once: ChildProcess['once'];
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
}

/** What both ways of spawning share: the root's pid, its output, its exit. */
function common(child: Spawned, pipes: OutputPipes | null, exited: Promise<TargetExit>): Pick<Target, 'pid' | 'stdout' | 'stderr' | 'exited'> {
  const stdout = pipes !== null ? pipes.stdoutRead : child.stdout;
  const stderr = pipes !== null ? pipes.stderrRead : child.stderr;
  return { pid: child.pid ?? null, stdout, stderr, exited };
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
