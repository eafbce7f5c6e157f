// The terminal summary: its sections in order, the cuts and --all, the width, colour only when
// asked, loud collector trouble, and receipt strings that must not act on the terminal.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readReceiptFile, upgrade } from '../../controller/show/read.js';
import { renderSummary, SECTIONS, terminalOf, type SummaryOptions } from '../../controller/show/summary.js';
import { ROOT } from '../helpers/gh-run.js';

const fixture = (name: string): string => join(ROOT, 'test', 'fixtures', name);
const json = (name: string): any => JSON.parse(readFileSync(fixture(name), 'utf8'));
const plain: SummaryOptions = { width: 100, color: false, all: false, sections: SECTIONS };
const ANSI = /\x1b\[[0-9;]*m/g;

t.test('the sections come in the order a reviewer asks, each with its figures', async (t) => {
  const text = renderSummary(readReceiptFile(fixture('recordings/security.receipt.json')), plain);
  const at = (s: string): number => text.indexOf(s);
  const order = ['command ', 'Changed on disk', 'Network', 'Processes', 'Read ', 'Failed opens', 'Syscalls'];
  t.same(order.map(at).filter((i) => i < 0), [], 'every section is there');
  t.same([...order].sort((a, b) => at(a) - at(b)), order, 'in this order');
  const r = json('recordings/security.receipt.json');
  t.match(text, new RegExp(`Failed opens  ${r.filesystem.failed.length} paths`));
  t.match(text, `  … ${r.filesystem.failed.length - 10} more (--all shows them)`);
  t.match(text, `Processes  ${r.processes.length} processes`);
  const total = Object.values(r.syscalls as Record<string, number>).reduce((a, b) => a + b, 0);
  t.match(text, `Syscalls  ${total.toLocaleString('en-US')} calls`);
  t.notMatch(text, ANSI, 'no colour unless asked');
});

t.test('--all: every entry, no cut', async (t) => {
  const shown = readReceiptFile(fixture('recordings/security.receipt.json'));
  const all = renderSummary(shown, { ...plain, all: true });
  t.notMatch(all, 'more (--all shows them)');
  for (const f of shown.receipt.filesystem.failed) t.ok(all.includes(f.path), f.path);
  t.ok(all.split('\n').length > renderSummary(shown, plain).split('\n').length + 100);
});

t.test('--section: only those, in the usual order', async (t) => {
  const shown = readReceiptFile(fixture('recordings/security.receipt.json'));
  const text = renderSummary(shown, { ...plain, sections: ['syscalls', 'processes'] });
  t.match(text, /^Processes /);
  t.match(text, /\n\nSyscalls /);
  t.notMatch(text, /command|Network|Failed opens|Read /);
});

t.test('every line fits the width; the argv is cut with …, the outcome kept', async (t) => {
  const shown = readReceiptFile(fixture('recordings/tree.receipt.json'));
  for (const width of [40, 60, 80, 200]) {
    const text = renderSummary(shown, { ...plain, width, color: true });
    const widest = Math.max(...text.split('\n').map((l) => [...l.replace(ANSI, '')].length));
    t.ok(widest <= width, `width ${width}: widest line ${widest}`);
  }
  const narrow = renderSummary(shown, { ...plain, width: 60, sections: ['processes'] });
  const root = narrow.split('\n').find((l) => l.includes(String(shown.receipt.process_tree!.pid)))!;
  t.match(root, /… {2}exit 5 ✗$/, 'the root line: argv cut, exit code whole');
});

t.test('colour: codes only when asked; NO_COLOR and pipes turn it off', async (t) => {
  const shown = readReceiptFile(fixture('recordings/tree.receipt.json'));
  t.match(renderSummary(shown, { ...plain, color: true }), ANSI);
  t.same(terminalOf({ isTTY: true, columns: 123 }, {}), { width: 123, color: true });
  t.same(terminalOf({ isTTY: true, columns: 123 }, { NO_COLOR: '1' }), { width: 123, color: false });
  t.same(terminalOf({ isTTY: true, columns: 123 }, { NO_COLOR: '' }), { width: 123, color: true }, 'an empty NO_COLOR is unset');
  t.same(terminalOf({ isTTY: false }, {}), { width: 100, color: false }, 'a pipe');
  t.same(terminalOf({ isTTY: false }, { COLUMNS: '72' }), { width: 72, color: false });
  t.same(terminalOf({ isTTY: false }, {}, true), { width: 100, color: true }, '--color');
  t.same(terminalOf({ isTTY: true, columns: 80 }, {}, false), { width: 80, color: false }, '--no-color');
});

t.test('a degraded collector is said first and loudly, with the events lost', async (t) => {
  const text = renderSummary(readReceiptFile(fixture('recordings/lost-events.receipt.json')), plain);
  const r = json('recordings/lost-events.receipt.json');
  t.equal(r.collector.status, 'degraded');
  t.ok(r.collector.events_lost > 0);
  const lines = text.split('\n');
  t.match(lines[2], /^collector  {2}DEGRADED: the receipt is incomplete/);
  t.ok(lines.slice(3, 6).some((l) => l.includes(`${r.collector.events_lost} lost`)), 'the count of lost events');
  t.ok(lines.slice(3, 6).some((l) => l.includes(r.collector.reason)), 'the reason');
  const off = upgrade({ ...r, collector: { ...r.collector, status: 'unavailable', reason: 'no BPF here' } });
  t.match(renderSummary(off, plain), /UNAVAILABLE: nothing of the tree was traced/);
});

t.test('strings of the receipt never act on the terminal', async (t) => {
  const r = json('recordings/files.receipt.json');
  const evil = 'x\x1b]0;pwned\x07\x1b[8mhidden\x9b2J\u202eevil';
  r.filesystem.failed = [{ path: `/tmp/${evil}`, mode: 'read', errno: 'ENOENT', pids: [1], count: 1 }];
  r.filesystem.reads.push({ path: `/tmp/${evil}/f`, pids: [1], count: 1 });
  r.process_tree.argv = ['sh', '-c', evil];
  r.outcome.errors = [`error ${evil}`];
  const text = renderSummary(upgrade(r), { ...plain, all: true });
  t.notMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/, 'no control character but newlines');
  t.match(text, "$'/tmp/x\\x1b]0;pwned\\x07\\x1b[8mhidden\\x9b2J\\u202eevil'", 'escaped and quoted as bash $\'...\' would need it');
  t.match(text, "sh -c $'x\\x1b]0;pwned", 'argv the same way');
});

