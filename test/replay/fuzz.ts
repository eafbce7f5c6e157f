// Damaged recordings, by the thousand: truncated at every frame boundary and inside frames,
// bit flips, random bytes, an empty file, impossible length prefixes. Never a crash (replay
// never throws), never a hang (each replay timed), never a receipt without --partial, and one
// line on stderr for each failure.
import t from 'tap';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replay } from '../../controller/replay/replay.js';
import { frameBoundaries, recordingBytes } from '../helpers/events.js';
import { ROOT, runCli } from '../helpers/gh-run.js';
import { seededRandom } from '../helpers/random.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'recordings');
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, `${name}.ghrec`));
const MAX_MS = 2000;


interface Outcome {
  status: number;
  lines: string[];
  receipt: { collector: { status: string; reason: string | null } } | null;
}

/** Replay these bytes in-process; fails the test on a throw or a slow replay. */
async function replayBytes(t: Tap, dir: string, bytes: Buffer, partial: boolean, label: string): Promise<Outcome | null> {
  const file = join(dir, 'in.ghrec');
  const output = join(dir, 'out.json');
  writeFileSync(file, bytes);
  rmSync(output, { force: true });
  const lines: string[] = [];
  const started = performance.now();
  let status: number;
  try {
    status = await replay({ recording: file, output, partial }, (s) => lines.push(s));
  } catch (error) {
    t.fail(`${label}: replay threw ${error instanceof Error ? error.stack : String(error)}`);
    return null;
  }
  const ms = performance.now() - started;
  if (ms > MAX_MS) t.fail(`${label}: took ${ms.toFixed(0)} ms`);
  const receipt = existsSync(output) ? JSON.parse(readFileSync(output, 'utf8')) : null;
  return { status, lines, receipt };
}

type Tap = { fail(msg: string): unknown; pass(msg: string): unknown };

/** The contract for a recording that is not whole, without --partial. */
function refused(t: Tap, o: Outcome | null, label: string, pattern?: RegExp): boolean {
  if (o === null) return false;
  const problems: string[] = [];
  if (o.status !== 1) problems.push(`status ${o.status}`);
  if (o.receipt !== null) problems.push('a receipt was written');
  if (o.lines.length !== 1 || !o.lines[0]!.endsWith('\n') || o.lines[0]!.slice(0, -1).includes('\n')) problems.push(`stderr: ${JSON.stringify(o.lines)}`);
  else if (!o.lines[0]!.startsWith('glasshouse: replay: ')) problems.push(`stderr: ${o.lines[0]}`);
  else if (pattern && !pattern.test(o.lines[0]!)) problems.push(`message ${JSON.stringify(o.lines[0])} does not match ${pattern}`);
  if (problems.length > 0) t.fail(`${label}: ${problems.join('; ')}`);
  return problems.length === 0;
}

/** The contract with --partial: a degraded receipt, or a refusal when nothing was usable. */
function partialOk(t: Tap, o: Outcome | null, label: string, mustWrite: boolean): boolean {
  if (o === null) return false;
  if (o.status === 0) {
    if (o.receipt === null || o.receipt.collector.status !== 'degraded' || !o.receipt.collector.reason) {
      t.fail(`${label}: exit 0 with --partial but receipt ${JSON.stringify(o.receipt?.collector)}`);
      return false;
    }
    return true;
  }
  if (mustWrite) {
    t.fail(`${label}: --partial wrote no receipt: ${o.lines.join('')}`);
    return false;
  }
  return refused(t, o, label);
}

const SMALL = ['lost-events']; // every byte of this one; around the frame boundaries of the others
const ALL = ['files', 'lost-events', 'net', 'shell', 'signal', 'tree'];

t.test('truncation at every byte of a small recording, at and around every frame boundary of all', async (t) => {
  const dir = t.testdir({});
  let cases = 0;
  let bad = 0;
  for (const name of ALL) {
    const bytes = fixture(name);
    const bounds = frameBoundaries(bytes);
    const helperAt = bounds[1]!;
    const cuts = new Set<number>();
    if (SMALL.includes(name)) for (let n = 1; n < bytes.length; n++) cuts.add(n);
    for (let i = 0; i < bounds.length; i++) {
      const at = bounds[i]!;
      const next = bounds[i + 1] ?? bytes.length;
      // at the boundary, inside the length prefix, just after it, mid-body, one byte short (the large ones: fewer)
      const around = bytes.length < 16 * 1024 ? [at, at + 1, at + 3, at + 4, at + 5, Math.floor((at + next) / 2), next - 1] : [at, Math.floor((at + next) / 2)];
      for (const n of around) if (n > 0 && n < bytes.length) cuts.add(n);
    }
    for (let n = bytes.length - 48; n < bytes.length; n++) cuts.add(n);
    for (const n of [...cuts].sort((a, b) => a - b)) {
      cases++;
      const label = `${name} cut at ${n}`;
      const strict = await replayBytes(t, dir, bytes.subarray(0, n), false, label);
      if (!refused(t, strict, label, new RegExp(`truncated at byte ${n}\\b`))) bad++;
      const partial = await replayBytes(t, dir, bytes.subarray(0, n), true, `${label} --partial`);
      if (!partialOk(t, partial, `${label} --partial`, n >= helperAt)) bad++;
      else if (partial!.status === 0 && !partial!.receipt!.collector.reason!.includes(`truncated at byte ${n}`)) {
        t.fail(`${label} --partial: reason ${partial!.receipt!.collector.reason}`);
        bad++;
      }
    }
  }
  t.equal(bad, 0, `${cases} truncations, each refused without --partial and degraded with it`);
});

