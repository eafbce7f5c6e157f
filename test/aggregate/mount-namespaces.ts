import t from 'tap';
import { end, exec, exit, hello, mounts, open, receiptOf } from '../helpers/events.js';
import { parseMountinfoLine } from '../../controller/aggregate/mount-namespaces.js';

const NS = 4026532178;
const H3 = hello({ proto: 3 });
const LINES = [
  '44 43 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '65 44 254:0 /etc /tmp/x/harmless rw,relatime shared:1 master:2 - ext4 /dev/vda rw',
  '66 44 0:60 / /tmp/x/with\\040space rw - tmpfs none rw',
];

t.test('mountinfo lines, escapes and optional fields included', async (t) => {
  t.same(parseMountinfoLine(LINES[1]!), { id: 65, parent: 44, root: '/etc', mount_point: '/tmp/x/harmless', fs: 'ext4', source: '/dev/vda' });
  t.equal(parseMountinfoLine(LINES[2]!)?.mount_point, '/tmp/x/with space');
  t.equal(parseMountinfoLine('garbage'), null);
  t.equal(parseMountinfoLine('1 2 3 4 5 6 7 8 9'), null, 'no separator');
});

t.test('a namespace: the processes seen in it and its last mounts', async (t) => {
  const r = receiptOf([
    H3,
    exec(),
    { ...open({ path: `mnt:[${NS}]/tmp/x/t/f` }), mnt_ns: NS },
    mounts({ mnt_ns: NS, lines: LINES.slice(0, 1) }),
    mounts({ mnt_ns: NS, lines: LINES, pid: 4243 }),
    exit(),
    end(),
  ]);
  t.same(r.mount_namespaces, [
    {
      mnt_ns: NS,
      pids: [4242, 4243],
      mounts: LINES.map((l) => parseMountinfoLine(l)),
      truncated: false,
      error: null,
    },
  ]);
  t.equal(r.process_tree!.mnt_ns, NS, 'the process says where it ran');
  t.equal(r.filesystem.reads[0]!.path, `mnt:[${NS}]/tmp/x/t/f`);
});

t.test('a reading that failed after one that worked: kept, and said to be maybe out of date', async (t) => {
  const r = receiptOf([H3, exec(), mounts({ mnt_ns: NS, lines: LINES }), mounts({ mnt_ns: NS, lines: null, err: 'ENOENT', pid: 4250 }), end()]);
  t.equal(r.mount_namespaces[0]!.mounts!.length, 3);
  t.equal(r.mount_namespaces[0]!.error, 'may be out of date: the mounts after mount by pid 4250 could not be read (ENOENT)');
});

t.test('never read: no mounts, and why', async (t) => {
  const r = receiptOf([H3, exec(), mounts({ mnt_ns: NS, lines: null, err: 'ESRCH' }), end()]);
  t.same(r.mount_namespaces[0]!.mounts, null);
  t.match(r.mount_namespaces[0]!.error, /could not be read \(ESRCH\)/);
});

t.test('gh-run\'s own namespace: none listed, no mnt_ns on processes', async (t) => {
  const r = receiptOf([H3, exec(), open({ path: '/etc/hosts' }), exit(), end()]);
  t.same(r.mount_namespaces, []);
  t.notOk('mnt_ns' in r.process_tree!);
});
