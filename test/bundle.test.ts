// The bundle developers consume: valid against its published JSON Schema, its TypeScript type in
// step with that schema, its hash checked on load, and its optional Ed25519 signature verified,
// failing loudly on any tampering.
import Ajv2020 from 'ajv/dist/2020.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import bundleSchema from '../schema/bundle.schema.json' with { type: 'json' };
import guidelineSchema from '../schema/guideline.schema.json' with { type: 'json' };
import { canonicalJson, contentHash, EngineError, makeBundle, readBundle, type Bundle, type BundleSignature } from '../engine/runtime/index.ts';
import { main } from '../engine/node/cli.ts';
import { loadGuideline } from '../engine/node/load.ts';
import { generateSigningKeys, signBundle, verifyBundle } from '../engine/node/sign.ts';
import { GUIDELINE_DIR } from './helpers.ts';

const { guideline } = loadGuideline(GUIDELINE_DIR);
const tmp = mkdtempSync(join(tmpdir(), 'guideline-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true });
ajv.addSchema(guidelineSchema);
const validateBundle = ajv.compile(bundleSchema);

const keys = generateSigningKeys();
const other = generateSigningKeys();

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

describe('bundle schema', () => {
  it('validates a built bundle, signed or not', () => {
    const built = JSON.parse(JSON.stringify(makeBundle(guideline)));
    expect(validateBundle(built), JSON.stringify(validateBundle.errors)).toBe(true);
    const signed = JSON.parse(JSON.stringify(signBundle(makeBundle(guideline), keys.privateKeyPem)));
    expect(validateBundle(signed), JSON.stringify(validateBundle.errors)).toBe(true);
  });

  it('rejects a bundle without its hash or with an unknown key', () => {
    const { hash: _hash, ...noHash } = JSON.parse(JSON.stringify(makeBundle(guideline)));
    expect(validateBundle(noHash)).toBe(false);
    expect(validateBundle({ ...makeBundle(guideline), extra: 1 })).toBe(false);
  });

  it('matches the Bundle type key for key (required and optional)', () => {
    type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
    // Both records must list exactly the keys of the type: the compiler rejects a missing or extra key.
    const all: Record<keyof Bundle, true> = { format: true, hash: true, manifest: true, inputs: true, nodes: true, cases: true, origins: true, signature: true };
    const required: Record<RequiredKeys<Bundle>, true> = { format: true, hash: true, manifest: true, inputs: true, nodes: true, cases: true, origins: true };
    // "cases" is optional in the file (--no-cases) and always present once read (readBundle fills in []).
    delete (required as Partial<typeof required>).cases;
    const sig: Record<keyof BundleSignature, true> = { algorithm: true, keyId: true, value: true };
    expect(Object.keys(all).sort()).toEqual(Object.keys(bundleSchema.properties).sort());
    expect(Object.keys(required).sort()).toEqual([...bundleSchema.required].sort());
    expect(Object.keys(sig).sort()).toEqual(Object.keys(bundleSchema.properties.signature.properties).sort());
    expect(bundleSchema.properties.format.const).toBe(makeBundle(guideline).format);
  });
});

describe('integrity', () => {
  it('checks the content hash on load', () => {
    const text = JSON.stringify(makeBundle(guideline));
    expect(readBundle(text).hash).toBe(contentHash(guideline));
    const tampered = JSON.parse(text);
    tampered.nodes.find((n: { id: string }) => n.id === 'portal_hypertension').expr.or[2].and[0]['<'][1] = 150000;
    expect(() => readBundle(JSON.stringify(tampered))).toThrow(/does not match its hash/);
  });

  it('signs and verifies with Ed25519, and fails loudly on tampering', async () => {
    const signed = signBundle(makeBundle(guideline), keys.privateKeyPem);
    const text = JSON.stringify(signed);
    expect(await verifyBundle(text, keys.publicKeyPem)).toMatchObject({ verified: true, keyId: signed.signature!.keyId });
    // The runtime's own check (WebCrypto), with the PEM public key.
    expect((await readBundle(text, { publicKey: keys.publicKeyPem })).hash).toBe(signed.hash);

    // Content changed: the hash no longer matches.
    const t1 = JSON.parse(text);
    t1.manifest.version = '9.9.9';
    await expect(verifyBundle(JSON.stringify(t1), keys.publicKeyPem)).rejects.toThrow(/does not match its hash/);

    // Content changed and the hash recomputed by whoever changed it: the signature fails.
    const t2 = JSON.parse(text) as Bundle;
    const rec = t2.nodes.find((n) => n.id === 'hepatic_resection_1');
    if (rec?.kind === 'recommendation') rec.statement += ' Tampered.';
    t2.hash = contentHash(t2);
    expect(() => readBundle(JSON.stringify(t2))).not.toThrow();
    await expect(verifyBundle(JSON.stringify(t2), keys.publicKeyPem)).rejects.toThrow(/SIGNATURE INVALID/);
    await expect(readBundle(JSON.stringify(t2), { publicKey: keys.publicKeyPem })).rejects.toMatchObject({ code: 'bad-signature' });

    // Signature bytes changed.
    const t3 = JSON.parse(text) as Bundle;
    t3.signature!.value = Buffer.from('x'.repeat(64)).toString('base64');
    await expect(verifyBundle(JSON.stringify(t3), keys.publicKeyPem)).rejects.toThrow(/SIGNATURE INVALID/);

    // Another key, or no signature at all.
    await expect(verifyBundle(text, other.publicKeyPem)).rejects.toThrow(/signed by key sha256:[0-9a-f]+, not by the given key/);
    await expect(verifyBundle(JSON.stringify(makeBundle(guideline)), keys.publicKeyPem)).rejects.toThrow(/carries no signature/);
    await expect(readBundle(JSON.stringify(makeBundle(guideline)), { requireSignature: true })).rejects.toMatchObject({ code: 'no-key' });
    await expect(readBundle(text, { publicKey: 'not a key' })).rejects.toMatchObject({ code: 'bad-key' });
    const e = await verifyBundle(JSON.stringify(t2), keys.publicKeyPem).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).code).toBe('bad-signature');
  });

  it('guideline bundle --sign, then guideline verify --key (CLI)', async () => {
    const key = join(tmp, 'key.pem');
    const pub = join(tmp, 'pub.pem');
    writeFileSync(key, keys.privateKeyPem);
    writeFileSync(pub, keys.publicKeyPem);
    const out = join(tmp, 'dist');
    const b = await cli(['bundle', '--dir', GUIDELINE_DIR, '--out', out, '--sign', key]);
    expect(b.code, b.err).toBe(0);
    expect(b.out).toMatch(/signed by sha256:/);
    const file = join(out, `${guideline.manifest.id}-${guideline.manifest.version}.bundle.json`);
    // The schemas are published next to the bundle.
    expect(existsSync(join(out, 'bundle.schema.json'))).toBe(true);
    expect(existsSync(join(out, 'guideline.schema.json'))).toBe(true);

    const ok = await cli(['verify', file, '--key', pub]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/^OK .*signature valid/);

    const tampered = JSON.parse(readFileSync(file, 'utf8')) as Bundle;
    const clause = tampered.nodes.find((n) => n.id === 'hepatic_resection_1');
    if (clause && clause.kind === 'recommendation') clause.clauses[0].grade = 'D2';
    tampered.hash = contentHash(tampered);
    const bad = join(tmp, 'tampered.bundle.json');
    writeFileSync(bad, JSON.stringify(tampered));
    const v = await cli(['verify', bad, '--key', pub]);
    expect(v.code).toBe(1);
    expect(v.err).toMatch(/^VERIFICATION FAILED .*SIGNATURE INVALID/);

    const wrong = join(tmp, 'other.pem');
    writeFileSync(wrong, other.publicKeyPem);
    expect((await cli(['verify', file, '--key', wrong])).code).toBe(1);
    // Without a key nothing is claimed about the signature, whatever keyId the bundle names.
    const nokey = await cli(['verify', file]);
    expect(nokey.out).toMatch(/not verified: no key given/);
    expect(nokey.out).not.toMatch(/signed by/);
  });
});

