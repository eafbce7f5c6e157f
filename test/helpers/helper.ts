// Driving the helper itself over its stdin (helper/PROTOCOL.md): start it, see how it began
// (its hello, or a fatal error), send it lines, end its stdin (EOF means stop), and read every
// frame it wrote and its exit status. The one helper driver of the tests: the protocol and
// privilege tests, and the helpers' slots (many started at once).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { helperFrames, ROOT } from './gh-run.js';

/** The helper of this tree. */
export const HELPER = join(ROOT, 'helper', 'glasshouse-helper');

export interface Started {
  child: ChildProcess;
  /** the first frame (hello or a fatal error), or null when the helper exited without one */
  first: Promise<any | null>;
  /** exit status, once it has exited */
  closed: Promise<number | null>;
  stderr: () => string;
  /** every frame it wrote so far (decoded whole: call it once it has exited, or between frames) */
  frames: () => any[];
  /** write to its stdin (lines of the protocol, or anything else) */
  send: (input: string | Buffer) => void;
  /** end its stdin, after `input` when given, and wait for its exit */
  stop: (input?: string | Buffer) => Promise<number | null>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** SIGKILL it after this long (default: never; tap's timeout applies) */
  killAfterMs?: number;
}

/** Spawn `argv` (the helper, maybe behind setpriv), keeping its stdin open so it stays. */
export function startHelper(argv: string[] = [HELPER], opts: StartOptions = {}): Started {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let out = Buffer.alloc(0);
  let err = '';
  let resolveFirst!: (f: any | null) => void;
  const first = new Promise<any | null>((res) => (resolveFirst = res));
  child.stdout!.on('data', (c: Buffer) => {
    out = Buffer.concat([out, c]);
    // a frame is a 4-byte big-endian length, then that many bytes
    if (out.length >= 4 && out.length >= 4 + out.readUInt32BE(0)) resolveFirst(helperFrames(out.subarray(0, 4 + out.readUInt32BE(0)))[0]);
  });
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin!.on('error', () => {}); // it may have ended before reading everything
  const timer = opts.killAfterMs ? setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs) : null;
  const closed = new Promise<number | null>((res) => child.on('close', (code) => {
    if (timer) clearTimeout(timer);
    resolveFirst(null);
    res(code);
  }));
  const send = (input: string | Buffer): void => {
    if (child.stdin!.writable) child.stdin!.write(input);
  };
  const stop = (input?: string | Buffer): Promise<number | null> => {
    if (child.stdin!.writable) child.stdin!.end(input);
    return closed;
  };
  return { child, first, closed, stderr: () => err, frames: () => helperFrames(out), send, stop };
}

/** Kill whatever is still running and wait for it. */
export async function killAll(started: Started[]): Promise<void> {
  for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  await Promise.all(started.map((s) => s.closed));
}
