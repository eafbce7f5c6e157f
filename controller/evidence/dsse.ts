// DSSE (Dead Simple Signing Envelope, github.com/secure-systems-lab/dsse, protocol v1): the
// pre-authentication encoding that is signed, and signing and verifying it with node:crypto.
// Ed25519 (pure, over the PAE bytes) and ECDSA P-256 with SHA-256; the ECDSA signature is
// DER-encoded, as securesystemslib, sigstore and cosign write and read it. Other keys are
// refused with a KeyError rather than signed in a form other verifiers may not take.
import { createHash, createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { z } from 'zod';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** A key that cannot be read, or of a type we do not sign with: a usage problem (exit 2). */
export class KeyError extends Error {
  override name = 'KeyError';
}

// DSSE: keyid is optional, and unset is the same as "" (it is only a hint). Fields DSSE does not
// define are ignored, as it requires of consumers (zod drops them).
export const Signature = z.object({ keyid: z.string().optional(), sig: z.string() });
export const Envelope = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(Signature).min(1),
});
export type Envelope = z.infer<typeof Envelope>;

/**
 * PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN the byte length in
 * ASCII decimal. The type is counted in UTF-8 bytes, not characters: that is what is signed.
 */
export function pae(payloadType: string, body: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

export type KeyKind = 'ed25519' | 'p256';

/** The kind of a key we sign with, or a KeyError naming what it is. */
function kindOf(key: KeyObject, file: string): KeyKind {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'ed25519';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'p256';
    throw new KeyError(`${file}: an EC key on curve ${curve ?? 'unknown'}; glasshouse signs and verifies with Ed25519 or ECDSA P-256 (prime256v1) only`);
  }
  throw new KeyError(`${file}: a key of type ${type ?? 'unknown'}; glasshouse signs and verifies with Ed25519 or ECDSA P-256 only`);
}

/** keyid: the hex sha256 of the public key's SubjectPublicKeyInfo DER, the same for a key and its pair. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex');
}

export interface SigningKey {
  key: KeyObject;
  kind: KeyKind;
  keyid: string;
}

/** A PEM private key (PKCS#8, or SEC1 "EC PRIVATE KEY"), checked to be one we sign with. */
export function loadPrivateKey(pem: string | Buffer, file: string): SigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new KeyError(`${file}: not a PEM private key (${(error as Error).message})`);
  }
  return { key, kind: kindOf(key, file), keyid: keyIdOf(key) };
}

/** A PEM public key (SPKI "PUBLIC KEY"); a private key is taken too (its public half is used). */
export function loadPublicKey(pem: string | Buffer, file: string): SigningKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new KeyError(`${file}: not a PEM public key (${(error as Error).message})`);
  }
  return { key, kind: kindOf(key, file), keyid: keyIdOf(key) };
}

// Ed25519 signs the message itself (no prehash: null); ECDSA hashes it with SHA-256 and gives DER
const digestOf = (kind: KeyKind): string | null => (kind === 'ed25519' ? null : 'sha256');

/** The envelope of `payload` signed with `signer` (one signature). */
export function signEnvelope(payloadType: string, payload: Uint8Array, signer: SigningKey): Envelope {
  const sig = cryptoSign(digestOf(signer.kind), pae(payloadType, payload), { key: signer.key, dsaEncoding: 'der' });
  return {
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures: [{ keyid: signer.keyid, sig: sig.toString('base64') }],
  };
}

// RFC 4648 base64, padding optional: standard (§4) or URL-safe (§5), which DSSE both allows
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const BASE64URL = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;

/** The bytes of strict base64 of either alphabet, or null: Buffer.from alone would skip any junk. */
export function decodeBase64(text: string): Buffer | null {
  if (BASE64.test(text)) return Buffer.from(text, 'base64');
  if (BASE64URL.test(text)) return Buffer.from(text, 'base64url');
  return null;
}

/**
 * Whether any signature of the envelope verifies with `verifier` over the PAE of its payload.
 * Every signature is tried, whatever its keyid says: the keyid is a hint, not part of what is signed.
 */
export function verifyEnvelope(envelope: Envelope, payload: Buffer, verifier: SigningKey): boolean {
  const message = pae(envelope.payloadType, payload);
  return envelope.signatures.some((s) => {
    const sig = decodeBase64(s.sig);
    if (sig === null || sig.length === 0) return false;
    try {
      return cryptoVerify(digestOf(verifier.kind), message, { key: verifier.key, dsaEncoding: 'der' }, sig);
    } catch {
      return false; // a malformed DER signature throws in OpenSSL: it is just not a good signature
    }
  });
}
