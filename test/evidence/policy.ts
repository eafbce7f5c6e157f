// The policy's semantics on receipts made for each case: globs (~, relative, dotfiles, a cwd
// with glob characters), CIDRs, ports, IPv6, unix sockets, host names, allow against deny, the
// evidence (pids and argv), and the errors a bad policy gives (the zod path, the pattern).
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkReceipt, compilePolicy, PolicyError, readPolicyFile } from '../../controller/evidence/policy.js';
import { Policy, POLICY_SCHEMA_FILE, policyJsonSchemaText } from '../../controller/evidence/policy-schema.js';
import { readReceiptFile } from '../../controller/show/read.js';
import type { Receipt } from '../../controller/schema/receipt.js';
import { ROOT } from '../helpers/gh-run.js';

const HOME = '/home/alice';
const CWD = '/work/proj';
const base = readReceiptFile(join(ROOT, 'test', 'fixtures', 'recordings', 'net.receipt.json')).receipt;

/** A receipt with nothing in it but two processes, at CWD; `fill` adds what a case needs. */
function receipt(fill: (r: Receipt) => void): Receipt {
  const r: Receipt = structuredClone(base);
  r.environment.cwd = CWD;
  const proc = r.processes[0]!;
  r.processes = [
    { ...proc, pid: 100, argv: ['sh', '-c', 'cat ~/.ssh/id_rsa'], exe: '/usr/bin/dash', execs: [{ path: '/bin/sh', argv: ['sh', '-c', 'cat ~/.ssh/id_rsa'], result: 'ok' }] },
    { ...proc, pid: 101, ppid: 100, argv: ['cat', "it's\nme"], exe: '/usr/bin/cat', execs: [{ path: '/usr/bin/cat', argv: ['cat', "it's\nme"], result: 'ok' }] },
  ];
  r.filesystem = { ...r.filesystem, reads: [], writes: [], changes: [], outputs: [], removed: [], failed: [] };
  r.network = [];
  r.dns = [];
  fill(r);
  return r;
}
const read = (path: string, pids = [101]) => ({ path, pids, count: 1 });
const write = (path: string, pids = [101]) => ({ path, pids, count: 1, created: true, truncated: false, digest: null });
const net = (address: string, port: number | null, more: Partial<Receipt['network'][number]> = {}): Receipt['network'][number] => ({
  pid: 100, op: 'connect', family: address.includes(':') ? 'inet6' : 'inet', protocol: 'tcp', address, port, result: 'ok', count: 1, host: null,
  bytes_sent: 0, bytes_received: 0, bytes: 0, ...more,
});
const things = (r: Receipt, policy: unknown, home = HOME): string[] => checkReceipt(r, Policy.parse(policy), home).violations.map((v) => v.thing);

t.test('path globs: ~ is the given home, relative ones are against the receipt cwd, ** and * match dotfiles', async (t) => {
  const r = receipt((r) => {
    r.filesystem.reads = [read(`${HOME}/.ssh/id_rsa`), read('/a/b/.env'), read(`${CWD}/src/.hidden/x`), read('/work/other/x'), read(`${HOME}/.netrc`), read('/etc/hosts')];
  });
  t.same(things(r, { read: { deny: ['~/.ssh/**'] } }), [`${HOME}/.ssh/id_rsa`]);
  t.same(things(r, { read: { deny: ['~/.ssh/**'] } }, '/home/bob'), [], '~ follows the home given, not the receipt');
  t.same(things(r, { read: { deny: ['**/.env'] } }), ['/a/b/.env'], '**/ at the start matches anywhere');
  t.same(things(r, { read: { deny: ['~/.netrc'] } }), [`${HOME}/.netrc`]);
  t.same(things(r, { read: { deny: ['./**'] } }), [`${CWD}/src/.hidden/x`], './** is the cwd, dot directories included');
  t.same(things(r, { read: { deny: ['src/*/x'] } }), [`${CWD}/src/.hidden/x`], '* matches a dot directory');
  t.same(things(r, { read: { deny: ['../other/*'] } }), ['/work/other/x'], '.. goes up from the cwd');
  t.same(things(r, { read: { deny: ['/etc/*'] } }), ['/etc/hosts'], '* does not cross /');
  t.same(things(r, { read: { deny: ['/etc'] } }), [], 'a directory is not its contents');
});

