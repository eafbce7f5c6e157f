// errno names as the short lowercase text users know from shells (strerror-style).
import { constants } from 'node:os';

const TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOEXEC: 'exec format error',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  E2BIG: 'argument list too long',
  ETXTBSY: 'text file busy',
  ENOMEM: 'cannot allocate memory',
};

/** "ENOENT" -> "no such file or directory"; unknown names are returned as they are. */
export function errnoText(name: string): string {
  return TEXT[name] ?? name;
}

/** "SIGKILL" -> 9, unknown names -> null. */
export function signalNumber(name: string): number | null {
  const n = (constants.signals as Record<string, number | undefined>)[name];
  return n ?? null;
}

/** The status a shell reports for an exit: the code, or 128+N for death by signal N. */
export function shellStatus(code: number | null, signal: string | null): number {
  return signal !== null ? 128 + (signalNumber(signal) ?? 0) : (code ?? 1);
}
