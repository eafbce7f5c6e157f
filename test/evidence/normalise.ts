// The normalisation of glasshouse diff: random temp names become `*`, plain names stay as they
// are, in paths and in argv; kernel-chosen ports become `*`.
import t from 'tap';
import { looksRandom, normaliseArg, normalisePath, normalisePort, scratchPaths } from '../../controller/evidence/normalise.js';

t.test('random temp names are normalised', async (t) => {
  const cases: [string, string][] = [
    ['/tmp/ccA1bC2d.s', '/tmp/cc*.s'], // gcc
    ['/tmp/ccabcdef.o', '/tmp/cc*.o'], // gcc, all letters: the generator's exact form in /tmp
    ['/tmp/cc9Xz81Q.ld', '/tmp/cc*.ld'],
    ['/tmp/tmpk3j_x9ab', '/tmp/tmp*'], // python tempfile
    ['/tmp/tmpabcdefgh/out.txt', '/tmp/tmp*/out.txt'],
    ['/var/tmp/tmpq0w9e8r7.json', '/var/tmp/tmp*.json'],
    ['/tmp/tmp.Xa81kQz0Pw', '/tmp/tmp.*'], // mktemp
    ['/tmp/tmp.abcdefghij/x', '/tmp/tmp.*/x'],
    ['/tmp/glasshouse-demo-x1y2z3ab/build.log', '/tmp/glasshouse-demo-*/build.log'],
    ['/tmp/glasshouse-demo-abcdefgh', '/tmp/glasshouse-demo-*'],
    ['/tmp/gh-e2e-Ab12Cd/receipt.json', '/tmp/gh-e2e-*/receipt.json'], // mkdtemp
    ['/tmp/glasshouse-recordings.dXtZwq/files', '/tmp/glasshouse-recordings.*/files'], // mixed case, no digit
    ['/dev/shm/sem.q8W2eR', '/dev/shm/sem.*'],
    ['/tmp/9l8ej1k3', '/tmp/*'], // python's probe of the temp dir
    ['/tmp/xo_92o3i', '/tmp/*'], // the same, its `_` splitting the run
    ['/tmp/systemd-private-0123456789abcdef0123456789abcdef-foo.service-Ab12Cd/tmp', '/tmp/systemd-private-*-foo.service-*/tmp'],
    ['/proc/4242/status', '/proc/*/status'],
    ['/home/u/build/ccX9y8Z7.s', '/home/u/build/cc*.s'], // a known generator outside /tmp, when it looks random
  ];
  for (const [raw, normal] of cases) t.equal(normalisePath(raw), normal, raw);
});

t.test('plain names stay as they are', async (t) => {
  const plain = [
    '/tmp/config',
    '/tmp/build.log',
    '/tmp/main.o',
    '/tmp/python3',
    '/tmp/x86_64-linux-gnu/lib64',
    '/tmp/Makefile',
    '/tmp/proj/MyProject.csproj',
    '/tmp/tmpfiles.d',
    '/tmp/ccache',
    '/tmp/readme-README',
    '/tmp/build_01',
    '/tmp/sub_dirs',
    '/home/u/build.log',
    '/home/u/main.o',
    '/home/u/tmpabcdefgh', // the python form outside a temp dir, not random-looking: kept
    '/home/u/ccabcdef.s', // likewise
    '/home/u/proj-Ab12Cd/x', // a random-looking run with no known prefix, outside a temp dir
    '/proc/self/status',
    '/usr/lib/x86_64-linux-gnu/libc.so.6',
    'relative/main.o',
    '',
  ];
  for (const p of plain) t.equal(normalisePath(p), p, p);
});

t.test('looksRandom: letters mixed with digits or case, but not as words are', async (t) => {
  for (const r of ['Ab12Cd', 'ab12cd', 'dXtZwq', '9l8ej1k3', 'Xa81kQz0Pw']) t.ok(looksRandom(r), r);
  for (const w of ['python3', 'lib64', 'Makefile', 'MyProject', 'getValue2', 'README', 'config', 'abc12', 'LINUX64']) t.notOk(looksRandom(w), w);
});

t.test('argv elements: the paths in them, wherever they stand', async (t) => {
  t.equal(normaliseArg('/tmp/ccA1bC2d.s'), '/tmp/cc*.s');
  t.equal(normaliseArg('-o/tmp/ccA1bC2d.o'), '-o/tmp/cc*.o');
  t.equal(normaliseArg('--output=/tmp/tmpk3j_x9ab/x'), '--output=/tmp/tmp*/x');
  t.equal(normaliseArg('-fdebug-prefix-map=/tmp/gh-e2e-Ab12Cd=.'), '-fdebug-prefix-map=/tmp/gh-e2e-*=.');
  t.equal(normaliseArg('PATH=/usr/bin:/tmp/tmp.Xa81kQz0Pw/bin'), 'PATH=/usr/bin:/tmp/tmp.*/bin');
  for (const plain of ['-O2', 'main.c', '-o', 'main.o', 'hello world', '--jobs=4', 'build.log', '-DVERSION=3', 'x/y']) t.equal(normaliseArg(plain), plain, plain);
  // a known generator's name with no directory, when it looks random
  t.equal(normaliseArg('ccA1bC2d.s'), 'cc*.s');
});

t.test('ports the kernel chose are `*`; ports a program asked for stay', async (t) => {
  t.equal(normalisePort('accept', '10.0.0.2', 51234), '*', "an accepted peer's source port");
  t.equal(normalisePort('listen', '127.0.0.1', 40001), '*', 'port 0 bound on loopback');
  t.equal(normalisePort('connect', '127.0.0.1', 40001), '*', 'a local server started on port 0');
  t.equal(normalisePort('connect', '::1', 50323), '*');
  t.equal(normalisePort('connect', '127.0.0.1', 8080), '8080');
  t.equal(normalisePort('connect', '93.184.216.34', 40001), '40001', 'a remote port is what the program asked for');
  t.equal(normalisePort('listen', '0.0.0.0', 443), '443');
  t.equal(normalisePort('connect', '/tmp/sock', null), '');
});

t.test("python's probe of the temp directory: any letters, when the run made and deleted it there", async (t) => {
  const writes = [
    { path: '/tmp/abcdefgh', created: true },
    { path: '/tmp/database', created: true }, // kept: not deleted
    { path: '/tmp/sub/qwertyui', created: true }, // deleted, but not directly in the temp directory
    { path: '/home/u/zxcvbnmq', created: true },
  ];
  const changes = ['/tmp/abcdefgh', '/tmp/sub/qwertyui', '/home/u/zxcvbnmq'].map((path) => ({ op: 'delete', path, result: 'ok' }));
  const scratch = scratchPaths(writes, changes);
  t.same([...scratch].sort(), ['/home/u/zxcvbnmq', '/tmp/abcdefgh', '/tmp/sub/qwertyui']);
  t.equal(normalisePath('/tmp/abcdefgh', scratch), '/tmp/*');
  t.equal(normalisePath('/tmp/abcdefgh'), '/tmp/abcdefgh', 'without knowing it was scratch: a word');
  for (const p of ['/tmp/database', '/tmp/sub/qwertyui', '/home/u/zxcvbnmq']) t.equal(normalisePath(p, scratch), p, p);
  t.same([...scratchPaths(writes, [{ op: 'delete', path: '/tmp/abcdefgh', result: 'ENOENT' }])], [], 'a failed delete deletes nothing');
});
