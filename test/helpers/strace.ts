// strace as an independent witness: run a command under strace and parse what
// strace saw into plain records (execs, exits, opens, changes on disk, network
// calls, listen and accept, forks, and the sockets each process held with the
// bytes that moved over them), so that tests can compare glasshouse receipts with
// strace's view of the same workload.
//
// The parser expects the output of strace run with STRACE_FLAGS (see there for
// why each flag is needed). The important ones are `-xx` (every string byte is
// printed as \xNN, so paths and argv elements with spaces, quotes, newlines or
// non-ASCII bytes come back exactly) and `-f` with `-o FILE` (every line starts
// with the pid of the thread that made the call).

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';

/** Syscalls traced by runStrace. */
export const STRACE_SYSCALLS: readonly string[] = [
  'execve', 'execveat',
  'open', 'openat', 'openat2', 'creat',
  'connect', 'sendto', 'sendmsg', 'sendmmsg',
  // sockets: listen and accept (trace.listens, trace.accepts), the outcome of a non-blocking
  // connect (getsockopt SO_ERROR), and what each fd is (trace.sockets): made, copied, closed
  'listen', 'accept', 'accept4', 'getsockopt',
  'socket', 'socketpair', 'close', 'dup', 'dup2', 'dup3', 'fcntl',
  'exit_group',
  'clone', 'clone3', 'fork', 'vfork',
  // changes to names and metadata on disk (trace.changes)
  'unlink', 'unlinkat', 'rmdir', 'mkdir', 'mkdirat', 'mknod', 'mknodat',
  'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat',
  'chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'fchown', 'lchown', 'fchownat',
  'truncate', 'ftruncate',
  // the cwd of each process, which the non-*at calls' relative paths are relative to
  'chdir', 'fchdir',
];

/**
 * The calls that move bytes over a socket, traced besides STRACE_SYSCALLS by runStrace with
 * `bytes: true` (STRACE_BYTES_FLAGS): their return values, summed per socket, are trace.sockets'
 * bytes. sendto, sendmsg and sendmmsg are in STRACE_SYSCALLS already.
 */
export const STRACE_BYTES_SYSCALLS: readonly string[] = [
  'read', 'write', 'readv', 'writev', 'recvfrom', 'recvmsg', 'recvmmsg', 'sendfile', 'splice',
];

/**
 * Syscalls that an older strace does not know by name: asked for as `?name` (no error when
 * unknown). strace 6.1 does not know fchmodat2 (Linux 6.6) but prints every call of a syscall it
 * does not know whatever the -e trace set, as `syscall_0x1c4(0x4, 0x7f..., 0x1a0, 0, ...)`: raw
 * numbers, the path as an address. The parser takes those as fchmodat2 calls with no path.
 */
const MAYBE_UNKNOWN = new Set(['fchmodat2']);
const RAW_NAMES: Record<string, string> = { syscall_0x1c4: 'fchmodat2' }; // one number on every arch

/**
 * Flags given to strace, before `-o FILE -- command...`.
 *
 * -f              follow forks, vforks and threads; with -o every line gets a pid prefix
 * -q              no attach/detach chatter, but keep the `+++ exited with N +++` and
 *                 `+++ killed by SIG +++` lines (-qq would drop them)
 * -s 131072       strings up to MAX_ARG_STRLEN: no argv element or path is cut; this is
 *                 also the bound on the number of argv elements printed
 * -xx             every byte of every string hex-escaped: exact bytes, and no string can
 *                 contain a character that matters to the parser
 * -yy             fds decorated with what they are: `3</abs/path>`, `AT_FDCWD</cwd>`,
 *                 `4<TCP:[...]>`: gives the resolved path of each opened file, the cwd or
 *                 dir a relative path is relative to, and each socket's protocol
 * -e trace=...    STRACE_SYSCALLS (clone & co. give the parent of each process and which
 *                 tids are threads of which process; chdir and fchdir the cwd of each)
 *
 * Not `-e signal=none`: with it, strace 6.1 loses the end of its output (at least the
 * root's `+++ killed by SIGKILL +++`) when the traced command dies by a signal. The
 * `--- SIGCHLD ... ---` lines it would hide are skipped by the parser.
 * Not `-v`: it would print every environment in full; argv is printed whole without it
 * (up to -s elements).
 */
export const STRACE_FLAGS: readonly string[] = [
  '-f', '-q', '-s', '131072', '-xx', '-yy',
  '-e', `trace=${STRACE_SYSCALLS.map((n) => (MAYBE_UNKNOWN.has(n) ? `?${n}` : n)).join(',')}`,
];

/**
 * STRACE_FLAGS, and the calls that move bytes (STRACE_BYTES_SYSCALLS): for trace.sockets' bytes.
 * `-s 4096`, not 131072: every read and write prints its buffer (hex-escaped, four characters a
 * byte), and with -s 131072 a run that moves a few MiB writes hundreds of MiB of text. Paths
 * (at most 4095 bytes) and fd decorations stay whole; longer argv elements are cut
 * (ExecCall.argvTruncated says so).
 */
export const STRACE_BYTES_FLAGS: readonly string[] = [
  '-f', '-q', '-s', '4096', '-xx', '-yy',
  '-e', `trace=${[...STRACE_SYSCALLS, ...STRACE_BYTES_SYSCALLS].map((n) => (MAYBE_UNKNOWN.has(n) ? `?${n}` : n)).join(',')}`,
];

/** Errno name as strace prints it (`ENOENT`), or `?` when the call never returned. */
export type Errno = string;

export interface ExecCall {
  pid: number;          // process (thread group) id
  tid: number;          // thread that made the call (the pid strace printed)
  syscall: 'execve' | 'execveat';
  dirfd: string | null; // execveat only, as printed (`AT_FDCWD`, `3`)
  path: string;
  argv: string[] | null;  // null when strace could not read it (NULL, bad pointer)
  argvTruncated: boolean; // an element or the list was cut by strace's -s bound
  flags: string | null;   // execveat only
  result: 'ok' | Errno;
}

export interface ExitStatus {
  pid: number;
  exitCode: number | null; // null when killed by a signal
  signal: string | null;   // `SIGKILL`, ...
  coreDumped: boolean;
}

export interface OpenCall {
  pid: number;
  tid: number;
  syscall: 'open' | 'openat' | 'openat2' | 'creat';
  path: string;               // as given to the call
  pathTruncated: boolean;
  dirfd: string | null;       // as printed (`AT_FDCWD`, `3`); null for open/creat
  dirfdPath: string | null;   // what dirfd referred to (-yy): the cwd for AT_FDCWD
  flags: string;              // `O_RDONLY|O_CLOEXEC`; creat gives `O_WRONLY|O_CREAT|O_TRUNC`
  mode: string | null;        // `0666` when printed
  result: number | Errno;     // the fd, or the errno name
  openedPath: string | null;  // the file the returned fd refers to (-yy), symlinks resolved
}

export type NetOp = 'connect' | 'sendto' | 'sendmsg';

export interface NetCall {
  pid: number;
  tid: number;
  op: NetOp;
  fd: number | null;
  socket: string | null;   // socket kind from -yy: `TCP`, `TCPv6`, `UDP`, `UNIX-STREAM`, ...
  protocol: string | null; // `tcp`, `udp` (inet/inet6); `stream` (unix, only that type is told)
  family: string | null;   // `inet`, `inet6`, `unix`, other AF_ names lowercased; null: no address
  address: string | null;  // IP address, unix socket path (`@name` for abstract ones)
  port: number | null;     // null for unix and for calls without an address
  result: 'ok' | Errno;
  bytes: number | null;    // bytes sent, for sendto/sendmsg that succeeded
  /** connect that said EINPROGRESS: what became of it, as the getsockopt(SO_ERROR) after it
   * said (`ok`, `ECONNREFUSED`, ...); null when nothing asked, and for every other call */
  outcome: 'ok' | Errno | null;
}

/** A socket address: IP and port, or a unix socket's path (port null; `@name` when abstract,
 * `''` when it has none). */
export interface SockAddr {
  family: 'inet' | 'inet6' | 'unix' | 'other';
  address: string;
  port: number | null;
}

export interface ListenCall {
  pid: number;
  tid: number;
  fd: number | null;
  family: SockAddr['family'] | null;
  protocol: string | null;
  /** where the socket is bound: from -yy, at the call or (a socket listen() bound) later */
  address: string | null;
  port: number | null;
  result: 'ok' | Errno;
}

export interface AcceptCall {
  pid: number;
  tid: number;
  syscall: 'accept' | 'accept4';
  fd: number | null;      // the listening socket
  newFd: number | null;   // the accepted socket
  family: SockAddr['family'] | null;
  protocol: string | null;
  address: string | null; // the peer: IP, or a unix peer's path ('' when it has none)
  port: number | null;
  result: 'ok' | Errno;
}

/**
 * One socket, followed through its fds (socket, socketpair and accept make it; dup*, fcntl
 * F_DUPFD and fork copy it; close and exec of a close-on-exec fd let go of it): what moved over
 * it, the sum of what the calls returned (STRACE_BYTES_SYSCALLS, with runStrace's `bytes`;
 * MSG_PEEK reads apart), whichever process made them.
 */
