// Tests of the strace output parser (test/helpers/strace.ts) on outputs recorded
// from real runs (test/fixtures/strace/*.txt, made by record.sh there), plus a
// few one-line cases written in strace's format for paths the recordings miss,
// and one live run when strace can trace here.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { parseStrace, runStrace, STRACE_FLAGS } from '../helpers/strace.js';
import type { OpenCall, StraceTrace } from '../helpers/strace.js';

function fixture(name: string): StraceTrace {
  const file = fileURLToPath(new URL(`../fixtures/strace/${name}`, import.meta.url));
  return parseStrace(readFileSync(file, 'utf8'));
}

const CWD = '/tmp/gh-strace-fixture';

function openOf(trace: StraceTrace, path: string): OpenCall[] {
  return trace.opens.filter((o) => o.path === path);
}

t.test('sh -c: vfork children, unfinished/resumed execve, exits, a failed open', async (t) => {
  const tr = fixture('sh.txt');
  t.strictSame(tr.unparsed, []);
  t.strictSame(tr.execs, [
    {
      pid: 6247, tid: 6247, syscall: 'execve', dirfd: null, path: '/bin/sh',
      argv: ['/bin/sh', '-c', 'cat /etc/hostname; ls /nonexistent; cat /nonexistent 2>/dev/null'],
      argvTruncated: false, flags: null, result: 'ok',
    },
    {
      pid: 6248, tid: 6248, syscall: 'execve', dirfd: null, path: '/usr/bin/cat',
      argv: ['cat', '/etc/hostname'], argvTruncated: false, flags: null, result: 'ok',
    },
    {
      pid: 6249, tid: 6249, syscall: 'execve', dirfd: null, path: '/usr/bin/ls',
      argv: ['ls', '/nonexistent'], argvTruncated: false, flags: null, result: 'ok',
    },
    {
      pid: 6250, tid: 6250, syscall: 'execve', dirfd: null, path: '/usr/bin/cat',
      argv: ['cat', '/nonexistent'], argvTruncated: false, flags: null, result: 'ok',
    },
  ]);
  t.strictSame(tr.exits, [
    { pid: 6248, exitCode: 0, signal: null, coreDumped: false },
    { pid: 6249, exitCode: 2, signal: null, coreDumped: false },
    { pid: 6250, exitCode: 1, signal: null, coreDumped: false },
    { pid: 6247, exitCode: 1, signal: null, coreDumped: false },
  ]);
  t.strictSame(tr.forks.map((f) => [f.pid, f.syscall, f.child, f.thread, f.result]), [
    [6247, 'vfork', 6248, false, 'ok'],
    [6247, 'vfork', 6249, false, 'ok'],
    [6247, 'vfork', 6250, false, 'ok'],
  ]);
  t.strictSame(tr.processes, [
    { pid: 6247, ppid: null },
    { pid: 6248, ppid: 6247 },
    { pid: 6249, ppid: 6247 },
    { pid: 6250, ppid: 6247 },
  ]);
  t.equal(tr.opens.length, 14);
  t.strictSame(openOf(tr, '/etc/hostname'), [{
    pid: 6248, tid: 6248, syscall: 'openat', path: '/etc/hostname', pathTruncated: false,
    dirfd: 'AT_FDCWD', dirfdPath: CWD, flags: 'O_RDONLY', mode: null,
    result: 3, openedPath: '/etc/hostname',
  }]);
  t.strictSame(openOf(tr, '/nonexistent'), [{
    pid: 6250, tid: 6250, syscall: 'openat', path: '/nonexistent', pathTruncated: false,
    dirfd: 'AT_FDCWD', dirfdPath: CWD, flags: 'O_RDONLY', mode: null,
    result: 'ENOENT', openedPath: null,
  }]);
  // `3</dev/null<char 1:3>>`: the device suffix is not part of the path
  t.strictSame(openOf(tr, '/dev/null'), [{
    pid: 6247, tid: 6247, syscall: 'openat', path: '/dev/null', pathTruncated: false,
    dirfd: 'AT_FDCWD', dirfdPath: CWD, flags: 'O_WRONLY|O_CREAT|O_TRUNC', mode: '0666',
    result: 3, openedPath: '/dev/null',
  }]);
  // symlinks resolved in openedPath
  const libc = openOf(tr, '/lib/x86_64-linux-gnu/libc.so.6');
  t.equal(libc.length, 4);
  t.equal(libc[0]?.openedPath, '/usr/lib/x86_64-linux-gnu/libc.so.6');
  t.strictSame(tr.network, []);
});

