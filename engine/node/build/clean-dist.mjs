// Remove the compiled library from dist/ before a build (bundles and the editor build stay).
import { rmSync } from 'node:fs';
for (const d of ['dist/engine', 'dist/schema']) rmSync(new URL(`../../../${d}`, import.meta.url), { recursive: true, force: true });
