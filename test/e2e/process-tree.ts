// The process tree: 100+ short-lived children, a thread, a killed child, exit codes and an
// orphan that outlives its parent: all there, each once, with the right parent and status. A
// fork chain 2,000 deep (as a hostile command makes one): a receipt all the same, shown.
import t from 'tap';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readRecording } from '../../controller/replay/read-recording.js';
import { collect, ghRun, GH_RUN, GLASSHOUSE, helperFrames, requireBpf, PROGRAMS, PYTHON } from '../helpers/gh-run.js';

const N = 120;

t.test('whole tree with statuses', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = realpathSync(t.testdir({}));
  const r = await ghRun([PYTHON, join(PROGRAMS, 'tree.py'), String(N), d]);
  t.equal(r.code, 5, 'gh-run mirrors the exit code');
  const rc = r.receipt;
  t.equal(rc.outcome.exit_code, 5);
  t.equal(rc.exit_code, 5);
  t.ok(existsSync(join(d, 'orphan.txt')), 'the orphan ran to its end while the root still ran');
  const root = rc.process_tree;
  t.equal(root.exe, realpathSync(PYTHON), 'root exe is the real interpreter');
  t.same(root.argv, [PYTHON, join(PROGRAMS, 'tree.py'), String(N), d]);

  const trues = rc.processes.filter((p: any) => p.exe === realpathSync('/bin/true'));
  t.equal(trues.length, N, `${N} /bin/true processes`);
  t.same(trues.map((p: any) => Number(p.argv[1])).sort((a: number, b: number) => a - b), [...Array(N).keys()], 'each with its own argv');
  for (const p of trues) {
    if (p.ppid !== root.pid || p.exit_code !== 0 || p.state !== 'exited') {
      t.fail(`bad child ${JSON.stringify(p)}`);
      break;
    }
  }
  const pids = rc.processes.map((p: any) => `${p.pid}`);
  t.equal(new Set(pids).size, pids.length, 'no process twice');

  const sleeper = rc.processes.find((p: any) => p.argv?.[0] === '/bin/sleep');
  t.match(sleeper, { exit_code: null, signal: 'SIGKILL', state: 'exited' }, 'killed child');
  const seven = rc.processes.find((p: any) => p.argv?.join(' ') === '/bin/sh -c exit 7');
  t.match(seven, { exit_code: 7, signal: null }, 'exit 7');

  // The orphan: a forked python (no exec) whose parent is a forked python that exited first.
  const forks = rc.processes.filter((p: any) => p.ppid !== 0 && p.execs.length === 0);
  const orphan = forks.find((p: any) => forks.some((q: any) => q.pid === p.ppid));
  t.ok(orphan, 'the orphan is in the tree under its original parent');
  t.match(orphan, { exit_code: 0, state: 'exited' });
  const w = rc.filesystem.writes.find((e: any) => e.path === join(d, 'orphan.txt'));
  t.ok(w && w.pids.includes(orphan.pid), 'the orphan\'s write is attributed to it');

  // threads are not processes
  const hostname = rc.filesystem.reads.find((e: any) => e.path === '/etc/hostname');
  t.same(hostname?.pids, [root.pid], 'a thread\'s open belongs to its process');

  // nested tree agrees with the flat list
  const count = (p: any): number => 1 + p.children.reduce((n: number, c: any) => n + count(c), 0);
  t.equal(count(root), rc.processes.length, 'tree and flat list hold the same processes');
  t.equal(rc.collector.events_lost, 0);
  t.equal(rc.collector.status, 'ok');
});

t.test('execveat is told from execve, on success and on failure (frames of a recording)', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = realpathSync(t.testdir({ 'plain.txt': 'not a program\n' }));
  const rec = join(d, 'run.ghrec');
  // fexecve is execveat(fd, "", AT_EMPTY_PATH): first on a file that is not executable (EACCES),
  // then on /bin/true
  const script = [
    'import os',
    `fd = os.open(${JSON.stringify(join(d, 'plain.txt'))}, os.O_RDONLY)`,
    'try:',
    "    os.execve(fd, ['plain'], {})",
    'except PermissionError:',
    '    pass',
    "os.execve(os.open('/bin/true', os.O_RDONLY), ['true'], {})",
  ].join('\n');
  const r = await ghRun([PYTHON, '-c', script], { args: ['--record', rec] });
  t.equal(r.code, 0, r.stderr);
  const execs = helperFrames(readRecording(readFileSync(rec)).helper).filter((f) => f.t === 'exec');
  t.same(
    execs.map((f) => [f.call, f.err]),
    [
      ['execve', null], // the gate execs python
      ['execveat', 'EACCES'],
      ['execveat', null],
    ],
  );
  t.match(execs[2].path, /^\/dev\/fd\/\d+$/, 'the kernel names an fd exec /dev/fd/N');
  t.equal(execs[2].exe, '/usr/bin/true');
});

