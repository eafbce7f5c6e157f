// Tests of the strace parser's changes (unlink, rename, mkdir, chmod, chown, truncate and the
// rest: trace.changes), on lines as strace 6.1 prints them with STRACE_FLAGS (copied from a run
// of test/fixtures/programs/changes.py, with one pid and one directory), plus one live run.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseStrace, runStrace, STRACE_FLAGS, STRACE_SYSCALLS } from '../helpers/strace.js';
import type { ChangeCall } from '../helpers/strace.js';

const D = '/tmp/gh-strace-fixture';

function lines(...ls: string[]): string {
  return ls.map((l) => (/^\d/.test(l) ? l : `700  ${l}`)).join('\n') + '\n';
}

/** The changes of `text`, with their fields that are not null (and flags when there are some). */
function changes(text: string, cwd?: string): Partial<ChangeCall>[] {
  const tr = parseStrace(text, cwd === undefined ? {} : { cwd });
  if (tr.unparsed.length) throw new Error(`unparsed: ${tr.unparsed.join('\n')}`);
  return tr.changes.map((c) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c)) {
      if (k === 'pid' || k === 'tid') continue;
      if (v === null || (k === 'flags' && (v as string[]).length === 0)) continue;
      if (k === 'pathTruncated' && v === false) continue;
      out[k] = v;
    }
    return out as Partial<ChangeCall>;
  });
}

t.test('STRACE_FLAGS ask for every change call, fchmodat2 even from an strace that does not know it', async (t) => {
  for (const name of ['unlink', 'unlinkat', 'rmdir', 'mkdir', 'mkdirat', 'mknod', 'mknodat',
    'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat',
    'chmod', 'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'fchown', 'lchown', 'fchownat',
    'truncate', 'ftruncate', 'chdir', 'fchdir']) {
    t.ok(STRACE_SYSCALLS.includes(name), name);
  }
  const trace = STRACE_FLAGS[STRACE_FLAGS.indexOf('-e') + 1] as string;
  t.match(trace, /(^|,)\?fchmodat2(,|$)/);
  t.match(trace, /(^|,)unlinkat(,|$)/);
});

t.test('removals: unlink and rmdir, unlinkat with and without AT_REMOVEDIR', async (t) => {
  t.strictSame(changes(lines(
    `unlink("a/r6")                    = 0`,
    `unlink("a/r6")                    = -1 ENOENT (No such file or directory)`,
    `unlink("${D}/hard")            = 0`,
    `unlinkat(3<${D}/a>, "hard", 0) = 0`,
    `unlinkat(3<${D}/a>, "hard", 0) = -1 ENOENT (No such file or directory)`,
    `unlinkat(3<${D}/a>, "m", AT_REMOVEDIR) = 0`,
    `unlinkat(4<${D}/b>, "c2", AT_REMOVEDIR) = -1 ENOTEMPTY (Directory not empty)`,
    `rmdir("e")                        = 0`,
    `rmdir("a")                        = -1 ENOTEMPTY (Directory not empty)`,
  ), D), [
    { syscall: 'unlink', op: 'delete', path: `${D}/a/r6`, result: 'ok' },
    { syscall: 'unlink', op: 'delete', path: `${D}/a/r6`, result: 'ENOENT' },
    { syscall: 'unlink', op: 'delete', path: `${D}/hard`, result: 'ok' },
    { syscall: 'unlinkat', op: 'delete', path: `${D}/a/hard`, result: 'ok' },
    { syscall: 'unlinkat', op: 'delete', path: `${D}/a/hard`, result: 'ENOENT' },
    { syscall: 'unlinkat', op: 'rmdir', path: `${D}/a/m`, flags: ['AT_REMOVEDIR'], result: 'ok' },
    { syscall: 'unlinkat', op: 'rmdir', path: `${D}/b/c2`, flags: ['AT_REMOVEDIR'], result: 'ENOTEMPTY' },
    { syscall: 'rmdir', op: 'rmdir', path: `${D}/e`, result: 'ok' },
    { syscall: 'rmdir', op: 'rmdir', path: `${D}/a`, result: 'ENOTEMPTY' },
  ]);
});

