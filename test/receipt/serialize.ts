import t from 'tap';
import { Aggregator, materialized } from '../../controller/aggregate/aggregate.js';
import { InvalidReceiptError } from '../../controller/receipt/errors.js';
import { receiptChunks, serializeReceipt } from '../../controller/receipt/serialize.js';
import type { Frame } from '../../controller/schema/frames.js';
import type { LazyReceipt, Receipt } from '../../controller/schema/receipt.js';
import { message as dnsMessage, name as dnsName } from '../helpers/dns-wire.js';
import { CONTROLLER, ROOT, T0, dns, end, exec, exit, facts, fork, forkChain, hello, ms, net, open, receiptOf, socket, type Wire } from '../helpers/events.js';

const stringified = (r: Receipt): string => JSON.stringify(r, null, 2) + '\n';

t.test('2-space JSON with a final newline', async (t) => {
  const r = receiptOf([hello(), exec(), exit(), end()]);
  const text = serializeReceipt(r);
  t.equal(text, stringified(r));
});

t.test('an invalid receipt is an error naming the field, never a file', async (t) => {
  const r = receiptOf([hello(), exec(), exit(), end()]);
  const broken = { ...r, exit_code: 1.5 } as Receipt;
  t.throws(() => serializeReceipt(broken), InvalidReceiptError);
  t.throws(() => serializeReceipt(broken), /at exit_code/);
  t.throws(() => receiptChunks(broken), /at exit_code/, 'before the first chunk');
  const missing = { ...r } as Partial<Receipt>;
  delete missing.network;
  t.throws(() => serializeReceipt(missing as Receipt), /at network: Invalid input: expected a list/, 'every section present');
  t.throws(() => serializeReceipt({ ...r, process_tree: { ...r.process_tree!, state: 'zombie' } } as Receipt), /at process_tree\.state/);
});

t.test('a bad element of a long list is named by its index and field, when the writer reaches it', async (t) => {
  const r = receiptOf([hello(), exec(), open({ path: '/a', err: 'ENOENT' }), open({ path: '/b', err: 'ENOENT' }), open({ path: '/c' }), net({ addr: '1.2.3.4' }), exit(), end()]);
  const failed = r.filesystem.failed.map((e, i) => (i === 1 ? { ...e, errno: 2 } : e));
  const bad = { ...r, filesystem: { ...r.filesystem, failed } } as unknown as Receipt;
  const chunks = receiptChunks(bad)[Symbol.iterator]();
  t.throws(() => {
    for (let c = chunks.next(); !c.done; c = chunks.next());
  }, /the receipt does not match schema 0\.5 at filesystem\.failed\.1\.errno: /);
  t.throws(() => serializeReceipt({ ...r, processes: [r.processes[0], { ...r.processes[0], pid: -1 }] } as Receipt), /at processes\.1\.pid/);
  t.throws(() => serializeReceipt({ ...r, network: [{ ...r.network[0], port: 70000 }] } as Receipt), /at network\.0\.port/);
  t.throws(() => serializeReceipt({ ...r, filesystem: { ...r.filesystem, reads: [{ path: '/c', pids: [1] }] } } as Receipt), /at filesystem\.reads\.0\.count/);
  const lazy = { ...r, filesystem: { ...r.filesystem, writes: new Set([{ path: 3 }]) } } as unknown as LazyReceipt;
  t.throws(() => serializeReceipt(lazy), /at filesystem\.writes\.0\.path/, 'lists produced on demand too');
});

// Random receipts through the real aggregator: process trees, paths and argv full of what JSON
// escapes (and lone surrogates, which only frames given directly carry: the wire would replace
// them), odd durations; the streamed text must be JSON.stringify's of the plain receipt.
const TRICKY = ['plain', 'a "q" b', 'back\\slash', 'new\nline', 'tab\t', '\u0001\u001f', '\u2028', 'ü', '日本', '😀', '\ud800', 'x\udfffy', '', ' '];

