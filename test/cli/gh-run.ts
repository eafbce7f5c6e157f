import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Receipt } from '../../controller/schema/receipt.js';
import { cliArgv, collect, FAKE_HELPER, NO_HELPER, runCli } from '../helpers/gh-run.js';

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const readReceipt = (path: string): Receipt => JSON.parse(readFileSync(path, 'utf8')) as Receipt;

t.test('no helper: the command runs, output passes through, exit code kept, receipt written', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'receipt.json');
  const r = await runCli('gh-run', ['-o', out, '--', 'sh', '-c', 'echo hi; echo oops >&2; exit 3']);
  t.equal(r.code, 3);
  t.equal(r.stdout, 'hi\n');
  t.match(r.stderr, 'oops\n');
  t.match(
    r.stderr,
    "glasshouse: collector unavailable: helper not found at /nonexistent/glasshouse-helper; the command runs untraced (fix: 'make' in the source tree, then 'sudo make install')\n",
  );
  t.match(r.stderr, /^glasshouse: receipt: .*\/receipt\.json\n$/m, 'the last line names the receipt');
  t.ok(r.stderr.endsWith(`glasshouse: receipt: ${out}\n`));
  const receipt = readReceipt(out);
  t.equal(receipt.collector.status, 'unavailable');
  t.equal(receipt.exit_code, 3);
  t.equal(receipt.outcome.exit_code, 3);
  t.same(receipt.artifacts.stdout, { sha256: sha('hi\n'), bytes: 3 });
  t.same(receipt.artifacts.stderr, { sha256: sha('oops\n'), bytes: 5 });
  t.same(receipt.command, ['sh', '-c', 'echo hi; echo oops >&2; exit 3']);
  t.equal(receipt.process_tree?.state, 'exited');
  t.same(readdirSync(dir), ['receipt.json'], 'no temp file left');
});

t.test('--quiet: no glasshouse lines, the command output intact; default output ./receipt.json', async (t) => {
  const dir = t.testdir({});
  const r = await runCli('gh-run', ['-q', '--', 'sh', '-c', 'echo out; echo err >&2'], { cwd: dir });
  t.equal(r.code, 0);
  t.equal(r.stdout, 'out\n');
  t.equal(r.stderr, 'err\n');
  t.ok(existsSync(join(dir, 'receipt.json')));
});

t.test('arguments reach the command verbatim', async (t) => {
  const dir = t.testdir({});
  const r = await runCli('gh-run', ['-q', '-o', join(dir, 'r.json'), '--', 'printf', '[%s]', '007', '--x', '', 'a b', 'ü']);
  t.equal(r.stdout, '[007][--x][][a b][ü]');
});

t.test('missing command: exit 127 as in a shell, error text, receipt still written', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  const r = await runCli('gh-run', ['-o', out, '--', 'no-such-command-glasshouse']);
  t.equal(r.code, 127);
  t.match(r.stderr, 'glasshouse: no-such-command-glasshouse: no such file or directory');
  const receipt = readReceipt(out);
  t.equal(receipt.exit_code, 127);
  t.equal(receipt.outcome.exit_code, 127);
  t.equal(receipt.outcome.errors[0], 'no-such-command-glasshouse: no such file or directory');
});

t.test('unknown flag: exit 2 with usage; missing command: exit 2', async (t) => {
  const r = await runCli('gh-run', ['--frob', '--', 'true']);
  t.equal(r.code, 2);
  t.equal(r.stderr, "gh-run: Unknown argument: frob\nTry 'gh-run --help' for more information.\n");
  const none = await runCli('gh-run', []);
  t.equal(none.code, 2);
  t.match(none.stderr, /missing command/);
});

t.test('the command killed by a signal: exit 128+N, signal in the receipt', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  const r = await runCli('gh-run', ['-q', '-o', out, '--', 'sh', '-c', 'kill -TERM $$']);
  t.equal(r.code, 143);
  const receipt = readReceipt(out);
  t.equal(receipt.outcome.signal, 'SIGTERM');
  t.equal(receipt.outcome.exit_code, null);
  t.equal(receipt.exit_code, 143);
});