t.test('mkdir and mknod: modes as passed, mknod types named, lexical paths', async (t) => {
  t.strictSame(changes(lines(
    `mkdir("a", 0755)                  = 0`,
    `mkdir("${D}/b", 0777)          = 0`,
    `mkdir("nope/deeper", 0777)        = -1 ENOENT (No such file or directory)`,
    `mkdir("a/../c//", 0777)           = 0`,
    `mkdirat(3<${D}/a>, "m", 0700)  = 0`,
    `mkdirat(3<${D}/a>, "m", 0777)  = -1 EEXIST (File exists)`,
    `mknod("a/fifo", S_IFIFO|0644)     = 0`,
    `mknod("${D}/a/plain", 0600)    = 0`,
    `mknodat(4<${D}/b>, "sock", S_IFSOCK|0755) = 0`,
    `mknodat(4<${D}/b>, "reg", S_IFREG|0640) = -1 EEXIST (File exists)`,
    `mknodat(4<${D}/b>, "null", S_IFCHR|0666, makedev(0x1, 0x3)) = -1 EPERM (Operation not permitted)`,
    `mknodat(AT_FDCWD<${D}>, "${D}/b/blk", S_IFBLK|S_ISGID|0600, makedev(0x7, 0)) = 0`,
  ), D), [
    { syscall: 'mkdir', op: 'mkdir', path: `${D}/a`, mode: 0o755, result: 'ok' },
    { syscall: 'mkdir', op: 'mkdir', path: `${D}/b`, mode: 0o777, result: 'ok' },
    { syscall: 'mkdir', op: 'mkdir', path: `${D}/nope/deeper`, mode: 0o777, result: 'ENOENT' },
    // '..' and '//' folded, and the trailing '/' (the receipt writes no trailing slash)
    { syscall: 'mkdir', op: 'mkdir', path: `${D}/c`, mode: 0o777, result: 'ok' },
    { syscall: 'mkdirat', op: 'mkdir', path: `${D}/a/m`, mode: 0o700, result: 'ok' },
    { syscall: 'mkdirat', op: 'mkdir', path: `${D}/a/m`, mode: 0o777, result: 'EEXIST' },
    { syscall: 'mknod', op: 'mknod', path: `${D}/a/fifo`, mode: 0o644, kind: 'fifo', result: 'ok' },
    // no type bits: a regular file
    { syscall: 'mknod', op: 'mknod', path: `${D}/a/plain`, mode: 0o600, kind: 'file', result: 'ok' },
    { syscall: 'mknodat', op: 'mknod', path: `${D}/b/sock`, mode: 0o755, kind: 'socket', result: 'ok' },
    { syscall: 'mknodat', op: 'mknod', path: `${D}/b/reg`, mode: 0o640, kind: 'file', result: 'EEXIST' },
    { syscall: 'mknodat', op: 'mknod', path: `${D}/b/null`, mode: 0o666, kind: 'char', result: 'EPERM' },
    { syscall: 'mknodat', op: 'mknod', path: `${D}/b/blk`, mode: 0o2600, kind: 'block', result: 'ok' },
  ]);
});

