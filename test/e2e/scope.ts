// Scope: exactly the command and its descendants. A busy process outside the tree, started
// before and running during the traced run, leaves no trace in the receipt; and neither the
// controller nor the helper appear.
import t from 'tap';
import { spawn } from 'node:child_process';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ghRun, requireBpf } from '../helpers/gh-run.js';

t.test('nothing foreign', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = realpathSync(t.testdir({}));
  const foreignFile = join(d, 'foreign-marker');
  writeFileSync(foreignFile, 'x');
  // a busy neighbour: opens a marker file and execs in a loop
  const neighbour = spawn('/bin/sh', ['-c', `while :; do cat ${foreignFile} >/dev/null; done`], { stdio: 'ignore' });
  t.teardown(() => neighbour.kill('SIGKILL'));
  const r = await ghRun(['/bin/sh', '-c', 'cat /etc/hostname >/dev/null; sleep 0.3; exit 0']);
  const text = JSON.stringify(r.receipt);
  t.notOk(text.includes('foreign-marker'), 'no file of the neighbour');
  // test/run-unprivileged.sh keeps a root-owned busy process running beside the tests
  const rootMarker = process.env.GLASSHOUSE_ROOT_NEIGHBOUR_MARKER;
  if (rootMarker) t.notOk(text.includes(rootMarker), 'no file of root\'s busy neighbour');
  t.notOk(r.receipt.processes.some((p: any) => p.pid === neighbour.pid), 'not the neighbour');
  t.notOk(r.receipt.processes.some((p: any) => (p.exe ?? '').includes('glasshouse') || (p.exe ?? '').endsWith('/node')), 'not the controller or helper');
  const root = r.receipt.process_tree;
  t.same(root.execs.map((e: any) => e.path), ['/bin/sh'], 'the root starts at the command\'s own exec');
  t.same(r.receipt.processes.map((p: any) => p.argv[0]).sort(), ['/bin/sh', 'cat', 'sleep'].sort());
  // syscall counts start at the exec: the gate's own read of its go-byte is not counted
  t.equal(r.receipt.syscalls.execve, 3, 'execve of sh, cat and sleep');
});
