// Node-only: Ed25519 signatures of bundles with node:crypto. The signature covers
// signaturePayload(bundle) = format + content hash; verification first recomputes the hash from the
// content (readBundle), then checks the signature, so any change to the content, the hash or the
// signature fails loudly.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readBundle, signaturePayload } from '../runtime/bundle.ts';
import { EngineError } from '../runtime/errors.ts';
import type { Bundle, BundleSignature } from '../runtime/types.ts';

/** "sha256:<hex>" of the public key's SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return `sha256:${createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex')}`;
}

function privateKeyFrom(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (e) {
    throw new EngineError('bad-key', `cannot read the private key: ${(e as Error).message}. Give a PEM file (openssl genpkey -algorithm ed25519 -out key.pem).`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new EngineError('bad-key', `the private key is ${key.asymmetricKeyType}; bundles are signed with Ed25519 keys.`);
  return key;
}

function publicKeyFrom(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem); // accepts a public key, or derives it from a private key PEM
  } catch (e) {
    throw new EngineError('bad-key', `cannot read the public key: ${(e as Error).message}. Give a PEM file (openssl pkey -in key.pem -pubout -out pub.pem).`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new EngineError('bad-key', `the public key is ${key.asymmetricKeyType}; bundles are signed with Ed25519 keys.`);
  return key;
}

/** A copy of the bundle with an Ed25519 signature of its format and hash. */
export function signBundle(bundle: Bundle, privateKeyPem: string): Bundle {
  const key = privateKeyFrom(privateKeyPem);
  const value = sign(null, Buffer.from(signaturePayload(bundle), 'utf8'), key).toString('base64');
  const signature: BundleSignature = { algorithm: 'Ed25519', keyId: keyIdOf(createPublicKey(key)), value };
  return { ...bundle, signature };
}

export interface Verified { bundle: Bundle; keyId?: string; signed: boolean }

/**
 * Read a bundle, check its content hash, and, with a public key, its signature. Throws an
 * EngineError (hash-mismatch, unsigned, wrong-key, bad-signature) on any failure.
 */
export function verifyBundle(text: string, publicKeyPem?: string): Verified {
  const bundle = readBundle(text); // recomputes the content hash: a changed content fails here
  if (publicKeyPem === undefined) return { bundle, signed: !!bundle.signature, keyId: bundle.signature?.keyId };
  const key = publicKeyFrom(publicKeyPem);
  const s = bundle.signature;
  if (!s) throw new EngineError('unsigned', 'the bundle carries no signature: it cannot be verified against a key. Build it with "guideline bundle --sign key.pem".');
  if (s.algorithm !== 'Ed25519' || typeof s.value !== 'string' || typeof s.keyId !== 'string') {
    throw new EngineError('bad-signature', 'the bundle\'s "signature" is malformed (expected {algorithm: "Ed25519", keyId, value}).');
  }
  const keyId = keyIdOf(key);
  if (s.keyId !== keyId) throw new EngineError('wrong-key', `the bundle was signed by key ${s.keyId}, not by the given key ${keyId}.`);
  const ok = verify(null, Buffer.from(signaturePayload(bundle), 'utf8'), key, Buffer.from(s.value, 'base64'));
  if (!ok) throw new EngineError('bad-signature', 'SIGNATURE INVALID: the bundle\'s hash or signature was changed after signing. Do not use this bundle.');
  return { bundle, signed: true, keyId };
}

/** A fresh key pair as PEM strings (for tests and for setting up signing). */
export function generateSigningKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
