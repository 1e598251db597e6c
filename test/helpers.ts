import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const GUIDELINE_DIR = join(ROOT, 'guideline', 'klca-ncc-2022');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
