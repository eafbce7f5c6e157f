// Corners where a receipt used to be silently wrong (issue 11): a script's argv is the one
// passed, not the interpreter's; a path up to 4096 bytes is whole and a longer one says it is
// only a tail; a file with no path is named as the kernel names it, with its kind; records the
// helper cannot frame are never dropped without a count.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ghRun, PROGRAMS, PYTHON, requireBpf, type RunResult } from '../helpers/gh-run.js';

const PATHS = join(PROGRAMS, 'paths.py');
const lastJson = (r: RunResult): any => JSON.parse(r.stdout.toString().trim().split('\n').at(-1)!);
const execsOf = (r: RunResult): any[] => r.receipt.processes.flatMap((p: any) => p.execs);

/** A scratch dir for trees deeper than PATH_MAX, which Node's own removal cannot take apart. */
function deepDir(t: Tap.Test): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'gh-deep-')));
  t.teardown(() => execFileSync('rm', ['-rf', d]));
  return d;
}

t.test('a #! script: argv as passed, and what the kernel built for the interpreter', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = realpathSync(t.testdir({ 's.sh': '#!/bin/sh\nexit 0\n', 'e.sh': '#!/usr/bin/env sh\nexit 0\n', 'a.sh': '#!/bin/sh -e\nexit 0\n' }));
  for (const f of ['s.sh', 'e.sh', 'a.sh']) chmodSync(join(d, f), 0o755);
  const r = await ghRun(['/bin/sh', '-c', './s.sh one "two words"; ./e.sh x; ./a.sh'], { cwd: d });
  t.equal(r.code, 0);
  const ex = execsOf(r).filter((e) => e.path.endsWith('.sh'));
  t.same(ex.map((e) => e.argv), [['./s.sh', 'one', 'two words'], ['./e.sh', 'x'], ['./a.sh']], 'argv exactly as passed');
  t.same(ex[0].interpreter, ['/bin/sh', './s.sh'], 'the interpreter and the script path it was given');
  t.same(ex[1].interpreter, ['/usr/bin/env', 'sh', './e.sh'], 'an interpreter argument too');
  t.same(ex[2].interpreter, ['/bin/sh', '-e', './a.sh']);
  const sh = r.receipt.processes.find((p: any) => p.execs.some((e: any) => e.path.endsWith('/s.sh')));
  t.equal(sh.exe, '/usr/bin/dash', 'exe is the image running: the interpreter');
  t.notOk(execsOf(r).some((e) => e.path === '/bin/sh' && e.interpreter), 'a program that is not a script has no interpreter');
});

t.test('a script run with its own argv[0] keeps it', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = realpathSync(t.testdir({ 's.sh': '#!/bin/sh\nexit 0\n' }));
  chmodSync(join(d, 's.sh'), 0o755);
  const r = await ghRun([PYTHON, '-c', `import os; os.execv(${JSON.stringify(join(d, 's.sh'))}, ["my-name", "arg"])`]);
  t.equal(r.code, 0);
  const e = execsOf(r).find((x) => x.path.endsWith('/s.sh'));
  t.same(e.argv, ['my-name', 'arg'], 'argv[0] as passed, which the kernel replaced with the script path');
  t.same(e.interpreter, ['/bin/sh', join(d, 's.sh')]);
});

t.test('failed execs show their argv: EACCES, a NULL argv, and one cut by E2BIG', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = realpathSync(t.testdir({ 'nx': 'not executable' }));
  const script = [
    'import os, ctypes',
    `try: os.execv(${JSON.stringify(join(d, 'nx'))}, ["nx", "a"])`,
    'except OSError: pass',
    'try: os.execv("/bin/true", ["true", "x" * 200000])',
    'except OSError: pass',
    'ctypes.CDLL(None).execve(b"/nonexistent-gh-null-argv", None, None)',
  ].join('\n');
  const r = await ghRun([PYTHON, '-c', script]);
  const ex = execsOf(r);
  t.match(ex.find((e) => e.path.endsWith('/nx')), { argv: ['nx', 'a'], result: 'EACCES' });
  const big = ex.find((e) => e.result === 'E2BIG');
  t.equal(big?.argv_truncated, true, 'an argument too long for the bound: said so');
  t.equal(big?.argv[0], 'true');
  t.match(ex.find((e) => e.path === '/nonexistent-gh-null-argv'), { argv: [], result: 'ENOENT' }, 'a NULL argv is an empty one, not "not captured"');
});

t.test('paths up to 4096 bytes are whole; longer ones are a tail, and say so', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = deepDir(t);
  const r = await ghRun([PYTHON, PATHS, d, 'bytes', '3800', '4095', '4096', '4097', '4200']);
  t.equal(r.code, 0);
  const want = lastJson(r);
  const { reads, writes, failed } = r.receipt.filesystem;
  for (const n of ['3800', '4095', '4096']) {
    t.equal(want[n].length, Number(n));
    t.ok(reads.some((e: any) => e.path === want[n] && !e.path_truncated), `read of ${n} bytes: whole`);
    t.ok(writes.some((e: any) => e.path === want[n] && !e.path_truncated), `write of ${n} bytes: whole`);
    t.ok(failed.some((e: any) => e.path === `${want[n]}-missing`), `failed open near ${n} bytes: whole (cwd and name)`);
  }
  for (const n of ['4097', '4200']) {
    const tail = want[n].slice(-200);
    const entry = reads.find((e: any) => e.path.endsWith(tail));
    t.ok(entry, `read of ${n} bytes is there`);
    t.equal(entry?.path_truncated, true, `and says it is cut`);
    t.match(entry?.path, /^\u2026\//, 'it starts with "…", never with "/"');
    t.ok(entry && entry.path.length - 1 <= 4096 && want[n].endsWith(entry.path.slice(1)), 'the tail is the real one');
    t.notOk([...reads, ...writes].some((e: any) => e.path.endsWith(tail) && !e.path_truncated), 'never a whole-looking path');
  }
});

