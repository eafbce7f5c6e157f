// What `glasshouse doctor` looks at: each check says what it found and, when something is
// missing, the exact command or step that fixes it. Checks read the machine; none changes it.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { setcapCommand, setuidCommand } from '../run/messages.js';
import { whyNotExecutable } from '../run/host-facts.js';

export interface Check {
  name: string;
  ok: boolean;
  /** false: informational, does not fail the doctor */
  required: boolean;
  detail: string;
  fix: string | null;
}

/** The oldest kernel our programs load on: the kfunc bpf_rdonly_cast (6.2) is the newest thing they use. */
export const MIN_KERNEL: readonly [number, number] = [6, 2];

export function kernelVersion(rel: string = release()): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export function checkKernel(rel: string = release()): Check {
  const v = kernelVersion(rel);
  const ok = v !== null && (v[0] > MIN_KERNEL[0] || (v[0] === MIN_KERNEL[0] && v[1] >= MIN_KERNEL[1]));
  return {
    name: 'kernel version',
    ok,
    required: true,
    detail: `${rel} (needs ${MIN_KERNEL.join('.')} or newer: BPF ring buffer, tp_btf, bpf_loop, bpf_rdonly_cast)`,
    fix: ok ? null : `boot a kernel ${MIN_KERNEL.join('.')} or newer`,
  };
}

export function checkBtf(path = '/sys/kernel/btf/vmlinux'): Check {
  let ok = true;
  try {
    accessSync(path, constants.R_OK);
  } catch {
    ok = false;
  }
  return {
    name: 'kernel BTF',
    ok,
    required: true,
    detail: ok ? `${path} is readable` : `${path} is missing or unreadable`,
    fix: ok ? null : 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distribution kernels are)',
  };
}

export function checkFile(name: string, path: string): Check {
  const problem = whyNotExecutable(path);
  const ok = problem === null;
  return {
    name,
    ok,
    required: true,
    detail: ok ? path : `${path} ${problem}`,
    fix: ok ? null : 'make',
  };
}

/** File capabilities as getcap prints them, null when unknown (no getcap). */
export function fileCaps(path: string): string | null {
  // a normal user's PATH has no sbin, where Debian puts getcap
  const getcap = ['/usr/sbin/getcap', '/sbin/getcap'].find((p) => existsSync(p)) ?? 'getcap';
  const r = spawnSync(getcap, [path], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const m = /\s(cap_[^\s]+)\s*$/.exec(r.stdout.trim());
  return m ? m[1]! : '';
}

export function checkPrivilege(helper: string, uid: number = process.getuid?.() ?? -1): Check {
  if (!existsSync(helper)) return { name: 'helper privilege', ok: false, required: true, detail: 'no helper', fix: 'make' };
  const st = statSync(helper);
  const setuidRoot = (st.mode & 0o4000) !== 0 && st.uid === 0;
  const caps = fileCaps(helper);
  const hasCaps = caps !== null && /cap_bpf/.test(caps) && /cap_perfmon/.test(caps) && /[=+]e?p|=ep/.test(caps);
  const ok = uid === 0 || setuidRoot || hasCaps;
  const how = uid === 0 ? 'you are root' : setuidRoot ? 'setuid root' : hasCaps ? `file capabilities ${caps}` : 'none';
  return {
    name: 'helper privilege',
    ok,
    required: true,
    detail: `${how}${caps === null ? ' (getcap not installed: capabilities unknown)' : ''}`,
    fix: ok ? null : `sudo ${setcapCommand(helper)}   (or, without file capability support: ${setuidCommand(helper)})`,
  };
}

/** The real test: start the helper and see whether its programs load and attach. */
export function checkLoad(helper: string): Check {
  if (!existsSync(helper)) return { name: 'BPF programs load', ok: false, required: true, detail: 'no helper', fix: 'make' };
  const r = spawnSync(helper, [], { input: 'stop\n', timeout: 20000 });
  const stderr = r.stderr?.toString() ?? '';
  const last = stderr.trim().split('\n').filter((l) => l.startsWith('glasshouse-helper:')).pop() ?? stderr.trim().split('\n').pop() ?? '';
  const ok = r.status === 0;
  return {
    name: 'BPF programs load',
    ok,
    required: true,
    detail: ok ? 'loaded, attached and detached again' : last.replace(/^glasshouse-helper:\s*/, '') || `helper exited with ${r.status ?? r.signal}`,
    fix: ok ? null : /permitted|EPERM|CAP_BPF/.test(last) ? `sudo ${setcapCommand(helper)}   (or run as root)` : `see the line above; \`${helper} --verbose </dev/null\` shows libbpf's log`,
  };
}

export function checkLockdown(path = '/sys/kernel/security/lockdown'): Check {
  let detail = 'not reported';
  try {
    detail = readFileSync(path, 'utf8').trim();
  } catch {
    /* no securityfs: fine */
  }
  return { name: 'kernel lockdown', ok: true, required: false, detail: `${detail} (glasshouse uses tracepoints only, which lockdown allows)`, fix: null };
}
