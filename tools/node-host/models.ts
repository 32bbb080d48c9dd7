/** Reads the BlazeFace detector files installed by `npm run setup:models` (tools/setup/install-models.mjs). */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BLAZEFACE } from '../../src/core/detect/blazeface.ts';
import { ModelLoadError } from '../../src/pipeline/errors.ts';
import type { DetectorModelBytes } from '../../src/pipeline/detector.ts';
import { InputFileError, readRegularFile } from './regular-file.ts';

/** The detector files are < 1 MB; a bigger (or endless) file is not one. */
const MAX_DETECTOR_BYTES = 64 * 1024 * 1024;

/**
 * The folder holding this package's package.json: the checkout when run from source (tools/node-host → ../..),
 * node_modules/faceptor-web when installed from the packed tarball (whose code sits one level deeper, in dist-lib/).
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) if (existsSync(join(dir, 'package.json'))) return dir;
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export const REPO_ROOT = packageRoot();
export const DEFAULT_BLAZEFACE_DIR = join(REPO_ROOT, 'public', 'models', 'blazeface');

async function readModel(dir: string, file: string): Promise<Uint8Array> {
  const path = join(dir, file);
  try {
    return await readRegularFile(path, { maxBytes: MAX_DETECTOR_BYTES });
  } catch (err) {
    const shown = relative(process.cwd(), path) || path;
    const missing = err instanceof InputFileError && err.reason === 'missing';
    throw new ModelLoadError(shown, missing ? 'the file is missing' : (err as Error).message, undefined, {
      cause: err,
    });
  }
}

/** Both detector models (front 128 and back 256). */
export async function loadBlazeFaceModels(dir = DEFAULT_BLAZEFACE_DIR): Promise<Required<DetectorModelBytes>> {
  // Both reads run at once, but a failure is reported in a fixed order (front first): whichever read happened to
  // fail first must not decide which file the message names.
  const [front, back] = await Promise.allSettled([
    readModel(dir, BLAZEFACE.front.file),
    readModel(dir, BLAZEFACE.back.file),
  ]);
  if (front.status === 'rejected') throw front.reason;
  if (back.status === 'rejected') throw back.reason;
  return { front: front.value, back: back.value };
}
