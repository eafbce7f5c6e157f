// Tests of the strace parser's sockets (test/helpers/strace.ts): which socket each fd is, the
// bytes that moved over it (trace.sockets), listen and accept, the outcome of a non-blocking
// connect, and the receipt's network entries as strace sees them (trace.netEntries); on lines as
// strace 6.1 prints them with STRACE_BYTES_FLAGS (copied from runs of
// test/fixtures/programs/netbytes.py, shortened), plus a live run of netbytes.py whose own
// account of its bytes strace's must equal.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseStrace, runStrace, STRACE_BYTES_FLAGS, STRACE_BYTES_SYSCALLS, STRACE_FLAGS, STRACE_SYSCALLS } from '../helpers/strace.js';
import type { NetEntry, StraceTrace } from '../helpers/strace.js';
import { checkEntries, netbytesEntries } from '../helpers/net-entries.js';
import { PROGRAMS, PYTHON } from '../helpers/gh-run.js';

/** strace's -xx form of a string */
const x = (s: string) => [...Buffer.from(s)].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
const in4 = (ip: string, port: number) => `{sa_family=AF_INET, sin_port=htons(${port}), sin_addr=inet_addr("${x(ip)}")}`;
const un = (path: string) => `{sa_family=AF_UNIX, sun_path="${x(path)}"}`;
const LO = '127.0.0.1';

function parse(...ls: string[]): StraceTrace {
  const tr = parseStrace(ls.map((l) => (/^\d/.test(l) ? l : `700  ${l}`)).join('\n') + '\n');
  if (tr.unparsed.length) throw new Error(`unparsed: ${tr.unparsed.join('\n')}`);
  return tr;
}

/** netEntries without the fields a test does not look at */
const entries = (tr: StraceTrace) => tr.netEntries.map((e: NetEntry) =>
  [e.pid, e.op, e.family, e.protocol, e.address, e.port, e.result, e.initial, e.count, e.bytes_sent, e.bytes_received]);

t.test('the flags: sockets always, the calls that move bytes with `bytes`', async (t) => {
  for (const name of ['connect', 'sendto', 'sendmsg', 'sendmmsg', 'listen', 'accept', 'accept4', 'getsockopt',
    'socket', 'socketpair', 'close', 'dup', 'dup2', 'dup3', 'fcntl']) t.ok(STRACE_SYSCALLS.includes(name), name);
  const traced = (flags: readonly string[]) => (flags[flags.indexOf('-e') + 1] as string).slice('trace='.length).split(',');
  for (const name of STRACE_BYTES_SYSCALLS) {
    t.ok(traced(STRACE_BYTES_FLAGS).includes(name), `bytes: ${name}`);
    t.notOk(traced(STRACE_FLAGS).includes(name), `not by default: ${name}`);
  }
  t.equal(STRACE_BYTES_FLAGS[STRACE_BYTES_FLAGS.indexOf('-s') + 1], '4096');
});