t.test('a cwd or home with glob characters matches as itself', async (t) => {
  const r = receipt((r) => {
    r.environment.cwd = '/w/[a]';
    r.filesystem.reads = [read('/w/[a]/f'), read('/w/a/f')];
  });
  t.same(things(r, { read: { deny: ['./*'] } }), ['/w/[a]/f']);
  t.same(things(r, { read: { deny: ['~/*'] } }, '/w/[a]'), ['/w/[a]/f']);
});

t.test('allow: what matches none of it is a violation; deny wins over allow; no rules, no checks', async (t) => {
  const r = receipt((r) => {
    r.filesystem.writes = [write(`${CWD}/dist/a.js`), write('/tmp/x'), write(`${HOME}/.bashrc`), write(`${CWD}/.git/config`)];
    r.filesystem.outputs = [{ path: `${HOME}/.bashrc`, created: false, digest: null }];
    r.filesystem.changes = [
      { op: 'rename', path: `${CWD}/a.tmp`, to: '/usr/local/bin/a', result: 'ok', pids: [100], count: 1 },
      { op: 'chmod', path: '/etc/passwd', result: 'EPERM', pids: [100], count: 1, mode: '0777' },
    ];
  });
  const allowed = { write: { allow: ['./**', '/tmp/**'] } };
  t.same(things(r, allowed), [`${HOME}/.bashrc`, '/usr/local/bin/a'], 'the rename target counts, a failed chmod does not, the output merges with its write');
  const both = { write: { allow: ['./**', '/tmp/**'], deny: ['**/.git/**'] } };
  const v = checkReceipt(r, Policy.parse(both), HOME).violations;
  t.same(v.map((x) => [x.rule, x.pattern, x.thing]), [
    ['deny', '**/.git/**', `${CWD}/.git/config`],
    ['allow', null, `${HOME}/.bashrc`],
    ['allow', null, '/usr/local/bin/a'],
  ].sort((a, b) => (a[2]! < b[2]! ? -1 : 1)));
  const none = checkReceipt(r, Policy.parse({ read: { deny: ['/x'] } }), HOME);
  t.same(none, { violations: [], checks: 0, incomplete: null }, 'no reads: nothing checked; writes have no rules');
  t.equal(checkReceipt(r, Policy.parse(allowed), HOME).checks, 7, 'four writes, one output, two names of the rename');
});

t.test('the evidence: every pid that did it, with its argv from processes', async (t) => {
  const r = receipt((r) => {
    r.filesystem.reads = [read(`${HOME}/.ssh/id_rsa`, [100, 101, 999])];
  });
  const [v, ...rest] = checkReceipt(r, Policy.parse({ read: { deny: ['~/.ssh/**'] } }), HOME).violations;
  t.same(rest, []);
  t.same(v, {
    key: 'read', rule: 'deny', pattern: '~/.ssh/**', thing: `${HOME}/.ssh/id_rsa`, detail: null,
    processes: [
      { pid: 100, argv: ['sh', '-c', 'cat ~/.ssh/id_rsa'], exe: '/usr/bin/dash' },
      { pid: 101, argv: ['cat', "it's\nme"], exe: '/usr/bin/cat' },
      { pid: 999, argv: null, exe: null },
    ],
  });
});

t.test('exec: the path asked and the image run (a symlink resolved) both count', async (t) => {
  const r = receipt(() => {});
  t.same(things(r, { exec: { deny: ['/usr/bin/dash'] } }), ['/bin/sh'], 'deny catches the exe behind /bin/sh');
  t.same(things(r, { exec: { allow: ['/bin/*', '/usr/bin/cat'] } }), [], 'allow needs one of the names');
  t.same(things(r, { exec: { allow: ['/usr/bin/*'] } }), [], '/bin/sh runs /usr/bin/dash');
  t.same(things(r, { exec: { allow: ['/bin/*'] } }), ['/usr/bin/cat']);
  const failed = receipt((r) => r.processes[1]!.execs.unshift({ path: '/usr/local/bin/cat', argv: ['cat'], result: 'ENOENT' }));
  t.same(things(failed, { exec: { deny: ['/usr/local/**'] } }), [], 'a failed exec (a PATH search) ran nothing');
});