t.test('python: argv with empty, spaced, newline, quote, backslash and non-ASCII elements', async (t) => {
  const tr = fixture('python-argv.txt');
  t.strictSame(tr.unparsed, []);
  const odd = ['', 'a b', 'x\ny', 'q"\\', 'héllo ✓'];
  t.equal(tr.execs.length, 2);
  t.strictSame(tr.execs[0]?.argv, [
    '/usr/bin/python3', '-I', '-S', '-c',
    'import os, sys; os.execv("/bin/true", ["true"] + sys.argv[1:])',
    ...odd,
  ]);
  t.strictSame(tr.execs[1], {
    pid: 6254, tid: 6254, syscall: 'execve', dirfd: null, path: '/bin/true',
    argv: ['true', ...odd], argvTruncated: false, flags: null, result: 'ok',
  });
  t.equal(tr.execs[1]?.argv?.[5], 'h\u00e9llo \u2713');
  t.strictSame(tr.exits, [{ pid: 6254, exitCode: 0, signal: null, coreDumped: false }]);
  t.strictSame(tr.processes, [{ pid: 6254, ppid: null }]);
  t.strictSame(openOf(tr, '/usr/pyvenv.cfg').map((o) => o.result), ['ENOENT']);
  t.strictSame(openOf(tr, '/etc/localtime').map((o) => o.openedPath), ['/usr/share/zoneinfo/Etc/UTC']);
});

t.test('network: inet, inet6, unix, abstract unix, sendto and sendmsg', async (t) => {
  const tr = fixture('net.txt');
  t.strictSame(tr.unparsed, []);
  const base = { pid: 6258, tid: 6258 };
  t.strictSame(tr.network, [
    { ...base, op: 'connect', fd: 4, socket: 'TCP', protocol: 'tcp', family: 'inet',
      address: '127.0.0.1', port: 51443, result: 'ok', bytes: null, outcome: null },
    // send() on a connected socket: sendto without an address
    { ...base, op: 'sendto', fd: 4, socket: 'TCP', protocol: 'tcp', family: null,
      address: null, port: null, result: 'ok', bytes: 2, outcome: null },
    { ...base, op: 'connect', fd: 4, socket: 'TCP', protocol: 'tcp', family: 'inet',
      address: '127.0.0.1', port: 46305, result: 'ECONNREFUSED', bytes: null, outcome: null },
    { ...base, op: 'connect', fd: 5, socket: 'TCPv6', protocol: 'tcp', family: 'inet6',
      address: '::1', port: 46305, result: 'ECONNREFUSED', bytes: null, outcome: null },
    { ...base, op: 'sendto', fd: 7, socket: 'UDP', protocol: 'udp', family: 'inet',
      address: '127.0.0.1', port: 35715, result: 'ok', bytes: 5, outcome: null },
    { ...base, op: 'sendmsg', fd: 8, socket: 'UDPv6', protocol: 'udp', family: 'inet6',
      address: '::1', port: 46754, result: 'ok', bytes: 5, outcome: null },
    { ...base, op: 'connect', fd: 8, socket: 'UNIX-STREAM', protocol: 'stream', family: 'unix',
      address: '/tmp/gh-strace-fixture/no such.sock', port: null, result: 'ENOENT', bytes: null, outcome: null },
    { ...base, op: 'connect', fd: 9, socket: 'UNIX-STREAM', protocol: 'stream', family: 'unix',
      address: '@gh-abstract', port: null, result: 'ECONNREFUSED', bytes: null, outcome: null },
    { ...base, op: 'sendto', fd: 11, socket: 'UNIX', protocol: null, family: 'unix',
      address: '/tmp/gh-strace-fixture/d.sock', port: null, result: 'ok', bytes: 1, outcome: null },
  ]);
  t.strictSame(tr.exits, [{ pid: 6258, exitCode: 5, signal: null, coreDumped: false }]);
});

