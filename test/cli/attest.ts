// `glasshouse attest` and `glasshouse verify` on the command line. What is signed is checked by
// openssl against a PAE built here from the DSSE spec, with keys openssl made; envelopes openssl
// signed are checked by verify. Then the failures: each exit 1 and exit 2 the docs promise.
import t from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli, type CliAction } from '../../controller/cli/args.js';
import { attest as runAttest } from '../../controller/evidence/attest.js';
import { verify as runVerify } from '../../controller/evidence/verify.js';
import { ROOT, runCli } from '../helpers/gh-run.js';
import { dssePae, makeKey, opensslSign, opensslVerifies, spkiSha256, type KeyKind } from '../helpers/openssl.js';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const IN_TOTO = 'application/vnd.in-toto+json';

/** A scratch dir with three files a receipt names as outputs: two digested (in the wrong order), one not. */
function scene(t: Tap.Test): { dir: string; receipt: string; files: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'gh-attest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = { [join(dir, 'b.out')]: 'bee\n', [join(dir, 'a.out')]: 'a'.repeat(1000), [join(dir, 'c.out')]: 'see' };
  for (const [path, content] of Object.entries(files)) writeFileSync(path, content);
  const r = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'recordings', 'repeats.receipt.json'), 'utf8'));
  r.filesystem.outputs = Object.entries(files).map(([path, content]) => ({
    path,
    created: true,
    digest: path.endsWith('c.out') ? null : { sha256: sha256(content), size: Buffer.byteLength(content) },
  }));
  const receipt = join(dir, 'receipt.json');
  writeFileSync(receipt, JSON.stringify(r));
  return { dir, receipt, files };
}

/**
 * The command parsed and run in this process, its output collected (a spawn of the CLI from
 * source takes seconds on a loaded machine); the spawned CLI is tested too, below, for the exit
 * statuses as main.ts gives them and for /dev/stdout.
 */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const action = await parseCli('glasshouse', args);
  if (action.kind === 'exit') return { code: action.code, stdout: action.stdout, stderr: action.stderr };
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string, done: () => void) => ((stdout += s), done()) },
    stderr: { write: (s: string) => (stderr += s) },
  };
  if (action.kind === 'attest') return { code: await runAttest(action.options, io), stdout, stderr };
  if (action.kind === 'verify') return { code: await runVerify(action.options, io), stdout, stderr };
  throw new Error(`not attest or verify: ${action.kind}`);
}
const attest = (args: string[]) => inProcess(['attest', ...args]);
const verify = (args: string[]) => inProcess(['verify', ...args]);

t.test('options and usage errors (exit 2)', async (t) => {
  const a = await parseCli('glasshouse', ['attest', 'r.json']);
  t.same(a, { kind: 'attest', options: { receipt: 'r.json', key: null, output: './attestation.json', materialsDir: null, materialsFile: null } });
  const b = await parseCli('glasshouse', ['attest', 'r.json', '--key', 'k.pem', '-o', '/dev/stdout', '--materials', 'src']);
  t.same(b.kind === 'attest' && [b.options.key, b.options.output, b.options.materialsDir], ['k.pem', '/dev/stdout', 'src']);
  const v = await parseCli('glasshouse', ['verify', '--key', 'p.pub', 'e.json', '--check-subjects']);
  t.same(v, { kind: 'verify', options: { key: 'p.pub', envelope: 'e.json', checkSubjects: true } });
  const usage = async (args: string[]): Promise<string> => {
    const x: CliAction = await parseCli('glasshouse', args);
    return x.kind === 'exit' && x.code === 2 ? x.stderr : `not a usage error: ${JSON.stringify(x)}`;
  };
  t.match(await usage(['attest']), /^glasshouse attest: missing receipt/);
  t.match(await usage(['attest', 'a', 'b']), /one receipt at a time, got 2/);
  t.match(await usage(['attest', 'a', '--materials', 'd', '--materials-file', 'f']), /one or the other/);
  t.match(await usage(['attest', 'a', '--key', 'k', '--key', 'l']), /--key given more than once/);
  t.match(await usage(['attest', 'a', '-o', '-']), /give \/dev\/stdout/);
  t.match(await usage(['verify', 'e.json']), /^glasshouse verify: missing --key/);
  t.match(await usage(['verify', '--key', 'p']), /missing envelope/);
  t.match(await usage(['verify', '--key', 'p', '--bogus', 'e']), /Unknown argument: bogus/);
  const help = await parseCli('glasshouse', ['--help']);
  t.match(help.kind === 'exit' ? help.stdout : '', /glasshouse attest +make an in-toto statement/);
});

