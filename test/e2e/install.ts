// `make install` and `make uninstall` into a DESTDIR: the layout, the modes whatever the umask,
// no node_modules (the controller is a bundle), the helper's capabilities on the installed copy only (as root) or
// the setcap line to run (as a normal user), and the installed gh-run run by a normal user from
// elsewhere, finding the helper next to itself and never a glasshouse-helper on PATH or in cwd.
// Installs once for the whole file (a second, failing install as root checks setcap failure).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import {
  chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync,
  realpathSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { collect, ROOT, requireBpf } from '../helpers/gh-run.js';

const CAPS = 'cap_bpf,cap_perfmon+ep';
const isRoot = process.getuid!() === 0;
const BUILD_HELPER = join(ROOT, 'helper', 'glasshouse-helper');

// tap's instrumentation (NODE_OPTIONS) is not what a user has, and cannot write as nobody
const env: NodeJS.ProcessEnv = { ...process.env };
delete env.NODE_OPTIONS;

function findGetcap(): string {
  for (const dir of (env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && existsSync(join(dir, 'getcap'))) return join(dir, 'getcap');
  }
  return 'getcap';
}
const GETCAP = findGetcap();

/** A file's capabilities as "cap_a,cap_b=ep" with the names sorted; '' when it has none. */
function caps(path: string): string {
  const r = spawnSync(GETCAP, [path], { encoding: 'utf8' });
  if (r.error) throw new Error(`getcap: ${r.error.message}`);
  const text = r.stdout.trim();
  if (text === '') return '';
  const m = /\s(\S+)=(\S+)$/.exec(text);
  if (!m) return text;
  return `${m[1]!.split(',').sort().join(',')}=${m[2]}`;
}