t.test('a relative path in the root directory is made absolute (an empty base is "/")', async (t) => {
  if (!(await requireBpf(t))) return;
  const name = `gh-nope-${process.pid}`;
  const r = await ghRun(['/bin/sh', '-c', `cd / && cat ${name} 2>/dev/null; rmdir ${name} 2>/dev/null; ./${name} 2>/dev/null; exit 0`]);
  t.equal(r.code, 0);
  t.ok(r.receipt.filesystem.failed.some((e: any) => e.path === `/${name}`), 'the failed open, as /name');
  t.notOk(r.receipt.filesystem.failed.some((e: any) => e.path === name), 'never left relative');
  t.ok(r.receipt.filesystem.changes.some((e: any) => e.op === 'rmdir' && e.path === `/${name}` && e.result === 'ENOENT'), 'the failed rmdir too');
  t.ok(r.receipt.processes.flatMap((p: any) => p.execs).some((e: any) => e.path === `/${name}` && e.result === 'ENOENT'), 'and the failed exec');
});

t.test('components: 63, 64, 65 and many more are whole', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = deepDir(t);
  const r = await ghRun([PYTHON, PATHS, d, 'components', '63', '64', '65', '500']);
  const want = lastJson(r);
  for (const n of ['63', '64', '65', '500']) {
    t.equal(want[n].split('/').length - 1, Number(n));
    t.ok(r.receipt.filesystem.reads.some((e: any) => e.path === want[n] && !e.path_truncated), `${n} components: whole`);
  }
});

t.test('exec paths: whole up to 4096 bytes, cut and flagged beyond', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = deepDir(t);
  const r = await ghRun([PYTHON, PATHS, d, 'exec', '4000', '4150']);
  t.equal(r.code, 0);
  const want = lastJson(r);
  const whole = r.receipt.processes.find((p: any) => p.exe === want['4000']);
  t.ok(whole, 'the exe at 4000 bytes, whole');
  t.notOk(whole?.execs.at(-1).path_truncated);
  const cut = r.receipt.processes.find((p: any) => typeof p.exe === 'string' && p.exe.startsWith('\u2026') && want['4150'].endsWith(p.exe.slice(1)));
  t.ok(cut, 'the exe at 4150 bytes: its tail, starting with "…"');
  t.equal(cut?.execs.at(-1).path_truncated, true, 'and the exec says so');
});

t.test('files with no path are named as the kernel names them, with their kind', async (t) => {
  if (!(await requireBpf(t))) return;
  const script = [
    'import os',
    'fd = os.memfd_create("gh-memfd")',
    'os.write(fd, b"x")',
    'open("/proc/self/fd/%d" % fd).read()',
    'r, w = os.pipe()',
    'os.write(w, b"y")',
    'open("/proc/self/fd/%d" % r).read(1)',
    'bad = os.memfd_create("gh-not-a-program")',
    'os.write(bad, b"not a program")',
    'try: os.execve(bad, ["bad"], {})',
    'except OSError: pass',
  ].join('\n');
  const r = await ghRun([PYTHON, '-c', script]);
  t.equal(r.code, 0);
  const reads = r.receipt.filesystem.reads;
  t.match(reads.find((e: any) => e.path === 'memfd:gh-memfd'), { kind: 'memfd' }, 'a memfd reopened through /proc/self/fd');
  t.ok(reads.some((e: any) => /^pipe:\[\d+\]$/.test(e.path) && e.kind === 'pipe'), 'a pipe: pipe:[inode]');
  t.notOk(reads.some((e: any) => e.path === '/'), 'nothing named "/"');
  t.ok(reads.filter((e: any) => !e.kind).every((e: any) => e.path.startsWith('/')), 'every entry without a kind is an absolute path');
  t.match(execsOf(r).find((e) => e.result === 'ENOEXEC'), { path: 'memfd:gh-not-a-program', argv: ['bad'] }, 'a failed fexecve names the file, not the cwd');
  const sh = await ghRun(['/bin/sh', '-c', 'echo hi | cat /dev/stdin >/dev/null']);
  t.ok(sh.receipt.filesystem.reads.some((e: any) => e.kind === 'pipe'), '/dev/stdin of a pipeline: the pipe');
});

t.test('no record is dropped without a count: AF_UNSPEC and netlink are left out by rule', async (t) => {
  if (!(await requireBpf(t))) return;
  const script = [
    'import socket, ctypes',
    'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    'u.connect(("127.0.0.1", 9))',
    'ctypes.CDLL(None).connect(u.fileno(), (ctypes.c_ubyte * 16)(), 16)',
    'n = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)',
    'n.sendto(b"\\0" * 16, (0, 0))',
  ].join('\n');
  const r = await ghRun([PYTHON, '-c', script]);
  t.equal(r.code, 0);
  t.equal(r.receipt.collector.status, 'ok');
  t.equal(r.receipt.collector.events_lost, 0);
  t.same(r.receipt.network.map((n: any) => [n.op, n.family, n.address, n.port]), [['connect', 'inet', '127.0.0.1', 9]]);
  t.notMatch(r.stderr, /malformed/, 'and the helper had nothing it could not frame');
  t.ok(r.receipt.syscalls.connect >= 2 && r.receipt.syscalls.sendto >= 1, 'the calls are still counted');
});
