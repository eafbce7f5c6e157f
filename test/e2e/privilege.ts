// The helper's guarantees, shown as whichever user runs the suite (CI runs it as root and
// again as a normal user through file capabilities, see test/run-unprivileged.sh):
// privilege is gone before the command starts, only the caller's own children can be
// followed, a privilege-gaining exec is reported but its details are withheld, and nothing
// from the caller's environment chooses what the privileged helper loads.
import t from 'tap';
import { spawn } from 'node:child_process';
import { ghRun, helperFrames, requireBpf, ROOT } from '../helpers/gh-run.js';
import { join } from 'node:path';

const HELPER = join(ROOT, 'helper', 'glasshouse-helper');
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

/** Start the helper, send it lines, collect its frames and exit status. */
async function talk(helper: string, lines: string[]): Promise<{ frames: any[]; code: number | null }> {
  const child = spawn(helper, [], { stdio: ['pipe', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stdin.on('error', () => {}); // it may have ended before the last line
  await new Promise<void>((res) => child.stdout.once('data', () => res()));
  for (const l of lines) child.stdin.write(l);
  child.stdin.end();
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  return { frames: helperFrames(Buffer.concat(chunks)), code };
}
