// A policy checked against a receipt: what the run did (execs, writes, reads, network, DNS)
// against allow and deny lists. A violation is a thing that matches a deny pattern, or, when
// an allow list is given, matches none of it. The semantics are the README's ("glasshouse check
// --policy"); the file's shape is policy-schema.ts.
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import picomatch from 'picomatch';
import type { Receipt } from '../schema/receipt.js';
import { Policy, POLICY_KEYS, type PolicyKey } from './policy-schema.js';

/** A policy that cannot be used: the message names the file (when there is one) and the problem. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** Read and validate a policy file, and compile it once to find bad globs and CIDRs early. */
export function readPolicyFile(file: string, env: NodeJS.ProcessEnv = process.env): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PolicyError(`${file}: no such file (give the policy's path)`);
    if (code === 'EISDIR') throw new PolicyError(`${file}: is a directory, not a policy`);
    throw new PolicyError(`${file}: cannot be read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PolicyError(`${file}: not a policy (not JSON: ${(error as Error).message})`);
  }
  const parsed = Policy.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = (issue?.path ?? []).map(String).join('.') || '(root)';
    throw new PolicyError(`${file}: invalid policy at ${where}: ${issue?.message ?? 'invalid'}`);
  }
  try {
    // with a placeholder cwd: only the patterns' own syntax is checked here
    compilePolicy(parsed.data, { cwd: '/', home: homeOf(env) });
  } catch (error) {
    if (error instanceof PolicyError) throw new PolicyError(`${file}: ${error.message}`);
    throw error;
  }
  return parsed.data;
}

/** `~` is the HOME of the process that checks (the invoking user), else the passwd entry's. */
export function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}

// --- matchers -------------------------------------------------------------------------------

interface Where {
  /** the receipt's environment.cwd: relative globs are against it */
  cwd: string;
  home: string;
}

type Matcher = (candidates: readonly string[]) => boolean;
interface NetTarget {
  family: 'inet' | 'inet6' | 'unix';
  address: string;
  port: number | null;
  host: string | null;
}
type NetMatcher = (target: NetTarget) => boolean;

interface CompiledRules<M> {
  allow: { pattern: string; match: M }[] | null;
  deny: { pattern: string; match: M }[];
}
export interface CompiledPolicy {
  exec: CompiledRules<Matcher> | null;
  write: CompiledRules<Matcher> | null;
  read: CompiledRules<Matcher> | null;
  network: CompiledRules<NetMatcher> | null;
  dns: CompiledRules<Matcher> | null;
}

// dot: `**` and `*` match dotfiles (~/.ssh/**, **/.env); strictBrackets: an unclosed [ ( { is
// an error, not a pattern that silently matches nothing
const GLOB = { dot: true, strictBrackets: true } as const;

/** A picomatch matcher, or PolicyError naming the pattern. */
function glob(pattern: string, where: string, options: picomatch.PicomatchOptions = {}): (s: string) => boolean {
  try {
    // picomatch turns a pattern it cannot parse (a trailing backslash, [z-a]) into one that
    // matches nothing: refused too
    if (picomatch.makeRe(pattern, { ...GLOB, ...options }).source === '$^') throw new Error('not a valid glob');
    return picomatch(pattern, { ...GLOB, ...options });
  } catch (error) {
    throw new PolicyError(`${where}: invalid glob ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}

// what picomatch reads as special: a cwd or home holding them must match as itself
const escapeGlob = (s: string): string => s.replace(/[\\*?[\]{}()!+@|]/g, '\\$&');

/**
 * A path glob made absolute: `/...` as is; `~` and `~/...` from home; `**` and `**\/...` match
 * anywhere (so `**\/.env` catches /a/b/.env); anything else is relative to the receipt's cwd
 * (`./**`, `build/**`, `../out/**`).
 */
