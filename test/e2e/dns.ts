// DNS in the receipt (schema 0.4): the queries the tree sent, the answers it got, and the name
// each address it then used came from (`host`). A resolver world of our own, so that nothing
// depends on this machine's resolver or network: test/fixtures/programs/dnsserver.py runs in new
// mount, network and UTS namespaces (`unshare -mnu` as root; `unshare -rmnu`, in a user namespace
// of our own, as a normal user), with only `lo`, its own /etc/resolv.conf (nameserver
// 127.0.0.1) and /etc/nsswitch.conf (hosts: files dns); it serves on 127.0.0.1:53 there, outside
// the traced tree. gh-run traces `nsenter` into those namespaces and dnsclient.py there: glibc
// getaddrinfo (getent ahosts, python), a raw query, a CNAME chain, NXDOMAIN, answers truncated
// over UDP and asked again over TCP, and TCP connects to answered addresses. The server logs
// every message it answered: the count of each query, and the bytes over port 53, are checked
// against that log.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ghRun, requireBpf, GLASSHOUSE, PROGRAMS, PYTHON } from '../helpers/gh-run.js';
import { checkEntries, type ExpectedEntry } from '../helpers/net-entries.js';

interface Resolver {
  /** argv prefix that runs a command in the resolver's namespaces */
  enter: string[];
  logPath: string;
  stop(): void;
}

const root = process.getuid?.() === 0;

/** Start dnsserver.py in namespaces of its own; a string says why it could not start. */
function startResolver(): Promise<Resolver | string> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-dns-e2e-'));
  const logPath = join(dir, 'server.log');
  const child: ChildProcess = spawn('unshare', [root ? '-mnu' : '-rmnu', PYTHON, join(PROGRAMS, 'dnsserver.py'),
    '--setup-ns', '--addr', '127.0.0.1', '--port', '53', '--log', logPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      stop();
      resolve(`dnsserver.py did not say ready in 10 s: ${err.trim()}`);
    }, 10_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (/^ready /m.test(out)) {
        clearTimeout(timer);
        const pid = String(child.pid);
        // as root the namespaces have no user namespace; a normal user enters its own first,
        // keeping its credentials (its uid is root there: the uid map of unshare -r)
        const enter = root
          ? ['nsenter', '-t', pid, '-m', '-n', '-u', '--']
          : ['nsenter', '-t', pid, '-U', '--preserve-credentials', '-m', '-n', '-u', '--'];
        resolve({ enter, logPath, stop });
      }
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      stop();
      resolve(`cannot run unshare: ${e.message}`);
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve(`unshare ${root ? '-mnu' : '-rmnu'} dnsserver.py exited (${code ?? sig}): ${err.trim()}`);
    });
  });
}

/** A resolver for test `t`, stopped with it; null when there can be none here (a failure in CI,
 * where the namespaces must work, a skip that says why elsewhere). */
async function resolverFor(t: Tap.Test): Promise<Resolver | null> {
  const res = await startResolver();
  if (typeof res === 'string') {
    if (process.env.CI === 'true') t.fail(`the resolver namespaces must work in CI: ${res}`);
    else t.skip(`cannot make a resolver of our own here: ${res}`);
    return null;
  }
  t.teardown(res.stop);
  return res;
}

interface LogRecord {
  proto: 'udp' | 'tcp'; name: string; type: string; rcode: string; tc: boolean; answers: string[];
  client: [string, number]; query_size: number; response_size: number; error?: string;
}

const ZONE_ANSWERS: Record<string, string[]> = {
  'dual.gh.test': ['127.0.0.3', 'fd00::3'],
  'alias.gh.test': ['127.0.0.4', 'fd00::4'],
  'tc.gh.test': ['127.0.0.5'],
  'raw.gh.test': ['127.0.0.6'],
  'svc.gh.test': ['127.0.0.7'],
  'www.gh.test': ['127.0.0.12'],
};
const BIG = Array.from({ length: 40 }, (_, i) => `127.0.1.${i + 1}`);

