// Real pipes for the command's stdout/stderr. Node's 'pipe' stdio entries are socketpairs,
// and open("/dev/stdout") on a socket fails with ENXIO, which breaks the common shell idiom
// `echo x > /dev/stderr`. A FIFO is a real pipe: made in a private directory, opened (read end
// first, non-blocking, so opening the write end does not wait; the relay's worker reads it
// non-blocking too, and waits between reads, so that it can be told to stop), then unlinked at
// once.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One pipe: the write end for the command's stdio, the (non-blocking) read end for the relay. */
export interface OutputPipe {
  readonly writeFd: number;
  readonly readFd: number;
}

/** The command's output pipes: one for stdout and stderr both, or one each. */
export interface OutputPipes {
  readonly pipes: readonly OutputPipe[];
  /** write ends for the command's stdout and stderr (the same one when there is one pipe) */
  readonly stdoutFd: number;
  readonly stderrFd: number;
  /** read ends for the relays (the caller owns them); stderr's is null when one pipe carries both */
  readonly stdoutRead: number;
  readonly stderrRead: number | null;
  /** Close our copies of the write ends (after spawn), so EOF comes when the command's close. */
  closeWriteEnds(): void;
}

export class OutputPipesError extends Error {
  override name = 'OutputPipesError';
}

/** Create `count` pipes; throws OutputPipesError (nothing left open or on disk) when it cannot. */
export function createOutputPipes(count: 1 | 2 = 2): OutputPipes {
  const dir = mkdtempSync(join(tmpdir(), 'glasshouse-pipes-')); // mode 0700
  const opened: number[] = [];
  const open = (path: string, flags: number): number => {
    const fd = openSync(path, flags);
    opened.push(fd);
    return fd;
  };
  try {
    const paths = ['stdout', 'stderr'].slice(0, count).map((name) => join(dir, name));
    const made = spawnSync('mkfifo', ['-m', '600', ...paths], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (made.error) throw new OutputPipesError(`mkfifo: ${made.error.message}`, { cause: made.error });
    if (made.status !== 0) throw new OutputPipesError(`mkfifo failed: ${made.stderr.trim() || `status ${made.status}`}`);
    const pipes = paths.map((path): OutputPipe => {
      const readFd = open(path, constants.O_RDONLY | constants.O_NONBLOCK);
      const writeFd = open(path, constants.O_WRONLY);
      return { writeFd, readFd };
    });
    rmSync(dir, { recursive: true, force: true });
    const out = pipes[0]!;
    const err = pipes[1] ?? null;
    let writeEndsOpen = true;
    return {
      pipes,
      stdoutFd: out.writeFd,
      stderrFd: (err ?? out).writeFd,
      stdoutRead: out.readFd,
      stderrRead: err?.readFd ?? null,
      closeWriteEnds() {
        if (!writeEndsOpen) return;
        writeEndsOpen = false;
        for (const p of pipes) closeSync(p.writeFd);
      },
    };
  } catch (error) {
    for (const fd of opened) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    if (error instanceof OutputPipesError) throw error;
    throw new OutputPipesError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/**
 * Whether fds `a` and `b` write to the same place, so that one pipe can carry both and keep their
 * order (the user's `2>&1`). Same device and inode is enough for a pipe, socket or terminal: two
 * opens of one are one stream. A regular file (or anything else with an offset) also needs the
 * same open file description, or `>f 2>f` (two offsets, each overwriting the other) would pass
 * for `>f 2>&1`; Node cannot ask the kernel that (kcmp), so this compares what
 * /proc/self/fdinfo shows of the description: the offset and the flags must be equal. Two
 * separate opens at the same offset with the same flags still pass: `>>f 2>>f` (both append, so
 * one pipe keeps their order anyway) and `>f 2>f` before either was written to (then one pipe
 * appends where the two would have overwritten each other).
 */
export function sameOpenFile(a: number, b: number): boolean {
  try {
    const sa = fstatSync(a);
    const sb = fstatSync(b);
    if (sa.dev !== sb.dev || sa.ino !== sb.ino) return false;
    if (sa.isFIFO() || sa.isSocket() || sa.isCharacterDevice()) return true;
    const fa = fdinfo(a);
    const fb = fdinfo(b);
    return fa !== null && fa.pos === fb?.pos && fa.flags === fb.flags;
  } catch {
    return false;
  }
}

/** The offset and flags of an fd's open file description (O_CLOEXEC, a per-fd flag, left out). */
function fdinfo(fd: number): { pos: string; flags: number } | null {
  const text = readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1');
  const pos = /^pos:\s*(\d+)/m.exec(text)?.[1];
  const flags = /^flags:\s*([0-7]+)/m.exec(text)?.[1];
  if (pos === undefined || flags === undefined) return null;
  return { pos, flags: parseInt(flags, 8) & ~O_CLOEXEC };
}

const O_CLOEXEC = 0o2000000; // Linux; not in fs.constants
