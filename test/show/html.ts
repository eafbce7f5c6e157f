// The HTML report without a browser: what renderHtml writes (one self-contained file, nothing
// fetched, hostile strings kept as data), what it says of receipts of older schemas, and that
// the bundle of the installed tool renders it with no esbuild at run time.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { CSP, renderHtml } from '../../controller/show/html.js';
import { quoteArg, quoteArgv } from '../../controller/show/quote.js';
import { readReceiptFile, upgrade, type Shown } from '../../controller/show/read.js';
import { reportAssetsPlugin } from '../../controller/show/report/assets-build.mjs';
import type { Payload } from '../../controller/show/report/payload.js';
import { ROOT } from '../helpers/gh-run.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'receipts');
const fixture = (name: string): Shown => readReceiptFile(join(FIXTURES, name));

/** The data the page renders, read back out of the HTML as the page reads it. */
function embedded(html: string): Payload {
  const m = /<script type="application\/json" id="gh-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no data element');
  return JSON.parse(m[1]!) as Payload;
}

/** The HTML without its data element: what is ours, not the receipt's. */
const withoutData = (html: string): string => html.replace(/<script type="application\/json" id="gh-data">[\s\S]*?<\/script>/, '');

/** pids of the tree, depth first, with each node's subtree size (independently of html.ts). */
function depthFirst(node: any, out: { pid: number; depth: number; below: number }[] = [], depth = 0): number {
  const me = { pid: node.pid, depth, below: 0 };
  out.push(me);
  for (const c of node.children) me.below += 1 + depthFirst(c, out, depth + 1);
  return me.below;
}

t.test('one self-contained file: inline script and style, a CSP that forbids the network, no URL', async (t) => {
  const html = renderHtml(fixture('v0.4-net.json'));
  t.ok(html.startsWith('<!doctype html>'), 'a whole document');
  t.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`), 'the CSP is in a meta');
  t.match(CSP, /default-src 'none'/, 'the CSP forbids by default');
  t.notMatch(CSP, /connect-src|https?:/, 'and allows no host');
  const ours = withoutData(html);
  t.notMatch(ours, /https?:/i, 'no http: or https: anywhere outside the data');
  t.notMatch(ours, /\s(src|href)\s*=/i, 'no src= or href= attribute: nothing is loaded');
  t.notMatch(ours, /@import|url\(\s*['"]?(?!data:)/i, 'the style loads nothing either');
  t.equal((html.match(/<script/g) ?? []).length, 2, 'two script elements: the data and the code');
  t.equal((html.match(/<\/script>/g) ?? []).length, 2, 'each closed once');
  t.ok(/<style>[^<]+<\/style>/.test(html), 'the style inline');
});

t.test('hostile strings stay data: escaped in the JSON, never markup', async (t) => {
  const shown = fixture('v0.4-net.json');
  const evil = '</script><script>alert(1)</script>';
  const img = '<img src=x onerror=alert(2)>';
  const json = JSON.parse(JSON.stringify(shown.receipt));
  json.command = [evil, img];
  json.process_tree.argv = [evil, img, '<!--'];
  json.processes[0].argv = [evil];
  json.filesystem.reads[0].path = `/tmp/${img}`;
  json.outcome.errors = [evil];
  json.environment.hostname = img;
  const hostile = upgrade(json);
  const html = renderHtml(hostile);
  t.notOk(html.includes(evil), 'the closing tag is not in the file as such');
  t.notOk(html.includes('<img'), 'no <img in the file');
  t.notOk(html.includes('<!--'), 'no comment opener in the file');
  t.equal((html.match(/<\/script>/g) ?? []).length, 2, 'still just the two closing tags of our elements');
  const data = embedded(html);
  t.equal(data.command, `${quoteArg(evil)} ${quoteArg(img)}`, 'the command is in the data, whole');
  t.ok(data.procs[0]![4].includes(evil), 'argv in the process rows, verbatim');
  t.ok(data.tables.find((x) => x.id === 'reads')!.rows.some((r) => r[0] === `/tmp/${img}`), 'the path in the reads table, verbatim');
  t.ok(data.facts.some((g) => g.rows.some(([, v]) => v === img)), 'the host name, verbatim');
  // the page's code never puts receipt text in as HTML
  const client = readFileSync(join(ROOT, 'controller/show/report/client/table.ts'), 'utf8') + readFileSync(join(ROOT, 'controller/show/report/client/main.ts'), 'utf8');
  t.notMatch(client, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'no HTML sinks in the page code');
});

t.test('schema 0.3 and 0.4 fixtures render, in tree order, and say what they did not record', async (t) => {
  for (const name of ['v0.3-early-tree.json', 'v0.3-files.json', 'v0.4-net.json', 'v0.4-repeats.json', 'v0.4-security.json']) {
    const shown = fixture(name);
    const data = embedded(renderHtml(shown));
    const r = shown.receipt;
    t.equal(data.schema, JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')).schema_version, `${name}: the source schema`);
    t.equal(data.procs.length, r.processes.length, `${name}: one row per process`);
    const order: { pid: number; depth: number; below: number }[] = [];
    depthFirst(r.process_tree, order);
    t.same(data.procs.map((p) => [p[0], p[1], p[2]]), order.map((o) => [o.pid, o.depth, o.below]), `${name}: depth first, with depths and subtree sizes`);
    if (shown.unrecorded.size > 0) t.match(data.unrecordedLine, /^Not recorded by this receipt \(schema 0\.[34]\)/, `${name}: names what was not recorded`);
    else t.equal(data.unrecordedLine, null, `${name}: nothing unrecorded`);
    if (shown.unrecorded.has('process_ends')) {
      t.ok(data.procs.filter((p) => p[8] !== 'running').every((p) => p[9] === 1 && p[7] === data.totalMs), `${name}: ends not recorded: every bar to the run's end, marked`);
    }
    if (shown.unrecorded.has('changes')) t.ok(data.tables.find((x) => x.id === 'changes')!.unrecorded, `${name}: the changes table says it was not recorded`);
  }
});

