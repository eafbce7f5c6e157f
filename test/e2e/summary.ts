// gh-run --summary: once the receipt is written, what `glasshouse show` prints of it, on stderr;
// the command's stdout and exit code untouched. And `glasshouse show` of a live run's receipt.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, ghRun, GH_RUN, GLASSHOUSE, requireBpf } from '../helpers/gh-run.js';

t.test('gh-run --summary: the summary on stderr, the command\'s output and status as they were', async (t) => {
  if (!(await requireBpf(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'gh-summary-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = `cd ${dir} && echo out && echo made > made.txt && rm -f gone && cat /etc/hostname > /dev/null && sh -c 'exit 4'; exit 3`;
  const r = await ghRun(['/bin/sh', '-c', script], { args: ['--summary', '-q'] });
  t.equal(r.code, 3);
  t.equal(r.stdout.toString(), 'out\n', 'stdout is the command\'s alone');
  const pid = r.receipt.process_tree.pid;
  t.match(r.stderr, /^\ncommand {4}\/bin\/sh -c \$'cd /, 'printed even with -q: it was asked for');
  t.match(r.stderr, /\nended {6}exit 3 after /);
  t.match(r.stderr, /\ncollector  ok \(/);
  t.match(r.stderr, new RegExp(`\\n  \\+ ${dir}/made\\.txt  5 B  sha256:`), 'the new file, with its size and digest');
  t.match(r.stderr, new RegExp(`\\n  ${pid} /bin/sh -c .*exit 3 ✗\\n`), 'the root in the tree');
  t.match(r.stderr, /\n {2}(├|└)─ \d+ sh -c 'exit 4' {2}exit 4 ✗\n/, 'a child that failed, marked');
  t.match(r.stderr, /\n +[1-9]\d* {2}\/etc\/\n/, "reads by directory");
  t.notMatch(r.stderr, /\x1b\[/, 'stderr is a pipe: no colour');
});

t.test('glasshouse show of a live receipt says what the run did', async (t) => {
  if (!(await requireBpf(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'gh-summary-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const receipt = join(dir, 'r.json');
  const run = await collect([process.execPath, GH_RUN, '-q', '-o', receipt, '--', '/bin/sh', '-c', `mkdir ${dir}/d && ln -s 'some target' ${dir}/d/l`]);
  t.equal(run.code, 0, run.stderr);
  const shown = await collect([process.execPath, GLASSHOUSE, 'show', receipt, '-s', 'disk,processes']);
  t.equal(shown.code, 0, shown.stderr);
  t.match(shown.stdout.toString(), new RegExp(`^Changed on disk  0 left, 0 removed, 2 changes to names and metadata\\n  · mkdir 0777 ${dir}/d\\n  · symlink ${dir}/d/l → 'some target'\\n`));
});
