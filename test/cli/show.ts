// `glasshouse show` on the command line: its options, its errors (exit 2, one line, nothing
// written), the summary on stdout with no colour in a pipe.
import t from 'tap';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli, type CliAction } from '../../controller/cli/args.js';
import { SECTIONS } from '../../controller/show/summary.js';
import { ROOT, runCli } from '../helpers/gh-run.js';

const showOptions = (a: CliAction) => {
  if (a.kind !== 'show') throw new Error(`expected show, got ${a.kind}: ${a.kind === 'exit' ? a.stderr : ''}`);
  return a.options;
};
const usage = async (args: string[]): Promise<string> => {
  const a = await parseCli('glasshouse', ['show', ...args]);
  if (a.kind !== 'exit' || a.code !== 2) throw new Error(`expected a usage error for ${args.join(' ')}`);
  return a.stderr;
};
const fixture = join(ROOT, 'test', 'fixtures', 'recordings', 'tree.receipt.json');

t.test('options', async (t) => {
  const d = showOptions(await parseCli('glasshouse', ['show']));
  t.same(d, { receipt: './receipt.json', html: false, output: './report.html', all: false, sections: SECTIONS, color: null });
  const o = showOptions(await parseCli('glasshouse', ['show', '--all', '-s', 'network,disk', '--section', 'processes', 'r.json', '--no-color']));
  t.same([o.receipt, o.all, o.sections, o.color], ['r.json', true, ['network', 'disk', 'processes'], false]);
  const h = showOptions(await parseCli('glasshouse', ['show', '--html', 'r.json', '-o', 'out.html']));
  t.same([h.html, h.receipt, h.output], [true, 'r.json', 'out.html']);
  t.match(await usage(['a.json', 'b.json']), /one receipt at a time, got 2/);
  t.match(await usage(['-s', 'nope']), /--section: no section 'nope' \(the sections: overview, disk/);
  t.match(await usage(['-o', 'x.html']), /-o goes with --html/);
  t.match(await usage(['--html', '-s', 'disk']), /--section goes with the summary/);
  t.match(await usage(['--bogus']), /Unknown argument: bogus/);
  const help = await parseCli('glasshouse', ['--help']);
  t.match(help.kind === 'exit' ? help.stdout : '', /glasshouse show +sum up a receipt/);
});

t.test('the summary on stdout: no colour in a pipe, exit 0; the default receipt is ./receipt.json', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-show-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(fixture, join(dir, 'receipt.json'));
  const r = await runCli('glasshouse', ['show'], { cwd: dir, env: { NO_COLOR: '' } });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '');
  t.match(r.stdout, /^command {4}\/usr\/bin\/python3 /);
  t.notMatch(r.stdout, /\x1b\[/);
  const colored = await runCli('glasshouse', ['show', '--color', '-s', 'overview'], { cwd: dir });
  t.match(colored.stdout, /\x1b\[1mcommand\x1b\[0m/);
});

t.test('a receipt that cannot be shown: exit 2, one line naming it, no report left', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-show-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const missing = await runCli('glasshouse', ['show'], { cwd: dir });
  t.equal(missing.code, 2);
  t.equal(missing.stdout, '');
  t.equal(missing.stderr, 'glasshouse: show: ./receipt.json: no such file (give the receipt\'s path: glasshouse show path/to/receipt.json)\n');
  const html = await runCli('glasshouse', ['show', '--html', join(dir, 'none.json'), '-o', join(dir, 'r.html')]);
  t.equal(html.code, 2);
  t.match(html.stderr, /none\.json: no such file/);
  t.same(readdirSync(dir), [], 'no report, no temp file');
  const intoDir = await runCli('glasshouse', ['show', '--html', fixture, '-o', dir]);
  t.equal(intoDir.code, 2);
  t.match(intoDir.stderr, /^glasshouse: show: cannot write the report to .*: it is a directory\n$/);
  t.notOk(existsSync(join(dir, 'report.html')));
});

t.test('a long summary reaches the end of a pipe whole (process.exit does not cut it)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-show-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = JSON.parse(readFileSync(fixture, 'utf8'));
  const n = 6000; // ~80 bytes a line: several times a pipe's 64 KiB
  r.filesystem.failed = Array.from({ length: n }, (_, i) => ({ path: `/tmp/missing/${String(i).padStart(6, '0')}/${'x'.repeat(40)}`, mode: 'read', errno: 'ENOENT', pids: [1], count: 1 }));
  writeFileSync(join(dir, 'big.json'), JSON.stringify(r));
  const out = await runCli('glasshouse', ['show', '--all', '-s', 'failed', join(dir, 'big.json')]);
  t.equal(out.code, 0, out.stderr);
  t.ok(out.stdout.length > 4 * 65536, `${out.stdout.length} bytes`);
  const lines = out.stdout.split('\n');
  t.equal(lines.length, n + 2, 'the heading, every entry, and the final newline');
  t.match(lines[n], /\/005999\//, 'the last entry is there');
});