t.test('rename, link and symlink: which name is which', async (t) => {
  t.strictSame(changes(lines(
    `rename("r1", "r2")                = 0`,
    `rename("r1", "r3")                = -1 ENOENT (No such file or directory)`,
    `renameat(3<${D}/a>, "r2", 4<${D}/b>, "r3") = 0`,
    `renameat(4<${D}/b>, "r3", AT_FDCWD<${D}>, "c/r4") = 0`,
    `renameat2(AT_FDCWD<${D}>, "c/r4", 3<${D}/a>, "r6", RENAME_NOREPLACE) = -1 EEXIST (File exists)`,
    `renameat2(3<${D}/a>, "r6", AT_FDCWD<${D}>, "c/r4", RENAME_EXCHANGE) = 0`,
    // link(existing, new): the change is the new name
    `link("a/f", "hard")               = 0`,
    `link("a/missing", "hard2")        = -1 ENOENT (No such file or directory)`,
    `linkat(4<${D}/b>, "f", 3<${D}/a>, "hard", AT_SYMLINK_FOLLOW) = 0`,
    `linkat(4<${D}/b>, "sl", 4<${D}/b>, "sl-hard", 0) = -1 EEXIST (File exists)`,
    // AT_EMPTY_PATH: the existing file is the one behind the fd
    `linkat(5<${D}/b/reg>, "", 3<${D}/a>, "by-fd", AT_EMPTY_PATH) = 0`,
    // symlink(target, link): the target exactly as written
    `symlink("../a/./x", "${D}/b/sl") = 0`,
    `symlink("whatever", "alink")      = -1 EEXIST (File exists)`,
    `symlinkat("m", 3<${D}/a>, "mlink") = 0`,
  ), D), [
    { syscall: 'rename', op: 'rename', path: `${D}/r1`, to: `${D}/r2`, result: 'ok' },
    { syscall: 'rename', op: 'rename', path: `${D}/r1`, to: `${D}/r3`, result: 'ENOENT' },
    { syscall: 'renameat', op: 'rename', path: `${D}/a/r2`, to: `${D}/b/r3`, result: 'ok' },
    { syscall: 'renameat', op: 'rename', path: `${D}/b/r3`, to: `${D}/c/r4`, result: 'ok' },
    { syscall: 'renameat2', op: 'rename', path: `${D}/c/r4`, to: `${D}/a/r6`, flags: ['RENAME_NOREPLACE'], result: 'EEXIST' },
    { syscall: 'renameat2', op: 'rename', path: `${D}/a/r6`, to: `${D}/c/r4`, flags: ['RENAME_EXCHANGE'], result: 'ok' },
    { syscall: 'link', op: 'link', path: `${D}/hard`, to: `${D}/a/f`, result: 'ok' },
    { syscall: 'link', op: 'link', path: `${D}/hard2`, to: `${D}/a/missing`, result: 'ENOENT' },
    { syscall: 'linkat', op: 'link', path: `${D}/a/hard`, to: `${D}/b/f`, flags: ['AT_SYMLINK_FOLLOW'], result: 'ok' },
    { syscall: 'linkat', op: 'link', path: `${D}/b/sl-hard`, to: `${D}/b/sl`, result: 'EEXIST' },
    { syscall: 'linkat', op: 'link', path: `${D}/a/by-fd`, to: `${D}/b/reg`, flags: ['AT_EMPTY_PATH'], result: 'ok' },
    { syscall: 'symlink', op: 'symlink', path: `${D}/b/sl`, target: '../a/./x', result: 'ok' },
    { syscall: 'symlink', op: 'symlink', path: `${D}/alink`, target: 'whatever', result: 'EEXIST' },
    { syscall: 'symlinkat', op: 'symlink', path: `${D}/a/mlink`, target: 'm', result: 'ok' },
  ]);
});