t.test('SIGTERM to gh-run is forwarded to the command, which decides the exit', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  const r = await runCli('gh-run', ['-q', '-o', out, '--', 'sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.05; done'], {
    onSpawn: (child) => {
      let stdout = '';
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('ready') && !stdout.includes('sent')) {
          stdout += 'sent';
          child.kill('SIGTERM');
        }
      });
    },
  });
  t.equal(r.code, 7);
  t.match(r.stdout, 'got-term');
  const receipt = readReceipt(out);
  t.ok(receipt.outcome.errors.includes('received SIGTERM, forwarded to the command'));
  t.equal(receipt.exit_code, 7);
});

t.test('SIGINT while the digests are taken stops them: the receipt is written, the files not hashed said', async (t) => {
  const { closeSync, openSync, truncateSync } = await import('node:fs');
  const dir = realpathSync(t.testdir({}));
  const big = join(dir, 'big');
  closeSync(openSync(big, 'w'));
  truncateSync(big, 8 * 2 ** 30); // sparse: long to hash, nothing on the disk
  const out = join(dir, 'r.json');
  const env = { GLASSHOUSE_HELPER: FAKE_HELPER, FAKE_HELPER_MODE: 'changes', FAKE_HELPER_WRITTEN: big, GLASSHOUSE_DEBUG_TRACKING: '1' };
  const r = await runCli('gh-run', ['-o', out, '--', 'true'], {
    env,
    cwd: dir,
    onSpawn: (child) => {
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/tracking: digests: hashing/.test(stderr) && !stderr.includes('(sent)')) {
          stderr += '(sent)';
          child.kill('SIGINT');
        }
      });
    },
  });
  t.equal(r.code, 0, 'the command\'s status');
  const line = /received SIGINT: (\d) of the 2 files the command wrote that may still be there were left without a digest/;
  t.match(r.stderr, line);
  const receipt = readReceipt(out);
  t.ok(receipt.outcome.errors.some((e: string) => line.test(e)), 'and in the receipt');
  t.equal(receipt.filesystem.writes.find((w: { path: string }) => w.path === big).digest, null);
});

t.test('a daemonized descendant holding stdout does not hold up the run', async (t) => {
  const dir = t.testdir({});
  const r = await runCli('gh-run', ['-q', '-o', join(dir, 'r.json'), '--', 'sh', '-c', 'sleep 4 & echo started']);
  t.equal(r.code, 0);
  t.equal(r.stdout, 'started\n');
  t.ok(r.ms < 3500, `returned after ${r.ms} ms, before the daemon's 4 s`);
});

t.test('--wait-all without a collector: said on stderr and in the receipt, and no waiting', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  const r = await runCli('gh-run', ['--wait-all', '-o', out, '--', 'sh', '-c', 'sleep 4 & echo started']);
  t.equal(r.code, 0);
  t.equal(r.stdout, 'started\n');
  const line = '--wait-all: the collector is unavailable, so the processes the command started cannot be known; the receipt is written now that it has exited';
  t.match(r.stderr, `glasshouse: ${line}\n`);
  t.ok(r.ms < 3500, `returned after ${r.ms} ms, before the background sleep's 4 s`);
  t.equal(readReceipt(out).outcome.errors[0], line);
});

t.test('large output passes through whole and is hashed as a stream', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  const r = await runCli('gh-run', ['-q', '-o', out, '--', 'sh', '-c', 'yes glasshouse | head -c 3000000']);
  t.equal(r.code, 0);
  t.equal(r.stdout.length, 3_000_000);
  const receipt = readReceipt(out);
  t.same(receipt.artifacts.stdout, { sha256: sha(r.stdout), bytes: 3_000_000 });
});

t.test('stdin is inherited by the command', async (t) => {
  const dir = t.testdir({});
  const r = await runCli('gh-run', ['-q', '-o', join(dir, 'r.json'), '--', 'cat'], { input: 'piped input\n' });
  t.equal(r.code, 0);
  t.equal(r.stdout, 'piped input\n');
});

