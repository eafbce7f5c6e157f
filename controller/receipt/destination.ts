// Where a receipt goes, decided and checked before the command runs (as `strace -o` opens its
// output first): a run whose receipt cannot be written is refused, not run and then lost.
//
// - `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: our own fd N, written at its
//   offset once the command's output is done (`-o /dev/fd/3 3>&1`). Never opened again by path:
//   that would start a regular file over at offset 0, and never renamed over (the /dev/stdout
//   symlink survives).
// - An existing file that is not a regular file (a terminal, /dev/null, a FIFO): opened now, in
//   place, and written at the end.
// - Anything else is a regular file, written atomically at the end (temp file, fsync, rename in
//   its directory). A symlink to one is followed: the link stays, its target is replaced.
//   Whether a file can be made there is tried now, with a probe file made and removed at once.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { errnoText } from '../aggregate/errno.js';

export class DestinationError extends Error {
  override name = 'DestinationError';
}

/** What a regular file looked like when the run began: a change by the end means another writer. */
interface Seen {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export type Destination =
  | { kind: 'fd'; fd: number; name: string; close: boolean }
  | { kind: 'file'; path: string; name: string; seen: Seen | null };

const OWN_FD = /^\/(?:dev\/(stdin|stdout|stderr)|dev\/fd\/(\d+)|proc\/self\/fd\/(\d+))$/;
const STD_FDS: Record<string, number> = { stdin: 0, stdout: 1, stderr: 2 };

/** Decide and check where `output` (as the user gave it) is written; throws DestinationError. */
/** `what` names the file in the errors ("the receipt", "the report"). */
export function openDestination(output: string, what = 'the receipt'): Destination {
  const name = output;
  const path = resolve(output);
  const own = OWN_FD.exec(path);
  if (own !== null) return { kind: 'fd', fd: ownFd(own, name, what), name, close: false };
  let stats: Stats | null;
  try {
    stats = statSync(path);
  } catch (error) {
    if (code(error) !== 'ENOENT') throw failure(name, error, what);
    stats = null;
  }
  if (stats === null) {
    if (isLink(path)) throw new DestinationError(`cannot write ${what} to ${name}: it is a symlink to a path that does not exist`);
    probe(name, dirname(path), what);
    return { kind: 'file', path, name, seen: null };
  }
  if (stats.isDirectory()) throw new DestinationError(`cannot write ${what} to ${name}: it is a directory`);
  if (!stats.isFile()) {
    // a device, FIFO or socket: written in place (for a FIFO this waits for its reader, as a shell's > does)
    try {
      return { kind: 'fd', fd: openSync(path, constants.O_WRONLY | constants.O_NOCTTY), name, close: true };
    } catch (error) {
      throw failure(name, error, what);
    }
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch (error) {
    throw failure(name, error, what);
  }
  probe(name, dirname(real), what);
  return { kind: 'file', path: real, name, seen: seen(stats) };
}

/** True when the file at a `file` destination was made or changed by someone else since it was opened. */
export function replacedSince(destination: Destination): boolean {
  if (destination.kind !== 'file') return false;
  let now: Stats;
  try {
    now = lstatSync(destination.path);
  } catch {
    return false; // gone: nothing of anyone else's is replaced
  }
  const before = destination.seen;
  if (before === null) return true;
  const after = seen(now);
  return after.dev !== before.dev || after.ino !== before.ino || after.size !== before.size || after.mtimeMs !== before.mtimeMs;
}

/** Close a destination that will not be written (the run was refused after all). */
export function closeDestination(destination: Destination): void {
  if (destination.kind === 'fd' && destination.close) closeSync(destination.fd);
}

/**
 * The fds this process had when it started (main.ts notes them first thing): Node's own (its
 * event loop, its internal pipes) are there too, but no fd gh-run opens later (the helper's
 * pipes). Without the note, the fds at the first call.
 */
let inherited: ReadonlySet<number> | null = null;

export function noteInheritedFds(): void {
  inherited ??= openFds();
}

function openFds(): ReadonlySet<number> {
  try {
    return new Set(readdirSync('/proc/self/fd').map(Number));
  } catch {
    return new Set();
  }
}

/**
 * fd N as the receipt's destination. 0-2 are the user's. A higher one must be one the user gave
 * (`3>&1`), not one of Node's own, which share the numbers: writing a receipt into the event
 * loop's eventfd or a libuv pipe would crash gh-run. So it must have been open at start, be
 * open for writing, not be an anonymous inode (eventpoll, eventfd), and not be a pipe whose read
 * end this process holds too (libuv's internal pipes; a pipe given to us has only its write end).
 */
function ownFd(match: RegExpExecArray, name: string, what: string): number {
  const fd = match[1] !== undefined ? STD_FDS[match[1]]! : Number(match[2] ?? match[3]);
  noteInheritedFds();
  const notGiven = new DestinationError(`cannot write ${what} to ${name}: fd ${fd} was not given to gh-run (give it, e.g. ${fd}>&1)`);
  if (!Number.isSafeInteger(fd) || (fd > 2 && !inherited!.has(fd))) throw notGiven;
  const info = fdInfo(fd);
  if (info === null) throw notGiven;
  if ((info.flags & 3) === constants.O_RDONLY) throw new DestinationError(`cannot write ${what} to ${name}: fd ${fd} is not open for writing`);
  if (fd > 2 && (info.target.startsWith('anon_inode:') || (info.target.startsWith('pipe:') && holdsReadEnd(info.target, fd)))) throw notGiven;
  return fd;
}

/** What fd is (its /proc/self/fd link) and its open flags; null when it is not open. */
function fdInfo(fd: number): { target: string; flags: number } | null {
  try {
    fstatSync(fd);
    const target = readlinkSync(`/proc/self/fd/${fd}`);
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return { target, flags: flags !== null ? parseInt(flags[1]!, 8) : constants.O_WRONLY };
  } catch {
    return null;
  }
}

/** Whether another fd of ours is the read end of this pipe. */
function holdsReadEnd(pipe: string, except: number): boolean {
  for (const other of openFds()) {
    if (other === except) continue;
    const info = fdInfo(other);
    if (info !== null && info.target === pipe && (info.flags & 3) === constants.O_RDONLY) return true;
  }
  return false;
}

/** Make and remove a file in `dir`: what the atomic write at the end will need. */
function probe(name: string, dir: string, what: string): void {
  const file = join(dir, `.${basename(name)}.probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
  } catch (error) {
    throw failure(name, error, what);
  }
  try {
    unlinkSync(file);
  } catch {
    // made but not removable: the rename at the end may fail too; it says so then
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

const seen = (s: Stats): Seen => ({ dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs });

function code(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/** The reason as `ENOENT: no such file or directory`, without the probe file's name. */
function failure(name: string, error: unknown, what: string): DestinationError {
  const errno = code(error);
  const message = error instanceof Error ? error.message : String(error);
  // Node's text is "EROFS: read-only file system, open '<path>'": the path is the probe's
  const text = errno !== undefined && errnoText(errno) !== errno ? errnoText(errno) : (/^[A-Z0-9]+: ([^,]+)/.exec(message)?.[1] ?? null);
  const why = errno !== undefined && text !== null ? `${errno}: ${text}` : message;
  return new DestinationError(`cannot write ${what} to ${name}: ${why}`, { cause: error });
}
