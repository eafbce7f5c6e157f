// `glasshouse verify --key PUB ENVELOPE`: check a DSSE envelope of an in-toto statement, and
// with --check-subjects that the files it names still hold the content it attests. Exit 0: a
// signature verifies (and the subjects match); 1: no signature verifies, or a subject differs;
// 2: an input is missing, unreadable or not of the expected format.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { decodeBase64, Envelope, IN_TOTO_PAYLOAD_TYPE, KeyError, loadPublicKey, verifyEnvelope } from './dsse.js';
import { readKey } from './attest.js';
import { Statement } from './statement.js';
// one line stays one line and no line is faked: the rule of show and check (bash's $'...')
import { printable } from '../show/quote.js';

export interface VerifyOptions {
  key: string;
  envelope: string;
  checkSubjects: boolean;
}

export const VERIFY_FAILED = 1;
export const VERIFY_INPUT_ERROR = 2;

interface Io {
  stdout: { write(s: string, done: () => void): unknown };
  stderr: { write(s: string): unknown };
}

class VerifyInputError extends Error {}

export async function verify(options: VerifyOptions, io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const say = (text: string): Promise<void> => new Promise((done) => io.stdout.write(text, () => done()));
  try {
    const verifier = loadPublicKey(readKey(options.key), options.key);
    const envelope = readEnvelope(options.envelope);
    if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
      throw new VerifyInputError(`${options.envelope}: payloadType is ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`);
    }
    const payload = decodeBase64(envelope.payload);
    if (payload === null) throw new VerifyInputError(`${options.envelope}: the payload is not base64`);
    if (!verifyEnvelope(envelope, payload, verifier)) {
      io.stderr.write(`glasshouse: verify: ${options.envelope}: no signature verifies with ${options.key} (keyid ${verifier.keyid})\n`);
      return VERIFY_FAILED;
    }
    // signed, so read: what was signed is what is shown
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      throw new VerifyInputError(`${options.envelope}: the signed payload is not JSON`);
    }
    const parsed = Statement.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new VerifyInputError(
        `${options.envelope}: the signed payload is not an in-toto Statement v1 at ${(issue?.path ?? []).map(String).join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    const statement = parsed.data;
    const command = statement.predicate?.command;
    const lines = [
      `signature: good (keyid ${verifier.keyid}, ${verifier.kind === 'ed25519' ? 'Ed25519' : 'ECDSA P-256'})`,
      `predicateType: ${statement.predicateType}`,
      ...(Array.isArray(command) ? [`command: ${command.map((a) => printable(String(a))).join(' ')}`] : []),
      `subjects: ${statement.subject.length}`,
      ...statement.subject.map((s) => `  ${printable(s.name ?? s.uri ?? '(unnamed)')}  ${Object.entries(s.digest).map(([alg, hex]) => `${printable(alg)}:${printable(hex)}`).join(' ')}`),
    ];
    await say(lines.join('\n') + '\n');
    if (!options.checkSubjects) return 0;
    const bad: string[] = [];
    for (const s of statement.subject) {
      const name = printable(s.name ?? '(unnamed)');
      const want = s.digest.sha256;
      if (s.name === undefined || want === undefined) {
        bad.push(`${name}: no name and sha256 to check`);
        continue;
      }
      const got = await sha256OfFile(s.name);
      if (got !== want) bad.push(`${name}: ${got.startsWith('(') ? got : `sha256 ${got}`}, attested ${printable(want)}`);
    }
    if (bad.length > 0) {
      io.stderr.write(`glasshouse: verify: ${bad.length} of ${statement.subject.length} subjects differ:\n${bad.map((b) => `  ${b}\n`).join('')}`);
      return VERIFY_FAILED;
    }
    await say(`subjects checked: all ${statement.subject.length} match\n`);
    return 0;
  } catch (error) {
    if (error instanceof VerifyInputError || error instanceof KeyError) {
      io.stderr.write(`glasshouse: verify: ${error.message}\n`);
      return VERIFY_INPUT_ERROR;
    }
    throw error;
  }
}


function readEnvelope(file: string): Envelope {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new VerifyInputError(`${file}: cannot be read (${(error as { code?: string }).code ?? (error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new VerifyInputError(`${file}: not a DSSE envelope (not JSON)`);
  }
  const parsed = Envelope.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VerifyInputError(`${file}: not a DSSE envelope at ${(issue?.path ?? []).map(String).join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** The file's sha256 hex, or "(missing)" / "(unreadable: CODE)": a subject gone is a mismatch, not an input error. */
function sha256OfFile(path: string): Promise<string> {
  return new Promise((done) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', (error) => {
        const code = (error as { code?: string }).code;
        done(code === 'ENOENT' ? '(missing)' : `(unreadable: ${code ?? error.message})`);
      })
      .on('end', () => done(hash.digest('hex')));
  });
}
