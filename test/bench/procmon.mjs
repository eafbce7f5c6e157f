// Samples a process (gh-run's controller) and its helper child from /proc while they run:
// peak resident memory (VmHWM) and CPU time (utime+stime), keeping the last value seen.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch { /* keep 100 */ }

function readKiB(pid, field) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function readCpuSec(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): utime is field 14, stime field 15
    return (Number(rest[11]) + Number(rest[12])) / clkTck;
  } catch {
    return null;
  }
}

function children(pid) {
  const out = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const txt = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (txt) out.push(...txt.split(/\s+/).map(Number));
      } catch { /* task gone */ }
    }
  } catch { /* process gone */ }
  return out;
}

function comm(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

export class ProcMonitor {
  constructor(pid, helperComm, intervalMs = 20) {
    this.pid = pid;
    this.helperComm = helperComm;
    this.helperPid = null;
    this.peak = [null, null];
    this.cpu = [null, null];
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  findHelper() {
    // a child of the controller; look one level further in case it is started through a wrapper
    const kids = children(this.pid);
    for (const k of kids) if (comm(k) === this.helperComm) return k;
    for (const k of kids) for (const g of children(k)) if (comm(g) === this.helperComm) return g;
    return null;
  }

  sample() {
    const pids = [this.pid, this.helperPid ?? (this.helperPid = this.findHelper())];
    pids.forEach((p, i) => {
      if (!p) return;
      const hwm = readKiB(p, 'VmHWM');
      if (hwm !== null) this.peak[i] = hwm;
      const cpu = readCpuSec(p);
      if (cpu !== null) this.cpu[i] = cpu;
    });
  }

  stop() {
    clearInterval(this.timer);
  }

  result() {
    return { peakKiB: this.peak.map((v) => v ?? NaN), cpuSec: this.cpu.map((v) => v ?? NaN) };
  }
}