// A receipt that cannot be written is gh-run's own failure: exit 125 (as env and timeout do),
// one line naming the path, the reason and the command's own status, even with --quiet; the
// command's output is passed through untouched, and nothing is left at or beside the path.
const failLine = (path: string, reason: string, status: number): RegExp =>
  new RegExp(`^glasshouse: error: cannot write the receipt to ${path.replace(/[/.]/g, '\\$&')}: ${reason}.*; the command exited with status ${status}, gh-run exits with 125$`, 'm');

t.test('the command turns its output directory into a file: exit 125, said why, nothing written', async (t) => {
  // a path under a regular file fails with ENOTDIR for root as for anyone else
  const dir = t.testdir({ out: { 'receipt.json': 'an earlier run\n' } });
  const out = join(dir, 'out', 'receipt.json');
  const r = await runCli('gh-run', ['-o', out, '--', 'sh', '-c', 'rm -r out && echo not a directory > out; echo ran; echo err >&2; exit 4'], { cwd: dir });
  t.equal(r.code, 125);
  t.equal(r.stdout, 'ran\n', "the command's output intact");
  t.match(r.stderr, /^err$/m);
  t.match(r.stderr, failLine(out, 'ENOTDIR: not a directory', 4));
  t.same(readdirSync(dir), ['out'], 'no temp file beside it');
  t.equal(readFileSync(join(dir, 'out'), 'utf8'), 'not a directory\n');
  const quiet = await runCli('gh-run', ['-q', '-o', join(dir, 'out', 'r.json'), '--', 'touch', join(dir, 'ran')]);
  t.equal(quiet.code, 2, 'known before the run: refused');
  t.equal(
    quiet.stderr,
    `glasshouse: error: cannot write the receipt to ${join(dir, 'out', 'r.json')}: ENOTDIR: not a directory; the command was not run\n`,
    '--quiet still says why, and only that',
  );
  t.notOk(existsSync(join(dir, 'ran')), 'the command did not run');
});

// Known before the command runs, as `strace -o` knows: refused with 2, the command never started
// (it would have made a file), nothing written.
t.test('a receipt that cannot be written is refused before the command runs: exit 2', async (t) => {
  const dir = t.testdir({ sub: { 'receipt.json': { 'kept.txt': 'a directory is in the way' } } });
  const marker = join(dir, 'ran');
  const cases: [string, RegExp][] = [
    ['/nonexistent-dir/receipt.json', /: ENOENT: no such file or directory; the command was not run$/],
    [join(dir, 'sub', 'receipt.json'), /: it is a directory; the command was not run$/],
    [join(dir, 'sub'), /: it is a directory; the command was not run$/],
    ['/proc/receipt.json', /: E[A-Z]+: [^;]+; the command was not run$/],
    ['/dev/fd/9', /: fd 9 was not given to gh-run \(give it, e\.g\. 9>&1\); the command was not run$/],
  ];
  for (const [out, why] of cases) {
    const r = await runCli('gh-run', ['-q', '-o', out, '--', 'touch', marker]);
    t.equal(r.code, 2, out);
    t.match(r.stderr.trimEnd(), new RegExp(`^glasshouse: error: cannot write the receipt to ${out.replace(/[/.]/g, '\\$&')}${why.source}`), out);
    t.notOk(existsSync(marker), `${out}: the command did not run`);
  }
  t.same(readdirSync(join(dir, 'sub', 'receipt.json')), ['kept.txt'], 'nothing written');
});

t.test('a receipt written whole whose rename fails: exit 125, the temp file removed', async (t) => {
  // the command puts a directory where the receipt goes, after the check
  const dir = t.testdir({});
  const out = join(dir, 'receipt.json');
  const r = await runCli('gh-run', ['-o', out, '--', 'sh', '-c', `mkdir "$0" && echo 'a directory is in the way' > "$0/kept.txt"`, out]);
  t.equal(r.code, 125);
  t.match(r.stderr, failLine(out, 'EISDIR', 0));
  t.same(readdirSync(dir), ['receipt.json']);
  t.same(readdirSync(out), ['kept.txt']);
});

/** unshare's options for a private mount namespace this user may mount in. */
const UNSHARE = [...(process.getuid?.() === 0 ? [] : ['--map-root-user']), '--mount', '--propagation', 'private'];

