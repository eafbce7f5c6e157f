#!/usr/bin/env node
// Controller memory per distinct path: N open frames with distinct paths go through the real
// byte path (msgpack frames, the controller's frame pipeline) into the real Aggregator, then the
// receipt goes through the real writer to a file. Prints bytes per distinct path: heap and RSS
// growth of the folded tables, and the peak RSS while the receipt is written. Needs --expose-gc.
//
//   node --expose-gc test/bench/memory.mjs [--pkg DIR] [--paths N] [--kind failed|read|write|readwrite|mixed] [--out FILE]
//
// --pkg: the package whose controller sources are measured (default: this tree), bundled here
// with esbuild as the CLI's bundle is. One JSON line on stdout.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const PKG = path.resolve(opt('pkg', path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..')));
const N = Number(opt('paths', '1000000'));
const KIND = opt('kind', 'failed');
const OUT = opt('out', path.join(os.tmpdir(), `gh-memory-${process.pid}.json`));
if (typeof globalThis.gc !== 'function') {
  console.error('memory: run with node --expose-gc');
  process.exit(2);
}
if (!['failed', 'read', 'write', 'readwrite', 'mixed'].includes(KIND) || !(N > 0)) {
  console.error('memory: --kind failed|read|write|readwrite|mixed, --paths N > 0');
  process.exit(2);
}

// the controller's own modules, bundled from its sources (the CLI's bundle exports nothing)
const require = createRequire(path.join(PKG, 'package.json'));
const bundled = path.join(os.tmpdir(), `gh-memory-${process.pid}.mjs`);
await require('esbuild').build({
  stdin: {
    contents: ['aggregate/aggregate', 'collector/frame-pipeline', 'receipt/write-receipt']
      .map((m) => `export * from ${JSON.stringify(path.join(PKG, 'controller', `${m}.ts`))};`).join('\n'),
    resolveDir: PKG,
    loader: 'ts',
  },
  bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile: bundled, logLevel: 'error',
  banner: { js: "import { createRequire as r } from 'node:module'; const require = r(import.meta.url);" },
});
const { Aggregator, FramePipeline, writeReceipt } = await import(pathToFileURL(bundled).href);
fs.rmSync(bundled, { force: true });
const { Packr } = require('msgpackr');
const packr = new Packr({ useRecords: false });

