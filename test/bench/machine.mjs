// What the benchmark ran on.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

function sh(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo(root) {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) cpu = m[1].trim();
  } catch { /* keep os.cpus() */ }
  const commit = sh('git', ['rev-parse', '--short', 'HEAD'], root);
  return {
    kernel: sh('uname', ['-r']) ?? os.release(),
    cpu,
    cores: sh('nproc', []) ?? os.cpus().length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    strace: sh('strace', ['-V'])?.split('\n')[0] ?? 'not installed',
    commit: commit ? `${commit} (working tree as built in dist/ and helper/)` : 'unknown',
  };
}

// Machine-wide CPU ticks (all CPUs) and the ticks of this process plus its reaped descendants,
// to tell how much of the machine other people's processes used while the bench ran.
export function cpuTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] || 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const s = fs.readFileSync('/proc/self/stat', 'utf8');
  const r = s.slice(s.lastIndexOf(')') + 2).split(' ').map(Number);
  // fields 14-17: utime stime cutime cstime
  const own = r[11] + r[12] + r[13] + r[14];
  return { busy: total - idle, total, own };
}

// share of the machine's CPU time used by processes other than the bench and its children
export function foreignLoad(a, b) {
  const total = b.total - a.total;
  return total > 0 ? Math.max(0, (b.busy - a.busy) - (b.own - a.own)) / total : NaN;
}