t.test('threads, fork, failed exec, dirfd and relative opens, SIGKILL', async (t) => {
  const tr = fixture('threads-kill.txt');
  t.strictSame(tr.unparsed, []);
  // the thread (tid 6263) is part of process 6262: not a process of its own
  t.strictSame(tr.processes, [{ pid: 6262, ppid: null }, { pid: 6264, ppid: 6262 }]);
  t.strictSame(tr.forks, [
    { pid: 6262, tid: 6262, syscall: 'clone3', child: 6263, thread: true, result: 'ok' },
    { pid: 6262, tid: 6262, syscall: 'clone', child: 6264, thread: false, result: 'ok' },
  ]);
  t.strictSame(openOf(tr, '/etc/hostname'), [{
    pid: 6262, tid: 6263, syscall: 'openat', path: '/etc/hostname', pathTruncated: false,
    dirfd: 'AT_FDCWD', dirfdPath: CWD, flags: 'O_RDONLY|O_CLOEXEC', mode: null,
    result: 3, openedPath: '/etc/hostname',
  }]);
  t.strictSame(openOf(tr, 'dir'), [{
    pid: 6262, tid: 6262, syscall: 'openat', path: 'dir', pathTruncated: false,
    dirfd: 'AT_FDCWD', dirfdPath: CWD, flags: 'O_RDONLY|O_CLOEXEC|O_DIRECTORY', mode: null,
    result: 3, openedPath: `${CWD}/dir`,
  }]);
  t.strictSame(openOf(tr, 'made-by-dirfd'), [
    {
      pid: 6262, tid: 6262, syscall: 'openat', path: 'made-by-dirfd', pathTruncated: false,
      dirfd: '3', dirfdPath: `${CWD}/dir`, flags: 'O_WRONLY|O_CREAT|O_CLOEXEC', mode: '0600',
      result: 4, openedPath: `${CWD}/dir/made-by-dirfd`,
    },
    { // after chdir("dir"): AT_FDCWD is the new cwd
      pid: 6262, tid: 6262, syscall: 'openat', path: 'made-by-dirfd', pathTruncated: false,
      dirfd: 'AT_FDCWD', dirfdPath: `${CWD}/dir`, flags: 'O_RDONLY|O_CLOEXEC', mode: null,
      result: 4, openedPath: `${CWD}/dir/made-by-dirfd`,
    },
  ]);
  t.strictSame(tr.execs.slice(1), [
    {
      pid: 6264, tid: 6264, syscall: 'execve', dirfd: null, path: '/nonexistent/prog',
      argv: ['prog'], argvTruncated: false, flags: null, result: 'ENOENT',
    },
    {
      pid: 6264, tid: 6264, syscall: 'execve', dirfd: null, path: '/bin/sh',
      argv: ['sh', '-c', 'kill -9 $$'], argvTruncated: false, flags: null, result: 'ok',
    },
  ]);
  // the thread's own `+++ exited with 0 +++` is not a process exit
  t.strictSame(tr.exits, [
    { pid: 6264, exitCode: null, signal: 'SIGKILL', coreDumped: false },
    { pid: 6262, exitCode: null, signal: 'SIGKILL', coreDumped: false },
  ]);
});

t.test('execve from a thread other than the leader (`<pid changed to N ...>`)', async (t) => {
  const tr = fixture('thread-exec.txt');
  t.strictSame(tr.unparsed, []);
  t.strictSame(tr.execs.slice(1), [{
    pid: 8321, tid: 8321, syscall: 'execve', dirfd: null, path: '/bin/true',
    argv: ['true', 'from a thread'], argvTruncated: false, flags: null, result: 'ok',
  }]);
  t.strictSame(tr.processes, [{ pid: 8321, ppid: null }]);
  t.strictSame(tr.exits, [{ pid: 8321, exitCode: 0, signal: null, coreDumped: false }]);
});

t.test('open, creat, openat2 and execveat', async (t) => {
  const tr = fixture('rare.txt');
  t.strictSame(tr.unparsed, []);
  const base = { pid: 6268, tid: 6268, pathTruncated: false };
  t.strictSame(tr.opens.filter((o) => o.syscall !== 'openat'), [
    { ...base, syscall: 'open', path: '/etc/hostname', dirfd: null, dirfdPath: null,
      flags: 'O_RDONLY', mode: null, result: 3, openedPath: '/etc/hostname' },
    { ...base, syscall: 'creat', path: `${CWD}/created`, dirfd: null, dirfdPath: null,
      flags: 'O_WRONLY|O_CREAT|O_TRUNC', mode: '0640', result: 4, openedPath: `${CWD}/created` },
    { ...base, syscall: 'openat2', path: '/etc/hostname', dirfd: 'AT_FDCWD', dirfdPath: CWD,
      flags: 'O_RDONLY', mode: null, result: 5, openedPath: '/etc/hostname' },
    { ...base, syscall: 'openat2', path: '/nonexistent', dirfd: 'AT_FDCWD', dirfdPath: CWD,
      flags: 'O_RDONLY', mode: null, result: 'ENOENT', openedPath: null },
  ]);
  t.strictSame(tr.execs.slice(1), [
    { pid: 6268, tid: 6268, syscall: 'execveat', dirfd: 'AT_FDCWD', path: '/nonexistent',
      argv: ['echo', 'from execveat'], argvTruncated: false, flags: '0', result: 'ENOENT' },
    { pid: 6268, tid: 6268, syscall: 'execveat', dirfd: 'AT_FDCWD', path: '/bin/echo',
      argv: ['echo', 'from execveat'], argvTruncated: false, flags: '0', result: 'ok' },
  ]);
  t.strictSame(tr.exits, [{ pid: 6268, exitCode: 0, signal: null, coreDumped: false }]);
});