export interface SocketIO {
  id: number;              // in order of first sight
  pid: number;             // the process that made it (or first used it)
  family: SockAddr['family'];
  protocol: string | null; // tcp, udp, stream, dgram, seqpacket, raw...
  origin: 'socket' | 'socketpair' | 'accept' | 'seen';
  local: SockAddr | null;  // where it is bound, as -yy last said
  peer: SockAddr | null;   // what it is connected to (connect, accept, -yy)
  sent: number;
  received: number;
  sends: number;           // calls that moved bytes out
  recvs: number;           // calls that moved bytes in
  peeked: number;          // bytes read with MSG_PEEK (not in received)
  /** the part of `sent` that calls naming a destination sent, by destination */
  sentTo: { op: 'sendto' | 'sendmsg'; to: SockAddr; bytes: number; count: number; result: 'ok' | Errno }[];
}

/**
 * strace's view of one entry of the receipt's network section: the same merge key (pid, op,
 * family, protocol, address, port, result; and `initial`), count, and the bytes of the sockets
 * it stands for: a connect or accept entry gets its socket's bytes; a sendto/sendmsg entry the
 * bytes of the calls that named its destination, and the rest of its socket's when the socket
 * has that one entry; a socket no call named gets an entry of op `socket` (its peer, if any).
 */
export interface NetEntry {
  pid: number;
  op: 'connect' | 'sendto' | 'sendmsg' | 'listen' | 'accept' | 'socket';
  family: SockAddr['family'];
  protocol: string | null;
  address: string | null;
  port: number | null;
  result: 'ok' | Errno;
  initial: 'EINPROGRESS' | null;
  count: number;
  bytes_sent: number;
  bytes_received: number;
  /** the socket's other bytes went to the first of several sendto/sendmsg entries: which
   * destination they belong to, strace cannot say */
  ambiguous: boolean;
  /** op `socket`: no traced call made the socket (the command's stdio, when it is a socket) */
  inherited: boolean;
}

export interface ForkCall {
  pid: number;
  tid: number;
  syscall: 'clone' | 'clone3' | 'fork' | 'vfork';
  child: number | null; // the new tid, null when the call failed
  thread: boolean;      // CLONE_THREAD: a thread of the same process, not a new process
  result: 'ok' | Errno;
}

export type ChangeSyscall =
  | 'unlink' | 'unlinkat' | 'rmdir' | 'mkdir' | 'mkdirat' | 'mknod' | 'mknodat'
  | 'rename' | 'renameat' | 'renameat2' | 'link' | 'linkat' | 'symlink' | 'symlinkat'
  | 'chmod' | 'fchmod' | 'fchmodat' | 'fchmodat2' | 'chown' | 'fchown' | 'lchown' | 'fchownat'
  | 'truncate' | 'ftruncate';

/** delete: unlink, unlinkat; rmdir: rmdir, unlinkat with AT_REMOVEDIR; the rest by name. */
export type ChangeOp =
  | 'delete' | 'rmdir' | 'mkdir' | 'mknod' | 'rename' | 'link' | 'symlink' | 'chmod' | 'chown' | 'truncate';

/** The file type mknod was asked for (no type bits: a regular file). */
export type NodeKind = 'file' | 'fifo' | 'char' | 'block' | 'socket';

/**
 * One attempt to change a name or metadata on disk. Paths are absolute and lexical: the
 * requested path joined to the directory it is relative to (the dirfd's, as -yy names it, or the
 * cwd of the moment) and normalised, `..` and symlinks in it not resolved. The f* forms (and an
 * *at call with AT_EMPTY_PATH and "") name the file behind the fd, as -yy decorates it.
 */
export interface ChangeCall {
  pid: number;
  tid: number;
  syscall: ChangeSyscall;
  op: ChangeOp;
  /** The name changed (rename: the old name; link: the new name; symlink: the link); null when
   * unknown: no -yy decoration (a bad fd), cwd not known, an unreadable pointer, a raw call. */
  path: string | null;
  to: string | null;     // rename: the new name; link: the existing file linked to
  target: string | null; // symlink: the target exactly as written
  mode: number | null;   // mkdir, mknod, chmod: permission bits (& 0o7777) as passed
  kind: NodeKind | null; // mknod: the type asked for
  uid: number | null;    // chown: as passed, -1 stays -1
  gid: number | null;
  size: number | null;   // truncate: the length as passed (signed)
  fd: number | null;     // fchmod, fchown, ftruncate
  flags: string[];       // the flags argument as strace names them (AT_REMOVEDIR, RENAME_NOREPLACE)
  result: 'ok' | Errno;
  pathTruncated: boolean; // a path string (or target) was cut by strace's -s bound
}

export interface ProcessInfo {
  pid: number;
  ppid: number | null; // null for the first traced process (and any whose fork was not seen)
}

export interface StraceTrace {
  execs: ExecCall[];
  exits: ExitStatus[];
  opens: OpenCall[];
  network: NetCall[];
  forks: ForkCall[];
  /** unlink, rename, mkdir, chmod, chown, truncate and the rest: every attempt. */
  changes: ChangeCall[];
  listens: ListenCall[];
  accepts: AcceptCall[];
  /** every socket used, with the bytes moved over it (runStrace `bytes`, else 0) */
  sockets: SocketIO[];
  /** the receipt's network section as strace saw it */
  netEntries: NetEntry[];
  /** Every process seen, in order of first appearance. */
  processes: ProcessInfo[];
  /** Lines that were not understood (should stay empty; tests can assert that). */
  unparsed: string[];
}

// ---------------------------------------------------------------------------
// Values of strace's argument syntax

type Value =
  | { t: 'str'; bytes: Buffer; truncated: boolean; abstract: boolean }
  | { t: 'list'; items: Entry[]; closer: ']' | '}' }
  | { t: 'call'; name: string; args: Entry[] }
  | { t: 'atom'; text: string; deco: string | null }
  | { t: 'inout'; before: Value; after: Value };

interface Entry {
  key: string | null;
  value: Value;
}

class ParseError extends Error {}

const ATOM_STOP = new Set([' ', '\t', ',', '(', ')', '[', ']', '{', '}', '<', '>', '"', '=']);
const KEY_RE = /[A-Za-z_][A-Za-z0-9_.]*=(?![=>])/y;

/** Decode a C-style escaped string body (no quotes) into bytes. */
function unescapeBytes(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\') {
      const code = s.charCodeAt(i);
      if (code < 0x80) out.push(code);
      else {
        const cp = s.codePointAt(i) as number;
        if (cp > 0xffff) i++;
        out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      }
      continue;
    }
    const n = s[i + 1];
    if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      out.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (n !== undefined && n >= '0' && n <= '7') {
      const m = /^[0-7]{1,3}/.exec(s.slice(i + 1)) as RegExpExecArray;
      out.push(parseInt(m[0], 8) & 0xff);
      i += m[0].length;
    } else {
      const simple: Record<string, number> = {
        n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, e: 27, '\\': 92, '"': 34, "'": 39,
      };
      if (n !== undefined && n in simple) {
        out.push(simple[n] as number);
        i += 1;
      } else {
        out.push(92); // a lone backslash
      }
    }
  }
  return Buffer.from(out);
}

function decode(s: string): string {
  return unescapeBytes(s).toString('utf8');
}

class Cursor {
  i = 0;
  constructor(readonly s: string) {}

  peek(): string | undefined {
    return this.s[this.i];
  }

  startsWith(x: string): boolean {
    return this.s.startsWith(x, this.i);
  }

  fail(msg: string): never {
    throw new ParseError(`${msg} at column ${this.i}`);
  }

