// What `glasshouse diff` treats as the same across two runs: names a program made up at random
// (temp files and directories), the pid in a /proc path, and ports the kernel picked. Two runs
// of one build differ in exactly these, and in nothing a reviewer cares about; every other
// character of a path or an argument is compared as it is.
//
// The rule, per path component (docs: README, "glasshouse diff"):
//  1. a known temp-name generator: the prefix, then exactly its random part in its alphabet,
//     then the end or an extension:
//       cc + 6 of [A-Za-z0-9]            gcc's temp files        /tmp/ccA1bC2d.s
//       tmp + 8 of [a-z0-9_]             python's tempfile       /tmp/tmpk3j_x9ab
//       tmp. + 10 of [A-Za-z0-9]         mktemp                  /tmp/tmp.Xa81kQz0Pw
//       glasshouse-demo- + 8 of [a-z0-9_]  the demo's directory
//     The random part becomes `*` in a temp directory (under /tmp, /var/tmp, /dev/shm) whatever
//     its letters; elsewhere only when it looks random (3).
//  2. in a temp directory, any other run of 6 or more of [A-Za-z0-9] that stands between the
//     component's start or a separator (- . _) and its end or a separator, and looks random (3):
//     mkdtemp's gh-e2e-Ab12Cd, systemd-private-<hex>-...; and a whole name of 8 of [a-z0-9_]
//     (python's tempfile with no prefix) with a digit that looks random when `_` counts as one
//  3. looks random: letters and digits mixed (not a word with a number after it: python3, lib64),
//     or upper and lower case mixed other than as words are (Makefile, MyProject stay).
//  4. /proc/<pid>/... becomes /proc/*/...: a pid is never a difference.
//  5. a name of 8 of [a-z0-9_] directly in a temp directory that the run created and deleted
//     again (python's probe of the temp directory, whatever its letters) becomes `*`.
// Plain names stay: /tmp/config, build.log, main.o, /tmp/python3.
// Argv elements: every absolute path in them (the whole element, or after = : , or a short
// option such as -o/tmp/x) goes through the same rule.

export const TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm'] as const;

interface Generator {
  prefix: string;
  random: RegExp;
}
// each: the prefix, and the generator's random part (its alphabet and exact length)
const GENERATORS: readonly Generator[] = [
  { prefix: 'glasshouse-demo-', random: /^[a-z0-9_]{8}/ },
  { prefix: 'tmp.', random: /^[A-Za-z0-9]{10}/ },
  { prefix: 'tmp', random: /^[a-z0-9_]{8}/ },
  { prefix: 'cc', random: /^[A-Za-z0-9]{6}/ },
];

// a word, then maybe a number: python3, lib64, Makefile, MyProject, getValue2 (humps of 2+
// lower-case letters after the first, as words are; random text changes case more often)
const WORDLIKE = /^[A-Za-z][a-z]+(?:[A-Z][a-z]{2,})*[0-9]*$/;
const ALL_UPPER_WORD = /^[A-Z]+[0-9]*$/;

/** A run of letters and digits that looks made up at random (rule 3). */
export function looksRandom(run: string): boolean {
  if (run.length < 6) return false;
  const letters = /[A-Za-z]/.test(run);
  const digits = /[0-9]/.test(run);
  const mixedCase = /[a-z]/.test(run) && /[A-Z]/.test(run);
  if (!(letters && digits) && !mixedCase) return false;
  return !WORDLIKE.test(run) && !ALL_UPPER_WORD.test(run);
}

function isTempPath(dir: string): boolean {
  return TEMP_DIRS.some((t) => dir === t || dir.startsWith(t + '/'));
}

