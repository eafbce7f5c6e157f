#!/usr/bin/env node
// glasshouse benchmark (issue 6): runs each workload bare, under gh-run and under
// `strace -f -o /dev/null`, prints a markdown table of medians and ratios, and writes it to
// BENCHMARKS.md. Plain Node ESM, no dependencies. It reports; it never fails on a missed target.
//
//   node test/bench/bench.mjs [--quick] [--only NAME[,NAME]] [--write | --no-write] [--in-place]
//
// Other people rebuild dist/ while the bench runs, so by default (as root) the bench copies the
// built package (dist/, helper binaries, package.json, controller sources for memory.mjs; node_modules linked) into its temp dir and
// benchmarks that copy; --in-place runs the tree's own build instead.
// NAME: startup, exec, syscall, dd1g, stdout2g, open, build, network, tcp, changes, saturation, memory.
// A full run (no --quick, no --only) writes BENCHMARKS.md; other runs only print, unless --write.

import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { median, fmtMs, fmtRatio, fmtRate, fmtMiB, fmtSec, mdTable } from './format.mjs';
import { machineInfo, cpuTicks, foreignLoad } from './machine.mjs';
import { ProcMonitor } from './procmon.mjs';
import { writeBuildProject, writeTree } from './generate.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '../..');
// gh-run, its helper and its controller module; pointed at a snapshot of the build (see snapshot())
let PKG = ROOT;
// the gh-run entry point, as package.json's bin names it (it moved when the controller became a bundle)
const GHRUN_REL = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bin['gh-run'];
let GHRUN = path.join(ROOT, GHRUN_REL);
let HELPER = path.join(ROOT, 'helper/glasshouse-helper');
const ALL = ['startup', 'exec', 'syscall', 'dd1g', 'stdout2g', 'open', 'build', 'network', 'tcp', 'changes', 'saturation', 'memory'];

// ---------------------------------------------------------------------------------------------
// options

function parseArgs(argv) {
  const opts = { quick: false, only: null, write: null, inPlace: process.getuid?.() !== 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--write') opts.write = true;
    else if (a === '--no-write') opts.write = false;
    else if (a === '--in-place') opts.inPlace = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      opts.only = String(v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const bad = opts.only.filter((n) => !ALL.includes(n));
      if (bad.length || !opts.only.length) {
        console.error(`bench: unknown workload ${bad.join(',') || '(none)'}; choose from ${ALL.join(',')}`);
        process.exit(2);
      }
    } else if (a === '--help' || a === '-h') {
      console.log('usage: node test/bench/bench.mjs [--quick] [--only NAME[,NAME]] [--write|--no-write] [--in-place]');
      console.log(`workloads: ${ALL.join(', ')}`);
      process.exit(0);
    } else {
      console.error(`bench: unknown option ${a}`);
      process.exit(2);
    }
  }
  if (opts.write === null) opts.write = !opts.quick && !opts.only;
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const Q = opts.quick;

// sizes and repetitions; --quick shrinks both for a smoke check
const SIZE = Q
  ? { exec: 300, dd: 300_000, ddStrace: 30_000, opens: 6_000, treeFiles: 2_000, build: 30, conns: 500, changes: 5_000,
      tcpMiB: 32, tcpConns: 200, ddFileMiB: 64, stdoutGiB: 1,
      satSeconds: 0.5, satStart: 62_500, satBound: 1_000_000, memPaths: 100_000, memBig: 0 }
  : { exec: 3_000, dd: 6_000_000, ddStrace: 30_000, opens: 2_000_000, treeFiles: 20_000, build: 300, conns: 90_000, changes: 50_000,
      tcpMiB: 2_048, tcpConns: 2_000, ddFileMiB: 2_048, stdoutGiB: 2,
      satSeconds: 2, satStart: 62_500, satBound: 4_000_000, memPaths: 1_000_000, memBig: 4_000_000 };
// the memory target: controller memory per distinct path in the receipt
const MEM_TARGET = 300;
const RUNS = Q ? { fast: 2, slow: 1, startup: 3 } : { fast: 5, slow: 3, startup: 10 };

const log = (...a) => console.error('bench:', ...a);
const fmtSize = (mib) => (mib >= 1024 ? `${+(mib / 1024).toFixed(1)} GiB` : `${+mib.toFixed(1)} MiB`);

// ---------------------------------------------------------------------------------------------
// running one command, timed, optionally sampling gh-run's controller and helper from /proc

function runTimed(argv, { cwd, monitor = false, env } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const mon = monitor ? new ProcMonitor(child.pid, 'glasshouse-help', 20) : null;
    let ms = 0;
    let code = null;
    let signal = null;
    child.on('error', (err) => {
      mon?.stop();
      resolve({ ms: NaN, code: -1, signal: null, stderr: String(err), mon: null });
    });
    child.on('exit', (c, s) => {
      ms = performance.now() - t0;
      code = c;
      signal = s;
      mon?.stop();
    });
    child.on('close', () => resolve({ ms, code, signal, stderr, mon: mon?.result() ?? null }));
  });
}