  /** Skip blanks and C comments (`/* 35 vars *\/`). */
  skipWs(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t') this.i++;
      else if (this.startsWith('/*')) {
        const end = this.s.indexOf('*/', this.i + 2);
        if (end < 0) this.fail('unterminated comment');
        this.i = end + 2;
      } else return;
    }
  }

  /** Entries up to and including `closer`, separated by commas. */
  entries(closer: string): Entry[] {
    const items: Entry[] = [];
    this.skipWs();
    if (this.peek() === closer) {
      this.i++;
      return items;
    }
    for (;;) {
      this.skipWs();
      let key: string | null = null;
      KEY_RE.lastIndex = this.i;
      const km = KEY_RE.exec(this.s);
      if (km) {
        key = km[0].slice(0, -1);
        this.i += km[0].length;
      }
      let value = this.value();
      this.skipWs();
      if (this.startsWith('=>')) {
        this.i += 2;
        value = { t: 'inout', before: value, after: this.value() };
        this.skipWs();
      }
      items.push({ key, value });
      const c = this.peek();
      if (c === ',') {
        this.i++;
      } else if (c === closer) {
        this.i++;
        return items;
      } else {
        this.fail(`expected ',' or '${closer}', got ${c === undefined ? 'end of line' : `'${c}'`}`);
      }
    }
  }

  string(abstract: boolean): Value {
    // at the opening quote
    let j = this.i + 1;
    for (;;) {
      const c = this.s[j];
      if (c === undefined) this.fail('unterminated string');
      if (c === '\\') j += 2;
      else if (c === '"') break;
      else j++;
    }
    const bytes = unescapeBytes(this.s.slice(this.i + 1, j));
    this.i = j + 1;
    let truncated = false;
    if (this.startsWith('...')) {
      truncated = true;
      this.i += 3;
    }
    return { t: 'str', bytes, truncated, abstract };
  }

  /** The text of a `<...>` fd decoration, at its opening `<`; brackets and strings nest. */
  decoration(): string {
    const start = this.i + 1;
    let angle = 0;
    let square = 0;
    for (let j = this.i; j < this.s.length; j++) {
      const c = this.s[j];
      if (c === '\\') j++;
      else if (c === '"') {
        j++;
        while (j < this.s.length && this.s[j] !== '"') j += this.s[j] === '\\' ? 2 : 1;
      } else if (c === '[') square++;
      else if (c === ']') square--;
      else if (square <= 0 && c === '<') angle++;
      else if (square <= 0 && c === '>') {
        angle--;
        if (angle === 0) {
          this.i = j + 1;
          return this.s.slice(start, j);
        }
      }
    }
    return this.fail('unterminated fd decoration');
  }

  value(): Value {
    this.skipWs();
    const c = this.peek();
    if (c === '"') return this.string(false);
    if (c === '[') {
      this.i++;
      return { t: 'list', items: this.entries(']'), closer: ']' };
    }
    if (c === '{') {
      this.i++;
      return { t: 'list', items: this.entries('}'), closer: '}' };
    }
    let j = this.i;
    while (j < this.s.length && !ATOM_STOP.has(this.s[j] as string)) j++;
    const text = this.s.slice(this.i, j);
    this.i = j;
    const next = this.peek();
    if (text === '@' && next === '"') return this.string(true);
    if (text === '') this.fail(`unexpected ${next === undefined ? 'end of line' : `'${next}'`}`);
    if (next === '(' && /^[A-Za-z_]\w*$/.test(text)) {
      this.i++;
      return { t: 'call', name: text, args: this.entries(')') };
    }
    if (next === '<' && /^(-?\d+|AT_FDCWD)$/.test(text)) {
      return { t: 'atom', text, deco: this.decoration() };
    }
    return { t: 'atom', text, deco: null };
  }
}

/** What follows `) ` of a complete call: ` = 3<...>`, ` = -1 ENOENT (...)`, ` = ?`. */
interface CallResult {
  value: number | null; // null for `?`
  errno: string | null;
  deco: string | null;
}

function parseResult(cur: Cursor): CallResult {
  cur.skipWs();
  if (cur.peek() !== '=') cur.fail("expected '='");
  cur.i++;
  cur.skipWs();
  const rest = cur.s.slice(cur.i);
  const m = /^(\?|-?\d+|0x[0-9a-fA-F]+)/.exec(rest);
  if (!m) return cur.fail('bad return value');
  cur.i += m[0].length;
  const value = m[1] === '?' ? null : Number(m[1]);
  let deco: string | null = null;
  if (cur.peek() === '<') deco = cur.decoration();
  cur.skipWs();
  let errno: string | null = null;
  const after = cur.s.slice(cur.i);
  const em = /^([A-Z][A-Z0-9_]*)\b/.exec(after);
  if (em) errno = em[1] as string;
  else {
    const num = /^\(errno (\d+)\)/.exec(after);
    if (num) errno = `E${num[1]}`;
  }
  if (value !== null && value < 0 && errno === null) errno = `E${-value}`;
  return { value, errno, deco };
}

// ---------------------------------------------------------------------------
// Lines

interface SyscallRecord {
  kind: 'syscall';
  tid: number;
  name: string;
  args: Entry[];
  result: CallResult;
  line: string;
}

interface ExitRecord {
  kind: 'exit';
  tid: number;
  exitCode: number | null;
  signal: string | null;
  coreDumped: boolean;
}

type LineRecord = SyscallRecord | ExitRecord;

// pid prefix as written with -f and -o (`1234  `) or to stderr (`[pid  1234] `),
// optionally followed by a -t/-tt/-ttt/-r timestamp
const PREFIX_RE =
  /^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(?:(?:\d{2}:\d{2}:\d{2}(?:\.\d+)?|\d+\.\d+)\s+)?/;

function splitPrefix(line: string): { tid: number; body: string } {
  const m = PREFIX_RE.exec(line) as RegExpExecArray;
  const pid = m[1] ?? m[2];
  return { tid: pid === undefined ? 0 : Number(pid), body: line.slice(m[0].length) };
}

const UNFINISHED = ' <unfinished ...>';
const INTERPRETED = new Set([...STRACE_SYSCALLS, ...STRACE_BYTES_SYSCALLS, ...Object.keys(RAW_NAMES)]);

function parseCall(tid: number, text: string, line: string): SyscallRecord {
  const m = /^([a-z_][a-z0-9_]*|\?\?\?)\(/.exec(text);
  if (!m) throw new ParseError('not a syscall line');
  const cur = new Cursor(text);
  cur.i = m[0].length;
  const args = cur.entries(')');
  const result = parseResult(cur);
  return { kind: 'syscall', tid, name: m[1] as string, args, result, line };
}

function lineRecords(text: string, unparsed: string[]): LineRecord[] {
  const records: LineRecord[] = [];
  const pending = new Map<number, { text: string; line: string }>();
  const orphans: { tid: number; text: string; line: string }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const { tid, body } = splitPrefix(line);
    try {
      if (body.startsWith('+++ ')) {
        const ex = /^\+\+\+ exited with (\d+) \+\+\+$/.exec(body);
        const ks = /^\+\+\+ killed by (SIG[A-Z0-9+-]+|\d+)( \(core dumped\))? \+\+\+$/.exec(body);
        if (ex) {
          records.push({ kind: 'exit', tid, exitCode: Number(ex[1]), signal: null, coreDumped: false });
        } else if (ks) {
          records.push({ kind: 'exit', tid, exitCode: null, signal: ks[1] as string, coreDumped: !!ks[2] });
        } else if (!/^\+\+\+ superseded by execve in pid \d+ \+\+\+$/.test(body)) {
          unparsed.push(line);
        }
        continue;
      }
      if (body.startsWith('--- ')) continue; // signals and stops
      if (body.startsWith('<... ')) {
        const m = /^<\.\.\. ([a-z_][a-z0-9_]*|\?\?\?) resumed>/.exec(body);
        const prev = pending.get(tid);
        if (!m || !prev) {
          unparsed.push(line);
          continue;
        }
        pending.delete(tid);
        if (!INTERPRETED.has(m[1] as string)) continue;
        const joined = prev.text + body.slice(m[0].length);
        if (joined.endsWith(UNFINISHED)) {
          // resumed and suspended again
          pending.set(tid, { text: joined.slice(0, -UNFINISHED.length), line });
          continue;
        }
        records.push(parseCall(tid, joined, line));
        continue;
      }
      if (body.endsWith(UNFINISHED)) {
        pending.set(tid, { text: body.slice(0, -UNFINISHED.length), line });
        continue;
      }
      // execve by a thread other than the leader: the call ends under the leader's pid
      const moved = / <pid changed to (\d+) \.\.\.>$/.exec(body);
      if (moved) {
        const to = Number(moved[1]);
        const left = pending.get(to);
        if (left) orphans.push({ tid: to, ...left }); // the leader's own call never returns
        pending.set(to, { text: body.slice(0, moved.index), line });
        continue;
      }
      const name = /^[a-z_][a-z0-9_]*/.exec(body)?.[0];
      if (name !== undefined && !INTERPRETED.has(name)) continue; // traced by extra flags
      records.push(parseCall(tid, body, line));
    } catch (err) {
      if (err instanceof ParseError) unparsed.push(line);
      else throw err;
    }
  }
  // calls that never came back (the process was killed meanwhile)
  for (const p of [...orphans, ...[...pending].map(([tid, x]) => ({ tid, ...x }))]) {
    const name = /^[a-z_][a-z0-9_]*/.exec(p.text)?.[0];
    if (name === undefined || !INTERPRETED.has(name)) continue;
    try {
      records.push(parseCall(p.tid, `${p.text}) = ?`, p.line));
    } catch (err) {
      if (err instanceof ParseError) unparsed.push(p.line);
      else throw err;
    }
  }
  return records;
}

// ---------------------------------------------------------------------------
// Interpretation

function arg(rec: SyscallRecord, n: number): Value | undefined {
  return rec.args[n]?.value;
}

function field(v: Value | undefined, key: string): Value | undefined {
  if (!v) return undefined;
  if (v.t === 'inout') return field(v.before, key);
  if (v.t !== 'list') return undefined;
  return v.items.find((e) => e.key === key)?.value;
}

function strOf(v: Value | undefined): { s: string; truncated: boolean } | null {
  if (v?.t !== 'str') return null;
  const s = v.bytes.toString('utf8');
  return { s: v.abstract ? `@${s}` : s, truncated: v.truncated };
}

function atomText(v: Value | undefined): string | null {
  return v?.t === 'atom' ? v.text : null;
}

function outcome(rec: SyscallRecord): 'ok' | Errno {
  if (rec.result.errno) return rec.result.errno;
  return rec.result.value === null ? '?' : 'ok';
}

function fdNumber(v: Value | undefined): number | null {
  const t = atomText(v);
  return t !== null && /^\d+$/.test(t) ? Number(t) : null;
}

