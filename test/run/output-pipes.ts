// The command's stdout/stderr are real pipes (FIFOs), so /dev/stdout and /dev/stderr open in it;
// here without a helper (no BPF needed); with the real helper in test/e2e/output-pipes.ts.
import t from 'tap';
import { createHash } from 'node:crypto';
import { closeSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOutputPipes, sameOpenFile } from '../../controller/run/output-pipes.js';
import type { Receipt } from '../../controller/schema/receipt.js';
import { runCli } from '../helpers/gh-run.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const readReceipt = (path: string): Receipt => JSON.parse(readFileSync(path, 'utf8')) as Receipt;
const leftovers = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('glasshouse-pipes-'));

t.test('createOutputPipes: FIFOs gone from disk at once, data flows, EOF once the write ends close', async (t) => {
  const before = leftovers();
  const pipes = createOutputPipes();
  t.same(leftovers(), before, 'the private directory is removed right away');
  t.equal(pipes.pipes.length, 2);
  t.notOk(sameOpenFile(pipes.stdoutFd, pipes.stderrFd), 'two pipes');
  writeSync(pipes.stdoutFd, 'to out\n');
  writeSync(pipes.stderrFd, 'to err\n');
  pipes.closeWriteEnds();
  pipes.closeWriteEnds(); // idempotent
  // the read ends block (for the relay's worker): with the writers gone they give the data, then EOF
  for (const [fd, text] of [[pipes.stdoutRead, 'to out\n'], [pipes.stderrRead!, 'to err\n']] as const) {
    const buf = Buffer.alloc(64);
    t.equal(buf.toString('utf8', 0, readSync(fd, buf)), text);
    t.equal(readSync(fd, buf), 0, 'EOF');
    closeSync(fd);
  }
});

t.test('createOutputPipes(1): one pipe for stdout and stderr, in order', async (t) => {
  const pipes = createOutputPipes(1);
  t.equal(pipes.pipes.length, 1);
  t.equal(pipes.stdoutFd, pipes.stderrFd, 'one write end for both');
  t.equal(pipes.stderrRead, null);
  writeSync(pipes.stdoutFd, 'a');
  writeSync(pipes.stderrFd, 'b');
  pipes.closeWriteEnds();
  const buf = Buffer.alloc(8);
  t.equal(buf.toString('utf8', 0, readSync(pipes.stdoutRead, buf)), 'ab');
  closeSync(pipes.stdoutRead);
});

// the same run with the real helper: test/e2e/output-pipes.ts
const SCRIPT = 'echo x > /dev/stdout; echo y > /dev/stderr; ls -l /proc/self/fd/1 /proc/self/fd/2 >/dev/null';

t.test('echo > /dev/stdout and > /dev/stderr work without a helper', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'r.json');
  const r = await runCli('gh-run', ['-q', '--helper', '/nonexistent/glasshouse-helper', '-o', out, '--', 'sh', '-c', SCRIPT]);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
  t.equal(r.stdout, 'x\n', 'stdout passed through');
  t.equal(r.stderr, 'y\n', 'stderr passed through, no ENXIO');
  const receipt = readReceipt(out);
  t.same(receipt.artifacts.stdout, { sha256: sha('x\n'), bytes: 2 }, 'stdout hashed');
  t.same(receipt.artifacts.stderr, { sha256: sha('y\n'), bytes: 2 }, 'stderr hashed');
  t.equal(receipt.collector.status, 'unavailable');
});

t.test('the 250 ms grace for output after the root exited still holds with FIFOs', async (t) => {
  const dir = t.testdir({});
  const late = await runCli('gh-run', ['-q', '-o', join(dir, 'a.json'), '--', 'sh', '-c', '(sleep 0.05; echo late) & echo early']);
  t.equal(late.stdout, 'early\nlate\n', 'output written by a child shortly after the root exited is kept');
  const daemon = await runCli('gh-run', ['-q', '-o', join(dir, 'b.json'), '--', 'sh', '-c', 'sleep 8 & echo started']);
  t.equal(daemon.stdout, 'started\n');
  t.ok(daemon.ms < 6000, `a daemon holding the pipe does not hold up the run (${daemon.ms} ms, the daemon takes 8 s)`);
});

t.test('no mkfifo: falls back to socket pairs, says so once (not with --quiet)', async (t) => {
  const dir = t.testdir({});
  const env = { PATH: '/nonexistent-bin' };
  const r = await runCli('gh-run', ['-o', join(dir, 'r.json'), '--', '/bin/sh', '-c', 'echo hi; echo bye >&2'], { env });
  t.equal(r.code, 0);
  t.equal(r.stdout, 'hi\n');
  const lines = r.stderr.split('\n').filter((l) => l.includes("cannot make pipes for the command's output"));
  t.equal(lines.length, 1, 'said once');
  t.match(lines[0], /using socket pairs/);
  t.match(r.stderr, 'bye\n');
  const quiet = await runCli('gh-run', ['-q', '-o', join(dir, 'q.json'), '--', '/bin/sh', '-c', 'echo hi'], { env });
  t.equal(quiet.stderr, '');
  t.equal(quiet.stdout, 'hi\n');
});