t.test('a 0.5 receipt: bars end at the exit; running processes and lost ends at the end of the run', async (t) => {
  const base = fixture('v0.3-early-tree.json');
  const json = JSON.parse(JSON.stringify(base.receipt));
  json.collector.network_bytes = true; // as a 0.5 receipt of a current helper says
  const strip = (p: any): void => {
    p.end_offset_ms = p.start_offset_ms + 5;
    p.children?.forEach(strip);
  };
  strip(json.process_tree);
  json.processes.forEach(strip);
  const last = json.processes[json.processes.length - 1];
  last.state = 'running';
  last.exit_code = null;
  last.end_offset_ms = null;
  const first = json.processes[0];
  first.end_offset_ms = null; // exited, end not reported
  const fix = (n: any): void => {
    if (n.pid === last.pid) Object.assign(n, { state: 'running', exit_code: null, end_offset_ms: null });
    if (n.pid === first.pid) n.end_offset_ms = null;
    n.children.forEach(fix);
  };
  fix(json.process_tree);
  const data = embedded(renderHtml(upgrade(json)));
  t.equal(data.unrecordedLine, null, '0.5: nothing unrecorded');
  const row = (pid: number) => data.procs.find((p) => p[0] === pid)!;
  t.match(row(last.pid), { 7: data.totalMs, 8: 'running', 9: 0, 10: 'running' }, 'running: to the end, its own outcome');
  t.match(row(first.pid), { 7: data.totalMs, 9: 1 }, 'exit not reported: to the end, marked');
  const other = json.processes.find((p: any) => p.pid !== first.pid && p.pid !== last.pid);
  t.match(row(other.pid), { 6: other.start_offset_ms, 7: other.start_offset_ms + 5, 9: 0 }, 'an exit: from start to end');
});

t.test('argv is quoted unambiguously', async (t) => {
  t.equal(quoteArg('/usr/bin/gcc'), '/usr/bin/gcc');
  t.equal(quoteArg('-DX=1,2'), '-DX=1,2');
  t.equal(quoteArg(''), "''", 'an empty argument is seen');
  t.equal(quoteArg('a b'), "'a b'");
  t.equal(quoteArg('$HOME;rm'), "'$HOME;rm'");
  t.equal(quoteArg("it's"), "$'it\\'s'");
  t.equal(quoteArg('a\nb\tc\\'), "$'a\\nb\\tc\\\\'");
  t.equal(quoteArg('x\u0000\u001b'), "$'x\\x00\\x1b'");
  t.equal(quoteArg('abc\u202edef'), "$'abc\\u202edef'", 'a bidi override is shown, not obeyed');
  t.equal(quoteArg('zero\u200bwidth'), "$'zero\\u200bwidth'");
  t.equal(quoteArg('héllo'), "'héllo'", 'printable non-ASCII stays readable');
  t.equal(quoteArgv(['sh', '-c', 'echo "hi there"']), `sh -c 'echo "hi there"'`);
});

t.test('the bundle inlines the built page: it renders from a directory with no node_modules', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-html-bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    `import { renderHtml } from ${JSON.stringify(join(ROOT, 'controller/show/html.ts'))};\n` +
      `import { readReceiptFile } from ${JSON.stringify(join(ROOT, 'controller/show/read.ts'))};\n` +
      `process.stdout.write(renderHtml(readReceiptFile(process.argv[2])));\n`,
  );
  const out = join(dir, 'render.mjs');
  // as controller/build.mjs bundles the CLI; esbuild external, so that a leftover import shows
  await esbuild.build({ entryPoints: [entry], outfile: out, bundle: true, format: 'esm', platform: 'node', target: 'node20', minify: true, logLevel: 'silent', external: ['esbuild'], plugins: [reportAssetsPlugin(esbuild)] });
  const text = readFileSync(out, 'utf8');
  t.notMatch(text, /["']esbuild["']/, 'the bundle does not import esbuild');
  const file = join(FIXTURES, 'v0.3-files.json');
  const run = spawnSync(process.execPath, [out, file], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  t.equal(run.status, 0, `the bundle runs: ${run.stderr}`);
  t.equal(run.stdout, renderHtml(readReceiptFile(file)), 'and writes what the sources write');
});