/** Path part of an fd decoration: `/x/y` from `\x2f...` or `/dev/null<char 1:3>`. */
function decoPath(deco: string | null | undefined): string | null {
  if (deco === null || deco === undefined) return null;
  const cut = deco.indexOf('<');
  return decode(cut >= 0 ? deco.slice(0, cut) : deco);
}

function socketKind(v: Value | undefined): string | null {
  const deco = v?.t === 'atom' ? v.deco : null;
  if (!deco) return null;
  const m = /^([A-Za-z0-9-]+):\[/.exec(deco);
  if (!m || m[1] === 'socket') return null;
  return m[1] as string;
}

function protocolOf(kind: string | null): string | null {
  if (kind === null) return null;
  const k = kind.toUpperCase();
  if (k === 'TCP' || k === 'TCPV6') return 'tcp';
  if (k === 'UDP' || k === 'UDPV6') return 'udp';
  if (k === 'UDPLITE' || k === 'UDPLITEV6') return 'udplite';
  if (k === 'UNIX') return null; // strace 6.1 prints it for dgram and seqpacket alike
  if (k.startsWith('UNIX-')) return k.slice(5).toLowerCase();
  return kind.toLowerCase();
}

interface Address {
  family: string | null;
  address: string | null;
  port: number | null;
}

function numberArg(v: Value | undefined): number | null {
  if (v?.t === 'call' && v.args.length === 1) return numberArg(v.args[0]?.value); // htons(80)
  const t = atomText(v);
  return t !== null && /^\d+$/.test(t) ? Number(t) : null;
}

function sockaddr(v: Value | undefined): Address {
  const none: Address = { family: null, address: null, port: null };
  if (!v || v.t !== 'list') return none;
  const fam = atomText(field(v, 'sa_family'));
  if (fam === null) return none;
  if (fam === 'AF_INET') {
    const a = field(v, 'sin_addr');
    const addr = a?.t === 'call' ? strOf(a.args[0]?.value)?.s ?? null : null;
    return { family: 'inet', address: addr, port: numberArg(field(v, 'sin_port')) };
  }
  if (fam === 'AF_INET6') {
    let addr: string | null = null;
    for (const e of v.items) {
      const x = e.value;
      if (x.t === 'call' && x.name === 'inet_pton') addr = strOf(x.args[1]?.value)?.s ?? null;
    }
    return { family: 'inet6', address: addr, port: numberArg(field(v, 'sin6_port')) };
  }
  if (fam === 'AF_UNIX') {
    const p = strOf(field(v, 'sun_path'));
    return { family: 'unix', address: p ? p.s : '', port: null };
  }
  return { family: fam.replace(/^AF_/, '').toLowerCase(), address: null, port: null };
}

// ---------------------------------------------------------------------------
// Sockets: what each fd is, and what moved over it

/** A socket address from sockaddr(), when it is one the receipt names. */
function sockAddrOf(a: Address): SockAddr | null {
  if (a.family === 'inet' || a.family === 'inet6') return a.address === null ? null : { family: a.family, address: a.address, port: a.port };
  if (a.family === 'unix') return { family: 'unix', address: a.address ?? '', port: null };
  return null;
}

interface SockDeco {
  kind: string | null; // TCP, UDPv6, UNIX-STREAM, NETLINK...; null: `socket:[ino]`
  family: SockAddr['family'];
  protocol: string | null;
  local: SockAddr | null;
  peer: SockAddr | null;
}

const INET_KINDS = new Set(['TCP', 'UDP', 'UDPLITE', 'RAW', 'PING', 'SCTP', 'DCCP', 'MPTCP']);
const INET_END = /^(\[[^\]]*\]|[^:[\]]+):(\d+)$/;

function inetEnd(text: string | undefined, family: 'inet' | 'inet6'): SockAddr | null {
  const m = text === undefined ? null : INET_END.exec(text);
  if (!m) return null;
  const a = m[1] as string;
  return { family, address: a.startsWith('[') ? a.slice(1, -1) : a, port: Number(m[2]) };
}

/**
 * What -yy says of an fd that is a socket: `TCP:[1767043]` (not bound yet),
 * `TCP:[127.0.0.1:5000]`, `TCPv6:[[::1]:5000->[::1]:40000]`, `UNIX-STREAM:[123->124,"/path"]`,
 * `UNIX:[125,"/path"]`; null for any other fd (a path, hex-escaped: `\x2f...`, `pipe:[...]`).
 */
function sockDeco(deco: string | null | undefined): SockDeco | null {
  if (!deco) return null;
  if (deco.startsWith('\\')) {
    const p = decoPath(deco);
    return p !== null && /^socket:\[\d+\]$/.test(p) ? { kind: null, family: 'other', protocol: null, local: null, peer: null } : null;
  }
  const m = /^([A-Za-z][A-Za-z0-9-]*):\[(.*)\]$/s.exec(deco);
  if (!m) return null;
  const kind = m[1] as string;
  const body = m[2] as string;
  const up = kind.toUpperCase();
  if (up.startsWith('UNIX')) {
    const um = /^\d+(?:->\d+)?(?:,(@?)"((?:[^"\\]|\\.)*)")?$/s.exec(body);
    const path = um?.[2] === undefined ? null : `${um[1]}${decode(um[2])}`;
    return { kind, family: 'unix', protocol: protocolOf(kind), local: path === null ? null : { family: 'unix', address: path, port: null }, peer: null };
  }
  const v6 = up.endsWith('V6');
  if (!INET_KINDS.has(v6 ? up.slice(0, -2) : up)) return { kind, family: 'other', protocol: kind.toLowerCase(), local: null, peer: null };
  const family = v6 ? 'inet6' : 'inet';
  const [l, r] = body.split('->');
  return { kind, family, protocol: protocolOf(kind), local: inetEnd(l, family), peer: inetEnd(r, family) };
}

function afFamily(af: string | null): SockAddr['family'] {
  if (af === 'AF_INET') return 'inet';
  if (af === 'AF_INET6') return 'inet6';
  if (af === 'AF_UNIX' || af === 'AF_LOCAL') return 'unix';
  return 'other';
}

/** The receipt's protocol name for socket(family, type, protocol) as strace prints them. */
function typeProtocol(family: SockAddr['family'], type: string, proto: string | null): string | null {
  const t = type.split('|');
  if (family === 'unix') {
    if (t.includes('SOCK_STREAM')) return 'stream';
    if (t.includes('SOCK_DGRAM')) return 'dgram';
    if (t.includes('SOCK_SEQPACKET')) return 'seqpacket';
    return null;
  }
  if (family === 'inet' || family === 'inet6') {
    if (proto === 'IPPROTO_ICMP' || proto === 'IPPROTO_ICMPV6') return 'icmp';
    if (t.includes('SOCK_RAW')) return 'raw';
    if (proto === 'IPPROTO_UDPLITE') return 'udplite';
    if (t.includes('SOCK_STREAM')) return 'tcp';
    if (t.includes('SOCK_DGRAM')) return 'udp';
  }
  return null;
}

interface FdSlot {
  sock: SocketIO;
  cloexec: boolean;
}

/** The fd tables of the traced processes and the sockets they hold. */
class SocketBook {
  readonly sockets: SocketIO[] = [];
  /** the connect whose SO_ERROR is still to be read, by socket */
  readonly pending = new Map<SocketIO, NetCall>();
  /** the socket each connect, sendto, sendmsg, listen and accept was made on (accept: made) */
  readonly socketOf = new Map<object, SocketIO>();
  /** the process that first moved bytes over each socket */
  readonly firstMover = new Map<SocketIO, number>();
  private readonly tables = new Map<number, Map<number, FdSlot>>();

  constructor(private readonly parentOf: (pid: number) => number | null) {}

  /** The fd table of pid: on first use, a copy of its parent's (fork copies the table). */
  private table(pid: number): Map<number, FdSlot> {
    let t = this.tables.get(pid);
    if (t === undefined) {
      const p = this.parentOf(pid);
      t = p !== null && p !== pid ? new Map(this.table(p)) : new Map();
      this.tables.set(pid, t);
    }
    return t;
  }

  forked(parent: number, child: number): void {
    if (!this.tables.has(child)) this.tables.set(child, new Map(this.table(parent)));
  }

  /** A successful exec: the close-on-exec fds are gone. */
  exec(pid: number): void {
    const t = this.table(pid);
    for (const [fd, slot] of t) if (slot.cloexec) t.delete(fd);
  }

  make(pid: number, fd: number, deco: string | null, origin: SocketIO['origin'],
    family: SockAddr['family'] | null, protocol: string | null, cloexec: boolean): SocketIO {
    const d = sockDeco(deco);
    const sock: SocketIO = {
      id: this.sockets.length, pid, family: family ?? d?.family ?? 'other', protocol: protocol ?? d?.protocol ?? null,
      origin, local: null, peer: null, sent: 0, received: 0, sends: 0, recvs: 0, peeked: 0, sentTo: [],
    };
    this.sockets.push(sock);
    if (d) this.learn(sock, d);
    this.table(pid).set(fd, { sock, cloexec });
    return sock;
  }