export function absoluteGlob(pattern: string, where: Where, at: string): string {
  if (pattern.startsWith('/') || pattern === '**' || pattern.startsWith('**/')) return pattern;
  if (pattern === '~' || pattern.startsWith('~/')) return escapeGlob(where.home.replace(/\/+$/, '')) + pattern.slice(1);
  if (pattern.startsWith('~')) throw new PolicyError(`${at}: ${JSON.stringify(pattern)}: only ~ and ~/ are understood (the HOME of the checking process), not ~user`);
  let base = where.cwd;
  let rest = pattern;
  for (;;) {
    if (rest === '.' || rest === './') return escapeGlob(base);
    if (rest === '..' || rest === '../') return escapeGlob(posix.dirname(base));
    if (rest.startsWith('./')) rest = rest.slice(2);
    else if (rest.startsWith('../')) {
      base = posix.dirname(base);
      rest = rest.slice(3);
    } else break;
  }
  return `${escapeGlob(base.replace(/\/+$/, ''))}/${rest}`;
}

function pathMatcher(pattern: string, where: Where, at: string): Matcher {
  const test = glob(absoluteGlob(pattern, where, at), at);
  // never .some(test): picomatch's second argument asks for a result object, which is truthy
  return (candidates) => candidates.some((c) => test(c));
}

function nameMatcher(pattern: string, at: string): Matcher {
  // DNS names are case-insensitive (the receipt has them in lower case)
  const test = glob(pattern, at, { nocase: true });
  return (candidates) => candidates.some((c) => test(c));
}

const familyOf = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

/**
 * A network pattern: a unix socket path glob (starting with /, ~ or .), or
 * host-or-address[:port] where host-or-address is a CIDR, an IP address, or a glob over the
 * host name and the address; IPv6 with a port in brackets ([::1]:443).
 */
function networkMatcher(pattern: string, where: Where, at: string): NetMatcher {
  if (/^[/~.]/.test(pattern)) {
    const test = pathMatcher(pattern, where, at);
    return (t) => t.family === 'unix' && t.address !== '' && test([t.address]);
  }
  let host: string;
  let port: string | null = null;
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(pattern);
  if (bracket) {
    host = bracket[1]!;
    port = bracket[2] ?? null;
  } else if (pattern.indexOf(':') !== pattern.lastIndexOf(':')) {
    host = pattern; // two colons or more: an IPv6 address or CIDR, with no port (give one as [::1]:443)
  } else {
    const colon = pattern.indexOf(':');
    host = colon < 0 ? pattern : pattern.slice(0, colon);
    port = colon < 0 ? null : pattern.slice(colon + 1);
  }
  if (host === '') throw new PolicyError(`${at}: ${JSON.stringify(pattern)}: no host or address (any host: *:443)`);
  let portOk: (p: number | null) => boolean = () => true;
  if (port !== null && port !== '*') {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new PolicyError(`${at}: ${JSON.stringify(pattern)}: the port must be a number 0-65535 or *, got ${JSON.stringify(port)}`);
    const n = Number(port);
    portOk = (p) => p === n;
  }
  const inet = (t: NetTarget): boolean => t.family !== 'unix' && t.address !== '' && portOk(t.port);
  const slash = host.indexOf('/');
  if (slash >= 0 || isIP(host) !== 0) {
    const address = slash >= 0 ? host.slice(0, slash) : host;
    const version = isIP(address);
    if (version === 0) throw new PolicyError(`${at}: invalid CIDR ${JSON.stringify(host)}: ${JSON.stringify(address)} is not an IP address`);
    const list = new BlockList();
    if (slash >= 0) {
      const bits = host.slice(slash + 1);
      const max = version === 4 ? 32 : 128;
      if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) throw new PolicyError(`${at}: invalid CIDR ${JSON.stringify(host)}: the prefix length must be 0-${max}`);
      list.addSubnet(address, Number(bits), familyOf(address));
    } else {
      list.addAddress(address, familyOf(address));
    }
    // BlockList matches an IPv4-mapped IPv6 address (::ffff:10.0.0.1) against an IPv4 subnet,
    // as it should; but it also takes a plain IPv4 address as mapped into an IPv6 subnet (::/0
    // would catch all of IPv4), which is not what an IPv6 CIDR says
    return (t) => inet(t) && isIP(t.address) !== 0 && !(version === 6 && isIP(t.address) === 4) && list.check(t.address, familyOf(t.address));
  }
  const test = glob(host, at, { nocase: true });
  return (t) => inet(t) && (test(t.address) || (t.host !== null && test(t.host)));
}

