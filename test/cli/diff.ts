// `glasshouse diff` on the command line: its options and usage errors (exit 2), receipts it
// cannot read (exit 2, one line, never 1), --fail-on (exit 1 only for the kinds named), --json,
// and a long diff reaching the end of a pipe whole.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli, type CliAction } from '../../controller/cli/args.js';
import { CATEGORIES, diff } from '../../controller/evidence/diff.js';
import { ROOT, runCli } from '../helpers/gh-run.js';

const fixture = join(ROOT, 'test', 'fixtures', 'recordings', 'repeats.receipt.json');
const diffOptions = (a: CliAction) => {
  if (a.kind !== 'diff') throw new Error(`expected diff, got ${a.kind}: ${a.kind === 'exit' ? a.stderr : ''}`);
  return a.options;
};
const usage = async (args: string[]): Promise<string> => {
  const a = await parseCli('glasshouse', ['diff', ...args]);
  if (a.kind !== 'exit' || a.code !== 2) throw new Error(`expected a usage error for ${args.join(' ')}`);
  return a.stderr;
};
const scratch = (t: { teardown(f: () => void): void }): string => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-diff-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('options and usage errors', async (t) => {
  const d = diffOptions(await parseCli('glasshouse', ['diff', 'a.json', 'b.json']));
  t.same(d, { a: 'a.json', b: 'b.json', json: false, failOn: [], counts: false, system: [], color: null });
  const o = diffOptions(
    await parseCli('glasshouse', ['diff', '--fail-on', 'new-exec,new-network', 'a.json', '--fail-on', 'exit', 'b.json', '--json', '--counts', '--system', '/opt/sdk/', '--system', '/nix', '--no-color']),
  );
  t.same([o.failOn, o.json, o.counts, o.system, o.color], [['new-exec', 'new-network', 'exit'], true, true, ['/opt/sdk', '/nix'], false]);
  t.match(await usage(['a.json']), /^glasshouse diff: two receipts to compare, got 1\nTry 'glasshouse diff --help'/);
  t.match(await usage(['a.json', 'b.json', 'c.json']), /two receipts at a time, got 3/);
  t.match(await usage(['--fail-on', 'new-exec,bogus', 'a.json', 'b.json']), /--fail-on: no kind 'bogus' \(the kinds: new-exec, gone-exec/);
  t.match(await usage(['--system', 'opt', 'a.json', 'b.json']), /--system: an absolute directory, got 'opt'/);
  t.match(await usage(['--frob', 'a.json', 'b.json']), /Unknown argument: frob/);
  const help = await parseCli('glasshouse', ['--help']);
  t.match(help.kind === 'exit' ? help.stdout : '', /glasshouse diff +compare two receipts/);
});

t.test('a receipt that cannot be read: exit 2 (never 1), one line naming it', async (t) => {
  const dir = scratch(t);
  // in this process (a spawn each would take most of tap's time under load), then one spawned
  const run = async (a: string, b: string): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (s: string, done: () => void) => ((stdout += s), done()) }, stderr: { write: (s: string) => (stderr += s) }, env: {} };
    const code = await diff({ a, b, json: false, failOn: ['any'], counts: false, system: [], color: false }, io);
    return { code, stdout, stderr };
  };
  const bad: [string, string, RegExp][] = [
    ['missing.json', '', /missing\.json: no such file/],
    ['text.json', 'hello', /text\.json: not a glasshouse receipt \(not JSON/],
    ['object.json', '{"a":1}', /object\.json: not a glasshouse receipt \(no schema_version\)/],
    ['future.json', '{"schema_version":"9.9"}', /future\.json: schema_version "9\.9" is not one this glasshouse reads/],
    ['broken.json', JSON.stringify({ ...JSON.parse(readFileSync(fixture, 'utf8')), processes: 'none' }), /broken\.json: not a valid receipt of schema 0\.5 at processes/],
  ];
  for (const [name, content, message] of bad) {
    if (content !== '') writeFileSync(join(dir, name), content);
    for (const [a, b] of [[fixture, join(dir, name)], [join(dir, name), fixture]] as const) {
      const r = await run(a, b);
      t.equal(r.code, 2, name);
      t.equal(r.stdout, '');
      t.match(r.stderr, message);
      t.match(r.stderr, /^glasshouse: diff: [^\n]*\n$/, 'one line');
    }
  }
  const spawned = await runCli('glasshouse', ['diff', '--fail-on', 'any', fixture, join(dir, 'missing.json')]);
  t.equal(spawned.code, 2);
  t.equal(spawned.stdout, '');
  t.match(spawned.stderr, /^glasshouse: diff: .*missing\.json: no such file[^\n]*\n$/);
});