function readReceipt(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// workloads

function have(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function compile(tmp, name) {
  const out = path.join(tmp, 'bin', name);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  execFileSync('cc', ['-O2', '-Wall', '-o', out, path.join(BENCH_DIR, `${name}.c`)], { stdio: 'inherit' });
  return out;
}

// a workload that cannot run here (say, too little disk): reported as skipped, the bench goes on
class Skip extends Error {}

// free space on the file system holding dir, in bytes, from `df -Pk` (the "Available" column)
function freeBytes(dir) {
  const out = execFileSync('df', ['-Pk', dir], { encoding: 'utf8' }).trim().split('\n');
  const cols = out[out.length - 1].trim().split(/\s+/);
  return { bytes: Number(cols[3]) * 1024, fs: cols[0], mount: cols[5] };
}

// a file of mib MiB of random (incompressible, not sparse) data, written and synced to disk
function writeDataFile(file, mib) {
  const chunk = crypto.randomBytes(1 << 20);
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < mib; i++) fs.writeSync(fd, chunk);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

// flush dirty pages of the file system holding dir (a previous run's output), untimed
function syncFs(dir) {
  try {
    execFileSync('sync', ['-f', dir], { stdio: 'ignore' });
  } catch {
    execFileSync('sync', [], { stdio: 'ignore' });
  }
}

function makeWorkloads(tmp) {
  const bin = (n) => path.join(tmp, 'bin', n);
  return {
    exec: {
      title: `exec storm (${SIZE.exec} × /bin/true)`,
      runs: RUNS.slow,
      target: 1.15,
      argv: () => ['/bin/sh', '-c', `i=0; while [ $i -lt ${SIZE.exec} ]; do /bin/true; i=$((i+1)); done`],
    },
    syscall: {
      title: `syscall storm (dd bs=1 count=${SIZE.dd})`,
      runs: RUNS.slow,
      target: 1.5,
      argv: () => ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${SIZE.dd}`],
      // strace on the full count takes minutes: run it on a smaller count and scale linearly
      strace: {
        argv: () => ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${SIZE.ddStrace}`],
        scale: SIZE.dd / SIZE.ddStrace,
        note: `strace run on count=${SIZE.ddStrace} and scaled ×${SIZE.dd / SIZE.ddStrace} (the full count takes minutes)`,
      },
    },
    // a real file copy in 4 KiB blocks (262144 reads + 262144 writes for 1 GiB) through the page
    // cache; unlike the syscall storm above (dd bs=1 from /dev/zero to /dev/null, unchanged), the
    // bytes go to and from a file of the bench's temp dir
    dd1g: {
      title: `file copy (dd bs=4k of a ${fmtSize(SIZE.ddFileMiB)} file)`,
      runs: RUNS.slow,
      target: 1.5,
      setup() {
        // the source, the copy, and 256 MiB to spare
        const need = (2 * SIZE.ddFileMiB + 256) * 2 ** 20;
        const free = freeBytes(tmp);
        log(`dd1g: df ${tmp}: ${fmtSize(free.bytes / 2 ** 20)} available on ${free.mount} (${free.fs}); ` +
          `needs ${fmtSize(need / 2 ** 20)} (source + copy + 256 MiB)`);
        if (!(free.bytes >= need)) {
          throw new Skip(`not enough free space on ${free.mount} for the ${fmtSize(SIZE.ddFileMiB)} copy: ` +
            `df says ${fmtSize(free.bytes / 2 ** 20)} available, ${fmtSize(need / 2 ** 20)} needed`);
        }
        log(`dd1g: writing the ${fmtSize(SIZE.ddFileMiB)} source file (untimed)`);
        writeDataFile(path.join(tmp, 'dd-src'), SIZE.ddFileMiB);
      },
      // every run writes a new file: the previous copy is deleted and the file system synced first
      before() {
        fs.rmSync(path.join(tmp, 'dd-dst'), { force: true });
        syncFs(tmp);
      },
      after() {
        fs.rmSync(path.join(tmp, 'dd-src'), { force: true });
        fs.rmSync(path.join(tmp, 'dd-dst'), { force: true });
      },
      argv: () => ['dd', `if=${path.join(tmp, 'dd-src')}`, `of=${path.join(tmp, 'dd-dst')}`, 'bs=4k'],
    },
    // the command's output relayed and hashed: 2 GiB to stdout (/dev/null, as every mode here),
    // also measured through a plain pipe relay (`| cat`), what gh-run's relay is compared with
    stdout2g: {
      title: `stdout (head -c ${SIZE.stdoutGiB}G /dev/zero > /dev/null)`,
      runs: RUNS.slow,
      target: 1.5,
      argv: () => ['head', '-c', `${SIZE.stdoutGiB}G`, '/dev/zero'],
      relay: () => ['sh', '-c', `head -c ${SIZE.stdoutGiB}G /dev/zero | cat > /dev/null`],
      // strace would only time head's 2 GiB of 8 KiB reads and writes
      noStrace: 'not run: strace would time head\'s small reads and writes, not the relay',
    },
    open: {
      title: `open storm (${SIZE.opens / 1000}k opens of one file + ${SIZE.treeFiles / 1000}k-file tree)`,
      runs: RUNS.fast,
      target: 1.5,
      setup() {
        compile(tmp, 'openstorm');
        fs.writeFileSync(path.join(tmp, 'one'), 'one\n');
        writeTree(path.join(tmp, 'tree'), SIZE.treeFiles);
        writeTree(path.join(tmp, 'tree20'), SIZE.treeFiles / 20);
      },
      argv: () => [bin('openstorm'), path.join(tmp, 'one'), String(SIZE.opens), path.join(tmp, 'tree')],
      // strace on the full storm takes minutes: a twentieth of the opens and of the tree, scaled
      strace: {
        argv: () => [bin('openstorm'), path.join(tmp, 'one'), String(SIZE.opens / 20), path.join(tmp, 'tree20')],
        scale: 20,
        note: 'strace run on a twentieth of the opens and of the tree and scaled ×20 (the full storm takes minutes)',
      },
    },
    build: {
      title: `build (make -j2, ${SIZE.build} C files)`,
      runs: RUNS.slow,
      target: 1.05,
      setup() {
        writeBuildProject(path.join(tmp, 'proj'), SIZE.build);
      },
      before() {
        execFileSync('make', ['-s', '-C', path.join(tmp, 'proj'), 'clean'], { stdio: 'ignore' });
      },
      argv: () => ['make', '-s', '-j2', '-C', path.join(tmp, 'proj')],
    },
    network: {
      title: `network (${SIZE.conns} loopback TCP connects)`,
      runs: RUNS.fast,
      target: 1.3,
      setup() {
        compile(tmp, 'connstorm');
      },
      argv: () => [bin('connstorm'), String(SIZE.conns)],
    },
    tcp: {
      title: `tcp (${fmtSize(SIZE.tcpMiB)} loopback transfer in 64 KiB writes + ${SIZE.tcpConns} short connects)`,
      runs: RUNS.fast,
      target: 1.3,
      setup() {
        compile(tmp, 'tcpstorm');
      },
      argv: () => [bin('tcpstorm'), String(SIZE.tcpMiB), String(SIZE.tcpConns)],
    },
    changes: {
      title: `changes (${SIZE.changes / 1000}k files created, renamed, then rm -rf)`,
      runs: RUNS.slow,
      target: 1.5,
      setup() {
        compile(tmp, 'changestorm');
      },
      before() {
        fs.rmSync(path.join(tmp, 'changes'), { recursive: true, force: true });
      },
      argv: () => ['/bin/sh', '-c', `${bin('changestorm')} changes ${SIZE.changes} >/dev/null && rm -rf changes`],
    },
  };
}

