// The receipt contract (schema 0.5, documented in docs/receipt.md): the single source of the
// Receipt type, of its validation before writing, and of receipt.schema.json.
import * as z from 'zod';
import { CHANGE_OPS } from './frames.js';

export const SCHEMA_VERSION = '0.5';

const Int = z.number().int();
const NonNegInt = z.number().int().nonnegative();
const PosInt = z.number().int().positive();
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const Errno = z.string().regex(/^E[A-Z0-9]+$/);

export const ExecEntry = z.object({
  path: z.string(),
  // exactly as passed to execve (for a #! script too: its own argv[0], not the interpreter's);
  // null when argv is not captured (--no-argv), could not be read, or (a script whose start the
  // kernel side missed) is not known as passed
  argv: z.array(z.string()).nullable(),
  result: z.union([z.literal('ok'), Errno]),
  argv_truncated: z.literal(true).optional(),
  // a #! script (or binfmt_misc): what the kernel put in front of argv[1..] for the interpreter,
  // in place of argv[0] (["/bin/sh", "./s.sh"]); the interpreter's whole argv is this, then argv[1..]
  interpreter: z.array(z.string()).optional(),
  // a path of this exec (its exe, cwd, or the directory its path was relative to) was over 4096
  // bytes: only its tail is known, and it starts with "…"
  path_truncated: z.literal(true).optional(),
});
export type ExecEntry = z.infer<typeof ExecEntry>;

const processFields = {
  pid: NonNegInt,
  ppid: NonNegInt.nullable(),
  exe: z.string().nullable(),
  argv: z.array(z.string()).nullable(),
  execs: z.array(ExecEntry),
  cwd: z.string().nullable(),
  uid: NonNegInt.nullable(),
  start_offset_ms: z.number().nonnegative(),
  // when it exited, in ms since timing.started_at (the kernel's time of the exit, 0.5); null while
  // it runs, or when its exit was not reported (events lost, collector unavailable)
  end_offset_ms: z.number().nonnegative().nullable(),
  exit_code: z.number().int().min(0).max(255).nullable(),
  signal: z.string().nullable(),
  state: z.enum(['exited', 'running']),
  // true when some of its activity was withheld because it ran with credentials the caller
  // may not trace (the ptrace rule: other uids or gids, capabilities the caller lacks, or not
  // dumpable after gaining privilege), or an exec of it gained privilege (AT_SECURE). Its exec
  // and exit are reported; its files, network, syscalls and cwd are not, while that holds.
  privileged: z.boolean().default(false),
  // how many of its syscalls were withheld (when it exited; absent when nothing was, or unknown)
  withheld_syscalls: PosInt.optional(),
  // its mount namespace (inode number) when not gh-run's, as of its last event; its paths that
  // only mean something there read "mnt:[<inode>]/..." (see mount_namespaces)
  mnt_ns: PosInt.optional(),
  // exe is not a path: the program ran from a file with no name in any directory (a memfd:
  // "memfd:<name>")
  exe_anonymous: z.literal(true).optional(),
};

/** One process of the tree, flat (the `processes` list). */
export const Process = z.object(processFields);
export type Process = z.infer<typeof Process>;

/** One process with its children nested (the `process_tree`). */
export interface ProcessNode extends Process {
  children: ProcessNode[];
}
export const ProcessNode: z.ZodType<ProcessNode> = z.object({
  ...processFields,
  get children(): z.ZodArray<z.ZodType<ProcessNode>> {
    return z.array(ProcessNode);
  },
}).meta({ id: 'ProcessNode', description: 'a process with its children nested' });

/**
 * The checks of `ProcessNode.nullable()` without recursion, for parsing: zod walks a recursive
 * schema with recursion, and a hostile command can fork a chain deep enough (about 1,000) to
 * overflow the call stack. Each node is parsed on its own, with the flat fields and `children`
 * only checked to be an array, walking the tree with an explicit stack; the issues are those
 * one parse would give, in the same order, their paths from the tree's top
 * (`children.0.children.3.pid`), and the value is the same tree. `ProcessNode` stays the schema
 * of the type and of receipt.schema.json.
 */
