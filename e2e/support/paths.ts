import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Shared read-only data; CI clones the repo beside it (`../shared`). */
export const SHARED = join(REPO_ROOT, '..', 'shared');
export const FACES = join(SHARED, 'faces');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