t.test('DNS queries and answers, and the names of the addresses used', async (t) => {
  if (!(await requireBpf(t))) return;
  t.ok(existsSync('/usr/bin/getent'), 'getent is installed (libc-bin)');
  const res = await resolverFor(t);
  if (res === null) return;

  // recorded too: the replay must give the same receipt (dns frames carry the message bytes)
  const recDir = mkdtempSync(join(tmpdir(), 'gh-dns-rec-'));
  t.teardown(() => rmSync(recDir, { recursive: true, force: true }));
  const recording = join(recDir, 'dns.ghrec');
  const r = await ghRun([...res.enter, PYTHON, join(PROGRAMS, 'dnsclient.py'), '127.0.0.1'], { args: ['--record', recording] });
  const lines = r.stdout.toString().trim().split('\n');
  t.equal(r.code, 0, `dnsclient.py ran (${r.stderr.trim()})`);
  if (!lines.at(-1)?.startsWith('{')) return;
  const info = JSON.parse(lines.at(-1)!);
  t.same(info.problems, [], 'every lookup gave what the zone says');
  const log: LogRecord[] = readFileSync(res.logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.same(log.filter((l) => l.error), [], 'the server understood every query');

  const rc = r.receipt;
  const replayed = spawnSync(process.execPath, [GLASSHOUSE, 'replay', recording, '-o', join(recDir, 'replay.json')], { encoding: 'utf8' });
  t.equal(replayed.status, 0, `glasshouse replay: ${replayed.stderr}`);
  t.same(JSON.parse(readFileSync(join(recDir, 'replay.json'), 'utf8')), rc, 'the replay of the recording is the same receipt');
  t.equal(rc.collector.status, 'ok');
  t.equal(rc.collector.events_lost, 0, 'no event lost');
  t.equal(rc.collector.network_bytes, true);
  const g = info.getent;
  const py: number = info.pid;

  // --- dns[]: one entry per (name, type, protocol) here (nothing else differs between the
  // queries of one of them), its count that of the server's log
  t.ok(Array.isArray(rc.dns), 'the receipt has dns');
  const dns: any[] = rc.dns ?? [];
  const sorted = (a: string[] | undefined) => [...(a ?? [])].sort();
  const asked = (name: string, type: string, proto: string) => log.filter((l) => l.name === name && l.type === type && l.proto === proto);
  const entriesOf = (name: string, type: string, proto: string) => dns.filter((e) => e.name === name && e.type === type && e.protocol === proto);
  const keys = new Set(log.map((l) => JSON.stringify([l.name, l.type, l.proto])));
  t.same(dns.filter((e) => !keys.has(JSON.stringify([e.name, e.type, e.protocol]))), [], 'no query the server did not get');
  for (const k of keys) {
    const [name, type, proto] = JSON.parse(k) as [string, string, string];
    const total = entriesOf(name, type, proto).reduce((n, e) => n + e.count, 0);
    t.equal(total, asked(name, type, proto).length, `${name} ${type} over ${proto}: asked ${asked(name, type, proto).length} times`);
  }
  t.same(dns.filter((e) => e.server !== '127.0.0.1' || e.port !== 53), [], 'every query went to 127.0.0.1 port 53');

  const exact: [string, string, 'udp' | 'tcp', number, string, string[], boolean][] = [
    ['dual.gh.test', 'A', 'udp', g.dual.pid, 'NOERROR', ['127.0.0.3'], false],
    ['dual.gh.test', 'AAAA', 'udp', g.dual.pid, 'NOERROR', ['fd00::3'], false],
    // a CNAME chain: the targets are answers too
    ['alias.gh.test', 'A', 'udp', g.alias.pid, 'NOERROR', ['alias2.gh.test', 'target.gh.test', '127.0.0.4'], false],
    ['alias.gh.test', 'AAAA', 'udp', g.alias.pid, 'NOERROR', ['alias2.gh.test', 'target.gh.test', 'fd00::4'], false],
    ['nx.gh.test', 'A', 'udp', g.nx.pid, 'NXDOMAIN', [], false],
    ['nx.gh.test', 'AAAA', 'udp', g.nx.pid, 'NXDOMAIN', [], false],
    // TC=1 over UDP (no records), the same query again over TCP
    ['tc.gh.test', 'A', 'udp', py, 'NOERROR', [], true],
    ['tc.gh.test', 'A', 'tcp', py, 'NOERROR', ['127.0.0.5'], false],
    ['raw.gh.test', 'A', 'udp', py, 'NOERROR', ['127.0.0.6'], false],
    ['svc.gh.test', 'A', 'udp', py, 'NOERROR', ['127.0.0.7'], false],
    ['www.gh.test', 'A', 'udp', py, 'NOERROR', ['edge.gh.test', '127.0.0.12'], false],
  ];
  for (const [name, type, proto, pid, rcode, answers, truncated] of exact) {
    const found = entriesOf(name, type, proto);
    t.equal(found.length, 1, `${name} ${type} over ${proto}: one entry`);
    const e = found[0];
    if (!e) continue;
    t.same({ rcode: e.rcode, answers: sorted(e.answers), truncated: e.truncated, complete: e.complete, pids: e.pids, count: e.count },
      { rcode, answers: sorted(answers), truncated, complete: true, pids: [pid], count: 1 }, `${name} ${type} over ${proto}`);
  }
  // big.gh.test: 40 A records. glibc asks A and AAAA in one sendmmsg; the A answer is
  // truncated, so glibc stops reading (the AAAA answer over UDP is never read: no rcode) and asks
  // both over TCP, where the A answer (669 bytes) is more than a DNS frame copies (512): not
  // complete, its answers those that the copy holds. glibc may do it all twice (it asks again
  // with a larger buffer), which only changes the counts checked above.
  const big = (type: string, proto: string) => entriesOf('big.gh.test', type, proto);
  t.ok(big('A', 'udp').length > 0 && big('A', 'tcp').length > 0 && big('AAAA', 'udp').length > 0 && big('AAAA', 'tcp').length > 0,
    'big.gh.test: A and AAAA, over UDP and over TCP');
  for (const e of big('A', 'udp')) t.match(e, { rcode: 'NOERROR', answers: [], truncated: true, complete: true, pids: [g.big.pid] }, 'big A over UDP: TC=1');
  for (const e of big('AAAA', 'udp')) t.match(e, { rcode: null, answers: [], pids: [g.big.pid] }, 'big AAAA over UDP: no answer read');
  for (const e of big('A', 'tcp')) {
    t.match(e, { rcode: 'NOERROR', truncated: false, complete: false, pids: [g.big.pid] }, 'big A over TCP: more than was copied');
    t.same((e.answers ?? []).filter((a: string) => !BIG.includes(a)), [], 'big A over TCP: answers are the zone\'s');
  }
  for (const e of big('AAAA', 'tcp')) t.match(e, { rcode: 'NOERROR', answers: [], truncated: false, complete: true, pids: [g.big.pid] }, 'big AAAA over TCP');

  // --- network[]: the connections to what was answered, with the name as host
  const net: any[] = rc.network;
  const expected: ExpectedEntry[] = [];
  for (const key of ['svc', 'www'] as const) {
    const c = info[key];
    expected.push({ what: key, pid: py, op: 'connect', family: 'inet', protocol: 'tcp', address: c.address, port: c.port,
      result: 'ok', count: 1, bytes_sent: c.sent, bytes_received: c.received, host: `${key}.gh.test` });
  }
  // the bytes over port 53, from the server's log: glibc connects a UDP socket (one per lookup)
  // and reads every answer (A and AAAA) when none is truncated; over TCP each message has a
  // 2-byte length before it
  const sum = (l: LogRecord[], f: (x: LogRecord) => number) => l.reduce((n, x) => n + f(x), 0);
  const port53 = (what: string, pid: number, op: 'connect' | 'sendto', protocol: 'udp' | 'tcp', msgs: LogRecord[]): ExpectedEntry => {
    const extra = protocol === 'tcp' ? 2 : 0;
    return {
      what, pid, op, family: 'inet', protocol, address: '127.0.0.1', port: 53, result: 'ok',
      count: new Set(msgs.map((m) => m.client[1])).size, // a socket per lookup, each its own port
      bytes_sent: sum(msgs, (m) => m.query_size + extra), bytes_received: sum(msgs, (m) => m.response_size + extra), host: null,
    };
  };
  for (const key of ['dual', 'alias', 'nx'] as const) {
    expected.push(port53(`getent ${key}`, g[key].pid, 'connect', 'udp', log.filter((l) => l.name === `${key}.gh.test`)));
  }
  expected.push(
    port53('python getaddrinfo over UDP', py, 'connect', 'udp', log.filter((l) => l.proto === 'udp' && ['tc.gh.test', 'svc.gh.test', 'www.gh.test'].includes(l.name))),
    port53('python getaddrinfo over TCP', py, 'connect', 'tcp', log.filter((l) => l.proto === 'tcp' && l.name === 'tc.gh.test')),
    port53('raw query', py, 'sendto', 'udp', log.filter((l) => l.name === 'raw.gh.test')),
  );
  t.equal(info.raw.query_size + info.raw.response_size, sum(log.filter((l) => l.name === 'raw.gh.test'), (m) => m.query_size + m.response_size),
    'the raw query: the server\'s sizes are the client\'s');
  checkEntries(t, net, expected);

  // every entry whose address the zone answered has that name as host; every other, none
  // (big.gh.test's: only those in the 512 bytes copied of its TCP answer are known)
  const hostOf = new Map<string, string>();
  for (const [name, addrs] of Object.entries(ZONE_ANSWERS)) for (const a of addrs) hostOf.set(a, name);
  for (const e of net) {
    if (BIG.includes(e.address)) {
      t.ok(e.host === 'big.gh.test' || e.host === null, `${e.op} ${e.address}: host big.gh.test or unknown (${e.host})`);
      continue;
    }
    t.equal(e.host, hostOf.get(e.address) ?? null, `${e.op} ${e.family} ${e.address}:${e.port} by ${e.pid}: host`);
  }
});

// What the issue asks of a curl-like run: the host name, the bytes both ways, and the server's
// listen and accept, each side's bytes the other's.
t.test('an HTTP fetch by name from a server in the tree: host, bytes both ways, listen and accept', async (t) => {
  if (!(await requireBpf(t))) return;
  const res = await resolverFor(t);
  if (res === null) return;
  const r = await ghRun([...res.enter, PYTHON, join(PROGRAMS, 'httpget.py'), 'www.gh.test', '100000']);
  t.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout.toString().trim().split('\n').pop()!);
  t.match(info, { status: 200, body: 100000 });
  const rc = r.receipt;
  t.equal(rc.collector.events_lost, 0);
  t.match(rc.dns.find((e: any) => e.name === 'www.gh.test' && e.type === 'A'),
    { rcode: 'NOERROR', answers: ['edge.gh.test', '127.0.0.12'], server: '127.0.0.1', port: 53, pids: [info.pid] }, 'the question and its answer');
  const net: any[] = rc.network;
  const connect = net.filter((e) => e.op === 'connect' && e.address === '127.0.0.12' && e.port === info.port);
  const listen = net.filter((e) => e.op === 'listen' && e.address === '127.0.0.12' && e.port === info.port);
  const accept = net.filter((e) => e.op === 'accept'); // its peer: the source address routing chose
  t.equal(connect.length, 1, 'one connect entry to the server');
  t.equal(listen.length, 1, 'the listen entry, with the port the kernel chose');
  t.equal(accept.length, 1, 'one accept entry');
  if (connect.length !== 1 || accept.length !== 1) return;
  t.match(connect[0], { result: 'ok', protocol: 'tcp', host: 'www.gh.test', pid: info.pid }, 'the connect names the host asked');
  t.ok(connect[0].bytes_received > 100000, `the body and headers came back (${connect[0].bytes_received} bytes)`);
  t.ok(connect[0].bytes_sent > 20, `the request went out (${connect[0].bytes_sent} bytes)`);
  t.equal(accept[0].bytes_sent, connect[0].bytes_received, 'what the server sent is what the client received');
  t.equal(accept[0].bytes_received, connect[0].bytes_sent, 'what the client sent is what the server received');
  t.equal(connect[0].bytes, connect[0].bytes_sent + connect[0].bytes_received);
});