t.test('--fail-on: exit 1 only for the kinds named; --json is the stable object', async (t) => {
  const dir = scratch(t);
  const b = JSON.parse(readFileSync(fixture, 'utf8'));
  b.network.push({ pid: 1, op: 'connect', family: 'inet', protocol: 'tcp', address: '203.0.113.5', port: 22, result: 'ok', count: 1, host: null, bytes_sent: 0, bytes_received: 0, bytes: 0 });
  writeFileSync(join(dir, 'b.json'), JSON.stringify(b));
  const B = join(dir, 'b.json');
  const text = await runCli('glasshouse', ['diff', fixture, B], { env: { NO_COLOR: '' } });
  t.equal(text.code, 0, 'differences alone: exit 0');
  t.match(text.stdout, /\nnetwork peers\n\+ connect tcp 203\.0\.113\.5:22\n$/);
  t.notMatch(text.stdout, /\x1b\[/, 'no colour in a pipe');
  const other = await runCli('glasshouse', ['diff', '--fail-on', 'new-exec,new-write', fixture, B]);
  t.equal(other.code, 0, 'none of the kinds named');
  const failing = await runCli('glasshouse', ['diff', '--fail-on', 'new-exec,new-network', fixture, B]);
  t.equal(failing.code, 1);
  t.match(failing.stderr, /differences of the kinds --fail-on names: new-network/);
  const same = await runCli('glasshouse', ['diff', '--fail-on', 'any', fixture, fixture]);
  t.equal(same.code, 0);
  t.match(same.stdout, /\nno behavioural differences\n$/);
  const json = await runCli('glasshouse', ['diff', '--json', '--fail-on', 'any', fixture, B]);
  t.equal(json.code, 1);
  const parsed = JSON.parse(json.stdout);
  t.same(Object.keys(parsed), ['a', 'b', 'differences', 'equal', 'notes']);
  t.same([parsed.a, parsed.b, parsed.equal], [fixture, B, false]);
  t.same(Object.keys(parsed.differences), [...CATEGORIES]);
  for (const c of CATEGORIES) t.ok(Array.isArray(parsed.differences[c].added) && Array.isArray(parsed.differences[c].removed), c);
  t.same(parsed.differences.network, { added: [{ direction: 'connect', protocol: 'tcp', peer: '203.0.113.5', port: '22' }], removed: [] });
  t.same(parsed.differences.outputs.changed, []);
});

t.test('a long diff reaches the end of a pipe whole (process.exit does not cut it)', async (t) => {
  const dir = scratch(t);
  const b = JSON.parse(readFileSync(fixture, 'utf8'));
  const n = 20000; // ~70 bytes a line: several times a pipe's 64 KiB
  for (let i = 0; i < n; i++) b.filesystem.reads.push({ path: `/home/u/data/${String(i).padStart(6, '0')}/${'x'.repeat(40)}`, pids: [1], count: 1 });
  writeFileSync(join(dir, 'b.json'), JSON.stringify(b));
  const r = await runCli('glasshouse', ['diff', fixture, join(dir, 'b.json')]);
  t.equal(r.code, 0, r.stderr);
  t.ok(r.stdout.length > 4 * 65536, `${r.stdout.length} bytes`);
  const lines = r.stdout.trimEnd().split('\n');
  t.equal(lines.at(-1), `+ /home/u/data/${String(n - 1).padStart(6, '0')}/${'x'.repeat(40)}`, 'the last entry is there');
  t.equal(lines.filter((l) => l.startsWith('+ /home/u/data/')).length, n);
});
