// gh-run as a shell citizen, end to end with real BPF: a terminal stays a terminal (isatty,
// window size, colours, job control), one ^C arrives once, signals sent to gh-run alone are
// forwarded once, exit codes are a shell's (127, 126, a script without #! runs with /bin/sh),
// stdout and stderr keep their order under 2>&1, and -o never clobbers what is not a regular
// file, is checked before the command runs, and says when another run wrote the same path.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, GH_RUN, PROGRAMS, PYTHON, ghRun, requireBpf } from '../helpers/gh-run.js';

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const PTY = join(PROGRAMS, 'pty-drive.py');
const COUNT = join(PROGRAMS, 'count-signals.py');

interface Pty {
  output: string;
  status: number;
  failed: string | null;
}

/** Run argv on a new pty of rows x cols, doing `steps` (see pty-drive.py). */
function onPty(steps: unknown[], argv: string[], [rows, cols] = [24, 80]): Pty {
  const r = spawnSync(PYTHON, [PTY, String(rows), String(cols), JSON.stringify(steps), '--', ...argv], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`pty-drive failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Pty;
}

/** A scratch directory (removed after the test), and the receipt's path in it. */
function scratch(t: Test): { dir: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gh-shell-'));
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, out: join(dir, 'r.json') };
}

const readJson = (path: string): any => JSON.parse(readFileSync(path, 'utf8'));

t.test('at a terminal the command gets the terminal: isatty, window size, colours; the receipt says terminal', async (t) => {
  if (!(await requireBpf(t))) return;
  const { dir, out } = scratch(t);
  const script = `stty size; ${PYTHON} -c 'import sys; print(sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty())'; ls --color=auto -d /`;
  // a terminal type, as a terminal emulator sets it (the unprivileged pass runs with env -i)
  const r = onPty([], ['env', 'TERM=xterm', process.execPath, GH_RUN, '-q', '-o', out, '--', 'sh', '-c', script], [37, 111]);
  t.equal(r.status, 0);
  t.match(r.output, /^37 111\r\n/, 'the window size of the terminal');
  t.match(r.output, /True True True\r\n/, 'stdin, stdout and stderr are the terminal');
  t.match(r.output, /\x1b\[[0-9;]*m\/\x1b\[0?m/, 'ls --color=auto colours, as at a bare terminal');
  const receipt = readJson(out);
  t.equal(receipt.collector.status, 'ok', String(receipt.collector.reason));
  t.same(receipt.artifacts, {
    stdout: { sha256: null, bytes: null, terminal: true },
    stderr: { sha256: null, bytes: null, terminal: true },
  });
  t.ok(receipt.processes.some((p: any) => p.argv?.[0] === 'stty'), 'traced all the same');

  // --capture-output: pipes, hashed, as before
  const captured = join(dir, 'c.json');
  const c = onPty([], [process.execPath, GH_RUN, '-q', '--capture-output', '-o', captured, '--', PYTHON, '-c', 'import sys; print(sys.stdout.isatty())']);
  t.equal(c.status, 0);
  t.match(c.output, /^False\r\n/);
  const art = readJson(captured).artifacts;
  t.same(art.stdout, { sha256: sha('False\n'), bytes: 6, merged: true }, 'the terminal is one open file for stdout and stderr: one pipe');
  t.same(art.stderr, { sha256: null, bytes: null, merged: true });
});

t.test('stdout into a pipe, stderr at the terminal: each as it is', async (t) => {
  if (!(await requireBpf(t))) return;
  const { dir, out } = scratch(t);
  const script = `${process.execPath} ${GH_RUN} -q -o ${out} -- ${PYTHON} -c 'import sys; print(sys.stdout.isatty(), sys.stderr.isatty())' | cat`;
  const r = onPty([], ['sh', '-c', script]);
  t.equal(r.status, 0);
  t.match(r.output, /^False True\r\n/);
  const art = readJson(out).artifacts;
  t.same(art.stdout, { sha256: sha('False True\n'), bytes: 11 });
  t.same(art.stderr, { sha256: null, bytes: null, terminal: true });
});

t.test('job control: ^Z stops the command with gh-run, fg resumes both, the receipt is whole', async (t) => {
  if (!(await requireBpf(t))) return;
  const { dir, out } = scratch(t);
  const r = onPty(
    [
      ['expect', '$ '],
      ['send', `${process.execPath} ${GH_RUN} -q -o ${out} -- cat\n`],
      ['sleep', 1.5],
      ['send', 'hello\n'],
      ['expect', 'hello\r\nhello\r\n'],
      ['send', '\u001a'],
      ['expect', 'Stopped'],
      ['expect', '$ '],
      ['sleep', 0.5],
      ['send', 'fg\n'],
      ['sleep', 0.5],
      ['send', 'world\n'],
      ['expect', 'world\r\nworld\r\n'],
      ['send', '\u0004'],
      ['expect', '$ '],
      ['sleep', 0.3],
      ['send', 'echo status=$?\n'],
      ['expect', 'status=0'],
      ['send', 'exit\n'],
    ],
    ['env', 'PS1=$ ', 'bash', '--norc', '--noprofile', '-i'],
  );
  t.equal(r.failed, null, `every step seen; the terminal showed: ${JSON.stringify(r.output)}`);
  const receipt = readJson(out);
  t.equal(receipt.exit_code, 0);
  t.same(receipt.outcome.errors, [], 'no signal forwarded: ^Z and fg reach the whole job');
  t.equal(receipt.collector.status, 'ok', String(receipt.collector.reason));
  t.match(receipt.process_tree, { argv: ['cat'], exit_code: 0, state: 'exited' }, 'cat, stopped and resumed, ended on its own');
});

t.test('one ^C at the terminal reaches the command once, and gh-run says it came from the terminal', async (t) => {
  if (!(await requireBpf(t))) return;
  const { dir, out } = scratch(t);
  const r = onPty(
    [
      ['expect', 'ready'],
      ['send', '\u0003'],
      ['expect', 'counts'],
    ],
    [process.execPath, GH_RUN, '-q', '-o', out, '--', PYTHON, COUNT, '1.5'],
  );
  t.equal(r.failed, null, r.output);
  t.match(r.output, /counts INT=1 TERM=0 HUP=0 QUIT=0/, 'one ^C, one SIGINT (bare: the same)');
  const receipt = readJson(out);
  t.same(receipt.outcome.errors, ['received SIGINT from the terminal, as the command did (not forwarded)']);
});

/** gh-run on count-signals.py in the background (no terminal); `signal` sent to gh-run's pid alone once the command is ready. */
async function signalGhRun(t: Test, signal: NodeJS.Signals): Promise<{ stdout: string; receipt: any; code: number | null }> {
  const r = await ghRun([PYTHON, COUNT, '2'], {
    args: ['-q'],
    input: null,
    onSpawn: (child) => {
      let stdout = '';
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('ready') && !child.killed) child.kill(signal);
      });
    },
  });
  if (r.stderr !== '') t.comment(r.stderr);
  return { stdout: r.stdout.toString(), receipt: r.receipt, code: r.code };
}

t.test('a signal sent to gh-run alone is forwarded once, and noted', async (t) => {
  if (!(await requireBpf(t))) return;
  for (const [signal, name] of [['SIGINT', 'INT'], ['SIGTERM', 'TERM'], ['SIGHUP', 'HUP'], ['SIGQUIT', 'QUIT']] as const) {
    const r = await signalGhRun(t, signal);
    t.equal(r.code, 0, `${signal}: the command handled it and exited 0`);
    const counts = /counts (.*)/.exec(r.stdout)?.[1];
    t.equal(counts, ['INT', 'TERM', 'HUP', 'QUIT'].map((n) => `${n}=${n === name ? 1 : 0}`).join(' '), `${signal}: received exactly once`);
    t.same(r.receipt.outcome.errors, [`received ${signal}, forwarded to the command`]);
  }
});

t.test('exit codes as a shell gives them: 127 not found, 126 not executable, a script without #! runs with /bin/sh', async (t) => {
  if (!(await requireBpf(t))) return;
  const { dir } = scratch(t);
  const plain = join(dir, 'plain.txt');
  writeFileSync(plain, 'not a program\n', { mode: 0o644 });
  const script = join(dir, 'noshebang');
  writeFileSync(script, 'echo "no shebang: $0 $*"\nexit 7\n', { mode: 0o755 });

  const missing = await ghRun(['glasshouse-no-such-command']);
  t.equal(missing.code, 127);
  t.equal(missing.receipt.exit_code, 127);
  t.same(missing.receipt.outcome.errors, ['glasshouse-no-such-command: no such file or directory']);

  for (const [path, why] of [
    [plain, 'permission denied'],
    [dir, 'permission denied'],
    [join(plain, 'x'), 'not a directory'],
  ] as const) {
    const r = await ghRun([path]);
    t.equal(r.code, 126, path);
    t.equal(r.receipt.exit_code, 126, path);
    t.same(r.receipt.outcome.errors, [`${path}: ${why}`], path);
  }

  const sh = await ghRun([script, 'a', 'b']);
  t.equal(sh.code, 7, "the script's own status");
  t.equal(sh.stdout.toString(), `no shebang: ${script} a b\n`, 'run by /bin/sh with its arguments, as execvp does');
  t.same(sh.receipt.outcome.errors, [`${script}: no #! line and not a binary (ENOEXEC): run with /bin/sh, as execvp does`], 'and the receipt says so');
  t.equal(sh.receipt.process_tree.execs.length, 2, 'the receipt shows both execs');
  t.match(sh.receipt.process_tree.execs[0], { path: script, result: 'ENOEXEC' }, JSON.stringify(sh.receipt.process_tree.execs));
  t.match(sh.receipt.process_tree.execs[1], { path: '/bin/sh', argv: ['/bin/sh', script, 'a', 'b'] });
});