t.test('receipts of older schemas: what they did not record is said, not shown empty', async (t) => {
  const early = renderSummary(readReceiptFile(fixture('receipts/v0.3-early-tree.json')), plain);
  t.match(early, /schema 0\.3: not recorded: when processes ended, changes and outputs/);
  t.match(early, /Written  1 file \(this schema did not record changes or outputs\)/);
  t.match(early, /Network  0 peers \(bytes not recorded\)/);
  const v4 = renderSummary(readReceiptFile(fixture('receipts/v0.4-repeats.json')), plain);
  t.match(v4, /schema 0\.4: not recorded: when processes ended\n/);
  t.match(v4, /\n  127\.0\.0\.1  ↑246 B ↓0 B  37 connect, 30 sendto  ✗ ECONNREFUSED ×25  tcp\//);
});

// a receipt whose tree is made here: `kids(depth, index)` gives how many children a node has
function treeReceipt(kids: (depth: number) => number, fail: (pid: number) => boolean): any {
  const r = json('recordings/tree.receipt.json');
  const base = { ...r.processes[0] };
  delete base.children;
  let pid = 1000;
  const flat: any[] = [];
  const make = (depth: number): any => {
    const me = pid++;
    const node: any = { ...base, pid: me, argv: ['worker', String(me)], exit_code: fail(me) ? 9 : 0, children: [] };
    flat.push(node);
    const n = kids(depth);
    // iterative for the deep chain: the children of a chain are made in a loop below
    if (n > 0 && depth < 2) for (let i = 0; i < n; i++) node.children.push(make(depth + 1));
    return node;
  };
  r.process_tree = make(0);
  r.processes = flat.map(({ children, ...p }) => p);
  return r;
}

t.test('a failure deep in a big tree is shown with the processes above it, not cut away', async (t) => {
  // 1 + 20 + 20×9 = 201 processes; pid 1150 fails, far past the first 25 lines
  const r = treeReceipt((d) => (d === 0 ? 20 : 9), (pid) => pid === 1150);
  const text = renderSummary(upgrade(r), { ...plain, sections: ['processes'] });
  const lines = text.split('\n');
  const failedAt = lines.findIndex((l) => / 1150 worker 1150 {2}exit 9 ✗$/.test(l));
  t.ok(failedAt > 0, 'the failed process is there');
  const parent = r.process_tree.children.find((c: any) => c.children.some((k: any) => k.pid === 1150));
  // its parent, then its elder siblings left out (counted), then it
  t.match(lines[failedAt - 2], new RegExp(`^  ├─ ${parent.pid} worker ${parent.pid} `), 'under its parent');
  t.equal(lines[failedAt - 1], `  … ${parent.children.findIndex((k: any) => k.pid === 1150)} more processes`, 'the siblings left out before it, counted');
  t.match(lines[failedAt - 3], /^  … \d+ more processes$/, 'the processes left out before its parent, counted');
  t.match(lines.at(-2), /^  … \d+ more processes \(--all shows them\)$/);
  const counted = lines.map((l) => /… (\d+) more/.exec(l)).filter(Boolean).reduce((n, m) => n + Number(m![1]), 0);
  const listed = lines.filter((l) => /^ {2}(?:[│├└ ─]*)\d+ worker /.test(l)).length;
  t.equal(listed + counted, 201, 'every process is either listed or counted');
});

t.test('a chain thousands deep: no recursion, and the indentation stops at 16 levels', async (t) => {
  const r = json('recordings/tree.receipt.json');
  const base = { ...r.processes[0] };
  const depth = 5000;
  const nodes = Array.from({ length: depth }, (_, i) => ({ ...base, pid: 5000 + i, argv: ['link', String(i)], exit_code: i === depth - 1 ? 4 : 0, children: [] as any[] }));
  for (let i = 0; i + 1 < depth; i++) nodes[i]!.children.push(nodes[i + 1]);
  const shown = { receipt: { ...r, process_tree: nodes[0], processes: nodes.map(({ children, ...p }) => p) }, schema: '0.5', unrecorded: new Set() } as any;
  const text = renderSummary(shown, { ...plain, width: 120, sections: ['processes'] });
  t.match(text, new RegExp(`\\n  \\[depth ${depth - 1}\\] {4}(?: {3}){14}└─ ${5000 + depth - 1} link ${depth - 1} {2}exit 4 ✗\\n`), 'the failing end of the chain, its depth said');
  const all = renderSummary(shown, { ...plain, width: 120, all: true, sections: ['processes'] });
  t.equal(all.split('\n').length, depth + 2);
  t.ok(Math.max(...all.split('\n').map((l) => l.length)) <= 120);
});