t.test('TCP: listen, accept, connect; read/write, send/recv with a MSG_PEEK, by a thread and a forked child', async (t) => {
  const tr = parse(
    `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 3<TCP:[1768067]>`,
    `bind(3<TCP:[1768067]>, ${in4(LO, 0)}, 16) = 0`,
    `listen(3<TCP:[127.0.0.1:40001]>, 8) = 0`,
    `clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f82dae1a990, parent_tid=0x7f82dae1a990, exit_signal=0, stack=0x7f82da61a000, stack_size=0x7fff80, tls=0x7f82dae1a6c0} => {parent_tid=[701]}, 88) = 701`,
    `701  accept4(3<TCP:[127.0.0.1:40001]>,  <unfinished ...>`,
    `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 5<TCP:[1767046]>`,
    `connect(5<TCP:[1767046]>, ${in4(LO, 40001)}, 16) = 0`,
    `701  <... accept4 resumed>${in4(LO, 57154)}, [16], SOCK_CLOEXEC) = 4<TCP:[127.0.0.1:40001->127.0.0.1:57154]>`,
    `sendto(5<TCP:[127.0.0.1:57154->127.0.0.1:40001]>, "${x('ab')}", 2, 0, NULL, 0) = 2`,
    `701  recvfrom(4<TCP:[127.0.0.1:40001->127.0.0.1:57154]>, "${x('a')}", 1, MSG_PEEK, NULL, NULL) = 1`,
    `701  recvfrom(4<TCP:[127.0.0.1:40001->127.0.0.1:57154]>, "${x('ab')}", 100, 0, NULL, NULL) = 2`,
    `701  write(4<TCP:[127.0.0.1:40001->127.0.0.1:57154]>, "${x('xyz')}", 3) = 3`,
    `read(5<TCP:[127.0.0.1:57154->127.0.0.1:40001]>, "${x('xyz')}", 100) = 3`,
    `clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f82db3a7310) = 702`,
    `702  writev(5<TCP:[127.0.0.1:57154->127.0.0.1:40001]>, [{iov_base="${x('cc')}", iov_len=2}, {iov_base="${x('ccc')}", iov_len=3}], 2) = 5`,
    `702  exit_group(0)                     = ?`,
    `702  +++ exited with 0 +++`,
    `701  readv(4<TCP:[127.0.0.1:40001->127.0.0.1:57154]>, [{iov_base="${x('cc')}", iov_len=2}, {iov_base="${x('ccc')}", iov_len=10}], 2) = 5`,
    `701  close(4<TCP:[127.0.0.1:40001->127.0.0.1:57154]>) = 0`,
    `701  +++ exited with 0 +++`,
    `close(5<TCP:[127.0.0.1:57154->127.0.0.1:40001]>) = 0`,
    `close(3<TCP:[127.0.0.1:40001]>) = 0`,
    `+++ exited with 0 +++`,
  );
  t.strictSame(tr.listens, [{ pid: 700, tid: 700, fd: 3, family: 'inet', protocol: 'tcp', address: LO, port: 40001, result: 'ok' }]);
  t.strictSame(tr.accepts, [{
    pid: 700, tid: 701, syscall: 'accept4', fd: 3, newFd: 4, family: 'inet', protocol: 'tcp',
    address: LO, port: 57154, result: 'ok',
  }]);
  t.strictSame(tr.sockets.map((s) => [s.origin, s.pid, s.protocol, s.local, s.peer, s.sent, s.received, s.sends, s.recvs, s.peeked]), [
    ['socket', 700, 'tcp', { family: 'inet', address: LO, port: 40001 }, null, 0, 0, 0, 0, 0],
    ['socket', 700, 'tcp', { family: 'inet', address: LO, port: 57154 }, { family: 'inet', address: LO, port: 40001 }, 7, 3, 2, 1, 0],
    ['accept', 700, 'tcp', { family: 'inet', address: LO, port: 40001 }, { family: 'inet', address: LO, port: 57154 }, 3, 7, 1, 2, 1],
  ]);
  // the child's 5 bytes are on its parent's connect entry
  t.strictSame(entries(tr), [
    [700, 'accept', 'inet', 'tcp', LO, 57154, 'ok', null, 1, 3, 7],
    [700, 'connect', 'inet', 'tcp', LO, 40001, 'ok', null, 1, 7, 3],
    [700, 'listen', 'inet', 'tcp', LO, 40001, 'ok', null, 1, 0, 0],
  ]);
});