t.test('network: hosts and addresses, ports, CIDRs, IPv6, unix sockets', async (t) => {
  const r = receipt((r) => {
    r.network = [
      net('104.16.1.1', 443, { host: 'registry.npmjs.org' }),
      net('10.1.2.3', 5432),
      net('127.0.0.1', 8080, { op: 'listen' }),
      net('::1', 443, { result: 'ECONNREFUSED' }),
      net('2001:db8::5', 53, { op: 'sendto', protocol: 'udp' }),
      net('::ffff:192.168.1.9', 80),
      net('/run/docker.sock', null, { family: 'unix', protocol: 'stream' }),
      net('', null, { op: 'socket' }),
    ];
  });
  const deny = (...patterns: string[]) => things(r, { network: { deny: patterns } });
  t.same(deny('registry.npmjs.org:443'), ['104.16.1.1:443'], 'by the host name DNS gave');
  t.same(deny('*.npmjs.org'), ['104.16.1.1:443'], 'a host glob, any port');
  t.same(deny('*.npmjs.org:80'), [], 'the port must match');
  t.same(deny('10.0.0.0/8'), ['10.1.2.3:5432']);
  t.same(deny('10.0.0.0/8:443'), []);
  t.same(deny('127.0.0.0/8'), ['127.0.0.1:8080'], 'listen is network too');
  t.same(deny('::1/128'), ['[::1]:443'], 'a refused connect still counts');
  t.same(deny('[::1]:443'), ['[::1]:443']);
  t.same(deny('[::1]:80'), []);
  t.same(deny('0:0::1'), ['[::1]:443'], 'addresses compared as addresses, not text');
  t.same(deny('2001:db8::/32'), ['[2001:db8::5]:53']);
  t.same(deny('::/0'), ['[2001:db8::5]:53', '[::1]:443', '[::ffff:192.168.1.9]:80'], 'an IPv6 CIDR is not every IPv4 address');
  t.same(deny('192.168.0.0/16'), ['[::ffff:192.168.1.9]:80'], 'an IPv4-mapped address is in its IPv4 subnet');
  t.same(deny('/run/*.sock'), ['/run/docker.sock'], 'a unix socket by its path');
  t.same(deny('*').length, 6, '* is every inet peer, not the unix socket, not a socket with no peer');
  t.same(deny('*:53'), ['[2001:db8::5]:53']);
  t.same(things(r, { network: { allow: ['registry.npmjs.org:443', '127.0.0.0/8', '::/0', '/run/**', '192.168.0.0/16'] } }), ['10.1.2.3:5432']);
  const [v] = checkReceipt(r, Policy.parse({ network: { deny: ['::1'] } }), HOME).violations;
  t.same([v!.thing, v!.detail], ['[::1]:443', 'connect tcp ECONNREFUSED'], 'the call and its result are evidence');
});

t.test('a receipt that may not hold everything says so: a clean result proves less', async (t) => {
  const policy = Policy.parse({ read: { deny: ['/x'] } });
  const lost = receipt((r) => (r.collector.events_lost = 3));
  t.equal(checkReceipt(lost, policy, HOME).incomplete, '3 events lost');
  const off = receipt((r) => Object.assign(r.collector, { status: 'unavailable', reason: 'no BTF' }));
  t.equal(checkReceipt(off, policy, HOME).incomplete, 'collector unavailable: no BTF');
});

t.test('dns: globs over the names asked, case-insensitive', async (t) => {
  const r = receipt((r) => {
    const d = { type: 'A', server: '127.0.0.53', port: 53, protocol: 'udp' as const, rcode: 'NOERROR', answers: [], truncated: false, complete: true, pids: [101], count: 1 };
    r.dns = [{ ...d, name: 'a.example.org' }, { ...d, name: 'x.y.example.org' }, { ...d, name: 'example.org' }, { ...d, name: 'evil.test' }];
  });
  t.same(things(r, { dns: { deny: ['*.example.org'] } }), ['a.example.org', 'x.y.example.org'], '* spans labels, not the bare domain');
  t.same(things(r, { dns: { allow: ['*.EXAMPLE.org', 'example.org'] } }), ['evil.test']);
});