async function benchWorkload(name, w, tmp, straceOk) {
  log(`${name}: ${w.title}`);
  try {
    w.setup?.();
  } catch (err) {
    if (!(err instanceof Skip)) throw err;
    w.after?.();
    log(`${name}: SKIPPED: ${err.message}`);
    return { name, title: w.title, target: w.target, bare: [], gh: [], strace: [], errors: [], skipped: err.message, straceNote: null };
  }
  try {
    return await measureWorkload(name, w, tmp, straceOk);
  } finally {
    w.after?.();
  }
}

async function measureWorkload(name, w, tmp, straceOk) {
  const rjson = path.join(tmp, 'r.json');
  const argv = w.argv();
  const sArgv = w.strace?.argv ? w.strace.argv() : argv;
  const sScale = w.strace?.scale ?? 1;
  const modes = {
    bare: () => runTimed(argv, { cwd: tmp }),
    gh: () => {
      fs.rmSync(rjson, { force: true });
      return runTimed([process.execPath, GHRUN, '-q', '-o', rjson, '--', ...argv], { cwd: tmp, monitor: true });
    },
    strace: () => runTimed(['strace', '-f', '-o', '/dev/null', ...sArgv], { cwd: tmp }),
    relay: () => runTimed(w.relay(), { cwd: tmp }),
  };
  const runStrace = straceOk && !w.noStrace;
  const res = { name, title: w.title, target: w.target, bare: [], gh: [], strace: [], relay: [], errors: [],
    straceNote: w.noStrace ?? (straceOk ? (w.strace?.note ?? null) : 'strace not installed') };

  const once = async (mode, keep) => {
    w.before?.();
    const r = await modes[mode]();
    if (r.code !== 0) res.errors.push(`${mode}: exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-2).join(' / ')}`);
    if (!keep) return;
    if (mode === 'gh') {
      const rec = readReceipt(rjson);
      if (!rec) res.errors.push('gh: no receipt');
      res.gh.push({
        ms: r.ms,
        events: rec?.collector?.events ?? NaN,
        folded: rec?.collector?.events_folded ?? 0,
        lost: rec?.collector?.events_lost ?? NaN,
        status: rec?.collector?.status ?? 'missing',
        tracedMs: rec?.timing?.duration_ms ?? rec?.duration_ms ?? NaN,
        ...r.mon,
      });
    } else if (mode === 'strace') {
      res.strace.push(r.ms * sScale);
    } else if (mode === 'relay') {
      res.relay.push(r.ms);
    } else {
      res.bare.push(r.ms);
    }
  };

  const modeList = [...(runStrace ? ['bare', 'gh', 'strace'] : ['bare', 'gh']), ...(w.relay ? ['relay'] : [])];
  // warm-up (page cache, compiler, node modules), not counted
  await once('bare', false);
  await once('gh', false);
  for (let i = 0; i < w.runs; i++) {
    for (const m of modeList) await once(m, true);
  }
  const bare = median(res.bare);
  const gh = median(res.gh.map((g) => g.ms));
  const st = median(res.strace);
  const relay = median(res.relay);
  log(`${name}: bare ${fmtMs(bare)}, gh-run ${fmtMs(gh)} (${fmtRatio(gh / bare)}×)` +
    (runStrace ? `, strace ${fmtMs(st)} (${fmtRatio(st / bare)}×)` : '') +
    (w.relay ? `, pipe relay ${fmtMs(relay)} (gh-run / relay ${fmtRatio(gh / relay)}×)` : '') +
    `; events_lost per gh-run run: ${res.gh.map((g) => g.lost).join(', ')}` +
    (res.gh.every((g) => g.lost === 0) ? '' : ' (NOT 0)'));
  return res;
}

// startup: gh-run -- true against true and node -e 0, plus the two halves of gh-run's start
async function benchStartup(tmp, straceOk) {
  log('startup');
  const n = RUNS.startup;
  const rjson = path.join(tmp, 'r.json');
  const series = {
    bare: ['true'],
    node: [process.execPath, '-e', '0'],
    gh: [process.execPath, GHRUN, '-q', '-o', rjson, '--', 'true'],
    strace: ['strace', '-f', '-o', '/dev/null', 'true'],
    // node loading the controller and parsing a command line, no run
    nodeImport: [process.execPath, GHRUN, '--version'],
    helper: ['sh', '-c', `exec ${HELPER} </dev/null >/dev/null`],
  };
  if (!straceOk) delete series.strace;
  const out = Object.fromEntries(Object.keys(series).map((k) => [k, []]));
  const gh = [];
  const errors = [];
  for (let i = -1; i < n; i++) {
    for (const [k, argv] of Object.entries(series)) {
      if (k === 'gh') fs.rmSync(rjson, { force: true });
      const r = await runTimed(argv, { cwd: tmp, monitor: k === 'gh' });
      if (r.code !== 0) errors.push(`${k}: exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-1)}`);
      if (i < 0) continue; // warm-up
      out[k].push(r.ms);
      if (k === 'gh') {
        const rec = readReceipt(rjson);
        gh.push({ ms: r.ms, events: rec?.collector?.events ?? NaN, folded: rec?.collector?.events_folded ?? 0, lost: rec?.collector?.events_lost ?? NaN,
          status: rec?.collector?.status ?? 'missing', tracedMs: rec?.timing?.duration_ms ?? NaN, ...r.mon });
      }
    }
  }
  log(`startup: true ${fmtMs(median(out.bare))}, node -e 0 ${fmtMs(median(out.node))}, gh-run -- true ${fmtMs(median(out.gh))}`);
  return {
    name: 'startup', title: 'startup (`gh-run -- true`)', bare: out.bare, gh, strace: out.strace ?? [],
    straceNote: straceOk ? null : 'strace not installed', errors,
    node: out.node, nodeImport: out.nodeImport, helper: out.helper,
  };
}

