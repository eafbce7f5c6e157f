// The streaming writer's text is JSON.stringify(value, null, 2)'s, byte for byte: on the
// receipts of the recorded runs, on random plain data full of what JSON escapes, and whatever
// the chunk size; nested past INDENT_LEVELS, the same with the indentation cut at the cap.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INDENT_LEVELS, jsonChunks } from '../../controller/receipt/json-chunks.js';
import { ROOT } from '../helpers/gh-run.js';
import { seededRandom } from '../helpers/random.js';

const text = (value: unknown, chunkChars?: number): string => [...jsonChunks(value, chunkChars)].join('');
// JSON.stringify gives undefined for a lone undefined (or function): the chunks are then no text at all
const stringify = (value: unknown): string => JSON.stringify(value, null, 2) ?? '';
// the rule for deep values, made independently of the writer: JSON.stringify's lines (a string
// never holds a raw newline, so each line starts with its indentation), none indented past the cap
const CAP = ' '.repeat(2 * INDENT_LEVELS);
const capped = (value: unknown): string => stringify(value).replace(new RegExp(`^${CAP} +`, 'gm'), CAP);


const STRINGS = [
  '', 'plain', '"quoted"', 'back\\slash', 'new\nline', 'tab\there', 'cr\r', '\b\f', '\u0000\u0001\u001f\u007f',
  '\u2028\u2029', 'ü é ß', '日本語', '😀 pair', '\ud800', 'lone \udfff low', '\udc00\ud800', 'end \ud83d', '/proc/self/fd/3',
  '</script>', 'x'.repeat(300),
];
const NUMBERS = [0, -0, 1, -1, 0.1, 0.2 + 0.1, 1e21, 1e-7, 123456789012345680000, 5e-324, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, -1.5e300, NaN, Infinity, -Infinity, 255, 4242];
const KEYS = ['path', 'pids', '', '0', '10', '2', 'a b', 'ü', '"', '\n', 'count', 'children', 'constructor'];

