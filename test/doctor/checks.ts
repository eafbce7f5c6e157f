import t from 'tap';
import { copyFileSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkBtf, checkFile, checkKernel, checkLoad, checkPrivilege, kernelVersion } from '../../controller/doctor/checks.js';
import { formatChecks } from '../../controller/doctor/doctor.js';
import { ROOT } from '../helpers/gh-run.js';

t.test('kernel version', async (t) => {
  t.same(kernelVersion('6.1.0-18-amd64'), [6, 1]);
  t.equal(kernelVersion('weird'), null);
  t.equal(checkKernel('5.16.0').ok, false, '5.16 lacks bpf_loop');
  t.match(checkKernel('5.16.0').fix, /5\.17/);
  t.equal(checkKernel('5.17.3').ok, true);
  t.equal(checkKernel('6.18.44-fc').ok, true);
});

t.test('missing things come with the command that fixes them', async (t) => {
  const dir = t.testdir({});
  t.match(checkBtf(join(dir, 'nope')), { ok: false, fix: /CONFIG_DEBUG_INFO_BTF/ });
  t.match(checkFile('helper', join(dir, 'nope')), { ok: false, fix: 'make' });
  const notExec = join(dir, 'plain');
  writeFileSync(notExec, 'x');
  t.match(checkFile('helper', notExec), { ok: false }, 'not executable');
  // a helper with neither capabilities nor setuid, seen by a normal user
  const helper = join(dir, 'glasshouse-helper');
  copyFileSync(join(ROOT, 'helper', 'glasshouse-helper'), helper);
  chmodSync(helper, 0o755);
  const priv = checkPrivilege(helper, 1000);
  t.equal(priv.ok, false);
  t.match(priv.fix, /^sudo setcap cap_bpf,cap_perfmon\+ep \/\S+\/glasshouse-helper /);
  t.equal(checkPrivilege(helper, 0).ok, true, 'root needs nothing more');
  const text = formatChecks([priv]);
  t.match(text, /FAIL  helper privilege/);
  t.match(text, /fix: sudo setcap cap_bpf,cap_perfmon\+ep \//);
});

t.test('the load check really starts the helper', async (t) => {
  const helper = join(ROOT, 'helper', 'glasshouse-helper');
  const c = checkLoad(helper);
  if (process.getuid!() === 0) t.equal(c.ok, true, c.detail);
  else t.type(c.ok, 'boolean');
  const missing = checkLoad('/nonexistent/glasshouse-helper');
  t.match(missing, { ok: false, fix: 'make' });
});

t.test('glasshouse doctor, end to end', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const cli = join(ROOT, 'dist', 'glasshouse.js');
  const bad = spawnSync(process.execPath, [cli, 'doctor', '--helper', '/nonexistent/glasshouse-helper'], { encoding: 'utf8' });
  t.equal(bad.status, 1, 'exit 1 when something is missing');
  t.match(bad.stdout, /FAIL\s+helper: \/nonexistent\/glasshouse-helper not found/);
  t.match(bad.stdout, /fix: make/);
  const usage = spawnSync(process.execPath, [cli, 'doctor', '--bogus'], { encoding: 'utf8' });
  t.equal(usage.status, 2, 'unknown flag: usage error');
  if (process.getuid!() === 0) {
    const good = spawnSync(process.execPath, [cli, 'doctor'], { encoding: 'utf8' });
    t.equal(good.status, 0, good.stdout);
    t.match(good.stdout, /glasshouse can trace commands here/);
  }
});
