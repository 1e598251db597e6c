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
import { contentHash, EngineError, makeBundle, readBundle, type Bundle, type BundleSignature } from '../engine/runtime/index.ts';
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

  it('signs and verifies with Ed25519, and fails loudly on tampering', () => {
    const signed = signBundle(makeBundle(guideline), keys.privateKeyPem);
    const text = JSON.stringify(signed);
    expect(verifyBundle(text, keys.publicKeyPem)).toMatchObject({ signed: true, keyId: signed.signature!.keyId });

    // Content changed: the hash no longer matches.
    const t1 = JSON.parse(text);
    t1.manifest.version = '9.9.9';
    expect(() => verifyBundle(JSON.stringify(t1), keys.publicKeyPem)).toThrow(/does not match its hash/);

    // Content changed and the hash recomputed by whoever changed it: the signature fails.
    const t2 = JSON.parse(text) as Bundle;
    const rec = t2.nodes.find((n) => n.id === 'hepatic_resection_1');
    if (rec?.kind === 'recommendation') rec.statement += ' Tampered.';
    t2.hash = contentHash(t2);
    expect(() => readBundle(JSON.stringify(t2))).not.toThrow();
    expect(() => verifyBundle(JSON.stringify(t2), keys.publicKeyPem)).toThrow(/SIGNATURE INVALID/);

    // Signature bytes changed.
    const t3 = JSON.parse(text) as Bundle;
    t3.signature!.value = Buffer.from('x'.repeat(64)).toString('base64');
    expect(() => verifyBundle(JSON.stringify(t3), keys.publicKeyPem)).toThrow(/SIGNATURE INVALID/);

    // Another key, or no signature at all.
    expect(() => verifyBundle(text, other.publicKeyPem)).toThrow(/signed by key sha256:[0-9a-f]+, not by the given key/);
    expect(() => verifyBundle(JSON.stringify(makeBundle(guideline)), keys.publicKeyPem)).toThrow(/carries no signature/);
    try {
      verifyBundle(JSON.stringify(t2), keys.publicKeyPem);
    } catch (e) {
      expect(e).toBeInstanceOf(EngineError);
      expect((e as EngineError).code).toBe('bad-signature');
    }
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
    expect((await cli(['verify', file])).out).toMatch(/pass --key/);
  });
});
