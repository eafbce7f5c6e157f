// A path in the receipt is a path in gh-run's own mount namespace, or says that it is not.
// The command makes its own namespaces the way an unprivileged user can (unshare -U -r: a
// user namespace it owns, so ptrace would let the caller trace it): after a chroot its fake
// /etc/shadow is not reported as the real one; a real file read through a bind mount gets its
// real name; a file on a mount only that namespace has reads "mnt:[<inode>]/...", and the
// namespace's mounts are described in mount_namespaces.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ghRun, PYTHON, requireBpf, type RunResult } from '../helpers/gh-run.js';

const paths = (list: { path: string }[]): string[] => list.map((e) => e.path);
const all = (r: RunResult): string[] => [...paths(r.receipt.filesystem.reads), ...paths(r.receipt.filesystem.writes), ...paths(r.receipt.filesystem.failed)];

/** The root of the mount at @point in gh-run's own namespace (mountinfo's fourth field). */
function rootOf(point: string): string {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === point).pop();
  return line ? line.split(' ')[3] : '/';
}

async function userNamespaces(t: Tap.Test): Promise<boolean> {
  if (!(await requireBpf(t))) return false;
  const probe = await ghRun(['unshare', '-U', '-r', 'true'], { args: ['-q'] });
  if (probe.code === 0) return true;
  // a kernel or distribution setting can forbid unprivileged user namespaces: then there is
  // nothing a normal user's command can do with them, and nothing to test
  const why = `unshare -U -r fails here (exit ${probe.code}): ${probe.stderr.trim()}`;
  if (process.env.CI === 'true') t.fail(`CI runs on a kernel that allows it: ${why}`);
  else t.skip(why);
  return false;
}

t.test('chroot: the fake /etc/shadow is reported at its real path, failures too', async (t) => {
  if (!(await userNamespaces(t))) return;
  const d = realpathSync(t.testdir({ jail: { etc: { shadow: 'not the real one' } } }));
  const jail = join(d, 'jail');
  const script = 'import os\nos.chroot("jail")\nopen("/etc/shadow").read()\ntry:\n  open("/etc/nope")\nexcept OSError:\n  pass\nos.chdir("/etc")\ntry:\n  open("relative-nope")\nexcept OSError:\n  pass\n';
  const r = await ghRun(['unshare', '-U', '-r', PYTHON, '-c', script], { cwd: d });
  t.equal(r.code, 0);
  t.equal(r.receipt.collector.status, 'ok');
  t.ok(paths(r.receipt.filesystem.reads).includes(join(jail, 'etc/shadow')), 'the file read is named where it is');
  t.notOk(all(r).includes('/etc/shadow'), 'never as the real /etc/shadow');
  const failed = paths(r.receipt.filesystem.failed);
  t.ok(failed.includes(join(jail, 'etc/nope')), 'an absolute path that failed, under the chroot');
  t.ok(failed.includes(join(jail, 'etc/relative-nope')), 'a relative one, against the cwd inside it');
  t.notOk(failed.includes('/etc/nope'));
});

t.test('a bind mount in a new mount namespace: the real file gets its real name', async (t) => {
  if (!(await userNamespaces(t))) return;
  const d = realpathSync(t.testdir({ harmless: {} }));
  const r = await ghRun(['unshare', '-U', '-r', '-m', '/bin/sh', '-c', `mount --bind /etc ${d}/harmless && cat ${d}/harmless/passwd >/dev/null && sleep 1`], { cwd: d });
  t.equal(r.code, 0);
  const cat = r.receipt.processes.find((p: any) => p.argv?.[0] === 'cat');
  t.ok(cat, 'cat ran');
  const read = r.receipt.filesystem.reads.find((e: any) => e.pids.includes(cat.pid) && e.path.endsWith('/passwd'));
  t.equal(read?.path, '/etc/passwd', 'read through the bind mount, reported as /etc/passwd');
  t.notOk(all(r).some((p) => p.startsWith(`${d}/harmless`)), 'never as the harmless-looking path');
  t.ok(Number.isInteger(cat.mnt_ns) && cat.mnt_ns > 0, 'the process says which mount namespace it ran in');
  const ns = r.receipt.mount_namespaces.find((n: any) => n.mnt_ns === cat.mnt_ns);
  t.ok(ns, 'that namespace is described');
  // the root of a bind mount is where its source is on its own file system: /etc, unless / is
  // itself mounted from a directory of its file system (a container's root)
  const etc = join(rootOf('/'), 'etc');
  t.ok(ns.mounts?.some((m: any) => m.mount_point === `${d}/harmless` && m.root === etc), 'with the bind mount of /etc on harmless', { etc, ns });
  t.equal(r.receipt.collector.status, 'ok');
});

t.test('a tmpfs only the new namespace has: its paths say so', async (t) => {
  if (!(await userNamespaces(t))) return;
  const d = realpathSync(t.testdir({ t: {} }));
  const r = await ghRun(['unshare', '-U', '-r', '-m', '/bin/sh', '-c', `mount -t tmpfs none ${d}/t && echo x > ${d}/t/f && cat ${d}/t/f >/dev/null; cat ${d}/t/missing 2>/dev/null; exit 0`], { cwd: d });
  t.equal(r.code, 0);
  const cat = r.receipt.processes.find((p: any) => p.argv?.[0] === 'cat' && p.argv[1] === `${d}/t/f`);
  const ns = cat.mnt_ns;
  t.ok(ns > 0);
  t.ok(paths(r.receipt.filesystem.writes).includes(`mnt:[${ns}]${d}/t/f`), 'the write, as seen in that namespace');
  t.ok(paths(r.receipt.filesystem.reads).includes(`mnt:[${ns}]${d}/t/f`), 'the read too');
  t.ok(paths(r.receipt.filesystem.failed).includes(`mnt:[${ns}]${d}/t/missing`), 'and a failed open there');
  t.notOk(all(r).includes(`${d}/t/f`), 'never as a path of gh-run\'s: in gh-run\'s namespace there is no such file');
  t.notOk(existsSync(`${d}/t/f`), '(indeed there is none)');
  const desc = r.receipt.mount_namespaces.find((n: any) => n.mnt_ns === ns);
  t.ok(desc?.mounts?.some((m: any) => m.mount_point === `${d}/t` && m.fs === 'tmpfs'), 'the tmpfs is in the namespace\'s mounts');
  t.equal(desc?.error, null, 'read after the mount, not left out of date');
});

t.test('in gh-run\'s own namespace nothing changes', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = realpathSync(t.testdir({}));
  mkdirSync(join(d, 'x'));
  writeFileSync(join(d, 'x', 'f'), 'x');
  const r = await ghRun(['/bin/cat', join(d, 'x', 'f')]);
  t.same(r.receipt.mount_namespaces, []);
  t.notOk(r.receipt.processes.some((p: any) => 'mnt_ns' in p));
  t.ok(paths(r.receipt.filesystem.reads).includes(join(d, 'x', 'f')));
});
