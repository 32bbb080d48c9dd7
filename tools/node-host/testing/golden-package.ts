/**
 * Test setup: exports a golden fixture checkpoint (../shared/golden/<variant>) into a fresh temp folder with the
 * real exporter, exactly as `npm run golden` does (head counts from the golden manifest, marked untrained).
 * ~2 s for the Full fixture, so each test file exports its own copy and deletes it afterwards.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPackage } from '../../export/package/export.ts';
import { headOptionsFromManifest } from '../../export/plan/index.ts';
import { REPO_ROOT } from '../models.ts';

export const GOLDEN_DIR = join(REPO_ROOT, '..', 'shared', 'golden');
export const FACES_DIR = join(REPO_ROOT, '..', 'shared', 'faces');

export interface ExportedFixture {
  readonly dir: string;
  readonly cleanup: () => Promise<void>;
}

/** `precision` (default fp32): e.g. a q8 copy beside the fp32 one for the picker's precision choices. */
export async function exportGoldenFixture(
  variant = 'faceptor_full',
  precision: 'fp32' | 'fp16' | 'q8' | 'q4' = 'fp32',
): Promise<ExportedFixture> {
  const src = join(GOLDEN_DIR, variant);
  const gm = JSON.parse(await readFile(join(src, 'manifest.json'), 'utf8'));
  const work = await mkdtemp(join(tmpdir(), 'faceptor-fixture-'));
  const dir = join(work, variant);
  await exportPackage(join(src, 'checkpoint.pth.tar'), dir, {
    ...headOptionsFromManifest(gm),
    label: `golden fixture — random weights (${variant})`,
    untrained: true,
    ...(precision === 'fp32' ? {} : { precision }),
  });
  return { dir, cleanup: () => rm(work, { recursive: true, force: true }) };
}
