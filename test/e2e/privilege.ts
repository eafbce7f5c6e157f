// The helper's guarantees, shown as whichever user runs the suite (CI runs it as root and
// again as a normal user through file capabilities, see test/run-unprivileged.sh):
// privilege is gone before the command starts, only the caller's own children can be
// followed, what a process the caller may not trace does is withheld exactly as ptrace would
// withhold it (decided per syscall from its credentials), and nothing from the caller's
// environment chooses what the privileged helper loads.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ghRun, PROGRAMS, requireBpf, type RunResult } from '../helpers/gh-run.js';
import { HELPER, startHelper } from '../helpers/helper.js';
import { join } from 'node:path';

const asRoot = process.getuid!() === 0;

t.test('the helper holds no capability while the command runs', async (t) => {
  if (!(await requireBpf(t))) return;
  // the command finds its sibling, the helper (a child of its own parent, gh-run)
  const script = 'for p in $(pgrep -P $PPID -x glasshouse-help); do grep -E "^(CapEff|CapPrm|CapInh|CapAmb|NoNewPrivs|Uid)" /proc/$p/status; done';
  const r = await ghRun(['/bin/sh', '-c', script]);
  const out = r.stdout.toString();
  t.match(out, /CapEff:\s+0000000000000000/, 'CapEff is 0');
  t.match(out, /CapPrm:\s+0000000000000000/, 'CapPrm is 0');
  t.match(out, /CapInh:\s+0000000000000000/, 'CapInh is 0');
  t.match(out, /CapAmb:\s+0000000000000000/, 'CapAmb is 0');
  t.match(out, /NoNewPrivs:\s+1/, 'no_new_privs is set');
  const uid = process.getuid!();
  t.match(out, new RegExp(`Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}`), 'runs as the caller');
  t.equal(r.receipt.collector.status, 'ok');
});

t.test('a setuid exec is recorded, its details withheld', async (t) => {
  if (!(await requireBpf(t))) return;
  // /bin/mount is setuid root on Debian; listing mounts reads /proc/self/mountinfo
  const r = await ghRun(['/bin/sh', '-c', '/bin/mount >/dev/null; cat /etc/hostname >/dev/null; exit 0']);
  t.equal(r.code, 0);
  const mount = r.receipt.processes.find((p: any) => p.exe === '/usr/bin/mount');
  t.ok(mount, 'the mount process is in the tree, with its exec');
  t.match(mount, { exit_code: 0, state: 'exited' }, 'and its exit status');
  const opensBy = (pid: number) => [...r.receipt.filesystem.reads, ...r.receipt.filesystem.writes, ...r.receipt.filesystem.failed]
    .filter((e: any) => e.pids.includes(pid));
  const cat = r.receipt.processes.find((p: any) => p.argv?.[0] === 'cat');
  t.ok(opensBy(cat.pid).length > 0, 'an ordinary child\'s files are reported');
  if (asRoot) {
    // root gains nothing from a setuid-root binary: nothing to withhold
    t.equal(mount.privileged, false, 'as root: not privileged');
    t.ok(opensBy(mount.pid).length > 0, 'as root: its files are reported');
  } else {
    t.equal(mount.privileged, true, 'as a normal user: privileged');
    t.same(opensBy(mount.pid), [], 'as a normal user: none of its files are reported');
    t.notOk(r.receipt.network.some((n: any) => n.pid === mount.pid), 'nor its network');
  }
});

t.test('GLASSHOUSE_BPF_DIR never steers a helper with privilege it got from a file', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await ghRun(['/bin/true'], { env: { ...process.env, GLASSHOUSE_BPF_DIR: '/nonexistent-bpf-dir' } });
  t.equal(r.code, 0);
  if (asRoot) {
    // a real root caller may load programs from a directory: this one does not exist
    t.equal(r.receipt.collector.status, 'unavailable', 'as root: the directory is used (and fails)');
    t.match(r.receipt.collector.reason, /BPF object|nonexistent-bpf-dir|No such file/);
  } else {
    t.equal(r.receipt.collector.status, 'ok', 'as a normal user: ignored, embedded programs used');
    t.match(r.stderr, /GLASSHOUSE_BPF_DIR ignored/, 'with a warning');
  }
});