/** `make -s -C <repo> <args>` under the given umask, DESTDIR and PREFIX set. */
function make(dest: string, args: string[], umask = '022'): { code: number | null; out: string; err: string } {
  const r = spawnSync('sh', ['-c', `umask ${umask} && exec make -s -C "$0" "$@"`, ROOT, ...args, `DESTDIR=${dest}`, 'PREFIX=/usr/local'], {
    encoding: 'utf8',
    env,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Every path under dir with its mode bits, for the ones not 0755 (dirs, executables) or 0644. */
function oddModes(dir: string): string[] {
  const odd: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isSymbolicLink()) continue;
      const mode = lstatSync(p).mode & 0o7777;
      const ok = e.isDirectory() ? mode === 0o755 : mode === 0o644 || mode === 0o755;
      if (!ok) odd.push(`${p}: ${mode.toString(8)}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return odd;
}

// --- one install for the file ---------------------------------------------------------------
const dest = mkdtempSync(join(tmpdir(), 'gh-install-'));
chmodSync(dest, 0o755); // a normal user runs the installed tree
t.teardown(() => rmSync(dest, { recursive: true, force: true }));
const prefix = join(dest, 'usr', 'local');
const lib = join(prefix, 'lib', 'glasshouse');
const bin = join(prefix, 'bin');
const installedHelper = join(lib, 'helper', 'glasshouse-helper');

// an older install to replace: a stale file in the tree, a gh-run link pointing elsewhere
mkdirSync(join(lib, 'dist'), { recursive: true });
writeFileSync(join(lib, 'dist', 'stale.js'), 'old\n');
mkdirSync(bin, { recursive: true });
symlinkSync('/bin/false', join(bin, 'gh-run'));

const buildCapsBefore = caps(BUILD_HELPER);
const buildStatBefore = statSync(BUILD_HELPER);
const started = Date.now();
const installed = make(dest, ['install'], '077'); // a strict umask must not leave unreadable files
const installMs = Date.now() - started;

t.test('make install lays down the tree', async (t) => {
  t.equal(installed.code, 0, `make install: ${installed.err}`);
  t.comment(`make install took ${installMs} ms`);
  for (const f of ['package.json', 'receipt.schema.json', 'dist/gh-run.js', 'dist/glasshouse.js', 'helper/glasshouse-helper', 'helper/glasshouse-gate', 'helper/glasshouse-init']) {
    t.ok(existsSync(join(lib, f)), `${f} installed`);
  }
  t.equal(JSON.parse(readFileSync(join(lib, 'package.json'), 'utf8')).name, 'glasshouse', 'the package root the controller looks for');
  t.notOk(existsSync(join(lib, 'dist', 'stale.js')), 'the old tree was replaced, not added to');
  t.same(readdirSync(dirname(lib)).filter((n) => n !== 'glasshouse'), [], 'no staging directory left beside it');
  t.same(oddModes(lib), [], 'dirs 0755, files 0644 or 0755, under umask 077');
  for (const f of ['helper/glasshouse-helper', 'helper/glasshouse-gate', 'helper/glasshouse-init', 'dist/gh-run.js', 'dist/glasshouse.js']) {
    t.equal(statSync(join(lib, f)).mode & 0o777, 0o755, `${f} executable`);
  }
  for (const name of ['gh-run', 'glasshouse']) {
    const link = join(bin, name);
    t.ok(lstatSync(link).isSymbolicLink(), `bin/${name} is a link`);
    t.equal(readlinkSync(link), `../lib/glasshouse/dist/${name}.js`, `bin/${name} is relative`);
    t.equal(realpathSync(link), realpathSync(join(lib, 'dist', `${name}.js`)), `bin/${name} resolves`);
  }
});

t.test('the bundle needs no node_modules', async (t) => {
  t.notOk(existsSync(join(lib, 'node_modules')), 'none installed');
  t.same(readdirSync(join(lib, 'dist')).filter((n) => n.endsWith('.js')).sort(), ['gh-run.js', 'glasshouse.js'], 'one file per entry point');
  // every command loads from the installed tree alone: doctor and replay from their chunks
  const cli = join(lib, 'dist', 'glasshouse.js');
  const doctor = spawnSync(process.execPath, [cli, 'doctor'], { cwd: '/', encoding: 'utf8', env });
  t.ok(doctor.status === 0 || doctor.status === 1, `glasshouse doctor ran: ${doctor.status} ${doctor.stderr}`);
  t.match(doctor.stdout, /kernel BTF/);
  const out = join(mkdtempSync(join(tmpdir(), 'gh-install-replay-')), 'r.json');
  const recording = join(ROOT, 'test', 'fixtures', 'recordings', 'files.ghrec');
  const replay = spawnSync(process.execPath, [cli, 'replay', recording, '-o', out], { cwd: '/', encoding: 'utf8', env });
  t.equal(replay.status, 0, `glasshouse replay: ${replay.stderr}`);
  t.equal(JSON.parse(readFileSync(out, 'utf8')).schema_version, '0.5');
  // check: its chunk holds picomatch (a runtime dependency, bundled), found from the installed tree alone
  const policy = join(dirname(out), 'p.json');
  writeFileSync(policy, JSON.stringify({ write: { deny: ['**/.{a,b}*', '/tmp/**'] } }));
  const check = spawnSync(process.execPath, [cli, 'check', '--policy', policy, out], { cwd: '/', encoding: 'utf8', env });
  t.equal(check.status, 1, `glasshouse check: ${check.stderr}`);
  t.match(check.stdout, /^violation: write\.deny "\/tmp\/\*\*": \/tmp\//m, 'the glob matched');
  rmSync(dirname(out), { recursive: true, force: true });
});

t.test("the build tree's helper is untouched", async (t) => {
  t.equal(caps(BUILD_HELPER), buildCapsBefore, 'same capabilities as before');
  const after = statSync(BUILD_HELPER);
  t.same([after.uid, after.mode, after.ino, after.mtimeMs], [buildStatBefore.uid, buildStatBefore.mode, buildStatBefore.ino, buildStatBefore.mtimeMs]);
});

// the root half runs as root (make test), the other as a normal user (make test-unprivileged):
// each pass registers only the tests of what it is, none skipped
if (isRoot) t.test('as root: the installed helper is root-owned with exactly the capabilities', async (t) => {
  t.equal(caps(installedHelper), 'cap_bpf,cap_perfmon=ep');
  const st = statSync(installedHelper);
  t.same([st.uid, st.gid, st.mode & 0o7777], [0, 0, 0o755], 'root:root 0755');
  t.notMatch(installed.out + installed.err, /sudo setcap/, 'no setcap hint when it was done');
});

if (!isRoot) t.test('not root: no capabilities, and the line that gives them', async (t) => {
  t.equal(caps(installedHelper), '', 'installed without capabilities');
  const hint = installed.out.split('\n').filter((l) => l.includes('setcap'));
  t.equal(hint.length, 1, `one line: ${installed.out}`);
  t.ok(hint[0]?.endsWith(`sudo setcap ${CAPS} ${realpathSync(installedHelper)}`), `names the absolute installed helper: ${hint[0]}`);
});

if (isRoot) t.test('as root: a failing setcap fails the install and leaves the old one', async (t) => {
  const r = make(dest, ['install', 'SETCAP=false']);
  t.not(r.code, 0, 'make install failed');
  t.match(r.err, /setcap cap_bpf,cap_perfmon\+ep on the installed helper failed/, 'says so');
  t.equal(caps(installedHelper), 'cap_bpf,cap_perfmon=ep', 'the previous install is still there, capabilities and all');
  t.same(readdirSync(dirname(lib)).filter((n) => n !== 'glasshouse'), [], 'no staging directory left');
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  receipt: any;
  markerMade: boolean;
}

/**
 * Run the installed gh-run as a normal user (nobody when we are root, else ourselves) from a
 * scratch cwd, with a fake glasshouse-helper (and gate) first on PATH and in that cwd: if
 * either is ever run it leaves a marker.
 */
async function runInstalled(command: string[]): Promise<Run> {
  const work = mkdtempSync(join(tmpdir(), 'gh-install-run-'));
  chmodSync(work, 0o777);
  const fakeBin = join(work, 'fakebin');
  mkdirSync(fakeBin, { mode: 0o755 });
  chmodSync(fakeBin, 0o755);
  const marker = join(work, 'fake-helper-ran');
  const fake = `#!/bin/sh\necho "$0 $*" >> '${marker}'\nexit 1\n`;
  for (const dir of [fakeBin, work, join(work, 'helper')]) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const name of ['glasshouse-helper', 'glasshouse-gate']) writeFileSync(join(dir, name), fake, { mode: 0o755 });
  }
  const receipt = join(work, 'receipt.json');
  const path = `${fakeBin}:.:${dirname(process.execPath)}:/usr/bin:/bin`;
  const asUser = isRoot ? ['runuser', '-u', 'nobody', '--'] : [];
  const argv = [...asUser, 'env', '-i', `PATH=${path}`, `HOME=${work}`, 'LANG=C.UTF-8', join(bin, 'gh-run'), '-o', receipt, '--', ...command];
  try {
    const { code, stdout, stderr } = await collect(argv, { cwd: work, input: null });
    let parsed: any = null;
    try {
      parsed = JSON.parse(readFileSync(receipt, 'utf8'));
    } catch {
      parsed = null;
    }
    return { code, stdout: stdout.toString(), stderr, receipt: parsed, markerMade: existsSync(marker) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (isRoot) t.test('as root: nobody runs the installed gh-run from elsewhere, with a full receipt', async (t) => {
  if (!(await requireBpf(t))) return;
  const r = await runInstalled(['sh', '-c', 'echo hi']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'hi\n', 'output passed through');
  t.ok(r.receipt, 'receipt written');
  t.equal(r.receipt?.collector.status, 'ok', `the installed helper's capabilities were used: ${JSON.stringify(r.receipt?.collector)}`);
  t.ok(r.receipt?.processes.some((p: any) => JSON.stringify(p.argv) === JSON.stringify(['sh', '-c', 'echo hi'])), 'the command is in the receipt');
  t.equal(r.receipt?.outcome.exit_code, 0);
  t.notOk(r.markerMade, 'no glasshouse-helper from PATH or cwd was run');
});

if (!isRoot) t.test('not root: the installed gh-run runs the command, unobserved', async (t) => {
  const r = await runInstalled(['sh', '-c', 'echo hi; exit 3']);
  t.equal(r.code, 3, `exit code mirrored: ${r.stderr}`);
  t.equal(r.stdout, 'hi\n', 'output passed through');
  t.ok(r.receipt, 'receipt written');
  t.equal(r.receipt?.collector.status, 'unavailable', `no capabilities on the installed helper: ${JSON.stringify(r.receipt?.collector)}`);
  t.equal(r.receipt?.outcome.exit_code, 3);
  t.notOk(r.markerMade, 'no glasshouse-helper from PATH or cwd was run');
});

t.test('make uninstall removes the tree and our links, and only ours', async (t) => {
  const r = make(dest, ['uninstall']);
  t.equal(r.code, 0, r.err);
  t.notOk(existsSync(lib), 'lib/glasshouse gone');
  for (const name of ['gh-run', 'glasshouse']) t.notOk(existsSync(join(bin, name)) || isLink(join(bin, name)), `bin/${name} gone`);
  // a gh-run that is not ours stays
  symlinkSync('/bin/true', join(bin, 'gh-run'));
  const again = make(dest, ['uninstall']);
  t.equal(again.code, 0, `uninstall again: ${again.err}`);
  t.equal(readlinkSync(join(bin, 'gh-run')), '/bin/true', "someone else's gh-run is left alone");
});

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
