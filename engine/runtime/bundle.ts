// One versioned, hashed JSON document with everything a consumer needs: manifest, data
// dictionary, nodes and (optionally) cases. The hash covers the RFC 8785 canonical JSON of that
// content; an optional Ed25519 signature covers the format and the hash.
//
// readBundle() refuses, each time with an EngineError and a code:
//   invalid-bundle     not JSON, or a member named "__proto__" anywhere
//   unsupported-format "format" is not guideline-bundle/1
//   schema             the document fails bundle.schema.json (which also refuses every member
//                      outside the hashed content: only format, hash and signature sit beside it)
//   hash-mismatch      the content does not match its hash
//   unsigned, no-key, bad-key, wrong-key, bad-signature   (only when a key or a signature is asked for)
import { canonicalJson } from './canonical.ts';
import { EngineError } from './errors.ts';
import { validateBundle as validateBundleSchema } from './generated.ts';
import { sha256Hex, sha256HexOfBytes } from './sha256.ts';
import type { Bundle, Guideline } from './types.ts';

export const BUNDLE_FORMAT = 'guideline-bundle/1';

/** The members the hash covers; `cases` may be absent (a bundle built with --no-cases). */
function hashedContent(g: Guideline): Record<string, unknown> {
  const { manifest, inputs, nodes, cases, origins } = g;
  return cases === undefined ? { manifest, inputs, nodes, origins } : { manifest, inputs, nodes, cases, origins };
}

export function contentHash(g: Guideline): string {
  return `sha256:${sha256Hex(canonicalJson(hashedContent(g)))}`;
}

export interface MakeBundleOptions {
  /** Leave the regression cases out (a smaller bundle for production; `guideline bundle --no-cases`). */
  cases?: boolean;
}

export function makeBundle(g: Guideline, options: MakeBundleOptions = {}): Bundle {
  const { manifest, inputs, nodes, cases, origins } = g;
  if (options.cases === false) {
    const kept = Object.fromEntries(Object.entries(origins).filter(([k]) => !k.startsWith('case:')));
    const lean = { manifest, inputs, nodes, origins: kept } as unknown as Guideline;
    return { format: BUNDLE_FORMAT, hash: contentHash(lean), manifest, inputs, nodes, origins: kept } as unknown as Bundle;
  }
  return { format: BUNDLE_FORMAT, hash: contentHash(g), manifest, inputs, nodes, cases, origins };
}

export interface ReadBundleOptions {
  /**
   * The Ed25519 public key the bundle must be signed with: PEM text ("-----BEGIN PUBLIC KEY-----",
   * SPKI) or the 32 raw key bytes. Verified with WebCrypto (browsers and Node alike).
   */
  publicKey?: string | Uint8Array;
  /** Refuse a bundle without a valid signature (default: true when a publicKey is given). */
  requireSignature?: boolean;
}

/** Parse a bundle and check its format, schema and hash; throws an EngineError on any problem. */
export function readBundle(text: string): Bundle;
/**
 * With options, the signature is checked too (WebCrypto is asynchronous, so this returns a
 * Promise): a bundle not signed by `publicKey` is refused.
 */
export function readBundle(text: string, options: ReadBundleOptions): Promise<Bundle>;
export function readBundle(text: string, options?: ReadBundleOptions): Bundle | Promise<Bundle> {
  if (options === undefined) return readUnsigned(text);
  return (async () => {
    const bundle = readUnsigned(text);
    const require = options.requireSignature ?? options.publicKey !== undefined;
    if (options.publicKey === undefined) {
      if (require) throw new EngineError('no-key', 'a signature is required but no public key was given: pass { publicKey } (PEM or 32 raw bytes).');
      return bundle;
    }
    if (!bundle.signature) {
      if (!require) return bundle;
      throw new EngineError('unsigned', 'the bundle carries no signature: it cannot be verified against a key. Build it with "guideline bundle --sign key.pem".');
    }
    await verifySignature(bundle, options.publicKey);
    return bundle;
  })();
}