t.test('non-blocking connects: the outcome from SO_ERROR, `initial` EINPROGRESS', async (t) => {
  const tr = parse(
    `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 5<TCP:[1767066]>`,
    `connect(5<TCP:[1767066]>, ${in4(LO, 56703)}, 16) = -1 EINPROGRESS (Operation now in progress)`,
    `getsockopt(5<TCP:[127.0.0.1:45694->127.0.0.1:56703]>, SOL_SOCKET, SO_ERROR, [0], [4]) = 0`,
    `sendto(5<TCP:[127.0.0.1:45694->127.0.0.1:56703]>, "${x('n')}", 1, 0, NULL, 0) = 1`,
    `close(5<TCP:[127.0.0.1:45694->127.0.0.1:56703]>) = 0`,
    `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 5<TCP:[1767068]>`,
    `connect(5<TCP:[1767068]>, ${in4(LO, 36351)}, 16) = -1 EINPROGRESS (Operation now in progress)`,
    `getsockopt(5<TCP:[1767068]>, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0`,
    `close(5<TCP:[1767068]>) = 0`,
    // nobody asked: strace cannot tell
    `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 5<TCP:[1767069]>`,
    `connect(5<TCP:[1767069]>, ${in4(LO, 9)}, 16) = -1 EINPROGRESS (Operation now in progress)`,
    `close(5<TCP:[1767069]>) = 0`,
    // a blocking one, refused at once
    `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 5<TCP:[1767070]>`,
    `connect(5<TCP:[1767070]>, ${in4(LO, 36351)}, 16) = -1 ECONNREFUSED (Connection refused)`,
  );
  t.strictSame(tr.network.filter((n) => n.op === 'connect').map((n) => [n.port, n.result, n.outcome]), [
    [56703, 'EINPROGRESS', 'ok'], [36351, 'EINPROGRESS', 'ECONNREFUSED'], [9, 'EINPROGRESS', null], [36351, 'ECONNREFUSED', null],
  ]);
  t.strictSame(entries(tr), [
    [700, 'connect', 'inet', 'tcp', LO, 9, 'EINPROGRESS', null, 1, 0, 0],
    [700, 'connect', 'inet', 'tcp', LO, 36351, 'ECONNREFUSED', null, 1, 0, 0],
    [700, 'connect', 'inet', 'tcp', LO, 36351, 'ECONNREFUSED', 'EINPROGRESS', 1, 0, 0],
    [700, 'connect', 'inet', 'tcp', LO, 56703, 'ok', 'EINPROGRESS', 1, 1, 0],
  ]);
});

t.test('UDP: sendto and recvfrom, sendmsg with a name, sendmmsg to two places, recvmmsg', async (t) => {
  const msg = (to: string, len: number) =>
    `{msg_hdr={msg_name=${to}, msg_namelen=16, msg_iov=[{iov_base="${x('m'.repeat(len))}", iov_len=${len}}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, msg_len=${len}}`;
  const tr = parse(
    `socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 3<UDP:[1]>`,
    `socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 4<UDP:[2]>`,
    `socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 5<UDP:[3]>`,
    // one peer each way
    `sendto(3<UDP:[127.0.0.1:45431]>, "${x('0123456789')}", 10, 0, ${in4(LO, 40334)}, 16) = 10`,
    `sendto(3<UDP:[127.0.0.1:45431]>, "${x('01234')}", 5, 0, ${in4(LO, 40334)}, 16) = 5`,
    `recvfrom(4<UDP:[127.0.0.1:40334]>, "${x('0123456789')}", 4096, 0, ${in4(LO, 45431)}, [16]) = 10`,
    `recvmsg(4<UDP:[127.0.0.1:40334]>, {msg_name=${in4(LO, 45431)}, msg_namelen=16, msg_iov=[{iov_base="${x('01234')}", iov_len=4096}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 5`,
    `sendmsg(4<UDP:[127.0.0.1:40334]>, {msg_name=${in4(LO, 45431)}, msg_namelen=16, msg_iov=[{iov_base="${x('ok')}", iov_len=2}, {iov_base="${x('!!')}", iov_len=2}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 4`,
    `recvfrom(3<UDP:[127.0.0.1:45431]>, "${x('ok!!')}", 4096, 0, ${in4(LO, 40334)}, [16]) = 4`,
    // sendmmsg: 2 messages to 58355 and 1 to 36210; 5 read none
    `sendmmsg(5<UDP:[127.0.0.1:60806]>, [${msg(in4(LO, 58355), 7)}, ${msg(in4(LO, 58355), 11)}, ${msg(in4(LO, 36210), 13)}], 3, 0) = 3`,
    `recvmmsg(3<UDP:[127.0.0.1:45431]>, [${msg(in4(LO, 60806), 7)}, ${msg(in4(LO, 60806), 11)}], 2, 0, NULL) = 2`,
  );
  t.strictSame(tr.network.map((n) => [n.op, n.port, n.bytes]), [
    ['sendto', 40334, 10], ['sendto', 40334, 5], ['sendmsg', 45431, 4], ['sendmsg', 58355, 7], ['sendmsg', 58355, 11], ['sendmsg', 36210, 13],
  ]);
  t.strictSame(tr.sockets.map((s) => [s.local?.port, s.sent, s.received, s.sentTo.map((d) => [d.op, d.to.port, d.bytes])]), [
    [45431, 15, 22, [['sendto', 40334, 10], ['sendto', 40334, 5]]],
    [40334, 4, 15, [['sendmsg', 45431, 4]]],
    [60806, 31, 0, [['sendmsg', 58355, 7], ['sendmsg', 58355, 11], ['sendmsg', 36210, 13]]],
  ]);
  t.strictSame(entries(tr), [
    [700, 'sendmsg', 'inet', 'udp', LO, 36210, 'ok', null, 1, 13, 0],
    [700, 'sendmsg', 'inet', 'udp', LO, 45431, 'ok', null, 1, 4, 15],
    [700, 'sendmsg', 'inet', 'udp', LO, 58355, 'ok', null, 2, 18, 0],
    [700, 'sendto', 'inet', 'udp', LO, 40334, 'ok', null, 2, 15, 22],
  ]);
  t.notOk(tr.netEntries.some((e) => e.ambiguous));
});