const ProcessNodeLevel = z.object({ ...processFields, children: z.array(z.unknown()) });
/** Where a node is: its index among its parent's children, then its parent's place (null: the top). */
interface Place {
  index: number;
  parent: Place | null;
}
const pathOf = (place: Place | null): (string | number)[] => {
  const path: (string | number)[] = [];
  for (let at = place; at !== null; at = at.parent) path.push(at.index, 'children');
  return path.reverse();
};
export const ProcessTreeParser = z
  .unknown()
  .transform((value, ctx): ProcessNode | null => {
    if (value === null) return null;
    const top: ProcessNode[] = [];
    // depth first, children in order, each node's own fields before its children's: the order
    // of one parse's issues
    const stack: { value: unknown; place: Place | null; into: ProcessNode[] }[] = [{ value, place: null, into: top }];
    let failed = false;
    while (stack.length > 0) {
      const { value: v, place, into } = stack.pop()!;
      const level = ProcessNodeLevel.safeParse(v);
      const children: ProcessNode[] = [];
      if (level.success) {
        const node = { ...level.data, children };
        into.push(node);
      } else {
        failed = true;
        const path = pathOf(place); // made only for a failure: a path per node would cost depth² in a chain
        for (const issue of level.error.issues) ctx.addIssue({ ...issue, path: [...path, ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
      }
      // a bad node's children are checked too (one parse reports them all)
      const kids = level.success ? level.data.children : isRecord(v) && Array.isArray(v.children) ? (v.children as unknown[]) : [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ value: kids[i], place: { index: i, parent: place }, into: children });
    }
    return failed ? z.NEVER : top[0]!;
  });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// a file with no path, named as /proc/<pid>/fd names it: pipe:[ino], socket:[ino],
// anon_inode:[eventfd], memfd:<name> (without the kernel's "/" and " (deleted)", so that it is
// never taken for a path); "anonymous" for any other (a file unlinked from a pseudo file system)
export const FileKind = z.enum(['pipe', 'socket', 'anon_inode', 'memfd', 'anonymous']);
// the path was over 4096 bytes: only its tail is known, and it starts with "…" (never with "/")
const PathTruncated = z.literal(true).optional();
const PathEntry = z.object({
  path: z.string(),
  pids: z.array(NonNegInt),
  count: NonNegInt,
  path_truncated: PathTruncated,
  kind: FileKind.optional(),
});
// sha256 (hex) and size in bytes of a regular file's content
const Digest = z.object({ sha256: Sha256, size: NonNegInt });

// a path opened for writing, or that an open created or truncated (O_RDONLY|O_TRUNC too)
const WriteEntry = z.object({
  path: z.string(),
  pids: z.array(NonNegInt),
  count: NonNegInt,
  // some open of it created the file (O_CREAT that made it)
  created: z.boolean(),
  // some open of it truncated it (O_TRUNC on an existing regular file)
  truncated: z.boolean(),
  // what it held when the run had ended; null when it was gone then, not a regular file, not
  // readable, has no path that can be opened (cut, of another mount namespace), or digests are off
  digest: Digest.nullable(),
  path_truncated: PathTruncated,
  kind: FileKind.optional(),
});
const FailedPathEntry = z.object({
  path: z.string(),
  mode: z.enum(['read', 'write', 'readwrite', 'path']),
  errno: Errno,
  pids: z.array(NonNegInt),
  count: NonNegInt,
  path_truncated: PathTruncated,
});
export type PathEntry = z.infer<typeof PathEntry>;
export type WriteEntry = z.infer<typeof WriteEntry>;
export type FailedPathEntry = z.infer<typeof FailedPathEntry>;

export const ChangeOp = z.enum(CHANGE_OPS);
/**
 * One distinct attempt (ok or not) to change a name or metadata, by any process of the tree:
 * unlink, rmdir, mkdir, mknod, rename, link, symlink, chmod, chown, truncate and their *at and
 * f* forms. Paths are absolute and normalised lexically like those of failed opens (against
 * the cwd or the dirfd of the call), not resolved (a deleted file cannot be); for an f* form
 * the path is the kernel's path of the fd's file, as for a successful open.
 */
const ChangeEntry = z.object({
  op: ChangeOp,
  // null: the fd of an f* form named no file (EBADF)
  path: z.string().nullable(),
  // rename: the new name; link: the existing file (path is the new name)
  to: z.string().optional(),
  // symlink: the target exactly as written (never normalised)
  target: z.string().optional(),
  // mkdir, mknod, chmod: the permission bits as passed (mode & 07777), 4 octal digits
  mode: z.string().regex(/^[0-7]{4}$/).optional(),
  // mknod: the type of node asked for (no type bits: "file")
  kind: z.enum(['file', 'fifo', 'char', 'block', 'socket']).optional(),
  // mknod of a char or block device: "major:minor"
  dev: z.string().regex(/^\d+:\d+$/).optional(),
  // chown: as passed, -1 leaves it unchanged
  uid: Int.optional(),
  gid: Int.optional(),
  // truncate, ftruncate: the length asked for
  size: Int.optional(),
  // the names of the flag bits passed (RENAME_EXCHANGE, AT_SYMLINK_NOFOLLOW, ...), a bit with
  // no name as "0x..."; absent when none (unlinkat's AT_REMOVEDIR is op "rmdir")
  flags: z.array(z.string()).min(1).optional(),
  // the fd of an f* form (fchmod, fchown, ftruncate, AT_EMPTY_PATH)
  fd: Int.optional(),
  result: z.union([z.literal('ok'), Errno]),
  pids: z.array(NonNegInt),
  count: NonNegInt,
  // a path of the call was over 4096 bytes: only its tail is known, and it starts with "…"
  path_truncated: PathTruncated,
});
export type ChangeEntry = z.infer<typeof ChangeEntry>;

/**
 * A path holding content the tree wrote, as the run ended: the net effect of its writes,
 * truncates, renames, links and deletes, replayed in order (lexically: see changes). Regular
 * file content on a disk only: what the tree made that is no regular file (a directory, a
 * symlink, a fifo) is a change, not an output, and so are files with no path and the pseudo
 * file systems (/proc, /sys, /dev but /dev/shm).
 */
const OutputEntry = z.object({
  path: z.string(),
  // the tree created the file (an open that made it, before any renames and links that moved it here)
  created: z.boolean(),
  // as in writes
  digest: Digest.nullable(),
});
export type OutputEntry = z.infer<typeof OutputEntry>;

/**
 * A path that was there before the run (the tree found something there) and is not at its
 * end: deleted, removed as a directory, or renamed away, and not made again. What the tree
 * made and removed again (a temporary file) is in neither list.
 */
const RemovedEntry = z.object({
  path: z.string(),
  // the last call that removed it
  op: z.enum(['delete', 'rmdir', 'rename']),
});
export type RemovedEntry = z.infer<typeof RemovedEntry>;

/**
 * One distinct network attempt (connect, send to a named destination, listen, accept) with the
 * bytes of every socket it stands for; op "socket" for a socket no attempt names (inherited or
 * connected before the run, or an unconnected one sent to several entries' destinations).
 */
export const NetworkEntry = z.object({
  pid: NonNegInt,
  op: z.enum(['connect', 'sendto', 'sendmsg', 'listen', 'accept', 'socket']),
  family: z.enum(['inet', 'inet6', 'unix']),
  protocol: z.string(),
  // connect, sendto, sendmsg: the destination; listen: the address bound; accept: the peer;
  // socket: the peer, "" when it had none
  address: z.string(),
  // listen: the port actually bound; null for unix, and for a socket with no peer
  port: z.number().int().min(0).max(65535).nullable(),
  // for a non-blocking connect whose outcome is known (initial "EINPROGRESS"): that outcome
  result: z.union([z.literal('ok'), Errno]),
  // present only when result is the outcome of a non-blocking connect: what the call returned
  initial: Errno.optional(),
  count: NonNegInt,
  // the name a DNS answer of this run gave for address (the name asked); null when none did
  host: z.string().nullable(),
  // what the calls returned, summed over the entry's sockets, whichever call moved the bytes
  // (protocol 5: 0 for older recordings, see collector.network_bytes)
  bytes_sent: NonNegInt,
  bytes_received: NonNegInt,
  // bytes_sent + bytes_received
  bytes: NonNegInt,
});
export type NetworkEntry = z.infer<typeof NetworkEntry>;

/** A DNS question the tree sent (over UDP or TCP, port 53) and the answer it got. */
export const DnsEntry = z.object({
  // as asked, with letters in lower case and no trailing dot ("." for the root); a byte outside
  // printable ASCII as \DDD (decimal), a dot or backslash inside a label as \. and \\ (as in zone files)
  name: z.string(),
  // "A", "AAAA", "CNAME", "MX", "TXT", "PTR", "NS", "SOA", "SRV", "HTTPS", "SVCB", "ANY", or "TYPE<n>"
  type: z.string().regex(/^(A|AAAA|CNAME|MX|TXT|PTR|NS|SOA|SRV|HTTPS|SVCB|ANY|TYPE\d+)$/),
  // the DNS server: the peer the query went to
  server: z.string(),
  port: z.number().int().min(0).max(65535),
  protocol: z.enum(['udp', 'tcp']),
  // null: no answer seen
  rcode: z.string().regex(/^(NOERROR|FORMERR|SERVFAIL|NXDOMAIN|NOTIMP|REFUSED|RCODE\d+)$/).nullable(),
  // the A and AAAA addresses (IPv6 in RFC 5952 form) and CNAME targets of the answer section, in order
  answers: z.array(z.string()),
  // the answer had the TC bit: it did not fit (a client retries over TCP)
  truncated: z.boolean(),
  // false when a copy of the query or of the answer was cut (512 bytes are copied): answers may be missing
  complete: z.boolean(),
  pids: z.array(NonNegInt),
  count: PosInt,
});
export type DnsEntry = z.infer<typeof DnsEntry>;

/**
 * One of the command's output streams. Relayed through a pipe (a pipe or file at gh-run's end):
 * its SHA-256 and byte count. Handed to the command as is because it was a terminal: `terminal:
 * true`, nothing hashed (null). Relayed together with the other stream because both were the
 * same open file (`2>&1`): `merged: true` on both, the merged stream's hash and bytes in stdout,
 * null in stderr. Either flag is present only when true.
 */
export const Artifact = z
  .object({
    sha256: Sha256.nullable(),
    bytes: NonNegInt.nullable(),
    terminal: z.literal(true).optional(),
    merged: z.literal(true).optional(),
  })
  .refine((a) => (a.sha256 === null) === (a.bytes === null), 'sha256 and bytes are both given or both null');
export type Artifact = z.infer<typeof Artifact>;

export const CollectorStatus = z.enum(['ok', 'degraded', 'unavailable']);
export type CollectorStatus = z.infer<typeof CollectorStatus>;

/**
 * An attempt of the command's tree on gh-run (the controller) or the helper: the two processes
 * that write the receipt. Any attempt, successful or not, degrades the collector status.
 */
export const TamperEntry = z.object({
  // the process that made it (for `signal`: a process outside the tree, named by the helper)
  pid: NonNegInt,
  // the syscall ("kill", "ptrace", "pidfd_getfd", "openat", ...); "signal" for a signal the
  // helper received from a process outside the tree
  call: z.string(),
  target: z.enum(['controller', 'helper', 'both']),
  // human-readable: what was asked ("SIGTERM", "PTRACE_SEIZE", "/proc/4200/mem", "fd 5", ...)
  detail: z.string(),
  result: z.union([z.literal('ok'), Errno]),
  count: PosInt,
});
export type TamperEntry = z.infer<typeof TamperEntry>;

/** One mount of a mount namespace, as its /proc/<pid>/mountinfo line says. */
export const MountEntry = z.object({
  id: NonNegInt,
  parent: NonNegInt,
  // the directory of the file system that is mounted (a bind mount's source directory)
  root: z.string(),
  mount_point: z.string(),
  fs: z.string(),
  source: z.string(),
});

/**
 * A mount namespace other than gh-run's that the tree ran in, and its mounts (the last state
 * seen: the helper reads them when the tree enters the namespace and after each change).
 */
export const MountNamespace = z.object({
  mnt_ns: PosInt,
  pids: z.array(NonNegInt),
  mounts: z.array(MountEntry).nullable(),
  // the list was cut (over 4096 mounts or 512 KiB), or could not be read at all (error)
  truncated: z.boolean(),
  error: z.string().nullable(),
});
export type MountNamespace = z.infer<typeof MountNamespace>;

/** A file system glasshouse-init mounted before the command ran (guest mode). */
export const GuestMount = z.object({ fs: z.string(), target: z.string() });
export type GuestMount = z.infer<typeof GuestMount>;

export const Receipt = z
  .object({
    schema_version: z.literal(SCHEMA_VERSION),
    execution_id: Sha256,
    command: z.array(z.string()).min(1),
    outcome: z.object({
      exit_code: Int.nullable(),
      signal: z.string().nullable(),
      errors: z.array(z.string()),
    }),
    timing: z.object({
      started_at: z.string(),
      finished_at: z.string(),
      duration_ms: z.number().nonnegative(),
    }),
    // null only when the command could not be started at all (no process existed)
    process_tree: ProcessNode.nullable(),
    environment: z.object({
      hostname: z.string(),
      os: z.literal('linux'),
      kernel: z.string(),
      arch: z.string(),
      uid: NonNegInt,
      gid: NonNegInt,
      cwd: z.string(),
      runtime: z.string().nullable(),
      glasshouse_version: z.string(),
      guest: z.boolean(),
      // what guest mode mounted (proc on /proc, ...); empty when nothing was or not a guest
      guest_mounts: z.array(GuestMount),
    }),
    collector: z.object({
      status: CollectorStatus,
      reason: z.string().nullable(),
      events: NonNegInt,
      events_lost: NonNegInt,
      // further events identical to one already received (same process, same file and access
      // mode, or same peer and result), counted in the kernel instead of sent: in the counts
      events_folded: NonNegInt,
      argv_captured: z.boolean(),
      // bytes per socket were counted (a helper of protocol 5); false for older recordings, whose
      // network bytes are 0 and whose dns is empty because nothing was counted or copied
      network_bytes: z.boolean(),
      // DNS messages the tree sent or received that are not in dns: not DNS (cut before their
      // question ended, or not parseable), or not a query sent or an answer received
      dns_skipped: NonNegInt,
      // messages of sendmmsg calls past the first 64 of each call: sent, but their destinations
      // were not looked at, so no network entry counts them (their bytes may be on none)
      sends_unreported: NonNegInt,
      // attempts of the tree on gh-run or the helper (signals, ptrace, their memory or fds)
      tampering: z.array(TamperEntry),
    }),
    artifacts: z.object({ stdout: Artifact, stderr: Artifact }),
    exit_code: Int,
    duration_ms: z.number().nonnegative(),
    processes: z.array(Process),
    filesystem: z.object({
      reads: z.array(PathEntry),
      writes: z.array(WriteEntry),
      failed: z.array(FailedPathEntry),
      changes: z.array(ChangeEntry),
      // the net effect (protocol 4: empty for recordings of older helpers, which did not report changes)
      outputs: z.array(OutputEntry),
      removed: z.array(RemovedEntry),
      // "sha256": the digests of writes and outputs were taken when the run had ended; "off":
      // none were (--no-digests, or a recording made before glasshouse took them)
      digests: z.enum(['sha256', 'off']),
    }),
    network: z.array(NetworkEntry),
    dns: z.array(DnsEntry),
    syscalls: z.record(z.string(), NonNegInt),
    mount_namespaces: z.array(MountNamespace),
  })
  .meta({ title: 'glasshouse receipt', description: 'receipt.json written by gh-run, schema 0.5' });
export type Receipt = z.infer<typeof Receipt>;

/**
 * The Receipt schema as receipts are parsed and checked: the same checks, with process_tree
 * walked without recursion (ProcessTreeParser). `Receipt` itself stays the source of the type
 * and of receipt.schema.json.
 */
export const ReceiptParser = Receipt.extend({ process_tree: ProcessTreeParser });

/**
 * A receipt whose long lists may be any Iterable, produced as they are read: what the streaming
 * writer takes, so that a run with millions of entries never holds a second copy of them. A
 * Receipt is one; written out, both give the same JSON.
 */
export type LazyReceipt = Omit<Receipt, 'processes' | 'filesystem' | 'network'> & {
  processes: Iterable<Process>;
  filesystem: {
    reads: Iterable<PathEntry>;
    writes: Iterable<WriteEntry>;
    failed: Iterable<FailedPathEntry>;
    changes: Iterable<ChangeEntry>;
    outputs: Iterable<OutputEntry>;
    removed: Iterable<RemovedEntry>;
    digests: Receipt['filesystem']['digests'];
  };
  network: Iterable<NetworkEntry>;
};