function compileRules<M>(key: PolicyKey, rules: { allow?: string[] | undefined; deny?: string[] | undefined } | undefined, make: (pattern: string, at: string) => M): CompiledRules<M> | null {
  if (rules === undefined) return null;
  const list = (which: 'allow' | 'deny', patterns: string[]) => patterns.map((pattern, i) => ({ pattern, match: make(pattern, `${key}.${which}.${i}`) }));
  return { allow: rules.allow === undefined ? null : list('allow', rules.allow), deny: list('deny', rules.deny ?? []) };
}

/** Globs made absolute against `where`, CIDRs and ports parsed; PolicyError on a bad one. */
export function compilePolicy(policy: Policy, where: Where): CompiledPolicy {
  return {
    exec: compileRules('exec', policy.exec, (p, at) => pathMatcher(p, where, at)),
    write: compileRules('write', policy.write, (p, at) => pathMatcher(p, where, at)),
    read: compileRules('read', policy.read, (p, at) => pathMatcher(p, where, at)),
    network: compileRules('network', policy.network, (p, at) => networkMatcher(p, where, at)),
    dns: compileRules('dns', policy.dns, (p, at) => nameMatcher(p, at)),
  };
}

// --- evaluation -----------------------------------------------------------------------------

export interface Actor {
  pid: number;
  /** the process's argv as the receipt has it; null when not captured or the pid is not in it */
  argv: string[] | null;
  exe: string | null;
}

export interface Violation {
  key: PolicyKey;
  rule: 'allow' | 'deny';
  /** the deny pattern that matched; null for an allow list nothing in which matched */
  pattern: string | null;
  /** the path, exe, peer (address:port, [v6]:port, or socket path) or name */
  thing: string;
  /** network: the call and its result (connect ECONNREFUSED); exec: the exe when it differs */
  detail: string | null;
  processes: Actor[];
}

export interface CheckResult {
  violations: Violation[];
  /** how many things were checked against a section of the policy that has rules */
  checks: number;
  /**
   * why the receipt may not hold all the run did (collector unavailable or degraded, events
   * lost): what it did not see was not checked, so "no violations" proves less; null when complete
   */
  incomplete: string | null;
}

interface Item<T> {
  candidates: T;
  thing: string;
  detail: string | null;
  pids: readonly number[];
}

/** The receipt checked against the policy; `home` is for `~`, the receipt's cwd for relative globs. */
export function checkReceipt(receipt: Receipt, policy: Policy, home: string): CheckResult {
  const compiled = compilePolicy(policy, { cwd: receipt.environment.cwd, home });
  const byPid = new Map(receipt.processes.map((p) => [p.pid, p]));
  const actor = (pid: number): Actor => {
    const p = byPid.get(pid);
    return { pid, argv: p?.argv ?? null, exe: p?.exe ?? null };
  };
  // one violation per (section, rule, pattern, thing), with every process that did it
  const found = new Map<string, Violation & { pidSet: Set<number> }>();
  let checks = 0;
  const judge = <T, M>(key: PolicyKey, rules: CompiledRules<M> | null, items: Iterable<Item<T>>, matches: (m: M, c: T) => boolean): void => {
    if (rules === null) return;
    for (const item of items) {
      checks++;
      const hits: { rule: 'allow' | 'deny'; pattern: string | null }[] = rules.deny.filter((d) => matches(d.match, item.candidates)).map((d) => ({ rule: 'deny', pattern: d.pattern }));
      if (rules.allow !== null && !rules.allow.some((a) => matches(a.match, item.candidates))) hits.push({ rule: 'allow', pattern: null });
      for (const hit of hits) {
        const id = JSON.stringify([key, hit.rule, hit.pattern, item.thing, item.detail]);
        let v = found.get(id);
        if (v === undefined) {
          v = { key, ...hit, thing: item.thing, detail: item.detail, processes: [], pidSet: new Set() };
          found.set(id, v);
        }
        for (const pid of item.pids) v.pidSet.add(pid);
      }
    }
  };
  const pathMatch = (m: Matcher, c: readonly string[]) => m(c);
  judge('exec', compiled.exec, execItems(receipt), pathMatch);
  judge('write', compiled.write, writeItems(receipt), pathMatch);
  judge('read', compiled.read, readItems(receipt), pathMatch);
  judge('network', compiled.network, networkItems(receipt), (m: NetMatcher, t: NetTarget) => m(t));
  judge('dns', compiled.dns, receipt.dns.map((d) => ({ candidates: [d.name], thing: d.name, detail: null, pids: d.pids })), pathMatch);
  const violations = [...found.values()].map(({ pidSet, ...v }) => ({ ...v, processes: [...pidSet].sort((a, b) => a - b).map(actor) }));
  const order = (k: PolicyKey) => POLICY_KEYS.indexOf(k);
  violations.sort((a, b) => order(a.key) - order(b.key) || (a.thing < b.thing ? -1 : a.thing > b.thing ? 1 : 0));
  return { violations, checks, incomplete: incompleteness(receipt) };
}