t.test('2>&1 into one pipe keeps the order of stdout and stderr, one hash for the merged stream', async (t) => {
  if (!(await requireBpf(t))) return;
  const { dir, out } = scratch(t);
  const lines = Array.from({ length: 200 }, (_, i) => `echo out${i}; echo err${i} >&2`).join('; ');
  const r = spawnSync('sh', ['-c', `"$@" 2>&1`, 'sh', process.execPath, GH_RUN, '-q', '-o', out, '--', 'sh', '-c', lines], { encoding: 'utf8' });
  const expected = Array.from({ length: 200 }, (_, i) => `out${i}\nerr${i}\n`).join('');
  t.equal(r.stdout, expected, 'as bare: out0 err0 out1 err1 ...');
  const art = readJson(out).artifacts;
  t.same(art.stdout, { sha256: sha(expected), bytes: expected.length, merged: true });
  t.same(art.stderr, { sha256: null, bytes: null, merged: true });

  // two different pipes: each its own hash
  const apart = join(dir, 'a.json');
  const s = spawnSync(process.execPath, [GH_RUN, '-q', '-o', apart, '--', 'sh', '-c', 'echo o; echo e >&2'], { encoding: 'utf8' });
  t.same([s.stdout, s.stderr], ['o\n', 'e\n']);
  t.same(readJson(apart).artifacts, { stdout: { sha256: sha('o\n'), bytes: 2 }, stderr: { sha256: sha('e\n'), bytes: 2 } });
});

