// Runs gh-run (and glasshouse) on a command and returns what a user would see: exit code,
// output, and the parsed receipt. One spawn-and-collect for every test: the built CLI (the
// end-to-end tests, ghRun and runCollect), and the CLI from its TypeScript sources (runCli, for
// the tests that run without a build and without BPF). Also decides, once, whether BPF can load
// on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { decodeFrameStream } from '../../controller/collector/frame-pipeline.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
// the built entry points, where package.json's bin names them (they move when the build does)
const BIN = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;
export const GH_RUN = join(ROOT, BIN['gh-run']!);
export const GLASSHOUSE = join(ROOT, BIN.glasshouse!);
export const PROGRAMS = join(ROOT, 'test', 'fixtures', 'programs');
/** The test double of the helper (no BPF): test/fixtures/fake-helper. */
export const FAKE_HELPER = join(ROOT, 'test', 'fixtures', 'fake-helper', 'glasshouse-helper');
/** A helper path where there is none: the CLI from source runs with it unless told otherwise. */
export const NO_HELPER = '/nonexistent/glasshouse-helper';
/** Debian's python, not a shim: shims (pyenv) add their own processes to every tree. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** written to stdin, which is then closed; null: stdin is /dev/null */
  input?: string | Buffer | null;
  /** called with the child once it is running (to watch its output, signal it...) */
  onSpawn?: (child: ChildProcess) => void;
  /** kill the run after this long (default: none; tap's own timeout applies) */
  timeoutMs?: number;
}

export interface Collected {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** from the spawn to the close of its output */
  ms: number;
}

/** Spawn `argv` and collect its exit, output and run time: the one spawn-and-collect. */
export function collect(argv: string[], opts: SpawnOptions = {}): Promise<Collected> {
  const started = Date.now();
  const input = opts.input === undefined ? '' : opts.input;
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    stdio: [input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  if (input !== null) {
    child.stdin!.on('error', () => {}); // the command may exit without reading it
    child.stdin!.end(input);
  }
  opts.onSpawn?.(child);
  const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : null;
  return new Promise((res, rej) => {
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      rej(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      res({ code, signal, stdout: Buffer.concat(out), stderr: err, ms: Date.now() - started });
    });
  });
}

export interface RunResult extends Collected {
  receipt: any;
  receiptPath: string;
}

export interface RunOptions extends SpawnOptions {
  args?: string[];
}

export interface CollectOptions extends SpawnOptions {
  /** mode of the scratch directory holding the receipt (e.g. 0o777 when the run drops to nobody) */
  dirMode?: number;
}

/**
 * Run the argv that `build` makes from a receipt path (and its scratch dir), and collect what a
 * user would see: exit, output, the receipt (null when none was written).
 */
export async function runCollect(build: (receiptPath: string, dir: string) => string[], opts: CollectOptions = {}): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-e2e-'));
  try {
    if (opts.dirMode !== undefined) chmodSync(dir, opts.dirMode);
    const receiptPath = join(dir, 'receipt.json');
    const r = await collect(build(receiptPath, dir), opts);
    let receipt: any = null;
    try {
      receipt = JSON.parse(readFileSync(receiptPath, 'utf8'));
    } catch {
      receipt = null;
    }
    return { ...r, receipt, receiptPath };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run the built `gh-run [args] -o <tmp>/receipt.json -- command...` and collect everything. */
export function ghRun(command: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runCollect((receipt) => [process.execPath, GH_RUN, ...(opts.args ?? []), '-o', receipt, '--', ...command], opts);
}

// --- the CLI from its TypeScript sources ----------------------------------------------------

export type Program = 'gh-run' | 'glasshouse';

const loaderArgs = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a === '--enable-source-maps');

/** The command line that runs a CLI entry point from its source, with the TypeScript loader tap
 * gave this test process (to run as it is, or inside another command). */
export function cliArgv(program: Program): string[] {
  return [process.execPath, ...loaderArgs, join(ROOT, 'controller', 'cli', `${program}.ts`)];
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * The CLI from its source on `args`: exit, output as text, run time. The helper is NO_HELPER
 * unless `env` names one (GLASSHOUSE_HELPER: FAKE_HELPER), so nothing loads BPF; stdin is
 * /dev/null unless `input` is given.
 */
export async function runCli(program: Program, args: string[], opts: SpawnOptions = {}): Promise<CliResult> {
  const r = await collect([...cliArgv(program), ...args], {
    ...opts,
    input: opts.input === undefined ? null : opts.input,
    env: { ...process.env, GLASSHOUSE_HELPER: NO_HELPER, ...(opts.env ?? {}) },
  });
  return { ...r, stdout: r.stdout.toString() };
}

// --- the helper and BPF -----------------------------------------------------------------------

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
