// Whether a process the frames still count as running is really there, from /proc/<pid>/stat:
// the pid must exist, not be a zombie, and have started no later than the frames say. The
// frames' `start` is the leader's start in CLOCK_MONOTONIC ns; /proc's field 22 is its start in
// clock ticks of CLOCK_BOOTTIME. The two clocks differ by the time the machine was suspended,
// which is read at the moment of the check (from /proc/uptime, to 10 ms), so a process that
// started before a suspend looks older than it is, never younger: only "started later than
// expected, by more than a tick" is taken as another process that reused the pid.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux this runs on). */
const USER_HZ = 100;
const NS_PER_TICK = 1e9 / USER_HZ;

/** Why: the one reading of /proc a check needs (a test passes its own). */
export type StatReader = (pid: number) => string | null;

/** /proc/<pid>/stat, or null when there is no such process (or it cannot be read). */
export function readProcStat(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
}

/**
 * Why: CLOCK_BOOTTIME minus CLOCK_MONOTONIC in ns (the time spent suspended), to turn a frame's
 * start into /proc's clock; null when /proc/uptime cannot be read. At most 10 ms low:
 * /proc/uptime is truncated to hundredths of a second.
 */
export function bootOffsetNs(readUptime: () => string = () => readFileSync('/proc/uptime', 'latin1')): number | null {
  let uptime: string;
  const before = process.hrtime.bigint();
  try {
    uptime = readUptime();
  } catch {
    return null;
  }
  const m = /^(\d+)\.(\d{1,9})\s/.exec(uptime);
  if (m === null) return null;
  const bootNs = Number(m[1]) * 1e9 + Number(m[2]!.padEnd(9, '0'));
  return bootNs - Number(before);
}

/** The fields of a stat line that matter here: state (field 3) and start time in ticks (field 22). */
export function parseStat(stat: string): { state: string; startTicks: number } | null {
  // the command name (field 2) is in parentheses and may hold anything, ')' and spaces included
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat.slice(close + 2).split(' ');
  const state = fields[0];
  const startTicks = Number(fields[19]);
  if (state === undefined || state === '' || !Number.isFinite(startTicks)) return null;
  return { state, startTicks };
}

/**
 * Why: a process counted as running whose exit frame was lost must not keep --wait-all waiting
 * forever. True when the process `pid` that started at `startNs` (CLOCK_MONOTONIC, null when
 * unknown) is gone: no /proc entry, a zombie (it has exited), or the pid now belongs to a
 * process that started more than a tick after it. `offsetNs`: bootOffsetNs(), null when unknown
 * (then the start time is not compared).
 */
export function processGone(pid: number, startNs: number | null, offsetNs: number | null, read: StatReader = readProcStat): boolean {
  const raw = read(pid);
  if (raw === null) return true;
  const stat = parseStat(raw);
  if (stat === null) return false; // unreadable as expected: do not give up on it
  if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return true;
  if (startNs === null || offsetNs === null) return false;
  const expectedTicks = (startNs + offsetNs) / NS_PER_TICK;
  // the estimate is up to a tick early (uptime truncated), the stat a tick late at most (truncated too)
  return stat.startTicks - expectedTicks > 2;
}
