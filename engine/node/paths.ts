// Where the package lives on disk, from source (engine/node/) or compiled (dist/engine/node/):
// the nearest folder upwards that holds our package.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        if (JSON.parse(readFileSync(p, 'utf8')).name === PACKAGE_NAME) return dir;
      } catch { /* not ours */ }
    }
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '../..');
    dir = up;
  }
}

export const PACKAGE_NAME = '@klca-guidelines/engine';
export const PACKAGE_ROOT = findRoot();
/** The package's version (package.json), reported by --version and carried by every result. */
export const PACKAGE_VERSION: string = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

/** Where `guideline test` and the editor's saves keep a guideline's golden traces by default. */
export const defaultGoldenDir = (guidelineId: string): string => join(PACKAGE_ROOT, 'test', 'golden', guidelineId);