t.test('the helper follows only a child of its own parent, and a refusal ends it', async (t) => {
  if (!(await requireBpf(t))) return;
  // ask it to follow our own parent: not a child of the helper's parent (us)
  const { frames, code } = await talk(HELPER, [`follow ${process.ppid}\n`, 'stop\n']);
  const err = frames.find((f) => f.t === 'error');
  t.match(err, { fatal: true, msg: /not a child/ }, 'refused with a fatal error frame');
  t.equal(code, 2, 'and the helper ended: a caller cannot probe pid after pid');
  t.notOk(frames.some((f) => f.t === 'armed' || f.t === 'following'), 'never armed, never following');
  t.notOk(frames.some((f) => f.t === 'end'), 'no end frame: it did not go on');
});

/** Start the helper, send it lines once it said hello, collect its frames and exit status. */
async function talk(helper: string, lines: string[]): Promise<{ frames: any[]; code: number | null }> {
  const started = startHelper([helper]);
  await started.first;
  for (const l of lines) started.send(l);
  const code = await started.stop();
  return { frames: started.frames(), code };
}

// --- the ptrace rule -------------------------------------------------------------------------

/** Every path of the receipt's file lists, with the pids that touched it. */
function touched(r: RunResult): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const e of [...r.receipt.filesystem.reads, ...r.receipt.filesystem.writes, ...r.receipt.filesystem.failed]) {
    m.set(e.path, [...(m.get(e.path) ?? []), ...e.pids]);
  }
  return m;
}

/** A setuid-root build of test/fixtures/programs/setuid-probe.c: the unprivileged pass has
 * one from test/run-unprivileged.sh; as root, build one here (root gains nothing by it). */