/** One component of a path, `inTemp`: its directory is a temp directory. */
export function normaliseComponent(component: string, inTemp: boolean): string {
  for (const g of GENERATORS) {
    if (!component.startsWith(g.prefix)) continue;
    const rest = component.slice(g.prefix.length);
    const m = g.random.exec(rest);
    if (m === null) continue;
    const after = rest.slice(m[0].length);
    // the end, or an extension or suffix after a separator (ccA1bC2d.s, tmpabc_1234.txt)
    if (after !== '' && !/^[-.]/.test(after)) continue;
    if (inTemp || looksRandom(m[0].replace(/_/g, ''))) return g.prefix + '*' + (inTemp ? normaliseRuns(after) : after);
  }
  // python's tempfile names with no prefix (its probe of the temp directory, /tmp/xo_92o3i): its
  // alphabet has `_`, which would split the run for rule 2, so `_` counts as a digit here (with
  // one digit at least: sub_dirs stays)
  if (inTemp && PYTHON_NAME.test(component) && /[0-9]/.test(component) && looksRandom(component.replace(/_/g, '0'))) return '*';
  return inTemp ? normaliseRuns(component) : component;
}
const PYTHON_NAME = /^[a-z0-9_]{8}$/;

// rule 2: runs between separators (or the ends) that look random
function normaliseRuns(s: string): string {
  return s.replace(/(^|[-._])([A-Za-z0-9]{6,})(?=$|[-._])/g, (all: string, sep: string, run: string) => (looksRandom(run) ? sep + '*' : all));
}

/**
 * A path with its random names (and a /proc pid) made `*`; a relative path is kept as is but
 * for known generators' names that look random. `scratch`: paths the run created and deleted
 * again (see scratchPaths).
 */
export function normalisePath(path: string, scratch?: ReadonlySet<string>): string {
  if (path === '' || path.startsWith('…')) return path;
  // rule 5: python's probe of a temp directory in one case with no digit (/tmp/abcdefgh, one
  // run in twelve) looks like a word; that it was made and deleted at once, directly in the
  // temp directory, is what tells
  if (scratch?.has(path)) {
    const slash = path.lastIndexOf('/');
    if ((TEMP_DIRS as readonly string[]).includes(path.slice(0, slash)) && PYTHON_NAME.test(path.slice(slash + 1))) return path.slice(0, slash) + '/*';
  }
  const parts = path.split('/');
  let dir = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const absolute = parts[0] === '';
    if (i > 0 && part !== '') {
      if (absolute && i === 2 && parts[1] === 'proc' && /^[0-9]+$/.test(part)) parts[i] = '*';
      else parts[i] = normaliseComponent(part, absolute && isTempPath(dir));
    } else if (i === 0 && part !== '') {
      parts[i] = normaliseComponent(part, false);
    }
    dir = i === 0 ? part : `${dir}/${part}`;
  }
  return parts.join('/');
}

// an absolute path inside an argument: the whole argument, or after = : , or a short option
const PATH_IN_ARG = /(^-[A-Za-z]|^|[=:,])(\/[^=:,]*)/g;

/** An argv element with the absolute paths in it normalised (a plain word is left alone). */
export function normaliseArg(arg: string): string {
  if (!arg.includes('/')) return normaliseComponent(arg, false);
  return arg.replace(PATH_IN_ARG, (_all: string, before: string, path: string) => before + normalisePath(path));
}

/** Loopback, as the receipt writes addresses (127.0.0.0/8, ::1, v4-mapped). */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

/** The first port of Linux's default ip_local_port_range: ports the kernel hands out itself. */
export const EPHEMERAL_PORT_MIN = 32768;

/**
 * The port of a network entry as compared: `*` for one the kernel chose rather than the program
 * (an accepted peer's source port; a loopback port at or above 32768, which is a server the tree
 * or its caller started on port 0, listened on or connected to), else the number.
 */
export function normalisePort(op: string, address: string, port: number | null): string {
  if (port === null) return '';
  if (op === 'accept') return '*';
  if (port >= EPHEMERAL_PORT_MIN && isLoopback(address)) return '*';
  return String(port);
}

/** Paths the run created and deleted again (scratch files): for rule 5. */
export function scratchPaths(writes: readonly { path: string; created: boolean }[], changes: readonly { op: string; path: string | null; result: string }[]): Set<string> {
  const deleted = new Set(changes.filter((c) => c.op === 'delete' && c.result === 'ok' && c.path !== null).map((c) => c.path!));
  return new Set(writes.filter((w) => w.created && deleted.has(w.path)).map((w) => w.path));
}