// Issue 12, finding 7: a bundle is refused with an EngineError and a code, never a TypeError.
describe('readBundle refuses what it cannot vouch for (issue 12 finding 7)', () => {
  const text = JSON.stringify(makeBundle(guideline));
  const codeOf = (t: string) => { try { readBundle(t); return 'accepted'; } catch (e) { expect(e).toBeInstanceOf(EngineError); return (e as EngineError).code; } };
  const rehash = (b: Bundle) => { b.hash = contentHash(b); return JSON.stringify(b); };

  it('a range removed and re-hashed is refused by the schema (albumin 35 does not get through)', () => {
    const b = JSON.parse(text) as Bundle;
    const albumin = b.inputs.find((i) => i.id === 'albumin') as unknown as Record<string, unknown>;
    delete albumin.maximum;
    expect(codeOf(rehash(b))).toBe('schema');
  });

  it('clauses: "x", re-hashed, is refused by the schema (no TypeError)', () => {
    const b = JSON.parse(text) as Bundle;
    (b.nodes.find((n) => n.kind === 'recommendation') as unknown as Record<string, unknown>).clauses = 'x';
    expect(codeOf(rehash(b))).toBe('schema');
  });

  it('an extra top-level member (outside the hashed content) is refused', () => {
    const b = JSON.parse(text);
    b.trusted = true;
    expect(codeOf(JSON.stringify(b))).toBe('schema');
  });

  it('a member named __proto__ anywhere is refused', () => {
    expect(codeOf(text.replace('{"format"', '{"__proto__":{"trustedFacts":true},"format"'))).toBe('invalid-bundle');
    const b = JSON.parse(text);
    const inner = JSON.stringify(b).replace('"manifest":{', '"manifest":{"__proto__":{"x":1},');
    expect(codeOf(inner)).toBe('invalid-bundle');
  });

  it('not JSON, not an object, another format', () => {
    expect(codeOf('{')).toBe('invalid-bundle');
    expect(codeOf('[]')).toBe('invalid-bundle');
    expect(codeOf('null')).toBe('invalid-bundle');
    expect(codeOf(JSON.stringify({ ...JSON.parse(text), format: 'guideline-bundle/2' }))).toBe('unsupported-format');
  });

  it('a bundle without cases (--no-cases) reads, hashes and evaluates', () => {
    const lean = makeBundle(guideline, { cases: false });
    expect('cases' in lean).toBe(false);
    expect(Object.keys(lean.origins).some((k) => k.startsWith('case:'))).toBe(false);
    const read = readBundle(JSON.stringify(lean));
    expect(read.cases).toEqual([]);
    expect(read.hash).toBe(lean.hash);
  });
});

// RFC 8785 section 3.2.2's example: the hash is over JCS, so stock libraries in other languages agree.
describe('canonical JSON is RFC 8785 (JCS)', () => {
  it('serialises the RFC example as the RFC prints it', () => {
    const input = String.raw`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`;
    const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });
  it('sorts keys by UTF-16 code units and keeps a "__proto__" member as data', () => {
    expect(canonicalJson(JSON.parse('{"\u20ac":1,"\ud83d\ude00":2,"a":3,"__proto__":4}'))).toBe('{"__proto__":4,"a":3,"€":1,"😀":2}');
  });
});

describe('sha256', () => {
  it('node:crypto (in Node) and @noble/hashes (in a browser) give the same hash, and the known vectors', async () => {
    const { sha256Hex, sha256HexPortable } = await import('../engine/runtime/sha256.ts');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256HexPortable('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const text = canonicalJson(makeBundle(guideline));
    expect(sha256Hex(text)).toBe(sha256HexPortable(text));
    expect(sha256Hex('é€😀')).toBe(sha256HexPortable('é€😀'));
  });
});
