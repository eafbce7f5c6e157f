// Lexical path handling for paths the kernel reported: make absolute against a base
// directory, normalise, and show /proc/self with the real pid.
import { posix } from 'node:path';

/** Join a relative path to its base (when given) and normalise lexically. */
export function absolutePath(path: string, base: string | null): string {
  // the kernel's own paths (every successful open) are absolute and normal already
  if (isNormalAbsolute(path)) return path;
  const joined = !posix.isAbsolute(path) && base !== null && base !== '' ? posix.join(base, path) : path;
  if (joined === '') return joined;
  let normal = posix.normalize(joined);
  if (normal.length > 1 && normal.endsWith('/')) normal = normal.slice(0, -1);
  return normal;
}

/** An absolute path that posix.normalize (and the trailing-slash rule above) would leave alone. */
export function isNormalAbsolute(path: string): boolean {
  return (
    path.charCodeAt(0) === 47 /* / */ &&
    !path.includes('//') &&
    !path.includes('/./') &&
    !path.includes('/../') &&
    !path.endsWith('/.') &&
    !path.endsWith('/..') &&
    (path.length === 1 || !path.endsWith('/'))
  );
}

/** `/proc/self/...` -> `/proc/<pid>/...`, `/proc/thread-self/...` -> `/proc/<pid>/task/<tid>/...`. */
export function realProcPath(path: string, pid: number, tid: number): string {
  const self = matchPrefix(path, '/proc/self');
  if (self !== null) return `/proc/${pid}${self}`;
  const thread = matchPrefix(path, '/proc/thread-self');
  if (thread !== null) return `/proc/${pid}/task/${tid}${thread}`;
  return path;
}

function matchPrefix(path: string, prefix: string): string | null {
  if (path === prefix) return '';
  if (path.startsWith(prefix + '/')) return path.slice(prefix.length);
  return null;
}

/**
 * Whether a path is only the tail of one over 4096 bytes: the helper starts it with "…", which
 * no absolute path does (nor one of another mount namespace, "mnt:[<inode>]/...": a cut one
 * reads "mnt:[<inode>]…/..."). Read off the path, so that an entry keeps no more than its key.
 */
export function isCut(path: string): boolean {
  return path.charCodeAt(0) === 0x2026 || /^mnt:\[\d+\]\u2026/.test(path);
}