// saturation: paced open storm whose rate doubles until the first lost event or the bound
async function benchSaturation(tmp) {
  log('saturation');
  const sat = compile(tmp, 'saturate');
  const file = path.join(tmp, 'one');
  fs.writeFileSync(file, 'one\n');
  const outFile = path.join(tmp, 'sat.out');
  const rjson = path.join(tmp, 'r.json');
  const workers = String(Math.max(1, os.cpus().length));
  const readOut = () => {
    const [ns, opens] = fs.readFileSync(outFile, 'utf8').trim().split(/\s+/).map(Number);
    return { sec: ns / 1e9, opens };
  };
  // the producer's own ceiling, untraced
  await runTimed([sat, file, '1e12', String(SIZE.satSeconds), workers, outFile], { cwd: tmp });
  const bareMax = readOut();
  const steps = [];
  let prevDelivered = 0;
  let flat = 0;
  for (let rate = SIZE.satStart; rate <= SIZE.satBound; rate *= 2) {
    fs.rmSync(rjson, { force: true });
    fs.rmSync(outFile, { force: true });
    const r = await runTimed(
      [process.execPath, GHRUN, '-q', '-o', rjson, '--', sat, file, String(rate), String(SIZE.satSeconds), workers, outFile],
      { cwd: tmp, monitor: true });
    const rec = readReceipt(rjson);
    let loop = { sec: NaN, opens: NaN };
    try {
      loop = readOut();
    } catch { /* reported below as NaN */ }
    const events = rec?.collector?.events ?? NaN;
    const folded = rec?.collector?.events_folded ?? 0;
    const lost = rec?.collector?.events_lost ?? NaN;
    // what reached the receipt: the count of the file's entry (events sent + repeats counted in
    // the kernel), which must be every open the workers made
    const inReceipt = rec?.filesystem?.reads?.find((e) => e.path === fs.realpathSync(file))?.count ?? NaN;
    const step = { rate, opens: loop.opens, loopSec: loop.sec, events, folded, inReceipt, lost, delivered: inReceipt / loop.sec,
      offered: loop.opens / loop.sec, ms: r.ms, ...r.mon, status: rec?.collector?.status ?? 'missing' };
    steps.push(step);
    log(`saturation: target ${fmtRate(rate)}/s -> opens ${fmtRate(step.offered)}/s, delivered ${fmtRate(step.delivered)}/s, lost ${lost}`);
    if (!(lost === 0)) break;
    if (inReceipt !== loop.opens) {
      log(`saturation: the receipt counts ${inReceipt} opens of the file, the workers made ${loop.opens}: stop`);
      step.lost = Number.isFinite(inReceipt) && Number.isFinite(loop.opens) ? Math.abs(loop.opens - inReceipt) : NaN;
      break;
    }
    // the producer cannot go faster under tracing: two doublings in a row that fall well short
    // of their target and deliver no more than the best so far end the ramp
    if (step.offered < 0.6 * rate && step.delivered < 1.15 * prevDelivered) {
      if (++flat >= 2) break;
    } else {
      flat = 0;
    }
    prevDelivered = Math.max(prevDelivered, step.delivered);
  }
  const clean = steps.filter((s) => s.lost === 0);
  const best = clean.reduce((a, s) => (s.delivered > (a?.delivered ?? -1) ? s : a), null);
  const firstLoss = steps.find((s) => s.lost > 0) ?? null;
  return { steps, best, firstLoss, bareMax: bareMax.opens / bareMax.sec, workers: Number(workers) };
}

// memory: controller bytes per distinct path, synthetic (test/bench/memory.mjs: frames through the
// real pipeline, aggregator and receipt writer) and end to end (gh-run -- failstorm N)
async function benchMemory(tmp) {
  log('memory');
  const synthetic = [];
  const cases = [['failed', SIZE.memPaths], ['read', SIZE.memPaths], ...(SIZE.memBig ? [['failed', SIZE.memBig]] : [])];
  for (const [kind, n] of cases) {
    const out = path.join(tmp, 'mem.json');
    const r = await runCapture([process.execPath, '--expose-gc', path.join(BENCH_DIR, 'memory.mjs'), '--pkg', PKG, '--paths', String(n), '--kind', kind, '--out', out]);
    let res = null;
    try {
      res = JSON.parse(r.stdout.trim().split('\n').pop());
    } catch { /* reported as an error */ }
    synthetic.push(res ?? { kind, paths: n, error: `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' / ')}` });
    log(`memory: ${n} ${kind}: ${res ? `tables ${res.rss_per_path} B/path RSS, peak ${res.peak_rss_per_path} B/path` : 'failed'}`);
  }
  const storm = compile(tmp, 'failstorm');
  const rjson = path.join(tmp, 'r.json');
  const ghRun = (argv) => {
    fs.rmSync(rjson, { force: true });
    return runTimed([process.execPath, GHRUN, '-q', '-o', rjson, '--', ...argv], { cwd: tmp, monitor: true });
  };
  const base = await ghRun(['true']);
  const e2e = [];
  for (const n of [SIZE.memPaths, ...(SIZE.memBig ? [SIZE.memBig] : [])]) {
    const r = await ghRun([storm, String(n), '/nonexistent-gh-bench']);
    const scan = scanReceipt(rjson);
    const peak = (r.mon?.peakKiB?.[0] ?? NaN) * 1024;
    const basePeak = (base.mon?.peakKiB?.[0] ?? NaN) * 1024;
    const row = { n, code: r.code, sec: r.ms / 1000, tracedSec: scan.durationMs / 1000, peakMiB: peak / 2 ** 20, basePeakMiB: basePeak / 2 ** 20,
      perPath: (peak - basePeak) / scan.failed, ...scan };
    e2e.push(row);
    log(`memory: gh-run -- failstorm ${n}: exit ${r.code}, ${fmtSec(row.sec)}, controller peak ${fmtMiB(row.peakMiB)} MiB ` +
      `(${row.perPath.toFixed(0)} B/path over gh-run -- true), receipt ${fmtMiB(row.receiptMiB)} MiB, ${row.failed} failed entries, ${row.lost} lost`);
  }
  fs.rmSync(rjson, { force: true });
  return { synthetic, e2e };
}