t.test('a full file system: exit 125, the temp file removed, the earlier receipt left as it was', { skip: fullFsSkip() }, async (t) => {
  // a 16 KiB tmpfs, filled up, in a mount namespace of its own (a normal user's in a user
  // namespace of its own too, where it may mount); the shell around gh-run shows what is on it
  // afterwards
  const dir = t.testdir({});
  const script = `mount -t tmpfs -o size=16k glasshouse-test "$1" && printf 'an earlier run\\n' > "$1/receipt.json" &&
    { dd if=/dev/zero of="$1/fill" bs=1k 2>/dev/null; true; } && shift && "$@" -o "$TMPFS/receipt.json" -- sh -c 'echo ran; exit 3'
    code=$?; echo "--- $(ls -A "$TMPFS" | tr '\\n' ' ')"; cat "$TMPFS/receipt.json"; exit $code`;
  const r = await runUnshared(script, dir);
  t.equal(r.code, 125);
  t.equal(r.stdout, 'ran\n--- fill receipt.json \nan earlier run\n', 'no temp file; the earlier receipt untouched');
  t.match(r.stderr, failLine(join(dir, 'receipt.json'), 'ENOSPC: no space left on device', 3));
});

function fullFsSkip(): string | false {
  const probe = spawnSync('unshare', [...UNSHARE, 'true']);
  return probe.status === 0 ? false : `unshare ${UNSHARE.join(' ')} does not work here: ${probe.stderr}`;
}

/** `script` in a mount namespace of its own, with the directory and the gh-run command line as arguments. */
async function runUnshared(script: string, dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await collect(['unshare', ...UNSHARE, 'sh', '-c', script, 'sh', dir, ...cliArgv('gh-run')], {
    env: { ...process.env, TMPFS: dir, GLASSHOUSE_HELPER: NO_HELPER },
    input: null,
  });
  return { ...r, stdout: r.stdout.toString() };
}

t.test('through the gate with a (fake) helper: collector ok, frames in the receipt', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  const r = await runCli('gh-run', ['--helper', FAKE_HELPER, '-o', out, '--', 'sh', '-c', 'echo gated; exit 5'], {
    env: { GLASSHOUSE_DEBUG_TRACKING: '1' },
  });
  t.equal(r.code, 5);
  t.equal(r.stdout, 'gated\n');
  t.match(r.stderr, /glasshouse: tracking: following \d+/);
  const receipt = readReceipt(out);
  t.equal(receipt.collector.status, 'ok', String(receipt.collector.reason));
  t.equal(receipt.collector.events, 2);
  t.equal(receipt.collector.argv_captured, true);
  t.equal(receipt.process_tree?.exe, '/fake/bin/tool');
  t.same(receipt.process_tree?.argv, ['tool', 'arg with space']);
  t.equal(receipt.process_tree?.exit_code, 5, "Node's view of the exit when the kernel said nothing");
  t.same(receipt.filesystem.reads.map((e) => e.path), ['/etc/fake.conf']);
  t.same(receipt.syscalls, { execve: 1, openat: 1 });
});

t.test('through the gate: a failed exec is reported by the gate', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  const r = await runCli('gh-run', ['--helper', FAKE_HELPER, '-o', out, '--', 'no-such-command-glasshouse', 'x']);
  t.equal(r.code, 127);
  t.match(r.stderr, 'glasshouse: no-such-command-glasshouse: no such file or directory');
  const receipt = readReceipt(out);
  t.equal(receipt.outcome.errors[0], 'no-such-command-glasshouse: no such file or directory');
  t.equal(receipt.collector.status, 'ok');
});

t.test('a helper that cannot load BPF: the permission hint', async (t) => {
  const dir = t.testdir({});
  const r = await runCli('gh-run', ['--helper', FAKE_HELPER, '-o', join(dir, 'r.json'), '--', 'true'], { env: { FAKE_HELPER_MODE: 'fatal' } });
  t.equal(r.code, 0);
  t.match(
    r.stderr,
    `glasshouse: collector unavailable: cannot load BPF programs: Operation not permitted (EPERM); the command runs untraced (fix: sudo setcap cap_bpf,cap_perfmon+ep ${FAKE_HELPER}, or run as root)\n`,
  );
});