t.test('-o /dev/stdout writes the receipt after the output, in place: the symlink survives', async (t) => {
  if (!(await requireBpf(t))) return;
  const before = lstatSync('/dev/stdout');
  const r = spawnSync(process.execPath, [GH_RUN, '-q', '-o', '/dev/stdout', '--', 'echo', 'first'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.ok(r.stdout.startsWith('first\n{'), 'the command output, then the receipt');
  const receipt = JSON.parse(r.stdout.slice('first\n'.length));
  t.equal(receipt.collector.status, 'ok');
  t.same(receipt.command, ['echo', 'first']);
  const after = lstatSync('/dev/stdout');
  t.ok(after.isSymbolicLink(), '/dev/stdout is still a symlink');
  t.equal(after.ino, before.ino);

  // the idiom for a pipe: another fd
  const fd3 = spawnSync('sh', ['-c', `"$@" 3>&1 >/dev/null`, 'sh', process.execPath, GH_RUN, '-q', '-o', '/dev/fd/3', '--', 'echo', 'x'], { encoding: 'utf8' });
  t.equal(fd3.status, 0, fd3.stderr);
  t.equal(JSON.parse(fd3.stdout).artifacts.stdout.sha256, sha('x\n'));
});

t.test('a receipt that cannot be written is found out before the command runs: refused, exit 2', async (t) => {
  if (!(await requireBpf(t))) return;
  const { dir } = scratch(t);
  const marker = join(dir, 'the-command-ran');
  let r;
  if (process.getuid?.() === 0) {
    // root writes anywhere but on a read-only file system: a private one, in a mount namespace of its own
    const ro = join(dir, 'ro');
    const script = `mkdir "$1" && mount -t tmpfs -o ro glasshouse-ro "$1" && cd "$1" && shift && "$@"`;
    r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ro, process.execPath, GH_RUN, '--', 'touch', marker], {
      encoding: 'utf8',
    });
    t.match(r.stderr, /^glasshouse: error: cannot write the receipt to \.\/receipt\.json: EROFS: read-only file system; the command was not run$/m);
  } else {
    r = spawnSync(process.execPath, [GH_RUN, '--', 'touch', marker], { encoding: 'utf8', cwd: '/' });
    t.match(r.stderr, /^glasshouse: error: cannot write the receipt to \.\/receipt\.json: EACCES: permission denied; the command was not run$/m);
  }
  t.equal(r.status, 2);
  t.notOk(existsSync(marker), 'the command did not run');
});

