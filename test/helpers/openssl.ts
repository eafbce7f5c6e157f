// Keys made and signatures checked by openssl, not by glasshouse: the attestation tests check
// what glasshouse signs against another implementation of DSSE's PAE and of the algorithms.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

export type KeyKind = 'ed25519' | 'p256-pkcs8' | 'p256-sec1' | 'p384' | 'rsa';

/** Run openssl; throws with its stderr when it fails. */
export function openssl(args: string[], input?: Buffer): Buffer {
  const r = spawnSync('openssl', args, { input: input ?? Buffer.alloc(0) });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: exit ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** A new private key of `kind` at dir/<kind>.pem and its public key (SPKI PEM) at dir/<kind>.pub. */
export function makeKey(dir: string, kind: KeyKind): { priv: string; pub: string } {
  const priv = join(dir, `${kind}.pem`);
  const pub = join(dir, `${kind}.pub`);
  if (kind === 'ed25519') openssl(['genpkey', '-algorithm', 'ed25519', '-out', priv]);
  else if (kind === 'p256-pkcs8') openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', priv]);
  else if (kind === 'p256-sec1') openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', priv]); // "BEGIN EC PRIVATE KEY"
  else if (kind === 'p384') openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', priv]);
  else openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', priv]);
  openssl(['pkey', '-in', priv, '-pubout', '-out', pub]);
  return { priv, pub };
}

/** The DSSE v1 pre-authentication encoding, written here from the spec (not imported from dsse.ts). */
export function dssePae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from('DSSEv1'), Buffer.from(' '), Buffer.from(String(type.length)), Buffer.from(' '), type, Buffer.from(' '), Buffer.from(String(body.length)), Buffer.from(' '), body]);
}

/** Whether openssl takes `sig` as a signature of `message` by the key at `pub`. */
export function opensslVerifies(dir: string, kind: KeyKind, pub: string, message: Buffer, sig: Buffer): boolean {
  const msg = join(dir, 'message.bin');
  const sigFile = join(dir, 'sig.bin');
  writeFileSync(msg, message);
  writeFileSync(sigFile, sig);
  const args =
    kind === 'ed25519'
      ? ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', msg, '-sigfile', sigFile]
      : ['dgst', '-sha256', '-verify', pub, '-signature', sigFile, msg];
  return spawnSync('openssl', args).status === 0;
}

/** `message` signed by openssl with the key at `priv` (Ed25519 raw, ECDSA SHA-256 DER). */
export function opensslSign(dir: string, kind: KeyKind, priv: string, message: Buffer): Buffer {
  const msg = join(dir, 'to-sign.bin');
  writeFileSync(msg, message);
  return kind === 'ed25519' ? openssl(['pkeyutl', '-sign', '-inkey', priv, '-rawin', '-in', msg]) : openssl(['dgst', '-sha256', '-sign', priv, msg]);
}

/** sha256 hex of the public key's DER SubjectPublicKeyInfo, as openssl writes it. */
export function spkiSha256(pub: string): string {
  return createHash('sha256').update(openssl(['pkey', '-pubin', '-in', pub, '-outform', 'DER'])).digest('hex');
}