t.test('chmod, chown, truncate: by path, by dirfd, by fd (-yy), AT_EMPTY_PATH', async (t) => {
  t.strictSame(changes(lines(
    `chmod("a/f", 0640)                = 0`,
    `chmod("${D}/b/f", 04755)       = 0`,
    `chmod("alink/f", 0644)            = 0`,
    `fchmodat(4<${D}/b>, "missing", 0600) = -1 ENOENT (No such file or directory)`,
    `fchmod(5<${D}/a/f>, 0664)      = 0`,
    `fchmod(999, 0600)                 = -1 EBADF (Bad file descriptor)`,
    `fchmod(7<${D}/a/f>, 0600)      = -1 EBADF (Bad file descriptor)`,
    `chown("${D}/a/f", -1, -1)      = 0`,
    `lchown("alink", 0, 0)             = 0`,
    `fchown(5<${D}/a/f>, 0, -1)     = 0`,
    `fchownat(4<${D}/b>, "sl", -1, 0, AT_SYMLINK_NOFOLLOW) = 0`,
    `fchownat(6<${D}/b/f>, "", 0, 0, AT_EMPTY_PATH) = 0`,
    `fchownat(4<${D}/b>, "missing", 0, 0, 0) = -1 ENOENT (No such file or directory)`,
    `truncate("a/f", 10)               = 0`,
    `truncate("a", 1)                  = -1 EISDIR (Is a directory)`,
    `ftruncate(5<${D}/a/f>, 3)      = 0`,
    `ftruncate(5<${D}/a/f>, 18446744073709551615) = -1 EINVAL (Invalid argument)`,
    `ftruncate(3</dev/null<char 1:3>>, 0) = -1 EINVAL (Invalid argument)`,
  ), D), [
    { syscall: 'chmod', op: 'chmod', path: `${D}/a/f`, mode: 0o640, result: 'ok' },
    { syscall: 'chmod', op: 'chmod', path: `${D}/b/f`, mode: 0o4755, result: 'ok' },
    // a symlink in the path is not resolved
    { syscall: 'chmod', op: 'chmod', path: `${D}/alink/f`, mode: 0o644, result: 'ok' },
    { syscall: 'fchmodat', op: 'chmod', path: `${D}/b/missing`, mode: 0o600, result: 'ENOENT' },
    { syscall: 'fchmod', op: 'chmod', path: `${D}/a/f`, mode: 0o664, fd: 5, result: 'ok' },
    // no file behind the fd: no path
    { syscall: 'fchmod', op: 'chmod', mode: 0o600, fd: 999, result: 'EBADF' },
    { syscall: 'fchmod', op: 'chmod', path: `${D}/a/f`, mode: 0o600, fd: 7, result: 'EBADF' },
    { syscall: 'chown', op: 'chown', path: `${D}/a/f`, uid: -1, gid: -1, result: 'ok' },
    { syscall: 'lchown', op: 'chown', path: `${D}/alink`, uid: 0, gid: 0, result: 'ok' },
    { syscall: 'fchown', op: 'chown', path: `${D}/a/f`, uid: 0, gid: -1, fd: 5, result: 'ok' },
    { syscall: 'fchownat', op: 'chown', path: `${D}/b/sl`, uid: -1, gid: 0, flags: ['AT_SYMLINK_NOFOLLOW'], result: 'ok' },
    { syscall: 'fchownat', op: 'chown', path: `${D}/b/f`, uid: 0, gid: 0, flags: ['AT_EMPTY_PATH'], result: 'ok' },
    { syscall: 'fchownat', op: 'chown', path: `${D}/b/missing`, uid: 0, gid: 0, result: 'ENOENT' },
    { syscall: 'truncate', op: 'truncate', path: `${D}/a/f`, size: 10, result: 'ok' },
    { syscall: 'truncate', op: 'truncate', path: `${D}/a`, size: 1, result: 'EISDIR' },
    { syscall: 'ftruncate', op: 'truncate', path: `${D}/a/f`, size: 3, fd: 5, result: 'ok' },
    // strace prints the length unsigned: it was -1
    { syscall: 'ftruncate', op: 'truncate', path: `${D}/a/f`, size: -1, fd: 5, result: 'EINVAL' },
    // the device suffix of a decoration is not part of the path
    { syscall: 'ftruncate', op: 'truncate', path: '/dev/null', size: 0, fd: 3, result: 'EINVAL' },
  ]);
});

