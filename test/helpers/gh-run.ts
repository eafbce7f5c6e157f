// Runs the built gh-run CLI on a command and returns what a user would see: exit code,
// output, and the parsed receipt. Also decides, once, whether BPF can load on this machine.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { decodeFrameStream } from '../../controller/collector/frame-pipeline.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const GH_RUN = join(ROOT, 'dist', 'gh-run.js');
export const GLASSHOUSE = join(ROOT, 'dist', 'glasshouse.js');
export const PROGRAMS = join(ROOT, 'test', 'fixtures', 'programs');
/** Debian's python, not a shim: shims (pyenv) add their own processes to every tree. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  receipt: any;
  receiptPath: string;
}

export interface RunOptions {
  args?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** called with the gh-run child once it is running */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
}

export interface CollectOptions extends RunOptions {
  /** kill the run after this long (default: none; tap's own timeout applies) */
  timeoutMs?: number;
  /** mode of the scratch directory holding the receipt (e.g. 0o777 when the run drops to nobody) */
  dirMode?: number;
}

/**
 * Run the argv that `build` makes from a receipt path (and its scratch dir), and collect what a
 * user would see: exit, output, the receipt. The one spawn-and-collect of the e2e tests.
 */
export function runCollect(build: (receiptPath: string, dir: string) => string[], opts: CollectOptions = {}): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-e2e-'));
  if (opts.dirMode !== undefined) chmodSync(dir, opts.dirMode);
  const receiptPath = join(dir, 'receipt.json');
  const [cmd, ...args] = build(receiptPath, dir);
  const child = spawn(cmd!, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  opts.onSpawn?.(child);
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin.on('error', () => {});
  child.stdin.end(opts.input ?? '');
  const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : null;
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      let receipt: any = null;
      try {
        receipt = JSON.parse(readFileSync(receiptPath, 'utf8'));
      } catch {
        receipt = null;
      }
      rmSync(dir, { recursive: true, force: true });
      res({ code, signal, stdout: Buffer.concat(out), stderr: err, receipt, receiptPath });
    });
  });
}

/** Run `gh-run [args] -o <tmp>/receipt.json -- command...` and collect everything. */
export function ghRun(command: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runCollect((receipt) => [process.execPath, GH_RUN, ...(opts.args ?? []), '-o', receipt, '--', ...command], opts);
}

/** The helper's frames from its raw stdout, decoded by the controller's own decoder. */
export function helperFrames(stdout: Uint8Array): any[] {
  const { frames, errors } = decodeFrameStream(stdout);
  if (errors.length > 0) throw new Error(`the helper wrote a bad stream: ${errors.map((e) => e.message).join('; ')}`);
  return frames;
}

let probe: Promise<string | null> | undefined;

/** null when BPF loads here; otherwise the reason it cannot (from the collector). */
export function bpfUnavailableReason(): Promise<string | null> {
  probe ??= ghRun(['true'], { args: ['-q'] }).then((r) => {
    if (!r.receipt) return `gh-run wrote no receipt (exit ${r.code}): ${r.stderr.trim()}`;
    const c = r.receipt.collector;
    return c.status === 'unavailable' ? String(c.reason) : null;
  });
  return probe;
}

/**
 * Gate for end-to-end tests: resolves true when BPF is there. Where BPF cannot load, the test
 * is skipped with the reason; in CI (CI=true) that is a failure instead, never a silent pass.
 */
export async function requireBpf(t: { fail(msg: string): unknown; skip(...args: any[]): unknown }): Promise<boolean> {
  const reason = await bpfUnavailableReason();
  if (reason === null) return true;
  if (process.env.CI === 'true') {
    t.fail(`BPF must load in CI, but the collector is unavailable: ${reason}`);
  } else {
    t.skip(`BPF cannot load on this machine: ${reason}`);
  }
  return false;
}

/** The flat process list of a receipt, by argv[0] basename of the last exec. */
export function procsByProgram(receipt: any, name: string): any[] {
  return receipt.processes.filter((p: any) => (p.argv?.[0] ?? '').split('/').pop() === name);
}

export function paths(list: { path: string }[]): string[] {
  return list.map((e) => e.path);
}