for (const kind of ['ed25519', 'p256-pkcs8', 'p256-sec1'] as const satisfies readonly KeyKind[]) {
  t.test(`${kind}: the envelope is DSSE, openssl verifies its signature over the PAE, the statement is in-toto v1`, async (t) => {
    const { dir, receipt, files } = scene(t);
    const key = makeKey(dir, kind);
    const out = join(dir, 'attestation.json');
    const r = await attest([receipt, '--key', key.priv, '-o', out]);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stderr, `glasshouse: attestation: ${out}\n`);
    const envelope = JSON.parse(readFileSync(out, 'utf8'));
    t.same(Object.keys(envelope).sort(), ['payload', 'payloadType', 'signatures']);
    t.equal(envelope.payloadType, IN_TOTO);
    t.equal(envelope.signatures.length, 1);
    t.same(Object.keys(envelope.signatures[0]).sort(), ['keyid', 'sig']);
    t.equal(envelope.signatures[0].keyid, spkiSha256(key.pub), 'keyid: sha256 of the SPKI DER');
    const payload = Buffer.from(envelope.payload, 'base64');
    t.equal(payload.toString('base64'), envelope.payload, 'standard base64');
    const sig = Buffer.from(envelope.signatures[0].sig, 'base64');
    t.ok(opensslVerifies(dir, kind, key.pub, dssePae(IN_TOTO, payload), sig), 'openssl verifies the signature over the PAE');
    t.notOk(opensslVerifies(dir, kind, key.pub, payload, sig), 'and not over the bare payload');
    if (kind !== 'ed25519') t.equal(sig[0], 0x30, 'ECDSA: a DER SEQUENCE, not r||s');

    const statement = JSON.parse(payload.toString('utf8'));
    t.same(Object.keys(statement), ['_type', 'subject', 'predicateType', 'predicate']);
    t.equal(statement._type, 'https://in-toto.io/Statement/v1');
    t.equal(statement.predicateType, 'https://glasshouse.dev/receipt/v0.5');
    const digested = Object.keys(files).filter((p) => !p.endsWith('c.out')).sort();
    t.same(
      statement.subject,
      digested.map((name) => ({ name, digest: { sha256: sha256(readFileSync(name)) } })),
      'the digested outputs, sorted by name; c.out (no digest) is not one',
    );
    const original = JSON.parse(readFileSync(receipt, 'utf8'));
    t.same(statement.predicate.command, original.command);
    t.same(statement.predicate.filesystem.outputs, original.filesystem.outputs, 'the predicate is the receipt, undigested outputs too');
    t.notOk('materials' in statement.predicate);

    const v = await verify(['--key', key.pub, out, '--check-subjects']);
    t.equal(v.code, 0, v.stderr);
    t.match(v.stdout, /^signature: good \(keyid [0-9a-f]{64}, (Ed25519|ECDSA P-256)\)\npredicateType: https:\/\/glasshouse\.dev\/receipt\/v0\.5\ncommand: \/usr\/bin\/python3 /);
    t.match(v.stdout, `subjects: 2\n  ${digested[0]}  sha256:${sha256(readFileSync(digested[0]!))}\n`);
    t.match(v.stdout, /subjects checked: all 2 match\n$/);
  });

  t.test(`${kind}: verify takes an envelope openssl signed (a signer that is not glasshouse)`, async (t) => {
    const { dir } = scene(t);
    const key = makeKey(dir, kind);
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'x', digest: { sha256: sha256('x') } }], predicateType: 'https://example.com/p', predicate: { note: '>>>>>>' } }));
    // '>>>>>>': any 3-byte group within it ends in sextet 62, '+' in base64 and '-' in base64url,
    // so that the URL-safe payload below cannot also be read as standard base64
    const sig = opensslSign(dir, kind, key.priv, dssePae(IN_TOTO, statement));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ payloadType: IN_TOTO, payload: statement.toString('base64'), signatures: [{ keyid: '', sig: sig.toString('base64') }] }));
    const v = await verify(['--key', key.pub, good]);
    t.equal(v.code, 0, v.stderr);
    t.match(v.stdout, /predicateType: https:\/\/example\.com\/p\nsubjects: 1\n  x  sha256:/);
    // DSSE allows URL-safe base64 and an unset keyid: taken as well
    const urlSafe = join(dir, 'url-safe.json');
    writeFileSync(urlSafe, JSON.stringify({ payloadType: IN_TOTO, payload: statement.toString('base64url'), signatures: [{ sig: sig.toString('base64url') }] }));
    t.equal((await verify(['--key', key.pub, urlSafe])).code, 0, 'base64url, no keyid');
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, JSON.stringify({ payloadType: IN_TOTO, payload: statement.toString('base64') + '!', signatures: [{ sig: sig.toString('base64') }] }));
    t.match(await verify(['--key', key.pub, junk]), { code: 2, stderr: /the payload is not base64/ });
    // signed over the payload alone, not the PAE: DSSE says no
    const bare = join(dir, 'bare.json');
    writeFileSync(bare, JSON.stringify({ payloadType: IN_TOTO, payload: statement.toString('base64'), signatures: [{ keyid: '', sig: opensslSign(dir, kind, key.priv, statement).toString('base64') }] }));
    t.equal((await verify(['--key', key.pub, bare])).code, 1);
    // a name with a newline is shown quoted: it cannot print a line of its own
    const trick = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'x\nsubjects checked: all 9 match', digest: { sha256: sha256('x') } }], predicateType: 'p' }));
    const trickFile = join(dir, 'trick.json');
    writeFileSync(trickFile, JSON.stringify({ payloadType: IN_TOTO, payload: trick.toString('base64'), signatures: [{ keyid: '', sig: opensslSign(dir, kind, key.priv, dssePae(IN_TOTO, trick)).toString('base64') }] }));
    const tv = await verify(['--key', key.pub, trickFile]);
    t.equal(tv.code, 0, tv.stderr);
    t.match(tv.stdout, `subjects: 1\n  $'x\\nsubjects checked: all 9 match'  sha256:`);
    t.notMatch(tv.stdout, /^subjects checked/m);
  });
}

