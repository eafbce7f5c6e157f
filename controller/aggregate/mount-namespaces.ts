// Mount namespaces other than gh-run's that the tree ran in: which processes were seen there,
// and the namespace's mounts as the helper last read them (mounts frames: /proc/<tid>/mountinfo
// lines, parsed here), so a path written "mnt:[<inode>]/..." can be understood.
import type { MountsFrame } from '../schema/frames.js';
import type { MountNamespace } from '../schema/receipt.js';

type Mount = NonNullable<MountNamespace['mounts']>[number];

interface NsAcc {
  pids: Set<number>;
  mounts: Mount[] | null;
  truncated: boolean;
  error: string | null;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** One /proc/<pid>/mountinfo line (proc(5)), or null when it is not one. */
export function parseMountinfoLine(line: string): Mount | null {
  const fields = line.split(' ');
  const dash = fields.indexOf('-', 6);
  if (fields.length < 10 || dash < 0 || dash + 2 >= fields.length) return null;
  const id = Number(fields[0]);
  const parent = Number(fields[1]);
  if (!Number.isInteger(id) || !Number.isInteger(parent) || id < 0 || parent < 0) return null;
  return { id, parent, root: unescape(fields[3]!), mount_point: unescape(fields[4]!), fs: fields[dash + 1]!, source: unescape(fields[dash + 2]!) };
}

export class MountNamespaceTable {
  private readonly byNs = new Map<number, NsAcc>();

  private acc(ns: number): NsAcc {
    let a = this.byNs.get(ns);
    if (a === undefined) this.byNs.set(ns, (a = { pids: new Set(), mounts: null, truncated: false, error: 'never read' }));
    return a;
  }

  /** A process was seen in namespace `ns` (an event frame's mnt_ns). */
  seen(ns: number, pid: number): void {
    this.acc(ns).pids.add(pid);
  }

  /** The namespace's mounts as the helper read them: the latest reading wins. */
  add(f: MountsFrame): void {
    const a = this.acc(f.mnt_ns);
    a.pids.add(f.pid);
    if (f.lines === null) {
      // a namespace that could not be read again keeps what an earlier reading said, and says
      // that it may be out of date
      const why = `the mounts after ${f.call} by pid ${f.pid} could not be read (${f.err ?? 'unreadable'})`;
      a.error = a.mounts === null ? why : `may be out of date: ${why}`;
      return;
    }
    const mounts: Mount[] = [];
    let bad = 0;
    for (const line of f.lines) {
      const m = parseMountinfoLine(line);
      if (m !== null) mounts.push(m);
      else bad++;
    }
    a.mounts = mounts;
    a.truncated = f.truncated;
    a.error = bad > 0 ? `${bad} mountinfo lines not understood` : null;
  }

  section(): MountNamespace[] {
    return [...this.byNs.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([ns, a]) => ({ mnt_ns: ns, pids: [...a.pids].sort((x, y) => x - y), mounts: a.mounts, truncated: a.truncated, error: a.error }));
  }
}