function runCapture(argv) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// a receipt too big for one JSON.parse (V8 strings end near 512 MiB): its size, the collector's
// counts and the command's duration from its head, its failed entries counted chunk by chunk
function scanReceipt(file) {
  const out = { receiptMiB: NaN, failed: NaN, lost: NaN, events: NaN, status: 'missing', durationMs: NaN };
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return out;
  }
  out.receiptMiB = fs.fstatSync(fd).size / 2 ** 20;
  const buf = Buffer.alloc(1 << 20);
  const needle = '"errno": "';
  let carry = '';
  let head = null;
  out.failed = 0;
  for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) {
    const text = carry + buf.toString('latin1', 0, n);
    head ??= text;
    out.failed += text.split(needle).length - 1;
    carry = text.slice(-needle.length + 1); // too short to hold the needle: no match counted twice
  }
  fs.closeSync(fd);
  const num = (re) => Number(head?.match(re)?.[1] ?? NaN);
  out.lost = num(/"events_lost": (\d+)/);
  out.events = num(/"events": (\d+)/);
  out.durationMs = num(/"duration_ms": ([\d.e+]+)/);
  out.status = head?.match(/"status": "(\w+)"/)?.[1] ?? 'missing';
  return out;
}

// ---------------------------------------------------------------------------------------------
// report

function summarize(res) {
  const bare = median(res.bare);
  const ghMs = median(res.gh.map((g) => g.ms));
  const st = res.strace.length ? median(res.strace) : NaN;
  const rates = res.gh.map((g) => (g.events + (g.folded ?? 0)) / (g.ms / 1000));
  const max = (xs) => {
    const v = xs.filter((x) => Number.isFinite(x));
    return v.length ? Math.max(...v) : NaN;
  };
  return {
    bare, gh: ghMs, strace: st,
    ghRatio: ghMs / bare, straceRatio: st / bare,
    eventsPerSec: median(rates),
    events: median(res.gh.map((g) => g.events)),
    folded: median(res.gh.map((g) => g.folded ?? 0)),
    lost: max(res.gh.map((g) => g.lost)),
    statuses: [...new Set(res.gh.map((g) => g.status))],
    ctlMiB: max(res.gh.map((g) => g.peakKiB?.[0] ?? NaN)) / 1024,
    helperMiB: max(res.gh.map((g) => g.peakKiB?.[1] ?? NaN)) / 1024,
    ctlCpu: median(res.gh.map((g) => g.cpuSec?.[0] ?? NaN)),
    helperCpu: median(res.gh.map((g) => g.cpuSec?.[1] ?? NaN)),
    tracedMs: median(res.gh.map((g) => g.tracedMs)),
  };
}