function incompleteness(receipt: Receipt): string | null {
  const c = receipt.collector;
  if (c.status !== 'ok') return `collector ${c.status}${c.reason === null ? '' : `: ${c.reason}`}`;
  if (c.events_lost > 0) return `${c.events_lost} events lost`;
  return null;
}

/**
 * Every successful exec: its path as asked, and, for the process's last one, the image it ran
 * (processes[].exe: a symlink resolved, a script's interpreter). A deny catches either name;
 * an allow needs one of them.
 */
function* execItems(receipt: Receipt): Iterable<Item<string[]>> {
  for (const p of receipt.processes) {
    const ok = p.execs.filter((e) => e.result === 'ok');
    for (const [i, e] of ok.entries()) {
      const last = i === ok.length - 1 && p.exe !== null && p.exe !== e.path;
      yield { candidates: last ? [e.path, p.exe!] : [e.path], thing: e.path, detail: last ? `exe ${p.exe}` : null, pids: [p.pid] };
    }
  }
}

/** What was written: writes (files with a path), outputs (no pid of their own), and successful changes, both names of a rename or link. */
function* writeItems(receipt: Receipt): Iterable<Item<string[]>> {
  const fs = receipt.filesystem;
  for (const w of fs.writes) if (w.kind === undefined) yield { candidates: [w.path], thing: w.path, detail: null, pids: w.pids };
  for (const o of fs.outputs) yield { candidates: [o.path], thing: o.path, detail: null, pids: [] };
  for (const c of fs.changes) {
    if (c.result !== 'ok') continue;
    // link: `to` is the existing file, which is not written; rename: both names change
    for (const path of [c.path, c.op === 'rename' ? c.to : undefined]) {
      if (path !== null && path !== undefined) yield { candidates: [path], thing: path, detail: null, pids: c.pids };
    }
  }
}

function* readItems(receipt: Receipt): Iterable<Item<string[]>> {
  for (const r of receipt.filesystem.reads) if (r.kind === undefined) yield { candidates: [r.path], thing: r.path, detail: null, pids: r.pids };
}

/** connect, sendto, sendmsg, listen, accept, and a socket of the run's with a peer; failed attempts too. */
function* networkItems(receipt: Receipt): Iterable<Item<NetTarget>> {
  for (const n of receipt.network) {
    if (n.address === '') continue; // a socket with no peer, an unnamed unix socket
    const thing = n.family === 'unix' ? n.address : n.port === null ? n.address : n.family === 'inet6' ? `[${n.address}]:${n.port}` : `${n.address}:${n.port}`;
    const detail = [n.op, n.protocol, n.result === 'ok' ? null : n.result, n.host === null ? null : `host ${n.host}`].filter((s) => s !== null).join(' ');
    yield { candidates: { family: n.family, address: n.address, port: n.port, host: n.host }, thing, detail, pids: [n.pid] };
  }
}