  /** The socket an fd argument names, checked against its -yy decoration: a decoration that is
   * not a socket's drops a stale entry; a socket never seen made (inherited, or made by a call
   * not traced). null: not a socket. */
  at(pid: number, v: Value | undefined): SocketIO | null {
    const fd = fdNumber(v);
    if (fd === null || v?.t !== 'atom') return null;
    const t = this.table(pid);
    const slot = t.get(fd);
    const d = sockDeco(v.deco);
    if (v.deco !== null && d === null) {
      if (slot) t.delete(fd);
      return null;
    }
    if (slot && (d === null || d.family === slot.sock.family)) {
      if (d) this.learn(slot.sock, d);
      return slot.sock;
    }
    if (d === null) return null;
    return this.make(pid, fd, v.deco, 'seen', null, null, false);
  }

  private learn(sock: SocketIO, d: SockDeco): void {
    if (d.local) sock.local = d.local;
    if (d.peer && !sock.peer) sock.peer = d.peer;
    if (sock.protocol === null && d.protocol !== null) sock.protocol = d.protocol;
  }

  close(pid: number, fd: number): void {
    this.table(pid).delete(fd);
  }

  dup(pid: number, from: number, to: number, cloexec: boolean): void {
    const t = this.table(pid);
    const slot = t.get(from);
    if (slot) t.set(to, { sock: slot.sock, cloexec });
    else t.delete(to);
  }

  setCloexec(pid: number, fd: number, on: boolean): void {
    const slot = this.table(pid).get(fd);
    if (slot) slot.cloexec = on;
  }

  moved(pid: number, sock: SocketIO, dir: 'out' | 'in', n: number): void {
    if (n <= 0) return;
    if (!this.firstMover.has(sock)) this.firstMover.set(sock, pid);
    if (dir === 'out') {
      sock.sent += n;
      sock.sends++;
    } else {
      sock.received += n;
      sock.recvs++;
    }
  }
}

const RECEIPT_FAMILIES = new Set(['inet', 'inet6', 'unix']);

/** The receipt's network section as strace saw it (see NetEntry). */
function netEntries(trace: StraceTrace, book: SocketBook): NetEntry[] {
  const merged = new Map<string, NetEntry>();
  const add = (pid: number, op: NetEntry['op'], family: SockAddr['family'], protocol: string | null,
    address: string | null, port: number | null, result: string, initial: 'EINPROGRESS' | null): NetEntry => {
    const key = JSON.stringify([pid, op, family, protocol, address, port, result, initial]);
    let e = merged.get(key);
    if (!e) {
      e = { pid, op, family, protocol, address, port, result, initial, count: 0, bytes_sent: 0, bytes_received: 0, ambiguous: false, inherited: false };
      merged.set(key, e);
    }
    e.count++;
    return e;
  };
  const home = new Map<SocketIO, NetEntry>();
  const named = new Map<SocketIO, NetEntry[]>();
  for (const c of trace.network) {
    if (c.family === null || !RECEIPT_FAMILIES.has(c.family)) continue;
    const family = c.family as SockAddr['family'];
    const sock = book.socketOf.get(c) ?? null;
    const protocol = sock?.protocol ?? c.protocol;
    if (c.op === 'connect') {
      const settled = c.result === 'EINPROGRESS' && c.outcome !== null;
      const e = add(c.pid, 'connect', family, protocol, c.address, c.port, settled ? (c.outcome as string) : c.result, settled ? 'EINPROGRESS' : null);
      if (sock && (c.result === 'ok' || c.result === 'EINPROGRESS')) home.set(sock, e);
    } else {
      const e = add(c.pid, c.op, family, protocol, c.address, c.port, c.result, null);
      e.bytes_sent += c.bytes ?? 0;
      if (sock) {
        const list = named.get(sock) ?? [];
        if (!list.includes(e)) list.push(e);
        named.set(sock, list);
      }
    }
  }
  for (const a of trace.accepts) {
    if (a.result !== 'ok' || a.family === null || !RECEIPT_FAMILIES.has(a.family)) continue;
    const e = add(a.pid, 'accept', a.family, a.protocol, a.address, a.port, 'ok', null);
    const sock = book.socketOf.get(a);
    if (sock) home.set(sock, e);
  }
  for (const l of trace.listens) {
    if (l.family === null || !RECEIPT_FAMILIES.has(l.family)) continue;
    const e = add(l.pid, 'listen', l.family, l.protocol, l.address, l.port, l.result, null);
    const sock = book.socketOf.get(l);
    if (sock && !home.has(sock)) home.set(sock, e);
  }
  for (const sock of book.sockets) {
    const rest = sock.sent - sock.sentTo.reduce((n, x) => n + x.bytes, 0);
    const h = home.get(sock) ?? named.get(sock)?.[0];
    if (h) {
      h.bytes_sent += rest;
      h.bytes_received += sock.received;
      if (!home.has(sock) && (named.get(sock)?.length ?? 0) > 1 && (rest > 0 || sock.received > 0)) h.ambiguous = true;
    } else if (sock.sent + sock.received > 0 && RECEIPT_FAMILIES.has(sock.family)) {
      const e = add(book.firstMover.get(sock) ?? sock.pid, 'socket', sock.family, sock.protocol,
        sock.peer?.address ?? null, sock.peer?.port ?? null, 'ok', null);
      e.bytes_sent += sock.sent;
      e.bytes_received += sock.received;
      e.inherited = sock.origin === 'seen';
    }
  }
  const cmp = (a: string | number | null, b: string | number | null) => String(a ?? '').localeCompare(String(b ?? ''), 'en', { numeric: true });
  return [...merged.values()].sort((a, b) => a.pid - b.pid || cmp(a.op, b.op) || cmp(a.family, b.family) ||
    cmp(a.address, b.address) || cmp(a.port, b.port) || cmp(a.result, b.result) || cmp(a.protocol, b.protocol) || cmp(a.initial, b.initial));
}

// ---------------------------------------------------------------------------
// Changes on disk

/** An integer as strace prints one: decimal, `0x` hex, or octal with a leading 0. */
function intOf(text: string | null): bigint | null {
  if (text === null) return null;
  if (/^-?(0|[1-9]\d*)$/.test(text)) return BigInt(text);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return BigInt(text);
  if (/^0[0-7]+$/.test(text)) return BigInt(`0o${text.slice(1)}`);
  return null;
}

/** A signed integer argument of `bits` bits: strace prints off_t lengths unsigned
 * (`18446744073709551615` for -1), and uid_t -1 as `-1`. */
function signedArg(v: Value | undefined, bits: 32 | 64): number | null {
  const n = intOf(atomText(v));
  return n === null ? null : Number(BigInt.asIntN(bits, n));
}

/** A flags argument split into its names; `0` is none. Raw numbers of a call strace does not
 * know are named for the AT_ flags that matter here. */
function flagsOf(v: Value | undefined): string[] {
  const text = atomText(v);
  if (text === null || text === '0') return [];
  const n = /^0x[0-9a-fA-F]+$/.test(text) ? Number(text) : null;
  if (n === null) return text.split('|');
  const out: string[] = [];
  let rest = n;
  for (const [bit, name] of [[0x100, 'AT_SYMLINK_NOFOLLOW'], [0x1000, 'AT_EMPTY_PATH']] as const) {
    if (rest & bit) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest) out.push(`0x${rest.toString(16)}`);
  return out;
}

const NODE_KINDS: Record<string, NodeKind> = {
  S_IFREG: 'file', S_IFIFO: 'fifo', S_IFCHR: 'char', S_IFBLK: 'block', S_IFSOCK: 'socket',
};
const NODE_TYPES: Record<number, NodeKind> = {
  0o100000: 'file', 0o010000: 'fifo', 0o020000: 'char', 0o060000: 'block', 0o140000: 'socket',
};
const MODE_BITS: Record<string, number> = { S_ISUID: 0o4000, S_ISGID: 0o2000, S_ISVTX: 0o1000 };

/** A mode as strace prints it: `0755`, `04755`, `S_IFIFO|0644`, `S_IFCHR|S_ISUID|0600`, `0x1a0`
 * (raw): the permission bits (& 0o7777) and the file type when one is named. */
function modeOf(v: Value | undefined): { mode: number | null; kind: NodeKind | null } {
  const text = atomText(v);
  if (text === null) return { mode: null, kind: null };
  let mode = 0;
  let kind: NodeKind | null = null;
  for (const tok of text.split('|')) {
    const named = NODE_KINDS[tok];
    const bit = MODE_BITS[tok];
    if (named) kind = named;
    else if (bit !== undefined) mode |= bit;
    else {
      const n = intOf(tok);
      if (n === null) return { mode: null, kind: null };
      const x = Number(BigInt.asUintN(32, n));
      mode |= x & 0o7777;
      kind = NODE_TYPES[x & 0o170000] ?? kind;
    }
  }
  return { mode, kind };
}

/** A directory from an fd decoration, when it is one (not `TCP:[...]`, not a missing one). */
function decoDir(deco: string | null | undefined): string | null {
  const p = decoPath(deco);
  return p !== null && p.startsWith('/') ? p : null;
}

/** The file an fd names as -yy decorates it (AT_FDCWD: the cwd); null without a decoration. */
function fdFile(v: Value | undefined, cwd: string | null): string | null {
  if (v?.t !== 'atom') return null;
  if (v.text === 'AT_FDCWD') return decoDir(v.deco) ?? cwd;
  return decoPath(v.deco);
}

