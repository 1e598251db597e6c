// One versioned, hashed JSON document with everything a consumer needs: manifest, data
// dictionary, nodes and cases. The hash covers the canonical JSON of that content.
import { canonicalJson } from './canonical.ts';
import { EngineError } from './errors.ts';
import { sha256Hex } from './sha256.ts';
import type { Bundle, Guideline } from './types.ts';

export const BUNDLE_FORMAT = 'guideline-bundle/1';

export function contentHash(g: Guideline): string {
  const { manifest, inputs, nodes, cases, origins } = g;
  return `sha256:${sha256Hex(canonicalJson({ manifest, inputs, nodes, cases, origins }))}`;
}

export function makeBundle(g: Guideline): Bundle {
  const { manifest, inputs, nodes, cases, origins } = g;
  return { format: BUNDLE_FORMAT, hash: contentHash(g), manifest, inputs, nodes, cases, origins };
}

/** Parse a bundle and check its format and hash; throws a clear error on tampering. */
export function readBundle(text: string): Bundle {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new EngineError('invalid-bundle', `the bundle is not valid JSON: ${(e as Error).message}`);
  }
  const b = data as Partial<Bundle>;
  if (!b || typeof b !== 'object' || b.format !== BUNDLE_FORMAT) {
    throw new EngineError('invalid-bundle', `not a guideline bundle (expected "format": "${BUNDLE_FORMAT}")`);
  }
  for (const key of ['manifest', 'inputs', 'nodes', 'cases', 'origins', 'hash'] as const) {
    if (b[key] === undefined) throw new EngineError('invalid-bundle', `the bundle has no "${key}"`);
  }
  const actual = contentHash(b as Bundle);
  if (actual !== b.hash) {
    throw new EngineError('hash-mismatch', `the bundle's content does not match its hash (recorded ${b.hash}, computed ${actual}): it was changed after it was built. Rebuild it with "guideline bundle".`);
  }
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