t.test('unix stream and datagram sockets, sendfile, splice in and out', async (t) => {
  const D = '/tmp/gh-strace-fixture';
  const tr = parse(
    `socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 8<UNIX-STREAM:[1609827]>`,
    `listen(8<UNIX-STREAM:[1609827,"${x(`${D}/us`)}"]>, 128) = 0`,
    `socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 9<UNIX-STREAM:[1609828]>`,
    `connect(9<UNIX-STREAM:[1609828]>, ${un(`${D}/us`)}, 14) = 0`,
    `accept4(8<UNIX-STREAM:[1609827,"${x(`${D}/us`)}"]>, {sa_family=AF_UNIX}, [110 => 2], SOCK_CLOEXEC) = 11<UNIX-STREAM:[1609829->1609828,"${x(`${D}/us`)}"]>`,
    `sendto(9<UNIX-STREAM:[1609828->1609829]>, "${x('abc')}", 3, 0, NULL, 0) = 3`,
    `recvfrom(11<UNIX-STREAM:[1609829->1609828,"${x(`${D}/us`)}"]>, "${x('abc')}", 10, 0, NULL, NULL) = 3`,
    `socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0) = 12<UNIX:[1609830]>`,
    `socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0) = 13<UNIX:[1609831]>`,
    `connect(13<UNIX:[1609831,"${x(`${D}/uc2`)}"]>, ${un(`${D}/ud`)}, 14) = 0`,
    `sendto(13<UNIX:[1609831,"${x(`${D}/uc2`)}"]>, "${x('1234')}", 4, 0, NULL, 0) = 4`,
    `recvfrom(12<UNIX:[1609830,"${x(`${D}/ud`)}"]>, "${x('1234')}", 10, 0, ${un(`${D}/uc2`)}, [110 => 15]) = 4`,
    `sendto(12<UNIX:[1609830,"${x(`${D}/ud`)}"]>, "${x('zz')}", 2, 0, ${un(`${D}/uc2`)}, 15) = 2`,
    `recvfrom(13<UNIX:[1609831,"${x(`${D}/uc2`)}"]>, "${x('zz')}", 10, 0, NULL, NULL) = 2`,
    `sendfile(9<UNIX-STREAM:[1609828->1609829]>, 14<${x(`${D}/f`)}>, [0] => [1000], 1000) = 1000`,
    `splice(15<${x('pipe:[1609832]')}>, NULL, 9<UNIX-STREAM:[1609828->1609829]>, NULL, 50, 0) = 50`,
    `splice(11<UNIX-STREAM:[1609829->1609828,"${x(`${D}/us`)}"]>, NULL, 18<${x('pipe:[1609833]')}>, NULL, 1050, 0) = 1050`,
    `read(17<${x('pipe:[1609833]')}>, "${x('p')}", 1050) = 1050`,
  );
  t.strictSame(tr.listens.map((l) => [l.family, l.protocol, l.address, l.port]), [['unix', 'stream', `${D}/us`, null]]);
  t.strictSame(tr.accepts.map((a) => [a.family, a.protocol, a.address, a.port]), [['unix', 'stream', '', null]]);
  t.strictSame(entries(tr), [
    [700, 'accept', 'unix', 'stream', '', null, 'ok', null, 1, 0, 1053],
    [700, 'connect', 'unix', 'dgram', `${D}/ud`, null, 'ok', null, 1, 4, 2],
    [700, 'connect', 'unix', 'stream', `${D}/us`, null, 'ok', null, 1, 1053, 0],
    [700, 'listen', 'unix', 'stream', `${D}/us`, null, 'ok', null, 1, 0, 0],
    [700, 'sendto', 'unix', 'dgram', `${D}/uc2`, null, 'ok', null, 1, 2, 4],
  ]);
  t.equal(tr.sockets.length, 5, 'files and pipes are not sockets');
});