/**
 * The absolute, lexically normalised path a call names: `pathValue` as requested, joined (when
 * relative) to the directory of `dirfd` (undefined: a call without one, relative to the cwd).
 * With `emptyOk` (AT_EMPTY_PATH) and "", the file behind dirfd. `..` and symlinks stay as
 * written: the kernel's own walk would need the tree as it was.
 */
function pathAt(
  pathValue: Value | undefined, dirfd: Value | undefined, cwd: string | null, emptyOk: boolean,
): { path: string | null; truncated: boolean } {
  const str = strOf(pathValue);
  if (!str) return { path: null, truncated: false }; // an address strace could not read
  if (str.s === '' && emptyOk) return { path: fdFile(dirfd, cwd), truncated: false };
  if (str.s.startsWith('/')) return { path: noSlash(posix.normalize(str.s)), truncated: str.truncated };
  let base: string | null;
  if (dirfd === undefined) base = cwd;
  else if (dirfd.t === 'atom' && dirfd.text === 'AT_FDCWD') base = decoDir(dirfd.deco) ?? cwd;
  else base = dirfd.t === 'atom' ? decoDir(dirfd.deco) : null;
  return { path: base === null ? null : noSlash(posix.join(base, str.s)), truncated: str.truncated };
}

/** "dir/" names dir: the receipt writes paths without a trailing slash, as failed opens. */
const noSlash = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);

const CHANGE_OPS: Record<ChangeSyscall, ChangeOp> = {
  unlink: 'delete', unlinkat: 'delete', rmdir: 'rmdir', mkdir: 'mkdir', mkdirat: 'mkdir',
  mknod: 'mknod', mknodat: 'mknod', rename: 'rename', renameat: 'rename', renameat2: 'rename',
  link: 'link', linkat: 'link', symlink: 'symlink', symlinkat: 'symlink',
  chmod: 'chmod', fchmod: 'chmod', fchmodat: 'chmod', fchmodat2: 'chmod',
  chown: 'chown', fchown: 'chown', lchown: 'chown', fchownat: 'chown',
  truncate: 'truncate', ftruncate: 'truncate',
};

/** A change call (one of CHANGE_OPS, or a raw `syscall_0x...` of one) made by `pid`, whose cwd
 * is `cwd` (null: not known). */
function changeOf(r: SyscallRecord, pid: number, cwd: string | null): ChangeCall {
  const raw = RAW_NAMES[r.name];
  const syscall = (raw ?? r.name) as ChangeSyscall;
  const c: ChangeCall = {
    pid, tid: r.tid, syscall, op: CHANGE_OPS[syscall],
    path: null, to: null, target: null, mode: null, kind: null, uid: null, gid: null, size: null,
    fd: null, flags: [], result: outcome(r), pathTruncated: false,
  };
  const a = (n: number): Value | undefined => arg(r, n);
  const at = (p: number, dirfd: number | null, emptyOk = false): string | null => {
    const x = pathAt(a(p), dirfd === null ? undefined : a(dirfd), cwd, emptyOk);
    c.pathTruncated ||= x.truncated;
    return x.path;
  };
  const byFd = (n: number): void => {
    c.fd = fdNumber(a(n));
    c.path = fdFile(a(n), cwd);
  };
  const setMode = (n: number): void => {
    const m = modeOf(a(n));
    c.mode = m.mode;
    if (c.op === 'mknod' && m.mode !== null) c.kind = m.kind ?? 'file'; // no type bits: a regular file
  };
  const owner = (n: number): void => {
    c.uid = signedArg(a(n), 32);
    c.gid = signedArg(a(n + 1), 32);
  };
  switch (syscall) {
    case 'unlink':
    case 'rmdir':
      c.path = at(0, null);
      break;
    case 'unlinkat':
      c.flags = flagsOf(a(2));
      if (c.flags.includes('AT_REMOVEDIR')) c.op = 'rmdir';
      c.path = at(1, 0);
      break;
    case 'mkdir':
    case 'mknod':
      c.path = at(0, null);
      setMode(1);
      break;
    case 'mkdirat':
    case 'mknodat':
      c.path = at(1, 0);
      setMode(2);
      break;
    case 'rename':
      c.path = at(0, null);
      c.to = at(1, null);
      break;
    case 'renameat':
    case 'renameat2':
      c.path = at(1, 0);
      c.to = at(3, 2);
      if (syscall === 'renameat2') c.flags = flagsOf(a(4));
      break;
    case 'link': // link(existing, new): reported under the new name
      c.path = at(1, null);
      c.to = at(0, null);
      break;
    case 'linkat': // linkat(olddirfd, existing, newdirfd, new, flags): AT_EMPTY_PATH names the existing
      c.flags = flagsOf(a(4));
      c.path = at(3, 2);
      c.to = at(1, 0, c.flags.includes('AT_EMPTY_PATH'));
      break;
    case 'symlink':
    case 'symlinkat': {
      const target = strOf(a(0));
      c.target = target ? target.s : null;
      c.pathTruncated ||= !!target?.truncated;
      c.path = syscall === 'symlink' ? at(1, null) : at(2, 1);
      break;
    }
    case 'chmod':
      c.path = at(0, null);
      setMode(1);
      break;
    case 'fchmod':
      byFd(0);
      setMode(1);
      break;
    case 'fchmodat': // the syscall has no flags argument (libc's AT_SYMLINK_NOFOLLOW is emulated)
      c.path = at(1, 0);
      setMode(2);
      break;
    case 'fchmodat2':
      c.flags = flagsOf(a(3));
      // a raw call: the path is an address, the dirfd a number: neither can be named
      c.path = raw ? null : at(1, 0, c.flags.includes('AT_EMPTY_PATH'));
      setMode(2);
      break;
    case 'chown':
    case 'lchown':
      c.path = at(0, null);
      owner(1);
      break;
    case 'fchown':
      byFd(0);
      owner(1);
      break;
    case 'fchownat':
      c.flags = flagsOf(a(4));
      c.path = at(1, 0, c.flags.includes('AT_EMPTY_PATH'));
      owner(2);
      break;
    case 'truncate':
      c.path = at(0, null);
      c.size = signedArg(a(1), 64);
      break;
    case 'ftruncate':
      byFd(0);
      c.size = signedArg(a(1), 64);
      break;
  }
  return c;
}

