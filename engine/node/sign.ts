// Node-only: Ed25519 signatures of bundles with node:crypto. The signature covers
// signaturePayload(bundle) = format + content hash; verification (readBundle with a publicKey, the
// same WebCrypto code a browser runs) first recomputes the hash from the content, then checks the
// signature, so any change to the content, the hash or the signature fails loudly.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
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

export interface Verified {
  bundle: Bundle;
  /** true only when a key was given and the signature verified with it */
  verified: boolean;
  /** the key that verified the signature (only when verified) */
  keyId?: string;
}

/**
 * Read a bundle, check its schema and content hash, and, with a public key, its Ed25519 signature
 * (through readBundle's WebCrypto check). Without a key nothing about the signature is claimed.
 * Throws an EngineError (schema, hash-mismatch, unsigned, wrong-key, bad-signature...) on any failure.
 */
export async function verifyBundle(text: string, publicKeyPem?: string): Promise<Verified> {
  if (publicKeyPem === undefined) return { bundle: readBundle(text), verified: false };
  const key = publicKeyFrom(publicKeyPem); // also derives the public key from a private key PEM
  const spkiPem = key.export({ type: 'spki', format: 'pem' }).toString();
  const bundle = await readBundle(text, { publicKey: spkiPem, requireSignature: true });
  return { bundle, verified: true, keyId: keyIdOf(key) };
}

/** A fresh key pair as PEM strings (for tests and for setting up signing). */
export function generateSigningKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