function setuidProbe(t: Tap.Test): string | null {
  const given = process.env.GLASSHOUSE_SETUID_PROBE;
  if (given && existsSync(given)) return given;
  if (!asRoot) return null;
  const dir = mkdtempSync(join(tmpdir(), 'gh-setuid-probe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const out = join(dir, 'setuid-probe');
  execFileSync('cc', ['-O2', '-o', out, join(PROGRAMS, 'setuid-probe.c')]);
  chmodSync(out, 0o4755);
  return out;
}

function needProbe(t: Tap.Test, probe: string | null): probe is string {
  if (probe !== null) return true;
  const why = 'no setuid-root probe: test/run-unprivileged.sh builds one (GLASSHOUSE_SETUID_PROBE)';
  if (process.env.CI === 'true') t.fail(`CI must run this: ${why}`);
  else t.skip(why);
  return false;
}

function markers(t: Tap.Test, ...names: string[]): string[] {
  const dir = t.testdir(Object.fromEntries(names.map((n) => [n, 'x'])));
  chmodSync(dir, 0o755);
  return names.map((n) => {
    chmodSync(join(dir, n), 0o644);
    return join(dir, n);
  });
}

t.test('newgrp: the shell it starts runs as the caller again, and is reported', async (t) => {
  if (!(await requireBpf(t))) return;
  if (!existsSync('/usr/bin/newgrp')) {
    // Debian's login package (essential) has it: CI must not pass this by skipping
    if (process.env.CI === 'true') t.fail('no /usr/bin/newgrp');
    else t.skip('no /usr/bin/newgrp');
    return;
  }
  const [marker] = markers(t, 'newgrp-marker');
  const r = await ghRun(['/bin/sh', '-c', `echo 'cat ${marker} >/dev/null; exit 0' | /usr/bin/newgrp`]);
  t.equal(r.code, 0);
  const newgrp = r.receipt.processes.find((p: any) => p.execs.some((e: any) => e.path === '/usr/bin/newgrp'));
  t.ok(newgrp, 'newgrp is in the tree');
  t.equal(newgrp.privileged, !asRoot, 'withheld while it ran setuid root (a normal caller)');
  const cat = r.receipt.processes.find((p: any) => p.argv?.[0] === 'cat');
  t.ok(cat, 'the shell newgrp started forked cat');
  t.equal(cat.privileged, false, 'the shell\'s child runs as the caller: not privileged');
  t.ok(touched(r).get(marker)?.includes(cat.pid), 'and its files are reported');
  // (newgrp may fork while it is root: that process is marked privileged for what it did then)
});

t.test('a setuid parent\'s forked children, still root, are withheld from a normal caller', async (t) => {
  if (!(await requireBpf(t))) return;
  const probe = setuidProbe(t);
  if (!needProbe(t, probe)) return;
  const secret = '/etc/shadow';
  const missing = '/root/.glasshouse-test-no-such-file';
  const r = await ghRun([probe, 'fork-root', secret, missing]);
  t.equal(r.code, 0);
  const files = touched(r);
  const procs = r.receipt.processes.filter((p: any) => p.pid !== r.receipt.process_tree.pid || true);
  const child = procs.find((p: any) => p.ppid === r.receipt.process_tree.pid);
  t.ok(child, 'the forked child is in the tree');
  if (asRoot) {
    t.ok(files.has(secret), 'as root: its read of /etc/shadow is reported');
    t.ok(files.has(missing), 'as root: its failed open is reported');
    t.equal(child.privileged, false);
  } else {
    t.notOk(files.has(secret), 'its read of /etc/shadow is withheld');
    t.notOk(files.has(missing), 'so is whether a file exists in /root');
    t.equal(child.privileged, true, 'the child is marked privileged');
    t.ok(child.withheld_syscalls > 0, `its withheld syscalls are counted (${child.withheld_syscalls})`);
    t.equal(r.receipt.process_tree.privileged, true, 'so is its setuid parent');
  }
});

t.test('a setuid program that drops privilege is withheld until it is dumpable again, as ptrace would', async (t) => {
  if (!(await requireBpf(t))) return;
  const probe = setuidProbe(t);
  if (!needProbe(t, probe)) return;
  const [a, b, c] = markers(t, 'after-drop', 'after-dumpable', 'after-exec');
  const r = await ghRun([probe, 'drop', a!, b!, c!]);
  t.equal(r.code, 0);
  const files = touched(r);
  const root = r.receipt.process_tree;
  // after setresuid back to the caller the process is still not dumpable (its memory may hold
  // what it read while privileged): ptrace_may_access refuses it, and so do we
  t.equal(files.has(a!), asRoot, `the open right after the drop: ${asRoot ? 'reported (root)' : 'withheld'}`);
  t.ok(files.get(b!)?.includes(root.pid), 'once it makes itself dumpable: reported');
  t.ok(files.get(c!)?.includes(root.pid), 'after it execs cat: reported');
  t.equal(root.privileged, !asRoot);
});

t.test('a process that becomes another user (as su does) is withheld from a normal caller', async (t) => {
  if (!(await requireBpf(t))) return;
  const probe = setuidProbe(t);
  if (!needProbe(t, probe)) return;
  const [marker] = markers(t, 'other-user-reads');
  const r = await ghRun([probe, 'become', '65534', marker!]);
  t.equal(r.code, 0);
  t.equal(touched(r).has(marker!), asRoot, asRoot ? 'root may trace anyone: reported' : 'a process of someone else: withheld');
  t.equal(r.receipt.process_tree.privileged, !asRoot);
  t.match(r.receipt.process_tree.execs.at(-1), { path: '/bin/cat', result: 'ok' }, 'its exec is still reported');
  t.equal(r.receipt.process_tree.cwd === null, !asRoot, 'where it runs is withheld');
});