// Cases the recordings do not show, written in strace's own format.
t.test('format corners', async (t) => {
  t.test('truncated strings and argv lists', async (t) => {
    const tr = parseStrace(
      '7  execve("/bin/true", ["/bin"..., "1", "2", "3", ...], 0x7ffc /* 35 vars */) = 0\n',
    );
    t.strictSame(tr.unparsed, []);
    t.equal(tr.execs[0]?.argvTruncated, true);
    t.strictSame(tr.execs[0]?.argv, ['/bin', '1', '2', '3']);
  });
  t.test('a call cut short by the death of its process', async (t) => {
    const tr = parseStrace([
      '8  connect(3<TCP:[1]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16 <unfinished ...>',
      '8  +++ killed by SIGKILL +++',
      '',
    ].join('\n'));
    t.strictSame(tr.unparsed, []);
    t.strictSame(tr.network.map((n) => [n.address, n.port, n.result]), [['127.0.0.1', 80, '?']]);
    t.strictSame(tr.exits, [{ pid: 8, exitCode: null, signal: 'SIGKILL', coreDumped: false }]);
  });
  t.test('[pid N] prefixes, octal escapes, -qq (no +++ lines), core dumps', async (t) => {
    const tr = parseStrace([
      '[pid  9] openat(AT_FDCWD, "a\\303\\251\\n", O_RDONLY) = -1 ENOENT (No such file or directory)',
      '[pid  9] exit_group(4)                     = ?',
      '[pid 10] +++ killed by SIGSEGV (core dumped) +++',
      '',
    ].join('\n'));
    t.strictSame(tr.unparsed, []);
    t.strictSame(tr.opens.map((o) => [o.pid, o.path, o.dirfd, o.dirfdPath, o.result]), [
      [9, 'a\u00e9\n', 'AT_FDCWD', null, 'ENOENT'],
    ]);
    t.strictSame(tr.exits, [
      { pid: 10, exitCode: null, signal: 'SIGSEGV', coreDumped: true },
      { pid: 9, exitCode: 4, signal: null, coreDumped: false },
    ]);
  });
  t.test('syscalls outside STRACE_SYSCALLS and signal lines are skipped', async (t) => {
    const tr = parseStrace([
      '12  wait4(-1,  <unfinished ...>',
      '13  exit_group(0)                     = ?',
      '13  +++ exited with 0 +++',
      '12  <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 13',
      '12  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=13, si_uid=0, si_status=0} ---',
      '12  kill(12, SIGKILL)                 = ?',
      '12  +++ killed by SIGKILL +++',
      '',
    ].join('\n'));
    t.strictSame(tr.unparsed, []);
    t.strictSame(tr.exits, [
      { pid: 13, exitCode: 0, signal: null, coreDumped: false },
      { pid: 12, exitCode: null, signal: 'SIGKILL', coreDumped: false },
    ]);
  });
  t.test('what is not understood is reported, not dropped silently', async (t) => {
    const tr = parseStrace('11  openat(AT_FDCWD, "x", O_RDONLY = 3\n11  +++ exited with 0 +++\n');
    t.equal(tr.unparsed.length, 1);
    t.strictSame(tr.exits, [{ pid: 11, exitCode: 0, signal: null, coreDumped: false }]);
  });
});

const canTrace =
  spawnSync('strace', ['-f', '-q', '-o', '/dev/null', '--', 'true'], { stdio: 'ignore' }).status === 0;

t.test('runStrace on a live command', { skip: canTrace ? false : 'strace cannot trace here' }, async (t) => {
  const run = await runStrace(['/bin/sh', '-c', 'cat /etc/hostname > /dev/null; exit 3'], {
    env: { PATH: '/usr/bin:/bin' },
    cwd: '/',
  });
  t.equal(run.exitCode, 3);
  t.equal(run.signal, null);
  t.equal(run.outputFile, null);
  t.strictSame(run.trace.unparsed, []);
  t.strictSame(run.trace.execs.map((e) => [e.path, e.argv, e.result]), [
    ['/bin/sh', ['/bin/sh', '-c', 'cat /etc/hostname > /dev/null; exit 3'], 'ok'],
    ['/usr/bin/cat', ['cat', '/etc/hostname'], 'ok'],
  ]);
  const root = run.trace.processes[0]?.pid;
  t.strictSame(run.trace.exits.at(-1), { pid: root, exitCode: 3, signal: null, coreDumped: false });
  const hostname = openOf(run.trace, '/etc/hostname');
  t.equal(hostname.length, 1);
  t.equal(hostname[0]?.dirfdPath, '/');
  t.ok(STRACE_FLAGS.includes('-xx'));
});