function value(rand: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const r = rand();
  if (depth <= 0 || r < 0.35) {
    const leaf = rand();
    if (leaf < 0.4) return pick(STRINGS);
    if (leaf < 0.7) return pick(NUMBERS);
    if (leaf < 0.8) return rand() < 0.5;
    if (leaf < 0.9) return null;
    return undefined; // left out in objects, null in arrays
  }
  const n = rand() < 0.2 ? 0 : Math.floor(rand() * 6);
  if (r < 0.65) return Array.from({ length: n }, () => value(rand, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) Object.defineProperty(o, pick(KEYS), { value: value(rand, depth - 1), enumerable: true, writable: true, configurable: true });
  return o;
}

/** A process tree `depth` deep and `width` wide, as the receipt nests it. */
function tree(depth: number, width: number, pid = 1): Record<string, unknown> {
  return {
    pid,
    argv: ['sh', '-c', `echo ${pid} "\u00e9\ud800"`],
    execs: [{ path: '/bin/sh', argv: ['sh'], result: 'ok' }],
    exit_code: pid % 3 === 0 ? null : 0,
    children: depth === 0 ? [] : Array.from({ length: width }, (_, i) => tree(depth - 1, width, pid * 10 + i)),
  };
}

t.test('the receipts of the recorded runs, byte for byte', async (t) => {
  const dirs = [join(ROOT, 'test', 'fixtures', 'recordings'), join(ROOT, 'test', 'fixtures', 'streams')];
  const files = dirs.flatMap((dir) => readdirSync(dir).filter((n) => n.endsWith('.receipt.json')).map((n) => join(dir, n)));
  t.ok(files.length >= 7, `${files.length} receipts`);
  for (const file of files) {
    const bytes = readFileSync(file, 'utf8');
    t.equal(text(JSON.parse(bytes)) + '\n', bytes, file);
    t.equal(text(JSON.parse(bytes), 64) + '\n', bytes, `${file}, 64-char chunks`);
  }
});

t.test('random plain data: escapes, unicode, lone surrogates, empty lists and objects, odd numbers', async (t) => {
  const rand = seededRandom(20240501);
  let differ = 0;
  for (let i = 0; i < 3000; i++) {
    const v = value(rand, 6);
    const chunk = 1 + Math.floor(rand() * 200);
    if (text(v) !== stringify(v) || text(v, chunk) !== stringify(v)) {
      differ++;
      if (differ <= 3) t.fail(`case ${i} (chunks of ${chunk}): ${JSON.stringify(stringify(v))?.slice(0, 400)}`);
    }
  }
  t.equal(differ, 0, '3000 random values');
});

t.test('edge values', async (t) => {
  for (const v of [null, true, 0, -0, 1e21, 0.1, '', '\ud800', [], {}, [[]], [{}], { a: [] }, { a: {} }, [undefined, () => 1], { u: undefined, f: () => 1, s: Symbol('x') }, { a: undefined }, { '': '' }]) {
    t.equal(text(v), stringify(v), stringify(v) || String(v));
  }
  t.equal(text(undefined), '', 'nothing, where JSON.stringify gives undefined');
});

t.test('nested process trees, deep and wide', async (t) => {
  for (const [depth, width] of [[0, 0], [1, 3], [4, 3], [13, 2]] as const) {
    const v = { process_tree: tree(depth, width), processes: [] };
    t.equal(text(v), stringify(v), `depth ${depth}, width ${width}`);
    t.equal(text(v, 10), stringify(v), `depth ${depth}, width ${width}, small chunks`);
  }
  // deeper than the cap: JSON.stringify's text with the indentation cut there
  for (const [depth, width] of [[14, 1], [15, 2], [200, 1]] as const) {
    const v = { process_tree: tree(depth, width), processes: [] };
    t.not(capped(v), stringify(v), `depth ${depth} reaches the cap`);
    t.equal(text(v), capped(v), `depth ${depth}, width ${width}`);
    t.equal(text(v, 10), capped(v), `depth ${depth}, width ${width}, small chunks`);
  }
});

t.test('indentation stops at the cap: the same JSON value, a size linear in the depth', async (t) => {
  // random values nested around the cap: leaves, small records and lists at every depth there
  const rand = seededRandom(20261202);
  let differ = 0;
  for (let i = 0; i < 300; i++) {
    let v: unknown = value(rand, 4);
    for (let level = 0; level < INDENT_LEVELS - 4 + (i % 12); level++) v = rand() < 0.5 ? [v, value(rand, 1)] : { k: value(rand, 1), v };
    const chunk = 1 + Math.floor(rand() * 200);
    if (text(v) !== capped(v) || text(v, chunk) !== capped(v)) {
      differ++;
      if (differ <= 3) t.fail(`case ${i} (chunks of ${chunk}): ${JSON.stringify(capped(v)).slice(0, 400)}`);
    }
  }
  t.equal(differ, 0, '300 random values around the cap');

  // 20,000 levels: more than JSON.stringify itself can write (its recursion overflows)
  type Node = { pid: number; argv: string[]; children: Node[] };
  let deep: Node = { pid: 0, argv: ['a'], children: [] };
  for (let level = 1; level < 20_000; level++) deep = { pid: level, argv: ['a'], children: [deep] };
  const out = text(deep);
  // compared level by level in a loop (t.same recurses, and would overflow itself)
  let wrong = 0;
  let levels = 0;
  for (let a: Node | undefined = JSON.parse(out), b: Node | undefined = deep; a !== undefined || b !== undefined; a = a?.children[0], b = b?.children[0]) {
    if (JSON.stringify({ ...a, children: a?.children.length }) !== JSON.stringify({ ...b, children: b?.children.length })) wrong++;
    levels++;
  }
  t.equal(wrong, 0, `the same value, all ${levels} levels`);
  const longest = out.split('\n').reduce((most, line) => Math.max(most, line.length - line.trimStart().length), 0);
  t.equal(longest, 2 * INDENT_LEVELS, `no line indented more than ${2 * INDENT_LEVELS} spaces`);
  t.ok(out.length < 20_000 * (12 * (2 * INDENT_LEVELS + 1) + 40), `linear: ${out.length} characters`);
});

t.test('a list produced on demand is written as the array it yields, as it is read', async (t) => {
  const entries = Array.from({ length: 5000 }, (_, i) => ({ path: `/p/${i}`, pids: [i, i + 1], count: i }));
  let produced = 0;
  function* lazy(): Generator<unknown> {
    for (const e of entries) {
      produced++;
      yield e;
    }
  }
  const first = jsonChunks({ filesystem: { reads: lazy(), writes: (function* () {})() } }, 1000);
  first.next();
  t.ok(produced <= 256, `a run of at most 256 members read for the first chunk: ${produced}`);
  t.equal(text({ filesystem: { reads: lazy(), writes: (function* () {})() } }), stringify({ filesystem: { reads: entries, writes: [] } }));
});

t.test('chunks are about the size asked for', async (t) => {
  const v = { list: Array.from({ length: 20000 }, (_, i) => ({ path: `/some/path/${i}`, pids: [1], count: 1 })) };
  const size = 1 << 16;
  const chunks = [...jsonChunks(v, size)];
  t.ok(chunks.length > 10);
  // a member of the list is about 60 characters: one run of 256 of them past the size at most
  t.ok(chunks.slice(0, -1).every((c) => c.length >= size && c.length < size + 256 * 60), 'each at least the size, at most one run of members more');
  t.equal(chunks.join(''), stringify(v));
});

t.test('a list that throws stops the text and is closed', async (t) => {
  let closed = false;
  const failing = {
    [Symbol.iterator]() {
      let i = 0;
      return {
        next: () => {
          if (i++ === 3) throw new Error('boom');
          return { done: false, value: i };
        },
        return: () => {
          closed = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  t.throws(() => text({ a: { b: failing } }), /boom/);
  const gen = jsonChunks({ a: { b: failing } }, 1);
  gen.next();
  gen.return();
  t.ok(closed, 'given up early: the list is told');
});