t.test('fds followed: dup2 onto stdout, close-on-exec, a listen() that bound the socket, fds reused', async (t) => {
  const tr = parse(
    `socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3<TCP:[10]>`,
    `connect(3<TCP:[10]>, ${in4(LO, 80)}, 16) = 0`,
    `dup2(3<TCP:[127.0.0.1:5000->127.0.0.1:80]>, 1<${x('/dev/pts/0')}>) = 1<TCP:[127.0.0.1:5000->127.0.0.1:80]>`,
    `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 4<TCP:[11]>`,
    `connect(4<TCP:[11]>, ${in4(LO, 81)}, 16) = 0`,
    `execve("/bin/true", ["${x('true')}"], 0x7ffc /* 1 var */) = 0`,
    // the exec closed 4: this 4 is a file; 1 is still the socket
    `write(4<${x('/tmp/log')}>, "${x('hello')}", 5) = 5`,
    `write(1<TCP:[127.0.0.1:5000->127.0.0.1:80]>, "${x('hello')}", 5) = 5`,
    `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 5<TCP:[12]>`,
    `listen(5<TCP:[12]>, 128) = 0`,
    `close(5<TCP:[0.0.0.0:37519]>) = 0`,
  );
  t.strictSame(entries(tr), [
    [700, 'connect', 'inet', 'tcp', LO, 80, 'ok', null, 1, 5, 0],
    [700, 'connect', 'inet', 'tcp', LO, 81, 'ok', null, 1, 0, 0],
    [700, 'listen', 'inet', 'tcp', '0.0.0.0', 37519, 'ok', null, 1, 0, 0],
  ]);
});

const canTrace =
  spawnSync('strace', ['-f', '-q', '-o', '/dev/null', '--', 'true'], { stdio: 'ignore' }).status === 0;

t.test('runStrace with bytes: netbytes.py, what strace saw is what the program counted', { skip: canTrace ? false : 'strace cannot trace here' }, async (t) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'gh-strace-sockets-')));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = await runStrace([PYTHON, join(PROGRAMS, 'netbytes.py'), '--dir', dir, '--sizes', '1,70000,3000000'], { bytes: true, cwd: dir });
  t.equal(run.exitCode, 0, run.stderr.toString());
  t.strictSame(run.trace.unparsed, []);
  const info = JSON.parse(run.stdout.toString().trim().split('\n').pop()!);
  const root = run.trace.processes[0]?.pid;
  t.equal(root, info.pid);
  // its stdout is a socket here (node's stdio pipes are socketpairs): the JSON line went over it
  const stdio = run.trace.netEntries.filter((e) => e.op === 'socket' && e.inherited);
  t.strictSame(stdio.map((e) => [e.family, e.bytes_sent, e.bytes_received]), [['unix', run.stdout.length, 0]], 'stdout, a socket');
  const seen = run.trace.netEntries.filter((e) => !stdio.includes(e))
    .map((e) => ({ ...e, initial: e.initial ?? undefined, host: null, bytes: e.bytes_sent + e.bytes_received }));
  const left = checkEntries(t, seen, netbytesEntries(info));
  t.same(left, [], 'no other entries');
  t.notOk(run.trace.netEntries.some((e) => e.ambiguous), 'no bytes strace could not place');
  const peeked = run.trace.sockets.reduce((n, s) => n + s.peeked, 0);
  t.equal(peeked, 1, 'the one byte peeked at, apart');
});
