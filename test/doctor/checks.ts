// The doctor's checks, without BPF: each failure found, with the command that fixes it. Where a
// traced run works (the helper's programs load, `glasshouse doctor` exits 0): test/e2e/doctor.ts.
import t from 'tap';
import { copyFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBtf, checkFile, checkKernel, checkLoad, checkPrivilege, kernelVersion } from '../../controller/doctor/checks.js';
import { formatChecks } from '../../controller/doctor/doctor.js';
import { GLASSHOUSE } from '../helpers/gh-run.js';
import { HELPER } from '../helpers/helper.js';

t.test('kernel version', async (t) => {
  t.same(kernelVersion('6.1.0-18-amd64'), [6, 1]);
  t.equal(kernelVersion('weird'), null);
  t.equal(checkKernel('5.16.0').ok, false, '5.16 lacks bpf_loop');
  t.equal(checkKernel('6.1.0-18-amd64').ok, false, '6.1 lacks bpf_rdonly_cast');
  t.match(checkKernel('6.1.0').fix, /6\.2/);
  t.equal(checkKernel('6.2.0').ok, true);
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
  copyFileSync(HELPER, helper);
  chmodSync(helper, 0o755);
  const priv = checkPrivilege(helper, 1000);
  t.equal(priv.ok, false);
  t.match(priv.fix, /^sudo setcap cap_bpf,cap_perfmon\+ep \/\S+\/glasshouse-helper /);
  t.equal(checkPrivilege(helper, 0).ok, true, 'root needs nothing more');
  const text = formatChecks([priv]);
  t.match(text, /FAIL  helper privilege/);
  t.match(text, /fix: sudo setcap cap_bpf,cap_perfmon\+ep \//);
});

t.test('the load check really starts the helper: one without privilege cannot load, and is told how to fix it', async (t) => {
  // a copy with neither capabilities nor setuid, started by a user who is not root: this user,
  // or nobody (through setpriv, which leaves no capability) when the tests run as root
  const asRoot = process.getuid!() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'gh-doctor-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const copy = join(dir, 'glasshouse-helper');
  copyFileSync(HELPER, copy);
  chmodSync(copy, 0o755);
  let helper = copy;
  if (asRoot) {
    helper = join(dir, 'helper-as-nobody');
    writeFileSync(helper, `#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups '${copy}' "$@"\n`, { mode: 0o755 });
  }
  t.equal(checkPrivilege(copy, asRoot ? 65534 : process.getuid!()).ok, false, 'the privilege check finds none');
  const c = checkLoad(helper);
  t.equal(c.ok, false, 'and the helper does not load');
  t.match(c.detail, /^cannot load the BPF programs: Operation not permitted \(needs CAP_BPF and CAP_PERFMON, or root\)$/, "the helper's own line");
  t.match(c.fix, new RegExp(`^sudo setcap cap_bpf,cap_perfmon\\+ep ${helper.replace(/[/.]/g, '\\$&')}   \\(or run as root\\)$`), 'the setcap line');
  const missing = checkLoad('/nonexistent/glasshouse-helper');
  t.match(missing, { ok: false, fix: 'make' });
});

t.test('glasshouse doctor, end to end', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const cli = GLASSHOUSE;
  const bad = spawnSync(process.execPath, [cli, 'doctor', '--helper', '/nonexistent/glasshouse-helper'], { encoding: 'utf8' });
  t.equal(bad.status, 1, 'exit 1 when something is missing');
  t.match(bad.stdout, /FAIL\s+helper: \/nonexistent\/glasshouse-helper not found/);
  t.match(bad.stdout, /fix: make/);
  const usage = spawnSync(process.execPath, [cli, 'doctor', '--bogus'], { encoding: 'utf8' });
  t.equal(usage.status, 2, 'unknown flag: usage error');
  // where everything is there (exit 0): test/e2e/doctor.ts
});
