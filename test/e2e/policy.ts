// gh-run --policy under BPF, the built CLI: a command that reads a (fake) private key under its
// HOME and connects to a listener of this test (offline); the example untrusted.json policy
// names both, with the process that did it, on stderr after the run. The exit stays the
// command's, --policy-exit makes it 1, and a bad policy refuses the run before the command.
import t from 'tap';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, ghRun, GLASSHOUSE, requireBpf, ROOT, PYTHON } from '../helpers/gh-run.js';

const UNTRUSTED = join(ROOT, 'examples', 'policies', 'untrusted.json');
// reads the key, connects to the port, exits with its argument
const SCRIPT = [
  'import os, socket, sys',
  "open(os.path.expanduser('~/.ssh/id_rsa')).read()",
  "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
  's.close()',
  'sys.exit(int(sys.argv[2]))',
].join('\n');

t.test('gh-run --policy: both violations with pid and argv, the exit code kept or made 1', async (t) => {
  if (!(await requireBpf(t))) return;
  const home = realpathSync(mkdtempSync(join(tmpdir(), 'gh-policy-home-')));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'id_rsa'), 'not a real key\n');
  const server = createServer((socket) => socket.end());
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const env = { ...process.env, HOME: home };
  const command = (code: number) => [PYTHON, '-c', SCRIPT, String(port), String(code)];

  const r = await ghRun(command(7), { args: ['--policy', UNTRUSTED], env });
  t.equal(r.code, 7, "the command's own status");
  t.ok(r.receipt, 'a receipt');
  const proc = r.receipt.processes.find((p: any) => p.argv?.[1] === '-c');
  t.ok(proc, 'the python process is in the receipt');
  const by = `  by pid ${proc.pid}: ${PYTHON} -c $'import os, socket, sys\\nopen(os.path.expanduser(\\'~/.ssh/id_rsa\\')).read()\\n`;
  const lines = r.stderr.split('\n');
  const at = (line: string) => lines.indexOf(line);
  const read = at(`violation: read.deny "~/.ssh/**": ${home}/.ssh/id_rsa`);
  const net = at(`violation: network.deny "*": 127.0.0.1:${port} (connect tcp)`);
  t.ok(read >= 0, `the read of the key, in:\n${r.stderr}`);
  t.ok(net >= 0, 'the connect to the listener');
  t.ok(lines[read + 1]?.startsWith(by), 'the read by the python process, argv quoted');
  t.ok(lines[net + 1]?.startsWith(by), 'the connect by it too');
  t.match(r.stderr, /\n2 violations in \d+ checks\n/, 'nothing else: no DNS asked, nothing else read from ~/.ssh');

  // glasshouse check on that very receipt says the same, with exit 1
  const receiptFile = join(home, 'receipt.json');
  writeFileSync(receiptFile, JSON.stringify(r.receipt));
  const check = await collect([process.execPath, GLASSHOUSE, 'check', '--policy', UNTRUSTED, receiptFile], { env });
  t.equal(check.code, 1, check.stderr);
  t.equal(check.stdout.toString(), r.stderr.slice(r.stderr.indexOf('violation: ')), 'the same report');

  const strict = await ghRun(command(0), { args: ['--policy', UNTRUSTED, '--policy-exit'], env });
  t.equal(strict.code, 1, '--policy-exit: violations and a command that exited 0 give 1');
  const strictFailed = await ghRun(command(7), { args: ['--policy', UNTRUSTED, '--policy-exit'], env });
  t.equal(strictFailed.code, 7, "--policy-exit keeps the command's own failure");

  // ~ is the checker's HOME, not the run's: checked by someone else, the key is not under their ~/.ssh
  const otherHome = await collect([process.execPath, GLASSHOUSE, 'check', '--policy', UNTRUSTED, receiptFile], { env: { ...env, HOME: tmpdir() } });
  t.equal(otherHome.code, 1);
  t.match(otherHome.stdout.toString(), /^violation: network\.deny "\*": 127\.0\.0\.1:\d+ \(connect tcp\)\n.*\n1 violation in \d+ checks\n$/, 'only the connect');
});

t.test('gh-run --policy with a bad policy: exit 2, the command never ran', async (t) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'gh-policy-bad-')));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const policy = join(dir, 'p.json');
  writeFileSync(policy, JSON.stringify({ read: { deny: ['~/.ssh/**'] }, netwrok: { deny: ['*'] } }));
  const marker = join(dir, 'ran');
  const r = await ghRun(['touch', marker], { args: ['--policy', policy] });
  t.equal(r.code, 2);
  t.equal(r.stderr, `glasshouse: error: --policy ${policy}: invalid policy at (root): Unrecognized key: "netwrok"; the command was not run\n`);
  t.notOk(existsSync(marker), 'touch did not run');
  t.equal(r.receipt, null, 'no receipt');
});