function interpret(records: LineRecord[], unparsed: string[], initialCwd: string | null): StraceTrace {
  // which tid belongs to which process: threads are created with CLONE_THREAD
  const tgid = new Map<number, number>();
  const parent = new Map<number, number>();
  const cloneFlags = (rec: SyscallRecord): string => {
    if (rec.name === 'clone') return atomText(rec.args.find((e) => e.key === 'flags')?.value) ?? '';
    if (rec.name === 'clone3') return atomText(field(arg(rec, 0), 'flags')) ?? '';
    return '';
  };
  const forkNames = new Set(['clone', 'clone3', 'fork', 'vfork']);
  const threadParent = new Map<number, number>();
  for (const r of records) {
    if (r.kind !== 'syscall' || !forkNames.has(r.name)) continue;
    const child = r.result.errno === null ? r.result.value : null;
    if (child === null || child <= 0) continue;
    if (/\bCLONE_THREAD\b/.test(cloneFlags(r))) threadParent.set(child, r.tid);
    else parent.set(child, r.tid);
  }
  const pidOf = (tid: number): number => {
    let t = tid;
    for (let guard = 0; guard < 1000; guard++) {
      const known = tgid.get(t);
      if (known !== undefined) return known;
      const p = threadParent.get(t);
      if (p === undefined) break;
      t = p;
    }
    tgid.set(tid, t);
    return t;
  };

  const trace: StraceTrace = {
    execs: [], exits: [], opens: [], network: [], forks: [], changes: [], listens: [], accepts: [],
    sockets: [], netEntries: [], processes: [], unparsed,
  };
  const book = new SocketBook((pid) => {
    const p = parent.get(pid);
    return p === undefined ? null : pidOf(p);
  });
  /** the value a call returned when it succeeded (bytes, fds, messages); null otherwise */
  const returned = (rec: SyscallRecord): number | null =>
    rec.result.errno === null && rec.result.value !== null && rec.result.value >= 0 ? rec.result.value : null;
  /** bytes a call moved over the socket of fd argument `v` */
  const moved = (pid: number, v: Value | undefined, dir: 'out' | 'in', n: number | null): SocketIO | null => {
    const sock = book.at(pid, v);
    if (sock && n !== null) book.moved(pid, sock, dir, n);
    return sock;
  };
  /** a send that named its destination: the receipt's sendto/sendmsg entries */
  const namedSend = (rec: SyscallRecord, pid: number, op: 'sendto' | 'sendmsg', fdv: Value | undefined, sock: SocketIO | null,
    to: Address, bytes: number | null, result: 'ok' | Errno): void => {
    const kind = socketKind(fdv);
    const call: NetCall = {
      pid, tid: rec.tid, op, fd: fdNumber(fdv), socket: kind, protocol: protocolOf(kind), ...to, result, bytes, outcome: null,
    };
    trace.network.push(call);
    if (!sock) return;
    book.socketOf.set(call, sock);
    const dest = sockAddrOf(to);
    if (dest) sock.sentTo.push({ op, to: dest, bytes: bytes ?? 0, count: 1, result });
  };
  /** the sum of msg_len of the first n messages of a sendmmsg/recvmmsg vector */
  const msgLens = (v: Value | undefined, n: number | null): number | null => {
    if (n === null || v?.t !== 'list') return null;
    let total = 0;
    for (const e of v.items.slice(0, n)) total += numberArg(field(e.value, 'msg_len')) ?? 0;
    return total;
  };
  const seen = new Map<number, ProcessInfo>();
  // the cwd of each process, for the relative paths of calls without a dirfd (mkdir("x")):
  // learnt from every AT_FDCWD</cwd> decoration, followed through chdir (lexically: a chdir
  // through a symlink is right again at the next decoration) and fchdir, inherited on fork;
  // the first process starts in initialCwd. null: not known (strace prints a bare AT_FDCWD
  // when the cwd is longer than PATH_MAX, and the lexical path goes on from there).
  const cwds = new Map<number, string | null>();
  const cwdOf = (pid: number): string | null => cwds.get(pid) ?? null;
  const see = (pid: number): void => {
    if (seen.has(pid)) return;
    const p = parent.get(pid);
    const info: ProcessInfo = { pid, ppid: p === undefined ? null : pidOf(p) };
    const first = seen.size === 0;
    seen.set(pid, info);
    trace.processes.push(info);
    if (!cwds.has(pid)) cwds.set(pid, info.ppid !== null ? cwdOf(info.ppid) : first ? initialCwd : null);
  };
  const exitGroups = new Map<number, number>();
  const exited = new Set<number>();

  for (const r of records) {
    const pid = pidOf(r.tid);
    see(pid);
    if (r.kind === 'exit') {
      if (r.tid !== pid) continue; // a thread ended, not the process
      exited.add(pid);
      trace.exits.push({ pid, exitCode: r.exitCode, signal: r.signal, coreDumped: r.coreDumped });
      continue;
    }
    const tid = r.tid;
    for (const e of r.args) {
      if (e.value.t === 'atom' && e.value.text === 'AT_FDCWD') {
        const cwd = decoDir(e.value.deco);
        if (cwd !== null) cwds.set(pid, cwd);
      }
    }
    try {
      switch (r.name) {
        case 'execve':
        case 'execveat': {
          const at = r.name === 'execveat' ? 1 : 0;
          const path = strOf(arg(r, at));
          if (!path) throw new ParseError('execve without a path');
          const list = arg(r, at + 1);
          let argv: string[] | null = null;
          let argvTruncated = false;
          if (list?.t === 'list') {
            argv = [];
            for (const e of list.items) {
              const s = strOf(e.value);
              if (s) {
                argv.push(s.s);
                argvTruncated ||= s.truncated;
              } else {
                argvTruncated = true; // `...`: more elements than -s
              }
            }
          }
          trace.execs.push({
            pid, tid, syscall: r.name,
            dirfd: r.name === 'execveat' ? atomText(arg(r, 0)) : null,
            path: path.s, argv, argvTruncated,
            flags: r.name === 'execveat' ? atomText(arg(r, 4)) : null,
            result: outcome(r),
          });
          if (outcome(r) === 'ok') book.exec(pid);
          break;
        }
        case 'open':
        case 'openat':
        case 'openat2':
        case 'creat': {
          const at = r.name === 'open' || r.name === 'creat' ? 0 : 1;
          const dirfdValue = at === 1 ? arg(r, 0) : undefined;
          const path = strOf(arg(r, at));
          if (!path) throw new ParseError('open without a path');
          let flags: string;
          let mode: string | null;
          if (r.name === 'creat') {
            flags = 'O_WRONLY|O_CREAT|O_TRUNC';
            mode = atomText(arg(r, 1));
          } else if (r.name === 'openat2') {
            flags = atomText(field(arg(r, 2), 'flags')) ?? '';
            mode = atomText(field(arg(r, 2), 'mode'));
          } else {
            flags = atomText(arg(r, at + 1)) ?? '';
            mode = atomText(arg(r, at + 2));
          }
          const ok = r.result.errno === null && r.result.value !== null;
          trace.opens.push({
            pid, tid, syscall: r.name,
            path: path.s, pathTruncated: path.truncated,
            dirfd: atomText(dirfdValue),
            dirfdPath: dirfdValue?.t === 'atom' ? decoPath(dirfdValue.deco) : null,
            flags, mode,
            result: ok ? (r.result.value as number) : outcome(r),
            openedPath: ok ? decoPath(r.result.deco) : null,
          });
          break;
        }
        case 'connect': {
          const fdv = arg(r, 0);
          const kind = socketKind(fdv);
          const ok = outcome(r);
          const to = sockaddr(arg(r, 1));
          const call: NetCall = {
            pid, tid, op: 'connect', fd: fdNumber(fdv), socket: kind, protocol: protocolOf(kind), ...to,
            result: ok, bytes: null, outcome: null,
          };
          trace.network.push(call);
          const sock = book.at(pid, fdv);
          if (sock) {
            book.socketOf.set(call, sock);
            const peer = sockAddrOf(to);
            if (peer && (ok === 'ok' || ok === 'EINPROGRESS')) sock.peer = peer;
            if (ok === 'EINPROGRESS') book.pending.set(sock, call);
            else book.pending.delete(sock);
          }
          break;
        }
        case 'sendto':
        case 'sendmsg': {
          const fdv = arg(r, 0);
          const ok = outcome(r);
          const n = returned(r);
          const sock = moved(pid, fdv, 'out', n);
          const to = sockaddr(r.name === 'sendto' ? arg(r, 4) : field(arg(r, 1), 'msg_name'));
          if (to.family !== null) namedSend(r, pid, r.name, fdv, sock, to, n, ok);
          else {
            const kind = socketKind(fdv);
            trace.network.push({
              pid, tid, op: r.name, fd: fdNumber(fdv), socket: kind, protocol: protocolOf(kind), ...to,
              result: ok, bytes: ok === 'ok' ? n : null, outcome: null,
            });
          }
          break;
        }
        case 'sendmmsg': {
          // one sendmsg per message sent (the return value: how many), each to its msg_name
          const fdv = arg(r, 0);
          const vec = arg(r, 1);
          const sent = returned(r);
          const sock = moved(pid, fdv, 'out', msgLens(vec, sent));
          const msgs = vec?.t === 'list' ? vec.items : [];
          const ok = outcome(r);
          const upto = ok === 'ok' ? Math.min(sent ?? 0, msgs.length) : Math.min(1, msgs.length);
          for (const m of msgs.slice(0, upto)) {
            const to = sockaddr(field(field(m.value, 'msg_hdr'), 'msg_name'));
            const bytes = ok === 'ok' ? numberArg(field(m.value, 'msg_len')) : null;
            if (to.family !== null) namedSend(r, pid, 'sendmsg', fdv, sock, to, bytes, ok);
            else {
              const kind = socketKind(fdv);
              trace.network.push({
                pid, tid, op: 'sendmsg', fd: fdNumber(fdv), socket: kind, protocol: protocolOf(kind), ...to,
                result: ok, bytes, outcome: null,
              });
            }
          }
          break;
        }
        case 'read':
        case 'readv':
          moved(pid, arg(r, 0), 'in', returned(r));
          break;
        case 'write':
        case 'writev':
          moved(pid, arg(r, 0), 'out', returned(r));
          break;
        case 'recvfrom':
        case 'recvmsg':
        case 'recvmmsg': {
          const flags = flagsOf(arg(r, r.name === 'recvmsg' ? 2 : 3));
          const n = r.name === 'recvmmsg' ? msgLens(arg(r, 1), returned(r)) : returned(r);
          if (flags.includes('MSG_PEEK')) {
            const sock = book.at(pid, arg(r, 0));
            if (sock && n !== null) sock.peeked += n;
          } else {
            moved(pid, arg(r, 0), 'in', n);
          }
          break;
        }
        case 'sendfile':
          moved(pid, arg(r, 0), 'out', returned(r));
          break;
        case 'splice':
          // one end is a pipe: out of a socket is received, into a socket sent
          moved(pid, arg(r, 0), 'in', returned(r));
          moved(pid, arg(r, 2), 'out', returned(r));
          break;
        case 'socket': {
          const fd = returned(r);
          if (fd !== null) {
            const family = afFamily(atomText(arg(r, 0)));
            const type = atomText(arg(r, 1)) ?? '';
            book.make(pid, fd, r.result.deco, 'socket', family, typeProtocol(family, type, atomText(arg(r, 2))), /\bSOCK_CLOEXEC\b/.test(type));
          }
          break;
        }
        case 'socketpair': {
          const family = afFamily(atomText(arg(r, 0)));
          const type = atomText(arg(r, 1)) ?? '';
          const pair = arg(r, 3);
          if (outcome(r) === 'ok' && pair?.t === 'list') {
            for (const e of pair.items) {
              const fd = fdNumber(e.value);
              if (fd !== null && e.value.t === 'atom') {
                book.make(pid, fd, e.value.deco, 'socketpair', family, typeProtocol(family, type, null), /\bSOCK_CLOEXEC\b/.test(type));
              }
            }
          }
          break;
        }
        case 'listen': {
          const fdv = arg(r, 0);
          const sock = book.at(pid, fdv);
          const call: ListenCall = {
            pid, tid, fd: fdNumber(fdv), family: sock?.family ?? null, protocol: sock?.protocol ?? null,
            address: null, port: null, result: outcome(r),
          };
          trace.listens.push(call);
          if (sock) book.socketOf.set(call, sock);
          break;
        }
        case 'accept':
        case 'accept4': {
          const listener = book.at(pid, arg(r, 0));
          const newFd = returned(r);
          const ok = outcome(r);
          let peer = sockAddrOf(sockaddr(arg(r, 1)));
          let sock: SocketIO | null = null;
          if (newFd !== null) {
            const d = sockDeco(r.result.deco);
            const cloexec = r.name === 'accept4' && /\bSOCK_CLOEXEC\b/.test(atomText(arg(r, 3)) ?? '');
            sock = book.make(pid, newFd, r.result.deco, 'accept', listener?.family ?? d?.family ?? null,
              listener?.protocol ?? d?.protocol ?? null, cloexec);
            // no address asked for (NULL): the peer -yy names, or a unix peer with no name
            peer ??= d?.peer ?? (sock.family === 'unix' ? { family: 'unix', address: '', port: null } : null);
            sock.peer = peer;
          }
          const call: AcceptCall = {
            pid, tid, syscall: r.name, fd: fdNumber(arg(r, 0)), newFd,
            family: sock?.family ?? listener?.family ?? null, protocol: sock?.protocol ?? listener?.protocol ?? null,
            address: peer?.address ?? null, port: peer?.port ?? null, result: ok,
          };
          trace.accepts.push(call);
          if (sock) book.socketOf.set(call, sock);
          break;
        }
        case 'getsockopt': {
          // SO_ERROR after a non-blocking connect: what became of it
          if (outcome(r) !== 'ok' || atomText(arg(r, 2)) !== 'SO_ERROR') break;
          const sock = book.at(pid, arg(r, 0));
          const call = sock ? book.pending.get(sock) : undefined;
          const v = arg(r, 3);
          const err = v?.t === 'list' ? atomText(v.items[0]?.value) : null;
          if (sock && call && err !== null) {
            call.outcome = err === '0' ? 'ok' : err;
            book.pending.delete(sock);
          }
          break;
        }
        case 'close': {
          const fd = fdNumber(arg(r, 0));
          book.at(pid, arg(r, 0)); // its last decoration: where a listen() bound it
          if (fd !== null && outcome(r) !== 'EBADF') book.close(pid, fd);
          break;
        }
        case 'dup':
        case 'dup2':
        case 'dup3': {
          const from = fdNumber(arg(r, 0));
          const to = returned(r);
          if (from !== null && to !== null) book.dup(pid, from, to, r.name === 'dup3' && flagsOf(arg(r, 2)).includes('O_CLOEXEC'));
          break;
        }
        case 'fcntl': {
          const fd = fdNumber(arg(r, 0));
          const cmd = atomText(arg(r, 1));
          const to = returned(r);
          if (fd === null || to === null) break;
          if (cmd === 'F_DUPFD' || cmd === 'F_DUPFD_CLOEXEC') book.dup(pid, fd, to, cmd === 'F_DUPFD_CLOEXEC');
          else if (cmd === 'F_SETFD') book.setCloexec(pid, fd, /FD_CLOEXEC|^1$/.test(atomText(arg(r, 2)) ?? ''));
          break;
        }
        case 'clone':
        case 'clone3':
        case 'fork':
        case 'vfork': {
          const ok = outcome(r);
          trace.forks.push({
            pid, tid, syscall: r.name,
            child: ok === 'ok' ? r.result.value : null,
            thread: /\bCLONE_THREAD\b/.test(cloneFlags(r)),
            result: ok,
          });
          if (ok === 'ok' && r.result.value !== null && !/\bCLONE_THREAD\b/.test(cloneFlags(r))) {
            see(r.result.value);
            book.forked(pid, r.result.value);
          }
          break;
        }
        case 'unlink': case 'unlinkat': case 'rmdir': case 'mkdir': case 'mkdirat':
        case 'mknod': case 'mknodat': case 'rename': case 'renameat': case 'renameat2':
        case 'link': case 'linkat': case 'symlink': case 'symlinkat':
        case 'chmod': case 'fchmod': case 'fchmodat': case 'fchmodat2':
        case 'chown': case 'fchown': case 'lchown': case 'fchownat':
        case 'truncate': case 'ftruncate':
          trace.changes.push(changeOf(r, pid, cwdOf(pid)));
          break;
        case 'chdir':
          if (outcome(r) === 'ok') cwds.set(pid, pathAt(arg(r, 0), undefined, cwdOf(pid), false).path);
          break;
        case 'fchdir': {
          const fdv = arg(r, 0);
          if (outcome(r) === 'ok') cwds.set(pid, fdv?.t === 'atom' ? decoDir(fdv.deco) : null);
          break;
        }
        case 'exit_group':
          if (r.args[0]) {
            const code = numberArg(arg(r, 0));
            if (code !== null) exitGroups.set(pid, code);
          }
          break;
        default:
          if (RAW_NAMES[r.name]) trace.changes.push(changeOf(r, pid, cwdOf(pid)));
          break; // otherwise traced by someone's extra flags: ignored
      }
    } catch (err) {
      if (err instanceof ParseError) unparsed.push(r.line);
      else throw err;
    }
  }
  // strace run with -qq prints no `+++` lines: fall back on exit_group
  for (const [pid, code] of exitGroups) {
    if (!exited.has(pid)) trace.exits.push({ pid, exitCode: code, signal: null, coreDumped: false });
  }
  // where each listening socket was bound, as -yy last named it (a socket listen() itself bound
  // is named only by the calls after it)
  for (const l of trace.listens) {
    const local = book.socketOf.get(l)?.local;
    if (local) {
      l.address = local.address;
      l.port = local.port;
    }
  }
  trace.sockets = book.sockets;
  trace.netEntries = netEntries(trace, book);
  return trace;
}

