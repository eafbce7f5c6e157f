// Which BTF the helper relocates its programs against (helper/core_btf.c): the minimal BTF the
// build made, on the kernel it was made from (this one: CI builds and tests on one machine);
// the kernel's own BTF anywhere else. The fallback is what an install built elsewhere runs, so
// it must trace as well: checked by loading programs that are not the embedded ones
// (GLASSHOUSE_BPF_DIR, which only a root caller may use) and comparing what a run records.
import t from 'tap';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ghRun, requireBpf, ROOT } from '../helpers/gh-run.js';
import { HELPER, startHelper } from '../helpers/helper.js';

/** The helper with --verbose: its first frame and what it said on stderr, then stopped. */
async function verboseStart(env: NodeJS.ProcessEnv = process.env): Promise<{ first: any; stderr: string; code: number | null }> {
  const helper = startHelper([HELPER, '--verbose'], { env, killAfterMs: 20000 });
  const first = await helper.first;
  const code = await helper.stop();
  return { first, stderr: helper.stderr(), code };
}

t.test('on the kernel the helper was built on, the minimal BTF is used', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await verboseStart();
  t.match(r.first, { t: 'hello' });
  t.equal(r.code, 0);
  t.match(r.stderr, /CO-RE relocations against the minimal BTF made at build time from this kernel's BTF/);
});

// GLASSHOUSE_BPF_DIR steers only a helper whose caller is really root (test/e2e/privilege.ts)
if (process.getuid!() === 0) {
  t.test("other programs relocate against the kernel's own BTF, and trace the same", async (t) => {
    if (!(await requireBpf(t))) return;
    const env = { ...process.env, GLASSHOUSE_BPF_DIR: join(ROOT, 'build') };
    const r = await verboseStart(env);
    t.match(r.first, { t: 'hello' }, 'the programs loaded and attached');
    t.match(r.stderr, /CO-RE relocations against \/sys\/kernel\/btf\/vmlinux: the programs are not the embedded ones/);

    // opens (file.bpf.h reads the struct file through a read-only view, whose type id comes
    // from the build with the minimal BTF and from the kernel's BTF otherwise)
    const d = realpathSync(t.testdir({}));
    const file = join(d, 'data.txt');
    writeFileSync(file, 'x');
    const command = ['sh', '-c', `cat ${file} >/dev/null; cat ${file} >/dev/null; echo y >> ${file}; cat ${join(d, 'missing')} 2>/dev/null; true`];
    const summary = (receipt: any) => ({
      reads: receipt.filesystem.reads.filter((e: any) => e.path.startsWith(d)).map((e: any) => [e.path, e.count]),
      writes: receipt.filesystem.writes.filter((e: any) => e.path.startsWith(d)).map((e: any) => [e.path, e.count]),
      failed: receipt.filesystem.failed.filter((e: any) => e.path.startsWith(d)).map((e: any) => [e.path, e.errno]),
      programs: receipt.processes.map((p: any) => p.argv?.[0]).sort(),
      status: receipt.collector.status,
      lost: receipt.collector.events_lost,
    });
    const embedded = await ghRun(command, { args: ['-q'] });
    const fallback = await ghRun(command, { args: ['-q'], env });
    t.equal(fallback.code, 0, fallback.stderr);
    t.same(summary(fallback.receipt), summary(embedded.receipt), 'the same receipt either way');
    t.same(summary(fallback.receipt).reads, [[file, 2]], 'and what was done');
    t.same(summary(fallback.receipt).failed, [[join(d, 'missing'), 'ENOENT']]);
  });
}