t.test('--strict and a follow the helper refuses: the gate never starts the command, no receipt, exit 2', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  const marker = join(dir, 'ran');
  const rec = join(dir, 'run.ghrec');
  const r = await runCli('gh-run', ['--strict', '--helper', FAKE_HELPER, '-o', out, '--record', rec, '--', 'touch', marker], { env: { FAKE_HELPER_MODE: 'refuse' } });
  t.equal(r.code, 2);
  t.match(r.stderr, /^glasshouse: error: --strict: the command cannot be traced \(the helper could not follow the command: follow \d+: not a child of the helper's parent\); it was not run$/m);
  t.notMatch(r.stderr, /^glasshouse-helper:/m, "the helper's own line is not said again");
  t.notOk(existsSync(marker), 'the command did not run');
  t.notOk(existsSync(out), 'no receipt');
  t.notOk(existsSync(rec), 'no recording of a run that did not happen');
  // without --strict the same run goes on untraced
  const loose = await runCli('gh-run', ['-q', '--helper', FAKE_HELPER, '-o', out, '--', 'touch', marker], { env: { FAKE_HELPER_MODE: 'refuse' } });
  t.equal(loose.code, 0);
  t.ok(existsSync(marker));
  t.equal(readReceipt(out).collector.status, 'unavailable');
});

t.test('a helper without its gate: --strict refuses before the command starts, without it the command runs untraced', async (t) => {
  const dir = t.testdir({});
  const helperDir = join(dir, 'helper');
  mkdirSync(helperDir);
  for (const f of ['glasshouse-helper', 'fake-helper.cjs']) copyFileSync(join(dirname(FAKE_HELPER), f), join(helperDir, f));
  chmodSync(join(helperDir, 'glasshouse-helper'), 0o755);
  const helper = join(helperDir, 'glasshouse-helper');
  const out = join(dir, 'r.json');
  const marker = join(dir, 'ran');
  // the command would run at once: nothing could hold it while the collector starts
  const r = await runCli('gh-run', ['--strict', '--helper', helper, '-o', out, '--', 'touch', marker], { env: { FAKE_HELPER_MODE: 'ok' } });
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, `--strict: the command cannot be traced (gate not found at ${join(helperDir, 'glasshouse-gate')}); it was not run`);
  t.notOk(existsSync(marker), 'the command did not run');
  t.notOk(existsSync(out), 'no receipt');
  const loose = await runCli('gh-run', ['-q', '--helper', helper, '-o', out, '--', 'touch', marker], { env: { FAKE_HELPER_MODE: 'ok' } });
  t.equal(loose.code, 0, loose.stderr);
  t.ok(existsSync(marker), 'the command ran');
  t.match(readReceipt(out).collector, { status: 'unavailable', reason: /^gate not found at / });
});

t.test('lost events: degraded, said on stderr', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  const r = await runCli('gh-run', ['--helper', FAKE_HELPER, '-o', out, '--', 'true'], { env: { FAKE_HELPER_MODE: 'lost' } });
  t.equal(r.code, 0);
  t.match(r.stderr, 'glasshouse: collector degraded: 5 events lost (ring buffer full)');
  t.equal(readReceipt(out).collector.status, 'degraded');
});

t.test('--no-argv reaches the helper and the receipt', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  await runCli('gh-run', ['--no-argv', '--helper', FAKE_HELPER, '-o', out, '--', 'true']);
  const receipt = readReceipt(out);
  t.equal(receipt.collector.argv_captured, false);
  t.equal(receipt.process_tree?.argv, null);
  const secret = join(dir, 's.json');
  await runCli('gh-run', ['--no-argv', '-q', '-o', secret, '--', 'sh', '-c', 'echo "Authorization: Bearer SECRET123" >/dev/null']);
  t.same(readReceipt(secret).command, ['sh'], 'the top-level command keeps only its name');
  t.notMatch(readFileSync(secret, 'utf8'), /SECRET123/, 'the secret is nowhere in the receipt');
});

t.test('glasshouse run --guest', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  const r = await runCli('glasshouse', ['run', '--guest', '-q', '-o', out, '--', 'sh', '-c', 'exit 9']);
  t.equal(r.code, 9);
  t.equal(readReceipt(out).environment.guest, true);
});
