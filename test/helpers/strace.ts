// strace as an independent witness: run a command under strace and parse what
// strace saw into plain records (execs, exits, opens, changes on disk, network
// calls, forks), so that tests can compare glasshouse receipts with strace's view
// of the same workload.
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
  'connect', 'sendto', 'sendmsg',
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
const INTERPRETED = new Set([...STRACE_SYSCALLS, ...Object.keys(RAW_NAMES)]);

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
    execs: [], exits: [], opens: [], network: [], forks: [], changes: [], processes: [], unparsed,
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
        case 'connect':
        case 'sendto':
        case 'sendmsg': {
          const fdv = arg(r, 0);
          let addr: Value | undefined;
          if (r.name === 'connect') addr = arg(r, 1);
          else if (r.name === 'sendto') addr = arg(r, 4);
          else addr = field(arg(r, 1), 'msg_name');
          const kind = socketKind(fdv);
          const ok = outcome(r);
          trace.network.push({
            pid, tid, op: r.name,
            fd: fdNumber(fdv),
            socket: kind,
            protocol: protocolOf(kind),
            ...sockaddr(addr),
            result: ok,
            bytes: r.name !== 'connect' && ok === 'ok' ? r.result.value : null,
          });
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

/** Run `command` under strace with STRACE_FLAGS and parse what strace saw. */
export async function runStrace(command: string[], options: RunStraceOptions = {}): Promise<StraceRun> {
  if (command.length === 0) throw new Error('runStrace: empty command');
  const dir = await mkdtemp(join(tmpdir(), 'gh-strace-'));
  const outputFile = join(dir, 'strace.txt');
  const args = [...STRACE_FLAGS, ...(options.extraFlags ?? []), '-o', outputFile, '--', ...command];
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