t.test('bit flips: every byte of a small recording, 250 random ones in each other', async (t) => {
  const dir = t.testdir({});
  const random = seededRandom(0x6a11);
  let cases = 0;
  let bad = 0;
  for (const name of ALL) {
    const bytes = fixture(name);
    const positions = SMALL.includes(name) ? [...bytes.keys()] : Array.from({ length: 250 }, () => Math.floor(random() * bytes.length));
    for (const pos of positions) {
      cases++;
      const flipped = Buffer.from(bytes);
      flipped[pos]! ^= 1 << (pos % 8);
      const label = `${name} bit ${pos % 8} of byte ${pos}`;
      if (!refused(t, await replayBytes(t, dir, flipped, false, label), label)) bad++;
      if (pos % 7 === 0 && !partialOk(t, await replayBytes(t, dir, flipped, true, `${label} --partial`), `${label} --partial`, false)) bad++;
    }
  }
  t.equal(bad, 0, `${cases} flipped recordings, none replayed without --partial`);
});

t.test('random bytes, with and without a valid header in front', async (t) => {
  const dir = t.testdir({});
  const random = seededRandom(0xbead);
  const header = fixture('signal').subarray(0, 8);
  let bad = 0;
  for (let i = 0; i < 300; i++) {
    const noise = Buffer.from(Array.from({ length: Math.floor(random() * 4096) }, () => Math.floor(random() * 256)));
    const bytes = i % 2 === 0 ? noise : Buffer.concat([header, noise]);
    const label = `random #${i} (${bytes.length} bytes${i % 2 ? ', with header' : ''})`;
    if (!refused(t, await replayBytes(t, dir, bytes, false, label), label, i % 2 === 0 && bytes.length > 0 && bytes[0] !== 0x47 ? /not a glasshouse recording/ : undefined)) bad++;
    if (!partialOk(t, await replayBytes(t, dir, bytes, true, `${label} --partial`), `${label} --partial`, false)) bad++;
  }
  t.equal(bad, 0, '300 random files');
});

t.test('an empty file', async (t) => {
  const dir = t.testdir({});
  const o = await replayBytes(t, dir, Buffer.alloc(0), false, 'empty');
  t.ok(refused(t, o, 'empty', /not a glasshouse recording: the file is empty; no receipt written\n$/));
  t.ok(refused(t, await replayBytes(t, dir, Buffer.alloc(0), true, 'empty --partial'), 'empty --partial'), '--partial cannot help');
});

t.test('impossible and overlong length prefixes at every frame', async (t) => {
  const dir = t.testdir({});
  let cases = 0;
  let bad = 0;
  for (const bytes of [fixture('signal'), fixture('tree'), recordingBytes()]) {
    // every frame of the small ones, every 5th of the large one, and always the controller's two
    const all = frameBoundaries(bytes).slice(0, -1);
    const bounds = all.filter((_, i) => bytes.length < 16 * 1024 || i % 5 === 0 || i >= all.length - 1);
    for (const at of bounds) {
      for (const length of [0, 0xffffffff, 64 * 1024 * 1024 + 1, 1024 * 1024 + 1, bytes.length - at]) {
        cases++;
        const broken = Buffer.from(bytes);
        broken.writeUInt32BE(length, at);
        const label = `length ${length} at byte ${at}`;
        if (!refused(t, await replayBytes(t, dir, broken, false, label), label)) bad++;
        if (!partialOk(t, await replayBytes(t, dir, broken, true, `${label} --partial`), `${label} --partial`, false)) bad++;
      }
    }
  }
  t.equal(bad, 0, `${cases} broken prefixes`);
});

t.test('the CLI on damaged files: exit 1, one line, no stack, no receipt', async (t) => {
  const dir = t.testdir({});
  const bytes = fixture('signal');
  const cases: [string, Buffer, RegExp][] = [
    ['truncated', bytes.subarray(0, 1000), /truncated at byte 1000: complete frames end at byte \d+; the run facts and the footer are missing; no receipt written/],
    ['random', Buffer.from('\x7fELF and then some'), /not a glasshouse recording: it does not start with the GHREC header; no receipt written/],
    ['empty', Buffer.alloc(0), /not a glasshouse recording: the file is empty/],
    ['newer', Buffer.concat([Buffer.from('GHREC\0\0\x07', 'latin1'), bytes.subarray(8)]), /format 7, but this glasshouse reads format 1 \(a newer glasshouse made it\)/],
  ];
  for (const [name, content, pattern] of cases) {
    const file = join(dir, `${name}.ghrec`);
    writeFileSync(file, content);
    const r = await runCli('glasshouse', ['replay', file, '-o', join(dir, `${name}.json`)]);
    t.equal(r.code, 1, name);
    t.equal(r.stderr.split('\n').length, 2, `${name}: one line`);
    t.match(r.stderr, pattern);
    t.notOk(existsSync(join(dir, `${name}.json`)), `${name}: no receipt`);
  }
  const partial = await runCli('glasshouse', ['replay', '--partial', join(dir, 'truncated.ghrec'), '-o', join(dir, 'p.json')]);
  t.equal(partial.code, 0);
  t.match(partial.stderr, /truncated at byte 1000: .*; partial receipt written to .*p\.json\n$/);
  t.equal(JSON.parse(readFileSync(join(dir, 'p.json'), 'utf8')).collector.status, 'degraded');
});
