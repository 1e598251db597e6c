// npm run bench:hash — the bundle's content hash: canonical JSON, then SHA-256 by node:crypto (what
// readBundle uses in Node) and by @noble/hashes (what it uses in a browser page).
import { canonicalJson } from '../../engine/runtime/canonical.ts';
import { makeBundle } from '../../engine/runtime/bundle.ts';
import { sha256Hex, sha256HexPortable } from '../../engine/runtime/sha256.ts';
import { loadGuideline } from '../../engine/node/load.ts';
import { GUIDELINE_DIR } from '../helpers.ts';

const b = makeBundle(loadGuideline(GUIDELINE_DIR).guideline);
const text = canonicalJson({ manifest: b.manifest, inputs: b.inputs, nodes: b.nodes, cases: b.cases, origins: b.origins });
const time = (name: string, f: () => unknown) => {
  for (let i = 0; i < 5; i++) f();
  const runs = 30;
  const t = performance.now();
  for (let i = 0; i < runs; i++) f();
  console.log(`${name}: ${((performance.now() - t) / runs).toFixed(2)} ms`);
};
console.log(`canonical content: ${text.length} characters`);
time('sha256, node:crypto (readBundle in Node)', () => sha256Hex(text));
time('sha256, @noble/hashes (readBundle in a browser)', () => sha256HexPortable(text));
time('canonical JSON of the content', () => canonicalJson(b));