function randomFrames(rand: () => number): { frames: Frame[]; durationMs: number } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const word = (): string => Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(TRICKY)).join('');
  const procs = [{ pid: ROOT, start: ms(0.5) }];
  const wires: Wire[] = [hello(), exec({ argv: [word(), word()] })];
  for (let i = 0, n = Math.floor(rand() * 40); i < n; i++) {
    const r = rand();
    const p = pick(procs);
    if (r < 0.2) {
      const child = { pid: 5000 + i, start: ms(1 + i) };
      wires.push(fork({ ...child, ppid: p.pid, pstart: p.start, cwd: `/${word()}` }));
      procs.push(child);
    } else if (r < 0.3) wires.push(exec({ ...p, path: `/bin/${word()}`, argv: rand() < 0.2 ? [] : [word(), word()], err: rand() < 0.3 ? 'ENOENT' : null, argv_truncated: rand() < 0.1 }));
    else if (r < 0.8) wires.push(open({ ...p, path: rand() < 0.5 ? `/${word()}/${word()}` : word(), base: `/${word()}`, mode: pick(['read', 'write', 'readwrite', 'path'] as const), err: rand() < 0.4 ? pick(['ENOENT', 'EACCES']) : null }));
    else if (r < 0.86) wires.push(net({ ...p, addr: rand() < 0.5 ? `/${word()}` : '10.0.0.1', family: pick(['inet', 'inet6', 'unix'] as const), port: rand() < 0.5 ? 0 : 443, err: rand() < 0.3 ? 'ECONNREFUSED' : null, ino: pick([undefined, 7, 8]) }));
    else if (r < 0.88) wires.push(socket({ ...p, ino: pick([7, 8, 9]), sent: Math.floor(rand() * 1000), received: 5, peer: rand() < 0.5 ? word() : undefined }));
    else if (r < 0.9) wires.push(dns({ ...p, dir: pick(['in', 'out'] as const), addr: word(), data: dnsMessage({ response: rand() < 0.5, questions: [{ name: dnsName(`${word()}.x`), type: 1 }] }) }));
    else wires.push(exit({ ...p, code: Math.floor(rand() * 256), sig: rand() < 0.2 ? 'SIGKILL' : null }));
  }
  wires.push(exit(), end({ syscalls: rand() < 0.3 ? {} : { [word()]: 1, openat: 7 } }));
  // the frames as the wire would give them (guard-canonical), minus the byte path
  return { frames: wires as unknown as Frame[], durationMs: pick([0, -0, 0.1, 0.30000000000000004, 1e21, 5e-324, 12.345]) };
}

function seeded(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

t.test('random receipts: the streamed text is JSON.stringify of the plain receipt', async (t) => {
  const rand = seeded(7);
  let checked = 0;
  let withDns = 0;
  let withBytes = 0;
  for (let i = 0; i < 300; i++) {
    const { frames, durationMs } = randomFrames(rand);
    const f = facts({ command: ['cmd', TRICKY[i % TRICKY.length]!], mono_end_ns: T0 + durationMs * 1e6, controller_pid: CONTROLLER });
    const lazyAgg = new Aggregator(f);
    const plainAgg = new Aggregator(f);
    for (const frame of frames) {
      lazyAgg.add(frame);
      plainAgg.add(frame);
    }
    const lazy = lazyAgg.finishLazy(f);
    lazy.timing.duration_ms = durationMs; // as it is, -0 included: the schema takes it
    const plain = plainAgg.finish(f);
    plain.timing.duration_ms = durationMs;
    if (serializeReceipt(lazy) !== stringified(plain)) return t.fail(`receipt ${i}: ${stringified(plain).slice(0, 300)}`);
    checked++;
    if (plain.dns.length > 0) withDns++;
    if (plain.network.some((e) => e.bytes > 0)) withBytes++;
  }
  t.equal(checked, 300);
  t.ok(withDns > 10 && withBytes > 10, `${withDns} with dns entries, ${withBytes} with network bytes`);
});

t.test('a receipt with nothing in it: empty lists and objects', async (t) => {
  const f = facts({ root_pid: null, exec_error: 'ENOENT', exit: { code: 1, signal: null }, collector: { status: 'unavailable', reason: 'x' } });
  const lazy = new Aggregator(f).finishLazy(f);
  const text = serializeReceipt(lazy);
  t.equal(text, stringified(materialized(new Aggregator(f).finishLazy(f))));
  t.match(text, /"processes": \[\],\n {2}"filesystem": \{\n {4}"reads": \[\],/);
  t.match(text, /"syscalls": \{\},\n {2}"mount_namespaces": \[\]\n\}\n$/);
});

t.test('a bad field deep in a fork chain 10,000 deep is named by its whole path, never a stack overflow', async (t) => {
  const r = receiptOf(forkChain(10_000));
  let node = r.process_tree!;
  for (let i = 0; i < 9_999; i++) node = node.children[0]!;
  node.children[0]!.state = 'zombie' as 'exited';
  const where = ['process_tree', ...Array<string>(10_000).fill('children.0'), 'state'].join('.');
  t.throws(() => receiptChunks(r), InvalidReceiptError);
  t.throws(() => receiptChunks(r), { message: `the receipt does not match schema 0.5 at ${where}: Invalid option: expected one of "exited"|"running"` });
});