function buildReport(results, saturation, machine, memory) {
  const lines = [];
  const verdicts = [];
  const main = [];
  const diag = [];
  // the fixed cost of a run, measured in this bench run: (gh - startup) / bare is the per-event cost
  const stRes = results.find((r) => r.name === 'startup' && !r.skipped);
  const startupMs = stRes ? median(stRes.gh.map((g) => g.ms)) : NaN;
  for (const res of results) {
    if (res.skipped) {
      verdicts.push({ name: res.name, skipped: res.skipped, met: true, lostOk: true });
      main.push([res.title, `skipped: ${res.skipped}`, '-', '-', '-', '-', '-', '-', '-', '-', '-', `≤ ${res.target}`, 'skipped']);
      diag.push([res.title, '-', '-', '-', '-', '-', '-', 'skipped', res.skipped]);
      continue;
    }
    const s = summarize(res);
    let target;
    let met;
    if (res.name === 'startup') {
      const node = median(res.node);
      const r = s.gh / node;
      target = `≤ 2.5× \`node -e 0\` (${fmtMs(node)}): ${fmtRatio(r)}×`;
      met = r <= 2.5;
    } else {
      target = `≤ ${res.target}`;
      met = s.ghRatio <= res.target;
    }
    const lostOk = s.lost === 0;
    const ok = met && lostOk;
    verdicts.push({ name: res.name, met, lostOk, s });
    const stCell = res.straceNote && !res.strace.length ? `skipped (${res.straceNote})`
      : res.straceNote ? `${fmtMs(s.strace)}*` : fmtMs(s.strace);
    const net = res.name === 'startup' || !Number.isFinite(startupMs) ? '-' : fmtRatio((s.gh - startupMs) / s.bare);
    main.push([res.title, fmtMs(s.bare), fmtMs(s.gh), stCell, fmtRatio(s.ghRatio), net,
      res.strace.length ? fmtRatio(s.straceRatio) : '-', fmtRate(s.eventsPerSec), String(s.lost),
      fmtMiB(s.ctlMiB), fmtMiB(s.helperMiB), target, ok ? 'yes' : met ? 'no (events lost)' : lostOk ? 'no' : 'no (+ events lost)']);
    diag.push([res.title, String(s.events), String(s.folded), fmtMs(s.tracedMs), fmtRatio(s.tracedMs / s.bare), fmtSec(s.ctlCpu), fmtSec(s.helperCpu),
      s.statuses.join(','), res.errors.length ? res.errors.slice(0, 2).join('; ') : '']);
  }
  const runsNote = `Medians of ${RUNS.fast} runs for fast workloads (open, network, tcp), ${RUNS.slow} for slow ones ` +
    `(exec, syscall, file copy, build, changes), ${RUNS.startup} for startup; one warm-up run (bare and gh-run) first; modes interleaved.`;
  if (main.length) {
    lines.push(mdTable(['workload', 'bare', 'gh-run', 'strace -f', 'gh/bare', 'net (gh − startup)/bare', 'strace/bare', 'events/s (sent + folded)',
      'events lost', 'controller peak MiB', 'helper peak MiB', 'target (gh/bare)', 'met'], main));
    lines.push('');
    lines.push(runsNote);
    lines.push('');
    lines.push(`net (gh − startup)/bare: the workload's gh-run time less the fixed cost of a run (\`gh-run -- true\`, ` +
      `${Number.isFinite(startupMs) ? fmtMs(startupMs) : 'not measured'} in this bench run), over bare: the cost per event, ` +
      'which a short workload would hide behind the fixed one.');
    const notes = results.filter((r) => r.straceNote && r.strace.length).map((r) => `\\* ${r.title}: ${r.straceNote}.`);
    for (const n of notes) lines.push('', n);
    for (const r of results.filter((x) => x.relay?.length)) {
      const s = summarize(r);
      const relay = median(r.relay);
      lines.push('', `${r.title}: plain pipe relay (\`| cat > /dev/null\`) ${fmtMs(relay)}; ` +
        `gh-run / relay ${fmtRatio(s.gh / relay)}×, relay / bare ${fmtRatio(relay / s.bare)}×.`);
    }
    lines.push('');
    lines.push('Where the time goes (gh-run runs, medians): events sent by the helper (`collector.events`) and repeats ' +
      'counted in the kernel instead (`collector.events_folded`, in the receipt\'s counts); the traced command\'s own duration ' +
      'from the receipt (`timing.duration_ms`) and its ratio to bare; CPU time (user+system) of the controller ' +
      '(the gh-run node process) and of the helper, sampled from `/proc/<pid>/stat` every 20 ms, last value seen.');
    lines.push('');
    lines.push(mdTable(['workload', 'events sent', 'events folded', 'traced duration', 'traced/bare', 'controller CPU', 'helper CPU',
      'collector status', 'errors'], diag));
  }
  const st = results.find((r) => r.name === 'startup');
  if (st) {
    lines.push('');
    lines.push('Startup split (medians): ' +
      `\`true\` ${fmtMs(median(st.bare))}, \`node -e 0\` ${fmtMs(median(st.node))}, ` +
      `node loading the controller (\`gh-run --version\`) ${fmtMs(median(st.nodeImport))}, ` +
      `helper alone (load + attach BPF, stdin at EOF) ${fmtMs(median(st.helper))}, ` +
      `\`gh-run -- true\` ${fmtMs(median(st.gh.map((g) => g.ms)))}.`);
  }
  if (saturation) {
    const { steps, best, firstLoss, bareMax, workers } = saturation;
    lines.push('');
    lines.push(`### Saturation`);
    lines.push('');
    lines.push(`${workers} processes open (and close) one file, paced to a target rate for ${SIZE.satSeconds} s; the ` +
      `target doubles from ${fmtRate(SIZE.satStart)}/s up to ${fmtRate(SIZE.satBound)}/s, stopping at the first lost ` +
      `event or after two doublings in a row where the traced producer could not go faster. delivered = the receipt's count of ` +
      `opens of the file (events sent + repeats counted in the kernel; checked equal to the opens the workers made) / wall time of the loop. ` +
      `Untraced, the same producer reaches ${fmtRate(bareMax)} opens/s.`);
    lines.push('');
    lines.push(mdTable(['target opens/s', 'achieved opens/s', 'events sent', 'events folded', 'opens in receipt', 'delivered events/s', 'events lost',
      'controller peak MiB', 'helper peak MiB', 'controller CPU', 'helper CPU'],
    steps.map((s) => [fmtRate(s.rate), fmtRate(s.offered), String(s.events), String(s.folded), String(s.inReceipt), fmtRate(s.delivered), String(s.lost),
      fmtMiB((s.peakKiB?.[0] ?? NaN) / 1024), fmtMiB((s.peakKiB?.[1] ?? NaN) / 1024), fmtSec(s.cpuSec?.[0]), fmtSec(s.cpuSec?.[1])])));
    lines.push('');
    const bestTxt = best ? `${fmtRate(best.delivered)} events/s delivered with 0 lost` : 'no step without loss';
    const lossTxt = firstLoss ? `loss started at a target of ${fmtRate(firstLoss.rate)}/s ` +
      `(${fmtRate(firstLoss.delivered)} events/s delivered, ${firstLoss.lost} lost)`
      : steps.length && steps[steps.length - 1].rate * 2 > SIZE.satBound ? 'no loss up to the bound'
        : 'no loss: the ramp stopped where the traced producer could not go faster';
    const satMet = best && best.delivered >= 1e6;
    lines.push(`**Saturation: ${bestTxt}; ${lossTxt}. Target ≥ 1M events/s without loss: ${satMet ? 'met' : 'not met'}.**`);
    verdicts.push({ name: 'saturation', met: !!satMet, lostOk: true });
  }
  if (memory) {
    const { synthetic, e2e } = memory;
    lines.push('');
    lines.push('### Memory');
    lines.push('');
    lines.push(`Controller memory per distinct path of the receipt (target ≤ ${MEM_TARGET} B). Synthetic (\`test/bench/memory.mjs\`, ` +
      'run with `--expose-gc`): open frames with distinct paths (about 45 bytes each, as the helper would send them) are msgpack-encoded, ' +
      'decoded by the controller\'s frame pipeline and folded by its Aggregator; the receipt is then written by its streaming writer. ' +
      '"tables" is the growth of heap and RSS over the start after folding (after GC), "write peak" the peak RSS while the receipt is ' +
      'written (VmHWM reset just before) over the start, both divided by the paths.');
    lines.push('');
    const mRows = synthetic.map((m) => m.error ? [m.kind, String(m.paths), '-', '-', '-', '-', '-', '-', m.error]
      : [m.kind, String(m.paths), String(m.heap_per_path), String(m.rss_per_path), String(m.peak_rss_per_path),
        fmtSec(m.fold_s), fmtSec(m.write_s), fmtMiB(m.receipt_mib), m.entries_ok ? 'all' : 'MISSING']);
    lines.push(mdTable(['paths', 'distinct', 'tables B/path (heap)', 'tables B/path (RSS)', 'write peak B/path (RSS)', 'fold', 'write',
      'receipt MiB', 'entries in receipt'], mRows));
    lines.push('');
    lines.push('End to end: `gh-run -q -o r.json -- failstorm N /nonexistent-gh-bench` (test/bench/failstorm.c: N opens of distinct ' +
      'missing paths, each one entry of `filesystem.failed`); the controller\'s peak RSS (VmHWM, sampled every 20 ms) over that of ' +
      '`gh-run -- true`, divided by the entries in the receipt.');
    lines.push('');
    lines.push(mdTable(['failed opens', 'exit', 'wall', 'command traced', 'controller peak MiB', 'B/path', 'receipt MiB', 'entries', 'events lost', 'status'],
      e2e.map((e) => [String(e.n), String(e.code), fmtSec(e.sec), fmtSec(e.tracedSec), fmtMiB(e.peakMiB), Number.isFinite(e.perPath) ? e.perPath.toFixed(0) : '-',
        fmtMiB(e.receiptMiB), String(e.failed), String(e.lost), e.status])));
    // judged from 1M paths up: below that, fixed costs (Node's young generation grows to tens of
    // MiB under any allocation-heavy load) dominate the RSS per path
    const judged = (n) => n >= 1_000_000;
    const perPath = [
      ...synthetic.filter((m) => judged(m.paths)).map((m) => m.peak_rss_per_path ?? Infinity),
      ...e2e.filter((e) => judged(e.n)).map((e) => (Number.isFinite(e.perPath) ? e.perPath : Infinity)),
    ];
    const worst = Math.max(...perPath);
    const complete = e2e.every((e) => e.code === 0 && e.failed === e.n) && synthetic.every((m) => m.entries_ok);
    const met = perPath.length > 0 && worst <= MEM_TARGET && complete;
    lines.push('');
    lines.push(perPath.length === 0
      ? `**Memory: not judged (fewer than 1M paths: fixed costs dominate); every path in the receipt: ${complete ? 'yes' : 'no'}.**`
      : `**Memory: at most ${Number.isFinite(worst) ? worst.toFixed(0) : '?'} B per distinct path from 1M paths up; target ≤ ${MEM_TARGET} B ` +
        `with every path in the receipt: ${met ? 'met' : 'not met'}.**`);
    verdicts.push({ name: 'memory', met: perPath.length === 0 ? complete : met, lostOk: e2e.every((e) => e.lost === 0) });
  }
  return { text: lines.join('\n'), verdicts };
}

