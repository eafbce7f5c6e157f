// The digests of the files the tree wrote, taken once the run has ended (the root exited,
// with --wait-all every process, and the helper's stream drained): sha256 and size of each path
// of filesystem.writes and filesystem.outputs that is a regular file then. They go into the run
// facts (the recording's run frame), so that a replay never reads the disk.
//
// A path is hashed only when it is a regular file, and the very one looked at: lstat says a
// regular file (not a symlink, fifo, device...), open with O_NOFOLLOW (a symlink put there
// meanwhile fails) and O_NONBLOCK (a fifo put there meanwhile does not block), fstat says the
// same device and inode, and its file system is no pseudo file system (/proc, /sys, cgroup...,
// whose files are no content and may block or have effects when read). It is read in chunks of
// one buffer per worker, at most the size fstat gave (a file still growing is hashed as it was
// then), a few files at once. Anything else (gone, not regular, unreadable, a cut, foreign or
// pathless name) has no digest.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, statfs } from 'node:fs/promises';
import { isNormalAbsolute } from '../aggregate/paths.js';
import type { RunFacts } from '../schema/run-facts.js';

export type Digests = NonNullable<RunFacts['digests']>;
export type FileDigest = Digests['files'][number];

/** Files hashed at once. */
export const DIGEST_WORKERS = 4;
/** Bytes read at a time, per worker. */
export const DIGEST_CHUNK = 1 << 20;

// statfs f_type of the file systems whose files are not content on a disk
const PSEUDO_FS: ReadonlySet<number> = new Set([
  0x9fa0, // proc
  0x62656572, // sysfs
  0x27e0eb, // cgroup
  0x63677270, // cgroup2
  0x64626720, // debugfs
  0x74726163, // tracefs
  0x73636673, // securityfs
  0xcafe4a11, // bpf
  0x62656570, // configfs
  0x6165676c, // pstore
  0xde5e81e4, // efivarfs
  0x65735543, // fusectl
  0xf97cff8c, // selinuxfs
  0x43415d53, // smackfs
  0x19800202, // mqueue
  0x42494e4d, // binfmt_misc
  0x6e736673, // nsfs
  0x1cd1, // devpts
  0x7655821, // resctrl
]);

export interface TakenDigests {
  digests: Digests;
  /** paths left without a digest because `stop` was aborted (a signal to gh-run) */
  stopped: number;
}

/**
 * The digests of `paths` (sorted, as the aggregator gives them); `enabled` false: none taken
 * (--no-digests). `stop` aborted: the files not hashed yet are left without a digest.
 */
export async function takeDigests(paths: readonly string[], enabled: boolean, stop?: AbortSignal): Promise<TakenDigests> {
  if (!enabled) return { digests: { algorithm: 'off', files: [] }, stopped: 0 };
  const found: (FileDigest | null)[] = new Array<FileDigest | null>(paths.length).fill(null);
  let next = 0;
  let stopped = 0;
  const worker = async (): Promise<void> => {
    const buffer = Buffer.allocUnsafe(DIGEST_CHUNK);
    while (next < paths.length) {
      const i = next++;
      const digest = stop?.aborted ? null : await digestFile(paths[i]!, buffer, stop);
      if (digest !== null) found[i] = { path: paths[i]!, ...digest };
      else if (stop?.aborted) stopped++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(DIGEST_WORKERS, paths.length) }, worker));
  const files = found.filter((d): d is FileDigest => d !== null);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { digests: { algorithm: 'sha256', files }, stopped };
}

/**
 * sha256 (hex) and size of the regular file at `path`, or null (see above). `buffer`: the chunk
 * to read into; `stop` aborted: null, between two chunks.
 */
export async function digestFile(
  path: string,
  buffer: Buffer = Buffer.allocUnsafe(DIGEST_CHUNK),
  stop?: AbortSignal,
): Promise<{ sha256: string; size: number } | null> {
  // a cut path ("…/..."), another namespace's ("mnt:[...]"), a file with no path: nothing to open
  if (!isNormalAbsolute(path)) return null;
  try {
    const seen = await lstat(path, { bigint: true });
    if (!seen.isFile()) return null;
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const stat = await handle.stat({ bigint: true });
      if (!stat.isFile() || stat.dev !== seen.dev || stat.ino !== seen.ino) return null;
      if (await onPseudoFs(handle.fd, path)) return null;
      const hash = createHash('sha256');
      let left = Number(stat.size);
      let position = 0;
      while (left > 0) {
        if (stop?.aborted) return null;
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, left), position);
        if (bytesRead === 0) break; // it shrank: what there was
        hash.update(buffer.subarray(0, bytesRead));
        position += bytesRead;
        left -= bytesRead;
      }
      return { sha256: hash.digest('hex'), size: position };
    } finally {
      await handle.close();
    }
  } catch {
    return null; // gone, unreadable, a symlink put there (ELOOP), ...
  }
}

/** Whether the open file lives on a pseudo file system (its own fd's, else its path's). */
async function onPseudoFs(fd: number, path: string): Promise<boolean> {
  let type: number;
  try {
    type = (await statfs(`/proc/self/fd/${fd}`)).type;
  } catch {
    type = (await statfs(path)).type; // no /proc: the path, which fstat just matched
  }
  return PSEUDO_FS.has(type >>> 0);
}