export interface ParseOptions {
  /** The directory the first process started in (its relative paths before strace names its
   * cwd); runStrace gives the one it ran strace in. */
  cwd?: string;
}

/** Parse the text strace wrote with STRACE_FLAGS (and `-o FILE`). */
export function parseStrace(text: string, options: ParseOptions = {}): StraceTrace {
  const unparsed: string[] = [];
  return interpret(lineRecords(text, unparsed), unparsed, options.cwd ?? null);
}

// ---------------------------------------------------------------------------
// Running

export interface RunStraceOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** strace binary, `strace` from PATH by default. */
  strace?: string;
  /** More strace flags, put after STRACE_FLAGS. */
  extraFlags?: string[];
  /** Written to the command's stdin (default: stdin is /dev/null). */
  input?: string | Buffer;
  /** Kill strace and the command after this many ms (default 60000). */
  timeoutMs?: number;
  /** Keep strace's output file (its path is returned in outputFile). */
  keepOutput?: boolean;
  /** Trace the calls that move bytes too (STRACE_BYTES_FLAGS instead of STRACE_FLAGS): the
   * bytes of trace.sockets and trace.netEntries. */
  bytes?: boolean;
}

export interface StraceRun {
  /** strace's exit status: the command's own, or 128+N when it died by signal N. */
  exitCode: number | null;
  /** Set when strace itself died by a signal (it re-raises the command's). */
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer; // the command's stderr, and strace's own messages
  text: string;   // strace's raw output
  trace: StraceTrace;
  outputFile: string | null; // when keepOutput
}

/** Run `command` under strace with STRACE_FLAGS (or STRACE_BYTES_FLAGS) and parse what strace saw. */
export async function runStrace(command: string[], options: RunStraceOptions = {}): Promise<StraceRun> {
  if (command.length === 0) throw new Error('runStrace: empty command');
  const dir = await mkdtemp(join(tmpdir(), 'gh-strace-'));
  const outputFile = join(dir, 'strace.txt');
  const flags = options.bytes ? STRACE_BYTES_FLAGS : STRACE_FLAGS;
  const args = [...flags, ...(options.extraFlags ?? []), '-o', outputFile, '--', ...command];
  try {
    const { exitCode, signal, stdout, stderr } = await new Promise<{
      exitCode: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: Buffer;
    }>((resolve, reject) => {
      const child = spawn(options.strace ?? 'strace', args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.on('data', (b: Buffer) => err.push(b));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`runStrace: cannot start ${options.strace ?? 'strace'}: ${e.message}`));
      });
      child.on('close', (code, sig) => {
        clearTimeout(timer);
        resolve({ exitCode: code, signal: sig, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
      });
      if (options.input !== undefined && child.stdin) child.stdin.end(options.input);
    });
    let text: string;
    try {
      text = await readFile(outputFile, 'utf8');
    } catch {
      throw new Error(`runStrace: strace wrote no output (exit ${exitCode}): ${stderr.toString().trim()}`);
    }
    // the kernel names a cwd without symlinks: so must the first process's
    const cwd = await realpath(options.cwd ?? process.cwd());
    return {
      exitCode, signal, stdout, stderr, text,
      trace: parseStrace(text, { cwd }),
      outputFile: options.keepOutput ? outputFile : null,
    };
  } finally {
    if (!options.keepOutput) await rm(dir, { recursive: true, force: true });
  }
}