function commandsSection(tmpLabel) {
  const T = tmpLabel;
  return [
    '## Commands',
    '',
    `Every workload is generated by \`test/bench/bench.mjs\` in a fresh temporary directory (\`${T}\`) and run three ways:`,
    '',
    '```sh',
    'CMD                                        # bare',
    `node dist/gh-run.js -q -o ${T}/r.json -- CMD   # gh-run`,
    'strace -f -o /dev/null CMD                 # strace',
    '```',
    '',
    'with CMD:',
    '',
    '```sh',
    `# exec storm`,
    `/bin/sh -c 'i=0; while [ $i -lt ${SIZE.exec} ]; do /bin/true; i=$((i+1)); done'`,
    `# syscall storm (strace: count=${SIZE.ddStrace}, time scaled ×${SIZE.dd / SIZE.ddStrace})`,
    `dd if=/dev/zero of=/dev/null bs=1 count=${SIZE.dd}`,
    `# file copy: a ${SIZE.ddFileMiB} MiB file of random bytes written (and synced) once, untimed, after a df check for room;`,
    `# before every run (untimed) the previous copy is deleted and the file system synced; both files deleted at the end`,
    `dd if=${T}/dd-src of=${T}/dd-dst bs=4k`,
    `# stdout: ${SIZE.stdoutGiB} GiB to gh-run's stdout (/dev/null), relayed and hashed; also through a plain pipe relay`,
    `head -c ${SIZE.stdoutGiB}G /dev/zero                       # stdout is /dev/null in every mode`,
    `sh -c 'head -c ${SIZE.stdoutGiB}G /dev/zero | cat > /dev/null'  # the pipe relay gh-run is compared with`,
    `# open storm: ${SIZE.opens} open+close of one file, then open+close of every file of a ${SIZE.treeFiles}-file tree (nftw)`,
    `${T}/bin/openstorm ${T}/one ${SIZE.opens} ${T}/tree          # test/bench/openstorm.c, cc -O2`,
    `# build: ${SIZE.build} generated C files + main.c, \`make -s clean\` (untimed) before every run`,
    `make -s -j2 -C ${T}/proj`,
    `# network: ${SIZE.conns} connect/accept/close rounds on 127.0.0.1 in one process`,
    `${T}/bin/connstorm ${SIZE.conns}                 # test/bench/connstorm.c`,
    `# tcp: one process forks a server and a client on 127.0.0.1: ${SIZE.tcpMiB} MiB on one connection in 64 KiB writes,`,
    `# then ${SIZE.tcpConns} connects, each sending 16 bytes (the server reads them and closes first)`,
    `${T}/bin/tcpstorm ${SIZE.tcpMiB} ${SIZE.tcpConns}               # test/bench/tcpstorm.c`,
    `# changes: ${SIZE.changes} files created in 100 directories, each renamed (every other one across directories), every tenth chmod, then rm -rf`,
    `/bin/sh -c '${T}/bin/changestorm changes ${SIZE.changes} >/dev/null && rm -rf changes'   # test/bench/changestorm.c`,
    `# startup`,
    `true ; node -e 0 ; node dist/gh-run.js -q -o ${T}/r.json -- true`,
    `node dist/gh-run.js --version`,
    `helper/glasshouse-helper </dev/null >/dev/null`,
    `# saturation (test/bench/saturate.c): WORKERS processes, RATE opens/s in total, ${SIZE.satSeconds} s`,
    `node dist/gh-run.js -q -o ${T}/r.json -- ${T}/bin/saturate ${T}/one RATE ${SIZE.satSeconds} WORKERS ${T}/sat.out`,
    `# memory: synthetic (KIND failed or read; N ${SIZE.memPaths}${SIZE.memBig ? ` and, for failed, ${SIZE.memBig}` : ''}), then end to end`,
    `node --expose-gc test/bench/memory.mjs --pkg ${T}/pkg --paths N --kind KIND`,
    `node dist/gh-run.js -q -o ${T}/r.json -- ${T}/bin/failstorm N /nonexistent-gh-bench   # test/bench/failstorm.c`,
    '```',
    '',
    'gh-run, the helper and `main.js` are run from a copy of the build taken when the bench starts ' +
      '(`$TMP/pkg`: dist/, helper binaries, package.json; node_modules linked), so that a rebuild in the tree ' +
      'cannot disturb a run; `--in-place` uses the tree itself.',
    '',
    'Wall time is measured by the bench process from spawn to exit. gh-run\'s controller and helper ' +
      '(the child of gh-run named `glasshouse-help`) are sampled every 20 ms: `VmHWM` from `/proc/<pid>/status` ' +
      'and utime+stime from `/proc/<pid>/stat`, keeping the last value seen. events/s = (`collector.events` + `collector.events_folded`) / ' +
      'gh-run wall time; events lost = max of `collector.events_lost` over the runs.',
  ].join('\n');
}

