// End to end: a real traced run under the built gh-run writes two files and appends to an
// input it was given with --materials; the built glasshouse attests its receipt with a key
// openssl made. openssl verifies the envelope over a PAE built here; the subjects are exactly
// those three files with the sha256 of what is on disk, the materials hold the input as it was
// before; verify --check-subjects passes until one of the files changes.
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, GH_RUN, GLASSHOUSE, PYTHON, requireBpf } from '../helpers/gh-run.js';
import { dssePae, makeKey, opensslVerifies } from '../helpers/openssl.js';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

t.test('a run that writes two files, attested and verified', async (t) => {
  if (!(await requireBpf(t))) return;
  const d = realpathSync(t.testdir({ src: { 'input.txt': 'the input\n' } }));
  const out = join(d, 'out');
  mkdirSync(out);
  const receipt = join(d, 'receipt.json');
  // contents made in the run (random), so that no digest here can be known beforehand
  const script = `import os,sys\nfor n in ('one.bin','two.txt'):\n  open(os.path.join(sys.argv[1], n), 'wb').write(os.urandom(4096))\nopen(os.path.join(sys.argv[2], 'input.txt'), 'a').write('appended')\n`;
  const run = await collect([process.execPath, GH_RUN, '-q', '--materials', join(d, 'src'), '-o', receipt, '--', PYTHON, '-c', script, out, join(d, 'src')]);
  t.equal(run.code, 0, run.stderr);
  const r = JSON.parse(readFileSync(receipt, 'utf8'));
  t.equal(r.collector.status, 'ok');

  const key = makeKey(d, 'ed25519');
  const envelopeFile = join(d, 'attestation.json');
  const a = await collect([process.execPath, GLASSHOUSE, 'attest', receipt, '--key', key.priv, '-o', envelopeFile, '--materials-file', `${receipt}.materials.json`]);
  t.equal(a.code, 0, a.stderr);
  const envelope = JSON.parse(readFileSync(envelopeFile, 'utf8'));
  const payload = Buffer.from(envelope.payload, 'base64');
  t.ok(opensslVerifies(d, 'ed25519', key.pub, dssePae(envelope.payloadType, payload), Buffer.from(envelope.signatures[0].sig, 'base64')), 'openssl verifies it');
  t.equal(envelope.payloadType, 'application/vnd.in-toto+json');

  const statement = JSON.parse(payload.toString('utf8'));
  t.equal(statement._type, 'https://in-toto.io/Statement/v1');
  t.same(
    statement.subject,
    [join(out, 'one.bin'), join(out, 'two.txt'), join(d, 'src', 'input.txt')].map((name) => ({ name, digest: { sha256: sha256(readFileSync(name)) } })),
    'the subjects: the two files the run wrote and the input it appended to, with the sha256 of what is on disk',
  );
  t.same(statement.predicate.command, [PYTHON, '-c', script, out, join(d, 'src')]);
  t.same(statement.predicate.materials, {
    taken: 'before_run',
    root: join(d, 'src'),
    files: [{ path: 'input.txt', sha256: sha256('the input\n'), size: 10 }],
  }, 'the input as it was before the run appended to it (its subject has the digest after)');

  const verify = (...args: string[]) => collect([process.execPath, GLASSHOUSE, 'verify', '--key', key.pub, envelopeFile, ...args]);
  const good = await verify('--check-subjects');
  t.equal(good.code, 0, good.stderr);
  t.match(good.stdout.toString(), `subjects: 3\n  ${join(out, 'one.bin')}  sha256:`);
  writeFileSync(join(out, 'two.txt'), 'changed');
  const bad = await verify('--check-subjects');
  t.equal(bad.code, 1);
  t.match(bad.stderr, `1 of 3 subjects differ:\n  ${join(out, 'two.txt')}: sha256 ${sha256('changed')}`);
});
