// `glasshouse doctor` where traced runs work: the load check really starts the helper and its
// programs load, the privilege check says how the helper gets its privilege (as the helper itself
// says in its hello), and the doctor exits 0. Run as root, and as a normal user with the helper's
// file capabilities and then setuid root (test/run-unprivileged.sh). (The failures and their
// fixes, without BPF: test/doctor/checks.ts.)
import t from 'tap';
import { checkLoad, checkPrivilege } from '../../controller/doctor/checks.js';
import { collect, GLASSHOUSE, requireBpf } from '../helpers/gh-run.js';
import { HELPER, startHelper } from '../helpers/helper.js';

t.test('the load check starts the helper and its programs load; the privilege check agrees with the helper', async (t) => {
  if (!(await requireBpf(t))) return;
  const helper = startHelper([HELPER]);
  const hello = await helper.first;
  t.equal(await helper.stop(), 0, 'the helper stops on EOF');
  t.match(hello, { t: 'hello', privilege: /^(root|caps|setuid)$/ });
  const detail = { root: /^you are root/, caps: /^file capabilities cap_\S*bpf/, setuid: /^setuid root/ }[hello.privilege as 'root' | 'caps' | 'setuid'];
  const priv = checkPrivilege(HELPER);
  t.equal(priv.ok, true, priv.detail);
  t.match(priv.detail, detail, `the helper says its privilege is ${hello.privilege}`);
  t.equal(priv.fix, null);
  const load = checkLoad(HELPER);
  t.same(load, { name: 'BPF programs load', ok: true, required: true, detail: 'loaded, attached and detached again', fix: null });
});

t.test('glasshouse doctor: a traced run works here, exit 0', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await collect([process.execPath, GLASSHOUSE, 'doctor'], { input: null });
  const out = r.stdout.toString();
  t.equal(r.code, 0, out);
  t.match(out, /^ok\s+helper privilege: /m);
  t.match(out, /^ok\s+BPF programs load: loaded, attached and detached again$/m);
  t.notMatch(out, /^FAIL/m);
  t.match(out, /glasshouse can trace commands here\.\n$/);
});