t.test('bad signatures: exit 1', async (t) => {
  const { dir, receipt } = scene(t);
  const key = makeKey(dir, 'ed25519');
  const other = makeKey(dir, 'p256-pkcs8');
  const out = join(dir, 'env.json');
  t.equal((await attest([receipt, '--key', key.priv, '-o', out])).code, 0);
  const envelope = JSON.parse(readFileSync(out, 'utf8'));

  const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
  statement.subject[0].digest.sha256 = sha256('something else');
  const tampered = join(dir, 'tampered.json');
  writeFileSync(tampered, JSON.stringify({ ...envelope, payload: Buffer.from(JSON.stringify(statement)).toString('base64') }));
  const tv = await verify(['--key', key.pub, tampered]);
  t.equal(tv.code, 1, 'a changed payload');
  t.equal(tv.stdout, '', 'nothing of it is printed as attested');
  t.match(tv.stderr, /^glasshouse: verify: .*tampered\.json: no signature verifies with .*ed25519\.pub \(keyid [0-9a-f]{64}\)\n$/);

  const wrong = await verify(['--key', other.pub, out]);
  t.equal(wrong.code, 1, 'another key (and of another type)');
  const otherEd = makeKey(mkdtempSync(join(dir, 'k-')), 'ed25519');
  t.equal((await verify(['--key', otherEd.pub, out])).code, 1, 'another Ed25519 key');

  const flipped = Buffer.from(envelope.signatures[0].sig, 'base64');
  flipped[5]! ^= 1;
  const badSig = join(dir, 'bad-sig.json');
  writeFileSync(badSig, JSON.stringify({ ...envelope, signatures: [{ keyid: '', sig: flipped.toString('base64') }] }));
  t.equal((await verify(['--key', key.pub, badSig])).code, 1, 'a changed signature');
  const two = join(dir, 'two.json');
  writeFileSync(two, JSON.stringify({ ...envelope, signatures: [{ keyid: 'x', sig: flipped.toString('base64') }, envelope.signatures[0]] }));
  t.equal((await verify(['--key', key.pub, two])).code, 0, 'one good signature of two is enough');
});

