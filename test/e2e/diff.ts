// glasshouse diff on real runs: two traced builds of one small C project (gcc's random temp
// files, other pids and times) show no behavioural difference; a third whose build also
// connects once to a local TCP port and writes one more file shows exactly that.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { normalisePath } from '../../controller/evidence/normalise.js';
import { collect, ghRun, GLASSHOUSE, PYTHON, requireBpf } from '../helpers/gh-run.js';

// The extra behaviour hangs on an environment variable (not in a receipt), so that the command,
// the recipe and every exec are the same in all runs; bash does the connect and the write with
// its own builtins (/dev/tcp, >), so that no program is added.
const MAKEFILE = `SHELL = /bin/bash
CC = gcc
app: a.o b.o
\t$(CC) -o app a.o b.o
\t@if [ -n "$$GH_DIFF_PORT" ]; then exec 3<>/dev/tcp/127.0.0.1/$$GH_DIFF_PORT; echo hello >&3; echo extra > extra.txt; fi
%.o: %.c
\t$(CC) -O2 -c $< -o $@
clean:
\trm -f app a.o b.o extra.txt
`;

t.test('two builds of one project: no differences; a build that connects and writes more: those two', async (t) => {
  if (!(await requireBpf(t))) return;
  const root = realpathSync(t.testdir({}));
  const project = join(root, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'Makefile'), MAKEFILE);
  writeFileSync(join(project, 'a.c'), 'int b(void);\nint main(void) { return b() - 42; }\n');
  writeFileSync(join(project, 'b.c'), 'int b(void) { return 42; }\n');

  let received = '';
  const server = createServer((socket) => socket.on('data', (d) => (received += d.toString())));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;

  // the receipts are kept, as a CI job keeps them
  const build = async (name: string, env: NodeJS.ProcessEnv = {}): Promise<string> => {
    execFileSync('make', ['clean'], { cwd: project, stdio: 'ignore' });
    const r = await ghRun(['make'], { cwd: project, env: { ...process.env, ...env } });
    t.equal(r.code, 0, `${name}: ${r.stderr}`);
    t.equal(r.receipt.collector.status, 'ok', name);
    const file = join(root, `${name}.json`);
    writeFileSync(file, JSON.stringify(r.receipt));
    return file;
  };
  const diff = async (args: string[]) => {
    const r = await collect([process.execPath, GLASSHOUSE, 'diff', ...args], { input: null });
    return { ...r, stdout: r.stdout.toString() };
  };

  const a = await build('a');
  const b = await build('b');
  const same = await diff(['--fail-on', 'any', a, b]);
  t.equal(same.code, 0, same.stdout + same.stderr);
  t.match(same.stdout, /\nno behavioural differences\n$/);
  // the noise was there to be ignored: gcc's temp files, under other names in each run
  const temps = (file: string): string[] => {
    const json = JSON.parse(readFileSync(file, 'utf8'));
    return json.filesystem.writes.map((w: any) => w.path).filter((p: string) => /^\/tmp\/cc[A-Za-z0-9]{6}\./.test(p));
  };
  const [ta, tb] = [temps(a), temps(b)];
  t.ok(ta.length > 0, `gcc wrote temp files: ${ta.join(' ')}`);
  t.notSame(ta, tb, 'under other names in the other run');

  const c = await build('c', { GH_DIFF_PORT: String(port) });
  t.equal(received, 'hello\n', 'the build connected to the listener');
  const json = await diff(['--json', a, c]);
  t.equal(json.code, 0, 'differences alone exit 0');
  const d = JSON.parse(json.stdout).differences;
  // as the diff names it: the project may itself be under a temp directory with a random name
  // (the unprivileged pass copies the tree to /tmp/glasshouse-unpriv.XXXXXX)
  const extra = normalisePath(join(project, 'extra.txt'));
  t.same(d.network, { added: [{ direction: 'connect', protocol: 'tcp', peer: '127.0.0.1', port: '*' }], removed: [] }, 'one network peer');
  t.same(d.writes, { added: [{ path: extra }], removed: [] }, 'one file written');
  t.same(d.outputs, { added: [{ path: extra }], removed: [], changed: [] }, 'and it is an output');
  // the connect is made with syscalls the build did not make otherwise: those may appear, and
  // nothing else does
  const socketCalls = ['socket', 'connect', 'fcntl', 'dup2', 'getsockopt', 'setsockopt', 'poll'];
  for (const s of d.syscalls.added) t.ok(socketCalls.includes(s.name), `new syscall ${s.name}`);
  const others = Object.entries(d).filter(([c, v]: [string, any]) => !['network', 'writes', 'outputs', 'syscalls'].includes(c) && (v.added.length > 0 || v.removed.length > 0));
  t.same(others, [], 'no other difference');
  t.same(d.syscalls.removed, []);

  const text = await diff([a, c]);
  t.match(text.stdout, /\nnetwork peers\n\+ connect tcp 127\.0\.0\.1:\*\n/);
  t.match(text.stdout, `\nfiles written\n+ ${extra}\n`);
  const failing = await diff(['--fail-on', 'new-network', a, c]);
  t.equal(failing.code, 1);
  t.match(failing.stderr, /--fail-on names: new-network/);
  const passing = await diff(['--fail-on', 'new-exec,gone-exec,new-read,new-failed,exit', a, c]);
  t.equal(passing.code, 0, passing.stdout);
});

// python's tempfile names: NamedTemporaryFile's tmpXXXXXXXX, mkdtemp with the demo's prefix, and
// its probe of /tmp (made and deleted), under other random names in each run
const TEMPFILES = `import os, tempfile
with tempfile.NamedTemporaryFile('w', suffix='.txt', delete=False) as f:
    f.write('scratch')
os.unlink(f.name)
d = tempfile.mkdtemp(prefix='glasshouse-demo-')
with open(os.path.join(d, 'out.txt'), 'w') as f:
    f.write('kept')
with open('result.txt', 'w') as f:
    f.write('done')
`;

t.test("two runs of a python script using tempfile: no differences", async (t) => {
  if (!(await requireBpf(t))) return;
  const root = realpathSync(t.testdir({ 'w.py': TEMPFILES }));
  const run = async (name: string): Promise<{ file: string; writes: string[] }> => {
    const r = await ghRun([PYTHON, 'w.py'], { cwd: root });
    t.equal(r.code, 0, `${name}: ${r.stderr}`);
    const file = join(root, `${name}.json`);
    writeFileSync(file, JSON.stringify(r.receipt));
    // temp names only: the project itself may be under /tmp too (the unprivileged pass copies the tree there)
    const tmp = (p: string): boolean => p.startsWith('/tmp/') && !p.startsWith(`${root}/`);
    return { file, writes: r.receipt.filesystem.writes.map((w: any) => w.path).filter(tmp) };
  };
  const a = await run('a');
  const b = await run('b');
  t.ok(a.writes.some((p) => /^\/tmp\/tmp[a-z0-9_]{8}\.txt$/.test(p)), `NamedTemporaryFile: ${a.writes.join(' ')}`);
  t.ok(a.writes.some((p) => /^\/tmp\/glasshouse-demo-[a-z0-9_]{8}\/out\.txt$/.test(p)), 'mkdtemp');
  t.same(a.writes.filter((p) => b.writes.includes(p)), [], 'every temp name differs between the runs');
  const r = await collect([process.execPath, GLASSHOUSE, 'diff', '--fail-on', 'any', a.file, b.file], { input: null });
  t.equal(r.code, 0, r.stdout.toString() + r.stderr);
  t.match(r.stdout.toString(), /\nno behavioural differences\n$/);
});
