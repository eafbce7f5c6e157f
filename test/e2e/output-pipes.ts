// The command's stdout/stderr are real pipes (FIFOs) with the real helper too, so /dev/stdout and
// /dev/stderr open in a traced command. (The same without a helper, and the pipes themselves:
// test/run/output-pipes.ts, which needs no BPF.)
import t from 'tap';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ghRun, requireBpf } from '../helpers/gh-run.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const leftovers = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('glasshouse-pipes-'));
const SCRIPT = 'echo x > /dev/stdout; echo y > /dev/stderr; ls -l /proc/self/fd/1 /proc/self/fd/2 >/dev/null';

t.test('echo > /dev/stdout and > /dev/stderr work with the real helper', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun(['sh', '-c', SCRIPT], { args: ['-q'] });
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
  t.equal(r.stdout.toString(), 'x\n', 'stdout passed through');
  t.equal(r.stderr, 'y\n', 'stderr passed through, no ENXIO');
  const receipt = r.receipt;
  t.same(receipt.artifacts.stdout, { sha256: sha('x\n'), bytes: 2 }, 'stdout hashed');
  t.same(receipt.artifacts.stderr, { sha256: sha('y\n'), bytes: 2 }, 'stderr hashed');
  t.equal(receipt.collector.status, 'ok');
  t.same(leftovers(), [], 'no pipe directory left behind');
});