t.test('fchmodat2: by name from a newer strace, raw (syscall_0x1c4) from strace 6.1', async (t) => {
  t.strictSame(changes(lines(
    `fchmodat2(4<${D}/b>, "f", 0640, 0) = 0`,
    `fchmodat2(6<${D}/b/f>, "", 0604, AT_EMPTY_PATH) = 0`,
    `fchmodat2(AT_FDCWD<${D}>, "missing", 0640, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)`,
    `syscall_0x1c4(0x4, 0xa5ee10, 0x1a0, 0, 0x7f8bfbe7f4cf, 0x7) = 0`,
    `syscall_0x1c4(0x6, 0xa5dac8, 0x1a0, 0x1000, 0x7f8bfbe7f4cf, 0x7) = -1 ENOSYS (Function not implemented)`,
    // other syscalls strace does not know are not changes
    `syscall_0x1cb(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)`,
  ), D), [
    { syscall: 'fchmodat2', op: 'chmod', path: `${D}/b/f`, mode: 0o640, result: 'ok' },
    { syscall: 'fchmodat2', op: 'chmod', path: `${D}/b/f`, mode: 0o604, flags: ['AT_EMPTY_PATH'], result: 'ok' },
    { syscall: 'fchmodat2', op: 'chmod', path: `${D}/missing`, mode: 0o640, flags: ['AT_SYMLINK_NOFOLLOW'], result: 'ENOENT' },
    // the path is only an address: unknown
    { syscall: 'fchmodat2', op: 'chmod', mode: 0o640, result: 'ok' },
    { syscall: 'fchmodat2', op: 'chmod', mode: 0o640, flags: ['AT_EMPTY_PATH'], result: 'ENOSYS' },
  ]);
});

t.test('the cwd of relative paths without a dirfd', async (t) => {
  t.test('unknown until strace names it: null, not a guess', async (t) => {
    t.strictSame(changes(lines(
      `mkdir("x", 0777) = 0`,
      `openat(AT_FDCWD</srv/w>, "f", O_RDONLY) = 3</srv/w/f>`,
      `mkdir("x", 0777) = -1 EEXIST (File exists)`,
    )).map((c) => c.path), [undefined, '/srv/w/x']);
  });
  t.test('given by the caller for the first process, then followed through chdir and fchdir', async (t) => {
    t.strictSame(changes(lines(
      `unlink("a") = 0`,
      `chdir("sub/./deeper") = 0`,
      `unlink("a") = 0`,
      `chdir("..") = 0`,
      `unlink("a") = 0`,
      `chdir("/nonexistent") = -1 ENOENT (No such file or directory)`,
      `unlink("a") = 0`,
      `chdir("/etc") = 0`,
      `unlink("a") = -1 EACCES (Permission denied)`,
      `fchdir(3</var/tmp>) = 0`,
      `unlink("a") = 0`,
    ), '/home/u').map((c) => c.path), [
      '/home/u/a', '/home/u/sub/deeper/a', '/home/u/sub/a', '/home/u/sub/a', '/etc/a', '/var/tmp/a',
    ]);
  });
  t.test('a decoration corrects what chdir guessed (a symlink on the way)', async (t) => {
    t.strictSame(changes(lines(
      `chdir("/link-to-srv") = 0`,
      `unlink("a") = 0`,
      `openat(AT_FDCWD</srv>, "b", O_RDONLY) = 3</srv/b>`,
      `unlink("a") = 0`,
    )).map((c) => c.path), ['/link-to-srv/a', '/srv/a']);
  });
  t.test('a child starts in its parent\'s cwd, a thread shares its process\'s', async (t) => {
    t.strictSame(changes([
      `800  chdir("/srv") = 0`,
      `800  clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>`,
      `801  mkdir("from-child", 0777) = 0`,
      `800  <... clone resumed>, child_tidptr=0x7f) = 801`,
      `801  chdir("/tmp") = 0`,
      `800  mkdir("from-parent", 0777) = 0`,
      `800  clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f, parent_tid=0x7f, exit_signal=0, stack=0x7f, stack_size=0x7fff00, tls=0x7f} => {parent_tid=[802]}, 88) = 802`,
      `802  chdir("sub") = 0`,
      `800  mkdir("from-leader", 0777) = 0`,
      `801  mkdir("from-child", 0777) = 0`,
      '',
    ].join('\n')).map((c) => c.path), [
      '/srv/from-child', '/srv/from-parent', '/srv/sub/from-leader', '/tmp/from-child',
    ]);
  });
  t.test('a dirfd strace cannot name gives no path; AT_FDCWD undecorated falls back on the cwd', async (t) => {
    t.strictSame(changes(lines(
      `unlinkat(9, "a", 0) = -1 EBADF (Bad file descriptor)`,
      `unlinkat(5<TCP:[1234]>, "a", 0) = -1 ENOTDIR (Not a directory)`,
      `unlinkat(AT_FDCWD, "a", 0) = 0`,
      `mkdir("${'c'.repeat(200)}", 0777) = 0`,
    ), '/deep').map((c) => c.path), [undefined, undefined, '/deep/a', `/deep/${'c'.repeat(200)}`]);
  });
});