function readUnsigned(text: string): Bundle {
  if (typeof text !== 'string') throw new EngineError('invalid-bundle', 'readBundle() takes the bundle\'s JSON text (a string)');
  let data: unknown;
  try {
    data = JSON.parse(text, (key, value) => {
      // JSON.parse keeps "__proto__" as an own member, but much code (and Object spread in some
      // engines' older paths) would not: such a member is refused rather than hashed one way and read another.
      if (key === '__proto__') throw new EngineError('invalid-bundle', 'the bundle has a member named "__proto__": refused');
      return value;
    });
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError('invalid-bundle', `the bundle is not valid JSON: ${(e as Error).message}`);
  }
  const b = data as Partial<Bundle> | null;
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new EngineError('invalid-bundle', 'not a guideline bundle: expected a JSON object');
  if (b.format !== BUNDLE_FORMAT) {
    throw new EngineError('unsupported-format', `not a guideline bundle this engine reads (expected "format": "${BUNDLE_FORMAT}", found ${JSON.stringify(b.format ?? null)})`);
  }
  const validate = validateBundleSchema;
  if (!validate(b)) {
    const e = validate.errors?.[0];
    const extra = e?.params?.additionalProperty ?? e?.params?.unevaluatedProperty;
    const where = `${e?.instancePath || '/'}${extra !== undefined ? `/${String(extra)}` : ''}`;
    throw new EngineError('schema', `the bundle does not follow bundle.schema.json at ${where}: ${extra !== undefined ? 'unknown member (outside the signed content)' : e?.message ?? 'invalid'}`, { pointer: where });
  }
  const actual = contentHash(b as Bundle);
  if (actual !== b.hash) {
    throw new EngineError('hash-mismatch', `the bundle's content does not match its hash (recorded ${b.hash}, computed ${actual}): it was changed after it was built. Rebuild it with "guideline bundle".`);
  }
  // A bundle built with --no-cases has no "cases" (outside the hash, as built); read as none.
  if (b.cases === undefined) (b as Bundle).cases = [];
  return b as Bundle;
}

/**
 * The bytes a signature covers: the format and the content hash. readBundle() recomputes the hash
 * from the content, so a valid signature over the hash vouches for the whole content.
 */
export function signaturePayload(b: Pick<Bundle, 'format' | 'hash'>): string {
  return `${b.format}\n${b.hash}`;
}

export function bundleFileName(g: Guideline): string {
  return `${g.manifest.id}-${g.manifest.version}.bundle.json`;
}

// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): 30 2a 30 05 06 03 2b 65 70 03 21 00.
const SPKI_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The SPKI DER bytes of an Ed25519 public key given as PEM or as 32 raw bytes. */
function spkiOf(key: string | Uint8Array): Uint8Array {
  if (typeof key === 'string') {
    const m = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(key);
    if (!m) throw new EngineError('bad-key', 'cannot read the public key: expected a PEM "-----BEGIN PUBLIC KEY-----" block (openssl pkey -in key.pem -pubout -out pub.pem).');
    let der: Uint8Array;
    try { der = base64ToBytes(m[1].replace(/\s+/g, '')); } catch { throw new EngineError('bad-key', 'cannot read the public key: its PEM body is not base64.'); }
    if (der.length !== 44 || SPKI_PREFIX.some((b, i) => der[i] !== b)) throw new EngineError('bad-key', 'the public key is not an Ed25519 key; bundles are signed with Ed25519 keys.');
    return der;
  }
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new EngineError('bad-key', 'a raw Ed25519 public key is 32 bytes');
  const der = new Uint8Array(44);
  der.set(SPKI_PREFIX);
  der.set(key, 12);
  return der;
}

/** "sha256:" + hex sha256 of the public key's SPKI DER encoding: the bundle's `keyId`. */
export function keyIdOfSpki(spki: Uint8Array): string {
  return `sha256:${sha256HexOfBytes(spki)}`;
}

interface Subtle {
  importKey(format: 'spki', key: Uint8Array, algorithm: { name: 'Ed25519' }, extractable: boolean, usages: string[]): Promise<unknown>;
  verify(algorithm: { name: 'Ed25519' }, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

async function verifySignature(bundle: Bundle, publicKey: string | Uint8Array): Promise<void> {
  const s = bundle.signature!;
  const spki = spkiOf(publicKey);
  const keyId = keyIdOfSpki(spki);
  if (s.keyId !== keyId) throw new EngineError('wrong-key', `the bundle was signed by key ${s.keyId}, not by the given key ${keyId}.`);
  const subtle = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  if (!subtle) throw new EngineError('no-webcrypto', 'this JavaScript runtime has no WebCrypto (crypto.subtle): the signature cannot be verified (a browser page must be served over https or from localhost).');
  let ok = false;
  try {
    const key = await subtle.importKey('spki', spki, { name: 'Ed25519' }, false, ['verify']);
    ok = await subtle.verify({ name: 'Ed25519' }, key, base64ToBytes(s.value), new TextEncoder().encode(signaturePayload(bundle)));
  } catch (e) {
    throw new EngineError('bad-signature', `the signature cannot be checked: ${(e as Error).message}`);
  }
  if (!ok) throw new EngineError('bad-signature', 'SIGNATURE INVALID: the bundle\'s hash or signature was changed after signing. Do not use this bundle.');
}
