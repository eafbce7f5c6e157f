// Real pipes for the command's stdout/stderr. Node's 'pipe' stdio entries are socketpairs,
// and open("/dev/stdout") on a socket fails with ENXIO, which breaks the common shell idiom
// `echo x > /dev/stderr`. A FIFO is a real pipe: made in a private directory, opened (read end
// first, non-blocking, so opening the write end does not wait), then unlinked at once.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** The two pipes: write ends for the command's stdio, read ends as streams for the tees. */
export interface OutputPipes {
  readonly stdoutFd: number;
  readonly stderrFd: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Close our copies of the write ends (after spawn), so EOF comes when the command's close. */
  closeWriteEnds(): void;
}

export class OutputPipesError extends Error {
  override name = 'OutputPipesError';
}

/** Create both pipes; throws OutputPipesError (nothing left open or on disk) when it cannot. */
export function createOutputPipes(): OutputPipes {
  const dir = mkdtempSync(join(tmpdir(), 'glasshouse-pipes-')); // mode 0700
  const opened: number[] = [];
  try {
    const paths = [join(dir, 'stdout'), join(dir, 'stderr')] as const;
    const made = spawnSync('mkfifo', ['-m', '600', ...paths], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (made.error) throw new OutputPipesError(`mkfifo: ${made.error.message}`, { cause: made.error });
    if (made.status !== 0) throw new OutputPipesError(`mkfifo failed: ${made.stderr.trim() || `status ${made.status}`}`);
    const ends = paths.map((path) => {
      const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      opened.push(read);
      const write = openSync(path, constants.O_WRONLY);
      opened.push(write);
      return { read, write };
    });
    rmSync(dir, { recursive: true, force: true });
    const [out, err] = ends as [{ read: number; write: number }, { read: number; write: number }];
    let writeEndsOpen = true;
    return {
      stdoutFd: out.write,
      stderrFd: err.write,
      stdout: new Socket({ fd: out.read, readable: true, writable: false }),
      stderr: new Socket({ fd: err.read, readable: true, writable: false }),
      closeWriteEnds() {
        if (!writeEndsOpen) return;
        writeEndsOpen = false;
        closeSync(out.write);
        closeSync(err.write);
      },
    };
  } catch (error) {
    for (const fd of opened) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    if (error instanceof OutputPipesError) throw error;
    throw new OutputPipesError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** Whether fds a and b are one open pipe, terminal or file (same inode; for a file, same offset and flags). */
export function sameOpenFile(a: number, b: number): boolean {
  try {
    const [sa, sb] = [fstatSync(a), fstatSync(b)];
    if (sa.dev !== sb.dev || sa.ino !== sb.ino) return false;
    if (!sa.isFile()) return true;
    const info = (fd: number): string => readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => /^(pos|flags):/.test(l)).join();
    return info(a) === info(b);
  } catch {
    return false;
  }
}