t.test('calls cut in two by another thread\'s line, and by the death of their process', async (t) => {
  const tr = parseStrace([
    `900  unlinkat(4</x/y>, "z", 0 <unfinished ...>`,
    `901  rename("a", "b" <unfinished ...>`,
    `900  <... unlinkat resumed>)          = 0`,
    `901  +++ killed by SIGKILL +++`,
    '',
  ].join('\n'));
  t.strictSame(tr.unparsed, []);
  t.strictSame(tr.changes.map((c) => [c.pid, c.syscall, c.op, c.path, c.to, c.result]), [
    [900, 'unlinkat', 'delete', '/x/y/z', null, 'ok'],
    [901, 'rename', 'rename', null, null, '?'],
  ]);
});

t.test('escaped bytes and strings cut by -s', async (t) => {
  t.strictSame(changes(lines(
    `unlink("\\x2f\\x74\\x6d\\x70\\x2f\\x61\\x20\\x62\\x0a") = 0`,
    `symlink("\\x74\\x61"..., "\\x2f\\x6c") = 0`,
  )), [
    { syscall: 'unlink', op: 'delete', path: '/tmp/a b\n', result: 'ok' },
    { syscall: 'symlink', op: 'symlink', path: '/l', target: 'ta', result: 'ok', pathTruncated: true },
  ]);
});

const canTrace =
  spawnSync('strace', ['-f', '-q', '-o', '/dev/null', '--', 'true'], { stdio: 'ignore' }).status === 0;

t.test('runStrace on a live shell: cd, mkdir, mv, chmod, rm, rmdir', { skip: canTrace ? false : 'strace cannot trace here' }, async (t) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'gh-strace-changes-')));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = await runStrace(['/bin/sh', '-c',
    'mkdir q; cd q; touch a; mv a b; chmod 700 b; rm b; rm b 2>/dev/null; cd ..; rmdir q; rmdir q 2>/dev/null; exit 0'], {
    env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
    cwd: dir,
  });
  t.equal(run.exitCode, 0);
  t.strictSame(run.trace.unparsed, []);
  t.strictSame(run.trace.changes.map((c) => [c.op, c.path, c.to, c.mode, c.result]), [
    ['mkdir', `${dir}/q`, null, 0o777, 'ok'],
    ['rename', `${dir}/q/a`, `${dir}/q/b`, null, 'ok'],
    ['chmod', `${dir}/q/b`, null, 0o700, 'ok'],
    ['delete', `${dir}/q/b`, null, null, 'ok'],
    ['delete', `${dir}/q/b`, null, null, 'ENOENT'],
    ['rmdir', `${dir}/q`, null, null, 'ok'],
    ['rmdir', `${dir}/q`, null, null, 'ENOENT'],
  ]);
});