const ROOT = 4242;
const T0 = 86_400_000_000_000;
const START = T0 + 500_000;
const facts = {
  glasshouse_version: '0.3.0', command: ['storm'], guest: false, guest_mounts: [],
  started_at: '2024-05-01T12:00:00.000Z', finished_at: '2024-05-01T12:00:10.000Z',
  mono_start_ns: T0, mono_end_ns: T0 + 10e9, root_pid: ROOT, controller_pid: 4200,
  exit: { code: 0, signal: null }, exec_error: null, errors: [],
  stdout: { sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', bytes: 0 },
  stderr: { sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', bytes: 0 },
  environment: { hostname: 'bench', kernel: os.release(), arch: 'x86_64', uid: 0, gid: 0, cwd: '/home/builder/project' },
  command_realpath: '/usr/local/bin/storm', collector: { status: 'ok', reason: null },
};

// a path of a realistic length (about 50 bytes), distinct for every i
const pathOf = (i) => `/home/builder/project/src/mod${i % 997}/file-${i}.c`;
const MODES = { failed: 'read', read: 'read', write: 'write', readwrite: 'readwrite' };
function openFrame(i) {
  const kind = KIND === 'mixed' ? ['failed', 'read', 'write'][i % 3] : KIND;
  const failed = kind === 'failed';
  const mode = MODES[kind];
  return {
    t: 'open', ts: START + i, pid: ROOT, start: START, tid: ROOT, call: 'openat',
    flags: { read: 0, write: 0o1101, readwrite: 2 }[mode], mode, err: failed ? 'ENOENT' : null,
    path: pathOf(i), base: failed ? '/home/builder/project' : null, path_truncated: false,
    // protocol 4: an output of a build is a file it created
    created: !failed && mode !== 'read', truncated: false,
    // the kernel hands out repeat ids while its table (65,536 entries) has room, none after
    ...(failed || i >= 65_536 ? {} : { rid: i + 1 }),
  };
}
const frameBytes = (frame) => {
  const body = packr.pack(frame);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
};

const status = (field) => Number(fs.readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) * 1024;
const settle = () => {
  for (let i = 0; i < 3; i++) globalThis.gc();
};
const mib = (b) => (b / 2 ** 20).toFixed(1);

settle();
const m0 = process.memoryUsage();
const t0 = performance.now();

const aggregator = new Aggregator();
aggregator.setRoot({ root_pid: ROOT, controller_pid: facts.controller_pid, environment: facts.environment });
const pipeline = new FramePipeline((f) => aggregator.add(f));
pipeline.push(frameBytes({ t: 'hello', proto: 4, version: '0.3.0', arch: 'x86_64', mono_ns: T0, real_ns: 1.7e18, argv: true, ringbuf: 1 << 24, privilege: 'root' }));
pipeline.push(frameBytes({ t: 'following', pid: ROOT }));
pipeline.push(frameBytes({
  t: 'exec', ts: START, pid: ROOT, start: START, tid: ROOT, ppid: 4200, uid: 0, euid: 0, call: 'execve',
  path: '/usr/local/bin/storm', base: null, err: null, exe: '/usr/local/bin/storm', cwd: '/home/builder/project',
  argv: ['storm'], argv_truncated: false, privileged: false,
}));
// in chunks of about 64 KiB, as the helper's pipe delivers them
const BATCH = 1000;
for (let i = 0; i < N; i += BATCH) {
  const frames = [];
  for (let j = i; j < Math.min(N, i + BATCH); j++) frames.push(frameBytes(openFrame(j)));
  pipeline.push(Buffer.concat(frames));
}
pipeline.push(frameBytes({ t: 'exit', ts: T0 + 9e9, pid: ROOT, start: START, code: 0, sig: null, core: false }));
pipeline.push(frameBytes({ t: 'end', ts: T0 + 10e9, events: N + 2, lost: 0, lost_by_type: {}, syscalls: { openat: N }, reason: 'stop' }));
pipeline.end();
if (pipeline.errors.length > 0) throw pipeline.errors[0];
const foldMs = performance.now() - t0;

settle();
const m1 = process.memoryUsage();
// the peak of the write alone: reset VmHWM (Linux: 5 > clear_refs), then read it after
let hwmReset = true;
try {
  fs.writeFileSync('/proc/self/clear_refs', '5');
} catch {
  hwmReset = false;
}
const t1 = performance.now();
const writer = 'streaming';
await writeReceipt(OUT, aggregator.finishLazy(facts, []));
const writeMs = performance.now() - t1;
const peak = status('VmHWM');
const bytes = fs.statSync(OUT).size;

// the receipt holds every path: count the entries of reads, writes and failed (those with pids;
// filesystem.outputs names the written paths once more) without parsing it whole
const MARK = '"pids": [';
let entries = 0;
{
  const fd = fs.openSync(OUT, 'r');
  const buf = Buffer.alloc(1 << 20);
  let carry = '';
  for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) {
    const text = carry + buf.toString('latin1', 0, n);
    entries += text.split(MARK).length - 1;
    carry = text.slice(-64);
    entries -= carry.split(MARK).length - 1;
  }
  entries += carry.split(MARK).length - 1;
  fs.closeSync(fd);
}
fs.rmSync(OUT, { force: true });
const expected = KIND === 'readwrite' ? 2 * N : N;

const result = {
  kind: KIND,
  paths: N,
  writer,
  path_bytes: pathOf(N - 1).length,
  fold_s: +(foldMs / 1000).toFixed(2),
  write_s: +(writeMs / 1000).toFixed(2),
  heap_per_path: Math.round((m1.heapUsed - m0.heapUsed) / N),
  rss_per_path: Math.round((m1.rss - m0.rss) / N),
  peak_rss_per_path: Math.round((peak - m0.rss) / N),
  peak_scope: hwmReset ? 'write' : 'process',
  peak_rss_mib: +mib(peak),
  receipt_mib: +mib(bytes),
  entries_ok: entries === expected,
};
console.error(`memory: ${N} distinct ${KIND} paths (${result.path_bytes} B each): folded in ${result.fold_s} s, ` +
  `tables ${result.heap_per_path} B/path heap, ${result.rss_per_path} B/path RSS; ${writer} write ${result.write_s} s, ` +
  `peak RSS ${mib(peak)} MiB = ${result.peak_rss_per_path} B/path over the start; receipt ${mib(bytes)} MiB, ` +
  `${entries}/${expected} entries`);
console.log(JSON.stringify(result));