t.test('a program run from a memfd is named memfd:<name> and marked, never "/"', async (t) => {
  if (!(await requireBpf(t))) return;
  const script = 'import os\nfd = os.memfd_create("payload")\nos.write(fd, open("/bin/true", "rb").read())\nos.execve(fd, ["payload-argv0"], {})\n';
  const r = await ghRun([PYTHON, '-c', script]);
  t.equal(r.code, 0);
  const root = r.receipt.process_tree;
  t.equal(root.exe, 'memfd:payload');
  t.equal(root.exe_anonymous, true);
  t.match(root.execs.at(-1), { argv: ['payload-argv0'], result: 'ok' });
  t.notOk(r.receipt.processes.some((p: any) => p.exe === '/'), 'no exe of "/"');
});

t.test('a fork chain 2,000 deep: a receipt with every process nested, and glasshouse show reads it', { timeout: 600_000 }, async (t) => {
  if (!(await requireBpf(t))) return;
  // before: RangeError (Maximum call stack size exceeded) and no receipt, from a ~1,000-deep chain
  const depth = 2_000;
  const d = realpathSync(t.testdir({}));
  const receiptPath = join(d, 'receipt.json');
  const script = join(PROGRAMS, 'fork-chain.py');
  const r = await collect([process.execPath, GH_RUN, '-q', '-o', receiptPath, '--', PYTHON, script, String(depth)]);
  t.equal(r.code, 0, `every level saw its child's status: ${r.stderr}`);
  // indented in full, the text would grow with the square of the depth (~150 KB a process
  // here); capped at 64 spaces, ~40 lines of a process cost at most ~2.6 KB of indentation
  const text = readFileSync(receiptPath, 'utf8');
  const size = statSync(receiptPath).size;
  t.ok(size < 8192 * (depth + 1), `linear in the depth: ${size} bytes, ${Math.round(size / (depth + 1))} per process`);
  const indent = text.split('\n').reduce((most, line) => Math.max(most, line.length - line.trimStart().length), 0);
  t.equal(indent, 64, 'indentation stops at 64 spaces');
  const rc = JSON.parse(text); // V8's JSON.parse does not recurse
  t.equal(rc.exit_code, 0);
  t.equal(rc.collector.events_lost, 0);
  t.equal(rc.processes.length, depth + 1, `${depth + 1} processes`);

  // the tree walked in a loop: level n is the script run with LEVEL n, the only child of level n - 1
  let level = 0;
  const wrong: string[] = [];
  for (let n = rc.process_tree; ; level++) {
    const args = level === 0 ? [script, String(depth)] : ['-S', script, String(depth), String(level)];
    const code = level === depth ? 3 : 0;
    if (n.argv?.slice(1).join(' ') !== args.join(' ') || n.exit_code !== code || n.state !== 'exited') wrong.push(`level ${level}: ${JSON.stringify({ ...n, children: n.children.length })}`);
    if (n.children.length === 0) break;
    if (n.children.length !== 1 || n.children[0].ppid !== n.pid) wrong.push(`level ${level}: ${n.children.length} children`);
    n = n.children[0];
  }
  t.equal(level, depth, 'process_tree nested as deep as the chain');
  t.same(wrong.slice(0, 3), [], 'each level its own argv and exit code, under the level above');

  const shown = await collect([process.execPath, GLASSHOUSE, 'show', receiptPath]);
  t.equal(shown.code, 0, `glasshouse show: ${shown.stderr}`);
  t.ok(shown.stdout.length > 0);
  const html = join(d, 'report.html');
  const report = await collect([process.execPath, GLASSHOUSE, 'show', '--html', receiptPath, '-o', html]);
  t.equal(report.code, 0, `glasshouse show --html: ${report.stderr}`);
  t.ok(statSync(html).size > 0, 'the report written');
});