t.test('bad patterns: PolicyError naming the key, the list, the index and the pattern', async (t) => {
  const bad = (policy: unknown): string => {
    try {
      compilePolicy(Policy.parse(policy), { cwd: CWD, home: HOME });
    } catch (error) {
      if (error instanceof PolicyError) return error.message;
      throw error;
    }
    return 'accepted';
  };
  t.match(bad({ network: { deny: ['10.0.0.0/33'] } }), /^network\.deny\.0: invalid CIDR "10\.0\.0\.0\/33": the prefix length must be 0-32$/);
  t.match(bad({ network: { allow: ['a', '::1/129'] } }), /^network\.allow\.1: invalid CIDR "::1\/129"/);
  t.match(bad({ network: { deny: ['foo/8'] } }), /invalid CIDR "foo\/8": "foo" is not an IP address/);
  t.match(bad({ network: { deny: ['host:https'] } }), /the port must be a number 0-65535 or \*, got "https"/);
  t.match(bad({ network: { deny: ['host:65536'] } }), /port must be/);
  t.match(bad({ network: { deny: [':443'] } }), /no host or address/);
  t.match(bad({ read: { deny: ['/a/[b'] } }), /^read\.deny\.0: invalid glob "\/a\/\[b": Missing closing/);
  t.match(bad({ write: { allow: ['/x/[z-a]'] } }), /^write\.allow\.0: invalid glob "\/x\/\[z-a\]": not a valid glob/);
  t.match(bad({ read: { deny: ['~bob/.ssh/**'] } }), /only ~ and ~\/ are understood/);
  t.equal(bad({ network: { deny: ['*:*', '[::1]', '10.0.0.0/8:443', '*.x.org:443', '/run/**'] } }), 'accepted');
});

t.test('policy files: read, validated strictly, errors name the file and the zod path', async (t) => {
  const dir = t.testdir({});
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const error = (path: string): string => {
    try {
      readPolicyFile(path, { HOME });
    } catch (e) {
      if (e instanceof PolicyError) return e.message;
      throw e;
    }
    return 'accepted';
  };
  const unknownKey = file('a.json', JSON.stringify({ read: { deny: [] }, network: { deny: [], allowed: ['x'] } }));
  t.equal(error(unknownKey), `${unknownKey}: invalid policy at network: Unrecognized key: "allowed"`);
  const top = file('b.json', JSON.stringify({ files: {} }));
  t.equal(error(top), `${top}: invalid policy at (root): Unrecognized key: "files"`);
  const type = file('c.json', JSON.stringify({ dns: { deny: ['ok', 3] } }));
  t.match(error(type), new RegExp(`^${type}: invalid policy at dns\\.deny\\.1: .*string`));
  const empty = file('d.json', JSON.stringify({ read: { deny: [''] } }));
  t.equal(error(empty), `${empty}: invalid policy at read.deny.0: an empty pattern`);
  t.match(error(file('e.json', '{ nope')), /e\.json: not a policy \(not JSON: /);
  t.match(error(join(dir, 'none.json')), /none\.json: no such file/);
  t.match(error(dir), /is a directory, not a policy/);
  const cidr = file('f.json', JSON.stringify({ network: { deny: ['10.0.0.0/40'] } }));
  t.equal(error(cidr), `${cidr}: network.deny.0: invalid CIDR "10.0.0.0/40": the prefix length must be 0-32`);
  t.equal(error(file('g.json', JSON.stringify({ $schema: 'x', exec: {} }))), 'accepted');
});

t.test('policy.schema.json is up to date (run `npm run schema`)', async (t) => {
  t.equal(readFileSync(join(ROOT, POLICY_SCHEMA_FILE), 'utf8'), policyJsonSchemaText(), 'stale policy.schema.json: run npm run schema');
  const schema = JSON.parse(policyJsonSchemaText());
  t.equal(schema.additionalProperties, false, 'unknown keys are refused by the JSON Schema too');
  t.same(Object.keys(schema.properties), ['$schema', 'exec', 'write', 'read', 'network', 'dns']);
});