t.test('--strict: no tracing, no run', async (t) => {
  if (!(await requireBpf(t))) return;
  const { dir } = scratch(t);
  const marker = join(dir, 'the-command-ran');
  const rec = join(dir, 'run.ghrec');
  const r = spawnSync(process.execPath, [GH_RUN, '--strict', '--helper', join(dir, 'no-helper'), '-o', join(dir, 'r.json'), '--record', rec, '--', 'touch', marker], {
    encoding: 'utf8',
  });
  t.equal(r.status, 2);
  t.match(r.stderr, /^glasshouse: error: --strict: the command cannot be traced \(helper not found at .*\); it was not run$/m);
  t.notOk(existsSync(marker), 'the command did not run');
  t.notOk(existsSync(join(dir, 'r.json')), 'no receipt');
  t.notOk(existsSync(rec), 'no recording of a run that did not happen');
  const ok = spawnSync(process.execPath, [GH_RUN, '--strict', '-q', '-o', join(dir, 'r.json'), '--', 'touch', marker], { encoding: 'utf8' });
  t.equal(ok.status, 0, 'traced: runs');
  t.ok(existsSync(marker));
});

t.test('two runs writing one receipt path: the later writer says it replaced the other run\'s', async (t) => {
  if (!(await requireBpf(t))) return;
  const { dir } = scratch(t);
  const out = join(dir, 'receipt.json');
  const slow = collect([process.execPath, GH_RUN, '-o', out, '--', 'sleep', '1.5'], { input: null });
  await new Promise((r) => setTimeout(r, 700));
  const fast = spawnSync(process.execPath, [GH_RUN, '-q', '-o', out, '--', 'true'], { encoding: 'utf8' });
  t.equal(fast.status, 0);
  t.same(readJson(out).command, ['true']);
  const { stderr } = await slow;
  t.match(stderr, `glasshouse: ${out} was written by someone else during this run (another gh-run?); this run's receipt replaces it\n`);
  t.match(stderr, `glasshouse: receipt: ${out}\n`);
  t.same(readJson(out).command, ['sleep', '1.5'], 'the last one to finish is there, whole');
});