function markdownDoc(report, machine, tmpLabel, started) {
  return [
    '# glasshouse benchmarks',
    '',
    'Generated by `make bench` (`node test/bench/bench.mjs`); targets from issue 6. Do not edit by hand: rerun.',
    '',
    '## Machine',
    '',
    mdTable(['', ''], [
      ['kernel', machine.kernel],
      ['CPU', machine.cpu],
      ['cores', String(machine.cores)],
      ['memory', machine.memory],
      ['node', machine.node],
      ['strace', machine.strace],
      ['glasshouse', machine.commit],
      ['date', started],
      ['bench duration', machine.duration],
      ['CPU used by other processes', machine.load],
    ]),
    '',
    '## Results',
    '',
    report.text,
    '',
    commandsSection(tmpLabel),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// snapshot of the build, so that a concurrent `make`/tsc in the tree cannot break runs midway

function copyBuild(dest) {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(path.join(dest, 'helper'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dest, 'dist'), { recursive: true });
  // memory.mjs bundles the controller's modules from their sources
  fs.cpSync(path.join(ROOT, 'controller'), path.join(dest, 'controller'), { recursive: true });
  for (const f of fs.readdirSync(path.join(ROOT, 'helper'))) {
    const src = path.join(ROOT, 'helper', f);
    const st = fs.statSync(src);
    if (st.isFile() && st.mode & 0o111) fs.copyFileSync(src, path.join(dest, 'helper', f));
    if (st.isFile() && st.mode & 0o111) fs.chmodSync(path.join(dest, 'helper', f), st.mode & 0o7777);
  }
  for (const f of ['package.json', 'receipt.schema.json']) {
    if (fs.existsSync(path.join(ROOT, f))) fs.copyFileSync(path.join(ROOT, f), path.join(dest, f));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dest, 'node_modules'));
}

async function snapshot(tmp) {
  const dest = path.join(tmp, 'pkg');
  for (let attempt = 1; ; attempt++) {
    copyBuild(dest);
    const gh = path.join(dest, GHRUN_REL);
    const r = await runTimed([process.execPath, gh, '-q', '-o', path.join(tmp, 'r.json'), '--', 'true'], { cwd: tmp });
    if (r.code === 0 && readReceipt(path.join(tmp, 'r.json'))?.collector?.status === 'ok') break;
    if (attempt >= 6) {
      log(`the build does not run (gh-run -- true: exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
      process.exit(1);
    }
    log('the build looks mid-rebuild; copying it again in 10 s');
    await new Promise((res) => setTimeout(res, 10_000));
  }
  PKG = dest;
  GHRUN = path.join(dest, GHRUN_REL);
  HELPER = path.join(dest, 'helper/glasshouse-helper');
  log(`benchmarking a copy of the build in ${dest}`);
}

// ---------------------------------------------------------------------------------------------
// main

async function main() {
  const started = new Date().toISOString();
  const t0 = performance.now();
  if (!fs.existsSync(GHRUN) || !fs.existsSync(HELPER)) {
    log('dist/ or the helper is missing: running make');
    execFileSync('make', ['--no-print-directory', '-C', ROOT, 'all'], { stdio: 'inherit' });
  }
  const straceOk = have('strace');
  const selected = opts.only ?? ALL;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-bench-'));
  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });
  log(`${Q ? 'quick' : 'full'} run in ${tmp}: ${selected.join(', ')}`);
  if (!opts.inPlace) await snapshot(tmp);
  // on a shared machine, wait (up to a minute) for other people's jobs to calm down
  let preLoad = NaN;
  for (let waited = 0; ; waited += 2) {
    const idle0 = cpuTicks();
    await new Promise((res) => setTimeout(res, 2000));
    preLoad = foreignLoad(idle0, cpuTicks());
    if (preLoad <= 0.1 || waited >= 60 || Q) break;
    if (waited === 0) log(`other processes use ${(preLoad * 100).toFixed(0)}% of the CPUs; waiting up to 60 s for a quieter machine`);
  }
  if (preLoad > 0.1) log(`warning: other processes use ${(preLoad * 100).toFixed(0)}% of the machine's CPU; results will be noisy`);
  const ticks0 = cpuTicks();

  const results = [];
  let saturation = null;
  let memory = null;
  try {
    const workloads = makeWorkloads(tmp);
    for (const name of ALL) {
      if (!selected.includes(name)) continue;
      if (name === 'startup') results.push(await benchStartup(tmp, straceOk));
      else if (name === 'saturation') saturation = await benchSaturation(tmp);
      else if (name === 'memory') memory = await benchMemory(tmp);
      else results.push(await benchWorkload(name, workloads[name], tmp, straceOk));
    }
  } finally {
    cleanup();
  }

  const machine = machineInfo(ROOT);
  const runLoad = foreignLoad(ticks0, cpuTicks());
  machine.load = `${(preLoad * 100).toFixed(0)}% of all CPUs just before the run, ${(runLoad * 100).toFixed(0)}% on average during it`;
  machine.duration = `${((performance.now() - t0) / 1000).toFixed(0)} s${Q ? ' (--quick)' : ''}`;
  const report = buildReport(results, saturation, machine, memory);
  console.log(report.text);
  const missed = report.verdicts.filter((v) => !(v.met && v.lostOk)).map((v) => v.name);
  const skipped = report.verdicts.filter((v) => v.skipped);
  console.log('');
  console.log(missed.length ? `targets missed: ${missed.join(', ')}` : 'all targets met');
  for (const v of skipped) console.log(`skipped: ${v.name}: ${v.skipped}`);
  if (opts.write) {
    fs.writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), markdownDoc(report, machine, '$TMP', started));
    log('wrote BENCHMARKS.md');
  }
  log(`done in ${machine.duration}; other processes' CPU use: ${machine.load}`);
}

await main();