t.test('--check-subjects: a file changed or gone since is exit 1, with the list', async (t) => {
  const { dir, receipt, files } = scene(t);
  const key = makeKey(dir, 'ed25519');
  const out = join(dir, 'env.json');
  t.equal((await attest([receipt, '--key', key.priv, '-o', out])).code, 0);
  const [a, b] = Object.keys(files).filter((p) => !p.endsWith('c.out')).sort();
  t.equal((await verify(['--key', key.pub, out, '--check-subjects'])).code, 0);
  writeFileSync(b!, 'changed\n');
  const changed = await verify(['--key', key.pub, out, '--check-subjects']);
  t.equal(changed.code, 1);
  t.equal(changed.stderr, `glasshouse: verify: 1 of 2 subjects differ:\n  ${b}: sha256 ${sha256('changed\n')}, attested ${sha256('bee\n')}\n`);
  t.equal((await verify(['--key', key.pub, out])).code, 0, 'without --check-subjects the files are not looked at');
  rmSync(a!);
  const gone = await verify(['--key', key.pub, out, '--check-subjects']);
  t.equal(gone.code, 1);
  t.match(gone.stderr, `2 of 2 subjects differ:\n  ${a}: (missing), attested `);
});

t.test('bad inputs: exit 2 and one line', async (t) => {
  const { dir, receipt } = scene(t);
  const ed = makeKey(dir, 'ed25519');
  for (const kind of ['rsa', 'p384'] as const) {
    const k = makeKey(dir, kind);
    const r = await attest([receipt, '--key', k.priv, '-o', join(dir, `${kind}.json`)]);
    t.equal(r.code, 2, `attest with ${kind}`);
    t.match(r.stderr, /^glasshouse: attest: .*: (a key of type rsa|an EC key on curve secp384r1); glasshouse signs and verifies with Ed25519 or ECDSA P-256/);
    t.equal(r.stderr.split('\n').length, 2, 'one line');
    t.equal((await verify(['--key', k.pub, join(dir, 'whatever.json')])).code, 2, `verify with ${kind}`);
  }
  const notKey = join(dir, 'not-a-key.pem');
  writeFileSync(notKey, 'hello\n');
  t.match((await attest([receipt, '--key', notKey])).stderr, /not-a-key\.pem: not a PEM private key/);
  t.match((await attest([receipt, '--key', join(dir, 'none.pem')])).stderr, /none\.pem: cannot be read \(ENOENT\)/);
  const missing = await attest([join(dir, 'none.json'), '-o', join(dir, 'x.json')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /^glasshouse: attest: .*none\.json: no such file/);

  // a receipt whose outputs have no digest: in-toto v1 needs a subject, so nothing is written
  const r = JSON.parse(readFileSync(receipt, 'utf8'));
  r.filesystem.outputs = r.filesystem.outputs.map((o: any) => ({ ...o, digest: null }));
  writeFileSync(join(dir, 'none-digested.json'), JSON.stringify(r));
  const empty = await attest([join(dir, 'none-digested.json'), '-o', join(dir, 'empty.json')]);
  t.equal(empty.code, 2);
  t.match(empty.stderr, /no output of the run has a digest, so there is nothing to attest/);

  const out = join(dir, 'env.json');
  t.equal((await attest([receipt, '--key', ed.priv, '-o', out])).code, 0);
  const envelope = JSON.parse(readFileSync(out, 'utf8'));
  // signed properly over the PAE of the other type: the type itself is what is refused
  const payload = Buffer.from(envelope.payload, 'base64');
  const otherType = join(dir, 'other-type.json');
  const sig = opensslSign(dir, 'ed25519', ed.priv, dssePae('application/json', payload));
  writeFileSync(otherType, JSON.stringify({ payloadType: 'application/json', payload: envelope.payload, signatures: [{ keyid: '', sig: sig.toString('base64') }] }));
  const ot = await verify(['--key', ed.pub, otherType]);
  t.equal(ot.code, 2);
  t.match(ot.stderr, /payloadType is "application\/json", not application\/vnd\.in-toto\+json\n$/);
  writeFileSync(join(dir, 'not-json.json'), '{"payloadType": ');
  t.match((await verify(['--key', ed.pub, join(dir, 'not-json.json')])), { code: 2, stderr: /not a DSSE envelope \(not JSON\)/ });
  writeFileSync(join(dir, 'no-sigs.json'), JSON.stringify({ ...envelope, signatures: [] }));
  t.match((await verify(['--key', ed.pub, join(dir, 'no-sigs.json')])), { code: 2, stderr: /not a DSSE envelope at signatures/ });
  t.match((await verify(['--key', join(dir, 'none.pub'), out])), { code: 2, stderr: /none\.pub: cannot be read/ });
  t.match((await verify(['--key', notKey, out])), { code: 2, stderr: /not a PEM public key/ });
  // a good signature over something that is not a Statement v1
  const notStatement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', subject: [], predicateType: 'x' }));
  writeFileSync(join(dir, 'v01.json'), JSON.stringify({ payloadType: IN_TOTO, payload: notStatement.toString('base64'), signatures: [{ keyid: '', sig: opensslSign(dir, 'ed25519', ed.priv, dssePae(IN_TOTO, notStatement)).toString('base64') }] }));
  t.match((await verify(['--key', ed.pub, join(dir, 'v01.json')])), { code: 2, stderr: /not an in-toto Statement v1 at _type/ });
});

t.test('unsigned: the statement itself; materials taken at attest time, symlinks not followed', async (t) => {
  const { dir, receipt } = scene(t);
  const src = join(dir, 'src');
  mkdirSync(join(src, 'lib', 'deep'), { recursive: true });
  const inputs: Record<string, string> = { 'main.c': 'int main;', 'lib/deep/z.h': '#z', 'lib/a.h': '#a', 'Makefile': 'all:' };
  for (const [p, c] of Object.entries(inputs)) writeFileSync(join(src, p), c);
  symlinkSync(join(dir, 'b.out'), join(src, 'link-to-file'));
  symlinkSync(join(src, 'lib'), join(src, 'link-to-dir'));
  const out = join(dir, 'statement.json');
  const r = await attest([receipt, '-o', out, '--materials', src]);
  t.equal(r.code, 0, r.stderr);
  const statement = JSON.parse(readFileSync(out, 'utf8'));
  t.equal(statement._type, 'https://in-toto.io/Statement/v1');
  t.equal(statement.subject.length, 2);
  const expected = Object.keys(inputs)
    .sort()
    .map((path) => ({ path, sha256: sha256(inputs[path]!), size: inputs[path]!.length }));
  t.same(statement.predicate.materials, { taken: 'at_attest', root: src, files: expected });

  // what gh-run --materials writes, read back: taken before the run
  const file = join(dir, 'receipt.json.materials.json');
  writeFileSync(file, JSON.stringify({ root: '/somewhere', files: [{ path: 'x', sha256: sha256('x'), size: 1 }] }));
  t.equal((await attest([receipt, '-o', out, '--materials-file', file])).code, 0);
  t.same(JSON.parse(readFileSync(out, 'utf8')).predicate.materials, { taken: 'before_run', root: '/somewhere', files: [{ path: 'x', sha256: sha256('x'), size: 1 }] });
  writeFileSync(file, JSON.stringify({ root: '/somewhere', files: [{ path: 'x', sha256: 'nope', size: 1 }] }));
  t.match(await attest([receipt, '-o', out, '--materials-file', file]), { code: 2, stderr: /not a materials file at files\.0\.sha256/ });
  t.match(await attest([receipt, '-o', out, '--materials', join(dir, 'b.out')]), { code: 2, stderr: /b\.out: not a directory/ });

});

t.test('the CLI itself: exit 0, 1 and 2 through main, the statement on a pipe with -o /dev/stdout', async (t) => {
  const { dir, receipt } = scene(t);
  const key = makeKey(dir, 'ed25519');
  const piped = await runCli('glasshouse', ['attest', receipt, '-o', '/dev/stdout']);
  t.equal(piped.code, 0, piped.stderr);
  t.equal(piped.stderr, '');
  t.equal(JSON.parse(piped.stdout).subject.length, 2);
  const out = join(dir, 'env.json');
  t.equal((await runCli('glasshouse', ['attest', receipt, '--key', key.priv, '-o', out])).code, 0);
  t.equal((await runCli('glasshouse', ['verify', '--key', key.pub, out, '--check-subjects'])).code, 0);
  writeFileSync(join(dir, 'a.out'), 'changed');
  const bad = await runCli('glasshouse', ['verify', '--key', key.pub, out, '--check-subjects']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /a\.out: sha256 /);
  const usage = await runCli('glasshouse', ['verify', '--key', join(dir, 'none.pub'), out]);
  t.equal(usage.code, 2);
  t.equal(usage.stderr.split('\n').length, 2, 'one line');
});

t.test('gh-run --materials: the inputs as they were before the command changed them, beside the receipt', async (t) => {
  const { dir } = scene(t);
  const src = join(dir, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'in.txt'), 'before\n');
  writeFileSync(join(src, 'sub', 'kept.txt'), 'kept');
  const receipt = join(dir, 'run', 'receipt.json');
  mkdirSync(join(dir, 'run'));
  // the command rewrites one input and adds a file: neither change is in the materials
  const r = await runCli('gh-run', ['-q', '--materials', src, '-o', receipt, '--', 'sh', '-c', 'echo after > "$1/in.txt"; echo new > "$1/new.txt"', 'sh', src]);
  t.equal(r.code, 0, r.stderr);
  t.equal(readFileSync(join(src, 'in.txt'), 'utf8'), 'after\n', 'the command ran');
  const materials = JSON.parse(readFileSync(`${receipt}.materials.json`, 'utf8'));
  t.same(materials, {
    root: src,
    files: [
      { path: 'in.txt', sha256: sha256('before\n'), size: 7 },
      { path: 'sub/kept.txt', sha256: sha256('kept'), size: 4 },
    ],
  });
  const elsewhere = join(dir, 'm.json');
  const refused = await runCli('gh-run', ['-q', '--materials', join(dir, 'nowhere'), '--materials-output', elsewhere, '-o', receipt, '--', 'touch', join(dir, 'ran')]);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /--materials .*nowhere: cannot be read \(ENOENT\); the command was not run/);
  t.notOk(existsSync(join(dir, 'ran')), 'not run');
  t.notOk(existsSync(elsewhere));
  const usage = await parseCli('gh-run', ['--materials', src, '-o', '/dev/stdout', '--', 'true']);
  t.match(usage.kind === 'exit' ? usage.stderr : '', /say where the materials go with --materials-output FILE/);
  const alone = await parseCli('gh-run', ['--materials-output', elsewhere, '--', 'true']);
  t.match(alone.kind === 'exit' ? alone.stderr : '', /--materials-output goes with --materials DIR/);
  const both = await parseCli('gh-run', ['--materials', src, '--materials-output', elsewhere, '--', 'true']);
  t.same(both.kind === 'run' && both.options.materials, { dir: src, output: elsewhere });
});

t.test('a 0.4 receipt is attested in the 0.5 shape its predicateType names', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-attest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(ROOT, 'test', 'fixtures', 'receipts', 'v0.4-repeats.json');
  const original = JSON.parse(readFileSync(file, 'utf8'));
  t.equal(original.schema_version, '0.4');
  const out = join(dir, 's.json');
  const r = await attest([file, '-o', out]);
  t.equal(r.code, 0, r.stderr);
  const statement = JSON.parse(readFileSync(out, 'utf8'));
  t.equal(statement.predicateType, 'https://glasshouse.dev/receipt/v0.5');
  t.equal(statement.predicate.schema_version, '0.5');
  t.same(
    statement.subject,
    original.filesystem.outputs.filter((o: any) => o.digest !== null).map((o: any) => ({ name: o.path, digest: { sha256: o.digest.sha256 } })),
  );
  t.notOk('end_offset_ms' in original.process_tree, '0.4 had no process ends');
  t.equal(statement.predicate.process_tree.end_offset_ms, null, 'filled as 0.5 has it: not recorded');
});
