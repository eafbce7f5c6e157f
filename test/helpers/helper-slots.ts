// Starting many helpers at once and seeing how each began: its hello, or its refusal. For the
// tests of the helpers' slots (helper/slots.c).
import { spawn, type ChildProcess } from 'node:child_process';
import { helperFrames } from './gh-run.js';

export interface Started {
  child: ChildProcess;
  /** the first frame (hello or a fatal error), or null when the helper exited without one */
  first: Promise<any | null>;
  /** exit status, once it has exited */
  closed: Promise<number | null>;
  stderr: () => string;
  /** ask it to stop (EOF on stdin) and wait for its exit */
  stop: () => Promise<number | null>;
}

/** Spawn `argv` (a helper, maybe behind setpriv), keeping its stdin open so it stays. */
export function startHelper(argv: string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
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
  child.stdin!.on('error', () => {});
  const closed = new Promise<number | null>((res) => child.on('close', (code) => {
    resolveFirst(null);
    res(code);
  }));
  const stop = (): Promise<number | null> => {
    child.stdin!.end();
    return closed;
  };
  return { child, first, closed, stderr: () => err, stop };
}

/** Kill whatever is still running and wait for it. */
export async function killAll(started: Started[]): Promise<void> {
  for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  await Promise.all(started.map((s) => s.closed));
}
